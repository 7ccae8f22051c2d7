"""attack18b: a 429 whose ``Retry-After`` is a date of year 99999999999 is still a ``rate_limited`` error.

``email.utils.parsedate_to_datetime`` raises ``OverflowError`` for such a year; it escaped ``parse_retry_after`` and
the call failed as an ``exception`` ("OverflowError: signed integer is greater than maximum"), the server's 429 lost.
An unreadable ``Retry-After`` is ignored now, as a malformed one already was.
"""

from __future__ import annotations

import asyncio
import http.server
from typing import Any

import pytest
from conftest import serve_http

from gatekit.agents import AgentCallError, AgentOptions
from gatekit.agents.http import HttpAgent, parse_retry_after
from gatekit.models import ErrorType

HUGE_YEAR = "Mon, 01 Jan 99999999999 00:00:00 GMT"


class _RateLimited(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - the handler's API
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        body = b'{"error": "slow down"}'
        self.send_response(429)
        self.send_header("Retry-After", HUGE_YEAR)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_an_overflowing_retry_after_date_is_ignored() -> None:
    assert parse_retry_after(HUGE_YEAR) is None
    assert parse_retry_after("Mon, 01 Jan 2001 00:00:00 GMT") == 0.0  # a past date: retry now


@pytest.mark.parametrize("client", ["auto", "aiohttp"])
def test_a_429_with_an_overflowing_date_is_rate_limited(client: str) -> None:
    async def call(port: int) -> Any:
        agent = HttpAgent(f"http://127.0.0.1:{port}/v1", AgentOptions(concurrency=1, extra={"http_client": client}))
        await agent.start()
        try:
            return await asyncio.wait_for(agent.call("hi", {}), 10)
        except Exception as exc:  # noqa: BLE001 - the test looks at what came out
            return exc
        finally:
            await agent.close()

    with serve_http(_RateLimited) as port:
        outcome = asyncio.run(call(port))
    assert isinstance(outcome, AgentCallError), outcome
    assert outcome.error_type == ErrorType.RATE_LIMITED and outcome.retryable and outcome.retry_after_s is None
