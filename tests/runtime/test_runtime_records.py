"""What every guarded decision leaves behind: trace records shaped like the gate's, production-log rows that
validate and that ``gatekit drift`` reads, OpenTelemetry spans without content — and sinks that fail without
taking the agent down."""

from __future__ import annotations

import json
import logging

import jsonschema
import pytest
from runtime_helpers import FakeClock, write_policy

from gatekit.governance.policy import load_policy
from gatekit.governance.traces import filter_traces
from gatekit.production.schema import COLUMN_NAMES, json_schema
from gatekit.runtime import Enforcer, PolicyViolation

EMAIL = "jane.doe@example.com"


def _agent_for(enforcer: Enforcer):
    @enforcer.guard
    def agent(question, context):
        if "close" in question:
            enforcer.check_tool_call("delete_account", {"user_id": context["user"]})
        if "order" in question:
            enforcer.check_tool_call("lookup", {"order_id": "W1"})
        return {"output": f"done; copy sent to {EMAIL}", "usage": {"input_tokens": len(question), "output_tokens": 9},
                "model": "m-small"}  # fmt: skip

    return agent


def _drive(agent, n: int = 30) -> None:
    questions = ["where is my order W1?", "close my account please", "what are your opening hours today?"]
    for i in range(n):
        try:
            agent(questions[i % 3] + " " * (i % 7), {"user": f"u{i % 5}", "role": "customer", "env": "production"})
        except PolicyViolation:
            pass


def test_trace_records_have_the_shape_of_the_gates_and_read_with_the_traces_filter(tmp_path):
    traces = tmp_path / "traces.jsonl"
    enforcer = Enforcer.from_file(write_policy(tmp_path), trace_to=traces, clock=FakeClock())
    _drive(_agent_for(enforcer), 9)
    records = [json.loads(line) for line in traces.read_text().splitlines()]
    policy = load_policy(write_policy(tmp_path, name="same.yaml"))
    from gatekit.models import Decision, Outcome

    gate_row = policy.trace_record(Decision(Outcome.ALLOW), {"id": "c1", "context": {}})
    assert all(list(record) == list(gate_row) for record in records)
    assert {r["outcome"] for r in records} == {"allow", "deny", "allow_with_redaction"}
    denied = list(filter_traces(traces, outcome="deny", rule="tools"))
    assert len(denied) == 3 and all(r["actions"]["tool_names"] == ["delete_account"] for r in denied)
    assert all(r["attributes"]["gen_ai.security.target.type"] == "tool_call" for r in denied)
    assert EMAIL not in traces.read_text()


def test_rows_validate_against_the_production_log_schema_and_never_hold_text(tmp_path):
    rows = tmp_path / "rows.jsonl"
    enforcer = Enforcer.from_file(write_policy(tmp_path), log_to=rows, variant="canary", agent_version="git-abc")
    _drive(_agent_for(enforcer))
    lines = rows.read_text().splitlines()
    assert len(lines) == 30
    schema = json_schema()
    for line in lines:
        row = json.loads(line)
        jsonschema.validate(row, schema)
        assert list(row) == list(COLUMN_NAMES)
    text = rows.read_text()
    assert EMAIL not in text and "opening hours" not in text
    outcomes = [json.loads(line)["outcome"] for line in lines]
    assert outcomes.count("deny") == 10 and outcomes.count("allow_with_redaction") == 20


