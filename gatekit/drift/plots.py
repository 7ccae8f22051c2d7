"""Small, fixed-size plot data for the report, computed by the engine (``gatekit.production``).

However many rows were read, a numeric feature yields at most ``ecdf_points`` ECDF points per side
and ``histogram_bins`` bars on shared bins (``NumericComparison``), and a categorical feature the
``TOP_CATEGORIES`` most common categories by share plus the rest summed (``CategorySummary.plot``),
so drift.json and drift.html stay small.
"""

from __future__ import annotations

TOP_CATEGORIES = 15
