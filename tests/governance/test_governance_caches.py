"""Caches and shortcuts on the decision hot path give the decisions the plain path would give.

* findings of short tool-argument strings are shared across cases (bounded, never the output);
* a ``condition`` whose first per-call operand is ``tool.name in [...]`` skips re-checking it;
* attribute chains (``tool.arguments.amount``) compile into one closure.
"""

from __future__ import annotations

from typing import Any

import pytest

from gatekit.governance import policy_from_dict
from gatekit.governance.detectors import DEFAULT_SCANNER, registry
from gatekit.governance.expressions import Expression
from gatekit.models import Outcome

EMAIL = "jane.doe@example.com"
ITEM = "1151293680"  # ten bare digits: a phone number in free text, an id under an id key


def _pii_policy() -> Any:
    rule = {"id": "pii", "kind": "sensitive_data", "actions": {"pii": "redact", "secrets": "deny"}}
    return policy_from_dict({"id": "t", "version": "1", "rules": [rule]})


def _decide(policy: Any, arguments: Any, output: str = "", run: Any = None) -> Any:
    response = {"output": output, "tool_calls": [{"name": "lookup", "arguments": arguments}]}
    return policy.evaluate({"id": "c", "input": "hi", "context": {}}, response, run)


@pytest.fixture(autouse=True)
def _empty_shared_cache() -> Any:
    DEFAULT_SCANNER.cache.clear()
    yield
    DEFAULT_SCANNER.cache.clear()


def test_a_cached_tool_argument_is_redacted_in_every_later_case() -> None:
    policy = _pii_policy()
    run = policy.new_run("r")
    first = _decide(policy, {"email": EMAIL}, run=run)
    assert EMAIL in DEFAULT_SCANNER.cache  # scanned once, kept for the next cases
    second = _decide(policy, {"email": EMAIL}, run=run)
    for decision in (first, second):
        assert decision.outcome is Outcome.ALLOW_WITH_REDACTION
        assert decision.redacted_tool_calls[0]["arguments"]["email"] == "[EMAIL_ADDRESS]"
        assert decision.redactions == {"EMAIL_ADDRESS": 1}
    assert second.reasons == first.reasons


def test_outputs_are_never_kept_across_cases() -> None:
    policy = _pii_policy()
    output = f"write to {EMAIL} please"
    decision = _decide(policy, {"order_id": "#W2378156"}, output=output)
    assert decision.redacted_output == "write to [EMAIL_ADDRESS] please"
    assert output not in DEFAULT_SCANNER.cache
    assert "#W2378156" in DEFAULT_SCANNER.cache


def test_the_identifier_filter_never_edits_the_shared_findings() -> None:
    """An id key drops the phone finding for that case only: the same digits under another key are a phone."""
    policy = _pii_policy()
    as_id = _decide(policy, {"item_id": ITEM})
    assert as_id.outcome is Outcome.ALLOW and as_id.redacted_tool_calls[0]["arguments"]["item_id"] == ITEM
    assert [f.type for f in DEFAULT_SCANNER.cache[ITEM]] == ["PHONE_NUMBER"]
    as_phone = _decide(policy, {"phone": ITEM})
    assert as_phone.outcome is Outcome.ALLOW_WITH_REDACTION
    assert as_phone.redacted_tool_calls[0]["arguments"]["phone"] == "[PHONE_NUMBER]"


def test_the_shared_cache_is_bounded_and_long_strings_are_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(registry, "_CACHE_MAX_ENTRIES", 50)
    policy = _pii_policy()
    for index in range(400):
        decision = _decide(policy, {"note": f"note {index}", "email": f"user{index}@example.com"})
        assert decision.redacted_tool_calls[0]["arguments"]["email"] == "[EMAIL_ADDRESS]"
        assert len(DEFAULT_SCANNER.cache) <= 50
    long_text = "x" * (registry._CACHE_MAX_CHARS + 1) + f" {EMAIL}"
    decision = _decide(policy, {"note": long_text})
    assert decision.redacted_tool_calls[0]["arguments"]["note"].endswith("[EMAIL_ADDRESS]")
    assert long_text not in DEFAULT_SCANNER.cache


