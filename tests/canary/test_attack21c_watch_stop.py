"""Red team 21c: SIGTERM to ``gatekit watch`` after a rule fired (while --on-rollback runs) keeps the verdict.

The watch printed ROLLBACK, started the rollback command, and a SIGTERM (a CI job cancelled, a pod stopped) then
killed that command halfway (SIGKILL) and ended the watch with exit 130, "the watch ended without a decision".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from canary.traffic import minute_rows, stamp

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _start_watch(tmp_path: Path) -> tuple[subprocess.Popen[str], Path, Path]:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=6)
    rows = [
        r
        for m in range(5)
        for v in ("baseline", "canary")
        for r in minute_rows(m, v, 30, error_rate=0.5 if v == "canary" else 0.0, start=start)
    ]
    logs = tmp_path / "production.jsonl"
    logs.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    rules = tmp_path / "rollout.yaml"
    rules.write_text("min_requests: 10\nrollback:\n  - 'error_rate > 1% for 3 consecutive windows'\n", encoding="utf-8")
    started, finished = tmp_path / "hook-started", tmp_path / "hook-finished"
    hook = (
        f"{sys.executable} -c \"import pathlib, time; pathlib.Path(r'{started}').write_text('1'); time.sleep(2); "
        f"pathlib.Path(r'{finished}').write_text('rolled back')\""
    )
    command = [sys.executable, "-m", "gatekit", "watch", "--logs", str(logs), "--rules", str(rules)]
    command += ["--since", stamp(start), "--interval", "0.2", "--on-rollback", hook]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not started.exists():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    return proc, started, finished


def test_sigterm_while_the_rollback_command_runs_lets_it_finish_and_exits_1(tmp_path: Path) -> None:
    proc, _started, finished = _start_watch(tmp_path)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, out + err
    assert finished.read_text() == "rolled back"  # the rollback command was not cut short
    assert "ROLLBACK: rule" in err and "waiting for it to finish" in err and "exited 0" in err
    assert "the decision stands (exit 1)" in err and "without a decision" not in err and "Traceback" not in err


def test_a_second_sigterm_ends_the_command_and_still_exits_1(tmp_path: Path) -> None:
    proc, _started, finished = _start_watch(tmp_path)
    time.sleep(0.3)
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, out + err
    assert not finished.exists()  # ended on the second stop (SIGTERM to the command)
    assert "was stopped before it finished" in err and "check the rollback by hand" in err
    assert "the decision stands (exit 1)" in err and "Traceback" not in err
