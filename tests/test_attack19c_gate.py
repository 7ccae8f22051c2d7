"""attack19c: outputs that overwrote inputs, a stop while publishing that left a green JUnit file, and a
regression from a zero baseline judged merely inconclusive.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_gate, attack_project, one_line_exit_2
from test_attack17_publish_interrupt import silent_server  # noqa: F401 - the fixture

ROWS = [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)]


# --- outputs that are inputs ------------------------------------------------------------------------------------


def test_junit_at_the_dataset_is_refused_and_the_dataset_kept(tmp_path: Path) -> None:
    """``--junit ds.jsonl`` replaced the golden dataset with JUnit XML (exit 0); a failed start removed it."""
    project = attack_project(tmp_path, ROWS)
    before = (project / "ds.jsonl").read_bytes()
    line = one_line_exit_2(attack_gate(project, "--no-mlflow", "--out", "out", "--junit", "./ds.jsonl"))
    assert "--junit ds.jsonl is the dataset file" in line
    assert (project / "ds.jsonl").read_bytes() == before
    # the same for a failing agent start (the stale-output clean-up removed the "old JUnit file")
    proc = attack_gate(project, "--no-mlflow", "--out", "out", "--junit", "ds.jsonl", agent="python:nowhere:run")
    assert proc.returncode == 2 and (project / "ds.jsonl").read_bytes() == before


@pytest.mark.parametrize("name", ["results.jsonl", "verdict.json"])
def test_a_dataset_inside_out_under_an_output_name_is_refused(tmp_path: Path, name: str) -> None:
    """A dataset kept as ``out/results.jsonl`` (or ``verdict.json``, a JSON Lines name) was overwritten by the run."""
    project = attack_project(tmp_path, ROWS)
    (project / "out").mkdir()
    dataset = project / "out" / name
    dataset.write_bytes((project / "ds.jsonl").read_bytes())
    before = dataset.read_bytes()
    proc = attack_gate(project, "--no-mlflow", "--out", "out", "--dataset", f"out/{name}")
    assert f"--out out: its {name} is the dataset file" in one_line_exit_2(proc)
    assert dataset.read_bytes() == before


def test_thresholds_through_a_symlink_and_junit_on_an_output_are_refused(tmp_path: Path) -> None:
    project = attack_project(tmp_path, ROWS)
    (project / "out").mkdir()
    os.symlink(project / "th.yaml", project / "out" / "report.html")  # the same file by another name
    line = one_line_exit_2(attack_gate(project, "--no-mlflow", "--out", "out"))
    assert "its report.html is the thresholds file" in line
    (project / "out" / "report.html").unlink()
    line = one_line_exit_2(attack_gate(project, "--no-mlflow", "--out", "out", "--junit", "out/verdict.json"))
    assert "is the run's own verdict.json" in line
    # a distinct path still works
    assert attack_gate(project, "--no-mlflow", "--out", "out", "--junit", "out/junit.xml").returncode == 0


# --- a stop while publishing ------------------------------------------------------------------------------------


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_while_publishing_turns_the_junit_file_red(
    tmp_path: Path,
    silent_server: str,  # noqa: F811 - the fixture
    sig: signal.Signals,
) -> None:
    """The JUnit file is written before MLflow logging; stopped there (exit 130) it stayed all green."""
    project = attack_project(tmp_path, ROWS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{project}"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:agent16:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml")]
    command += ["--out", "out", "--tracking-uri", silent_server, "--junit", "junit.xml"]
    outputs = project / "gh_output"
    env.update({"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(project / "s")})
    proc = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    junit = project / "junit.xml"
    try:
        deadline = time.monotonic() + 60
        while not junit.exists() and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        assert ET.parse(junit).getroot().get("errors") == "0"  # written green before logging to MLflow
        time.sleep(0.5)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (proc.returncode, err)
    root = ET.parse(junit).getroot()
    assert root.get("errors") == "1", ET.tostring(root)[:500]  # it stayed "0"
    assert root.find("testsuite[@name='gatekit.gate.run']/testcase/error").get("type") == "exit_130"
    assert json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))["exit_code"] == 130
    # the step outputs say so too (there were none: the action step saw no exit code)
    assert "exit_code=130" in outputs.read_text(encoding="utf-8").splitlines()
    assert "🛑 ERROR (exit code 130)" in (project / "s").read_text(encoding="utf-8")


# --- regression from a zero baseline ----------------------------------------------------------------------------


def test_a_relative_regression_from_a_zero_baseline_fails() -> None:
    """Cost from 0 to anything is +inf%: every resample says so. numpy's quantile of infinities is NaN, and the
    NaN interval made the check inconclusive (exit 4) with the interval shown as ``[+nan%, +nan%]``."""
    from gatekit.models import CheckStatus
    from gatekit.regression import regression_checks

    candidate = [{"case_id": f"c{i}", "ok": True, "latency_ms": 10.0, "cost_usd": 0.001} for i in range(6)]
    baseline = [{"case_id": f"c{i}", "ok": True, "latency_ms": 10.0, "cost_usd": 0.0} for i in range(6)]
    (check,) = regression_checks(candidate, baseline, {"cost_per_case_usd": "10%"})
    assert check.status is CheckStatus.FAIL, check
    assert check.interval == (float("inf"), float("inf"))
    assert "nan" not in check.message
    # one baseline case with a cost: the interval's upper end is open (+inf), the lower a finite ratio
    baseline[0]["cost_usd"] = 0.001
    (check,) = regression_checks(candidate, baseline, {"cost_per_case_usd": "10%"})
    assert check.interval is not None and check.interval[0] < check.interval[1] == float("inf")
    assert check.status is CheckStatus.FAIL and "nan" not in check.message
    # zero on both sides is no change
    (check,) = regression_checks(baseline[1:], baseline[1:], {"cost_per_case_usd": "10%"})
    assert check.status is CheckStatus.PASS and check.value == 0.0


# --- a stop while the checks are decided (after the replay, before publishing) ----------------------------------


def _unfinished(path: Path) -> bool:
    return path.exists() and "the run did not finish" in path.read_text(encoding="utf-8")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_while_deciding_the_checks_ends_with_130_and_no_verdict(tmp_path: Path, sig: signal.Signals) -> None:
    """Drift over a large production log runs after the replay; SIGTERM there killed gatekit silently (exit -15,
    no word) and Ctrl-C left the did-not-finish verdict.json (exit_code 3) behind an exit 130."""
    project = attack_project(tmp_path, ROWS)
    with open(project / "prod.jsonl", "w", encoding="utf-8") as handle:  # ~5 s of drift statistics
        for i in range(200_000):
            handle.write(json.dumps({"id": f"p{i}", "input": f"question {i % 97} about an order"}) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{project}"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:agent16:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml")]
    command += ["--out", "out", "--no-mlflow", "--production", "prod.jsonl"]
    proc = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results, verdict_path = project / "out" / "results.jsonl", project / "out" / "verdict.json"
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            rows = results.read_text(encoding="utf-8").count("\n") if results.exists() else 0
            if rows >= len(ROWS) and _unfinished(verdict_path):
                break
            time.sleep(0.02)
        time.sleep(0.3)
        assert proc.poll() is None, proc.communicate()  # still deciding (drift)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    # SIGTERM was -15 with no word; SIGINT -2 (duckdb re-raised it), or exit 1: duckdb turned the stop of a drift
    # query into its own error, reported as a failed drift check and published as a FAIL
    assert proc.returncode == 130, (proc.returncode, err)
    assert "interrupted" in err and "Traceback" not in err
    assert not verdict_path.exists()  # SIGINT left "did not finish", exit_code 3, behind an exit 130
    assert results.read_text(encoding="utf-8").count("\n") == len(ROWS)  # finished cases kept for --resume


# --- a disk that fills up during the replay ---------------------------------------------------------------------


def _file_size_limit(limit: int) -> None:  # runs in the child before exec: writes past ``limit`` bytes fail (EFBIG)
    import resource

    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # (the default action would kill the process instead)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_write_that_fails_during_the_replay_is_one_line_exit_3(tmp_path: Path) -> None:
    """A results.jsonl that cannot grow (a full disk; here the file-size limit, which needs no root) was an
    internal error after a stream of asyncio "Future exception was never retrieved" tracebacks."""
    rows = [json.dumps({"id": f"c{i}", "input": "x" * 3000}) for i in range(40)]
    project = attack_project(tmp_path, rows)
    (project / "echo19.py").write_text("def run(case_input):\n    return {'output': case_input}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{project}"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:echo19:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml")]
    command += ["--out", "out", "--no-mlflow", "--concurrency", "4"]
    proc = subprocess.run(
        command,
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=lambda: _file_size_limit(48_000),
    )
    assert proc.returncode == 3, (proc.returncode, proc.stderr[-2000:])
    assert "Traceback" not in proc.stderr and "never retrieved" not in proc.stderr, proc.stderr[-3000:]
    errors = [line for line in proc.stderr.splitlines() if line.startswith(("error", "internal error"))]
    assert len(errors) == 1 and "cannot write results.jsonl in the output folder" in errors[0], proc.stderr[-2000:]
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert (verdict["verdict"], verdict["exit_code"]) == ("fail", 3)  # did not finish: never a pass


def test_report_never_writes_over_the_verdict_it_renders(tmp_path: Path) -> None:
    """``gatekit report out/verdict.json --out out/verdict.json`` replaced the verdict with HTML (exit 0)."""
    project = attack_project(tmp_path, ROWS)
    assert attack_gate(project, "--no-mlflow", "--out", "out").returncode == 0
    verdict = project / "out" / "verdict.json"
    before = verdict.read_bytes()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    for target in ("out/verdict.json", "out/results.jsonl"):
        proc = subprocess.run(
            [sys.executable, "-m", "gatekit", "report", "out/verdict.json", "--out", target],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert "which the report is rendered from" in one_line_exit_2(proc)
    assert verdict.read_bytes() == before


EDITING_AGENT = """
import os
import pathlib
import threading


