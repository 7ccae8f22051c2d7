"""runtime20: a POST that may have reached the server is never sent again by the HTTP agent.

The lean client re-sent a request once on a fresh connection when a reused connection closed before a byte of the
answer came back, and both clients called a connection lost after the request was written a retryable failure:
a server that read the request (and started the chat call: its cost, its side effects) and then reset the
connection got the request two or three times, and the case looked like a success. Now a POST is sent again only
when it provably never left (a connection known closed before the write is skipped: a fresh one is taken); a
connection lost after the write is the case's ``connection`` error, not retried.

Real parts: a raw HTTP server on 127.0.0.1 (a thread) that counts the requests it read in full and resets the
connection (RST) instead of answering; the HTTP agent through both clients; the replay engine with retries.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from agents.reset_server import ANSWER, reset_server

from gatekit.agents import AgentCallError, AgentOptions, resolve_agent
from gatekit.agents.http_client import HttpPool
from gatekit.models import Case, CaseResult, ErrorType
from gatekit.replay import ReplaySettings, replay


def _calls(url: str, client: str, count: int) -> list[Any]:
    """``count`` calls in a row through one agent."""

    async def go() -> list[Any]:
        agent = resolve_agent(url, AgentOptions(concurrency=1, extra={"http_client": client}))
        await agent.start()
        out: list[Any] = []
        try:
            for i in range(count):
                try:
                    out.append(await asyncio.wait_for(agent.call(f"call {i}", {}), 5))
                except AgentCallError as exc:
                    out.append(exc)
        finally:
            await agent.close()
        return out

    return asyncio.run(go())


@pytest.mark.parametrize("client", ["auto", "aiohttp"])
def test_a_reset_after_the_server_read_the_request_is_one_request_and_the_case_fails(client: str) -> None:
    results: list[CaseResult] = []
    settings = ReplaySettings(concurrency=1, timeout_s=5, retries=2, backoff_base_s=0.01, jitter_seed=1)
    with reset_server(reset_from=1) as (url, counts):

        async def go() -> None:
            agent = resolve_agent(url, AgentOptions(concurrency=1, extra={"http_client": client}))
            await agent.start()
            try:
                await replay(
                    [Case(id="c1", input="refund order W1")], agent, settings, lambda _c, r: results.append(r) or True
                )
            finally:
                await agent.close()

        asyncio.run(go())
        time.sleep(0.05)
        received = counts.requests
    [result] = results
    assert received == 1, f"the server got the request {received} times"
    assert result.error_type == "connection" and len(result.attempts) == 1
    assert "not sent again" in (result.error_message or "")


@pytest.mark.parametrize("client", ["auto", "aiohttp"])
def test_a_reused_connection_reset_after_the_request_is_not_sent_again(client: str) -> None:
    with reset_server(reset_from=2) as (url, counts):  # the first request answered, the second read and reset
        first, second = _calls(url, client, 2)
        time.sleep(0.05)
        received = counts.requests
    assert not isinstance(first, AgentCallError) and first.output == "done"
    assert isinstance(second, AgentCallError), second
    assert second.error_type == ErrorType.CONNECTION and second.retryable is False
    assert received == 2, f"the server got {received} requests for 2 calls"


def test_an_idle_connection_the_server_closed_is_not_written_to() -> None:
    """A close not yet seen by the event loop: the idle connection is found closed before the write, not after."""

    async def two(url: str) -> list[bytes]:
        pool = HttpPool(url, "POST", {}, 1, 2.0, "test-agent")
        try:
            first = await pool.request(b"{}")
            time.sleep(0.1)  # blocks the loop: the server's close has arrived, the loop has not read it
            second = await pool.request(b"{}")
        finally:
            await pool.close()
        return [first.body, second.body]

    with reset_server(reset_from=None, close_after=True) as (url, counts):
        bodies = asyncio.run(two(url))
        received, connections = counts.requests, counts.connections
    assert bodies == [ANSWER, ANSWER]
    assert (received, connections) == (2, 2)
