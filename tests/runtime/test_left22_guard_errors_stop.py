"""left22: a guard error denies its request and counts as a denied request, so emergency stops see it.

docs/runtime.md: a request counts on the run counters "when it is denied", and any exception inside a check is a
DENY. Three guard errors (an unreadable context, a tool name that is no string, an input the rules cannot read)
left ``deny_count`` at 0: a ``deny_count >= 3`` emergency stop that three denials trip never opened the breaker.
"""

from __future__ import annotations

from typing import Any

import pytest

from gatekit.governance.policy import policy_from_dict
from gatekit.runtime.decision import PolicyViolation
from gatekit.runtime.enforcer import Enforcer

POLICY: dict[str, Any] = {
    "id": "left22-stop",
    "version": "1",
    "rules": [
        {"id": "tools", "kind": "tools", "allow": ["lookup"]},
        {"id": "stop", "kind": "emergency_stop", "when": "deny_count >= 3"},
    ],
}


def _guard_error(enforcer: Enforcer, how: str) -> None:
    context: Any = object() if how == "context" else None
    given: Any = {"bad": {1, 2}} if how == "input" else "hi"
    with pytest.raises(PolicyViolation) as info, enforcer.request(given, context) as scope:
        scope.check_request()
        scope.check_tool_call(123 if how == "tool" else "lookup", {})  # type: ignore[arg-type]
    assert info.value.rules == ["gatekit-guard"], str(info.value)


@pytest.mark.parametrize("how", ["context", "tool", "input"])
def test_three_guard_errors_trip_a_deny_count_stop(how: str) -> None:
    enforcer = Enforcer(policy_from_dict(POLICY))
    for _ in range(3):
        _guard_error(enforcer, how)
    with pytest.raises(PolicyViolation) as info, enforcer.request("hi") as scope:
        scope.check_tool_call("lookup", {})  # allowed by the rules: only the open breaker denies it
    assert "circuit breaker open: emergency stop 'stop'" in str(info.value), str(info.value)
    assert enforcer.stats()["guard_errors"] == 3


def test_a_request_with_two_guard_errors_counts_once() -> None:
    enforcer = Enforcer(policy_from_dict(POLICY))
    for _ in range(2):
        with enforcer.request("hi", object()) as scope:  # every check point of the request is a guard error
            for _ in range(3):
                with pytest.raises(PolicyViolation):
                    scope.check_tool_call("lookup", {})
    with enforcer.request("hi") as scope:
        assert scope.check_tool_call("lookup", {"q": 1}) == {"q": 1}  # 2 denied requests: under the stop
    assert enforcer.stats()["guard_errors"] == 6


def test_evaluate_mode_counts_them_too() -> None:
    seen: list[Any] = []
    enforcer = Enforcer(policy_from_dict(POLICY), mode="evaluate", on_decision=seen.append)
    for _ in range(3):
        with enforcer.request("hi", object()) as scope:
            scope.check_tool_call("lookup", {})  # recorded as a deny, let run
    with enforcer.request("hi") as scope:
        scope.check_tool_call("lookup", {})
    assert any("circuit breaker open" in " ".join(d.reasons) for d in seen[-1:]), seen[-1]
