"""fix18b: a rollout named by its day (``canary-20261207``) was refused as "a phone/account number (7 or more
digits)". A calendar date (2000-2099, YYYYMMDD or YYYY-MM-DD) is now allowed in a variant label; any other run of 7+
digits is still refused, and the refusal says which date forms to use. The guard writes the label and the canary
judges the rows under it (real Enforcer, real ``gatekit canary`` subprocess on DuckDB)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gatekit.runtime import Enforcer

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "default.yaml"
DATED = ["canary-20261207", "canary-2026-12-07", "canary_2026.12.07", "canary-20261207-1530", "20261207"]
STILL_REFUSED = [
    "canary-2026120712",  # 10 digits: a date inside a longer number is no date
    "canary-20261307",  # month 13
    "canary-2026-1207",  # mixed separators
    "canary-20261207-5551234",  # a date followed by a phone number
    "canary-19261207",  # outside 2000-2099
    "canary-5551234567",
]


@pytest.mark.parametrize("label", DATED)
def test_a_dated_label_is_written_as_given(label: str, tmp_path: Path) -> None:
    log = tmp_path / "rows.jsonl"
    guard = Enforcer.from_file(POLICY, log_to=log, variant=label)
    with guard.request("Where is my order?", {"env": "production"}) as scope:
        scope.check_request()
    guard.close()
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["variant"] for r in rows] == [label]


@pytest.mark.parametrize("label", STILL_REFUSED)
def test_other_long_numbers_are_still_refused_saying_what_to_use(label: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=r"^variant: ") as caught:
        Enforcer.from_file(POLICY, log_to=tmp_path / "rows.jsonl", variant=label)
    message = str(caught.value)
    assert "YYYYMMDD" in message and "canary-20261207" in message, message
    assert label not in message  # the value is not echoed


def test_the_canary_judges_rows_under_a_dated_label(tmp_path: Path) -> None:
    """Guard-written rows of ``canary-20261207`` vs ``baseline``; ``gatekit canary`` names the dated label."""
    log = tmp_path / "production.jsonl"
    start = 1_780_000_020.0  # 2026-05-28T20:27:00Z
    now = [start]
    guards = {
        label: Enforcer.from_file(POLICY, log_to=log, variant=label, clock=lambda: now[0])
        for label in ("baseline", "canary-20261207")
    }
    for minute in range(6):
        for i in range(12):
            now[0] = start + minute * 60 + i * 5
            for guard in guards.values():
                with guard.request("Where is my order?", {"env": "production"}) as scope:
                    scope.check_request()
    for guard in guards.values():
        guard.close()
    rules = tmp_path / "rollout.yaml"
    rules.write_text(
        "window: 1m\nbaseline: baseline\ncanary: canary-20261207\nstages: [10, 50]\nmin_requests: 10\n"
        "min_windows: 3\nrollback:\n  - rule: \"error_rate > 50% for 3 consecutive windows\"\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "canary", "--logs", str(log), "--rules", str(rules),
         "--now", "2026-05-28T20:33:00Z", "--out", str(tmp_path / "out"), "--no-mlflow", "--json"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["decision"] == "promote" and report["variants"]["canary"] == "canary-20261207"
    assert report["windows_with_data"] == 6
    assert sum(w["canary"]["requests"] for w in report["windows"]) == 72
