"""attack21a: agent code stopping the gate's own process is an error of the case, not the user's Ctrl-C.

A ``python:`` agent calling ``_thread.interrupt_main()`` (some libraries do, to abort from a worker thread),
``os.kill(os.getpid(), SIGINT)``, ``os.killpg(0, SIGTERM)`` or ``signal.raise_signal(SIGTERM)`` was taken for the
user's Ctrl-C or a CI cancel: ``gatekit eval`` stopped with exit 130, "interrupted: ... rerun with --resume" (which
only did the same again) and no verdict. Like ``os._exit`` (attack17 / fix18a), these raise ``AgentExitCalled`` in
agent code now: the case fails and the run gets its verdict. A signal the agent sends to another process (a child
it started) is still sent, and a real signal to the gate still stops it (exit 130).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_project

AGENTS = """
import _thread, asyncio, os, signal, subprocess, sys, time


def interrupt_main(case_input, context=None):
    _thread.interrupt_main()
    time.sleep(0.5)  # (the simulated Ctrl-C arrived meanwhile)
    return "still here"


def kill_self(case_input, context=None):
    os.kill(os.getpid(), signal.SIGINT)
    time.sleep(0.5)
    return "still here"


def kill_group(case_input, context=None):
    os.killpg(0, signal.SIGTERM)
    time.sleep(0.5)
    return "still here"


def raise_signal(case_input, context=None):
    signal.raise_signal(signal.SIGTERM)
    return "still here"


async def async_interrupt(case_input, context=None):
    _thread.interrupt_main()
    await asyncio.sleep(0.5)
    return "still here"


def kill_a_child(case_input, context=None):
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    os.kill(child.pid, signal.SIGTERM)  # its own child: sent
    return f"child ended with {child.wait()}"


def slow(case_input, context=None):
    time.sleep(30)
    return "late"
"""
ROWS = [json.dumps({"id": f"c{i}", "input": f"q{i}"}) for i in range(2)]


def _command(function: str) -> list[str]:
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--thresholds", "th.yaml"]
    command += ["--agent", f"python:signal_agents21a:{function}", "--out", "out", "--no-mlflow", "--retries", "0"]
    return command + ["--policy", str(REPO_ROOT / "policies" / "default.yaml")]


def _gate(project: Path, function: str) -> subprocess.CompletedProcess[str]:
    """``gatekit eval`` in a session of its own: a signal to its process group (``killpg(0)``) must never reach pytest."""
    (project / "signal_agents21a.py").write_text(AGENTS, encoding="utf-8")
    env = {"PYTHONPATH": f"{REPO_ROOT}:{project}", "PATH": "/usr/bin:/bin"}
    return subprocess.run(
        _command(function), cwd=project, env=env, capture_output=True, text=True, timeout=120, start_new_session=True
    )


@pytest.mark.parametrize(
    ("function", "call"),
    [
        ("interrupt_main", "_thread.interrupt_main()"),
        ("kill_self", "SIGINT)"),
        ("kill_group", "os.killpg(0, SIGTERM)"),
        ("raise_signal", "signal.raise_signal(SIGTERM)"),
        ("async_interrupt", "_thread.interrupt_main()"),
    ],
)
def test_an_agent_stopping_the_gate_fails_its_case(tmp_path: Path, function: str, call: str) -> None:
    project = attack_project(tmp_path, ROWS)
    proc = _gate(project, function)
    assert proc.returncode == 1, (proc.returncode, proc.stderr[-1500:])  # was 130: "interrupted", no verdict
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert (verdict["verdict"], verdict["exit_code"]) == ("fail", 1)
    rows = [json.loads(line) for line in (project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 2
    for row in rows:
        assert row["error_type"] == "exception" and call in row["error_message"], row["error_message"]
        assert "would stop the gate" in row["error_message"]


def test_a_signal_to_the_agents_own_child_is_sent(tmp_path: Path) -> None:
    project = attack_project(tmp_path, ROWS)
    proc = _gate(project, "kill_a_child")
    assert proc.returncode == 0, proc.stderr[-1500:]
    rows = [json.loads(line) for line in (project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [row["response"]["output"] for row in rows] == [f"child ended with {-signal.SIGTERM}"] * 2


def test_a_real_ctrl_c_still_stops_the_gate(tmp_path: Path) -> None:
    project = attack_project(tmp_path, ROWS)
    (project / "signal_agents21a.py").write_text(AGENTS, encoding="utf-8")
    env = {"PYTHONPATH": f"{REPO_ROOT}:{project}", "PATH": "/usr/bin:/bin"}
    gate = subprocess.Popen(
        _command("slow"), cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        deadline = time.monotonic() + 60
        while not (project / "out" / "replay_state.json").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.0)  # the agent is inside its call, with the guard installed
        gate.send_signal(signal.SIGINT)
        _out, err = gate.communicate(timeout=60)
    finally:
        if gate.poll() is None:
            gate.kill()
    assert gate.returncode == 130, err[-1500:]
