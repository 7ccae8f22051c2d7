"""Round 19a: a long-running guard's per-user token budget meets users without end."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekit.runtime import Enforcer, PolicyViolation

POLICY = """\
id: per-user
version: "1"
rules:
  - id: user-budget
    kind: token_budget
    per_user_per_minute: 100
    outcome: deny
"""


def test_users_long_gone_are_forgotten_and_the_budget_still_holds_for_the_active_ones(tmp_path: Path) -> None:
    """Every user ever seen kept a window: a client sending a new `user` per request grew the guard without bound."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(POLICY)
    now = [1_800_000_000.0]
    guard = Enforcer.from_file(policy, clock=lambda: now[0])
    usage = {"input_tokens": 11, "output_tokens": 10}
    for number in range(12_000):  # a new user every 10 s for 33 hours
        now[0] += 10
        guard.check_response("fine", usage=usage, context={"user": f"user-{number}"})
    users = guard._run.rule_state["user-budget"].users  # the rule's windows, one per user still kept
    assert len(users) < 4_096 + 400, len(users)  # (every 4,096 new users, those silent for a window and an hour go)
    assert "user-11999" in users and "user-0" not in users
    # the budget still holds: the fifth answer of one user within a minute is over 100 tokens (21 each)
    for _ in range(4):
        now[0] += 1
        guard.check_response("fine", usage=usage, context={"user": "steady"})
    with pytest.raises(PolicyViolation) as over:
        guard.check_response("fine", usage=usage, context={"user": "steady"})
    assert over.value.rules == ["user-budget"]
