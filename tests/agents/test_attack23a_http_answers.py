"""attack23a: an HTTP agent's answer that cannot be read is an ``invalid_response``, and its POST is not sent again.

Tool-call ``arguments`` that are JSON in principle but refused by the decoder — nested past the recursion limit, an
integer of 5,000 digits — escaped ``parse_arguments`` as ``RecursionError`` / ``ValueError``. The replay classifies a
plain exception as a retryable ``exception``: the chat call was POSTed (and paid for) three times with ``retries: 2``,
where docs/agents.md promises a POST that was written is never sent again.
"""

from __future__ import annotations

import asyncio
import http.server
import json
from typing import Any

import pytest
from conftest import serve_http

from gatekit.agents import AgentOptions
from gatekit.agents.http import HttpAgent
from gatekit.dataset import Case
from gatekit.replay import ReplaySettings, run_case

ARGUMENTS = {"deep": "[" * 100_000, "digits": "1" * 5_000}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    hits: list[str] = []

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        name = self.path.strip("/").split("/")[0]
        self.hits.append(name)
        call = {"type": "function", "function": {"name": "refund", "arguments": ARGUMENTS[name]}}
        body = {"choices": [{"message": {"content": "done", "tool_calls": [call]}}], "usage": {"prompt_tokens": 1}}
        raw = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


async def _run(url: str, client: str) -> Any:
    extra = {"http_client": "aiohttp"} if client == "aiohttp" else {}
    agent = HttpAgent(url, AgentOptions(concurrency=1, timeout_s=5, extra=extra))
    await agent.start()
    try:
        settings = ReplaySettings(retries=2, timeout_s=5, backoff_base_s=0.01, handle_sigterm=False)
        return await asyncio.wait_for(run_case(agent, Case(id="c1", input="refund me", context={}), settings), 30)
    finally:
        await agent.close()


@pytest.mark.parametrize("client", ["lean", "aiohttp"])
@pytest.mark.parametrize("name", sorted(ARGUMENTS))
def test_undecodable_tool_arguments_are_invalid_and_sent_once(name: str, client: str) -> None:
    _Handler.hits = []
    with serve_http(_Handler) as port:
        result = asyncio.run(_run(f"http://127.0.0.1:{port}/{name}/v1/chat/completions", client))
    assert not result.ok
    assert result.error_type == "invalid_response", (result.error_type, result.error_message)
    assert "tool call arguments cannot be decoded" in (result.error_message or "")
    assert _Handler.hits == [name], _Handler.hits  # was 3 POSTs: the call paid for three times