def run(case_input, context=None):
    dataset = pathlib.Path("ds.jsonl")
    text = dataset.read_text(encoding="utf-8")
    if "edited" not in text:  # the golden dataset changes while it is replayed
        # replaced whole (a temporary file per thread, then os.replace): cases run at once, and a write_text in
        # place let another case read the truncated file and write it back empty (a loaded CI run: ds.jsonl '')
        temporary = dataset.with_name(f"ds.{threading.get_ident()}.tmp")
        temporary.write_text(text.replace('"hi ', '"edited and much longer question '), encoding="utf-8")
        os.replace(temporary, dataset)
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_a_dataset_changed_during_the_replay_fails_the_drift_check(tmp_path: Path) -> None:
    """The drift check read the dataset file again after the replay: it compared production with the edited
    file while verdict.json named the sha256 of the one replayed."""
    rows = [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(30)]
    project = attack_project(tmp_path, rows)
    (project / "editor19.py").write_text(EDITING_AGENT, encoding="utf-8")
    (project / "prod.jsonl").write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    proc = attack_gate(
        project, "--no-mlflow", "--out", "out", "--production", "prod.jsonl", agent="python:editor19:run"
    )
    assert "edited" in (project / "ds.jsonl").read_text(encoding="utf-8")
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    (drift,) = [c for c in verdict["checks"] if c["name"] == "drift"]
    assert drift["status"] == "fail" and "ds.jsonl changed during the run" in drift["message"], drift
    assert proc.returncode == 1, proc.stderr


