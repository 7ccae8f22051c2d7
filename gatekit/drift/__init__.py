"""Drift between a golden dataset (or earlier logs) and production: features, KS / chi-square, BH, floors.

``check_drift`` is the library entry point (the CLI's ``gatekit drift`` calls it);
``drift_check_for_gate`` is what ``gatekit promote --production`` calls.
Nothing here imports scipy, numpy or pyarrow at module level.
"""

from __future__ import annotations

from gatekit.drift.config import DriftConfig, DriftFeatureRule
from gatekit.drift.core import SCHEMA_VERSION, DriftResult, check_drift, drift_check_for_gate

__all__ = [
    "SCHEMA_VERSION",
    "DriftConfig",
    "DriftFeatureRule",
    "DriftResult",
    "check_drift",
    "drift_check_for_gate",
]
