"""``gatekit.sinks.mlflow`` against a real MLflow store (sqlite in a temporary folder) and real closed or failing servers.

One store is shared by the module (creating its schema takes seconds); every test uses its own
experiment, created with an artifact location inside the temporary folder (never ./mlruns).
"""

from __future__ import annotations

import http.server
import socket
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import serve_http
from mlflow_store import fresh_store

from gatekit.errors import SinkError
from gatekit.sinks import mlflow as sink

SECRET_URL = "http://admin:s3cretpass@10.1.2.3:4000/v1?token=t0k3nVALUE"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("mlflow-store")
    uri = fresh_store(root / "mlflow.db")
    from mlflow import MlflowClient

    return {"uri": uri, "root": root, "client": MlflowClient(tracking_uri=uri)}


@pytest.fixture
def experiment(store: dict[str, Any]) -> str:
    name = f"exp-{uuid.uuid4().hex[:8]}"
    artifacts = store["root"] / "artifacts" / name
    artifacts.mkdir(parents=True)
    store["client"].create_experiment(name, artifact_location=artifacts.as_uri())
    return name


def _log(store: dict[str, Any], experiment: str, **kwargs: Any) -> tuple[str, str]:
    args: dict[str, Any] = {"params": {}, "metrics": {}, "tags": {}, "artifacts": [], **kwargs}
    return sink.log_run(store["uri"], experiment, args.pop("run_name", "run"), **args)


def test_log_run_writes_params_metrics_tags_and_artifacts(
    store: dict[str, Any], experiment: str, tmp_path: Path
) -> None:
    verdict = tmp_path / "verdict.json"
    verdict.write_text('{"verdict": "pass"}\n', encoding="utf-8")
    seen: list[tuple[str, str]] = []
    started = int(time.time() * 1000) - 60_000
    run_id, experiment_id = _log(
        store,
        experiment,
        run_name="gate-candidate",
        params={"concurrency": 4, "checks": ["error_rate", "latency_p95_ms"], "agent": "python:agent:run"},
        metrics={"error_rate": 0.05, "cases": 60, "unknown": None, "flag": True, "text": "x"},  # type: ignore[dict-item]
        tags={"gatekit.verdict": "pass"},
        artifacts=[verdict, tmp_path / "missing.html"],
        before_artifacts=lambda rid, eid: seen.append((rid, eid)),
        start_time_ms=started,
    )
    assert seen == [(run_id, experiment_id)]
    run = store["client"].get_run(run_id)
    assert run.info.experiment_id == experiment_id and run.info.run_name == "gate-candidate"
    assert run.info.start_time == started and run.info.status == "FINISHED"
    assert run.data.params == {
        "concurrency": "4",
        "checks": '["error_rate", "latency_p95_ms"]',
        "agent": "python:agent:run",
    }
    assert run.data.metrics == {"error_rate": 0.05, "cases": 60.0}  # None, bools and text are not metrics
    assert run.data.tags["gatekit.verdict"] == "pass"
    assert [a.path for a in store["client"].list_artifacts(run_id)] == ["verdict.json"]  # a missing file is skipped
    assert sink.read_run_artifact(store["uri"], run_id, "verdict.json") == '{"verdict": "pass"}\n'


def test_secrets_in_params_and_tags_stay_redacted_and_long_params_are_cut(
    store: dict[str, Any], experiment: str
) -> None:
    run_id, _ = _log(
        store,
        experiment,
        params={"agent": SECRET_URL, "long": "y" * 2000, "key": "z" * 489 + " AKIAIOSFODNN7EXAMPLE"},
        tags={"gatekit.candidate": SECRET_URL},
    )
    data = store["client"].get_run(run_id).data
    assert data.params["agent"] == "http://***@10.1.2.3:4000/v1?token=***"
    assert data.tags["gatekit.candidate"] == "http://***@10.1.2.3:4000/v1?token=***"
    assert len(data.params["long"]) == 500 and data.params["long"].endswith("…")
    assert (
        data.params["key"].startswith("z" * 489 + " [AWS_") and "AKIAIOSFO" not in data.params["key"]
    )  # redacted before the cut