def test_out_inside_the_production_folder_is_refused(tmp_path: Path) -> None:
    """``--production logs --out logs/gate``: the drift check read the run's own replay_state.json, results.jsonl
    and verdict.json as production logs (a drift FAIL about "replay_state.json:1: invalid JSON")."""
    project = attack_project(tmp_path, ROWS)
    (project / "logs").mkdir()
    (project / "logs" / "day1.jsonl").write_text("".join(row + "\n" for row in ROWS), encoding="utf-8")
    proc = attack_gate(project, "--no-mlflow", "--out", "logs/gate", "--production", "logs")
    assert "--out logs/gate is inside --production logs" in one_line_exit_2(proc)
    assert not (project / "logs" / "gate" / "results.jsonl").exists()


CORRUPTING_AGENT = """
import pathlib

SEEN = []


def run(case_input, context=None):
    if not SEEN and pathlib.Path("out/results.jsonl").exists():  # an edit of results.jsonl during the run
        SEEN.append(1)
        # (the writer's own offset overwrites the start: the long line's tail stays between its rows and this one)
        with open("out/results.jsonl", "a", encoding="utf-8") as handle:
            handle.write("x" * 20000 + "\\n" + '{"case_id": "zz", "ok": true}\\n')
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_a_bad_results_line_found_while_publishing_is_one_exit_code_everywhere(tmp_path: Path) -> None:
    """results.jsonl edited during the run: the JUnit writer (the first reader) refuses it with exit 2, and
    verdict.json said exit_code 3 (the did-not-finish one, or the internal-error one)."""
    project = attack_project(tmp_path, ROWS)
    (project / "corrupt19.py").write_text(CORRUPTING_AGENT, encoding="utf-8")
    proc = attack_gate(
        project,
        "-q",
        "--no-mlflow",
        "--out",
        "out",
        "--junit",
        "j.xml",
        "--concurrency",
        "1",
        agent="python:corrupt19:run",
    )
    assert "results.jsonl:" in one_line_exit_2(proc)
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["exit_code"] == 2, verdict["reasons"]


@pytest.mark.parametrize(
    ("first", "second"),
    [("\u00e9", "e\u0301"), ("a", "a "), ("a\u0000", "a\\x00"), ("refund  1", "refund 1")],
)
def test_ids_that_reports_show_the_same_are_refused(tmp_path: Path, first: str, second: str) -> None:
    """Two ids that differ only in Unicode normalisation, spacing or an escaped control character were two cases
    to gatekit and one row name in report.html, JUnit and the step summary: a failure read as the other case's."""
    rows = [json.dumps({"id": first, "input": "one"}), json.dumps({"id": second, "input": "two"})]
    project = attack_project(tmp_path, rows)
    line = one_line_exit_2(attack_gate(project, "--no-mlflow", "--out", "out"))
    assert "ds.jsonl: 1 problem: line 2: id" in line and "is shown the same as id" in line, line
    # ids that only look alike to a person but are shown apart stay valid (case, a zero-width space is escaped)
    rows = [json.dumps({"id": i, "input": "x"}) for i in ("A", "a", "c", "c\u200b")]
    (project / "ds.jsonl").write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    assert attack_gate(project, "--no-mlflow", "--out", "out").returncode == 0
