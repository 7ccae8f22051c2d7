"""Drift between a golden dataset (or earlier logs) and production: features, KS / chi-square, BH, floors.

``compute_drift`` (core) computes the report; ``check_drift`` (publish) computes, writes
drift.json/drift.html and logs to MLflow — the library entry point the CLI's ``gatekit drift``
calls; ``drift_check_for_gate`` is what ``gatekit promote --production`` calls; ``DriftConfig``
is the ``drift:`` section of gatekit.yaml. Names are imported on first use, so
importing this package (as the CLI does) costs nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from gatekit.drift.config import DriftConfig, DriftFeatureRule
    from gatekit.drift.core import SCHEMA_VERSION, DriftResult, compute_drift
    from gatekit.drift.publish import check_drift, drift_check_for_gate

_LAZY = {
    "DriftConfig": "gatekit.drift.config",
    "DriftFeatureRule": "gatekit.drift.config",
    "SCHEMA_VERSION": "gatekit.drift.core",
    "DriftResult": "gatekit.drift.core",
    "compute_drift": "gatekit.drift.core",
    "check_drift": "gatekit.drift.publish",
    "drift_check_for_gate": "gatekit.drift.publish",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'gatekit.drift' has no attribute {name!r}")


__all__ = [
    "SCHEMA_VERSION",
    "DriftConfig",
    "DriftFeatureRule",
    "DriftResult",
    "check_drift",
    "compute_drift",
    "drift_check_for_gate",
]
