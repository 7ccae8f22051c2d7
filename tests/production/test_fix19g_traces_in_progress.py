"""fix19g: MLflow traces still IN_PROGRESS (a request that hangs) vanished from drift and the canary without a word.

Worse, on MLflow 3 a trace started in the store with no span data yet failed the whole read ("missing span data",
exit 3). Such a trace is now passed on without its spans, left out of the rows, counted, and said: in the spill's
notes, drift.json (``traces_in_progress`` and a warning) and canary.json (``traces_in_progress`` and a reason).
A real sqlite MLflow store holding a trace started and never ended.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from mlflow.entities import TraceInfo, TraceLocation, TraceState
    from mlflow.tracking._tracking_service.utils import _get_store
    from mlflow_store import fresh_store

    folder = tmp_path_factory.mktemp("mlflow-in-progress")
    uri = fresh_store(folder / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        client = mlflow.MlflowClient(tracking_uri=uri)
        exp = client.create_experiment("prod", artifact_location=str(folder / "artifacts"))
        start = time.time_ns() - 3_600 * 10**9
        for i in range(40):
            at = start + i * 60 * 10**9
            tags = {"variant": "canary" if i % 2 else "baseline"}
            span = client.start_trace(f"ok-{i}", inputs={"q": "x" * (i % 9 + 1)}, experiment_id=exp, tags=tags,
                                      start_time_ns=at)  # fmt: skip
            client.end_trace(span.trace_id, outputs="ok", end_time_ns=at + (i % 5 + 1) * 10**6)
        mlflow.flush_trace_async_logging()
        # a request still running: its trace is in the store, with no outcome and no span data yet
        hung = TraceInfo(
            trace_id="tr-0000000000000000000000000000hung",
            trace_location=TraceLocation.from_experiment_id(exp),
            request_time=int(time.time() * 1000) - 60_000,
            state=TraceState.IN_PROGRESS,
        )
        _get_store().start_trace(hung)
        yield {"uri": uri, "folder": folder}
    finally:
        mlflow.set_tracking_uri(previous)


def test_the_spill_counts_an_in_progress_trace_and_reads_the_rest(store: dict[str, Any], tmp_path: Path) -> None:
    from gatekit.production.mlflow_traces import spill_traces

    spill = spill_traces("mlflow:prod", tmp_path, tracking_uri=store["uri"])
    assert (spill.rows, spill.skipped_in_progress) == (40, 1)
    assert spill.notes and "1 MLflow trace(s) still in progress" in spill.notes[0]


def test_drift_says_so_in_drift_json_and_on_the_console(store: dict[str, Any], tmp_path: Path) -> None:
    from gatekit.drift.core import compute_drift, drift_config

    cfg = drift_config(
        reference="mlflow:prod", production="mlflow:prod", numeric=["latency_ms"], tracking_uri=store["uri"]
    )
    report = compute_drift(cfg).report
    assert report["production"]["traces_in_progress"] == 1 and report["reference"]["traces_in_progress"] == 1
    assert report["production"]["rows_read"] == 40
    said = [w for w in report["warnings"] if "still in progress" in w]
    assert len(said) == 2 and said[0].startswith("reference mlflow:prod: 1 MLflow trace(s)"), report["warnings"]


def test_the_canary_says_so_in_canary_json(store: dict[str, Any]) -> None:
    from gatekit.canary.core import analyse
    from gatekit.canary.engine import open_engine
    from gatekit.canary.rules import RolloutRules

    rules = RolloutRules.model_validate({"rollback": [{"rule": "error_rate > 50% for 3 consecutive windows"}]})
    engine = open_engine("mlflow:prod", "duckdb", tracking_uri=store["uri"])
    try:
        result = analyse(engine, rules, stage=rules.stages[0], source="mlflow:prod")
    finally:
        engine.close()
    assert result.data["traces_in_progress"] == 1
    assert any("1 MLflow trace(s) still in progress" in r for r in result.data["reasons"]), result.data["reasons"]
