"""attack19c: every place a gate's outcome is read says the same thing, for every kind of outcome.

The exit code, verdict.json, report.html's headline, the JUnit XML, the MLflow run's tags and the GitHub step
summary, annotations and outputs are compared for a pass, a fail, an inconclusive run, an unreachable MLflow
(exit 3 after the verdict) and an internal error while publishing (report.html cannot be written: exit 3).

Before: the internal error left verdict.json ``pass`` / ``exit_code 0`` and an all-green JUnit file behind a gate
that exited 3; an exit 3 after a passing verdict headed the step summary "✅ PASS" and printed no ``::error``.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import failing_tracking_server
from spine_project import make_project, run_cli
from test_attack17d_promotion import client, config, project, store  # noqa: F401 - store is a fixture

_VERDICT_EXITS = {"pass": 0, "fail": 1, "inconclusive": 4}


def _outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines() if "=" in line)


def _mlflow_verdict_tags(db: Path) -> list[str]:
    import mlflow

    mlflow_client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{db}")
    experiment = mlflow_client.get_experiment_by_name("spine-tests")
    if experiment is None:
        return []
    return [
        f"{run.data.tags.get('gatekit.verdict', '')} {run.data.tags.get('gatekit.exit_code', '')}"
        for run in mlflow_client.search_runs([experiment.experiment_id])
    ]


def _run(root: Path, *args: str) -> dict[str, Any]:
    """Run ``gatekit eval`` under GitHub Actions with --junit; collect what every reader sees."""
    gh_out, gh_summary = root / "gh_output", root / "gh_summary"
    gh_out.write_text("", encoding="utf-8")
    gh_summary.write_text("", encoding="utf-8")
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(gh_out), "GITHUB_STEP_SUMMARY": str(gh_summary)}
    proc = run_cli(root, "eval", "--junit", "junit.xml", *args, env=env)
    seen: dict[str, Any] = {"rc": proc.returncode, "stdout": proc.stdout, "stderr": proc.stderr}
    verdict_path = root / "out" / "verdict.json"
    seen["verdict"] = json.loads(verdict_path.read_text(encoding="utf-8")) if verdict_path.exists() else None
    report = root / "out" / "report.html"
    seen["report"] = report.read_text(encoding="utf-8") if report.is_file() else None
    junit = root / "junit.xml"
    seen["junit"] = ET.parse(junit).getroot() if junit.exists() else None
    seen["outputs"] = _outputs(gh_out)
    seen["summary"] = gh_summary.read_text(encoding="utf-8")
    seen["annotations"] = [line for line in proc.stdout.splitlines() if line.startswith("::error")]
    return seen


def _assert_agree(seen: dict[str, Any], expected_rc: int) -> None:
    rc = seen["rc"]
    assert rc == expected_rc, (rc, seen["stderr"])
    verdict = seen["verdict"]
    # verdict.json: never a passing file for a run that did not exit 0
    assert verdict is not None
    assert verdict["exit_code"] == rc, verdict
    if rc in _VERDICT_EXITS.values():
        assert _VERDICT_EXITS[verdict["verdict"]] == rc, verdict
    # report.html headline: the verdict and the exit code the process ended with
    if seen["report"] is not None:
        badge = re.search(r'class="badge (\w+)">(\w+)</span> <span[^>]*>exit code (\d+)', seen["report"])
        assert badge is not None
        assert badge.group(1) == verdict["verdict"] and int(badge.group(3)) == rc
        # an exit 2 / 3 / 130 after the verdict heads the page with ERROR (it read a plain PASS)
        title = re.search(r"<title>(.*)</title>", seen["report"])
        assert title is not None and ("ERROR" in title.group(1)) == (rc not in _VERDICT_EXITS.values())
        assert ('class="badge fail">ERROR</span>' in seen["report"]) == (rc not in _VERDICT_EXITS.values())
    # JUnit: green (no failure, no error) only for exit 0
    junit = seen["junit"]
    assert junit is not None
    red = int(junit.get("failures")) + int(junit.get("errors"))
    assert (red == 0) == (rc == 0), (rc, ET.tostring(junit)[:400])
    # GitHub outputs and step summary
    assert seen["outputs"].get("exit_code") == str(rc), seen["outputs"]
    assert seen["outputs"].get("verdict") in ("", verdict["verdict"])
    headline = seen["summary"].splitlines()[0] if seen["summary"] else ""
    assert ("✅ PASS" in headline and "ERROR" not in headline) == (rc == 0), headline
    # the terminal's verdict line: ERROR first for an exit 2 / 3 after the verdict (it read "PASS ... exit 3")
    printed = [line for line in seen["stdout"].splitlines() if line.strip() and not line.startswith("::")]
    if printed:
        word = verdict["verdict"].upper() if rc in _VERDICT_EXITS.values() else "ERROR"
        assert printed[0].startswith(f"{word}  eval "), printed[0]
        assert printed[0].endswith(
            f"exit {rc})" if word != "ERROR" else f"exit {rc}; checks {verdict['verdict'].upper()})"
        )
    # a step that fails with no failing check (or for exit 2/3) says why in an ::error annotation
    if rc not in (0, 4):
        assert seen["annotations"], seen["stdout"]
    else:
        assert not seen["annotations"], seen["annotations"]


def test_pass_fail_inconclusive_and_errors_agree_everywhere(tmp_path: Path) -> None:
    db = tmp_path / "store" / "mlflow.db"
    uri = f"sqlite:///{db}"

    passing = make_project(tmp_path / "pass")
    seen = _run(passing, "--tracking-uri", uri)
    _assert_agree(seen, 0)

    failing = make_project(tmp_path / "fail", agent="python:spine_agents:always_raises", cases=3)
    seen = _run(failing, "--tracking-uri", uri)
    _assert_agree(seen, 1)

    inconclusive = make_project(tmp_path / "inconclusive", min_cases=50)
    seen = _run(inconclusive, "--tracking-uri", uri)
    _assert_agree(seen, 4)

    # the MLflow run of each logged gate carries the verdict and the exit code verdict.json holds
    assert sorted(_mlflow_verdict_tags(db)) == ["fail 1", "inconclusive 4", "pass 0"]

    # a tracking server that is up but fails every call (its database down): found when the run is logged, exit 3
    # (one that does not answer at all now stops the gate before the replay, exit 2: test_newcomer19b)
    with failing_tracking_server() as failing_uri:
        down = make_project(tmp_path / "down")
        seen = _run(down, "--tracking-uri", failing_uri)
    _assert_agree(seen, 3)
    assert seen["verdict"]["verdict"] == "pass" and seen["verdict"]["mlflow"]["error"]
    assert "🛑 ERROR (exit code 3)" in seen["summary"].splitlines()[0]  # it said "✅ PASS"


def test_a_report_that_cannot_be_written_leaves_no_passing_verdict_or_green_junit(tmp_path: Path) -> None:
    """report.html is written after verdict.json and the JUnit file; failing there (a full disk, a folder in the
    way) was an internal error that left both saying pass."""
    root = make_project(tmp_path / "p")
    (root / "out" / "report.html").mkdir(parents=True)  # report.html cannot be written (as on a full disk)
    seen = _run(root, "--no-mlflow")
    assert seen["rc"] == 3
    errors = [line for line in seen["stderr"].splitlines() if line.startswith(("error", "internal error"))]
    assert errors == [
        "error: --out out: cannot write the run's files (Is a directory: out/report.html); free space on that disk, "
        "remove what is in the way or choose another --out, and rerun the gate"
    ]
    verdict = seen["verdict"]
    assert verdict["exit_code"] == 3, verdict  # it said pass / exit_code 0
    assert any("cannot write the run's files" in r for r in verdict["reasons"])
    junit = seen["junit"]
    assert junit.get("errors") == "1"  # it was all green
    run_suite = junit.find("testsuite[@name='gatekit.gate.run']")
    assert run_suite is not None and run_suite.find("testcase/error").get("type") == "exit_3"
    assert seen["outputs"] == {"verdict": "", "run_id": "", "report_path": "", "exit_code": "3"}
    assert seen["annotations"]


@pytest.mark.parametrize("exit_code", [2, 3, 130])
def test_junit_carries_any_run_level_exit(tmp_path: Path, exit_code: int) -> None:
    """A run that exits 130 (stopped while publishing) has a red JUnit file too; it only covered 2 and 3."""
    from gatekit.pipeline.model import Verdict
    from gatekit.report.junit import write_junit

    root = make_project(tmp_path / "p", cases=2)
    assert run_cli(root, "eval", "--no-mlflow", "-q").returncode == 0
    verdict = Verdict.from_file(root / "out" / "verdict.json")
    verdict.exit_code = exit_code
    verdict.reasons = ["stopped"]
    path = write_junit(verdict, root / "out" / "results.jsonl", tmp_path / "j.xml")
    root_el = ET.parse(path).getroot()
    assert root_el.get("errors") == "1"
    assert root_el.find("testsuite/testcase/error").get("type") == f"exit_{exit_code}"


def test_the_mlflow_run_carries_the_exit_code_the_gate_ends_with(
    store: tuple[str, str, Path],  # noqa: F811 - the fixture
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An alias moved during the run: the gate exits 3 after the MLflow run was logged as ``pass``. The run had
    no exit code at all (``tags.gatekit.verdict = 'pass'`` was all a search saw); now ``gatekit.exit_code`` is
    logged and set again when the promotion changes it."""
    import mlflow

    from gatekit.gate import run_gate

    uri, name, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    c = client(uri)
    c.set_registered_model_alias(name, "race19c", "1")
    moved: list[str] = []

    def emit(message: str) -> None:
        if "cases" in message and not moved:
            c.set_registered_model_alias(name, "race19c", "3")
            moved.append(message)

    root = project(tmp_path)
    result = run_gate(config(root, uri, f"models:/{name}/2", alias="race19c"), command="promote", emit=emit)
    assert moved and result.verdict.verdict == "pass" and result.exit_code == 3
    run = c.get_run(str(result.verdict.mlflow.run_id))
    assert run.data.tags["gatekit.verdict"] == "pass" and run.data.tags["gatekit.exit_code"] == "3"
    logged = json.loads(Path(c.download_artifacts(run.info.run_id, "verdict.json", str(tmp_path))).read_text())
    assert logged["exit_code"] == 3
    passing = run_gate(config(root, uri, f"models:/{name}/2", alias="race19c", out=root / "o2"), command="promote")
    assert passing.exit_code == 0
    assert c.get_run(str(passing.verdict.mlflow.run_id)).data.tags["gatekit.exit_code"] == "0"
