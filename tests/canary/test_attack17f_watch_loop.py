"""attack17f: ``gatekit watch`` judging rows the real runtime guard wrote, as a subprocess.

A watch that judged no canary window (the guard labelled its rows otherwise, or no canary row came) must not
end its --timeout with exit 0 "no rollback rule fired": no-data is never a pass.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from runtime.runtime_helpers import write_policy

from canary.guarded_traffic import DENY_RATE_RULES, ROOT, gatekit_cli, guarded_traffic, labelled


def _guarded_log(
    tmp_path: Path, start: datetime, *, variants: dict[str, str], deny_every: int | None, minutes: int = 5
) -> Path:
    """Five minutes of 20 guarded requests a minute per side; the canary side's guests are denied every Nth."""
    log = tmp_path / "logs" / "production.jsonl"
    log.parent.mkdir()
    return guarded_traffic(log, range(minutes), sides=labelled(**variants), deny_every=deny_every,
                           start=start.timestamp(), policy=write_policy(tmp_path))  # fmt: skip


def _watch(tmp_path: Path, logs: Path, since: datetime, timeout_s: int = 3) -> subprocess.CompletedProcess[str]:
    rules = tmp_path / "rollout.yaml"
    rules.write_text(DENY_RATE_RULES, encoding="utf-8")
    since_text = since.isoformat().replace("+00:00", "Z")
    return gatekit_cli("watch", "--logs", str(logs), "--rules", str(rules), "--since", since_text,
                       "--interval", "0.5", "--timeout", str(timeout_s))  # fmt: skip


def _start() -> datetime:
    return datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=6)


def test_guard_denials_fire_the_watch(tmp_path: Path) -> None:
    start = _start()
    log = _guarded_log(tmp_path, start, variants={"baseline": "baseline", "canary": "canary"}, deny_every=3)
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    canary = [r for r in rows if r["variant"] == "canary"]
    assert len(canary) == 100 and sum(r["outcome"] == "deny" for r in canary) == 35
    proc = _watch(tmp_path, log.parent, start)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "ROLLBACK" in proc.stderr


def test_a_watch_that_saw_no_canary_row_does_not_time_out_with_exit_0(tmp_path: Path) -> None:
    # the canary's guard labelled its rows "canary-v2"; the rules watch "canary": 35 % denials nobody judged
    start = _start()
    log = _guarded_log(tmp_path, start, variants={"baseline": "baseline", "canary": "canary-v2"}, deny_every=3)
    proc = _watch(tmp_path, log.parent, start)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "no rollback rule fired before the timeout" not in proc.stderr
    assert "no canary" in proc.stderr.lower() and "Traceback" not in proc.stderr


def test_a_watch_whose_log_never_appeared_does_not_time_out_with_exit_0(tmp_path: Path) -> None:
    proc = _watch(tmp_path, tmp_path / "never" / "*.jsonl", _start())
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "no rollback rule fired before the timeout" not in proc.stderr


def test_a_healthy_guarded_canary_still_times_out_with_exit_0(tmp_path: Path) -> None:
    start = _start()
    log = _guarded_log(tmp_path, start, variants={"baseline": "baseline", "canary": "canary"}, deny_every=None)
    proc = _watch(tmp_path, log.parent, start)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "no rollback rule fired before the timeout" in proc.stderr


def test_a_canary_that_stopped_writing_rows_does_not_time_out_with_exit_0(tmp_path: Path) -> None:
    # two healthy minutes, then the canary's guard wrote nothing more (crashed, or its traffic was cut): the
    # last windows have no canary row, and "nothing fired" would pass a canary nobody judged since
    start = _start()
    log = _guarded_log(tmp_path, start, variants={"baseline": "baseline", "canary": "canary"}, deny_every=None,
                       minutes=2)  # fmt: skip
    proc = _watch(tmp_path, log.parent, start)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "stopped receiving traffic" in proc.stderr and "no rollback rule fired" not in proc.stderr


def test_a_log_rotated_under_the_watch_is_not_nothing_fired(tmp_path: Path) -> None:
    # the watch judged the guard's rows, then logrotate renamed production.jsonl to production.jsonl.1: every
    # later poll must not fall back on the old judgement and end in exit 0 "nothing fired"
    start = _start()
    log = _guarded_log(tmp_path, start, variants={"baseline": "baseline", "canary": "canary"}, deny_every=None)
    rules = tmp_path / "rollout.yaml"
    rules.write_text(DENY_RATE_RULES, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    since_text = start.isoformat().replace("+00:00", "Z")
    command = [sys.executable, "-m", "gatekit", "watch", "--logs", str(log.parent), "--rules", str(rules),
               "--since", since_text, "--interval", "0.3", "--timeout", "8"]  # fmt: skip
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline() + proc.stderr.readline()  # "watching ..." then the first judged window
        assert "window" in first, first
        log.rename(log.with_name("production.jsonl.1"))
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 2, first + rest
    assert "production.jsonl.1" in rest and "no rollback rule fired" not in rest and "Traceback" not in rest
