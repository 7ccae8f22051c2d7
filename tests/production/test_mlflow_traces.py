"""MLflow traces as a production source, against a real MLflow sqlite store holding traces logged with MLflow's
tracing API (``@mlflow.trace``, ``mlflow.start_span``, span types, token usage, an error, tags, assessments)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from gatekit.errors import ConfigError, DatasetError
from gatekit.production.mlflow_traces import experiment_of, is_mlflow_spec, spill_traces
from gatekit.production.schema import arrow_schema, input_features

mlflow = pytest.importorskip("mlflow")

DAY_NS = 86_400 * 10**9


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """One sqlite store; experiment 'agent-prod' with hand-checked traces, 'busy' with 23, 'empty' with none."""
    from mlflow.entities import SpanType

    folder = tmp_path_factory.mktemp("mlflow-traces")
    from mlflow_store import fresh_store

    uri = fresh_store(folder / "mlflow.db")  # a copy of a migrated empty store (no migrations here)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    client = mlflow.MlflowClient(tracking_uri=uri)
    try:
        prod = client.create_experiment("agent-prod", artifact_location=str(folder / "artifacts-prod"))
        mlflow.set_experiment(experiment_id=prod)

        @mlflow.trace(span_type=SpanType.TOOL)
        def get_order(order_id: str) -> dict:
            return {"status": "shipped", "id": order_id}

        @mlflow.trace(span_type=SpanType.TOOL)
        def refund(order_id: str) -> str:
            return "refunded"

        @mlflow.trace(span_type=SpanType.CHAT_MODEL)
        def chat_model(messages: list) -> str:
            span = mlflow.get_current_active_span()
            span.set_attribute("mlflow.chat.tokenUsage", {"input_tokens": 12, "output_tokens": 5, "total_tokens": 17})
            span.set_attribute("mlflow.llm.model", "gpt-test-mini")
            return "Your order shipped."

        @mlflow.trace(span_type=SpanType.AGENT)
        def agent(messages: list) -> str:
            mlflow.update_current_trace(
                tags={"variant": "canary", "role": "support", "gatekit.env": "prod", "scope": "orders"},
                metadata={"agent_version": "v2.1"},
                client_request_id="req-chat-1",
                user="user-42",
            )
            get_order("12")
            refund("12")
            return chat_model(messages)

        messages = [
            {"role": "system", "content": "You help with orders."},
            {"role": "user", "content": "Where is my order 12?"},
        ]
        agent(messages)

        @mlflow.trace
        def broken(question: str) -> str:
            mlflow.update_current_trace(tags={"variant": "baseline"})
            raise TimeoutError("upstream took too long")

        with pytest.raises(TimeoutError):
            broken("refund please")

        # start_span with two LLM spans reporting usage per span (no trace-level aggregate set by us)
        with mlflow.start_span("plain", span_type=SpanType.CHAIN) as root:
            root.set_inputs("hello there, general")
            with mlflow.start_span("llm-a", span_type=SpanType.LLM) as span:
                span.set_attribute("mlflow.chat.tokenUsage", {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7})
            with mlflow.start_span("llm-b", span_type=SpanType.LLM) as span:
                span.set_attribute(
                    "mlflow.chat.tokenUsage", {"input_tokens": 10, "output_tokens": 1, "total_tokens": 11}
                )
            root.set_outputs({"answer": "hi"})

        # no token usage anywhere: unknown stays null, never 0
        with mlflow.start_span("no-usage", span_type=SpanType.AGENT) as root:
            root.set_inputs({"question": "what time is it"})
            root.set_outputs("noon")
        mlflow.flush_trace_async_logging()
        no_usage_id = root.trace_id
        mlflow.log_feedback(trace_id=no_usage_id, name="language", value="en")

        # 'busy': 23 traces, three of them 10 days older than the rest (for --since)
        busy = client.create_experiment("busy", artifact_location=str(folder / "artifacts-busy"))
        now_ns = time.time_ns()
        for i in range(23):
            start = now_ns - (10 * DAY_NS if i < 3 else 0) + i * 1_000_000
            span = client.start_trace(f"busy-{i}", inputs={"q": "x" * (i + 1)}, experiment_id=busy, start_time_ns=start)
            client.end_trace(span.trace_id, outputs="ok", end_time_ns=start + (i + 1) * 1_000_000)
        client.create_experiment("empty", artifact_location=str(folder / "artifacts-empty"))
        mlflow.flush_trace_async_logging()
        yield {"uri": uri, "folder": folder, "prod": prod, "busy": busy}
    finally:
        mlflow.set_tracking_uri(previous)


def _rows(path: Path) -> list[dict]:
    table = pq.read_table(path)
    assert table.schema.equals(arrow_schema(), check_metadata=False)
    return table.to_pylist()


@pytest.fixture(scope="module")
def prod_rows(store, tmp_path_factory):
    spill = spill_traces("mlflow:agent-prod", tmp_path_factory.mktemp("spill"), tracking_uri=store["uri"])
    assert spill.rows == 4 and spill.experiment_id == store["prod"]
    return {row["trace_id"]: row for row in _rows(spill.path)}, _rows(spill.path)


def _one(rows: list[dict], **match) -> dict:
    found = [r for r in rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, rows)
    return found[0]


def test_spec_parsing():
    assert is_mlflow_spec("mlflow:agent-prod") and not is_mlflow_spec("logs/*.parquet") and not is_mlflow_spec(None)
    assert experiment_of("mlflow:agent-prod") == "agent-prod"
    with pytest.raises(ConfigError, match="name the experiment"):
        experiment_of("mlflow:  ")


def test_agent_trace_maps_every_field(prod_rows):
    _, rows = prod_rows
    row = _one(rows, request_id="req-chat-1")
    assert row["trace_id"].startswith("tr-") and row["schema_version"] == 1 and row["source"] == "import"
    # request -> input features of the root span's inputs (the function's arguments)
    messages = [
        {"role": "system", "content": "You help with orders."},
        {"role": "user", "content": "Where is my order 12?"},
    ]
    expected = input_features({"messages": messages})
    assert expected == {"input_chars": 43, "input_tokens_est": 11, "turns": 2}
    assert {k: row[k] for k in expected} == expected
    assert row["output_chars"] == len("Your order shipped.")
    assert row["error"] is None
    assert row["latency_ms"] is not None and row["latency_ms"] >= 0
    assert row["input_tokens"] == 12 and row["output_tokens"] == 5
    assert row["tool_names"] == ["get_order", "refund"] and row["tool_calls"] == 2
    assert row["variant"] == "canary" and row["role"] == "support" and row["env"] == "prod" and row["scope"] == "orders"
    assert row["user"] == "user-42" and row["agent_version"] == "v2.1" and row["model"] == "gpt-test-mini"
    assert row["cost_usd"] is None and row["language"] is None and row["outcome"] is None


def test_errored_trace_has_its_exception_type(prod_rows):
    _, rows = prod_rows
    row = _one(rows, error="TimeoutError")
    assert row["variant"] == "baseline"
    assert row["input_chars"] == len("refund please") and row["turns"] == 1
    assert row["output_chars"] is None  # it raised: no output
    assert row["tool_calls"] == 0 and row["tool_names"] == []
    assert row["input_tokens"] is None and row["output_tokens"] is None


def test_span_token_usage_and_unknown_usage(store, prod_rows):
    by_id, rows = prod_rows
    plain = _one(rows, input_chars=len("hello there, general"))
    # the trace-level aggregate MLflow computes equals the sum over the two LLM spans
    assert plain["input_tokens"] == 13 and plain["output_tokens"] == 5
    assert plain["input_tokens_est"] == 4 and plain["output_chars"] == len("hi")
    unknown = _one(rows, input_chars=len("what time is it"))
    assert unknown["input_tokens"] is None and unknown["output_tokens"] is None
    assert unknown["language"] == "en"  # from the assessment named 'language'
    assert unknown["output_chars"] == len("noon")
    # timestamps are the traces' request times (ms), in UTC
    trace = mlflow.MlflowClient(tracking_uri=store["uri"]).get_trace(unknown["trace_id"])
    assert int(unknown["timestamp"].timestamp() * 1000) == trace.info.request_time
    assert unknown["latency_ms"] == float(trace.info.execution_duration)


def test_span_level_usage_summed_without_trace_aggregate(store, prod_rows):
    """Without the trace-level aggregate, the spans' mlflow.chat.tokenUsage are summed; none at all -> null."""
    from gatekit.production.mlflow_traces import trace_to_row

    _, rows = prod_rows
    client = mlflow.MlflowClient(tracking_uri=store["uri"])
    plain = client.get_trace(_one(rows, input_chars=len("hello there, general"))["trace_id"])
    assert "mlflow.trace.tokenUsage" in plain.info.trace_metadata
    del plain.info.trace_metadata["mlflow.trace.tokenUsage"]
    row = trace_to_row(plain)
    assert row["input_tokens"] == 13 and row["output_tokens"] == 5
    unknown = client.get_trace(_one(rows, input_chars=len("what time is it"))["trace_id"])
    row = trace_to_row(unknown)
    assert row["input_tokens"] is None and row["output_tokens"] is None


