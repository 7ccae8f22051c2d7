"""A misbehaving OpenAI-compatible agent server for tests and benchmarks (aiohttp.web, 127.0.0.1).

Run ``python tests/agents/http_agent_server.py [--port 0]``; it prints ``READY <port>`` once listening.
``--raw --latency-ms 50`` runs a bare fixed-latency server instead (benchmarks).

The mode is the first path segment: ``POST /<mode>/v1/chat/completions?latency_ms=50&...``.
A ``[mode=X]`` marker in the last user message overrides it per request (for mixed runs).

modes:
  ok            answer after ``latency_ms`` (``[tool=name]`` in the message adds a tool call)
  random_errors HTTP 500 with probability ``p`` (seeded by ``seed``), otherwise ok
  429           the first ``fail`` requests per message get 429 + ``Retry-After: retry_after``
  500           the first ``fail`` requests per message get 500 (default: all of them)
  hang          never answers
  malformed     200 with a body that is not JSON
  trickle       sends the JSON body in ``chunks`` pieces, ``interval_ms`` apart
  reset         closes the connection without answering
  json          a non-OpenAI body: {"data": {"answer", "calls"}, "meta": {"tokens": {"in", "out"}}}

``GET /stats`` returns request counts, request times per message and the last headers/body seen.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from collections import defaultdict
from typing import Any

from aiohttp import web

_MODE_MARK = re.compile(r"\[mode=([a-z0-9_]+)\]")
_TOOL_MARK = re.compile(r"\[tool=([A-Za-z0-9_]+)\]")


class State:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.total = 0
        self.per_key: dict[str, list[float]] = defaultdict(list)
        self.last_request: web.Request | None = None
        self.last_body: Any = None


def _last_user_text(body: Any) -> str:
    if isinstance(body, dict):
        messages = body.get("messages")
        if isinstance(messages, list):
            for message in reversed(messages):
                if isinstance(message, dict) and message.get("role") == "user":
                    return str(message.get("content", ""))
        if "input" in body:
            return body["input"] if isinstance(body["input"], str) else json.dumps(body["input"])
    return json.dumps(body)


def _completion(text: str, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": f"echo: {text}"}
    tool = _TOOL_MARK.search(text)
    if tool:
        message["tool_calls"] = [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": tool.group(1), "arguments": json.dumps({"query": text[:20]})},
            }
        ]
    return {
        "id": "chatcmpl-test",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": len(text.split()), "completion_tokens": 2 + len(text.split())},
    }


async def handle(request: web.Request) -> web.StreamResponse:
    state: State = request.app["state"]
    raw = await request.read()
    try:
        body = json.loads(raw)
    except json.JSONDecodeError:
        return web.json_response({"error": {"message": "request body is not JSON"}}, status=400)
    text = _last_user_text(body)
    state.total += 1
    state.per_key[text].append(time.time())
    state.last_request = request  # headers/body are copied only when /stats asks
    state.last_body = body
    seen = len(state.per_key[text])
    q = request.query
    mode = request.match_info["mode"]
    marker = _MODE_MARK.search(text)
    if marker:
        mode = marker.group(1)
    latency_s = float(q.get("latency_ms", "0")) / 1000.0
    model = (body.get("model") if isinstance(body, dict) else None) or "test-model"

    if mode == "hang":
        await asyncio.sleep(3600)
    if mode == "reset":
        assert request.transport is not None
        request.transport.close()
        return web.Response(status=500)
    if mode == "malformed":
        await asyncio.sleep(latency_s)
        return web.Response(status=200, text='{"choices": [ {"message": not json', content_type="application/json")
    if mode == "429" and seen <= int(q.get("fail", "1")):
        return web.json_response(
            {"error": {"message": "rate limited"}},
            status=429,
            headers={"Retry-After": q.get("retry_after", "1")},
        )
    if mode == "500" and seen <= int(q.get("fail", str(10**9))):
        return web.json_response({"error": {"message": "internal error"}}, status=500)
    if mode == "random_errors":
        if state.rng.random() < float(q.get("p", "0.3")):
            return web.json_response({"error": {"message": "random failure"}}, status=500)
    if latency_s:
        await asyncio.sleep(latency_s)
    if mode == "json":
        return web.json_response(
            {
                "data": {"answer": f"json: {text}", "calls": [{"name": "search", "arguments": {"q": text}}]},
                "meta": {"tokens": {"in": 3, "out": 5}, "model": "json-model"},
                "received": body,
            }
        )
    payload = json.dumps(_completion(text, str(model))).encode()
    if mode == "trickle":
        chunks = int(q.get("chunks", "10"))
        interval_s = float(q.get("interval_ms", "100")) / 1000.0
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        step = max(1, len(payload) // chunks + 1)
        for start in range(0, len(payload), step):
            await response.write(payload[start : start + step])
            await asyncio.sleep(interval_s)
        await response.write_eof()
        return response
    return web.Response(body=payload, content_type="application/json")


async def stats(request: web.Request) -> web.Response:
    state: State = request.app["state"]
    return web.json_response(
        {
            "total": state.total,
            "per_key": state.per_key,
            "last_headers": {} if state.last_request is None else dict(state.last_request.headers),
            "last_body": state.last_body,
        }
    )


class RawFixedLatency(asyncio.Protocol):
    """``--raw``: a bare HTTP/1.1 keep-alive server answering every POST after a fixed latency.

    For the throughput benchmark. On a 2-core machine the server shares the CPU with the client
    being measured, so it does as little as it can per request: it finds the end of each request
    (``Content-Length``), starts a timer of exactly ``latency_s`` from the moment the request is
    complete, and then writes one precomputed chat-completions answer. The latency stays honest:
    no answer is sent before ``latency_s`` has passed since its request arrived.
    """

    latency_s = 0.05
    response = b""

    @classmethod
    def prepare(cls, latency_s: float) -> None:
        cls.latency_s = latency_s
        payload = json.dumps(_completion("raw benchmark answer", "raw-model")).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
        cls.response = head.encode() + payload

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: Any = transport
        self.buffer = b""
        self.call_later = asyncio.get_running_loop().call_later

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer + data if self.buffer else data
        while True:
            head_end = buffer.find(b"\r\n\r\n")
            if head_end < 0:
                break
            length = 0
            marker = buffer.find(b"ontent-length:", 0, head_end)
            if marker < 0:
                marker = buffer.find(b"ONTENT-LENGTH:", 0, head_end)
            if marker >= 0:
                length = int(buffer[marker + 14 : buffer.find(b"\r\n", marker, head_end + 2)])
            end = head_end + 4 + length
            if len(buffer) < end:
                break
            buffer = buffer[end:]
            self.call_later(self.latency_s, self.answer)
        self.buffer = buffer

    def answer(self) -> None:
        if not self.transport.is_closing():
            self.transport.write(self.response)


async def main_raw(port: int, latency_ms: float) -> None:
    RawFixedLatency.prepare(latency_ms / 1000.0)
    server = await asyncio.get_running_loop().create_server(RawFixedLatency, "127.0.0.1", port, backlog=1024)
    print(f"READY {server.sockets[0].getsockname()[1]}", flush=True)
    await asyncio.Event().wait()


async def main(port: int, seed: int) -> None:
    app = web.Application(client_max_size=16 * 1024 * 1024)
    app["state"] = State(seed)
    app.router.add_get("/stats", stats)
    app.router.add_post("/{mode}/{tail:.*}", handle)
    runner = web.AppRunner(app, access_log=None, handle_signals=True)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", port, backlog=1024)
    await site.start()
    server = site._server
    assert server is not None
    bound = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"READY {bound}", flush=True)
    await asyncio.Event().wait()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--raw", action="store_true", help="bare fixed-latency server for benchmarks")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="latency of --raw")
    args = parser.parse_args()
    try:
        asyncio.run(main_raw(args.port, args.latency_ms) if args.raw else main(args.port, args.seed))
    except KeyboardInterrupt:
        sys.exit(0)
