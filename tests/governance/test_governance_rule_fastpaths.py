"""The per-decision shortcuts of the small rules give what the generic paths give.

Comparisons against a literal are compiled to fused closures; they must equal the language's
reference comparison (``_compare``) on every kind of JSON value. The expression environment is
built per name from a table; it must equal the values the names have always had.
"""

from __future__ import annotations

import ast
from typing import Any

from gatekit.governance.expressions import Expression, _compare
from gatekit.governance.rules.base import ENV_NAMES, Evaluation

_VALUES = [None, True, False, 0, 1, 499, 500, 501, 500.0, 600.5, -1, "500", "production", "", [], {}, [500], {"a": 1}]
_OPS = {"==": ast.Eq(), "!=": ast.NotEq(), "<": ast.Lt(), "<=": ast.LtE(), ">": ast.Gt(), ">=": ast.GtE()}


def test_comparisons_against_a_literal_equal_the_reference_comparison() -> None:
    checked = 0
    for symbol, op in _OPS.items():
        for literal in ("500", "500.0", '"production"', "null", "true"):
            constant = ast.literal_eval(literal.replace("null", "None").replace("true", "True"))
            for left in ("tool.arguments.amount", "amount"):  # an attribute path and a plain name
                expression = Expression(f"{left} {symbol} {literal}")
                for value in _VALUES:
                    env = {"tool": {"arguments": {"amount": value}}, "amount": value}
                    assert expression(env) is _compare(op, value, constant), (left, symbol, literal, value)
                    checked += 1
    assert checked == len(_OPS) * 5 * 2 * len(_VALUES)


def test_a_path_through_a_non_mapping_reads_null() -> None:
    assert Expression("tool.arguments.amount == null")({"tool": {"arguments": "text"}}) is True
    assert Expression("tool.arguments.amount > 5")({"tool": {"arguments": [6]}}) is False
    assert Expression('context.env == "p"')({"context": None}) is False


def test_values_equal_the_environment_of_every_name() -> None:
    case = {
        "id": "c1",
        "tags": ["x"],
        "expected": {"tool_calls": []},
        "timestamp": "2026-11-02T09:30:00Z",
        "context": {"env": "production"},
        "input": {"messages": [{"role": "user", "content": "hello"}]},
    }
    response = {
        "output": "ok",
        "tool_calls": [{"name": "a", "arguments": {"x": 1}}, "not a call", {"arguments": {}}],
        "usage": {"input_tokens": 3},
        "model": "m",
        "latency_ms": 12.5,
        "error_type": None,
        "cost_usd": 0.01,
    }
    ev = Evaluation(case, response, None)
    env = ev.env()
    assert env == {
        "case": {"id": "c1", "tags": ["x"], "expected": {"tool_calls": []}, "timestamp": "2026-11-02T09:30:00Z"},
        "context": {"env": "production"},
        "input": "hello",
        "output": "ok",
        "latency_ms": 12.5,
        "error_type": None,
        "usage": {"input_tokens": 3},
        "cost_usd": 0.01,
        "model": "m",
        "tool_calls": [{"name": "a", "arguments": {"x": 1}}, {"arguments": {}}],
        "tool_names": ["a", ""],
        "time": {"epoch_s": 1793611800.0, "hour": 9, "minute": 30, "weekday": "mon", "minute_of_day": 570},
    }
    assert set(env) == ENV_NAMES - {"tool"}
    for name in ENV_NAMES - {"tool"}:
        assert ev.values((name,)) == {name: env[name]}
    assert ev.env({"name": "t"}, names=frozenset({"tool", "output"})) == {
        "output": "ok",
        "tool": {"name": "t", "arguments": {}},
    }
    # a case without a context, a response without usage
    bare = Evaluation({}, {}, None)
    assert bare.values(("context", "usage", "model", "tool_names")) == {
        "context": {},
        "usage": {},
        "model": None,
        "tool_names": [],
    }


def test_per_case_token_limits_fire_exactly_above_each_limit() -> None:
    """The per-case check is skipped when no use is over the lowest limit; each limit still fires on its own."""
    from gatekit.governance import policy_from_dict

    rule = {
        "id": "b",
        "kind": "token_budget",
        "per_case": {"input_tokens": 30, "output_tokens": 10, "total_tokens": 35},
    }
    policy = policy_from_dict({"id": "p", "version": "1", "rules": [rule]})
    expected_by_usage = {
        (10, 10): [],
        (10, 11): ["output_tokens 11 > per-case budget 10"],
        (25, 10): [],  # a use equal to its limit is within it
        (26, 10): ["total_tokens 36 > per-case budget 35"],
        (31, 0): ["input_tokens 31 > per-case budget 30"],
        (31, 5): ["input_tokens 31 > per-case budget 30", "total_tokens 36 > per-case budget 35"],
        # a negative count is no count (fix19d): it was added (-50 + 40 = -10, under every total); now the
        # input is estimated from the text (none: 0) and the total is 40
        (-50, 40): [
            "output_tokens 40 > per-case budget 10",
            "total_tokens 40 (estimated: usage not reported) > per-case budget 35",
        ],
        (0, 0): [],
    }
    for (used_in, used_out), expected in expected_by_usage.items():
        response = {"output": "", "usage": {"input_tokens": used_in, "output_tokens": used_out}}
        decision = policy.evaluate({"id": "c"}, response)
        assert [r["reason"] for r in decision.rules] == expected, (used_in, used_out)


def test_condition_rule_decides_as_the_plain_expression_on_every_call() -> None:
    """A seeded sweep: the split, name-filtered, lazily built condition fires exactly when the whole expression
    holds for some call, and names the calls it holds for (in order)."""
    import random

    from gatekit.governance import policy_from_dict

    whens = [
        'context.env == "production" and tool.name in ["refund", "return"] and tool.arguments.amount > 500',
        'tool.name in ["refund"] and context.env == "production" and tool.arguments.amount >= 100',
        'context.a / context.b > 1 and tool.name in ["refund"] and tool.arguments.amount > 5',
        'context.env != "staging" and (tool.name == "refund" or tool.arguments.amount > 700)',
        'tool.arguments.amount > 500 and tool.name in ["refund", "return"]',
        'output == "" and context.env == "production" and tool.name in ["return"]',
    ]
    rng = random.Random(13)
    names: list[Any] = ["refund", "return", "cancel", 7, None, ""]
    amounts: list[Any] = [None, 5, 100, 500, 501, 900, "900", True, 600.5]
    for when in whens:
        rule = {"id": "c", "kind": "condition", "when": when, "outcome": "require_review", "reason": "r"}
        policy = policy_from_dict({"id": "t", "version": "1", "rules": [rule]})
        plain = Expression(when)
        for _ in range(300):
            calls = []
            for _ in range(rng.randrange(0, 4)):
                call: dict[str, Any] = {"name": rng.choice(names)}
                if rng.random() < 0.8:
                    call["arguments"] = {"amount": rng.choice(amounts)} if rng.random() < 0.9 else "text"
                calls.append(call)
            context = {"env": rng.choice(["production", "staging", None]), "a": rng.choice([1, 4]), "b": 2}
            output = rng.choice(["", "x"])
            case = {"id": "k", "context": context}
            decision = policy.evaluate(case, {"output": output, "tool_calls": calls})
            env = {"context": context, "output": output}
            held = [
                str(c.get("name") or "")
                for c in calls
                if plain({**env, "tool": {"name": c.get("name"), "arguments": c.get("arguments") or {}}})
            ]
            expected = [f"c: r (tool call: {', '.join(held)})"] if held else []
            assert decision.reasons == expected, (when, calls, context, output)
