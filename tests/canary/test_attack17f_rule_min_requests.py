"""attack17f: a rollback rule that judged no window (its own min_requests above the traffic) does not pass a stage.

The real guard denied 35 % of the canary's 20 requests a minute; the deny rule asked for 30 requests a window, so
every window was no-data for it while the stage's min_requests (10) counted six windows with data: ``gatekit canary``
promoted, the deny rule never having judged a window.
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
  - {{rule: "deny_rate > 5% for 3 consecutive windows", min_requests: {deny_min}}}
  - rule: "error_rate > 50% for 3 consecutive windows"
"""


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def _guarded_log(tmp_path: Path, *, background: bool) -> Path:
    policy = write_policy(tmp_path)
    log = tmp_path / "production.jsonl"
    clock = Clock()
    guards = {
        v: Enforcer.from_file(policy, log_to=log, variant=v, clock=clock, background=background)
        for v in ("baseline", "canary")
    }
    for minute in range(6):
        for i in range(20):
            clock.now = START + minute * 60 + i * 2.5
            for variant, guard in guards.items():
                guest = variant == "canary" and i % 3 == 0

                @guard.guard
                def agent(question: str, context: dict) -> dict:
                    return {"output": "Your order ships tomorrow.", "usage": {"input_tokens": 9, "output_tokens": 5}}

                try:
                    agent("Where is my order?", {"user": f"u{i}", "role": "guest" if guest else "customer",
                                                 "env": "production"})  # fmt: skip
                except Exception:  # noqa: BLE001 - a denied request raises; its row is what counts
                    pass
    for guard in guards.values():
        guard.close()
    return log


def _canary(tmp_path: Path, log: Path, deny_min: int) -> tuple[int, dict, str]:
    rules = tmp_path / "rollout.yaml"
    rules.write_text(RULES.format(deny_min=deny_min), encoding="utf-8")
    out = tmp_path / f"out{deny_min}"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "gatekit", "canary", "--logs", str(log), "--rules", str(rules),
               "--now", "2026-05-28T20:33:20Z", "--out", str(out), "--no-mlflow"]  # fmt: skip
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    return proc.returncode, json.loads((out / "canary.json").read_text(encoding="utf-8")), proc.stdout + proc.stderr


def test_a_rule_that_judged_no_window_holds_the_stage(tmp_path: Path) -> None:
    log = _guarded_log(tmp_path, background=True)
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    canary = [r for r in rows if r["variant"] == "canary"]
    assert len(canary) == 120 and sum(r["outcome"] == "deny" for r in canary) == 42
    code, report, output = _canary(tmp_path, log, deny_min=30)
    assert (code, report["decision"]) == (4, "hold"), output
    deny_rule = report["rules"][0]
    assert (deny_rule["ok_windows"], deny_rule["bad_windows"], deny_rule["no_data_windows"]) == (0, 0, 6)
    assert any("judged only 0 window" in reason for reason in report["reasons"]), report["reasons"]
    # the same rows with a rule that can judge them: the guard's denials roll the canary back
    code, report, output = _canary(tmp_path, log, deny_min=10)
    assert (code, report["decision"]) == (1, "rollback"), output
    assert report["rules"][0]["fired"] and report["rules"][0]["bad_windows"] == 6
