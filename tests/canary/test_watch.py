"""``gatekit watch`` as a real subprocess on a file this test appends to in real time (2-second windows)."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from canary.traffic import minute_rows

WINDOW_S = 2
PER_WINDOW = 20

pytestmark = pytest.mark.slow


def _append(path: Path, window_index: int, start: datetime, error_rate: float) -> None:
    rows = minute_rows(window_index, "canary", PER_WINDOW, error_rate=error_rate, start=start, window_s=WINDOW_S)
    rows += minute_rows(window_index, "baseline", PER_WINDOW, start=start, window_s=WINDOW_S)
    with path.open("a", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in rows))
        fh.flush()


def test_watch_fires_within_one_window_of_the_third_bad_window(tmp_path: Path, repo_root: Path) -> None:
    logs = tmp_path / "production.jsonl"
    rules = tmp_path / "rollout.yaml"
    rules.write_text(
        f"window: {WINDOW_S}s\nmin_requests: 10\nrollback:\n  - 'error_rate > 1% for 3 consecutive windows'\n",
        encoding="utf-8",
    )
    marker = tmp_path / "rolled-back.txt"
    hook = f"{sys.executable} -c \"import os, pathlib; pathlib.Path(r'{marker}').write_text(os.environ['GATEKIT_ROLLBACK_SINCE'])\""
    # polls every 0.5 s (the default for 2 s windows: window / 4); each poll reads the whole file
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatekit", "watch", "--logs", str(logs), "--rules", str(rules), "--interval", "0.5",
         "--timeout", "120", "--on-rollback", hook],
        cwd=repo_root, stderr=subprocess.PIPE, text=True, env={**__import__("os").environ, "PYTHONPATH": str(repo_root)},
    )  # fmt: skip
    lines: list[str] = []
    ready = threading.Event()

    def read() -> None:
        assert proc.stderr is not None
        for line in proc.stderr:
            lines.append(line)
            if line.startswith("watching"):
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(60), "".join(lines)
        # from the next window boundary on: 2 bad (a spike too short), 1 good, then bad until it fires
        plan = [0.1] * 2 + [0.0] + [0.1] * 6
        first = int(time.time() // WINDOW_S) + 1
        start = datetime.fromtimestamp(first * WINDOW_S, UTC)
        third_bad_end = None
        exited_at = None
        for k, rate in enumerate(plan):
            while time.time() < (first + k) * WINDOW_S:
                if proc.poll() is not None:
                    break
                time.sleep(0.02)
            if proc.poll() is not None:
                exited_at = exited_at or time.time()
                break
            _append(logs, k, start, rate)
            if k == 5:  # windows 3..5 are the second spike's first three
                third_bad_end = (first + 6) * WINDOW_S
        while proc.poll() is None and time.time() < (third_bad_end or 0) + 5 * WINDOW_S:
            time.sleep(0.02)
        exited_at = exited_at or time.time()
        assert proc.wait(timeout=30) == 1, "".join(lines)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert third_bad_end is not None
    delay = exited_at - third_bad_end
    print(f"watch exited {delay:.2f} s after the third bad window ended")
    assert -0.1 <= delay <= WINDOW_S, (delay, "".join(lines))  # within one window of the third bad window's end
    text = "".join(lines)
    fired_line = next(line for line in lines if line.startswith("ROLLBACK"))
    since = datetime.fromtimestamp((first + 3) * WINDOW_S, UTC).isoformat().replace("+00:00", "Z")
    assert f"bad since {since}" in fired_line, text  # the 2-window spike did not fire it
    assert marker.read_text(encoding="utf-8") == since  # --on-rollback ran (argv, no shell) with the env
    assert "--on-rollback" in text and "exited 0" in text
