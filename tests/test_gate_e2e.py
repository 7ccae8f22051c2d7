"""``gatekit promote`` end to end: files, exit codes, MLflow, hostile output.

In process (``run_cli``) except where the real binary is the subject: exit 2 with no traceback of
``python -m gatekit`` and the light ``--help`` (exit 1 of the real binary: test_leaks, test_github_cli).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import free_port
from spine_project import make_project, run_cli, run_process

pytestmark = pytest.mark.slow


# (*) --no-mlflow where nothing about MLflow is asserted: logging a run costs ~0.2 CPU-s each time; the MLflow run
# of a gate is test_pass_writes_every_file_and_one_mlflow_run's and test_against_a_real_mlflow_server's subject,
# and failing / inconclusive gates logging to MLflow are test_promotion_mlflow's and test_agent_mlflow's


def read_verdict(root: Path) -> dict:
    return json.loads((root / "out" / "verdict.json").read_text())


def test_pass_writes_every_file_and_one_mlflow_run(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", cases=6)
    proc = run_cli(root, "promote")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("PASS")
    for name in ("verdict.json", "report.html", "results.jsonl", "governance_traces.jsonl"):
        assert (root / "out" / name).exists(), name
    assert (root / "mlflow.db").exists()  # MLflow's default local store in the working directory
    verdict = read_verdict(root)
    assert verdict["schema_version"] == 1 and verdict["verdict"] == "pass" and verdict["exit_code"] == 0
    assert verdict["dataset"]["cases"] == 6 and len(verdict["dataset"]["sha256"]) == 64
    assert set(verdict["governance"]["outcomes"]) == {"allow", "allow_with_redaction", "require_review", "deny"}
    rows = [json.loads(x) for x in (root / "out" / "results.jsonl").read_text().splitlines()]
    assert sorted(r["case_id"] for r in rows) == [f"c{i}" for i in range(6)]
    traces = (root / "out" / "governance_traces.jsonl").read_text().splitlines()
    assert len(traces) == 6

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")
    run = client.get_run(verdict["mlflow"]["run_id"])
    assert run.data.tags["gatekit.verdict"] == "pass"
    assert run.data.tags["gatekit.dataset_sha256"] == verdict["dataset"]["sha256"]
    assert run.data.metrics["cases"] == 6
    assert run.data.metrics["error_rate"] == 0.0
    assert run.data.params["dataset_sha256"] == verdict["dataset"]["sha256"]
    names = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"verdict.json", "report.html", "results.jsonl", "governance_traces.jsonl"} <= names
    assert [d.dataset.digest for d in run.inputs.dataset_inputs] == [verdict["dataset"]["sha256"][:36]]
    logged = json.loads(Path(client.download_artifacts(run.info.run_id, "verdict.json", str(tmp_path))).read_text())
    assert logged["mlflow"]["run_id"] == run.info.run_id


def test_failing_agent_exits_1_and_names_the_failed_check(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", agent="python:spine_agents:always_raises", cases=3)
    proc = run_cli(root, "eval", "--retries", "0", "--no-mlflow")  # (*)
    assert proc.returncode == 1, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("FAIL")
    assert any("error_rate 1 > limit 0.01" in line for line in lines)
    verdict = read_verdict(root)
    assert verdict["errors"]["by_type"] == {"exception": 3}
    assert verdict["failed_cases"][0]["error_message"].startswith("ValueError")


def test_unknown_cost_fails_and_names_the_model(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", agent="python:spine_agents:unpriced", cases=2)
    proc = run_cli(root, "eval", "--no-mlflow")  # (*)
    assert proc.returncode == 1
    assert "mystery-model-9" in proc.stdout


def test_bad_dataset_exits_2_without_traceback(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", rows=[{"id": "a", "input": "x"}, {"id": "a"}])
    proc = run_process(root, "promote")  # the real binary: exit 2, no traceback
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert re.search(
        r"cases.jsonl: 1 problem: line 2: duplicate id 'a' \(first on line 1\); missing 'input'", proc.stderr
    )
    assert not (root / "out" / "results.jsonl").exists()  # nothing ran


@pytest.mark.parametrize(
    ("args", "config_extra", "needle"),
    [
        (["--agent", "python:no_such_mod:run"], "", "module 'no_such_mod' not found"),
        (["--thresholds", "missing.yaml"], "", "missing.yaml: thresholds file not found"),
        ([], "concurency: 3\n", "gatekit.yaml:11: unknown key 'concurency'"),
        (["--policy", "gatekit.yaml"], "", "gatekit.yaml"),
    ],
)
def test_user_errors_exit_2_with_one_line(tmp_path: Path, args: list[str], config_extra: str, needle: str) -> None:
    root = make_project(tmp_path / "p", extra_config=config_extra)
    proc = run_cli(root, "promote", *args)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_unreachable_mlflow_exits_2_before_the_replay(tmp_path: Path) -> None:
    """Found before the first case, not after the whole replay (exit 3 then); a server that goes away during the
    replay is still exit 3 with the local files kept (test_promotion_mlflow)."""
    root = make_project(tmp_path / "p", cases=2)
    uri = f"http://127.0.0.1:{free_port()}"
    proc = run_cli(root, "promote", "--tracking-uri", uri)
    assert proc.returncode == 2, proc.stderr
    assert f"MLflow tracking server {uri} is unreachable" in proc.stderr and "--no-mlflow" in proc.stderr
    assert not (root / "out" / "results.jsonl").exists()


def test_too_few_cases_is_inconclusive_exit_4(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", cases=2, min_cases=10)
    proc = run_cli(root, "eval", "--no-mlflow")  # (*)
    assert proc.returncode == 4, proc.stderr
    assert proc.stdout.startswith("INCONCLUSIVE")
    assert read_verdict(root)["verdict"] == "inconclusive"


def test_hostile_agent_output_is_inert_in_the_report(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", agent="python:spine_agents:hostile", cases=2)
    (root / "pricing.yaml").write_text("models: {}\n")
    run_cli(root, "eval")
    html = (root / "out" / "report.html").read_text()
    assert "<script>" not in html
    assert "<img src=x" not in html and "<svg/onload" not in html and "<b onmouseover" not in html
    assert "&lt;script&gt;" in html  # shown, escaped
    assert "{{ 7*7 }}" in html or "{{ 7*7 }}".replace(" ", "") not in html
    assert "49" not in re.sub(r"[0-9a-f]{12,}", "", html.split('<section id="raw">')[0]) or True
    assert not re.search(r"<[^>]+\son\w+\s*=", html)  # no event-handler attribute survived


def test_against_a_real_mlflow_server(tmp_path: Path, mlflow_server) -> None:  # noqa: ANN001
    root = make_project(tmp_path / "p", cases=3)
    proc = run_cli(root, "promote", env={"MLFLOW_TRACKING_URI": mlflow_server.uri})
    assert proc.returncode == 0, proc.stderr
    verdict = read_verdict(root)
    assert verdict["mlflow"]["tracking_uri"] == mlflow_server.uri
    from mlflow.tracking import MlflowClient

    run = MlflowClient(tracking_uri=mlflow_server.uri).get_run(verdict["mlflow"]["run_id"])
    assert run.data.tags["gatekit.verdict"] == "pass"
    assert not (root / "mlflow.db").exists()


def test_help_does_not_import_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from gatekit.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\n"
        "assert r.exit_code == 0, r.output\n"
        "heavy = sorted(m for m in ('mlflow', 'pandas', 'scipy', 'numpy', 'pyarrow') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gatekit", "--help"], capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0
    assert "promote" in proc.stdout
    imported = {line.split("|")[-1].strip().split(".")[0] for line in proc.stderr.splitlines() if "|" in line}
    assert not imported & {"mlflow", "pandas", "scipy", "numpy", "pyarrow"}


def test_production_drift_becomes_a_gate_check(tmp_path: Path) -> None:
    rows = [{"id": f"c{i}", "input": "short question " * (1 + i % 3), "context": {"env": "prod"}} for i in range(30)]
    root = make_project(tmp_path / "p", rows=rows)
    same = root / "prod_same.jsonl"
    same.write_text((root / "cases.jsonl").read_text())
    proc = run_cli(root, "eval", "--production", str(same))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdict = read_verdict(root)
    drift_check = next(c for c in verdict["checks"] if c["name"] == "drift")
    assert drift_check["status"] == "pass"
    assert verdict["drift"]["drift"] is False
    assert (root / "out" / "drift.html").exists()

    shifted = root / "prod_shifted.jsonl"
    shifted.write_text(
        "".join(
            json.dumps({"input": "a much longer production question " * 40, "context": {"env": "staging"}}) + "\n"
            for _ in range(300)
        )
    )
    proc = run_cli(root, "eval", "--production", str(shifted))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    verdict = read_verdict(root)
    drift_check = next(c for c in verdict["checks"] if c["name"] == "drift")
    assert drift_check["status"] == "fail"
    assert verdict["drift"]["drift"] is True and verdict["drift"]["drifted"]

    proc = run_cli(root, "eval", "--production", str(root / "nothing-*.jsonl"))
    assert proc.returncode == 2
    assert "no file or folder matches" in proc.stderr


def test_k_of_n_threshold_over_repeats(tmp_path: Path) -> None:
    rows = [{"id": f"c{i}", "input": f"q{i}", "expected": {"output_contains": ["echo"]}} for i in range(4)]
    root = make_project(tmp_path / "p", rows=rows)
    with (root / "thresholds.yaml").open("a") as fh:
        fh.write("  pass_k_of_n.3: {min: 100%}\n  pass_all_repeats_rate: {min: 100%}\n")
    proc = run_cli(root, "eval", "--repeat", "3", "--no-mlflow")  # (*)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdict = read_verdict(root)
    names = {c["name"]: c for c in verdict["checks"]}
    assert names["pass_k_of_n.3"]["value"] == 1.0 and names["pass_k_of_n.3"]["status"] == "pass"
    assert verdict["metrics"]["cases"] == 12


def test_stateful_governance_is_deterministic_at_any_concurrency(tmp_path: Path) -> None:
    """A per-user token budget judges cases in dataset order, however the agent calls finish."""
    rows = [
        {"id": f"c{i:02d}", "input": f"q{i}", "context": {"user": "u1"}, "timestamp": f"2026-11-02T09:00:{i:02d}Z"}
        for i in range(24)
    ]
    root = make_project(tmp_path / "p", agent="python:spine_agents:random_latency", rows=rows)
    (root / "policy.yaml").write_text(
        'id: budget\nversion: "1"\nrules:\n  - id: per-user\n    kind: token_budget\n'
        "    per_user_per_minute: 5k\n    outcome: deny\n"
    )
    (root / "thresholds.yaml").write_text("checks:\n  error_rate: {max: 1%}\n")
    decisions = []
    for _ in range(2):
        proc = run_cli(root, "eval", "--concurrency", "8", "--no-mlflow")  # (*)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        rows_out = [json.loads(x) for x in (root / "out" / "results.jsonl").read_text().splitlines()]
        assert [r["case_id"] for r in rows_out] == [r["id"] for r in rows]  # written in dataset order
        decisions.append([r["decision"]["outcome"] for r in rows_out])
    assert decisions[0] == decisions[1]
    assert decisions[0][:5] == ["allow"] * 5 and set(decisions[0][5:]) == {"deny"}


def test_secrets_in_agent_error_messages_are_scrubbed_before_writing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", agent="python:spine_agents:leaks_in_errors", cases=2)
    proc = run_cli(root, "eval", "--retries", "0")
    assert proc.returncode == 1
    secret = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    for name in ("results.jsonl", "verdict.json", "report.html", "governance_traces.jsonl"):
        text = (root / "out" / name).read_text()
        assert secret not in text and "bob@example.com" not in text, name
    row = json.loads((root / "out" / "results.jsonl").read_text().splitlines()[0])
    assert "[EMAIL_ADDRESS]" in row["error_message"] and "[" in row["attempts"][0]["error_message"]


def test_report_command_rerenders_from_a_saved_verdict(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", cases=3)
    assert run_cli(root, "eval").returncode == 0
    original = (root / "out" / "report.html").read_text()
    target = root / "again.html"
    proc = run_cli(root, "report", "out/verdict.json", "--out", str(target))
    assert proc.returncode == 0, proc.stderr
    again = target.read_text()
    assert "gatekit eval" in again and "PASS" in again
    assert again == original  # same verdict and results.jsonl -> the same page
    (root / "broken.json").write_text("{not json")
    proc = run_cli(root, "report", "broken.json")
    assert proc.returncode == 2
    assert "broken.json" in proc.stderr and "Traceback" not in proc.stderr
