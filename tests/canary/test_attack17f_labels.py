"""attack17f: the canary's guard wrote its rows without the label the rules filter on.

The stage holds (no canary row is no pass), and the hold now says which variant values the rows carry instead of
only "need 30 more canary requests" while 120 unlabelled canary rows sat in the log.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from runtime.runtime_helpers import write_policy

from gatekit.runtime import Enforcer

ROOT = Path(__file__).resolve().parents[2]
START = 1_780_000_020.0  # 2026-05-28T20:27:00Z
RULES = """\
window: 1m
stages: [10, 50, 100]
min_requests: 10
min_windows: 3
rollback:
  - rule: "deny_rate > 5% for 3 consecutive windows"
"""


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def test_canary_rows_without_the_label_hold_and_say_what_labels_there_are(tmp_path: Path) -> None:
    policy = write_policy(tmp_path)
    log = tmp_path / "production.jsonl"
    clock = Clock()
    guards = {
        "baseline": Enforcer.from_file(policy, log_to=log, variant="baseline", clock=clock),
        "canary": Enforcer.from_file(policy, log_to=log, agent_version="v2", clock=clock),  # no variant given
    }
    for minute in range(6):
        for i in range(20):
            clock.now = START + minute * 60 + i * 2.5
            for side, guard in guards.items():

                @guard.guard
                def agent(question: str, context: dict) -> dict:
                    return {"output": "Your order ships tomorrow.", "usage": {"input_tokens": 9, "output_tokens": 5}}

                role = "guest" if side == "canary" and i % 3 == 0 else "customer"
                try:
                    agent("Where is my order?", {"user": f"u{i}", "role": role, "env": "production"})
                except Exception:  # noqa: BLE001 - a denied request raises; its row is what counts
                    pass
    for guard in guards.values():
        guard.close()
    rules = tmp_path / "rollout.yaml"
    rules.write_text(RULES, encoding="utf-8")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "gatekit", "canary", "--logs", str(log), "--rules", str(rules),
               "--now", "2026-05-28T20:33:20Z", "--out", str(out), "--no-mlflow"]  # fmt: skip
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    report = json.loads((out / "canary.json").read_text(encoding="utf-8"))
    assert report["decision"] == "hold" and report["windows_with_data"] == 0
    shown = " ".join(report["reasons"])
    assert "no row in the period has variant 'canary'" in shown
    assert "'baseline' (120 rows)" in shown and "null (120 rows)" in shown
