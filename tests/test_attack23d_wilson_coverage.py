"""attack23d: the Wilson interval's coverage, computed exactly over the binomial, is what the README says.

A ``max`` check with ``confidence`` passes when the whole interval is under the limit, so the upper bound's miss rate
(P(upper < true rate)) is the chance of passing a rate just over the limit. Nominally 2.5 % at 95 %; Wilson's is a
little higher (Brown, Cai & DasGupta 2001). Exact enumeration with scipy's binomial, no simulation noise; Clopper-
Pearson, the exact interval, stays at or under 2.5 % on the same grid (the check of the enumeration itself).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import beta, binom, binomtest

from gatekit.metrics import wilson_interval

RATES = np.linspace(0.005, 0.25, 500)


def _upper_miss(upper: np.ndarray, n: int) -> float:
    return max(float(binom.pmf(np.arange(n + 1), n, p)[upper < p].sum()) for p in RATES)


@pytest.mark.parametrize(("n", "most"), [(20, 0.033), (100, 0.029)])
def test_the_upper_bound_misses_a_little_more_often_than_nominal(n: int, most: float) -> None:
    upper = np.array([wilson_interval(k, n)[1] for k in range(n + 1)])
    scipy_upper = np.array([binomtest(k, n).proportion_ci(0.95, method="wilson").high for k in range(n + 1)])
    assert upper == pytest.approx(scipy_upper, abs=1e-12)
    miss = _upper_miss(upper, n)
    assert 0.025 < miss <= most, miss  # the README's numbers
    exact = np.array([1.0 if k == n else float(beta.ppf(0.975, k + 1, n - k)) for k in range(n + 1)])
    assert _upper_miss(exact, n) <= 0.025 + 1e-12


def test_zero_of_n_and_n_of_n_do_not_collapse() -> None:
    for n in (1, 5, 20, 100):
        low, high = wilson_interval(0, n)
        assert low == 0.0 and high == pytest.approx(binomtest(0, n).proportion_ci(0.95, method="wilson").high)
        assert high > 0
        low, high = wilson_interval(n, n)
        assert high == 1.0 and low == pytest.approx(binomtest(n, n).proportion_ci(0.95, method="wilson").low)
        assert low < 1
