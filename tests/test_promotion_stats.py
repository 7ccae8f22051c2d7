"""Regression statistics against independent known values.

* McNemar exact p-values: hand-computed binomial tails (Binomial(m, 1/2)) and scipy's
  independent ``binomtest`` implementation, plus Agresti's presidential-approval table
  (Categorical Data Analysis, 2nd ed., table 10.1: 794/150/86/570, z^2 = 17.36).
* Agresti-Min interval: hand-computed from the published formula.
* Paired bootstrap: exact shift/scale equivariance, and agreement with the normal-theory
  paired interval for a large sample.
"""

from __future__ import annotations

import math
import random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gatekit.errors import ConfigError
from gatekit.models import CheckStatus
from gatekit.paired import agresti_min_interval, mcnemar_exact_p, paired_bootstrap
from gatekit.promotion import ModelRef, parse_model_spec
from gatekit.regression import parse_limits, regression_checks


@pytest.mark.parametrize(
    ("regressions", "fixes", "expected"),
    [
        (0, 5, 2 * 0.5**5),  # 0.0625
        (1, 6, 2 * (1 + 7) / 2**7),  # 0.125
        (2, 8, 2 * (1 + 10 + 45) / 2**10),  # 0.109375
        (3, 3, 1.0),
        (0, 0, 1.0),
        (0, 1, 1.0),
    ],
)
def test_mcnemar_exact_hand_computed(regressions: int, fixes: int, expected: float) -> None:
    assert mcnemar_exact_p(regressions, fixes) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("b", "c"), [(150, 86), (86, 150), (12, 2), (40, 41), (700, 650)])
def test_mcnemar_exact_matches_scipy_binomtest(b: int, c: int) -> None:
    from scipy.stats import binomtest

    assert mcnemar_exact_p(b, c) == pytest.approx(binomtest(b, b + c, 0.5).pvalue, rel=1e-9)


def test_mcnemar_agresti_presidential_approval() -> None:
    # Agresti: McNemar z^2 = (86 - 150)^2 / (86 + 150) = 17.36, P < 0.001; the exact test agrees.
    assert (86 - 150) ** 2 / (86 + 150) == pytest.approx(17.36, abs=0.005)
    p = mcnemar_exact_p(150, 86)
    assert 1e-5 < p < 1e-4  # chi-square(1) tail at 17.36 is 3.1e-5; the exact tail is close


def test_agresti_min_interval_hand_computed() -> None:
    # n=100, 10 new errors, 0 fixed: b'=10.5, c'=0.5, n'=102; diff'=10/102;
    # se = sqrt(11 - 100/102) / 102 = 0.0310331; 0.0980392 -/+ 1.959964 * se
    lo, hi = agresti_min_interval(10, 0, 100)
    assert lo == pytest.approx(0.0372154, abs=1e-6)
    assert hi == pytest.approx(0.1588630, abs=1e-6)


def test_agresti_min_interval_does_not_collapse_without_discordant_pairs() -> None:
    lo, hi = agresti_min_interval(0, 0, 60)
    # b'=c'=0.5, n'=62: se = 1/62, half-width 1.959964/62 = 0.0316123
    assert lo == pytest.approx(-0.0316123, abs=1e-6)
    assert hi == pytest.approx(0.0316123, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    base=st.lists(st.floats(min_value=1, max_value=10_000, allow_nan=False), min_size=2, max_size=60),
    shift=st.floats(min_value=-500, max_value=500, allow_nan=False),
)
def test_bootstrap_is_exact_under_a_constant_shift(base: list[float], shift: float) -> None:
    cand = [x + shift for x in base]
    for statistic in ("p50", "p95", "mean"):
        value, (lo, hi) = paired_bootstrap(cand, base, statistic, relative=False, n_boot=200)
        assert value == pytest.approx(shift, abs=1e-6)
        assert lo == pytest.approx(shift, abs=1e-6) and hi == pytest.approx(shift, abs=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    base=st.lists(st.floats(min_value=1, max_value=10_000, allow_nan=False), min_size=2, max_size=60),
    factor=st.floats(min_value=0.5, max_value=3.0, allow_nan=False),
)
def test_bootstrap_relative_is_exact_under_scaling(base: list[float], factor: float) -> None:
    cand = [x * factor for x in base]
    value, (lo, hi) = paired_bootstrap(cand, base, "p95", relative=True, n_boot=200)
    assert value == pytest.approx(factor - 1, abs=1e-9)
    assert lo == pytest.approx(factor - 1, abs=1e-9) and hi == pytest.approx(factor - 1, abs=1e-9)


def test_bootstrap_mean_matches_normal_theory_paired_interval() -> None:
    rng = random.Random(7)
    base = [rng.gauss(1000, 200) for _ in range(400)]
    cand = [b + 30 + rng.gauss(0, 100) for b in base]
    diffs = [c - b for c, b in zip(cand, base, strict=True)]
    mean = sum(diffs) / len(diffs)
    sd = math.sqrt(sum((d - mean) ** 2 for d in diffs) / (len(diffs) - 1))
    half = 1.959964 * sd / math.sqrt(len(diffs))
    value, (lo, hi) = paired_bootstrap(cand, base, "mean", relative=False, n_boot=4000, seed=1)
    assert value == pytest.approx(mean, rel=1e-12)
    assert lo == pytest.approx(mean - half, abs=0.1 * half)
    assert hi == pytest.approx(mean + half, abs=0.1 * half)