def test_rows_written_by_the_guard_are_read_back_by_gatekit_drift(tmp_path):
    # a baseline and a canary deployment of the same agent write their rows; drift compares the two files
    policy = write_policy(tmp_path)
    baseline, canary = tmp_path / "baseline.jsonl", tmp_path / "canary.jsonl"
    _drive(_agent_for(Enforcer.from_file(policy, log_to=baseline, variant="baseline")), 60)
    _drive(_agent_for(Enforcer.from_file(policy, log_to=canary, variant="canary")), 60)
    # the rows are the subject: the command runs in process (run_cli); test_proxy_drift runs it as a real process
    from spine_project import run_cli

    proc = run_cli(
        tmp_path, "drift", "--reference", str(baseline), "--production", str(canary),
        "--numeric", "input_chars", "--numeric", "output_tokens", "--categorical", "role",
        "--no-mlflow", "--json", "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr  # the same traffic: no drift
    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert report["drift"] is False
    shown = json.dumps(report)
    assert "input_chars" in shown and "output_tokens" in shown and "role" in shown


def test_a_failing_log_path_and_a_raising_trace_sink_never_stop_the_agent_and_are_counted(tmp_path, caplog):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be")

    def broken_sink(record):
        raise OSError("disk full")

    enforcer = Enforcer.from_file(
        write_policy(tmp_path), trace_to=broken_sink, log_to=blocker / "rows.jsonl", clock=FakeClock()
    )

    @enforcer.guard
    def agent(question, context):
        return f"answer to {question}"

    with caplog.at_level(logging.WARNING):
        answers = [agent(f"q{i}", {}) for i in range(5)]
    assert answers == [f"answer to q{i}" for i in range(5)]
    stats = enforcer.stats()
    assert stats["sinks"]["trace"]["failures"] == 10 and "disk full" in stats["sinks"]["trace"]["last_error"]
    assert stats["sinks"]["log"]["failures"] == 5 and stats["sinks"]["log"]["written"] == 0
    assert stats["sink_failures"] == 15
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert sum("decision trace" in w for w in warnings) == 1  # logged once, counted every time
    assert sum("not-a-folder" in w for w in warnings) == 1


def test_an_observer_that_raises_does_not_change_the_decision(tmp_path):
    def observer(decision):
        raise RuntimeError("metrics backend down")

    enforcer = Enforcer.from_file(write_policy(tmp_path), on_decision=observer)
    assert enforcer.check_request("hello", {}) == "hello"
    with pytest.raises(PolicyViolation):
        enforcer.check_tool_call("delete_account", {})


def test_one_opentelemetry_span_per_decision_with_verdict_action_policy_and_rules_and_no_content(tmp_path):
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("test")
    enforcer = Enforcer.from_file(write_policy(tmp_path), tracer=tracer, mode="evaluate", clock=FakeClock())
    _drive(_agent_for(enforcer), 3)  # order (lookup), close (delete_account: deny), hours
    spans = exporter.get_finished_spans()
    assert len(spans) == enforcer.stats()["decisions"] == 8
    targets = [s.attributes["gen_ai.security.target.type"] for s in spans]
    assert targets.count("llm_input") == 3 and targets.count("tool_call") == 2 and targets.count("llm_output") == 3
    denied = [s for s in spans if s.attributes["gen_ai.security.verdict.type"] == "deny"]
    assert len(denied) == 1
    attrs = denied[0].attributes
    assert attrs["gen_ai.security.action.type"] == "allow"  # evaluate-only: the verdict is not enforced
    assert attrs["gen_ai.operation.name"] == "run_guardrail" and attrs["gen_ai.security.guardrail.name"] == "gatekit"
    assert attrs["gen_ai.security.policy.id"] == "rt-test" and tuple(attrs["gen_ai.security.policy.rule.id"]) == (
        "tools",
    )
    assert attrs["gen_ai.tool.name"] == "delete_account" and denied[0].name == "run_guardrail gatekit tool_call"
    redacted = [s for s in spans if s.attributes["gen_ai.security.verdict.type"] == "modify"]
    assert len(redacted) == 3 and all(s.attributes["gen_ai.security.content.redacted"] for s in redacted)
    shown = json.dumps([dict(s.attributes) for s in spans])
    assert EMAIL not in shown and "opening hours" not in shown and "W1" not in shown
    assert all(s.end_time >= s.start_time for s in spans)


def test_background_writing_leaves_the_same_records_and_close_writes_what_is_pending(tmp_path):
    sync_rows, sync_traces = tmp_path / "sync-rows.jsonl", tmp_path / "sync-traces.jsonl"
    bg_rows, bg_traces = tmp_path / "bg-rows.jsonl", tmp_path / "bg-traces.jsonl"
    policy = write_policy(tmp_path)
    sync = Enforcer.from_file(policy, log_to=sync_rows, trace_to=sync_traces, clock=FakeClock())
    background = Enforcer.from_file(policy, log_to=bg_rows, trace_to=bg_traces, clock=FakeClock(), background=True)
    _drive(_agent_for(sync), 30)
    _drive(_agent_for(background), 30)
    assert background.flush()
    volatile = ("timestamp", "request_id", "trace_id", "latency_ms", "case_id", "run_id", "decision_latency_us")

    def stable(path):
        return [
            {k: v for k, v in json.loads(line).items() if k not in volatile} for line in path.read_text().splitlines()
        ]

    assert stable(bg_rows) == stable(sync_rows) and len(stable(bg_rows)) == 30
    assert stable(bg_traces) == stable(sync_traces)
    _drive(_agent_for(background), 3)
    background.close()  # what was still queued is written
    assert len(bg_rows.read_text().splitlines()) == 33
    stats = background.stats()
    assert stats["sink_failures"] == 0 and stats["sinks"]["background"]["written"] > 0
