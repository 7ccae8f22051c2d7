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
