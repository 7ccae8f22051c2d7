"""The lean HTTP/1.1 client against scripted raw servers on 127.0.0.1, and parity with aiohttp."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest
from agents.procs import HttpAgentServer, http_agent_server
from conftest import read_http_request

from gatekit.agents import AgentCallError, AgentOptions
from gatekit.agents.http import HttpAgent
from gatekit.agents.http_client import HttpPool
from gatekit.models import AgentResponse, ErrorType

Script = Callable[[int, int, bytes, asyncio.StreamWriter], Awaitable[bool]]


def _answer(body: bytes, *, extra: str = "", status: str = "200 OK") -> bytes:
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{extra}\r\n".encode() + body


async def _serve(
    script: Script, client: Callable[[HttpPool], Awaitable[Any]], method: str = "POST"
) -> tuple[Any, list[int]]:
    """Run ``client`` against a server that answers each request with ``script``.

    ``script(connection_number, request_number_on_it, request_body, writer)`` writes the answer and
    returns False to stop reading that connection. Returns the client's result and the number of
    requests each connection carried.
    """
    per_connection: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        number = len(per_connection)
        per_connection.append(0)
        try:
            while True:
                _head, body = await read_http_request(reader)
                per_connection[number] += 1
                if not await script(number, per_connection[number], body, writer):
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    pool = HttpPool(f"http://127.0.0.1:{port}/v1/chat", method, {"X-Test": "1"}, 4, 2.0, "test-agent")
    try:
        result = await asyncio.wait_for(client(pool), 5)
    finally:
        await pool.close()
        server.close()
        await server.wait_closed()
    return result, per_connection


def run(script: Script, client: Callable[[HttpPool], Awaitable[Any]], method: str = "POST") -> tuple[Any, list[int]]:
    return asyncio.run(_serve(script, client, method))


async def three_sequential(pool: HttpPool) -> list[bytes]:
    return [(await pool.request(b'{"n": %d}' % i)).body for i in range(3)]


def test_content_length_answers_reuse_one_keep_alive_connection() -> None:
    async def script(_c: int, _n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(_answer(b"echo " + body))
        return True

    bodies, connections = run(script, three_sequential)
    assert bodies == [b'echo {"n": 0}', b'echo {"n": 1}', b'echo {"n": 2}']
    assert connections == [3]


def test_chunked_body_with_extensions_and_trailers_arriving_byte_by_byte() -> None:
    async def script(_c: int, _n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        raw = (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
            b"5;name=x\r\nhello\r\n1\r\n \r\n" + b"%x\r\n%s\r\n0\r\nX-Trailer: t\r\n\r\n" % (len(body), body)
        )
        for i in range(len(raw)):
            writer.write(raw[i : i + 1])
            await writer.drain()
        return True

    bodies, connections = run(script, three_sequential)
    assert bodies == [b'hello {"n": 0}', b'hello {"n": 1}', b'hello {"n": 2}']
    assert connections == [3]


def test_body_delimited_by_close_and_connection_close_open_new_connections() -> None:
    async def script(c: int, _n: int, _body: bytes, writer: asyncio.StreamWriter) -> bool:
        if c == 0:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil close")
        elif c == 1:
            writer.write(_answer(b"closing", extra="Connection: close\r\n"))
        else:
            writer.write(b"HTTP/1.0 200 OK\r\nContent-Length: 4\r\n\r\nhttp")
        return False

    bodies, connections = run(script, three_sequential)
    assert bodies == [b"until close", b"closing", b"http"]
    assert connections == [1, 1, 1]


def test_idle_connection_closed_by_the_server_is_not_reused() -> None:
    async def script(_c: int, _n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(_answer(body))
        return False  # closes the connection right after answering, without saying so

    async def client(pool: HttpPool) -> list[bytes]:
        out = []
        for i in range(3):
            out.append((await pool.request(b"%d" % i)).body)
            await asyncio.sleep(0.05)  # the close reaches the idle connection
        return out

    bodies, connections = run(script, client)
    assert bodies == [b"0", b"1", b"2"]
    assert connections == [1, 1, 1]


def test_an_idempotent_request_on_a_connection_the_server_dropped_is_sent_again_once() -> None:
    async def script(_c: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        if n == 2:
            return False  # reads the second request, then closes without a byte of answer
        writer.write(_answer(body))
        return True

    bodies, connections = run(script, three_sequential, method="PUT")
    assert bodies == [b'{"n": 0}', b'{"n": 1}', b'{"n": 2}']
    assert connections == [2, 2, 1]


def test_a_post_on_a_connection_the_server_dropped_after_reading_it_is_not_sent_again() -> None:
    """runtime20: the POST was sent again on a fresh connection — the server had read it: two chat calls."""

    async def script(_c: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        if n == 2:
            return False  # reads the second request, then closes without a byte of answer
        writer.write(_answer(body))
        return True

    async def client(pool: HttpPool) -> list[Any]:
        out: list[Any] = []
        for i in range(3):
            try:
                out.append((await pool.request(b'{"n": %d}' % i)).body)
            except AgentCallError as exc:
                out.append(exc)
        return out

    (first, second, third), connections = run(script, client)
    assert (first, third) == (b'{"n": 0}', b'{"n": 2}')
    assert isinstance(second, AgentCallError) and second.error_type == ErrorType.CONNECTION
    assert second.retryable is False and "not sent again" in str(second)
    assert connections == [2, 1]  # the second request reached the server once


def test_a_fresh_connection_dropped_before_any_answer_is_an_error_not_a_loop() -> None:
    async def script(_c: int, _n: int, _body: bytes, _writer: asyncio.StreamWriter) -> bool:
        return False

    async def client(pool: HttpPool) -> Any:
        try:
            return await pool.request(b"{}")
        except AgentCallError as exc:
            return exc

    err, connections = run(script, client)
    assert isinstance(err, AgentCallError) and err.error_type == ErrorType.CONNECTION
    assert not err.retryable  # the server read the POST: sending it again could run the call twice
    assert "before any response" in str(err) and "not sent again" in str(err)
    assert connections == [1]


def test_interim_100_response_gzip_body_and_headers() -> None:
    seen: list[bytes] = []

    async def script(_c: int, _n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        seen.append(body)
        packed = gzip.compress(b'{"ok": true}')
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        writer.write(_answer(packed, extra="Content-Encoding: gzip\r\nRetry-After: 3\r\nX-Dup: a\r\nX-Dup: b\r\n"))
        return True

    async def client(pool: HttpPool) -> Any:
        return await pool.request(b"{}")

    response, _ = run(script, client)
    assert response.status == 200 and response.body == b'{"ok": true}'
    assert response.headers["retry-after"] == "3" and response.headers["x-dup"] == "a, b"
    assert seen == [b"{}"]


@pytest.mark.parametrize(
    ("raw", "error_type", "retryable"),
    [
        (b"HTTX/1.1 200 OK\r\n\r\n", ErrorType.INVALID_RESPONSE, False),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", ErrorType.INVALID_RESPONSE, False),
        (b"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", ErrorType.INVALID_RESPONSE, False),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", ErrorType.INVALID_RESPONSE, False),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: br\r\nContent-Length: 2\r\n\r\nxx", ErrorType.INVALID_RESPONSE, False),
        # the server read the POST (and answered part of it, or nothing): not sent again, not retried (runtime20)
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part", ErrorType.CONNECTION, False),
        (b"", ErrorType.CONNECTION, False),
    ],
)
def test_broken_answers_are_classified(raw: bytes, error_type: ErrorType, retryable: bool) -> None:
    async def script(_c: int, _n: int, _body: bytes, writer: asyncio.StreamWriter) -> bool:
        writer.write(raw)
        return False

    async def client(pool: HttpPool) -> Any:
        try:
            return await pool.request(b"{}")
        except AgentCallError as exc:
            return exc

    err, _ = run(script, client)
    assert isinstance(err, AgentCallError), err
    assert (err.error_type, err.retryable) == (error_type, retryable)
    assert "test-agent" in str(err)


def test_cancelled_request_closes_its_connection_and_the_pool_goes_on() -> None:
    async def script(_c: int, n: int, body: bytes, writer: asyncio.StreamWriter) -> bool:
        if body == b"hang":
            await asyncio.sleep(3)
            return False
        writer.write(_answer(body))
        return True

    async def client(pool: HttpPool) -> bytes:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(pool.request(b"hang"), 0.2)
        return (await pool.request(b"after")).body

    body, connections = run(script, client)
    assert body == b"after" and connections == [1, 1]


def test_header_values_with_line_breaks_are_refused() -> None:
    with pytest.raises(ValueError, match="line breaks"):
        HttpPool("http://127.0.0.1:1/x", "POST", {"X-Bad": "a\r\nInjected: 1"}, 1, 1.0, "x")


# --- the adapter through both clients against the misbehaving test server ---------------------


@pytest.fixture(scope="module")
def server() -> Iterator[HttpAgentServer]:
    with http_agent_server() as srv:
        yield srv


def _call_both(url: str, text: str) -> list[Any]:
    async def one(client: str) -> Any:
        agent = HttpAgent(url, AgentOptions(concurrency=2, extra={"http_client": client}))
        await agent.start()
        assert (agent._pool is not None) is (client == "auto")
        try:
            return await asyncio.wait_for(agent.call(text, {}), 5)
        except AgentCallError as exc:
            return exc
        finally:
            await agent.close()

    return [asyncio.run(one("auto")), asyncio.run(one("aiohttp"))]


@pytest.mark.slow
@pytest.mark.parametrize(
    ("mode", "query", "expected"),
    [
        ("ok", {}, "echo: parity"),
        ("trickle", {"chunks": 4, "interval_ms": 10}, "echo: parity"),
        ("500", {}, ErrorType.HTTP_5XX),
        ("429", {"fail": 100, "retry_after": 4}, ErrorType.RATE_LIMITED),
        ("malformed", {}, ErrorType.INVALID_RESPONSE),
        ("reset", {}, ErrorType.CONNECTION),
    ],
)
def test_lean_client_and_aiohttp_agree(
    server: HttpAgentServer, mode: str, query: dict[str, Any], expected: Any
) -> None:
    lean, reference = _call_both(server.url(mode, **query), "parity")
    for result in (lean, reference):
        if isinstance(expected, ErrorType):
            assert isinstance(result, AgentCallError), result
            assert result.error_type == expected
        else:
            assert isinstance(result, AgentResponse), result
            assert result.output == expected
    if isinstance(expected, ErrorType):
        assert (lean.retryable, lean.retry_after_s) == (reference.retryable, reference.retry_after_s)
    else:
        assert lean == reference
    assert json.loads(json.dumps(server.stats()["last_body"]))["messages"][0]["content"] == "parity"
