"""Paired statistics: candidate vs baseline on the same cases.

McNemar's exact test and the Agresti-Min interval for a paired difference of proportions,
and a paired percentile bootstrap for latency and cost. Pure functions over plain numbers
(numpy is imported inside ``paired_bootstrap``), checked against independent known values
in tests/test_promotion_stats.py; the unpaired intervals (Wilson, quantiles) are in
``gatekit.metrics``.
"""

from __future__ import annotations

import math
from typing import Any


def mcnemar_exact_p(regressions: int, fixes: int) -> float:
    """Two-sided exact McNemar p-value: binomial test of ``regressions`` of the discordant pairs at 1/2."""
    m = regressions + fixes
    if m == 0:
        return 1.0
    k = min(regressions, fixes)
    # P(X <= k) for X ~ Binomial(m, 1/2), in log space so large m cannot overflow.
    log_half_m = -m * math.log(2.0)
    tail = sum(
        math.exp(math.lgamma(m + 1) - math.lgamma(i + 1) - math.lgamma(m - i + 1) + log_half_m) for i in range(k + 1)
    )
    return min(1.0, 2.0 * tail)


def _z(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2.0)


def agresti_min_interval(regressions: int, fixes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Agresti-Min (2005) interval for a paired difference of proportions.

    The difference is ``(regressions - fixes) / n``; the interval adds 1/2 to every cell of
    the 2x2 table (n + 2 pairs) and uses the Wald form, which keeps good coverage for small
    counts and does not collapse to a point when no pair is discordant.
    """
    b, c, nn = regressions + 0.5, fixes + 0.5, n + 2.0
    diff = (b - c) / nn
    var = ((b + c) - (b - c) ** 2 / nn) / nn**2
    half = _z(level) * math.sqrt(max(var, 0.0))
    return max(-1.0, diff - half), min(1.0, diff + half)


_BOOT_BLOCK_VALUES = 2_000_000  # resampled values held at once by paired_bootstrap (three arrays of 16 MB)


def paired_bootstrap(
    candidate: list[float],
    baseline: list[float],
    statistic: str,
    *,
    relative: bool,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[float, tuple[float, float]]:
    """Point estimate and percentile interval of ``stat(candidate) - stat(baseline)`` (or ratio - 1).

    Pairs are resampled together (same case indices for both sides), so the interval
    reflects the case-to-case correlation. ``statistic`` is ``mean``, ``sum`` or ``p<q>``
    (e.g. ``p95``: linear-interpolation quantile, R type 7).
    """
    import numpy as np

    cand = np.asarray(candidate, dtype=float)
    base = np.asarray(baseline, dtype=float)
    if cand.shape != base.shape or cand.size == 0:
        raise ValueError("paired_bootstrap needs two non-empty samples of the same length")

    def stat(values: Any) -> Any:
        if statistic == "mean":
            return values.mean(axis=-1)
        if statistic == "sum":
            return values.sum(axis=-1)
        if statistic.startswith("p"):
            return np.quantile(values, float(statistic[1:]) / 100.0, axis=-1)
        raise ValueError(f"unknown statistic {statistic!r}")

    def effect(c: Any, b: Any) -> Any:
        if not relative:
            return c - b
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, c / np.where(b > 0, b, 1.0) - 1.0, np.where(c > 0, np.inf, 0.0))

    point = float(effect(stat(cand), stat(base)))
    rng = np.random.default_rng(seed)
    # resamples drawn and summed up a block at a time (the same draws as all at once): n_boot x n indices and two
    # gathers of them took 24 bytes x 2000 x 100,000 cases = 4.8 GB at once
    block = max(1, _BOOT_BLOCK_VALUES // cand.size)
    parts = []
    for start in range(0, n_boot, block):
        idx = rng.integers(0, cand.size, size=(min(block, n_boot - start), cand.size))
        parts.append(effect(stat(cand[idx]), stat(base[idx])))
    boots = np.concatenate(parts)
    alpha = (1.0 - level) / 2.0
    with np.errstate(invalid="ignore"):  # inf - inf between two infinite resamples: handled by _inf_safe
        lo, hi = np.quantile(boots, [alpha, 1.0 - alpha])
    return point, (_inf_safe(boots, alpha, float(lo)), _inf_safe(boots, 1.0 - alpha, float(hi)))


def _inf_safe(values: Any, q: float, found: float) -> float:
    """``found`` (numpy's R type 7 quantile ``q`` of ``values``), or the same quantile where numpy gives NaN.

    A relative change from a baseline of 0 is +inf; interpolating between two infinities (or from a finite value
    with weight 0) is NaN, and a NaN interval judged a cost that went from 0 to anything as merely inconclusive.
    """
    if not math.isnan(found):
        return found
    import numpy as np

    ordered = np.sort(np.asarray(values, dtype=float))
    position = q * (ordered.size - 1)
    below, above = float(ordered[math.floor(position)]), float(ordered[math.ceil(position)])
    weight = position - math.floor(position)
    if weight == 0 or below == above:
        return below
    return below + (above - below) * weight
