"""publish20: logging a gate run leaves a library caller's own MLflow state as it was.

``log_run`` used MLflow's fluent API (``set_experiment``, ``start_run``), whose tracking URI, active experiment and
active run belong to the whole process: a caller that also uses MLflow (tracking URI A, its experiment) found the
gate's experiment active afterwards, an id of the gate's store B, so its next ``mlflow.start_run()`` logged into
the wrong experiment of A (or failed). ``log_run`` now uses an ``MlflowClient`` bound to B only. Real sqlite stores.
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import mlflow
import pytest
from mlflow_store import fresh_store

from gatekit.sinks import mlflow as sink


def test_a_gate_run_logged_to_b_leaves_the_caller_s_store_a_experiment_and_runs_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    store_a = fresh_store(tmp_path / "a" / "mlflow.db")
    store_b = fresh_store(tmp_path / "b" / "mlflow.db")
    before = mlflow.get_tracking_uri()
    try:
        mlflow.set_tracking_uri(store_a)
        for other in ("one", "two"):  # the caller's experiment id is not the one the gate's gets in B
            mlflow.create_experiment(other)
        mine = mlflow.set_experiment("callers-own").experiment_id
        artifacts = (tmp_path / "artifacts").as_uri()  # (the gate would create it with ./mlruns for its artifacts)
        mlflow.MlflowClient(tracking_uri=store_b).create_experiment("gatekit", artifact_location=artifacts)
        verdict = tmp_path / "verdict.json"
        verdict.write_text('{"verdict": "pass"}\n', encoding="utf-8")
        dataset = {"name": "golden", "path": "ds.jsonl", "sha256": "ab" * 32, "records": [{"id": "c1", "input": "hi"}]}
        for bounded in (False, True):  # a library call as is, and as the gate calls it (requests on a worker thread)
            with sink.publish_deadline(60) if bounded else contextlib.nullcontext():
                run_id, experiment_id = sink.log_run(
                    store_b, "gatekit", "gate", {"p": 1}, {"m": 0.5}, {"t": "v"}, [verdict], dataset=dataset
                )
            assert mlflow.get_tracking_uri() == store_a
            assert experiment_id != mine
            assert mlflow.tracking.fluent._get_experiment_id() == mine  # it was the gate's experiment id (of B)
            assert mlflow.active_run() is None
        with mlflow.start_run() as own:  # the caller's next run goes where it went before
            pass
        assert own.info.experiment_id == mine
        assert mlflow.MlflowClient(tracking_uri=store_a).get_run(own.info.run_id).info.status == "FINISHED"
    finally:
        mlflow.set_tracking_uri(before)
        mlflow.tracking.fluent._active_experiment_id = None
    run = mlflow.MlflowClient(tracking_uri=store_b).get_run(run_id)
    assert run.info.experiment_id == experiment_id and run.info.status == "FINISHED"
    assert run.data.params == {"p": "1"} and run.data.metrics == {"m": 0.5} and run.data.tags["t"] == "v"
    assert [d.dataset.name for d in run.inputs.dataset_inputs] == ["golden"]
    assert [a.path for a in mlflow.MlflowClient(tracking_uri=store_b).list_artifacts(run_id)] == ["verdict.json"]
    assert run.info.end_time is not None and run.info.end_time <= int(time.time() * 1000)
