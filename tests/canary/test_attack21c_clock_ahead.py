"""Red team 21c: a writer whose clock is ahead hid its failed requests from ``gatekit canary`` and ``watch``.

One canary pod's clock runs an hour ahead; every request it answered failed. Its rows are stamped after the current
time, so no window of the period held them: the stage was promoted (exit 0) and the watch timed out with "nothing
fired" (exit 0). Rows stamped past the wall clock now hold the stage (exit 4), naming how many and how far ahead.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from canary.traffic import minute_rows, stamp, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.slow


def _rows(start: datetime, minutes: int, per_minute: int, skewed_per_minute: int) -> list[dict[str, Any]]:
    rows = []
    for m in range(minutes):
        rows += minute_rows(m, "baseline", per_minute, start=start)
        rows += minute_rows(m, "canary", per_minute, start=start)
        ahead = minute_rows(m, "canary", skewed_per_minute, error_rate=1.0, start=start + timedelta(hours=1), seed=7)
        rows += [{**r, "request_id": f"pod-b-{r['request_id']}"} for r in ahead]  # pod b: clock 1 h ahead
    return rows


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], env=env, capture_output=True, text=True, timeout=180, check=False
    )


def test_canary_rows_stamped_after_the_current_time_hold_the_stage(tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=11)
    logs = write_jsonl(tmp_path / "production.jsonl", _rows(start, 10, 200, 40))
    out = tmp_path / "report"
    proc = _run("canary", "--logs", str(logs), "--since", stamp(start), "--no-mlflow", "--out", str(out), "--json")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["decision"] == "hold" and data["next_stage"] is None
    assert data["rows_ahead_of_now"] == {"baseline": 0, "canary": 400}
    assert data["reasons"][0].startswith("inconclusive: rows stamped after the current time (400 'canary'; the first")
    assert "min ahead of" in data["reasons"][0] and "fix the clock" in data["reasons"][0]
    assert data["rows_seen"] == 4000  # the rows in the period: pod b's are in none of its windows


def test_with_now_given_later_rows_are_the_traffic_after_the_period(tmp_path: Path) -> None:
    """``--now`` judges a finished period: rows after it are not a clock ahead (the log went on), as before."""
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=11)
    logs = write_jsonl(
        tmp_path / "production.jsonl", _rows(start, 10, 200, 0) + minute_rows(30, "canary", 50, start=start)
    )
    now = stamp(start + timedelta(minutes=10))
    proc = _run("canary", "--logs", str(logs), "--now", now, "--no-mlflow", "--out", str(tmp_path / "r"), "--json")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads(proc.stdout)
    assert data["decision"] == "promote" and data["rows_ahead_of_now"] is None


def test_watch_ends_a_timeout_with_hold_when_rows_are_stamped_ahead(tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=7)
    logs = write_jsonl(tmp_path / "production.jsonl", _rows(start, 6, 40, 10))
    proc = _run("watch", "--logs", str(logs), "--since", stamp(start), "--timeout", "1", "--interval", "0.5")
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "HOLD: inconclusive: rows stamped after the current time (60 'canary'" in proc.stderr
    assert "no rollback rule fired" not in proc.stderr
