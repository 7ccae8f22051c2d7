"""``tools.limits.<tool>.max_calls_per_minute`` in the gate: counted on the case timestamps (the virtual clock)."""

from __future__ import annotations

from gatekit.governance import policy_from_dict
from gatekit.models import Outcome

POLICY = {
    "id": "rates",
    "version": "1",
    "rules": [{"id": "tools", "kind": "tools", "limits": {"send_*": {"max_calls_per_minute": 3}}}],
}


def _case(second: float | None) -> dict:
    case = {"id": f"c{second}", "input": "hi", "context": {}}
    if second is not None:
        minute, sec = divmod(second, 60)
        case["timestamp"] = f"2026-12-06T08:{int(minute):02d}:{sec:06.3f}Z"
    return case


def test_calls_per_minute_slide_over_the_case_timestamps():
    policy = policy_from_dict(POLICY)
    run = policy.new_run()
    calls = {"tool_calls": [{"name": "send_email", "arguments": {}}, {"name": "send_sms", "arguments": {}}]}
    assert policy.evaluate(_case(0), calls, run).outcome is Outcome.ALLOW  # 2 in the minute
    denied = policy.evaluate(_case(30), calls, run)  # 4 in (t-60, t]
    assert denied.outcome is Outcome.DENY
    assert denied.reasons == ["tools: tool 'send_*': 4 calls in a minute, limit 3 per minute"]
    one = {"tool_calls": [{"name": "send_email", "arguments": {}}]}
    # at 59 s the window (-1 s, 59 s] holds 0 s (2), 30 s (2) and this call: 5
    assert policy.evaluate(_case(59), one, run).outcome is Outcome.DENY
    # at 61 s the calls at 0 s left: 30 s (2) + 59 s (1) + this one = 4
    assert policy.evaluate(_case(61), one, run).outcome is Outcome.DENY
    # at 95 s: 59 s, 61 s and this one = 3, the limit
    assert policy.evaluate(_case(95), one, run).outcome is Outcome.ALLOW


def test_a_case_without_a_timestamp_is_not_counted_and_its_decision_says_so():
    policy = policy_from_dict(POLICY)
    run = policy.new_run()
    decision = policy.evaluate(_case(None), {"tool_calls": [{"name": "send_email", "arguments": {}}] * 5}, run)
    assert decision.outcome is Outcome.ALLOW
    assert decision.notes == ["tools: max_calls_per_minute not evaluated: no timestamp"]