def test_the_golden_dataset_is_logged_as_the_runs_input(store: dict[str, Any], experiment: str) -> None:
    records = [{"id": "c1", "input": "hi", "tags": ["smoke"]}, {"id": "c2", "input": {"q": "x"}}]
    run_id, _ = _log(
        store, experiment, dataset={"name": "golden", "path": "cases.jsonl", "sha256": "ab" * 32, "records": records}
    )
    inputs = store["client"].get_run(run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    assert inputs[0].dataset.name == "golden" and inputs[0].dataset.digest == ("ab" * 32)[:36]
    assert [t.value for t in inputs[0].tags if t.key == "mlflow.data.context"] == ["golden"]


def test_run_helpers_read_tag_and_upload_against_the_store(
    store: dict[str, Any], experiment: str, tmp_path: Path
) -> None:
    run_id, experiment_id = _log(store, experiment, tags={"gatekit.git_commit": "abc"})
    found = sink.get_run(store["uri"], run_id)
    assert found is not None and found["experiment_id"] == experiment_id and found["status"] == "FINISHED"
    assert sink.get_run(store["uri"], "0" * 32) is None
    sink.set_run_tags(store["uri"], run_id, {"gatekit.promoted": "true"})
    assert store["client"].get_run(run_id).data.tags["gatekit.promoted"] == "true"
    runs = sink.search_runs(store["uri"], experiment, "tags.`gatekit.git_commit` = 'abc'")
    assert [r["run_id"] for r in runs] == [run_id]
    assert sink.search_runs(store["uri"], "no-such-experiment", "") == []
    page = tmp_path / "report.html"
    page.write_text("<p>again</p>", encoding="utf-8")
    sink.log_run_artifact(store["uri"], run_id, page)
    assert sink.read_run_artifact(store["uri"], run_id, "report.html") == "<p>again</p>"
    assert sink.read_run_artifact(store["uri"], run_id, "absent.txt") is None


def test_registry_lookups_of_what_does_not_exist_are_none(store: dict[str, Any]) -> None:
    assert sink.registry_alias_version(store["uri"], "no-such-model", "champion") is None
    assert sink.registry_model_version(store["uri"], "no-such-model", "1") is None


def test_registry_alias_and_version_tags_round_trip(store: dict[str, Any], experiment: str) -> None:
    run_id, _ = _log(store, experiment)
    name = f"agent-{uuid.uuid4().hex[:8]}"
    store["client"].create_registered_model(name)
    version = store["client"].create_model_version(name, f"runs:/{run_id}/model", run_id=run_id).version
    sink.registry_set_alias(store["uri"], name, "champion", str(version))
    sink.registry_set_version_tag(store["uri"], name, str(version), "gatekit.verdict", "pass")
    assert sink.registry_alias_version(store["uri"], name, "champion") == str(version)
    found = sink.registry_model_version(store["uri"], name, str(version))
    assert found is not None and found["run_id"] == run_id and found["tags"] == {"gatekit.verdict": "pass"}
    assert "champion" in found["aliases"]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_server_is_a_sink_error_at_once() -> None:
    uri = f"http://user:pw1234@127.0.0.1:{_closed_port()}"
    t0 = time.perf_counter()
    with pytest.raises(SinkError) as info:
        sink.log_run(uri, "e", None, {}, {}, {}, [])
    assert time.perf_counter() - t0 < 30  # not MLflow's minutes of retries (importing mlflow alone takes seconds)
    message = str(info.value)
    assert "is unreachable" in message and "pw1234" not in message and "http://***@127.0.0.1:" in message
    with pytest.raises(SinkError, match="is unreachable"):
        sink.get_run(uri, "0" * 32)


class _Failing(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the handler API
        self.send_response(503)
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def failing_server() -> Iterator[str]:
    with serve_http(_Failing) as port:
        yield f"http://127.0.0.1:{port}"


def test_a_server_answering_5xx_on_health_is_a_sink_error(failing_server: str) -> None:
    with pytest.raises(SinkError, match="answered 503"):
        sink.log_run(failing_server, "e", None, {}, {}, {}, [])


def test_a_store_that_cannot_be_opened_is_a_sink_error_naming_it(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    uri = f"sqlite:///{blocker / 'sub' / 'mlflow.db'}"  # a path below a file: sqlite cannot create it
    with pytest.raises(SinkError) as info:
        sink.log_run(uri, "e", None, {"a": 1}, {}, {}, [])
    assert str(info.value).startswith(f"MLflow ({uri}) failed: ") and "\n" not in str(info.value)
