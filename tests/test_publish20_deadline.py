"""publish20: a stop while publishing to MLflow always ends the gate; all of MLflow publishing has one deadline.

A stop (SIGTERM, Ctrl-C) raises in the gate's main thread; where that thread was running a finalizer (``__del__`` of
a closing connection or response, under load) the exception was swallowed there and only remembered, and the gate
went on waiting on a tracking server that never answers: 3 x 30 s (MLflow's timeout and retries) before it acted on
the stop (CI: ``test_a_stop_while_publishing_marks_verdict_json_interrupted[15]`` saw no exit within 60 s). Each
MLflow request now runs on a worker thread while the main thread waits in short slices that look at the stop.

And a server that answers slowly held the gate for requests x retries x timeout: ``publish_timeout``
(``--publish-timeout``, ``GATEKIT_PUBLISH_TIMEOUT``, default 120 s) bounds them all together (exit 3 past it).
Real subprocesses, real HTTP servers on 127.0.0.1, real signals.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_project, slow_tracking_server

pytestmark = pytest.mark.slow

# The gate's CLI with one addition: SIGUSR1 runs a finalizer in which SIGTERM arrives. The stop's handler then runs
# inside ``__del__`` and its exception is swallowed there: what a SIGTERM landing while a finalizer ran did.
DRIVER = """
import os
import signal
import sys


class Closing:
    def __del__(self):
        os.kill(os.getpid(), signal.SIGTERM)
        for _ in range(100_000):  # the stop's handler runs here, inside the finalizer
            pass


def finalize(_signum, _frame):
    Closing()  # dropped at once: its finalizer runs now


signal.signal(signal.SIGUSR1, finalize)
from gatekit.cli import main

main()
"""


def _gate(project: Path, uri: str, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    full_env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{project}"
    full_env.update(env or {})
    (project / "driver.py").write_text(DRIVER, encoding="utf-8")
    command = [sys.executable, "driver.py", "eval", "--dataset", "ds.jsonl", "--agent", "python:agent16:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml")]
    command += ["--out", "out", "--tracking-uri", uri, *args]
    return subprocess.Popen(
        command, cwd=project, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_published(proc: subprocess.Popen[str], verdict_path: Path) -> float:
    """Wait until verdict.json holds the run's own verdict (publishing began); the monotonic time then."""
    deadline = time.monotonic() + 90
    while proc.poll() is None and time.monotonic() < deadline:
        if verdict_path.exists() and "the run did not finish" not in verdict_path.read_text(encoding="utf-8"):
            return time.monotonic()
        time.sleep(0.05)
    raise AssertionError(("publishing never began", proc.poll()))


def _project(tmp_path: Path) -> Path:
    return attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)])


def test_a_stop_swallowed_by_a_finalizer_while_publishing_still_ends_the_gate(tmp_path: Path) -> None:
    project = _project(tmp_path)
    with slow_tracking_server(0, status=None) as uri:  # accepts every request, never answers one
        proc = _gate(project, uri)
        try:
            _wait_published(proc, project / "out" / "verdict.json")
            time.sleep(1.0)  # waiting on the server now
            proc.send_signal(signal.SIGUSR1)
            stopped = time.monotonic()
            _out, err = proc.communicate(timeout=45)  # it waited 3 x 30 s for the server before
            took = time.monotonic() - stopped
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 130, (proc.returncode, err)
    assert took < 30, took
    assert "Traceback" not in err and "Exception ignored" not in err and "interrupted" in err, err
    final = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert final["exit_code"] == 130, final
    assert any("interrupted while publishing" in reason for reason in final["reasons"]), final["reasons"]


@pytest.mark.parametrize("how", ["flag", "env"])
def test_a_slow_tracking_server_is_given_up_at_the_publish_timeout(tmp_path: Path, how: str) -> None:
    # every attempt answers 503 after 1.5 s (under MLflow's 2 s request timeout); 10 retries (MLflow's most): one
    # request alone held the gate for 16.5 s, and a gate makes a dozen of them
    slow = {
        "MLFLOW_HTTP_REQUEST_TIMEOUT": "2",
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "10",
        "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
        "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    }
    project = _project(tmp_path)
    with slow_tracking_server(1.5) as uri:
        if how == "flag":
            proc = _gate(project, uri, "--publish-timeout", "2", env=slow)
        else:
            proc = _gate(project, uri, env={**slow, "GATEKIT_PUBLISH_TIMEOUT": "2"})
        try:
            began = _wait_published(proc, project / "out" / "verdict.json")
            out, err = proc.communicate(timeout=60)
            took = time.monotonic() - began
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
    assert proc.returncode == 3, (proc.returncode, out, err)
    assert took < 12, took  # 2 s, and the process's own exit
    assert "Traceback" not in err, err
    final = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert final["exit_code"] == 3, final
    reason = next(r for r in final["reasons"] if r.startswith("MLflow logging failed"))
    assert "did not finish within the publish timeout (2 s" in reason, reason
    assert "--publish-timeout" in reason and final["mlflow"]["run_id"] is None