def _refund_policy(when: str) -> Any:
    rule = {"id": "big", "kind": "condition", "when": when, "outcome": "require_review", "reason": "big"}
    return policy_from_dict({"id": "t", "version": "1", "rules": [rule]})


@pytest.mark.parametrize(
    ("calls", "expected"),
    [
        ([{"name": "refund", "arguments": {"amount": 900}}], Outcome.REQUIRE_REVIEW),
        ([{"name": "refund", "arguments": {"amount": 100}}], Outcome.ALLOW),
        ([{"name": "cancel", "arguments": {"amount": 900}}], Outcome.ALLOW),
        ([{"name": "cancel", "arguments": {"amount": 900}}, {"name": "refund", "arguments": {"amount": 501}}], None),
        ([{"name": 7, "arguments": {"amount": 900}}], Outcome.ALLOW),  # not a string: the operand is evaluated
        ([{"name": "refund", "arguments": "not a mapping"}], Outcome.ALLOW),
        ([{"name": "refund"}], Outcome.ALLOW),
    ],
)
def test_name_filtered_condition_matches_the_plain_expression(calls: list[Any], expected: Outcome | None) -> None:
    when = 'context.env == "production" and tool.name in ["refund", "return"] and tool.arguments.amount > 500'
    policy = _refund_policy(when)
    case = {"id": "c", "input": "hi", "context": {"env": "production"}}
    decision = policy.evaluate(case, {"output": "", "tool_calls": calls})
    plain = Expression(when)
    by_call = [
        bool(
            plain({"context": case["context"], "tool": {"name": c.get("name"), "arguments": c.get("arguments") or {}}})
        )
        for c in calls
    ]
    assert (decision.outcome is Outcome.REQUIRE_REVIEW) == any(by_call)
    if expected is not None:
        assert decision.outcome is expected
    if any(by_call):
        assert decision.reasons == ["big: big (tool call: refund)"]
    staging = policy.evaluate({**case, "context": {"env": "staging"}}, {"output": "", "tool_calls": calls})
    assert staging.outcome is Outcome.ALLOW


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"tool": {"arguments": {"order": {"amount": 3}}}}, 3),
        ({"tool": {"arguments": {"order": "text"}}}, None),  # a step that is not a mapping ends the walk
        ({"tool": {"arguments": None}}, None),
        ({"tool": ["arguments"]}, None),
        ({}, None),
    ],
)
def test_attribute_chains_read_nested_mappings_and_stop_at_anything_else(env: dict[str, Any], expected: Any) -> None:
    assert Expression("tool.arguments.order.amount")(env) == expected
    assert Expression("tool.arguments.order.amount == 3")(env) is (expected == 3)


def test_attribute_chains_still_refuse_private_names() -> None:
    from gatekit.governance.expressions import ExpressionError

    with pytest.raises(ExpressionError, match="__class__"):
        Expression("tool.arguments.__class__")
    with pytest.raises(ExpressionError, match="_secret"):
        Expression("tool._secret.value")
    with pytest.raises(ExpressionError, match="_env"):
        Expression("_env.value")


def test_calls_are_filtered_by_name_before_a_prefix_only_when_the_prefix_cannot_raise() -> None:
    safe = _refund_policy('context.env == "production" and tool.name in ["refund"] and tool.arguments.amount > 5')
    assert safe.rules[0].filter_first
    risky = _refund_policy('context.a / context.b > 1 and tool.name in ["refund"] and tool.arguments.amount > 5')
    assert not risky.rules[0].filter_first  # arithmetic: evaluated first, as written
    for policy, context in ((safe, {"env": "production"}), (risky, {"a": 4, "b": 2})):
        case = {"id": "c", "input": "hi", "context": context}
        other = policy.evaluate(case, {"output": "", "tool_calls": [{"name": "cancel", "arguments": {"amount": 9}}]})
        assert other.outcome is Outcome.ALLOW
        refund = policy.evaluate(case, {"output": "", "tool_calls": [{"name": "refund", "arguments": {"amount": 9}}]})
        assert refund.outcome is Outcome.REQUIRE_REVIEW
