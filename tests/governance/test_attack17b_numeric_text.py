"""attack17b: an amount the agent writes as text is ordered as the number the tool will read.

``tool.arguments.amount > 500`` denied ``{"amount": 900}`` and allowed ``{"amount": "900"}`` (a number and a
string were never ordered): an agent, or an injection steering it, evaded the author's limit by quoting the
number, and tools that coerce (pydantic, most JSON-schema validators in lax mode) paid 900. The gate and the guard
share the expression language; both are checked here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from gatekit.governance import policy_from_dict
from gatekit.governance.expressions import Expression
from gatekit.runtime import Enforcer
from gatekit.runtime.decision import PolicyViolation

LIMIT = {
    "id": "t",
    "version": "1",
    "rules": [
        {
            "id": "big-refund",
            "kind": "tools",
            "limits": {"refund": {"conditions": [{"when": "tool.arguments.amount > 500", "reason": "over 500"}]}},
        },
        {"id": "chain", "kind": "condition", "outcome": "require_review", "when": "100 < context.score <= 1000"},
    ],
}


@pytest.mark.parametrize(
    ("amount", "outcome"),
    [
        (900, "deny"),
        ("900", "deny"),
        (" 900 ", "deny"),
        ("900.50", "deny"),
        ("9e2", "deny"),
        ("1_000", "deny"),
        ("inf", "deny"),
        ("500", "allow"),
        ("12", "allow"),
        ("nine hundred", "allow"),
        ("900 USD", "allow"),
        (None, "allow"),
        ("9" * 65, "deny"),  # (attack20p: a long one is read too, by float(): it was allowed)
        ("0" * 70 + "900", "deny"),  # (attack20p: zeros in front were a way past the limit)
    ],
)
def test_a_numeric_string_is_ordered_as_its_number_in_the_gate_and_the_guard(
    tmp_path: Path, amount: Any, outcome: str
) -> None:
    case = {"id": "c", "input": "refund", "context": {}}
    call = {"name": "refund", "arguments": {"amount": amount}}
    gate = policy_from_dict(LIMIT).evaluate(case, {"output": "", "tool_calls": [call]})
    assert gate.outcome.value == outcome
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(LIMIT), encoding="utf-8")
    enforcer = Enforcer.from_file(path, background=False)
    guard = "allow"
    try:
        enforcer.check_tool_call("refund", {"amount": amount})
    except PolicyViolation:
        guard = "deny"
    enforcer.close()
    assert guard == outcome


@pytest.mark.parametrize(
    ("score", "fires"), [(500, True), ("500", True), ("1000", True), ("1001", False), ("100", False), ("x", False)]
)
def test_a_chained_comparison_reads_a_numeric_string_too(score: Any, fires: bool) -> None:
    decision = policy_from_dict(LIMIT).evaluate(
        {"id": "c", "input": "i", "context": {"score": score}}, {"output": "", "tool_calls": []}
    )
    assert ("chain" in [rule["id"] for rule in decision.rules]) is fires


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ('a > "5"', {"a": 900}, True),  # (a numeric literal string, a number read)
        ('a >= b', {"a": "7", "b": 7}, True),
        ('a < b', {"a": "900", "b": "5000"}, True),  # (attack20p: two numeric strings are two numbers: was text)
        ('a < b', {"a": "900", "b": "5000 USD"}, False),  # (a string that is no number: both ordered as text)
        ("a > 5", {"a": True}, False),  # a boolean is no number
        ("a > 5", {"a": [9]}, False),
        ("a > 5", {"a": "nan"}, False),
    ],
)
def test_only_a_number_against_a_numeric_string_changes(text: str, env: dict[str, Any], expected: bool) -> None:
    assert Expression(text)(env) is expected
