"""fix18e: the Parquet file MLflow traces are spilled to (agent inputs and outputs) is created 0600."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from gatekit.production.mlflow_traces import spill_traces

mlflow = pytest.importorskip("mlflow")


def test_spilled_traces_are_private(tmp_path: Path) -> None:
    from mlflow_store import fresh_store

    uri = fresh_store(tmp_path / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)  # the trace export goes to the process's tracking URI
    try:
        client = mlflow.MlflowClient(tracking_uri=uri)
        exp = client.create_experiment("prod", artifact_location=str(tmp_path / "artifacts"))
        span = client.start_trace("agent", inputs={"q": "my order 12"}, experiment_id=exp)
        client.end_trace(span.trace_id, outputs="shipped")
        mlflow.flush_trace_async_logging()
    finally:
        mlflow.set_tracking_uri(previous)
    folder = tmp_path / "spill"
    folder.mkdir()
    old = os.umask(0o022)
    try:
        spill = spill_traces("mlflow:prod", folder, tracking_uri=uri)
    finally:
        os.umask(old)
    assert spill.rows == 1
    assert oct(stat.S_IMODE(spill.path.stat().st_mode)) == "0o600"  # was 0o644
