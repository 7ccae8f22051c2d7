"""attack18c: a non-finite metric would be logged to MLflow as a number it is not.

MLflow stores ``inf`` as ``1.7976931348623157e+308`` (and ``-inf`` as its negative) and ``nan`` as a value; an int
beyond a float made ``log_run`` raise (exit 3). No metric the gate, drift or canary computes today is non-finite
(checked: their intervals and p-values are finite), so this is a guard at the sink: unknown is no number, and
``log_run`` leaves such a value out. Real sqlite store.
"""

from __future__ import annotations

import math
from pathlib import Path

from mlflow_store import fresh_store

from gatekit.sinks.mlflow import log_run


def test_non_finite_metrics_are_left_out_not_logged_as_huge_numbers(tmp_path: Path) -> None:
    uri = fresh_store(tmp_path / "mlflow.db")
    metrics = {"open_high": math.inf, "open_low": -math.inf, "unknown": math.nan, "huge": 10**400}
    metrics.update(error_rate=0.25, cases=4)
    run_id, _ = log_run(uri, "e18c", "r", {"p": 1}, metrics, {"t": "v"}, [])

    from mlflow.tracking import MlflowClient

    logged = MlflowClient(tracking_uri=uri).get_run(run_id).data.metrics
    assert logged == {"error_rate": 0.25, "cases": 4.0}