def rows(n: int, errored: set[int] = frozenset(), failed: set[int] = frozenset(), latency: Any = 100.0) -> list[dict]:
    out = []
    for i in range(n):
        ok = i not in errored
        lat = latency(i) if callable(latency) else latency
        out.append(
            {
                "case_id": f"c{i}",
                "repeat": 0,
                "ok": ok,
                "passed": (i not in failed) if ok else False,
                "latency_ms": lat if ok else None,
                "cost_usd": 0.001 if ok else None,
                "decision": {"outcome": "allow"},
            }
        )
    return out


def by_name(checks: list) -> dict:
    return {c.name: c for c in checks}


def test_clear_error_regression_fails() -> None:
    base = rows(100)
    cand = rows(100, errored=set(range(10)))
    check = by_name(regression_checks(cand, base, {"error_rate": "0.5pp"}))["regression.error_rate"]
    assert check.value == pytest.approx(0.10)
    assert check.interval == pytest.approx((0.0372154, 0.1588630), abs=1e-6)
    assert check.status is CheckStatus.FAIL
    assert "McNemar exact p=0.00195" in check.message  # 2 * 0.5**10
    assert check.limit == pytest.approx(0.005)


def test_no_change_passes_and_one_new_error_is_inconclusive() -> None:
    base = rows(20)
    same = by_name(regression_checks(rows(20), base, {"error_rate": "0.5pp"}))["regression.error_rate"]
    assert same.status is CheckStatus.PASS and same.value == 0
    one = by_name(regression_checks(rows(20, errored={3}), base, {"error_rate": "0.5pp"}))["regression.error_rate"]
    assert one.value == pytest.approx(0.05)
    assert one.status is CheckStatus.INCONCLUSIVE  # above the limit, but the interval reaches below it


def test_pass_rate_drop_is_a_positive_regression() -> None:
    base = rows(100)
    cand = rows(100, failed=set(range(30)))
    check = by_name(regression_checks(cand, base, {"pass_rate": "5pp"}))["regression.pass_rate"]
    assert check.value == pytest.approx(0.30)
    assert check.status is CheckStatus.FAIL
    improved = by_name(regression_checks(base, cand, {"pass_rate": "5pp"}))["regression.pass_rate"]
    assert improved.value == pytest.approx(-0.30) and improved.status is CheckStatus.PASS


def test_latency_relative_and_absolute_limits() -> None:
    rng = random.Random(3)
    lat = [rng.uniform(200, 400) for _ in range(80)]
    base = rows(80, latency=lambda i: lat[i])
    slower = rows(80, latency=lambda i: lat[i] * 1.5)
    checks = by_name(
        regression_checks(slower, base, {"latency_p95_ms": "10%", "latency_mean_ms": "500ms", "cost_total_usd": "$0"})
    )
    p95 = checks["regression.latency_p95_ms"]
    assert p95.value == pytest.approx(0.5) and p95.status is CheckStatus.FAIL and p95.unit == ""
    mean = checks["regression.latency_mean_ms"]
    assert mean.unit == "ms" and mean.status is CheckStatus.PASS
    assert mean.value == pytest.approx(0.5 * sum(lat) / len(lat))
    cost = checks["regression.cost_total_usd"]
    assert cost.value == pytest.approx(0.0, abs=1e-12) and cost.status is CheckStatus.PASS


def test_pairs_only_by_case_id_and_collapses_repeats() -> None:
    base = rows(10)
    cand = rows(10) + [dict(r, repeat=1, ok=False, latency_ms=None) for r in rows(10)[:2]]
    cand += [dict(r, case_id="new-" + r["case_id"]) for r in rows(3)]
    check = by_name(regression_checks(cand, base, {"error_rate": "50pp"}))["regression.error_rate"]
    assert check.value == pytest.approx(2 / 10)  # a case errs if any repeat erred; new cases are unpaired
    assert "10 paired cases; 3 candidate cases not in the baseline" in check.message
    empty = regression_checks(rows(3), [dict(r, case_id="x" + r["case_id"]) for r in rows(3)], {"error_rate": "1pp"})
    assert empty[0].status is CheckStatus.INCONCLUSIVE and "3 candidate cases not in the baseline" in empty[0].message


def test_limits_are_validated() -> None:
    with pytest.raises(ConfigError, match="unknown regression metric"):
        parse_limits({"latency_p42": "10%"})
    with pytest.raises(ConfigError, match="max_regression.latency_p95_ms"):
        parse_limits({"latency_p95_ms": "ten percent"})
    limits, level = parse_limits({"error_rate": "0.5%", "latency_p95_ms": "2s", "confidence": 0.9})
    assert level == 0.9
    assert [(x.metric, x.limit, x.relative) for x in limits] == [
        ("error_rate", pytest.approx(0.005), False),
        ("latency_p95_ms", 2000.0, False),
    ]


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        ("models:/support-agent/3", ModelRef("support-agent", "3", None)),
        ("models:/support-agent@champion", ModelRef("support-agent", None, "champion")),
        ("models:/support-agent/latest", None),
        ("runs:/abc/model", None),
        ("python:examples.demo_agent:run", None),
        (None, None),
    ],
)
def test_parse_model_spec(spec: str | None, expected: ModelRef | None) -> None:
    assert parse_model_spec(spec) == expected
