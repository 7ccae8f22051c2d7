"""``gatekit canary`` end to end: exit codes, canary.json / canary.html, the MLflow run, GitHub outputs, --help imports."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from html_collect import parse
from typer.testing import CliRunner

from canary.traffic import now_after, traffic, write_jsonl
from gatekit.cli import app

NOW = now_after(30)


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    return CliRunner().invoke(app, ["canary", *args], env=env)


@pytest.fixture(scope="module")
def spiked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("logs")
    return write_jsonl(
        root / "spike.jsonl", traffic(30, canary=lambda m: {"error_rate": 0.02 if 10 <= m < 16 else 0.0})
    )


def test_exit_codes_promote_rollback_hold_and_bad_input(tmp_path: Path, spiked: Path) -> None:
    healthy = write_jsonl(tmp_path / "healthy.jsonl", traffic(30))
    result = run("--logs", str(healthy), "--now", NOW, "--out", str(tmp_path / "a"), "--no-mlflow")
    assert result.exit_code == 0, result.output
    assert result.output.startswith("canary PROMOTE at stage 10% → next stage 50%")
    result = run("--logs", str(healthy), "--now", NOW, "--stage", "100", "--out", str(tmp_path / "a"), "--no-mlflow")
    assert result.exit_code == 0 and "rollout complete" in result.output

    result = run("--logs", str(spiked), "--now", NOW, "--out", str(tmp_path / "b"), "--no-mlflow")
    assert result.exit_code == 1 and "since 2026-03-01T12:10:00Z" in result.output

    thin = write_jsonl(tmp_path / "thin.jsonl", traffic(30, canary=lambda m: {"requests": 3}))
    result = run("--logs", str(thin), "--now", NOW, "--out", str(tmp_path / "c"), "--no-mlflow")
    assert result.exit_code == 4 and "more canary requests" in result.output

    for args, expected in [
        (["--logs", str(tmp_path / "missing.jsonl")], "no such file"),
        (["--logs", str(healthy), "--now", "yesterday"], "--now: cannot read 'yesterday'"),
        (["--logs", str(healthy), "--stage", "25"], "--stage 25: not one of the stages"),
        (["--logs", str(healthy), "--engine", "oracle"], "oracle"),
    ]:
        result = run(*args, "--out", str(tmp_path / "d"), "--no-mlflow")
        assert result.exit_code == 2, (args, result.output)
        lines = [line for line in result.output.splitlines() if line.strip()]
        assert len(lines) == 1 and lines[0].startswith("error: ") and expected in lines[0], result.output

    broken = tmp_path / "broken.jsonl"
    broken.write_text(
        healthy.read_text(encoding="utf-8") + '{"schema_version": 1, "timestamp": "2026-03-01T12:', encoding="utf-8"
    )
    result = run("--logs", str(broken), "--now", NOW, "--out", str(tmp_path / "e"), "--no-mlflow")
    assert result.exit_code == 2 and "Traceback" not in result.output and str(broken) in result.output


def test_canary_json_holds_decision_streaks_and_comparisons(tmp_path: Path, spiked: Path) -> None:
    out = tmp_path / "out"
    assert run("--logs", str(spiked), "--now", NOW, "--out", str(out), "--no-mlflow").exit_code == 1
    data = json.loads((out / "canary.json").read_text(encoding="utf-8"))
    assert data["schema_version"] == 1 and data["kind"] == "canary"
    assert (data["decision"], data["stage"], data["next_stage"]) == ("rollback", 10, None)
    assert data["rollback"]["windows"][0] == "2026-03-01T12:10:00Z"
    assert {r["name"]: r["longest_streak"] for r in data["rules"]}["error_rate > 0.01 for 5"] == 6
    assert [c["metric"] for c in data["comparisons"]] == ["latency_ms", "error_rate", "deny_rate"]
    assert len(data["windows"]) == 30 and data["windows"][10]["canary"]["errors"] == 4




def test_canary_html_is_self_contained_escaped_and_marks_the_triggering_windows(tmp_path: Path) -> None:
    hostile = tmp_path / "<img src=x onerror=alert(1)>"
    hostile.mkdir()
    logs = write_jsonl(
        hostile / "spike.jsonl", traffic(30, canary=lambda m: {"error_rate": 0.02 if 10 <= m < 16 else 0.0})
    )
    rules = tmp_path / "rollout.yaml"
    rules.write_text(
        "rollback:\n  - {name: \"<script>alert('r')</script>\", rule: 'error_rate > 1% for 5 consecutive windows'}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    result = run("--logs", str(logs), "--rules", str(rules), "--now", NOW, "--out", str(out), "--no-mlflow")
    assert result.exit_code == 1, result.output
    page = (out / "canary.html").read_text(encoding="utf-8")
    assert "<script" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(&#39;r&#39;)&lt;/script&gt;" in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page  # no network
    parsed = parse(page)
    charts = [a["id"] for t, a in parsed.tags if t == "svg"]
    assert "chart-error_rate" in charts and "chart-latency_p95_ms" in charts
    error_chart = page[page.index('id="chart-error_rate"') : page.index("</svg>", page.index('id="chart-error_rate"'))]
    assert error_chart.count('class="trigger"') == 5  # the five windows that fired the rule
    assert error_chart.count('class="limit"') == 1  # the 1 % limit
    assert error_chart.count('<polyline class="canary"') == 1 and error_chart.count('<polyline class="baseline"') == 1


def test_windows_without_traffic_break_the_lines(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "gap.jsonl", traffic(30, skip=range(11, 14)))
    out = tmp_path / "out"
    assert run("--logs", str(logs), "--now", NOW, "--out", str(out), "--no-mlflow").exit_code == 0
    page = (out / "canary.html").read_text(encoding="utf-8")
    chart = page[
        page.index('id="chart-latency_p95_ms"') : page.index("</svg>", page.index('id="chart-latency_p95_ms"'))
    ]
    assert chart.count('<polyline class="canary"') == 2  # a gap, not a drop to zero
    assert chart.count('class="nodata"') == 3


def test_canary_html_renders_in_a_real_browser(tmp_path: Path, spiked: Path) -> None:
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no chromium binary on PATH (apt-get install chromium); the structural tests above still run")
    out = tmp_path / "out"
    run("--logs", str(spiked), "--now", NOW, "--out", str(out), "--no-mlflow")
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--window-size=1100,1800"]
    dom = subprocess.run(
        [*args, "--dump-dom", (out / "canary.html").as_uri()], capture_output=True, text=True, timeout=120, check=False
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert dom.stdout.count('class="trigger"') == 5 and "ROLLBACK" in dom.stdout


def test_mlflow_run_and_github_outputs(tmp_path: Path, spiked: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from mlflow import MlflowClient

    monkeypatch.chdir(tmp_path)  # a sqlite store keeps artifacts in ./mlruns: keep them out of the checkout
    from mlflow_store import fresh_store

    uri = fresh_store(tmp_path / "mlflow.db")  # a copy of a migrated empty store (no migrations here)
    summary, outputs = tmp_path / "summary.md", tmp_path / "outputs.txt"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(outputs)}
    out = tmp_path / "out"
    result = run(
        "--logs",
        str(spiked),
        "--now",
        NOW,
        "--out",
        str(out),
        "--tracking-uri",
        uri,
        "--experiment",
        "canary-test",
        env=env,
    )
    assert result.exit_code == 1, result.output
    data = json.loads((out / "canary.json").read_text(encoding="utf-8"))
    run_id = data["mlflow"]["run_id"]
    logged = MlflowClient(tracking_uri=uri).get_run(run_id)
    assert logged.data.tags["gatekit.kind"] == "canary"
    assert logged.data.tags["gatekit.canary.decision"] == "rollback"
    assert logged.data.tags["gatekit.canary.rollback_since"] == "2026-03-01T12:10:00Z"
    assert logged.data.metrics["canary.rule0.longest_streak"] == 6.0
    artifacts = {a.path for a in MlflowClient(tracking_uri=uri).list_artifacts(run_id)}
    assert {"canary.json", "canary.html"} <= artifacts
    values = dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines())
    assert values["decision"] == "rollback" and values["exit_code"] == "1" and values["run_id"] == run_id
    assert values["report_path"].endswith("canary.html")
    text = summary.read_text(encoding="utf-8")
    assert "ROLLBACK" in text and "| error\\_rate &gt; 0.01 for 5 consecutive window\\(s\\) | **yes** |" in text
    assert "::error title=gatekit canary rollback::" in result.output


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys; from gatekit.cli import app; from typer.testing import CliRunner; "
        "r = CliRunner().invoke(app, ['canary', '--help']); assert r.exit_code == 0, r.output; "
        "r = CliRunner().invoke(app, ['watch', '--help']); assert r.exit_code == 0; "
        "print(sorted(m for m in ('duckdb', 'pandas', 'scipy', 'mlflow', 'pyspark', 'numpy') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[]"


def test_bad_input_under_github_actions_annotates_and_sets_outputs(tmp_path: Path) -> None:
    outputs = tmp_path / "outputs.txt"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")}
    result = run("--logs", str(tmp_path / "missing.jsonl"), "--no-mlflow", "--out", str(tmp_path / "o"), env=env)
    assert result.exit_code == 2
    assert "::error title=gatekit::" in result.output
    assert "exit_code=2" in outputs.read_text(encoding="utf-8")


@pytest.mark.slow
def test_canary_command_on_spark_matches_duckdb(tmp_path: Path, spiked: Path, spark: Any) -> None:
    """``--engine spark`` through the command, on the caller's active session (the shared test session: a command
    starting its own session in a real process is ``test_cli_drift_engine_spark_in_a_subprocess_matches_duckdb``)."""
    args = ["--logs", str(spiked), "--now", NOW, "--no-mlflow"]
    on_spark = run(*args, "--engine", "spark", "--out", str(tmp_path / "spark"))
    assert on_spark.exit_code == 1, on_spark.output
    assert run(*args, "--out", str(tmp_path / "duck")).exit_code == 1
    result = json.loads((tmp_path / "spark" / "canary.json").read_text(encoding="utf-8"))
    duck = json.loads((tmp_path / "duck" / "canary.json").read_text(encoding="utf-8"))
    assert result["engine"] == "spark" and duck["engine"] == "duckdb"
    assert (result["decision"], result["rollback"], result["reasons"]) == (
        duck["decision"],
        duck["rollback"],
        duck["reasons"],
    )
    assert [c["status"] for c in result["comparisons"]] == [c["status"] for c in duck["comparisons"]]
    assert not spark.sparkContext._jsc.sc().isStopped()  # the caller's session is not stopped by the command


def test_a_file_store_mlflow_refuses_is_exit_2_before_judging(tmp_path: Path) -> None:
    """MLflow 3 refuses to open a ``file:`` store; the canary judged, wrote canary.json, then failed to log (exit 3)."""
    healthy = write_jsonl(tmp_path / "healthy.jsonl", traffic(30))
    out = tmp_path / "out"
    env = {"MLFLOW_ALLOW_FILE_STORE": "false"}
    result = run("--logs", str(healthy), "--now", NOW, "--out", str(out), "--tracking-uri",
                 (tmp_path / "mlruns").as_uri(), env=env)  # fmt: skip
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "is a file store" in lines[0] and "--no-mlflow" in lines[0], result.output
    assert not (out / "canary.json").exists()  # refused before judging
