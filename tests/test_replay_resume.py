"""Kill a real ``gatekit eval`` midway (SIGKILL, SIGTERM), resume it, and lose or repeat nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from spine_project import TESTS_DIR, make_project, run_cli

pytestmark = pytest.mark.slow

CASES = 120
AGENT = "python:agents.replay_agents:counted"


def start_eval(root: Path, call_log: Path) -> subprocess.Popen[str]:
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    env["PYTHONPATH"] = str(TESTS_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env.update({"GATEKIT_TEST_CALL_LOG": str(call_log), "GATEKIT_TEST_SLEEP_S": "0.05", "CI": "true"})
    return subprocess.Popen(
        [sys.executable, "-m", "gatekit", "eval"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def wait_for_rows(path: Path, at_least: int, proc: subprocess.Popen[str], timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if path.exists() and path.read_bytes().count(b"\n") >= at_least:
            return
        if proc.poll() is not None:
            raise AssertionError(f"gatekit ended before {at_least} rows: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.01)
    raise AssertionError(f"no {at_least} rows in {timeout_s}s")


def ids(path: Path) -> list[str]:
    return [json.loads(line)["case_id"] for line in path.read_text().splitlines()]


def test_sigkill_midway_then_resume_loses_and_repeats_nothing(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", agent=AGENT, cases=CASES)
    results = root / "out" / "results.jsonl"
    proc = start_eval(root, tmp_path / "calls-1.log")
    wait_for_rows(results, 30, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    before = results.read_bytes()
    whole = before[: before.rfind(b"\n") + 1]
    finished_before = ids(results) if before.endswith(b"\n") else [json.loads(x)["case_id"] for x in whole.splitlines()]
    assert 30 <= len(finished_before) < CASES
    with open(results, "ab") as handle:  # a kill in the middle of a write leaves half a row
        handle.write(b'{"case_id": "c11", "repeat": 0, "ok": tr')

    proc2 = run_cli(
        root, "eval", "--resume", env={"GATEKIT_TEST_CALL_LOG": str(tmp_path / "calls-2.log"), "CI": "true"}
    )
    assert proc2.returncode == 0, proc2.stderr
    assert f"resuming: {len(finished_before)} finished cases" in proc2.stderr

    after = results.read_bytes()
    assert after.startswith(whole)  # rows written before the kill are untouched
    final_ids = ids(results)
    assert sorted(final_ids) == sorted(f"c{i}" for i in range(CASES))  # every case exactly once
    rerun = (tmp_path / "calls-2.log").read_text().splitlines()
    assert not set(rerun) & {f"question {c[1:]}" for c in finished_before}  # no finished case ran again
    assert len(rerun) == CASES - len(finished_before)

    verdict = json.loads((root / "out" / "verdict.json").read_text())
    assert verdict["replay"]["resumed_cases"] == len(finished_before)
    assert verdict["replay"]["torn_bytes_dropped"] > 0
    assert verdict["metrics"]["cases"] == CASES
    traces = (root / "out" / "governance_traces.jsonl").read_text().splitlines()
    assert len({json.loads(t)["case_id"] for t in traces}) >= CASES - 1  # one trace may die with the kill

    # the same verdict an uninterrupted run gives
    full = run_cli(root, "eval", "--out", "full", env={"CI": "true"})
    assert full.returncode == 0, full.stderr
    uninterrupted = json.loads((root / "full" / "verdict.json").read_text())
    assert verdict["verdict"] == uninterrupted["verdict"] == "pass"
    for key in ("cases", "errors", "error_rate", "first_attempt_error_rate", "tokens_input", "tokens_output"):
        assert verdict["metrics"][key] == uninterrupted["metrics"][key], key
    assert verdict["governance"]["outcomes"] == uninterrupted["governance"]["outcomes"]
    assert [c["name"] for c in verdict["checks"]] == [c["name"] for c in uninterrupted["checks"]]
    assert [c["status"] for c in verdict["checks"]] == [c["status"] for c in uninterrupted["checks"]]


def test_sigterm_stops_cleanly_and_resume_finishes(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", agent=AGENT, cases=CASES)
    results = root / "out" / "results.jsonl"
    proc = start_eval(root, tmp_path / "calls-1.log")
    wait_for_rows(results, 10, proc)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=20)
    assert proc.returncode == 130, stderr
    assert "--resume" in stderr
    assert results.read_bytes().endswith(b"\n")  # only whole rows
    assert not (root / "out" / "verdict.json").exists()
    stopped_at = len(ids(results))
    assert stopped_at < CASES

    again = run_cli(root, "eval", "--resume", env={"CI": "true"})
    assert again.returncode == 0, again.stderr
    assert sorted(ids(results)) == sorted(f"c{i}" for i in range(CASES))


def test_resume_refuses_a_different_agent(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", agent=AGENT, cases=3)
    assert run_cli(root, "eval", env={"CI": "true"}).returncode == 0
    proc = run_cli(root, "eval", "--resume", "--agent", "python:agents.replay_agents:instant")
    assert proc.returncode == 2
    assert "different agent" in proc.stderr and "--resume" in proc.stderr