def test_paging_reads_every_trace_in_pages(store, tmp_path):
    spill = spill_traces("mlflow:busy", tmp_path, tracking_uri=store["uri"], page_size=4)
    assert spill.rows == 23 and spill.pages == 6  # 4+4+4+4+4+3
    rows = _rows(spill.path)
    assert sorted(r["input_chars"] for r in rows) == list(range(1, 24))
    assert sorted(r["latency_ms"] for r in rows) == [float(i) for i in range(1, 24)]
    assert len({r["trace_id"] for r in rows}) == 23
    # the same rows with one big page
    again = spill_traces("mlflow:busy", tmp_path / "one", tracking_uri=store["uri"], page_size=1000)
    assert again.pages == 1 and sorted(r["trace_id"] for r in _rows(again.path)) == sorted(r["trace_id"] for r in rows)


def test_since_filters_in_the_search(store, tmp_path):
    spill = spill_traces("mlflow:busy", tmp_path, tracking_uri=store["uri"], since="7d", page_size=5)
    assert spill.rows == 20 and spill.pages == 4
    assert min(r["input_chars"] for r in _rows(spill.path)) == 4  # the three old traces were not read
    assert spill.window_start_ms == spill.newest_ms - 7 * 86_400_000
    wide = spill_traces("mlflow:busy", tmp_path / "w", tracking_uri=store["uri"], since="30d", since_anchor="now")
    assert wide.rows == 23


