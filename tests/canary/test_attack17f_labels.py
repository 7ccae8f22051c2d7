"""attack17f: the canary's guard wrote its rows without the label the rules filter on.

The stage holds (no canary row is no pass), and the hold now says which variant values the rows carry instead of
only "need 30 more canary requests" while 120 unlabelled canary rows sat in the log.
"""

from __future__ import annotations

import json
from pathlib import Path

from canary.guarded_traffic import DENY_RATE_RULES, gatekit_cli, guarded_traffic


def test_canary_rows_without_the_label_hold_and_say_what_labels_there_are(tmp_path: Path) -> None:
    log = tmp_path / "production.jsonl"
    sides = {"baseline": {"variant": "baseline"}, "canary": {"agent_version": "v2"}}  # (no variant given)
    guarded_traffic(log, range(6), sides=sides, deny_every=3)
    rules = tmp_path / "rollout.yaml"
    rules.write_text(DENY_RATE_RULES, encoding="utf-8")
    out = tmp_path / "out"
    proc = gatekit_cli("canary", "--logs", str(log), "--rules", str(rules), "--now", "2026-05-28T20:33:20Z",
                       "--out", str(out), "--no-mlflow")  # fmt: skip
    assert proc.returncode == 4, proc.stdout + proc.stderr
    report = json.loads((out / "canary.json").read_text(encoding="utf-8"))
    assert report["decision"] == "hold" and report["windows_with_data"] == 0
    shown = " ".join(report["reasons"])
    assert "no row in the period has variant 'canary'" in shown
    assert "'baseline' (120 rows)" in shown and "null (120 rows)" in shown
