"""attack18e: MLflow traces as a production source, attacked from outside with traces logged by MLflow's own tracing
API into a real sqlite store: untrusted names and tags, secrets, paging, windows and parity with the file path."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from gatekit.production.mlflow_traces import spill_traces

mlflow = pytest.importorskip("mlflow")

SECRET = "sk-proj-AbCdEf0123456789AbCdEf0123456789AbCdEf01"
EMAIL = "alice.smith@example.com"


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """Experiment 'hostile': an agent trace whose tags, request id, tool span and model carry a secret / an e-mail."""
    from mlflow.entities import SpanType
    from mlflow_store import fresh_store

    folder = tmp_path_factory.mktemp("attack18e-traces")
    uri = fresh_store(folder / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        client = mlflow.MlflowClient(tracking_uri=uri)
        experiment = client.create_experiment("hostile", artifact_location=str(folder / "artifacts"))
        mlflow.set_experiment(experiment_id=experiment)

        @mlflow.trace(span_type=SpanType.TOOL, name=f"lookup {SECRET}")
        def lookup(order: str) -> str:
            return "shipped"

        @mlflow.trace(span_type=SpanType.LLM)
        def llm(question: str) -> str:
            mlflow.get_current_active_span().set_attribute("mlflow.llm.model", f"model {SECRET}")
            return "fine"

        @mlflow.trace(span_type=SpanType.AGENT)
        def agent(question: str) -> str:
            mlflow.update_current_trace(
                tags={"role": SECRET, "scope": f"mail {EMAIL}", "variant": "canary"},
                metadata={"agent_version": f"v1 {SECRET}"},
                client_request_id=f"req {EMAIL}",
                user=EMAIL,
            )
            lookup("12")
            return llm(question)

        agent(f"my key is {SECRET}, mail {EMAIL}")
        error_type = type(SECRET, (Exception,), {})  # an exception class the agent named: untrusted text

        @mlflow.trace
        def broken(question: str) -> str:
            raise error_type("no")

        with pytest.raises(error_type):
            broken("x")
        mlflow.flush_trace_async_logging()
        yield {"uri": uri, "folder": folder}
    finally:
        mlflow.set_tracking_uri(previous)


def test_no_secret_or_email_from_a_trace_reaches_the_spill(hostile, tmp_path):
    """Tags, user, request id, tool span names, the model and the error type are untrusted text: scrubbed as the
    runtime guard scrubs the same fields of its own rows (before: the secret and the e-mail were written as given)."""
    spill = spill_traces("mlflow:hostile", tmp_path, tracking_uri=hostile["uri"])
    assert spill.rows == 2
    raw = spill.path.read_bytes()
    assert SECRET.encode() not in raw and EMAIL.encode() not in raw and b"sk-proj" not in raw
    rows = pq.read_table(spill.path).to_pylist()
    agent = next(r for r in rows if r["error"] is None)
    assert agent["variant"] == "canary"  # a plain label passes unchanged
    assert agent["tool_names"] and agent["tool_names"][0].startswith("lookup ") and agent["tool_calls"] == 1
    for name in ("role", "scope", "user", "request_id", "agent_version", "model"):
        assert agent[name] and SECRET not in agent[name] and EMAIL not in agent[name], name
    broken = next(r for r in rows if r["error"] is not None)
    assert SECRET not in broken["error"]
    assert agent["input_chars"] == len(f"my key is {SECRET}, mail {EMAIL}")  # features measured on the raw input


def test_canary_over_hostile_traces_writes_no_secret_anywhere(hostile, tmp_path):
    """``gatekit canary --logs mlflow:hostile`` logging its MLflow run to the same store: the report files, the run's
    params, tags, metrics and artifacts hold neither the secret nor the e-mail of the traces (the exit is a hold:
    two rows are no data)."""
    from typer.testing import CliRunner

    from gatekit.cli import app

    out = tmp_path / "out"
    args = ["canary", "--logs", "mlflow:hostile", "--tracking-uri", hostile["uri"], "--out", str(out),
            "--experiment", "attack18e-canary"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 4, result.output  # hold: no data is never a pass
    assert SECRET not in result.output and EMAIL not in result.output
    client = mlflow.MlflowClient(tracking_uri=hostile["uri"])
    experiment = client.get_experiment_by_name("attack18e-canary")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    shown = repr((runs[0].data.params, runs[0].data.tags, runs[0].data.metrics))
    files = [p for p in out.rglob("*") if p.is_file()]
    local = client.download_artifacts(runs[0].info.run_id, "", str(tmp_path / "artifacts"))
    files += [p for p in Path(local).rglob("*") if p.is_file()]
    assert files and SECRET not in shown and EMAIL not in shown
    for path in files:
        data = path.read_bytes()
        assert SECRET.encode() not in data and EMAIL.encode() not in data, path


def _log(client, experiment: str, start_ms: int, name: str, status: str = "OK", children: int = 0) -> str:
    root = client.start_trace(name, span_type="AGENT", inputs={"q": name}, experiment_id=experiment,
                              start_time_ns=start_ms * 1_000_000)  # fmt: skip
    parent, opened = root.span_id, []
    for depth in range(children):  # nested agent spans, a tool at the bottom
        kind = "TOOL" if depth == children - 1 else "AGENT"
        span = client.start_span(f"{kind.lower()}-{depth}", root.trace_id, parent, span_type=kind,
                                 start_time_ns=start_ms * 1_000_000 + depth + 1)  # fmt: skip
        parent = span.span_id
        opened.append(span.span_id)
    for span_id in reversed(opened):
        client.end_span(root.trace_id, span_id, outputs="done", end_time_ns=(start_ms + 4) * 1_000_000)
    client.end_trace(root.trace_id, outputs="ok", status=status, end_time_ns=(start_ms + 5) * 1_000_000)
    return root.trace_id


def test_over_http_ties_deleted_traces_and_the_window_start(mlflow_server, tmp_path):
    """A real ``mlflow server``: 30 traces, ten sharing each millisecond (page size 7 cuts through the ties), one
    deleted, nested agent spans: every trace read once; ``--since`` keeps a trace exactly at the window start."""
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.uri)
    experiment = client.create_experiment(f"attack18e-http-{tmp_path.name}")
    base_ms = 1_796_000_000_000
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(mlflow_server.uri)  # (MLflow exports the client's traces to the global store)
    try:
        ids = [_log(client, experiment, base_ms + (i // 10) * 60_000, f"t{i}", children=i % 3) for i in range(30)]
        mlflow.flush_trace_async_logging()
    finally:
        mlflow.set_tracking_uri(previous)
    deleted = ids[13]
    assert client.delete_traces(experiment, trace_ids=[deleted]) == 1
    name = client.get_experiment(experiment).name
    spill = spill_traces(f"mlflow:{name}", tmp_path / "all", tracking_uri=mlflow_server.uri, page_size=7)
    rows = pq.read_table(spill.path).to_pylist()
    assert spill.rows == len(rows) == 29 and spill.pages == 5
    assert sorted(r["trace_id"] for r in rows) == sorted(set(ids) - {deleted})
    nested = {r["trace_id"]: r for r in rows}[ids[2]]
    assert nested["tool_names"] == ["tool-1"] and nested["tool_calls"] == 1
    # the newest traces are at base + 120 s; a 2-minute window starts exactly at the oldest ten: all kept
    window = spill_traces(f"mlflow:{name}", tmp_path / "w", tracking_uri=mlflow_server.uri, since="2m", page_size=7)
    assert window.window_start_ms == base_ms and window.rows == 29
    narrower = spill_traces(f"mlflow:{name}", tmp_path / "n", tracking_uri=mlflow_server.uri, since="119.999s")
    assert narrower.rows == 19  # one millisecond less: the oldest ten are out (and the deleted one)


def test_drift_over_hostile_traces_writes_no_secret_anywhere(hostile, tmp_path):
    """``gatekit drift`` with both sides ``mlflow:hostile`` and the text features (role, scope, tool names), logged
    to MLflow: neither the report files nor the run hold the secret or the e-mail of the traces."""
    from mlflow.entities import SpanType
    from typer.testing import CliRunner

    from gatekit.cli import app

    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(hostile["uri"])
    try:  # 12 more hostile traces: enough rows per category for a verdict
        experiment = mlflow.MlflowClient(hostile["uri"]).create_experiment(
            "hostile-many", artifact_location=str(tmp_path / "a")
        )
        mlflow.set_experiment(experiment_id=experiment)

        @mlflow.trace(span_type=SpanType.TOOL, name=f"lookup {SECRET}")
        def lookup(order: str) -> str:
            return "shipped"

        @mlflow.trace(span_type=SpanType.AGENT)
        def agent(question: str) -> str:
            mlflow.update_current_trace(tags={"role": SECRET, "scope": f"mail {EMAIL}"}, user=EMAIL)
            return lookup(question)

        for i in range(12):
            agent(f"question {i} {SECRET}")
        mlflow.flush_trace_async_logging()
    finally:
        mlflow.set_tracking_uri(previous)
    out = tmp_path / "out"
    args = ["drift", "--reference", "mlflow:hostile-many", "--production", "mlflow:hostile-many", "--tracking-uri",
            hostile["uri"], "--categorical", "role", "--categorical", "scope", "--categorical", "tool_names",
            "--categorical", "user", "--out", str(out), "--experiment", "attack18e-drift"]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code in (0, 1, 4), result.output
    assert SECRET not in result.output and EMAIL not in result.output
    client = mlflow.MlflowClient(tracking_uri=hostile["uri"])
    runs = client.search_runs([client.get_experiment_by_name("attack18e-drift").experiment_id])
    assert len(runs) == 1
    shown = repr((runs[0].data.params, runs[0].data.tags, runs[0].data.metrics))
    local = client.download_artifacts(runs[0].info.run_id, "", str(tmp_path / "artifacts"))
    files = [p for p in [*out.rglob("*"), *Path(local).rglob("*")] if p.is_file()]
    assert any(p.name == "drift.json" for p in files) and SECRET not in shown and EMAIL not in shown
    for path in files:
        data = path.read_bytes()
        assert SECRET.encode() not in data and EMAIL.encode() not in data, path
