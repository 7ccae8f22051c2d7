"""attack22m: MLflow traces read page by page while the experiment changes: every trace once, none twice.

Traces were paged by offset (MLflow's page token): a trace logged during the read with an earlier request time
(a long request that ended meanwhile: MLflow records a trace at its start time) shifted every later one by a place,
and the next page began with a trace already read; traces deleted during the read (retention) shifted them the
other way, and as many unread traces were never read. A real sqlite store, real traces, real MLflow calls made
between two pages of gatekit's reader.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from gatekit.production.mlflow_traces import iter_trace_pages

pytestmark = pytest.mark.slow


def traces(client: Any, experiment: str, starts_ms: list[int], name: str) -> list[str]:
    ids = []
    for i, start in enumerate(starts_ms):
        span = client.start_trace(f"{name}-{i}", inputs={"q": "x"}, experiment_id=experiment, start_time_ns=start * 10**6)
        client.end_trace(span.trace_id, outputs="ok", end_time_ns=(start + 5) * 10**6)
        ids.append(span.trace_id)
    import mlflow

    mlflow.flush_trace_async_logging()  # (written in the background): in the store now
    return ids


@pytest.fixture
def store(tmp_path: Path) -> Any:
    import mlflow
    from mlflow_store import fresh_store

    uri = fresh_store(tmp_path / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        yield mlflow.MlflowClient(tracking_uri=uri)
    finally:
        mlflow.flush_trace_async_logging()
        mlflow.set_tracking_uri(previous)


def read(client: Any, experiment: str, page_size: int, between: Any) -> list[str]:
    """Every trace id the reader yields; ``between()`` runs once, after the first page."""
    seen: list[str] = []
    for number, (_, batch) in enumerate(iter_trace_pages(client, experiment, None, page_size=page_size)):
        seen += [t.info.trace_id for t in batch]
        if number == 0:
            between()
    return seen


def test_a_trace_logged_during_the_read_with_an_earlier_time_is_not_read_twice(store: Any, tmp_path: Path) -> None:
    experiment = store.create_experiment("paging", artifact_location=str(tmp_path / "a"))
    base = int(time.time() * 1000) - 60_000
    first = traces(store, experiment, [base + 100 * i for i in range(12)], "t")
    late: list[str] = []
    got = read(store, experiment, 4, lambda: late.extend(traces(store, experiment, [base - 50, base - 40], "late")))
    assert len(got) == len(set(got)), f"{len(got) - len(set(got))} trace(s) read twice"
    assert set(first) <= set(got)


def test_traces_deleted_during_the_read_leave_no_unread_trace_behind(store: Any, tmp_path: Path) -> None:
    experiment = store.create_experiment("paging", artifact_location=str(tmp_path / "a"))
    base = int(time.time() * 1000) - 60_000
    first = traces(store, experiment, [base + 100 * i for i in range(12)], "t")
    got = read(store, experiment, 4, lambda: store.delete_traces(experiment, trace_ids=first[:3]))
    assert set(first[4:]) <= set(got), f"{len(set(first[4:]) - set(got))} trace(s) never read"
    assert len(got) == len(set(got))


@pytest.mark.parametrize("page_size", [1, 3, 4, 7, 50])
def test_many_traces_of_one_millisecond_are_each_read_once(store: Any, tmp_path: Path, page_size: int) -> None:
    """Traces sharing a request time, more than a page of them: the reader's position in time does not move."""
    experiment = store.create_experiment("paging", artifact_location=str(tmp_path / "a"))
    base = int(time.time() * 1000) - 60_000
    ids = traces(store, experiment, [base] * 9 + [base + 1] * 2 + [base + 2], "same")
    got = read(store, experiment, page_size, lambda: None)
    assert sorted(got) == sorted(ids)
