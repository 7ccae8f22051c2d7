"""Statistics of the canary judgement, from engine summaries: Wilson and Newcombe intervals, Mann-Whitney, Hodges-Lehmann.

Pure Python plus numpy for the Hodges-Lehmann search; no scipy at run time (the tests check every
function against ``scipy.stats`` and a brute-force pairwise computation).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Any


def z_value(confidence: float) -> float:
    """Two-sided normal quantile for ``confidence`` (1.959964 for 0.95)."""
    return NormalDist().inv_cdf(0.5 + confidence / 2)


def wilson(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval of a proportion (``gatekit.metrics.wilson_interval``: exactly 0 / 1 at the ends).

    None when ``n`` is 0 (unknown, never zero).
    """
    from gatekit.metrics import wilson_interval

    return wilson_interval(successes, n, confidence) if n > 0 else None


def proportion_difference(
    x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95
) -> tuple[float, float, float, float] | None:
    """``p1 - p2`` with Newcombe's hybrid score interval and the pooled two-proportion z-test p-value.

    Returns ``(difference, low, high, p_value)``; None when either sample is empty.
    """
    w1, w2 = wilson(x1, n1, confidence), wilson(x2, n2, confidence)
    if w1 is None or w2 is None:
        return None
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    low = d - math.sqrt((p1 - w1[0]) ** 2 + (w2[1] - p2) ** 2)
    high = d + math.sqrt((w1[1] - p1) ** 2 + (p2 - w2[0]) ** 2)
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    p_value = 1.0 if se == 0 else math.erfc(abs(d) / se / math.sqrt(2))
    return d, max(-1.0, low), min(1.0, high), min(1.0, p_value)


@dataclass(frozen=True)
class MannWhitney:
    """Mann-Whitney U of the canary sample against the baseline (normal approximation, tie and continuity corrected)."""

    u: float  # U of the canary sample
    n_canary: int
    n_baseline: int
    z: float
    p_value: float  # two-sided
    auc: float  # U / (n_canary * n_baseline): P(canary > baseline) + ties / 2


def mann_whitney(rank_sum_canary: float, n_canary: int, n_baseline: int, tie_term: float) -> MannWhitney | None:
    """Mann-Whitney from the canary rank sum (mid-ranks) and ``sum(t^3 - t)`` over tie groups.

    The same asymptotic two-sided p-value as ``scipy.stats.mannwhitneyu(..., method="asymptotic")``.
    """
    n1, n2 = int(n_canary), int(n_baseline)
    if n1 == 0 or n2 == 0:
        return None
    n = n1 + n2
    u1 = rank_sum_canary - n1 * (n1 + 1) / 2
    mu = n1 * n2 / 2
    var = n1 * n2 / 12 * ((n + 1) - tie_term / (n * (n - 1)))
    if var <= 0:
        return MannWhitney(u1, n1, n2, 0.0, 1.0, u1 / (n1 * n2))
    u = max(u1, n1 * n2 - u1)
    z = (u - mu - 0.5) / math.sqrt(var)
    p = min(1.0, max(0.0, math.erfc(z / math.sqrt(2))))
    return MannWhitney(u1, n1, n2, (u1 - mu) / math.sqrt(var), p, u1 / (n1 * n2))


def _kth_difference(x: Any, y: Any, k: int) -> float:
    """The ``k``-th smallest (1-based) of all ``x_i - y_j``, by bisection on counts (``x``, ``y`` sorted numpy arrays)."""
    import numpy as np

    lo, hi = float(x[0] - y[-1]), float(x[-1] - y[0])
    n = len(y)

    def count_le(d: float) -> int:
        return int((n - np.searchsorted(y, x - d, side="left")).sum())

    if count_le(lo) >= k:
        return lo
    for _ in range(200):
        mid = (lo + hi) / 2
        if mid in (lo, hi):
            break
        if count_le(mid) >= k:
            hi = mid
        else:
            lo = mid
    return hi


