"""Metrics against hand-computed values, and properties of the intervals."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gatekit.metrics import (
    MetricInputs,
    PriceTable,
    compute_metrics,
    percentile,
    quantile_interval,
    score_expectations,
    wilson_interval,
)


def test_percentile_linear_interpolation_by_hand() -> None:
    values = [10.0, 20.0, 30.0, 40.0, 50.0]
    assert percentile(values, 0.5) == 30.0
    # position (5-1)*0.95 = 3.8 -> 40 + 0.8*10
    assert math.isclose(percentile(values, 0.95), 48.0)
    # position 3.96 -> 40 + 0.96*10
    assert math.isclose(percentile(values, 0.99), 49.6)
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.99) == 7.0


def test_wilson_interval_known_values() -> None:
    # Wilson 95% for 0/60: upper = z^2/(n+z^2) = 3.8415/63.8415
    lo, hi = wilson_interval(0, 60)
    assert lo == 0.0
    assert math.isclose(hi, 0.060174, abs_tol=1e-5)
    # 10/100: textbook value (0.0552, 0.1744)
    lo, hi = wilson_interval(10, 100)
    assert math.isclose(lo, 0.05523, abs_tol=1e-4)
    assert math.isclose(hi, 0.17437, abs_tol=1e-4)
    assert wilson_interval(0, 0) is None


def test_quantile_interval_order_statistics() -> None:
    values = [float(i) for i in range(1, 101)]
    lo, hi = quantile_interval(values, 0.5)
    # Binomial(100, 0.5): 2.5% quantile 40, 97.5% quantile 60 -> ranks 40 and 61
    assert (lo, hi) == (40.0, 61.0)
    lo, hi = quantile_interval(values[:10], 0.95)
    assert hi == math.inf  # 10 samples give no upper bound for p95 (the maximum covers it 40% of the time)


@given(st.integers(min_value=0, max_value=500), st.integers(min_value=1, max_value=500))
def test_wilson_contains_the_point_estimate(successes: int, n: int) -> None:
    successes = min(successes, n)
    lo, hi = wilson_interval(successes, n)
    assert 0.0 <= lo <= successes / n <= hi <= 1.0


@given(st.lists(st.floats(min_value=0, max_value=1e6), min_size=1, max_size=200), st.floats(0.01, 0.99))
def test_quantile_interval_brackets_sample_quantile(values: list[float], q: float) -> None:
    lo, hi = quantile_interval(values, q)
    assert lo <= hi
    assert lo == -math.inf or min(values) <= lo <= max(values)  # an open end is infinite, never a clipped value
    assert hi == math.inf or min(values) <= hi <= max(values)


def test_compute_metrics_by_hand() -> None:
    inputs = MetricInputs()
    prices = PriceTable.model_validate({"models": {"m": {"input_per_1m": 1.0, "output_per_1m": 3.0}}})
    for latency, ok, first_ok in [(100.0, True, True), (200.0, True, False), (None, False, False), (400.0, True, True)]:
        cost = prices.cost("m", 1000, 500) if ok else None
        inputs.add(
            ok=ok,
            latency_ms=latency,
            attempts_ok=[first_ok] + ([True] if not first_ok and ok else []),
            error_type=None if ok else "http_5xx",  # (a timed-out case counts in latency: test_gate20_arithmetic)
            model="m",
            input_tokens=1000,
            output_tokens=500,
            cost_usd=cost,
            passed=ok,
        )
    m = compute_metrics(inputs)
    assert m["cases"] == 4
    assert m["error_rate"] == 0.25
    assert m["first_attempt_error_rate"] == 0.5
    assert m["latency_p50_ms"] == 200.0
    assert math.isclose(m["latency_mean_ms"], 700 / 3)
    assert m["tokens_input"] == 3000 and m["tokens_output"] == 1500
    # each success: 1000*1/1e6 + 500*3/1e6 = 0.0025
    assert math.isclose(m["cost_total_usd"], 0.0075)
    assert math.isclose(m["cost_per_1k_tokens_usd"], 0.0075 / 4500 * 1000)
    assert m["pass_rate"] == 0.75


def test_unpriced_model_makes_cost_unknown_not_zero() -> None:
    inputs = MetricInputs()
    inputs.add(
        ok=True,
        latency_ms=5.0,
        attempts_ok=[True],
        error_type=None,
        model="nope",
        input_tokens=10,
        output_tokens=10,
        cost_usd=PriceTable().cost("nope", 10, 10),
        passed=None,
    )
    m = compute_metrics(inputs)
    assert m["cost_total_usd"] is None and m["cost_per_1k_tokens_usd"] is None
    assert m["cost_unknown_models"] == ["nope"]


def test_score_expectations() -> None:
    calls = [{"name": "get_order", "arguments": {"order_id": "W1", "x": 2}}]
    assert score_expectations({"tool_calls": [{"name": "get_order", "arguments": {"order_id": "W1"}}]}, "", calls)
    assert not score_expectations({"tool_calls": [{"name": "get_order", "arguments": {"order_id": "W2"}}]}, "", calls)
    assert score_expectations({"output_contains": ["REFUND"]}, "your refund is on its way", [])
    assert not score_expectations({"output_not_contains": ["refund"]}, "Refund", [])
    assert score_expectations(None, "x", []) is None


@pytest.mark.parametrize(
    "expected",
    [
        {"output_contains": "refund"},  # a string: once checked letter by letter
        {"output_not_contains": 5},
        {"tool_calls": ["refund"]},
        {"tool_calls": [{"name": "refund", "arguments": [1]}]},
        {"output_contain": ["refund"]},
    ],
)
def test_malformed_expected_never_passes_a_library_caller(expected: dict) -> None:
    # every letter of "refund" is in this refusal; the old scorer passed it, crashed or skipped it
    calls = [{"name": "refund", "arguments": {}}]
    assert score_expectations(expected, "sorry, I refuse to do that - denied", calls) is False