def test_experiment_by_id_and_bad_inputs(store, tmp_path):
    assert spill_traces(f"mlflow:{store['busy']}", tmp_path, tracking_uri=store["uri"]).rows == 23
    with pytest.raises(ConfigError, match="no experiment of that name") as exc:
        spill_traces("mlflow:nope", tmp_path, tracking_uri=store["uri"])
    assert exc.value.exit_code == 2
    with pytest.raises(DatasetError, match="no finished traces"):
        spill_traces("mlflow:empty", tmp_path, tracking_uri=store["uri"])
    with pytest.raises(DatasetError, match="no finished traces since 1h"):
        spill_traces("mlflow:empty", tmp_path, tracking_uri=store["uri"], since="1h", since_anchor="now")
    with pytest.raises(ConfigError, match="--since"):
        spill_traces("mlflow:busy", tmp_path, tracking_uri=store["uri"], since="soon")


def test_gatekit_drift_reads_mlflow_traces(store, tmp_path):
    """``gatekit drift --production mlflow:<experiment> --since 7d``: the traces in the window against a reference."""
    import json

    from scipy import stats
    from typer.testing import CliRunner

    from gatekit.cli import app

    reference = spill_traces("mlflow:busy", tmp_path / "ref", tracking_uri=store["uri"])  # all 23 traces
    args = [
        "drift", "--reference", str(reference.path), "--production", "mlflow:busy", "--since", "7d",
        "--tracking-uri", store["uri"], "--numeric", "latency_ms", "--numeric", "input_chars",
        "--out", str(tmp_path / "out"), "--no-mlflow", "--json",
    ]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    assert summary["production_rows"] == 20 and summary["reference_rows"] == 23 and summary["drift"] is False
    latency = {f["name"]: f for f in summary["features"]}["latency_ms"]
    expected = stats.ks_2samp(np.arange(1, 24, dtype=float), np.arange(4, 24, dtype=float))
    assert latency["effect_size"] == pytest.approx(expected.statistic, abs=1e-4)  # 3/23, rounded in the report
    assert latency["p_value"] == pytest.approx(expected.pvalue, rel=1e-3)
    missing = CliRunner().invoke(app, [*args[:4], "mlflow:nope", *args[5:]])
    assert missing.exit_code == 2 and "no experiment of that name" in missing.output
