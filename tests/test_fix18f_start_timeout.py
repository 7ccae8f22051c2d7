"""fix18f: an agent whose start never returns (a ``python:`` module import that hangs) is bounded by start_timeout.

Before: ``agent.start()`` imported the module on the gate's loop with no bound; ``gatekit eval`` never ended and left no
verdict. Now the import runs on a daemon thread, the start is abandoned after ``start_timeout`` seconds (gatekit.yaml /
GATEKIT_START_TIMEOUT, default 120) and the run fails as a failed start (exit 2, a failing verdict.json saying why).
SIGTERM or Ctrl-C during a hung start still ends the process with exit 130.
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
from conftest import REPO_ROOT, attack_gate, attack_project

HANGS = {
    "sleep": "import pathlib, time\npathlib.Path('importing').write_text('x')\ntime.sleep(3600)\n",
    "busy": "import pathlib\npathlib.Path('importing').write_text('x')\nwhile True:\n    pass\n",
}


def _project(tmp_path: Path, how: str) -> Path:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(2)])
    (project / "hang18f.py").write_text(HANGS[how] + "\ndef run(x):\n    return 'ok'\n", encoding="utf-8")
    return project


@pytest.mark.parametrize("how", sorted(HANGS))
def test_an_import_that_never_returns_fails_the_start_after_start_timeout(tmp_path: Path, how: str) -> None:
    project = _project(tmp_path, how)
    t0 = time.monotonic()
    proc = attack_gate(
        project, "--no-mlflow", "--out", "out", agent="python:hang18f:run", env={"GATEKIT_START_TIMEOUT": "2"}
    )
    elapsed = time.monotonic() - t0
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    assert elapsed < 60, elapsed
    assert "did not start within 2 s" in proc.stderr, proc.stderr
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail" and verdict["exit_code"] == 2, verdict
    assert verdict["reasons"][0].startswith("the agent failed to start: the agent did not start within 2 s")


def test_start_timeout_is_validated(tmp_path: Path) -> None:
    project = _project(tmp_path, "sleep")
    proc = attack_gate(project, "--no-mlflow", "--out", "out", env={"GATEKIT_START_TIMEOUT": "0"})
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "start_timeout" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "sigint"])
def test_a_signal_during_a_hung_start_ends_the_run_with_130(tmp_path: Path, sig: signal.Signals) -> None:
    project = _project(tmp_path, "sleep")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{project}"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:hang18f:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml")]
    command += ["--no-mlflow", "--out", "out"]
    proc = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not (project / "importing").exists():
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.05)
        time.sleep(0.3)
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, (proc.returncode, out, err)
    assert "Traceback" not in err
    assert (
        not (project / "out" / "verdict.json").exists()
        or json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))["verdict"] != "pass"
    )
