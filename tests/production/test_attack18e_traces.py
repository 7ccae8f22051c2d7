"""attack18e: MLflow traces as a production source, attacked from outside with traces logged by MLflow's own tracing
API into a real sqlite store: untrusted names and tags, secrets, paging, windows and parity with the file path."""

from __future__ import annotations

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
