"""attack18b: a chunked answer whose trailer section never ends is an invalid response, not a growing buffer.

The lean client bounded the response head (64 KiB), each chunk-size line and the body, but not the trailer lines
after the last chunk: a server sending ``0\\r\\n`` and then trailer lines without the closing blank line made the
client keep (and rescan on every read) everything until the attempt timeout: ~180 MB in 10 s per connection, and
event-loop stalls of ~0.2 s that the other cases' latencies paid for. Trailers are bounded like the head now.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from gatekit.agents import AgentCallError
from gatekit.agents.http_client import HttpPool
from gatekit.models import ErrorType


async def _flood(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
        length = next(
            (int(line.split(":", 1)[1]) for line in head.decode().split("\r\n") if line.lower().startswith("content-")),
            0,
        )
        await reader.readexactly(length)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n")
        block = (b"X-Trailer: " + b"a" * 1000 + b"\r\n") * 100
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            writer.write(block)
            await writer.drain()
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        writer.close()


def test_endless_trailers_are_an_invalid_response_at_once() -> None:
    async def scenario() -> tuple[Any, float]:
        server = await asyncio.start_server(_flood, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        pool = HttpPool(f"http://127.0.0.1:{port}/v1/chat", "POST", {}, 1, 2.0, "test-agent")
        started = time.monotonic()
        try:
            try:
                outcome: Any = await asyncio.wait_for(pool.request(b"{}"), 10)
            except (AgentCallError, TimeoutError) as exc:
                outcome = exc
        finally:
            await pool.close()
            server.close()
        return outcome, time.monotonic() - started

    outcome, seconds = asyncio.run(scenario())
    assert isinstance(outcome, AgentCallError), outcome
    assert outcome.error_type == ErrorType.INVALID_RESPONSE and not outcome.retryable
    assert "trailer" in str(outcome)  # refused by the trailers' bound: the old client ran into the 2 s timeout
    assert seconds < 10  # (the wait_for above: a hang guard)
