"""attack16: a watch whose log cannot be read when its --timeout comes does not say "nothing fired" (exit 0).

A poll that fails to read the log is retried (a line may be half-written); when the timeout came first, the
watch printed "no rollback rule fired before the timeout" and exited 0 though it had judged nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from canary.traffic import minute_rows, stamp

ROOT = Path(__file__).resolve().parents[2]


def _watch(logs: Path, since: datetime, timeout_s: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "gatekit", "watch", "--logs", str(logs), "--since", stamp(since)]
    return subprocess.run([*command, "--timeout", str(timeout_s)], env=env, capture_output=True, text=True, timeout=120)


def _rows(start: datetime) -> list[str]:
    return [json.dumps(r) for m in range(5) for v in ("baseline", "canary") for r in minute_rows(m, v, 40, start=start)]


def test_a_log_still_unreadable_at_the_timeout_is_exit_2_not_nothing_fired(tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=6)
    lines = _rows(start)
    lines.insert(len(lines) // 2, '{"schema_version": 1, "timestamp": "20')  # a broken line that stays broken
    logs = tmp_path / "rows.jsonl"
    logs.write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = _watch(logs, start, 3)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "no rollback rule fired" not in proc.stdout + proc.stderr
    assert str(logs) in proc.stderr and "Traceback" not in proc.stderr


def test_a_readable_quiet_log_still_times_out_with_exit_0(tmp_path: Path) -> None:
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=6)
    logs = tmp_path / "rows.jsonl"
    logs.write_text("\n".join(_rows(start)) + "\n", encoding="utf-8")
    proc = _watch(logs, start, 3)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no rollback rule fired before the timeout" in proc.stdout + proc.stderr
