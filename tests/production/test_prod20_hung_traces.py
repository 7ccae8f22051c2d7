"""prod20: MLflow traces still in progress (hung requests) hold a canary stage past a bound; they never promote.

fix19g counted them and said so in canary.json, but the decision ignored them: a canary whose requests hung (no
outcome, so no row) was promoted on the requests that did finish. Now a stage holds, naming the count, when they are
more than ``in_progress.max_share`` of the requests (default 1 %) or the oldest has been in progress longer than
``in_progress.max_age`` (default 5 min; the proxy's upstream timeout is 2 min): inconclusive is no pass. Both bounds
are set in the rules file. A real sqlite MLflow store with traces started and never ended.
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

mlflow = pytest.importorskip("mlflow")

FINISHED = 40  # one a minute over the last 40 minutes, baseline and canary in turn
RULES = {
    "window": "5m",
    "min_requests": 2,
    "min_windows": 3,
    "rollback": [{"rule": "error_rate > 50% for 3 consecutive windows"}],
}


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    from mlflow.entities import TraceInfo, TraceLocation, TraceState
    from mlflow.tracking._tracking_service.utils import _get_store
    from mlflow_store import fresh_store

    folder = tmp_path_factory.mktemp("mlflow-hung")
    uri = fresh_store(folder / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    now_ms = int(time.time() * 1000)
    # experiment -> request times (ms) of the traces that never ended
    hung = {"healthy": [], "one-old": [now_ms - 20 * 60_000], "many-fresh": [now_ms - 30_000] * 3}
    try:
        client = mlflow.MlflowClient(tracking_uri=uri)
        for name, started in hung.items():
            exp = client.create_experiment(name, artifact_location=str(folder / name))
            start = time.time_ns() - FINISHED * 60 * 10**9
            for i in range(FINISHED):
                at = start + i * 60 * 10**9
                tags = {"variant": "canary" if i % 2 else "baseline"}
                span = client.start_trace(f"ok-{i}", inputs={"q": "x"}, experiment_id=exp, tags=tags, start_time_ns=at)
                client.end_trace(span.trace_id, outputs="ok", end_time_ns=at + 5 * 10**6)
            mlflow.flush_trace_async_logging()
            for k, request_ms in enumerate(started):  # a request still running: no outcome, no span data yet
                info = TraceInfo(
                    trace_id=f"tr-{name:0>24}{k:08d}",
                    trace_location=TraceLocation.from_experiment_id(exp),
                    request_time=request_ms,
                    state=TraceState.IN_PROGRESS,
                    tags={"variant": "canary"},
                )
                _get_store().start_trace(info)
        yield {"uri": uri}
    finally:
        mlflow.set_tracking_uri(previous)


def _judge(store: dict[str, Any], experiment: str, **extra: Any) -> dict[str, Any]:
    from gatekit.canary.core import analyse
    from gatekit.canary.engine import open_engine
    from gatekit.canary.rules import RolloutRules

    rules = RolloutRules.model_validate({**RULES, **extra})
    engine = open_engine(f"mlflow:{experiment}", "duckdb", tracking_uri=store["uri"])
    try:
        return analyse(engine, rules, stage=rules.stages[0], source=f"mlflow:{experiment}").data
    finally:
        engine.close()


def test_without_hung_requests_the_stage_is_promoted(store: dict[str, Any]) -> None:
    data = _judge(store, "healthy")
    assert data["decision"] == "promote" and data["traces_in_progress"] == 0, data["reasons"]


def test_one_request_hung_longer_than_max_age_holds(store: dict[str, Any]) -> None:
    data = _judge(store, "one-old")  # 1 of 41 requests: 2.4 % too, so the age alone is checked with a wide share
    assert data["decision"] == "hold" and data["exit_code"] == 4, data["reasons"]
    data = _judge(store, "one-old", in_progress={"max_share": "5%"})
    assert data["decision"] == "hold" and data["traces_in_progress"] == 1, data["reasons"]
    assert data["reasons"][0].startswith("1 MLflow trace(s) still in progress (the oldest started "), data["reasons"]
    assert "longer than in_progress.max_age 5 min" in data["reasons"][0] and "max_share" not in data["reasons"][0]


def test_more_hung_requests_than_max_share_hold(store: dict[str, Any]) -> None:
    data = _judge(store, "many-fresh")  # 3 of 43 requests, each 30 s in progress (younger than max_age)
    assert data["decision"] == "hold", data["reasons"]
    # (the share of the requests in the judged windows: 3 of about 43)
    assert re.match(r"3 MLflow trace\(s\) still in progress \(\d\.\d% of the requests, more than in_progress.max_share "
                    r"1\.0%\): hung requests have no outcome", data["reasons"][0]), data["reasons"]  # fmt: skip


def test_within_the_configured_bounds_the_stage_is_promoted_and_the_traces_are_said(store: dict[str, Any]) -> None:
    data = _judge(store, "many-fresh", in_progress={"max_share": "10%", "max_age": "10m"})
    assert data["decision"] == "promote" and data["traces_in_progress"] == 3, data["reasons"]
    assert any("3 MLflow trace(s) still in progress" in r for r in data["reasons"]), data["reasons"]
    assert data["config"]["in_progress"] == {"max_share": 0.1, "max_age": 600_000.0}


def test_the_bounds_are_checked_in_the_rules_file() -> None:
    from pydantic import ValidationError

    from gatekit.canary.rules import RolloutRules

    for bad in ({"max_share": "2m"}, {"max_age": "5%"}, {"max_share": 1.5}, {"max_age": 0}, {"max_hung": 1}):
        with pytest.raises(ValidationError):
            RolloutRules.model_validate({**RULES, "in_progress": bad})
