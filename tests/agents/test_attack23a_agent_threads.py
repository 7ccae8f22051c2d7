"""attack23a: a thread an in-process agent leaves running does not keep gatekit alive after its verdict.

The interpreter joins every non-daemon thread (and every ThreadPoolExecutor worker) before it exits. A ``python:``
agent starting one it never stops (a poller started with ``daemon=False``, a refresher submitted to its executor)
kept ``gatekit eval`` running for ever once the verdict was written: the CI job hung until its own timeout. gatekit
now notes the threads agent code starts, and exits without waiting for them (one line on stderr), with its own exit
code and output.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_project

pytestmark = pytest.mark.slow

AGENT = """
import concurrent.futures, threading, time

_pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
_started = []
_lock = threading.Lock()

def _refresh():
    while True:
        time.sleep(0.05)

def run(case_input, context=None):
    with _lock:
        if _started:
            return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
        _started.append(_pool.submit(_refresh))  # a background refresher on the agent's executor, never stopped
        threading.Thread(target=_refresh, name="poller", daemon=False).start()  # and a poller, not a daemon
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_an_agent_thread_left_running_does_not_hold_the_exit(tmp_path: Path) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"q{i}"}) for i in range(3)])
    (project / "poller23a.py").write_text(AGENT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{project}"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:poller23a:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml")]
    try:
        proc = subprocess.run(
            [*command, "--out", "out", "--no-mlflow", "--json"],
            cwd=project,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        pytest.fail("gatekit did not exit: it waited for the agent's thread (its verdict was written)")
    assert proc.returncode == 0, (proc.returncode, proc.stderr[-2000:])
    assert json.loads(proc.stdout)["verdict"] == "pass"  # the whole --json output, flushed before the exit
    assert "threads the agent started still run" in proc.stderr, proc.stderr[-2000:]
