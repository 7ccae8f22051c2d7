"""gatekit: decide whether an AI agent build may reach production.

Public API re-exports only; nothing here imports pandas, scipy or mlflow.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"


def run_gate(*args: Any, **kwargs: Any) -> Any:
    """Replay, measure, govern and judge a candidate; see ``gatekit.gate.run_gate``."""
    from gatekit.gate import run_gate as _run_gate

    return _run_gate(*args, **kwargs)


def check_drift(*args: Any, **kwargs: Any) -> Any:
    """Compare a reference dataset with production logs; see ``gatekit.drift.check_drift``."""
    from gatekit.drift import check_drift as _check_drift

    return _check_drift(*args, **kwargs)


def run_canary(*args: Any, **kwargs: Any) -> Any:
    """Judge a canary stage from production logs (promote / hold / rollback); see ``gatekit.canary.command.run_canary``."""
    from gatekit.canary.command import run_canary as _run_canary

    return _run_canary(*args, **kwargs)


__all__ = ["__version__", "check_drift", "run_canary", "run_gate"]
