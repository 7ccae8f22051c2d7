"""attack21a: a tool call an agent's answer holds but gatekit cannot read is an ``invalid_response``, never dropped.

The OpenAI-format reader (HTTP agents, MLflow ``ChatModel`` / ``ChatAgent`` / ``ResponsesAgent``) skipped what it
could not read: ``"tool_calls": "delete_account"`` (a string, iterated character by character), a dict, an entry that
is a string, a call without ``function.name``, a ``function_call`` that is a string, a ``ResponsesAgent``
``function_call`` item without a name. The case then passed as an answer that called no tool, and governance (which
denies ``delete_account``) never saw the call. ``"usage": "lots"`` was read as "not reported", where every other
adapter refuses it.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import serve_http

from gatekit.agents import AgentOptions
from gatekit.agents.base import AgentCallError
from gatekit.agents.chat_format import parse_chat_agent_output, parse_responses_output
from gatekit.agents.http import HttpAgent
from gatekit.models import ErrorType

ROOT = Path(__file__).resolve().parents[2]


def _chat(message: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"choices": [{"message": {"role": "assistant", "content": "done", **message}}], **extra}


BODIES: dict[str, dict[str, Any]] = {
    "string": _chat({"tool_calls": "delete_account"}),
    "mapping": _chat({"tool_calls": {"name": "delete_account", "arguments": {}}}),
    "entry_string": _chat({"tool_calls": ["delete_account"]}),
    "no_name": _chat({"tool_calls": [{"type": "function", "function": {"arguments": '{"user": "u1"}'}}]}),
    "function_not_object": _chat({"tool_calls": [{"type": "function", "function": "delete_account"}]}),
    "legacy_string": _chat({"function_call": "delete_account"}),
    "legacy_no_name": _chat({"function_call": {"arguments": "{}"}}),
    "usage_string": _chat({}, usage="lots"),
}
READABLE = {
    "null_content_with_call": _chat(
        {"content": None, "tool_calls": [{"type": "function", "function": {"name": "lookup", "arguments": "{}"}}]}
    ),
    "null_tool_calls": _chat({"tool_calls": None, "function_call": None}, usage=None),
}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        name = self.path.strip("/").split("/")[0]
        raw = json.dumps({**BODIES, **READABLE}[name]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


async def _ask(url: str, client: str) -> Any:
    extra = {"http_client": "aiohttp"} if client == "aiohttp" else {}
    agent = HttpAgent(url, AgentOptions(concurrency=1, timeout_s=5, extra=extra))
    await agent.start()
    try:
        return await asyncio.wait_for(agent.call("close my account", {}), 10)
    finally:
        await agent.close()


@pytest.mark.parametrize("client", ["lean", "aiohttp"])
def test_an_unreadable_tool_call_from_an_http_agent_is_an_invalid_response(client: str) -> None:
    with serve_http(_Handler) as port:
        for name in BODIES:
            with pytest.raises(AgentCallError) as caught:  # was: a clean answer with no tool call
                asyncio.run(_ask(f"http://127.0.0.1:{port}/{name}/v1/chat/completions", client))
            assert caught.value.error_type is ErrorType.INVALID_RESPONSE, (name, str(caught.value))
            assert caught.value.retryable is False, name
        answer = asyncio.run(_ask(f"http://127.0.0.1:{port}/null_content_with_call/v1/chat/completions", client))
        assert (answer.output, answer.tool_calls) == ("", [{"name": "lookup", "arguments": {}}])
        answer = asyncio.run(_ask(f"http://127.0.0.1:{port}/null_tool_calls/v1/chat/completions", client))
        assert (answer.output, answer.tool_calls) == ("done", [])


@pytest.mark.parametrize(
    "body",
    [
        {"output": "delete_account"},  # a string where the items belong: every character skipped, an empty answer
        {"output": ["delete_account"]},
        {"output": [{"type": "function_call", "arguments": '{"user": "u1"}', "call_id": "c1"}]},
    ],
)
def test_an_unreadable_responses_agent_output_is_an_invalid_response(body: dict[str, Any]) -> None:
    with pytest.raises(AgentCallError) as caught:
        parse_responses_output(body)
    assert caught.value.error_type is ErrorType.INVALID_RESPONSE


@pytest.mark.parametrize("body", [{"messages": "hello"}, {"messages": ["hello"]}])
def test_an_unreadable_chat_agent_output_is_an_invalid_response(body: dict[str, Any]) -> None:
    with pytest.raises(AgentCallError) as caught:
        parse_chat_agent_output(body)
    assert caught.value.error_type is ErrorType.INVALID_RESPONSE


def test_the_gate_fails_an_agent_hiding_its_tool_call(tmp_path: Path) -> None:
    """End to end: the hidden ``delete_account`` call made the run PASS (no tool call, no deny); now the case errors."""
    (tmp_path / "ds.jsonl").write_text(json.dumps({"id": "c1", "input": "close my account"}) + "\n", encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 0%}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = str(ROOT)
    with serve_http(_Handler) as port:
        proc = subprocess.run(
            [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--thresholds", "th.yaml"]
            + ["--agent", f"http://127.0.0.1:{port}/no_name/v1/chat/completions", "--out", "out", "--no-mlflow"]
            + ["--policy", str(ROOT / "policies" / "default.yaml"), "--retries", "0"],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    row = json.loads((tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["error_type"] == "invalid_response" and "function.name" in row["error_message"], row
