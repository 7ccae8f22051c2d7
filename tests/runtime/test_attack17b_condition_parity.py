"""attack17b: a condition over a response's tool calls decides in production as it does in the gate.

The guard checks each tool call before it runs (the proxy always does), then the response with the calls not
checked before. A condition over the calls together (``len(tool_calls) > 1``, two tools in ``tool_names``) or over
a call and the output (``tool.name == "b" and contains(output, "x")``) saw the calls whole at neither point: the
gate denied, the guard and the proxy allowed. The response point now judges such conditions on every call.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import serve_http
from proxy_harness import chat, serving

from gatekit.governance import load_policy
from gatekit.runtime import Enforcer
from gatekit.runtime.decision import PolicyViolation

CALLS = [{"name": "lookup", "arguments": {"q": "order"}}, {"name": "refund", "arguments": {"amount": 5}}]
OUTPUT = "Refund guaranteed today."

CONDITIONS = [
    "len(tool_calls) > 1",
    'contains(tool_names, "lookup") and contains(tool_names, "refund")',
    'tool.name == "refund" and contains(lower(output), "guaranteed")',
    'len(tool_calls) > 0 and contains(lower(output), "guaranteed")',
]


def _policy_file(tmp_path: Path, when: str, outcome: str = "deny") -> Path:
    path = tmp_path / "policy.yaml"
    rule = {"id": "promise", "kind": "condition", "outcome": outcome, "when": when, "reason": "promise with action"}
    path.write_text(yaml.safe_dump({"id": "p", "version": "1", "rules": [rule]}), encoding="utf-8")
    return path


def _gate(path: Path) -> str:
    case = {"id": "c", "input": "refund please", "context": {"user": "u"}}
    return load_policy(path).evaluate(case, {"output": OUTPUT, "tool_calls": CALLS}).outcome.value


@pytest.mark.parametrize("when", CONDITIONS)
def test_the_guard_checking_calls_first_denies_what_the_gate_denies(tmp_path: Path, when: str) -> None:
    path = _policy_file(tmp_path, when)
    assert _gate(path) == "deny"
    traces = tmp_path / "traces.jsonl"
    enforcer = Enforcer.from_file(path, trace_to=str(traces), background=False)
    with pytest.raises(PolicyViolation, match="promise"), enforcer.request("refund please", {"user": "u"}) as scope:
        for call in CALLS:
            scope.check_tool_call(call["name"], call["arguments"])
        scope.check_response(OUTPUT, CALLS)
    enforcer.close()
    rows = [json.loads(line) for line in traces.read_text().splitlines()]
    assert rows[-1]["outcome"] == "deny"
    assert [rule["id"] for rule in rows[-1]["rules"]] == ["promise"]


def test_a_review_condition_fires_once_and_calls_alone_stay_allowed(tmp_path: Path) -> None:
    path = _policy_file(tmp_path, CONDITIONS[2], outcome="require_review")
    reviewed: list[Any] = []
    enforcer = Enforcer.from_file(path, review_hook=reviewed.append, background=False)
    with enforcer.request("refund please", {"user": "u"}) as scope:
        for call in CALLS:
            scope.check_tool_call(call["name"], call["arguments"])
        scope.check_response(OUTPUT, CALLS)
        scope.check_response("no promise here", CALLS)
    assert len(reviewed) == 1 and reviewed[0].rule_ids == ["promise"]
    enforcer.close()


class _Upstream(BaseHTTPRequestHandler):
    """An OpenAI-compatible upstream answering with OUTPUT and CALLS (streamed when asked)."""

    def do_POST(self) -> None:  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        calls = [
            {"id": f"call_{i}", "type": "function",
             "function": {"name": c["name"], "arguments": json.dumps(c["arguments"])}}
            for i, c in enumerate(CALLS)
        ]  # fmt: skip
        meta = {"id": "chatcmpl-1", "created": 1765000000, "model": "m"}
        if body.get("stream"):
            events = [{**meta, "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": {"role": "assistant", "content": OUTPUT[:7]}}]},
                      {**meta, "object": "chat.completion.chunk",
                       "choices": [{"index": 0, "delta": {"content": OUTPUT[7:]}}]}]  # fmt: skip
            for i, call in enumerate(calls):
                events.append(
                    {**meta, "object": "chat.completion.chunk",
                     "choices": [{"index": 0, "delta": {"tool_calls": [{"index": i, **call}]}}]}
                )  # fmt: skip
            events.append({**meta, "object": "chat.completion.chunk",
                           "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]})  # fmt: skip
            data = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
            kind = "text/event-stream"
        else:
            message = {"role": "assistant", "content": OUTPUT, "tool_calls": calls}
            answer = {**meta, "object": "chat.completion",
                      "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}  # fmt: skip
            data, kind = json.dumps(answer).encode(), "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        """Quiet."""


@contextmanager
def _upstream() -> Iterator[str]:
    with serve_http(_Upstream) as port:
        yield f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize("when", [CONDITIONS[0], CONDITIONS[2]])
def test_the_proxy_denies_what_the_gate_denies(tmp_path: Path, when: str, stream: bool) -> None:
    path = _policy_file(tmp_path, when)
    assert _gate(path) == "deny"
    with _upstream() as upstream, serving(upstream, policy=path) as proxy:
        answer = chat(proxy.url, "m", "refund please", stream=stream)
    if stream:  # (the stream is held until judged: its one event is the refusal)
        assert answer.status == 200
        events = answer.events()
        assert events[-1] == "[DONE]" and len(events) == 2
        error = events[0]["error"]
    else:
        assert answer.status == 403, answer.body
        error = answer.json()["error"]
    # a condition over the calls alone stops the second call at its tool-call point (attack17c); with the output, at the response
    stage = "response" if "output" in when else "tool_call"
    assert (error["code"], error["rules"], error["stage"]) == ("policy_denied", ["promise"], stage)
    assert "guaranteed" not in answer.body.decode()


def test_a_condition_the_calls_alone_do_not_meet_still_allows_through_the_proxy(tmp_path: Path) -> None:
    path = _policy_file(tmp_path, "len(tool_calls) > 2")
    assert _gate(path) == "allow"
    with _upstream() as upstream, serving(upstream, policy=path) as proxy:
        answer = chat(proxy.url, "m", "refund please")
    assert answer.status == 200, answer.body
    message = answer.json()["choices"][0]["message"]
    assert message["content"] == OUTPUT and [c["function"]["name"] for c in message["tool_calls"]] == ["lookup", "refund"]
