"""fix18f: reading MLflow traces holds at most ``page_bytes`` of trace data at once, whatever the page size.

Before: a page of ``page_size`` traces was read whole with its spans: 10 traces of 5 MB took ~450 MB at page size
500. Now each page is searched without spans first; a page whose recorded sizes (``mlflow.trace.sizeBytes``) exceed
the budget is read trace by trace in batches under it. Real sqlite MLflow store; peak measured with tracemalloc.
"""

from __future__ import annotations

import gc
import tracemalloc
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gatekit.errors import ConfigError
from gatekit.production.mlflow_traces import spill_traces

mlflow = pytest.importorskip("mlflow")

TRACES = 8
CHARS = 1_000_000


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    from mlflow_store import fresh_store

    folder = tmp_path_factory.mktemp("fix18f-traces")
    uri = fresh_store(folder / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        experiment = mlflow.MlflowClient(tracking_uri=uri).create_experiment(
            "big18f", artifact_location=str(folder / "artifacts")
        )
        mlflow.set_experiment(experiment_id=experiment)

        @mlflow.trace
        def agent(question: str) -> str:
            return "short answer"

        for i in range(TRACES):
            agent(chr(ord("a") + i) * (CHARS + i))
        mlflow.flush_trace_async_logging()
    finally:
        mlflow.set_tracking_uri(previous)
    return uri


def _spill_peak(uri: str, folder: Path, page_bytes: int) -> tuple[list[int], int, float]:
    gc.collect()
    tracemalloc.start()
    try:
        spill = spill_traces("mlflow:big18f", folder, tracking_uri=uri, page_size=500, page_bytes=page_bytes)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    chars = sorted(pq.read_table(spill.path, columns=["input_chars"]).column("input_chars").to_pylist())
    return chars, spill.pages, peak / 2**20


def test_large_traces_are_read_in_batches_under_the_byte_budget(big_store: str, tmp_path: Path) -> None:
    whole_chars, whole_pages, whole_peak = _spill_peak(big_store, tmp_path / "whole", page_bytes=2**40)
    small_chars, small_pages, small_peak = _spill_peak(big_store, tmp_path / "small", page_bytes=2**20)
    # the same rows either way: every trace once, in one page of the search
    assert whole_chars == small_chars == [CHARS + i for i in range(TRACES)]
    assert whole_pages == small_pages == 1
    # one trace at a time instead of eight: the peak drops by far more than half
    assert small_peak < whole_peak / 3, (small_peak, whole_peak)


def test_page_bytes_must_be_positive(big_store: str, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="page bytes 0"):
        spill_traces("mlflow:big18f", tmp_path, tracking_uri=big_store, page_bytes=0)
