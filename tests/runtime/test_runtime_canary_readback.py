"""Rows the in-process guard writes are what ``gatekit canary`` reads: a faulty canary rolls back, a healthy one does not."""

from __future__ import annotations

import json
from pathlib import Path

from runtime.runtime_helpers import write_policy
from typer.testing import CliRunner

from gatekit.cli import app
from gatekit.runtime import Enforcer

START = 1_780_000_020.0  # epoch seconds, on a minute boundary
RULES = """\
window: 1m
stages: [10, 50, 100]
min_requests: 10
min_windows: 3
rollback:
  - rule: "error_rate > 5% for 3 consecutive windows"
compare:
  min_requests: 50
  metrics:
    error_rate: {allowed_increase: 5pp, critical: true}
"""


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> float:
        return self.now


def write_traffic(tmp_path: Path, *, canary_fails_every: int | None) -> Path:
    """Six minutes of 20 guarded requests per minute per variant; the canary's agent raises every Nth request."""
    policy = write_policy(tmp_path)
    log = tmp_path / "production.jsonl"
    clock = Clock()
    guards = {v: Enforcer.from_file(policy, log_to=log, variant=v, clock=clock) for v in ("baseline", "canary")}
    count = 0

    for minute in range(6):
        for i in range(20):
            clock.now = START + minute * 60 + i * 2.5
            for variant, guard in guards.items():
                count += 1
                failing = variant == "canary" and canary_fails_every and count % canary_fails_every == 0

                @guard.guard
                def agent(question: str, context: dict, failing: bool = bool(failing)) -> dict:
                    if failing:
                        raise TimeoutError("upstream timed out")
                    return {"output": "Your order ships tomorrow.", "usage": {"input_tokens": 9, "output_tokens": 5}}

                try:
                    agent("Where is my order #W2378156?", {"user": f"u{i}", "role": "customer", "env": "prod"})
                except TimeoutError:
                    pass
    for guard in guards.values():
        guard.close()
    return log


def canary(tmp_path: Path, log: Path) -> tuple[int, dict]:
    rules = tmp_path / "rollout.yaml"
    rules.write_text(RULES, encoding="utf-8")
    now = "2026-05-28T20:33:20Z"  # START + 6 minutes + a little
    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["canary", "--logs", str(log), "--rules", str(rules), "--now", now, "--out", str(out), "--no-mlflow"]
    )
    assert result.exit_code in (0, 1, 4), result.output
    return result.exit_code, json.loads((out / "canary.json").read_text(encoding="utf-8"))


def test_guard_rows_are_read_by_canary_and_a_failing_canary_rolls_back(tmp_path: Path) -> None:
    log = write_traffic(tmp_path, canary_fails_every=4)  # every 2nd canary request fails: 50 % errors
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 240 and {r["variant"] for r in rows} == {"baseline", "canary"}
    assert sum(r["error"] is not None for r in rows if r["variant"] == "canary") == 60
    code, report = canary(tmp_path, log)
    assert code == 1 and report["decision"] == "rollback"
    assert "error_rate" in json.dumps(report["reasons"])


def test_healthy_guard_rows_promote_to_the_next_stage(tmp_path: Path) -> None:
    log = write_traffic(tmp_path, canary_fails_every=None)
    code, report = canary(tmp_path, log)
    assert (code, report["decision"], report["next_stage"]) == (0, "promote", 50)
