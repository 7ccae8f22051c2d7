"""prod20: ``gatekit watch`` keeps its rules' streaks when the log is rotated by copytruncate.

logrotate's ``copytruncate`` copies the log aside and truncates it in place; the guard appends to the same file. The
watch read the whole file at every poll, so after the truncation the bad windows before it were gone: two bad windows
before the rotation and one after never fired "error_rate > 1% for 3 consecutive windows" (the streak restarted at
1). The watch now copies the lines it reads; a file that is shorter than what was read, whose first bytes changed, or
that is another file under the name is read from its start again and its earlier rows stay judged. Real files
truncated in place, a real ``gatekit watch`` subprocess.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from canary.traffic import minute_rows
from gatekit.canary.follow import LogFollower

WINDOW_S = 2
PER_WINDOW = 20


def _append(path: Path, window_index: int, start: datetime, error_rate: float) -> None:
    rows = minute_rows(window_index, "canary", PER_WINDOW, error_rate=error_rate, start=start, window_s=WINDOW_S)
    rows += minute_rows(window_index, "baseline", PER_WINDOW, start=start, window_s=WINDOW_S)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows))


@pytest.mark.slow
def test_the_streak_survives_a_copytruncate_and_the_rule_fires(tmp_path: Path, repo_root: Path) -> None:
    logs = tmp_path / "production.jsonl"
    rotated = tmp_path / "rotated"
    rotated.mkdir()
    rules = tmp_path / "rollout.yaml"
    rules.write_text(
        f"window: {WINDOW_S}s\nmin_requests: 10\nrollback:\n  - 'error_rate > 1% for 3 consecutive windows'\n",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatekit", "watch", "--logs", str(logs), "--rules", str(rules), "--interval", "0.3",
         "--timeout", str(8 * WINDOW_S + 30)],
        cwd=repo_root, stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(repo_root)},
    )  # fmt: skip
    lines: list[str] = []
    ready, two_bad = threading.Event(), threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            ready.set() if line.startswith("watching") else None
            two_bad.set() if "canary 20 requests; streaks" in line and line.rstrip().endswith(": 2/3") else None

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(60), "".join(lines)
        first = int(time.time() // WINDOW_S) + 1
        start = datetime.fromtimestamp(first * WINDOW_S, UTC)
        for k in (0, 1):  # two bad windows before the rotation
            while time.time() < (first + k) * WINDOW_S:
                time.sleep(0.02)
            _append(logs, k, start, 0.2)
        assert two_bad.wait(3 * WINDOW_S + 10), "".join(lines)  # the watch judged both: streak 2 of 3
        assert time.time() < (first + 3) * WINDOW_S, "too slow to rotate within the third window"
        shutil.copy(logs, rotated / "production.jsonl.1")  # logrotate's copytruncate: copy aside, truncate in place
        os.truncate(logs, 0)
        _append(logs, 2, start, 0.2)  # the guard appends again: the third bad window
        assert proc.wait(timeout=4 * WINDOW_S + 30) == 1, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
    text = "".join(lines)
    assert "production.jsonl was truncated or replaced (log rotation): reading it from its start" in text, text
    fired = next(line for line in lines if line.startswith("ROLLBACK"))
    since = start.isoformat().replace("+00:00", "Z")
    assert f"bad since {since}" in fired, text  # the streak began before the rotation


def _jsonl(rows: list[dict[str, int]]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def test_a_file_truncated_and_written_past_its_old_length_between_polls_is_caught(tmp_path: Path) -> None:
    log = tmp_path / "production.jsonl"
    said: list[str] = []
    follower = LogFollower(str(log), tmp_path / "copies", said.append)
    (tmp_path / "copies").mkdir()
    before = _jsonl([{"n": i} for i in range(3)])
    log.write_text(before, encoding="utf-8")
    assert follower.paths() == [log]
    inode = log.stat().st_ino
    with log.open("r+", encoding="utf-8") as handle:  # in place (same inode), longer than before by the next poll
        handle.truncate(0)
        handle.write(_jsonl([{"n": 100 + i} for i in range(10)]))
    assert log.stat().st_ino == inode and log.stat().st_size > len(before)
    paths = follower.paths()
    assert len(paths) == 2 and paths[1] == log and said, said
    assert paths[0].read_text(encoding="utf-8") == before  # the rows before the truncation, exactly once


def test_a_half_written_line_waits_and_a_renamed_log_keeps_its_rows(tmp_path: Path) -> None:
    log = tmp_path / "production.jsonl"
    (tmp_path / "copies").mkdir()
    follower = LogFollower(str(log), tmp_path / "copies", lambda _: None)
    log.write_text('{"n": 1}\n{"n": 2', encoding="utf-8")  # the second row is being written
    follower.paths()
    with log.open("a", encoding="utf-8") as handle:
        handle.write("}\n")
    follower.paths()
    log.rename(tmp_path / "old.jsonl.1")  # rotation by rename (create): a new file under the name
    log.write_text('{"n": 3}\n', encoding="utf-8")
    paths = follower.paths()
    assert len(paths) == 2 and paths[1] == log
    assert paths[0].read_text(encoding="utf-8") == '{"n": 1}\n{"n": 2}\n'
    assert follower.paths() == paths  # nothing read twice
