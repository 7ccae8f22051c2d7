"""fix18a: a ``python:`` agent calling ``os._exit(0)`` no longer ends ``gatekit eval`` with exit 0 and no verdict.

``sys.exit`` was already an error of the case (test_attack17_agent_exit); ``os._exit`` skips every handler and
ended the process at once: a CI step gating on the exit code promoted. Now ``os._exit`` in agent code raises
there (the case errors, the gate fails); an exit gatekit cannot intercept (a thread the agent started itself)
leaves the failing verdict.json written before the replay.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_gate, attack_project

AGENTS = """
import os
import threading
import time

def sync_exit(case_input, context=None):
    os._exit(0)

async def async_exit(case_input, context=None):
    os._exit(0)

def swallowing(case_input, context=None):
    try:
        os._exit(0)
    except Exception:
        pass
    return {"output": "ok", "cost_usd": 0.0}

def posix_exit(case_input, context=None):
    import posix
    posix._exit(0)

def from_its_own_thread(case_input, context=None):
    threading.Thread(target=os._exit, args=(0,)).start()
    time.sleep(5)
    return {"output": "ok", "cost_usd": 0.0}

def forks_a_child(case_input, context=None):
    pid = os.fork()
    if pid == 0:
        os._exit(7)  # the child exits for real, with its own code
    _, status = os.waitpid(pid, 0)
    return {"output": str(os.waitstatus_to_exitcode(status)), "cost_usd": 0.0}
"""


def _project(tmp_path: Path) -> Path:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)])
    (project / "agent18x.py").write_text(AGENTS, encoding="utf-8")
    return project


def _run(project: Path, function: str) -> tuple[subprocess.CompletedProcess[str], dict, list[dict]]:
    proc = attack_gate(
        project,
        "--no-mlflow",
        "--out",
        "out",
        "--timeout",
        "10",
        "--concurrency",
        "2",
        agent=f"python:agent18x:{function}",
    )
    verdict_path = project / "out" / "verdict.json"
    verdict = json.loads(verdict_path.read_text(encoding="utf-8")) if verdict_path.exists() else {}
    results = project / "out" / "results.jsonl"
    rows = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()] if results.exists() else []
    return proc, verdict, rows


@pytest.mark.parametrize("function", ["sync_exit", "async_exit", "swallowing", "posix_exit"])
def test_os_exit_in_an_agent_fails_its_cases_and_the_gate(tmp_path: Path, function: str) -> None:
    proc, verdict, rows = _run(_project(tmp_path), function)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)  # was 0 with no verdict
    assert "Traceback" not in proc.stderr
    assert verdict["verdict"] == "fail" and verdict["exit_code"] == 1
    assert len(rows) == 3 and all(not r["ok"] and r["error_type"] == "exception" for r in rows), rows
    assert all("os._exit(0) called by agent code" in r["error_message"] for r in rows), rows


def test_os_exit_when_the_agent_module_is_imported_is_a_failed_start(tmp_path: Path) -> None:
    project = _project(tmp_path)
    (project / "agent18i.py").write_text("import os\nos._exit(0)\n\ndef run(x):\n    return 'ok'\n", encoding="utf-8")
    proc = attack_gate(project, "--no-mlflow", "--out", "out", agent="python:agent18i:run")
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)  # was 0, silent
    assert "importing agent18i failed: AgentExitCalled: os._exit(0) called by agent code" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_forked_child_of_the_agent_still_exits_with_its_own_code(tmp_path: Path) -> None:
    proc, verdict, rows = _run(_project(tmp_path), "forks_a_child")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert verdict["verdict"] == "pass"
    assert [r["ok"] for r in rows] == [True, True, True]
    assert {r["response"]["output"] for r in rows} == {"7"}  # the guard raises only in the gate's own process


def test_os_exit_from_a_thread_of_the_agent_leaves_a_failing_verdict(tmp_path: Path) -> None:
    project = _project(tmp_path)
    # the previous run in this folder passed: its verdict must not be what a vanished run leaves
    first = attack_gate(project, "--no-mlflow", "--out", "out")
    assert first.returncode == 0, first.stderr
    proc, verdict, _rows = _run(project, "from_its_own_thread")
    assert proc.returncode == 0  # os._exit(0) from a thread gatekit does not run: the process ended for real
    assert verdict["verdict"] == "fail", verdict
    assert verdict["exit_code"] != 0
    assert any("did not finish" in reason for reason in verdict["reasons"]), verdict["reasons"]


def test_the_guard_is_off_outside_agent_code_and_removed_after_the_last_user() -> None:
    code = (
        "import os, threading\n"
        "from gatekit.agents import exit_guard as g\n"
        "real = os._exit\n"
        "g.acquire(); g.acquire()\n"
        "assert os._exit is not real\n"
        "try:\n"
        "    with g.agent_code():\n"
        "        os._exit(5)\n"
        "except g.AgentExitCalled as exc:\n"
        "    print('raised', exc)\n"
        "g.release()\n"
        "assert os._exit is not real\n"
        "g.release()\n"
        "assert os._exit is real\n"
        "g.acquire()\n"
        "os._exit(9)  # outside agent code: a real exit\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env)
    assert proc.returncode == 9, proc.stderr
    assert "raised os._exit(5) called by agent code" in proc.stdout
