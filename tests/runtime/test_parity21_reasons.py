"""The guard gives the gate's reasons, word for word, for calls it checks one by one before they run: a call is
named by its place in the response (``arguments of tool call 1``), and the per-request quotas are worded as the gate's
``tools`` rule words them (one decision vocabulary, docs/runtime.md)."""

from __future__ import annotations

import json

from conftest import REPO_ROOT
from runtime_helpers import FakeClock

from gatekit.governance import load_policy
from gatekit.runtime import Enforcer

POLICY = load_policy(REPO_ROOT / "policies" / "default.yaml")
CASE = {"id": "c", "input": "update my details", "context": {"user": "u1"}}
RESPONSE = {
    "output": "done",
    "tool_calls": [
        {"name": "get_user_details", "arguments": {"user_id": "u1", "note": "mail a@example.com"}},
        {"name": "find_user_id_by_email", "arguments": {"email": "b@example.com"}},
        {"name": "transfer_to_human_agents", "arguments": {"summary": "one"}},
        {"name": "transfer_to_human_agents", "arguments": {"summary": "two"}},
        {"name": "calculate", "arguments": {"expression": "1+" * 600}},
    ],
    "usage": {"input_tokens": 10, "output_tokens": 5},
}


def _guard_reasons(tmp_path, checked_first: int) -> list[str]:
    """The reasons of every decision of one request whose first ``checked_first`` calls are checked before they run."""
    traces = tmp_path / f"traces-{checked_first}.jsonl"
    guard = Enforcer(POLICY, mode="evaluate", trace_to=traces, clock=FakeClock())

    @guard.guard
    def agent(question, context):
        for call in RESPONSE["tool_calls"][:checked_first]:
            guard.check_tool_call(call["name"], call["arguments"])
        return RESPONSE

    agent(CASE["input"], CASE["context"])
    guard.close()
    return [reason for line in traces.read_text().splitlines() for reason in json.loads(line)["reasons"]]


def test_reasons_name_each_call_by_its_place_in_the_response_as_the_gate_does(tmp_path):
    gate = POLICY.evaluate(CASE, dict(RESPONSE), POLICY.new_run()).reasons
    assert "pii-redaction: 1 EMAIL_ADDRESS in arguments of tool call 1 (redacted)" in gate
    assert "retail-tools: tool 'transfer_to_human_agents' called 2 times, limit 1" in gate
    assert "retail-tools: tool 'calculate' call 4: arguments are 1218 chars, limit 1000" in gate
    for checked_first in (5, 3, 1, 0):  # every call checked before it runs; only the first; none (the response only)
        assert sorted(_guard_reasons(tmp_path, checked_first)) == sorted(gate), checked_first
