"""left22: ``gatekit watch`` warns when new rows are stamped before ``--since`` (a writer's clock behind).

Rows stamped before ``--since`` fit no window the watch judges, so a writer whose clock is behind was never seen: the
watch held at its timeout ("no canary data") with no word of the rows it was given. The mirror case, a clock ahead
(``AHEAD_TOLERANCE_S``, 60 s), already holds a decision. Now rows written during the watch and stamped more than
that allowance before ``--since`` are warned about, once; rows already in the log when the watch began are not.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from canary.traffic import minute_rows
from gatekit.canary.rules import load_rules
from gatekit.canary.watch import watch


def _append(path: Path, start: datetime) -> None:
    rows = minute_rows(0, "canary", 20, start=start, window_s=2) + minute_rows(0, "baseline", 20, start=start, window_s=2)
    with path.open("a", encoding="utf-8") as handle:
        handle.write("".join(json.dumps(r) + "\n" for r in rows))


def _watch(tmp_path: Path, behind_s: float | None) -> list[str]:
    tmp_path.mkdir(exist_ok=True)
    logs = tmp_path / "production.jsonl"
    _append(logs, datetime.now(UTC) - timedelta(hours=1))  # old rows: in the log before the watch began
    rules_file = tmp_path / "rollout.yaml"
    rules_file.write_text("window: 2s\nmin_requests: 10\nrollback:\n  - 'error_rate > 50% for 2 consecutive windows'\n")
    lines: list[str] = []

    def writer() -> None:  # a writer whose clock is behind by behind_s, after the first poll
        time.sleep(0.6)
        if behind_s is not None:
            _append(logs, datetime.now(UTC) - timedelta(seconds=behind_s))

    thread = threading.Thread(target=writer, daemon=True)
    thread.start()
    code = watch(str(logs), load_rules(rules_file), interval_s=0.2, timeout_s=1.6, emit=lines.append)
    thread.join()
    assert code in (0, 4), lines
    return lines


def test_rows_written_with_a_clock_ten_minutes_behind_are_warned_about(tmp_path: Path) -> None:
    lines = _watch(tmp_path, behind_s=600)
    warned = [line for line in lines if line.startswith("WARNING: ") and "writer's clock is behind" in line]
    assert len(warned) == 1, lines
    assert "40 new rows stamped before --since" in warned[0] and "more than the 60 s allowance" in warned[0]


def test_old_rows_alone_or_a_clock_within_the_allowance_say_nothing(tmp_path: Path) -> None:
    assert not [line for line in _watch(tmp_path, behind_s=None) if "clock is behind" in line]
    assert not [line for line in _watch(tmp_path / "b", behind_s=20) if "clock is behind" in line]
