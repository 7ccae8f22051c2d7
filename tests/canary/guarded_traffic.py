"""Production logs written by the real runtime guard, and the real CLI run on them (rounds attack17f).

``guarded_traffic`` drives one ``Enforcer`` per side on a fake clock: 20 guarded requests a minute per side; the
canary side's guests (every ``deny_every``-th request) are denied by the policy of ``runtime_helpers.write_policy``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from runtime.runtime_helpers import write_policy

from gatekit.runtime import Enforcer

ROOT = Path(__file__).resolve().parents[2]
START = 1_780_000_020.0  # 2026-05-28T20:27:00Z, on a minute boundary

# the rollout rules the guard's logs are judged with: one-minute windows, three stages, a rollback list after it
ROLLOUT_HEAD = """\
window: 1m
stages: [10, 50, 100]
min_requests: 10
min_windows: 3
rollback:
"""
DENY_RATE_RULES = ROLLOUT_HEAD + '  - rule: "deny_rate > 5% for 3 consecutive windows"\n'


class Clock:
    """A clock the test sets: the guard's ``clock``."""

    def __init__(self, now: float = START) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def guarded_traffic(
    log: Path,
    minutes: range,
    *,
    sides: dict[str, dict[str, Any]],
    deny_every: int | None,
    start: float = START,
    policy: Path | None = None,
) -> Path:
    """Write ``log`` through one guard per side (``sides``: side -> Enforcer keywords such as ``variant``)."""
    policy_file = policy or write_policy(log.parent, name=f"policy-{log.name}.yaml")
    clock = Clock(start)
    guards = {side: Enforcer.from_file(policy_file, log_to=log, clock=clock, **kw) for side, kw in sides.items()}
    for minute in minutes:
        for i in range(20):
            clock.now = start + minute * 60 + i * 2.5
            for side, guard in guards.items():
                guest = side == "canary" and deny_every is not None and i % deny_every == 0

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
    if policy is None:
        policy_file.unlink()
    return log


def labelled(**labels: str) -> dict[str, dict[str, Any]]:
    """``sides`` of :func:`guarded_traffic` whose guards write the variant labels given (side=label)."""
    return {side: {"variant": label} for side, label in labels.items()}


def gatekit_cli(*args: str, timeout: int = 120) -> subprocess.CompletedProcess[str]:
    """``python -m gatekit ARGS`` of this checkout, as a subprocess."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], env=env, capture_output=True, text=True, timeout=timeout
    )
