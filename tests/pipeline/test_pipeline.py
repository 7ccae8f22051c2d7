"""The gate pipeline in process: typed verdict, verdict schema, stages, CLI via CliRunner, MLflow sink (sqlite)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from mlflow_store import fresh_store
from spine_project import make_project
from typer.testing import CliRunner

from gatekit.cli import app
from gatekit.config import load_config
from gatekit.gate import run_gate
from gatekit.pipeline.model import CheckResult, Verdict, verdict_json_schema
from gatekit.report.console import summary_lines
from gatekit.report.junit import write_junit
from gatekit.report.markdown import render_summary

ROWS = [{"id": f"c{i}", "input": f"question {i}", "expected": {"output_contains": ["echo"]}} for i in range(4)]


def gate(root: Path, command: str = "eval", **flags: Any) -> Any:
    config = load_config(root / "gatekit.yaml", {"no_mlflow": True, **flags})
    return run_gate(config, command=command, env={})


@pytest.fixture
def passing(tmp_path: Path) -> Any:
    return gate(make_project(tmp_path / "p", rows=ROWS))


def test_run_gate_returns_a_typed_verdict_that_round_trips(passing: Any) -> None:
    verdict = passing.verdict
    assert isinstance(verdict, Verdict) and verdict.verdict == "pass" and passing.exit_code == 0
    path = passing.out_dir / "verdict.json"
    on_disk = json.loads(path.read_text(encoding="utf-8"))
    again = Verdict.from_file(path)
    assert json.loads(again.to_json()) == on_disk
    assert on_disk["schema_version"] == 1 and on_disk["mlflow"]["skipped"] is True


def test_verdict_is_keyword_only_and_refuses_unknown_keys(passing: Any) -> None:
    with pytest.raises(TypeError):
        Verdict("eval", "pass")  # type: ignore[misc]
    data = passing.verdict.to_dict()
    data["surprise"] = 1
    with pytest.raises(ValueError, match="surprise"):
        Verdict.model_validate(data)


def test_schema_verdict_command_validates_the_written_verdict(passing: Any) -> None:
    result = CliRunner().invoke(app, ["schema", "verdict"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.output)
    assert schema == json.loads(json.dumps(verdict_json_schema()))
    written = json.loads((passing.out_dir / "verdict.json").read_text(encoding="utf-8"))
    jsonschema.validate(written, schema)
    broken = {**written, "verdict": "maybe"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_identical_failures_stop_the_run_early_and_name_the_error(tmp_path: Path) -> None:
    rows = [{"id": f"c{i}", "input": f"q{i}"} for i in range(30)]
    root = make_project(tmp_path / "p", rows=rows, agent="python:spine_agents:always_raises")
    result = gate(root, stop_after_identical_failures=5, concurrency=1, retries=0)
    verdict = result.verdict
    assert verdict.verdict == "fail" and result.exit_code == 1
    assert verdict.metrics["cases"] == 5  # stopped after the first 5, not 30
    stop = next(c for c in verdict.checks if c.name == "replay.identical_failures")
    assert stop.status == "fail" and "agent blew up" in stop.message
    assert verdict.errors.dominant is not None and verdict.errors.dominant.describe().startswith("5/5 ")
    assert "agent blew up" in verdict.reasons[0]
    # an errored case is never an allowed decision
    assert verdict.governance.outcomes.get("allow", 0) == 0 and verdict.governance.errored == 5
    lines = "\n".join(summary_lines(verdict))
    assert "errored 5" in lines and "5/5 " in lines


def test_identical_failure_stop_can_be_disabled(tmp_path: Path) -> None:
    rows = [{"id": f"c{i}", "input": f"q{i}"} for i in range(12)]
    root = make_project(tmp_path / "p", rows=rows, agent="python:spine_agents:always_raises")
    verdict = gate(root, stop_after_identical_failures=0, retries=0).verdict
    assert verdict.metrics["cases"] == 12
    assert not any(c.name == "replay.identical_failures" for c in verdict.checks)
    assert verdict.errors.dominant is not None and verdict.errors.dominant.count == 12


def test_unknown_pass_rate_says_why_and_what_to_do(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", cases=6)
    with (root / "thresholds.yaml").open("a", encoding="utf-8") as fh:
        fh.write("  pass_rate: {min: 0.5}\n")
    verdict = gate(root).verdict
    check = next(c for c in verdict.checks if c.name == "pass_rate")
    assert check.status == "fail" and check.value is None
    assert "none of the 6 cases has `expected`" in check.message and "expected:" in check.message


def straddling_verdict(passing: Any) -> Verdict:
    verdict = passing.verdict.model_copy(deep=True)
    verdict.checks = [
        CheckResult(name="pass_rate", value=0.49, limit=0.4, op=">=", interval=(0.36, 0.62), status="pass", unit=""),
        *verdict.checks,
    ]
    return verdict


def test_a_straddling_interval_is_shown_as_such(passing: Any) -> None:
    verdict = straddling_verdict(passing)
    assert verdict.checks[0].straddles and not verdict.checks[-1].straddles  # cases_succeeded: no interval
    # 5 cases give the p95 no upper bound: its interval is open above, so it straddles any limit
    assert verdict.checks[1].name == "latency_p95_ms" and verdict.checks[1].interval[1] is None
    assert verdict.checks[1].straddles
    lines = "\n".join(summary_lines(verdict))
    assert "pass_rate 0.49 >= limit 0.4: interval [0.36, 0.62] straddles the limit" in lines
    assert "straddles the limit" in render_summary(verdict)


def test_markdown_summary_renders_from_attributes(passing: Any) -> None:
    text = render_summary(passing.verdict, {})
    assert text.startswith("## gatekit gate: ✅ PASS")
    assert "| cases\\_succeeded |" in text and "MLflow" not in text.split("### Report")[1]


def test_junit_one_testcase_per_check(passing: Any, tmp_path: Path) -> None:
    out = write_junit(passing.verdict, passing.out_dir / "results.jsonl", tmp_path / "j.xml")
    root = ET.parse(out).getroot()
    checks = root.find("testsuite[@name='gatekit.gate.checks']")
    assert checks is not None and int(checks.get("tests", "0")) == len(passing.verdict.checks)
    assert root.get("failures") == "0"


def test_library_caller_gets_junit_and_github_outputs(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", rows=ROWS)
    out_file = tmp_path / "gh_output"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(out_file)}
    config = load_config(root / "gatekit.yaml", {"no_mlflow": True, "junit": tmp_path / "junit.xml"})
    import io

    stream = io.StringIO()
    result = run_gate(config, command="eval", env=env, stream=stream)
    assert (tmp_path / "junit.xml").exists()
    assert "verdict=pass" in out_file.read_text(encoding="utf-8") and result.exit_code == 0


def test_mlflow_run_is_named_and_timed_from_the_gate_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # a sqlite store keeps artifacts in ./mlruns: not in the checkout
    root = make_project(tmp_path / "p", rows=ROWS)
    uri = fresh_store(tmp_path / "mlflow.db")
    config = load_config(root / "gatekit.yaml", {"tracking_uri": uri})
    result = run_gate(config, command="eval", env={})
    from mlflow import MlflowClient

    run = MlflowClient(tracking_uri=uri).get_run(str(result.verdict.mlflow.run_id))
    assert run.info.run_name == "gate · python:spine_agents:sync_echo · pass"
    started_ms = int(__import__("datetime").datetime.fromisoformat(result.verdict.started_at).timestamp() * 1000)
    assert run.info.start_time == started_ms
    assert run.data.tags["gatekit.verdict"] == "pass"


def test_cli_version_and_help_text() -> None:
    runner = CliRunner()
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0 and version.output.startswith("gatekit ")
    eval_help = runner.invoke(app, ["eval", "--help"], terminal_width=200).output
    assert "--no-mlflow" in eval_help and "--alias" not in eval_help and "--dry-run" not in eval_help
    promote_help = runner.invoke(app, ["promote", "--help"], terminal_width=200).output
    assert "--alias" in promote_help and "--no-mlflow" in promote_help
    for command in (
        ["--help"],
        ["eval", "--help"],
        ["drift", "--help"],
        ["report", "--help"],
        ["policy", "check", "--help"],
    ):
        text = runner.invoke(app, command, terminal_width=200).output
        for bad in ("<bool>", "<str>", "<list[str]>", "<path>", " .\n", "folder ."):
            assert bad not in text, (command, bad)


def test_cli_eval_in_process_prints_the_verdict_line_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = make_project(tmp_path / "p", rows=ROWS)
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)
    result = CliRunner().invoke(app, ["eval", "--no-mlflow"])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].startswith("PASS  eval python:spine_agents:sync_echo")
    assert "not logged (--no-mlflow)" in result.stdout


def test_drift_prints_the_run_id_with_the_tracking_uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ref = tmp_path / "ref.jsonl"
    prod = tmp_path / "prod.jsonl"
    ref.write_text("".join(json.dumps({"input": "x" * (i % 7 + 1), "n": i % 5}) + "\n" for i in range(60)))
    prod.write_text("".join(json.dumps({"input": "x" * (i % 7 + 1), "n": i % 5}) + "\n" for i in range(60)))
    uri = fresh_store(tmp_path / "mlflow.db")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)  # the default URI, not a flag
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(
        app, ["drift", "--reference", str(ref), "--production", str(prod), "--numeric", "n", "--out", "d"]
    )
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if "MLflow run" in x)
    assert line.rstrip().endswith(f"at {uri}")


def test_a_gated_model_version_carries_the_verdict(passing: Any, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    from gatekit.pipeline.publish import _tag_model_version
    from gatekit.promotion import TAG_MODEL_NAME, TAG_MODEL_VERSION

    uri = fresh_store(tmp_path / "registry.db")
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    client.create_registered_model("support-bot")
    source = tmp_path / "model"
    source.mkdir()
    client.create_model_version("support-bot", source=str(source))
    verdict = passing.verdict.model_copy(deep=True)
    verdict.verdict = "fail"
    verdict.mlflow.run_id = "r" * 32
    _tag_model_version(uri, {TAG_MODEL_NAME: "support-bot", TAG_MODEL_VERSION: "1"}, verdict)
    tags = client.get_model_version("support-bot", "1").tags
    assert tags["gatekit.verdict"] == "fail" and tags["gatekit.verdict_run_id"] == "r" * 32


def test_debug_prints_the_traceback_of_an_internal_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gatekit.gate

    root = make_project(tmp_path / "p", rows=ROWS)
    monkeypatch.chdir(root)
    monkeypatch.delenv("GITHUB_ACTIONS", raising=False)

    def broken(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("stage exploded")

    monkeypatch.setattr(gatekit.gate, "run_gate", broken)  # an internal error inside the library
    plain = CliRunner().invoke(app, ["eval", "--no-mlflow"])
    assert plain.exit_code == 3 and "stage exploded" in plain.stderr and "Traceback" not in plain.stderr
    debug = CliRunner().invoke(app, ["--debug", "eval", "--no-mlflow"])
    assert debug.exit_code == 3 and "Traceback" in debug.stderr and "stage exploded" in debug.stderr


def test_verbose_logs_the_stages_to_stderr(tmp_path: Path) -> None:
    from spine_project import run_cli

    root = make_project(tmp_path / "p", rows=ROWS)
    proc = run_cli(root, "-v", "eval", "--no-mlflow")
    assert proc.returncode == 0, proc.stderr
    assert "INFO gatekit.gate: verdict pass, exit 0" in proc.stderr
    assert "INFO" not in proc.stdout


@pytest.mark.parametrize(
    ("requested", "model", "action", "shown"),
    [
        (False, None, "skipped", False),  # python:/http:/cmd: candidate, nothing asked: recorded, not printed
        (True, None, "skipped", True),  # --alias asked for a promotion that cannot happen: say why
        (False, "bot", "promoted", True),
        (False, "bot", "skipped", True),  # a registered model that was not promoted (e.g. a failed gate)
    ],
)
def test_promotion_line_only_when_it_applies_or_was_asked_for(
    passing: Any, requested: bool, model: str | None, action: str, shown: bool
) -> None:
    from gatekit.pipeline.model import PromotionPart

    verdict = passing.verdict.model_copy(deep=True)
    verdict.command = "promote"
    verdict.promotion = PromotionPart(
        alias="production", model=model, action=action, message="not promoted: reason", requested=requested
    )
    lines = summary_lines(verdict)
    assert any("PROMOTION" in line for line in lines) is shown
    assert verdict.model_dump(mode="json")["promotion"]["message"] == "not promoted: reason"  # always recorded
