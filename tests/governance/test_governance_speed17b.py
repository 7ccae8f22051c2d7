"""Round speed17b: the policy's own shortcuts give what the paths they stand for give.

The comparisons of a name or an attribute chain with a literal read the value without a getter call: they are held
to the same comparison written with subscripts (the general path) and to the language's documented rules. The
counting and emergency stops ``evaluate`` does inline are held to ``Policy.record``'s.
"""

from __future__ import annotations

import operator
from pathlib import Path
from typing import Any

import pytest

from gatekit.governance import load_policy
from gatekit.governance.expressions import Expression

ROOT = Path(__file__).resolve().parents[2]

_VALUES: list[Any] = [None, True, False, 0, 5, 6, 7.5, -1, 500, 501, "7", "x", "", [1], {"c": 9}, 2**70]


def _envs() -> list[dict[str, Any]]:
    envs: list[dict[str, Any]] = [{}, {"a": None}, {"a": "str"}, {"a": [1, 2]}, {"a": {"b": 3}}, {"a": {"b": None}}]
    for value in _VALUES:
        envs += [{"x": value}, {"a": {"b": value}}, {"a": {"b": {"c": value}}}, {"a": {"b": [value]}}]
    return envs


def _read(env: dict[str, Any], path: tuple[str, ...]) -> Any:
    """A missing key, or a step into a value that is not a mapping, reads null (the language's rule)."""
    value: Any = env
    for part in path:
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _as_number(value: Any) -> Any:
    """A number, or a string of at most 64 characters that int() or float() reads (attack17b: "900" > 500)."""
    if _is_number(value):
        return value
    if isinstance(value, str) and len(value) <= 64:
        for convert in (int, float):
            try:
                return convert(value)
            except ValueError:
                pass
    return None


_ORDER = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


@pytest.mark.parametrize("op", sorted(_ORDER))
@pytest.mark.parametrize("constant", [5, 2.5, 500, -1])
def test_ordering_against_a_number_as_the_general_path_and_the_rule(op: str, constant: float) -> None:
    """``x > 5`` and ``a.b.c > 5`` (shortcuts) = ``a["b"]["c"] > 5`` (general) = ordering of numbers (a numeric string read as its number)."""
    by_name = Expression(f"x {op} {constant}")
    by_chain = Expression(f"a.b.c {op} {constant}")
    by_subscript = Expression(f'a["b"]["c"] {op} {constant}')
    short_chain = Expression(f"a.b {op} {constant}")
    compare = _ORDER[op]
    checked = 0
    for env in _envs():
        for expression, path in ((by_name, ("x",)), (by_chain, ("a", "b", "c")), (short_chain, ("a", "b"))):
            value = _read(env, path)
            number = _as_number(value)
            expected = number is not None and bool(compare(number, constant))
            assert expression(env) is expected, (expression, env)
            checked += 1
        assert by_chain(env) is by_subscript(env), env
    assert checked == 3 * len(_envs())


@pytest.mark.parametrize("constant", ['"x"', "3", "0", "7.5", "null", "true", "false", '""'])
def test_equality_with_a_literal_as_the_general_path_and_the_rule(constant: str) -> None:
    """``a.b == "x"`` and ``a.b.c == 3`` (shortcuts) = the subscript form = the language's equality of the value read.

    (attack20p: the language's, not Python's: ``false == 0`` is false, ``"3" == 3`` is true.)
    """
    from gatekit.governance.expressions import _equal

    literal = Expression(constant)({})
    for source, subscript, path in (
        (f"a.b == {constant}", f'a["b"] == {constant}', ("a", "b")),
        (f"a.b.c == {constant}", f'a["b"]["c"] == {constant}', ("a", "b", "c")),
    ):
        chain, general = Expression(source), Expression(subscript)
        for env in _envs():
            expected = _equal(_read(env, path), literal)
            assert chain(env) is expected, (source, env)
            assert general(env) is expected, (subscript, env)


def _cases() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """Allowed, redacted, reviewed and denied cases; the denials stop the run after a few."""
    pairs = []
    for index in range(40):
        calls: list[dict[str, Any]] = [
            {"name": "find_user_id_by_email", "arguments": {"email": "jane.doe@example.com"}}
        ]
        if index % 3 == 0:
            calls.append({"name": "delete_database", "arguments": {}})  # outside the allow-list: deny
        if index % 5 == 1:
            calls = [{"name": "return_delivered_order_items", "arguments": {"order_id": "#W1", "amount": 900}}]
        case = {
            "id": f"c{index}",
            "input": "Where is my order?",
            "context": {"env": "production", "user": f"u{index % 4}"},
            "timestamp": f"2026-12-07T10:{index:02d}:00Z",
        }
        output = "Thanks, your order is on its way." if index % 2 else "Call me at +1 415 555 2671."
        pairs.append((case, {"output": output, "tool_calls": calls, "usage": {"input_tokens": 10, "output_tokens": 5}}))
    return pairs


def _state(run: Any) -> tuple[Any, ...]:
    return (
        run.cases,
        run.deny_count,
        run.review_count,
        run.redaction_count,
        run.error_count,
        sorted(run.rule_counts.items()),
        run.stop_reason,
        run.stop_rule,
        run.stopped_at_case,
    )


def test_evaluate_counts_and_stops_as_policy_record() -> None:
    """``evaluate`` (counting inline) and ``evaluate(record=False)`` + ``Policy.record`` leave the same run state."""
    policy = load_policy(ROOT / "policies" / "default.yaml")
    inline, outside = policy.new_run("a"), policy.new_run("b")
    outcomes = set()
    for case, response in _cases():
        first = policy.evaluate(case, response, inline)
        second = policy.evaluate(case, response, outside, record=False)
        policy.record(outside, second, case, response.get("error_type"))
        assert (first.outcome, first.rules, first.redacted_output, first.redactions) == (
            second.outcome,
            second.rules,
            second.redacted_output,
            second.redactions,
        )
        assert _state(inline) == _state(outside)
        outcomes.add(first.outcome.value)
    assert outcomes == {"allow_with_redaction", "require_review", "deny"}
    assert inline.stop_rule == "stop-on-violations" and inline.stopped_at_case == "c15"


def test_nothing_to_redact_keeps_the_response_and_a_redaction_copies() -> None:
    """Without a redaction the decision holds the response's own output and calls; with one, copies (response kept)."""
    policy = load_policy(ROOT / "policies" / "default.yaml")
    calls = [{"name": "get_order_details", "arguments": {"order_id": "#W2378156"}}]
    response = {"output": "Your order ships today.", "tool_calls": calls}
    decision = policy.evaluate({"id": "a", "input": "hi"}, response)
    assert decision.outcome.value == "allow" and decision.redactions == {}
    assert decision.redacted_output is response["output"]
    assert decision.redacted_tool_calls == calls and decision.redacted_tool_calls[0] is calls[0]
    email = [{"name": "find_user_id_by_email", "arguments": {"email": "jane.doe@example.com"}}]
    redacted = policy.evaluate({"id": "b", "input": "hi"}, {"output": "ok", "tool_calls": email})
    assert redacted.redacted_tool_calls == [
        {"name": "find_user_id_by_email", "arguments": {"email": "[EMAIL_ADDRESS]"}}
    ]
    assert email[0]["arguments"]["email"] == "jane.doe@example.com" and redacted.redactions == {"EMAIL_ADDRESS": 1}
