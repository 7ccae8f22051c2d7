"""Small, fixed-size plot data for the report: downsampled ECDFs, shared-bin histograms, category shares.

However many rows were read, a numeric feature yields ``points`` ECDF points per side
and ``bins`` histogram bars, so drift.json and drift.html stay small.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

TOP_CATEGORIES = 15


def _quantile(sorted_values: Any, q: float) -> float:
    """Linear-interpolated quantile of a sorted array (numpy's default method), without a partition."""
    position = q * (len(sorted_values) - 1)
    low = int(position)
    high = min(low + 1, len(sorted_values) - 1)
    weight = position - low
    return float(sorted_values[low] * (1 - weight) + sorted_values[high] * weight)


def _mean(sorted_values: Any) -> float:
    """Mean that does not overflow for values near ±1.8e308 (scaled by the largest magnitude)."""
    import numpy as np

    scale = max(abs(float(sorted_values[0])), abs(float(sorted_values[-1])))
    if scale < 1e300:
        return float(np.mean(sorted_values))
    return float(np.mean(sorted_values / scale) * scale)


def _edges(lo: float, hi: float, bins: int) -> Any:
    """``bins + 1`` evenly spaced edges from lo to hi, even when ``hi - lo`` overflows a float."""
    import numpy as np

    t = np.linspace(0.0, 1.0, bins + 1)
    edges = lo * (1.0 - t) + hi * t
    edges[0], edges[-1] = lo, hi
    return edges


def describe(sorted_values: Any) -> dict[str, float]:
    """Mean and a few quantiles of a sorted, non-empty float array."""
    return {
        "mean": _mean(sorted_values),
        "p05": _quantile(sorted_values, 0.05),
        "p50": _quantile(sorted_values, 0.5),
        "p95": _quantile(sorted_values, 0.95),
        "min": float(sorted_values[0]),
        "max": float(sorted_values[-1]),
    }


def _ecdf_points(sorted_values: Any, points: int) -> list[list[float]]:
    import numpy as np

    n = len(sorted_values)
    index = np.unique(np.linspace(0, n - 1, num=min(points, n)).round().astype(int))
    return [[float(sorted_values[i]), float((i + 1) / n)] for i in index]


def _shares(sorted_values: Any, edges: Any) -> Any:
    """Share of values per bin (tails clipped into the edge bins), by binary search on sorted data."""
    import numpy as np

    cuts = np.searchsorted(sorted_values, edges[1:-1], side="left")
    counts = np.diff(np.concatenate(([0], cuts, [len(sorted_values)])))
    return counts / max(len(sorted_values), 1)


def numeric_plot(ref_sorted: Any, prod_sorted: Any, points: int, bins: int) -> dict[str, Any]:
    """ECDF points of both sorted sides and histograms on shared bins over the 1st-99th percentile range."""
    lo = min(_quantile(ref_sorted, 0.01), _quantile(prod_sorted, 0.01))
    hi = max(_quantile(ref_sorted, 0.99), _quantile(prod_sorted, 0.99))
    if hi <= lo:
        pad = max(0.5, abs(lo) * 1e-9)
        lo, hi = lo - pad, hi + pad
    edges = _edges(lo, hi, bins)
    ref_hist = _shares(ref_sorted, edges)
    prod_hist = _shares(prod_sorted, edges)
    return {
        "x_range": [lo, hi],
        "ecdf_reference": _ecdf_points(ref_sorted, points),
        "ecdf_production": _ecdf_points(prod_sorted, points),
        "bin_edges": [float(e) for e in edges],
        "hist_reference": [float(v) for v in ref_hist],
        "hist_production": [float(v) for v in prod_hist],
    }


def categorical_plot(reference: Counter[str], production: Counter[str], new: set[str]) -> dict[str, Any]:
    """Shares of the most common categories on each side (the rest summed as ``(rest)``)."""
    n_ref, n_prod = sum(reference.values()) or 1, sum(production.values()) or 1
    cats = sorted(set(reference) | set(production), key=lambda c: (-(reference[c] / n_ref + production[c] / n_prod), c))
    top = cats[:TOP_CATEGORIES]
    rows = [
        {
            "category": c,
            "reference": reference[c] / n_ref,
            "production": production[c] / n_prod,
            "new": c in new,
        }
        for c in top
    ]
    rest = cats[TOP_CATEGORIES:]
    if rest:
        rows.append(
            {
                "category": f"(rest: {len(rest)} categories)",
                "reference": sum(reference[c] for c in rest) / n_ref,
                "production": sum(production[c] for c in rest) / n_prod,
                "new": False,
            }
        )
    return {"categories": rows}
