"""``binom_ppf`` (the ranks of the order-statistic intervals for latency percentiles) against scipy.stats.binom."""

from __future__ import annotations

import random

from scipy.stats import binom

from gatekit.metrics import binom_ppf, quantile_interval


def test_binom_ppf_equals_scipy_at_the_interval_levels() -> None:
    for n in (1, 2, 5, 10, 19, 20, 50, 100, 500, 1000, 20_000, 200_000):
        for q in (0.5, 0.9, 0.95, 0.99, 0.999, 0.001):
            for prob in (0.0, 0.005, 0.025, 0.05, 0.95, 0.975, 0.995, 1.0):
                assert binom_ppf(prob, n, q) == int(binom.ppf(prob, n, q)), (n, q, prob)


def test_binom_ppf_equals_scipy_on_random_parameters() -> None:
    rng = random.Random(20261206)
    for _ in range(2000):
        n, q, prob = rng.randint(1, 100_000), rng.random(), rng.random()
        assert binom_ppf(prob, n, q) == int(binom.ppf(prob, n, q)), (n, q, prob)


def test_quantile_interval_takes_its_ranks_from_the_binomial() -> None:
    values = [float(v) for v in range(1, 101)]  # the k-th order statistic is k
    lo, hi = quantile_interval(values, 0.95, 0.95)
    assert (lo, hi) == (float(binom.ppf(0.025, 100, 0.95)), float(min(binom.ppf(0.975, 100, 0.95) + 1, 100)))
