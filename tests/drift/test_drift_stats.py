"""Drift statistics against independent known values (R's ks.test, R's p.adjust, hand-computed chi-square)."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import chi2, false_discovery_control

from gatekit.drift.stats import (
    bh_qvalues,
    chi2_pooled,
    cramers_v_balanced,
    dkw_margin,
    ks_from_statistic,
    missing_rate_test,
)


def ks_test(x, y):
    """D of two samples computed here with numpy (an exact integer numerator), then gatekit's p-value and interval."""
    x, y = np.sort(np.asarray(x, float)), np.sort(np.asarray(y, float))
    n, m = len(x), len(y)
    values = np.concatenate([x, y])
    diff = np.searchsorted(x, values, "right") * m - np.searchsorted(y, values, "right") * n
    i = int(np.argmax(np.abs(diff)))
    numerator = int(abs(diff[i]))
    return ks_from_statistic(
        numerator / (n * m), numerator, n, m, location=float(values[i]), sign=1 if diff[i] >= 0 else -1
    )


def chi2_test(reference: Counter, production: Counter) -> dict:
    """gatekit's chi-square on two unpooled count tables (every category kept, most frequent first)."""
    cats = sorted(set(reference) | set(production), key=lambda c: (-(reference[c] + production[c]), c))
    return chi2_pooled(cats, [reference[c] for c in cats], [production[c] for c in cats], 0, 0, 0, 5.0)


X = [6, 7, 9, 13, 19, 21, 22, 23, 24]
Y = [10, 11, 12, 16, 20, 27, 28, 32, 44, 54]


def test_ks_matches_r_exact_values():
    # R: ks.test(x, y) -> D = 0.5, p-value = 0.1056 (exact); value from apache/commons-math's test suite
    result = ks_test(np.array(X, float), np.array(Y, float))
    assert result["statistic"] == pytest.approx(0.5, abs=1e-12)
    assert result["p_value"] == pytest.approx(0.105577085453247, rel=1e-9)
    assert result["method"] == "exact"


def test_ks_switches_to_asymptotic_for_large_samples():
    rng = np.random.default_rng(1)
    result = ks_test(rng.normal(size=20_000), rng.normal(0.05, 1, size=20_000))
    assert result["method"] == "asymp"
    assert 0.0 <= result["d_interval"][0] <= result["statistic"] <= result["d_interval"][1] <= 1.0


def test_dkw_interval_is_the_sum_of_both_margins():
    # DKW: P(sup|F_n - F| > e) <= 2 exp(-2 n e^2)  ->  e = sqrt(ln(2/alpha) / (2n))
    assert dkw_margin(100, 0.05) == pytest.approx(math.sqrt(math.log(40) / 200))
    result = ks_test(np.array(X, float), np.array(Y, float))
    margin = dkw_margin(9, 0.025) + dkw_margin(10, 0.025)
    assert result["d_interval"] == [
        pytest.approx(max(0.0, 0.5 - margin)),
        pytest.approx(min(1.0, 0.5 + margin)),
    ]


def test_ks_interval_covers_true_d_for_shifted_normals():
    # true D between N(0,1) and N(0.5,1) is 2*Phi(0.25)-1 = 0.1974
    rng = np.random.default_rng(7)
    result = ks_test(rng.normal(size=3000), rng.normal(0.5, 1, size=3000))
    lo, hi = result["d_interval"]
    assert lo <= 0.1974 <= hi


def test_ks_constant_columns():
    same = ks_test(np.ones(50), np.ones(80))
    assert same["statistic"] == 0.0 and same["p_value"] == pytest.approx(1.0)
    apart = ks_test(np.ones(50), np.full(80, 2.0))
    assert apart["statistic"] == 1.0 and apart["p_value"] < 1e-10


def test_bh_matches_r_p_adjust():
    # R: p.adjust(c(0.01, 0.04, 0.03, 0.5), "BH") -> 0.04000000 0.05333333 0.05333333 0.50000000
    assert bh_qvalues([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.0533333333, 0.0533333333, 0.5])
    assert bh_qvalues([]) == []


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=1, max_size=40))
def test_bh_agrees_with_scipy(p_values):
    assert bh_qvalues(p_values) == pytest.approx(list(false_discovery_control(p_values, method="bh")), abs=1e-12)


def test_chi2_hand_computed_2x2():
    # [[50, 50], [30, 70]]: expected 40/60 per row, chi2 = 2 * (100/40 + 100/60) = 8.3333
    result = chi2_test(Counter(a=50, b=50), Counter(a=30, b=70))
    assert result["statistic"] == pytest.approx(25 / 3)
    assert result["p_value"] == pytest.approx(chi2.sf(25 / 3, 1))
    assert result["dof"] == 1
    # equal row totals: the balanced V is plain Cramér's V = sqrt(chi2 / N)
    assert result["cramers_v"] == pytest.approx(math.sqrt(25 / 3 / 200))
    assert result["cramers_v_unweighted"] == pytest.approx(math.sqrt(25 / 3 / 200))


def test_balanced_v_does_not_depend_on_sample_size_ratio():
    small = cramers_v_balanced([50, 50], [30, 70])
    big = cramers_v_balanced([50, 50], [30_000, 70_000])
    assert big == pytest.approx(small)
    unweighted = chi2_test(Counter(a=50, b=50), Counter(a=30_000, b=70_000))["cramers_v_unweighted"]
    assert unweighted < small / 10  # the plain V mostly measures the 1:1000 imbalance
    assert cramers_v_balanced([10, 0], [0, 10]) == pytest.approx(1.0)
    assert cramers_v_balanced([10, 10], [20, 20]) == pytest.approx(0.0)


def test_single_category_is_not_drift():
    result = chi2_test(Counter(a=10), Counter(a=1000))
    assert result["p_value"] == 1.0 and result["cramers_v"] == 0.0


def test_missing_rate_test():
    result = missing_rate_test(0, 1000, 100, 1000)
    assert result["reference_rate"] == 0.0 and result["production_rate"] == 0.1
    # [[0, 1000], [100, 900]]: chi2 = N (ad - bc)^2 / (row1 row2 col1 col2)
    expected = 2000 * (0 * 900 - 1000 * 100) ** 2 / (1000 * 1000 * 100 * 1900)
    assert result["statistic"] == pytest.approx(expected)
    assert result["cramers_v"] == pytest.approx(math.sqrt(expected / 2000))
    assert missing_rate_test(0, 10, 0, 10)["p_value"] == 1.0
