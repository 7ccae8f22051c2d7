"""Guard decisions as MLflow tracing spans (``MlflowTracer``) in a real MLflow sqlite store: a GUARDRAIL span per
decision with the gen_ai.security attributes, children of the agent's own trace when one is open, never content."""

from __future__ import annotations

import json

import pytest
from mlflow_store import fresh_store
from runtime_helpers import FakeClock, write_policy

from gatekit.runtime import Enforcer, PolicyViolation
from gatekit.runtime.mlflow_spans import MlflowTracer

mlflow = pytest.importorskip("mlflow")

EMAIL = "jane.doe@example.com"


@pytest.fixture
def experiment(tmp_path):
    uri = fresh_store(tmp_path / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        yield mlflow.MlflowClient(tracking_uri=uri).create_experiment("guard", artifact_location=str(tmp_path / "a"))
    finally:
        mlflow.set_tracking_uri(previous)


def _guarded(enforcer: Enforcer):
    @enforcer.guard
    def agent(question, context):
        if "close" in question:
            enforcer.check_tool_call("delete_account", {"user_id": context["user"]})
        return {"output": f"done; copy sent to {EMAIL}", "usage": {"input_tokens": 5, "output_tokens": 9}}

    return agent


def _spans(experiment_id: str) -> list:
    mlflow.flush_trace_async_logging()
    traces = mlflow.MlflowClient().search_traces(locations=[experiment_id], max_results=100)
    return [span for trace in traces for span in trace.data.spans], traces


def test_each_decision_is_a_guardrail_span_without_content(experiment, tmp_path):
    enforcer = Enforcer.from_file(write_policy(tmp_path), tracer=MlflowTracer(experiment), clock=FakeClock())
    agent = _guarded(enforcer)
    agent("what are your opening hours?", {"user": "u1", "role": "customer"})
    with pytest.raises(PolicyViolation):
        agent("close my account please", {"user": "customer-4711", "role": "customer"})
    enforcer.close()
    spans, traces = _spans(experiment)
    # no agent trace open: each decision is a trace of its own (input, output; input, tool call)
    assert len(spans) == len(traces) == enforcer.stats()["decisions"] == 4
    assert {s.span_type for s in spans} == {"GUARDRAIL"}
    by_target = {s.attributes["gen_ai.security.target.type"]: s for s in spans}
    assert set(by_target) == {"llm_input", "llm_output", "tool_call"}
    denied = by_target["tool_call"]
    assert denied.attributes["gen_ai.security.verdict.type"] == "deny"
    assert denied.attributes["gen_ai.security.action.type"] == "block"
    assert denied.attributes["gen_ai.tool.name"] == "delete_account"
    assert list(denied.attributes["gen_ai.security.policy.rule.id"]) == ["tools"]
    assert by_target["llm_output"].attributes["gen_ai.security.content.redacted"] is True
    shown = json.dumps([t.to_dict() for t in traces], default=str)
    assert EMAIL not in shown and "opening hours" not in shown and "customer-4711" not in shown


def test_decisions_inside_an_agent_trace_are_its_child_spans(experiment, tmp_path):
    enforcer = Enforcer.from_file(write_policy(tmp_path), tracer=MlflowTracer(experiment), clock=FakeClock())
    agent = _guarded(enforcer)
    mlflow.set_experiment(experiment_id=experiment)

    @mlflow.trace(name="support_agent")
    def handle(question: str) -> str:
        return str(agent(question, {"user": "u1", "role": "customer"}))

    handle("what are your opening hours?")
    enforcer.close()
    spans, traces = _spans(experiment)
    assert len(traces) == 1
    root = next(s for s in spans if s.parent_id is None)
    guards = [s for s in spans if s.span_type == "GUARDRAIL"]
    assert root.name == "support_agent" and len(guards) == 2
    assert all(s.parent_id == root.span_id for s in guards)
