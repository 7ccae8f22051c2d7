"""fix19d: token usage an agent or upstream does not report is not zero; per-name caches hold short names only.

A response without usage (missing, null, ``{}``, a count missing, a value that is no count) was counted as 0 tokens:
every token budget silently passed it. Now the missing counts are estimated from the text the rule sees and the
decision says so. Real parts: the default policy pack, the policy loader, the governance summary.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pytest

from gatekit.governance import load_policy
from gatekit.governance.policy import policy_from_dict
from gatekit.governance.rules import base as rules_base
from gatekit.governance.rules.base import MAX_CACHED_NAME, ArgumentKeys
from gatekit.governance.rules.budget import MAX_TOKENS, estimate_tokens, reported_tokens
from gatekit.governance.summary import summarise
from gatekit.metrics import ModelPrice, PriceTable

REPO = Path(__file__).resolve().parents[2]
LONG = "The order ships tomorrow. " * 1200  # 31,200 characters, 6,000 words: over 4k tokens however counted
CASE = {
    "id": "c1",
    "input": {"messages": [{"role": "user", "content": "Where is my order?"}]},
    "context": {"user": "u1"},
    "timestamp": "2026-01-01T00:00:00Z",
}
NOTE = "token-budget: tokens estimated: usage not reported"


@pytest.fixture(scope="module")
def default_policy() -> Any:
    return load_policy(REPO / "policies" / "default.yaml")


def _budget_reasons(decision: Any) -> list[str]:
    return [rule["reason"] for rule in decision.rules if rule["id"] == "token-budget"]


@pytest.mark.parametrize(
    "usage",
    [None, {}, {"input_tokens": None, "output_tokens": None}, "lots", [1, 2]],
    ids=["missing", "empty", "nulls", "text", "list"],
)
def test_a_long_answer_without_usage_is_over_the_output_budget_and_says_its_tokens_are_estimated(
    default_policy: Any, usage: Any
) -> None:
    """It was 0 tokens: a 31,200-character answer passed the 4k per-case output budget."""
    response: dict[str, Any] = {"output": LONG}
    if usage != "missing":
        response["usage"] = usage
    decision = default_policy.evaluate(CASE, response)
    (reason,) = _budget_reasons(decision)
    assert reason.startswith("output_tokens ") and "(estimated: usage not reported) > per-case budget 4000" in reason
    assert int(reason.split()[1]) >= len(LONG) // 4
    assert decision.outcome.value == "deny"
    assert NOTE in decision.notes


def test_a_short_answer_without_usage_passes_with_the_note(default_policy: Any) -> None:
    decision = default_policy.evaluate(CASE, {"output": "It ships tomorrow.", "usage": {}})
    assert decision.outcome.value == "allow" and decision.notes == [NOTE]


def test_reported_usage_is_used_as_it_is_and_adds_no_note(default_policy: Any) -> None:
    decision = default_policy.evaluate(CASE, {"output": LONG, "usage": {"input_tokens": 10, "output_tokens": 20}})
    assert decision.outcome.value == "allow" and decision.notes == []


def test_partial_usage_estimates_only_the_missing_count() -> None:
    """The input is known (5 tokens) and counted as reported; only the output is estimated."""
    policy = policy_from_dict(
        {"id": "p", "version": "1", "rules": [{"id": "b", "kind": "token_budget", "per_case": {"total_tokens": 100}}]}
    )
    huge_input = {"id": "c", "input": "word " * 5000}  # the reported 5 stands, however long the input text
    decision = policy.evaluate(huge_input, {"output": "ok " * 40, "usage": {"input_tokens": 5}})
    assert decision.notes == ["b: output_tokens estimated: usage not reported"]
    assert decision.rules == []  # 5 + an estimate of ~40 is within 100
    over = policy.evaluate({"id": "c"}, {"output": "ok " * 400, "usage": {"input_tokens": 5}})
    (rule,) = over.rules
    assert rule["reason"].startswith("total_tokens ") and "(estimated: usage not reported)" in rule["reason"]
    only_output = policy.evaluate(huge_input, {"output": "ok", "usage": {"output_tokens": 1}})
    assert only_output.notes == ["b: input_tokens estimated: usage not reported"]
    assert only_output.rules and "total_tokens" in only_output.rules[0]["reason"]


@pytest.mark.parametrize(
    "value",
    [-5, -(10**9), math.nan, True, False, "12k", "", " ", "-3", "١٢", object(), 1.5j],
    ids=["neg", "neg-big", "nan", "true", "false", "12k", "empty", "blank", "neg-text", "arabic-digits", "obj", "cplx"],
)
def test_a_bad_count_never_crashes_nor_counts_as_zero(default_policy: Any, value: Any) -> None:
    """``"12k"`` raised (a rule error), ``True`` was 1, a negative count was subtracted from the total."""
    decision = default_policy.evaluate(CASE, {"output": LONG, "usage": {"input_tokens": 0, "output_tokens": value}})
    reasons = _budget_reasons(decision)
    assert reasons and not any("rule error" in r for r in reasons), reasons
    assert any(r.startswith("output_tokens ") and "(estimated" in r for r in reasons)
    assert "token-budget: output_tokens estimated: usage not reported" in decision.notes


@pytest.mark.parametrize(
    "value", [10**15, 10**400, math.inf, 1e300, "9" * 40], ids=["1e15", "1e400", "inf", "1e300", "40-digits"]
)
def test_a_huge_count_is_over_every_budget_not_an_error(default_policy: Any, value: Any) -> None:
    decision = default_policy.evaluate(CASE, {"output": "ok", "usage": {"input_tokens": 0, "output_tokens": value}})
    reasons = _budget_reasons(decision)
    assert f"output_tokens {MAX_TOKENS} > per-case budget 4000" in reasons, reasons
    assert decision.notes == []


def test_reported_counts_are_read_as_documented() -> None:
    assert [reported_tokens(v) for v in (0, 7, 7.2, "  12 ", "007")] == [0, 7, 8, 12, 7]
    assert [reported_tokens(v) for v in (None, True, -1, -0.5, math.nan, "1e3", "12k", {}, [])] == [None] * 9
    assert reported_tokens(10**13) == reported_tokens(math.inf) == MAX_TOKENS

    class Index:  # an integer type of another library (numpy.int64 has __index__)
        def __init__(self, value: int) -> None:
            self.value = value

        def __index__(self) -> int:
            return self.value

    assert reported_tokens(Index(42)) == 42 and reported_tokens(Index(-1)) is None


def test_the_estimate_never_counts_fewer_than_a_token_per_four_characters_nor_less_than_its_pieces() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("a") == 1
    assert estimate_tokens("abcd" * 100) == 100  # a letter run: chunks of 6 (67) < chars / 4 (100)
    assert estimate_tokens("中文字符" * 100) == 400  # one per character of another script
    assert estimate_tokens("1234567890") == 4  # digits in threes
    assert estimate_tokens('{"a": [1, 2]}') == 11  # every symbol counts: { " a " : [ 1 , 2 ] }
    long_text = "x" * 3_000_000 + "中" * 10  # past the sample: the rest at the sample's density, never under chars/4
    assert estimate_tokens(long_text) >= len(long_text) // 4


def test_tool_call_arguments_count_as_output() -> None:
    policy = policy_from_dict(
        {"id": "p", "version": "1", "rules": [{"id": "b", "kind": "token_budget", "per_case": {"output_tokens": 100}}]}
    )
    calls = [{"name": "calculate", "arguments": {"expression": "1 + 2 * 3 - 4 " * 50}}]
    decision = policy.evaluate({"id": "c"}, {"output": "", "tool_calls": calls})
    assert decision.rules and decision.rules[0]["reason"].startswith("output_tokens ")


def test_per_user_windows_add_up_the_estimates_of_answers_without_usage() -> None:
    """Each answer of ~2,000 estimated tokens was 0: the per-user budget of 5,000 a minute never fired."""
    policy = policy_from_dict(
        {
            "id": "p",
            "version": "1",
            "rules": [{"id": "b", "kind": "token_budget", "per_user_per_minute": 5000}],
        }
    )
    run = policy.new_run()
    outcomes = []
    for second in range(4):
        case = {"id": f"c{second}", "context": {"user": "u1"}, "timestamp": f"2026-01-01T00:00:0{second}Z"}
        decision = policy.evaluate(case, {"output": "word " * 2000}, run)
        outcomes.append(decision.outcome.value)
        assert decision.notes == ["b: tokens estimated: usage not reported"]
    assert outcomes[:2] == ["allow", "allow"] and outcomes[-1] == "deny"


def test_the_summary_counts_the_cases_with_estimated_usage(default_policy: Any) -> None:
    run = default_policy.new_run()
    decisions = [
        default_policy.evaluate(CASE, {"output": "fine", "usage": usage}, run)
        for usage in ({}, None, {"input_tokens": 3, "output_tokens": 4}, {"input_tokens": 3})
    ]
    notes = {entry["note"]: entry["cases"] for entry in summarise(decisions, 4)["notes"]}
    assert notes[NOTE] == 2
    assert notes["token-budget: output_tokens estimated: usage not reported"] == 1


def test_a_resumed_case_leaves_no_note_on_the_next_case(default_policy: Any) -> None:
    """restore() replayed the budget on a saved case: its notes stuck to the next decided case."""
    run = default_policy.new_run()
    unclocked = {"id": "c0", "context": {"user": "u1"}}  # no usage, no timestamp: two notes on its decision
    saved = default_policy.evaluate(unclocked, {"output": "fine"}, default_policy.new_run())
    assert len(saved.notes) == 2
    default_policy.restore(unclocked, {"output": "fine"}, saved, run)
    decision = default_policy.evaluate(CASE, {"output": "fine", "usage": {"input_tokens": 1, "output_tokens": 1}}, run)
    assert decision.notes == []


def test_cost_from_unknown_tokens_stays_unknown() -> None:
    prices = PriceTable(models={"m": ModelPrice(input_per_1m=1.0, output_per_1m=2.0)})
    assert prices.cost("m", None, 10) is None and prices.cost("m", 10, None) is None
    assert prices.cost("m", 1_000_000, 1_000_000) == 3.0


# --- caches keyed by names: short names only ------------------------------------------------------------------


def test_tool_name_caches_keep_no_long_name_and_still_judge_it_every_time(default_policy: Any) -> None:
    """4,096 names of any length were kept (10 KB names: 40 MB held by a long-running guard)."""
    tools = next(rule for rule in default_policy.rules if rule.id == "retail-tools")
    for number in range(50):
        name = f"{number:04d}" + "x" * 10_000
        decision = default_policy.evaluate(CASE, {"output": "", "tool_calls": [{"name": name, "arguments": {}}]})
        assert decision.outcome.value == "deny"
    assert all(len(name) <= MAX_CACHED_NAME for name in tools._plans)
    assert all(len(name) <= MAX_CACHED_NAME for name in tools.deny._seen)
    assert all(len(name) <= MAX_CACHED_NAME for name in tools.high_risk._seen)
    short = default_policy.evaluate(
        CASE, {"output": "", "tool_calls": [{"name": "get_order_details", "arguments": {}}]}
    )
    assert short.outcome.value == "allow" and "get_order_details" in tools._plans


def test_argument_key_caches_keep_no_long_key() -> None:
    keys = ArgumentKeys(["*_id", "password"])
    long_key = "a" * 5000 + "_id"
    assert keys(long_key) and keys.matches(long_key) and not keys("b" * 5000)
    assert keys("order_id") and "order_id" in keys._seen
    assert all(len(name) <= MAX_CACHED_NAME for name in keys._seen)
    policy = load_policy(REPO / "policies" / "default.yaml")
    arguments = {("K" + "q" * 4000 + str(n)): "x" for n in range(20)}
    policy.evaluate(CASE, {"output": "", "tool_calls": [{"name": "calculate", "arguments": arguments}]})
    assert all(len(name) <= MAX_CACHED_NAME for name in rules_base._KEY_READ)


def test_a_long_timestamp_is_read_but_not_kept() -> None:
    rules_base._cached_clock_fields.cache_clear()
    long_stamp = "2026-01-01T00:00:00Z" + " " * 5000
    assert rules_base.parse_clock(long_stamp)["epoch_s"] is None
    assert rules_base.parse_clock("2026-01-01T00:00:00Z")["hour"] == 0
    assert rules_base._cached_clock_fields.cache_info().currsize == 1


def test_a_case_naming_no_user_is_said_not_checked_against_the_per_user_budget(default_policy: Any) -> None:
    """It was skipped silently: a case without context.user was never counted against any user's budget."""
    anonymous = {"id": "c9", "timestamp": "2026-01-01T00:00:00Z"}
    decision = default_policy.evaluate(
        anonymous, {"output": "ok", "usage": {"input_tokens": 60_000, "output_tokens": 1}}
    )
    assert decision.notes == ["token-budget: per_user_per_minute not evaluated: no context.user"]
    named = default_policy.evaluate(CASE, {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}})
    assert named.notes == []


