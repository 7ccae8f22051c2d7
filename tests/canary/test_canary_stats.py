"""The canary's statistics against scipy and brute force: Mann-Whitney from engine rank sums, Hodges-Lehmann, Newcombe, Wilson."""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pytest
import scipy.stats as ss

from gatekit.canary import sql as q
from gatekit.canary.stats import hodges_lehmann, mann_whitney, proportion_difference, wilson


def _engine_rank_sum(canary: np.ndarray, baseline: np.ndarray) -> tuple[float, int, int, float]:
    """The rank-sum query of gatekit.canary.sql, run by DuckDB on a table of the two samples."""
    con = duckdb.connect()
    con.execute("CREATE TABLE t (ts_us BIGINT, request_id VARCHAR, variant VARCHAR, latency_ms DOUBLE)")
    rows = [(1_767_225_600_000_000, f"c{i}", "canary", float(v)) for i, v in enumerate(canary)]
    rows += [(1_767_225_600_000_000, f"b{i}", "baseline", float(v)) for i, v in enumerate(baseline)]
    con.executemany("INSERT INTO t VALUES (?, ?, ?, ?)", rows)
    sql = q.rank_sum_sql("duckdb", "t", "latency_ms", "baseline", "canary", 0, 2**62)
    r = con.execute(sql).fetchone()
    assert r is not None
    return float(r[0]), int(r[1]), int(r[2]), float(r[3])


@pytest.mark.parametrize(
    ("seed", "m", "n", "shift", "rounding"),
    [(1, 300, 400, 1.05, 0), (2, 50, 80, 1.0, 1), (3, 1000, 700, 1.3, -1), (4, 12, 9, 1.0, -2)],
)
def test_mann_whitney_from_engine_rank_sums_matches_scipy(
    seed: int, m: int, n: int, shift: float, rounding: int
) -> None:
    rng = np.random.default_rng(seed)
    canary = np.round(rng.lognormal(6, 0.4, m) * shift, rounding)  # rounding makes ties
    baseline = np.round(rng.lognormal(6, 0.4, n), rounding)
    rank_sum, n1, n2, ties = _engine_rank_sum(canary, baseline)
    assert (n1, n2) == (m, n)
    ours = mann_whitney(rank_sum, n1, n2, ties)
    assert ours is not None
    ref = ss.mannwhitneyu(canary, baseline, method="asymptotic", alternative="two-sided", use_continuity=True)
    assert ours.u == pytest.approx(ref.statistic, rel=1e-12)
    assert ours.p_value == pytest.approx(ref.pvalue, rel=1e-9)
    assert ours.auc == pytest.approx(ref.statistic / (m * n))


def _moses_brute(x: np.ndarray, y: np.ndarray, confidence: float) -> tuple[float, float, float]:
    d = np.sort(np.subtract.outer(x, y).ravel())
    big_n = d.size
    z = ss.norm.ppf(0.5 + confidence / 2)
    c = math.floor(big_n / 2 - z * math.sqrt(len(x) * len(y) * (len(x) + len(y) + 1) / 12))
    return float(np.median(d)), float(d[c]), float(d[big_n - c - 1])


@pytest.mark.parametrize(("seed", "m", "n"), [(5, 40, 60), (6, 201, 150), (7, 17, 17), (8, 500, 333)])
def test_hodges_lehmann_matches_all_pairwise_differences(seed: int, m: int, n: int) -> None:
    rng = np.random.default_rng(seed)
    x, y = rng.normal(10.5, 2, m), rng.normal(10, 2, n)
    est, low, high = _moses_brute(x, y, 0.95)
    ours = hodges_lehmann(x, y, 0.95)
    assert ours is not None
    assert ours[0] == pytest.approx(est, abs=1e-9)
    assert ours[1] == pytest.approx(low, abs=1e-9) and ours[2] == pytest.approx(high, abs=1e-9)


def test_hodges_lehmann_known_value_and_too_small_samples() -> None:
    # x - y over {1,2,3} x {0}: differences 1,2,3 -> median 2; with two values on each side no 95 % interval exists
    assert hodges_lehmann([1, 2, 3], [0], 0.95) == (pytest.approx(2.0), None, None)
    assert hodges_lehmann([], [1.0]) is None


def test_newcombe_interval_and_pooled_z_test() -> None:
    d, low, high, p = proportion_difference(30, 1000, 12, 1000)
    assert d == pytest.approx(0.018)
    # Newcombe (1998) method 10 built from Wilson intervals, recomputed independently with scipy's normal quantile
    z = ss.norm.ppf(0.975)

    def wilson_ref(x: int, n: int) -> tuple[float, float]:
        p_hat = x / n
        centre = (p_hat + z * z / (2 * n)) / (1 + z * z / n)
        half = z / (1 + z * z / n) * math.sqrt(p_hat * (1 - p_hat) / n + z * z / (4 * n * n))
        return centre - half, centre + half

    (l1, u1), (l2, u2) = wilson_ref(30, 1000), wilson_ref(12, 1000)
    assert low == pytest.approx(0.018 - math.sqrt((0.03 - l1) ** 2 + (u2 - 0.012) ** 2), rel=1e-9)
    assert high == pytest.approx(0.018 + math.sqrt((u1 - 0.03) ** 2 + (0.012 - l2) ** 2), rel=1e-9)
    chi2 = ss.chi2_contingency([[30, 970], [12, 988]], correction=False)
    assert p == pytest.approx(chi2.pvalue, rel=1e-9)  # the pooled z-test is the uncorrected chi-square test


def test_wilson_known_values_and_unknown_is_none() -> None:
    # the Wilson interval is where the score test is exactly at z: solve |p_hat - p| = z sqrt(p (1 - p) / n) by root finding
    from scipy.optimize import brentq

    z, p_hat, n = ss.norm.ppf(0.975), 4 / 200, 200

    def score(p: float) -> float:
        return abs(p_hat - p) - z * math.sqrt(p * (1 - p) / n)

    low, high = wilson(4, 200)  # type: ignore[misc]
    assert low == pytest.approx(brentq(score, 1e-9, p_hat), abs=1e-10)
    assert high == pytest.approx(brentq(score, p_hat, 1 - 1e-9), abs=1e-10)
    assert wilson(0, 0) is None
    assert wilson(0, 50)[0] == 0.0  # type: ignore[index]


def test_wilson_lower_bound_of_no_events_is_exactly_zero_so_a_rate_above_zero_rule_cannot_fire():
    from gatekit.canary.stats import wilson

    for n in (1, 7, 20, 1000, 123457):
        low, high = wilson(0, n)
        assert low == 0.0 and high > 0.0
        low, high = wilson(n, n)
        assert high == 1.0 and low < 1.0
