"""attack18e: the guard's OpenTelemetry spans attacked from outside, on a real OpenTelemetry SDK tracer with an
in-memory exporter: attribute values bounded, no secret, the span's verdict equal to the decision returned."""

from __future__ import annotations

import pytest
from runtime_helpers import write_policy

from gatekit.runtime import Enforcer, PolicyViolation

pytest.importorskip("opentelemetry.sdk")

SECRET = "sk-proj-AbCdEf0123456789AbCdEf0123456789AbCdEf01"


def _tracer(exporter):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider.get_tracer("attack18e")


def test_span_attributes_are_bounded_and_hold_no_secret(tmp_path):
    """An agent's 1 MB tool name (denied: longer than the guard takes) and a caller's 1 MB request id: the span's
    attributes are cut to 512 characters as the production-log row's text columns are (before: 1,000,012
    characters of agent text in ``gen_ai.tool.name``)."""
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    enforcer = Enforcer.from_file(write_policy(tmp_path), tracer=_tracer(exporter))
    with pytest.raises(PolicyViolation) as denied:
        enforcer.check_tool_call("x" * 1_000_000 + " " + SECRET, {"order": "12"})
    assert denied.value.decision.enforced == "deny"

    with enforcer.request("hello", {"user": "u1"}, request_id="r" * 1_000_000 + " " + SECRET):
        enforcer.check_request("hello", {"user": "u1"})
        enforcer.check_response("fine")
    enforcer.close()
    spans = exporter.get_finished_spans()
    assert len(spans) == enforcer.stats()["decisions"] == 3
    for span in spans:
        for key, value in span.attributes.items():
            values = value if isinstance(value, tuple) else (value,)
            for item in values:
                assert not isinstance(item, str) or (len(item) <= 512 and SECRET not in item), key
    tool = next(s for s in spans if s.attributes["gen_ai.security.target.type"] == "tool_call")
    assert (
        tool.attributes["gen_ai.security.verdict.type"] == "deny" and tool.attributes["gen_ai.tool.name"] == "x" * 512
    )
    ids = {s.attributes["gatekit.request_id"] for s in spans if s is not tool}
    assert ids == {"r" * 512}


def test_a_slow_exporter_does_not_slow_a_background_guard(tmp_path):
    """``background=True`` with an exporter that is stuck (``SimpleSpanProcessor`` exports in ``span.end()``): the
    decisions return while it is, the spans are still exported after ``flush()``, each a child of the span that was
    current in the request, with the verdict the caller got (before: every decision waited for the exporter).

    No clock: the exporter holds every export until the test lets it go, so a decision that waited for one could
    not return before that (the 0.4 s exporter and "under 0.35 s" this was could fail on a busy machine)."""
    import threading

    from opentelemetry import trace
    from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

    release = threading.Event()

    class SlowExporter(SpanExporter):
        def __init__(self) -> None:
            self.spans: list = []

        def export(self, spans):
            release.wait(10)  # (the old code: each decision stuck here 10 s, then exported)
            self.spans.extend(spans)
            return SpanExportResult.SUCCESS

    exporter = SlowExporter()
    tracer = _tracer(exporter)
    enforcer = Enforcer.from_file(write_policy(tmp_path), tracer=tracer, background=True)
    outcomes = []
    with tracer.start_as_current_span("agent-request") as parent:
        outcomes.append(enforcer.check_tool_call("lookup", {"order": "12"}) is not None)
        with pytest.raises(PolicyViolation):
            enforcer.check_tool_call("delete_account", {"user_id": "u1"})
        exported_before_release = list(exporter.spans)
        release.set()  # (before the request's own span ends: this thread exports it)
    assert exported_before_release == []  # the two decisions returned with no export finished: they did not wait
    assert enforcer.flush(30)
    guard_spans = [s for s in exporter.spans if s.name.startswith("run_guardrail")]
    assert [s.attributes["gen_ai.security.verdict.type"] for s in guard_spans] == ["allow", "deny"]
    assert [s.attributes["gen_ai.security.action.type"] for s in guard_spans] == ["allow", "block"]
    parent_id = parent.get_span_context().span_id
    assert all(s.parent is not None and s.parent.span_id == parent_id for s in guard_spans)
    assert outcomes == [True] and enforcer.stats()["sinks"]["otel"]["written"] == 2
    assert trace.get_current_span() is not parent
    enforcer.close()


def test_mlflow_guard_span_stays_in_the_agent_trace_with_background(tmp_path):
    """``MlflowTracer`` with ``background=True`` (real sqlite store): the decision's GUARDRAIL span is still made in
    the request, a child of the agent's open ``@mlflow.trace`` span, with the verdict the caller got."""
    mlflow = pytest.importorskip("mlflow")
    from mlflow_store import fresh_store

    from gatekit.runtime.mlflow_spans import MlflowTracer

    uri = fresh_store(tmp_path / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        experiment = mlflow.MlflowClient(uri).create_experiment("guard", artifact_location=str(tmp_path / "a"))
        mlflow.set_experiment(experiment_id=experiment)
        enforcer = Enforcer.from_file(
            write_policy(tmp_path), tracer=MlflowTracer(experiment), trace_to=tmp_path / "t.jsonl", background=True
        )

        @mlflow.trace(name="support_agent")
        def handle(order: str) -> str:
            with pytest.raises(PolicyViolation):
                enforcer.check_tool_call("delete_account", {"user_id": "u1"})
            return str(enforcer.check_tool_call("lookup", {"order": order}))

        handle("12")
        enforcer.close()
        mlflow.flush_trace_async_logging()
        traces = mlflow.MlflowClient(uri).search_traces(locations=[experiment], max_results=10)
        assert len(traces) == 1
        spans = traces[0].data.spans
        root = next(s for s in spans if s.parent_id is None)
        guard = [s for s in spans if s.span_type == "GUARDRAIL"]
        assert root.name == "support_agent" and [s.parent_id for s in guard] == [root.span_id] * 2
        assert sorted(s.attributes["gen_ai.security.verdict.type"] for s in guard) == ["allow", "deny"]
    finally:
        mlflow.set_tracking_uri(previous)