# --- conditions reading values that may be unknown ------------------------------------------------------------


def _condition(when: str) -> Any:
    return policy_from_dict(
        {"id": "p", "version": "1", "rules": [{"id": "r", "kind": "condition", "when": when, "outcome": "deny"}]}
    )


@pytest.mark.parametrize(
    ("when", "response", "note"),
    [
        ("cost_usd > 0.5", {"output": "x"}, "r: cost_usd unknown: read as null"),
        ("latency_ms > 2000", {"output": "x", "latency_ms": None}, "r: latency_ms unknown: read as null"),
        (
            "usage.output_tokens > 1000",
            {"output": "x", "usage": {"input_tokens": 3}},
            "r: usage.output_tokens unknown: read as null",
        ),
        ("usage['input_tokens'] > 10", {"output": "x"}, "r: usage.input_tokens unknown: read as null"),
        ("time.hour >= 22", {"output": "x"}, "r: time.hour unknown: read as null"),
        ('time_between("22:00", "06:00")', {"output": "x"}, "r: time unknown: read as null"),
    ],
)
def test_a_condition_that_reads_an_unknown_value_as_null_says_so(
    when: str, response: dict[str, Any], note: str
) -> None:
    """``cost_usd > 0.5`` with no cost was false, silently: the case passed as if its cost were known and low."""
    decision = _condition(when).evaluate({"id": "c"}, response)
    assert decision.rules == [] and decision.notes == [note]


def test_a_condition_on_known_values_adds_no_note_and_fires_as_before() -> None:
    policy = _condition("cost_usd > 0.5 or usage.output_tokens > 1000")
    known = policy.evaluate(
        {"id": "c"}, {"output": "x", "cost_usd": 0.1, "usage": {"input_tokens": 1, "output_tokens": 5}}
    )
    assert known.rules == [] and known.notes == []
    fired = policy.evaluate({"id": "c"}, {"output": "x", "cost_usd": 0.9})
    assert [r["id"] for r in fired.rules] == ["r"] and fired.notes == []  # decided: nothing left unsaid
