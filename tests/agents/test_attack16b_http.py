"""attack16b: the HTTP agent adapter against hostile servers on 127.0.0.1 (redirects, lone surrogates, ...).

* A ``307`` to another origin was followed by the aiohttp client (``https://`` agents, ``http_client: aiohttp``):
  the case's input and the configured headers (an ``x-api-key``) went to the other server, and a 3xx loop
  cost ten round trips per attempt; the lean client never followed. Now neither follows: a 3xx is an
  ``invalid_response`` naming the status.
* A JSON answer holding a lone surrogate escape (``"\\ud800"``) reached results.jsonl, where writing UTF-8 failed:
  the gate ended in an internal error (exit 3) with a traceback and no verdict. Now the case is an
  ``invalid_response`` naming the field.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import read_http_request

from gatekit.agents import AgentCallError, AgentOptions
from gatekit.agents.http import HttpAgent
from gatekit.models import ErrorType

ROOT = Path(__file__).resolve().parents[2]
Handler = Callable[[bytes, bytes], bytes]  # (request head, body) -> raw response


async def _server(handler: Handler, seen: list[bytes]) -> asyncio.base_events.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head, body = await read_http_request(reader)
                seen.append(head + body)
                writer.write(handler(head, body))
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.CancelledError):
            pass  # the client went away, or the test closed the server
        finally:
            writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def _answer(body: bytes, status: str = "200 OK", extra: str = "") -> bytes:
    head = f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{extra}\r\n"
    return head.encode() + body


async def _call(url: str, client: str, text: str = "secret question") -> Any:
    options = AgentOptions(concurrency=1, headers={"x-api-key": "k-123"}, extra={"http_client": client, "mode": "json"})
    agent = HttpAgent(url, options)
    await agent.start()
    try:
        return await asyncio.wait_for(agent.call(text, {}), 10)
    except AgentCallError as exc:
        return exc
    finally:
        await agent.close()


def _run(scenario: Callable[[], Awaitable[Any]]) -> Any:
    return asyncio.run(scenario())


@pytest.mark.parametrize("client", ["auto", "aiohttp"])
@pytest.mark.parametrize("status", ["301 Moved Permanently", "302 Found", "307 Temporary Redirect", "308 Permanent"])
def test_a_redirect_to_another_server_is_not_followed(client: str, status: str) -> None:
    async def scenario() -> tuple[Any, list[bytes], list[bytes]]:
        other_seen: list[bytes] = []
        other = await _server(lambda h, b: _answer(b'{"output": "from the other host"}'), other_seen)
        other_port = other.sockets[0].getsockname()[1]
        location = f"http://127.0.0.1:{other_port}/steal"
        seen: list[bytes] = []
        first = await _server(lambda h, b: _answer(b"", status, f"Location: {location}\r\n"), seen)
        port = first.sockets[0].getsockname()[1]
        try:
            result = await _call(f"http://127.0.0.1:{port}/agent", client)
        finally:
            first.close()
            other.close()
        return result, seen, other_seen

    result, seen, other_seen = _run(scenario)
    assert other_seen == [], other_seen[0][:300]  # nothing (not the input, not the key) reached the other server
    assert len(seen) == 1
    assert isinstance(result, AgentCallError) and result.error_type == ErrorType.INVALID_RESPONSE, result
    assert f"HTTP {status.split()[0]}" in str(result)


@pytest.mark.parametrize("client", ["auto", "aiohttp"])
def test_a_redirect_loop_is_one_request(client: str) -> None:
    async def scenario() -> tuple[Any, list[bytes]]:
        seen: list[bytes] = []
        holder: dict[str, int] = {}
        server = await _server(
            lambda h, b: _answer(b"", "302 Found", f"Location: http://127.0.0.1:{holder['port']}/agent\r\n"), seen
        )
        holder["port"] = server.sockets[0].getsockname()[1]
        try:
            return await _call(f"http://127.0.0.1:{holder['port']}/agent", client), seen
        finally:
            server.close()

    result, seen = _run(scenario)
    assert isinstance(result, AgentCallError) and result.error_type == ErrorType.INVALID_RESPONSE, result
    assert len(seen) == 1


@pytest.mark.parametrize("client", ["auto", "aiohttp"])
@pytest.mark.parametrize(
    "body",
    [
        b'{"output": "a\\ud800b"}',
        b'{"output": "ok", "tool_calls": [{"name": "t\\udcff", "arguments": {}}]}',
        b'{"output": "ok", "tool_calls": [{"name": "t", "arguments": {"k\\udfff": "v"}}]}',
        b'{"output": "ok", "tool_calls": [{"name": "t", "arguments": {"k": ["\\ud83d"]}}]}',
        b'{"output": "ok", "model": "m\\ud800"}',
    ],
)
def test_a_lone_surrogate_in_the_json_is_an_invalid_response(client: str, body: bytes) -> None:
    async def scenario() -> Any:
        seen: list[bytes] = []
        server = await _server(lambda h, b: _answer(body), seen)
        try:
            return await _call(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/agent", client)
        finally:
            server.close()

    result = _run(scenario)
    assert isinstance(result, AgentCallError) and result.error_type == ErrorType.INVALID_RESPONSE, result
    assert "surrogate" in str(result)


def test_a_pair_of_surrogate_escapes_is_one_character_and_fine() -> None:
    async def scenario() -> Any:
        server = await _server(lambda h, b: _answer(b'{"output": "smile \\ud83d\\ude00"}'), [])
        try:
            return await _call(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/agent", "auto")
        finally:
            server.close()

    assert _run(scenario).output == "smile \U0001f600"


def test_the_gate_ends_with_a_verdict_when_a_python_agent_returns_lone_surrogates(tmp_path: Path) -> None:
    (tmp_path / "surrogate_agent.py").write_text(
        "def run(case_input, context=None):\n"
        "    if case_input == 'bad':\n"
        "        return {'output': 'a\\ud800b', 'tool_calls': [{'name': 't\\udcff', 'arguments': {}}]}\n"
        "    return {'output': 'fine'}\n",
        encoding="utf-8",
    )
    rows = [{"id": "a", "input": "bad"}, *({"id": f"ok{i}", "input": "x"} for i in range(9))]
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 50%}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_"))}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{tmp_path}"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:surrogate_agent:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(ROOT / "policies" / "default.yaml"), "--no-mlflow"]
    proc = subprocess.run(
        [*command, "--retries", "0", "--out", "rep"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    verdict = json.loads((tmp_path / "rep" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["metrics"]["errors"] == 1
    rows_out = [json.loads(line) for line in (tmp_path / "rep" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    bad = next(r for r in rows_out if r["case_id"] == "a")
    assert bad["ok"] is False and bad["error_type"] == "invalid_response" and "surrogate" in bad["error_message"]


@pytest.mark.parametrize("client", ["auto", "aiohttp"])
@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b'{"output": "x", "tool_calls": [{"name": "t", "arguments": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_001 + b"]}", "nested too deeply"),  # fmt: skip
        (b'{"output": "x", "usage": {"input_tokens": 1' + b"0" * 5000 + b"}}", "4300"),
    ],
)
def test_json_nested_too_deep_or_an_endless_integer_is_an_invalid_response(client: str, body: bytes, words: str) -> None:
    """Both raised out of json.loads uncaught: recorded as a retried 'exception' (RecursionError, ValueError)."""

    async def scenario() -> Any:
        seen: list[bytes] = []
        server = await _server(lambda h, b: _answer(body), seen)
        try:
            return await _call(f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}/agent", client), seen
        finally:
            server.close()

    result, _seen = _run(scenario)
    assert isinstance(result, AgentCallError) and result.error_type == ErrorType.INVALID_RESPONSE, repr(result)
    assert result.retryable is False and words in str(result)