def hodges_lehmann(
    canary: Any, baseline: Any, confidence: float = 0.95, extended_span: float | None = None
) -> tuple[float, float | None, float | None] | None:
    """Hodges-Lehmann shift (median of all canary - baseline differences) with Moses' distribution-free interval.

    Returns ``(estimate, low, high)``; an interval end is None when the samples are too small for
    ``confidence``. Runs in O((m + n) log n) per bisection step, never forming the m·n differences.
    With ``extended_span`` (``hodges_lehmann_ratio``), a chosen difference beyond it stands for ±inf.
    """
    import numpy as np

    x = np.sort(np.asarray(canary, dtype=float))
    y = np.sort(np.asarray(baseline, dtype=float))
    m, n = len(x), len(y)
    if m == 0 or n == 0:
        return None
    total = m * n

    def kth(k: int) -> float:
        value = _kth_difference(x, y, k)
        if extended_span is not None and abs(value) > extended_span + 0.5:  # stand-in pairs lie >= span + 1 out
            return math.copysign(math.inf, value)
        return value

    if total % 2:
        estimate = kth(total // 2 + 1)
    else:
        below, above = kth(total // 2), kth(total // 2 + 1)
        estimate = 0.0 if math.isinf(below) and math.isinf(above) and below != above else (below + above) / 2
    c = math.floor(total / 2 - z_value(confidence) * math.sqrt(m * n * (m + n + 1) / 12))
    if c < 0:
        return estimate, None, None
    return estimate, kth(c + 1), kth(total - c)


def hodges_lehmann_ratio(
    canary: Any, baseline: Any, confidence: float = 0.95
) -> tuple[float, float | None, float | None] | None:
    """Hodges-Lehmann estimate and Moses interval of the ratio canary / baseline, minus 1 (``0.1`` is +10 %).

    Computed on the log scale. A value of 0 (a free request, a cached answer) has log -inf, so its pairwise log
    ratios are +inf (a positive canary value over a 0 baseline one), -inf (0 over a positive one: -100 %) and 0
    (0 over 0: the same). The order statistics are taken over those extended values exactly: each 0 becomes a
    stand-in further below every positive value than the positive values span, so the ranks of all pairwise
    differences are the extended ones, and a chosen difference beyond that span is the infinite one it stands for.
    (Mapping 0 to the smallest positive value instead made a canary that costs on every request look equal to a
    baseline that was free on most: interval [0, 0], promote.) Returns ``(estimate, low, high)`` as ratios - 1,
    +inf for an unbounded increase; an interval end is None when the samples are too small for ``confidence``.
    """
    import numpy as np

    x = np.asarray(canary, dtype=float)
    y = np.asarray(baseline, dtype=float)
    if len(x) == 0 or len(y) == 0:
        return None
    positive = np.concatenate([x[x > 0], y[y > 0]])
    if len(positive) == 0:  # every value 0 on both sides: the same
        logs_x, logs_y, span = np.zeros(len(x)), np.zeros(len(y)), 0.0
    else:
        lowest, highest = float(np.log(positive.min())), float(np.log(positive.max()))
        span = highest - lowest
        stand_in = lowest - 2 * span - 1  # |positive - stand-in| > span >= |positive - positive|
        logs_x = np.where(x > 0, np.log(np.where(x > 0, x, 1.0)), stand_in)
        logs_y = np.where(y > 0, np.log(np.where(y > 0, y, 1.0)), stand_in)
    found = hodges_lehmann(logs_x, logs_y, confidence, extended_span=span)
    if found is None:
        return None
    estimate, low, high = found
    return (
        _ratio_minus_one(estimate),
        None if low is None else _ratio_minus_one(low),
        None if high is None else _ratio_minus_one(high),
    )


def _ratio_minus_one(log_ratio: float) -> float:
    """``exp(log_ratio) - 1``; +inf past the float range (a canary cost of 1e308 against 0.002: exit 3 before)."""
    try:
        return math.expm1(log_ratio)
    except OverflowError:
        return math.inf
