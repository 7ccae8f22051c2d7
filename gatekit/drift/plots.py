"""Small, fixed-size plot data for the report: downsampled ECDFs, shared-bin histograms, category shares.

However many rows were read, a numeric feature yields ``points`` ECDF points per side
and ``bins`` histogram bars, so drift.json and drift.html stay small.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

TOP_CATEGORIES = 15


def describe(values: Any) -> dict[str, float]:
    """Mean and a few quantiles of a float array (non-empty)."""
    import numpy as np

    quantiles = np.quantile(values, [0.05, 0.5, 0.95])
    return {
        "mean": float(np.mean(values)),
        "p05": float(quantiles[0]),
        "p50": float(quantiles[1]),
        "p95": float(quantiles[2]),
        "min": float(np.min(values)),
        "max": float(np.max(values)),
    }


def _ecdf_points(sorted_values: Any, points: int) -> list[list[float]]:
    import numpy as np

    n = len(sorted_values)
    index = np.unique(np.linspace(0, n - 1, num=min(points, n)).round().astype(int))
    return [[float(sorted_values[i]), float((i + 1) / n)] for i in index]


def numeric_plot(reference: Any, production: Any, points: int, bins: int) -> dict[str, Any]:
    """ECDF points of both sides and histograms on shared bins over the 1st-99th percentile range."""
    import numpy as np

    ref_sorted = np.sort(reference)
    prod_sorted = np.sort(production)
    lo = float(min(np.quantile(ref_sorted, 0.01), np.quantile(prod_sorted, 0.01)))
    hi = float(max(np.quantile(ref_sorted, 0.99), np.quantile(prod_sorted, 0.99)))
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    edges = np.linspace(lo, hi, bins + 1)
    ref_hist = np.histogram(np.clip(ref_sorted, lo, hi), bins=edges)[0] / max(len(ref_sorted), 1)
    prod_hist = np.histogram(np.clip(prod_sorted, lo, hi), bins=edges)[0] / max(len(prod_sorted), 1)
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
    cats = sorted(
        set(reference) | set(production), key=lambda c: (-(reference[c] / n_ref + production[c] / n_prod), c)
    )
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
