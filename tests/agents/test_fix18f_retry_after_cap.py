"""fix18f: a 429's ``Retry-After`` is waited for only when the run can afford it.

Before: any ``Retry-After`` was honoured up to 120 s per retry whatever ``--timeout`` said: a hostile endpoint cost
~240 s per case at 2 retries. Now (as the OpenAI SDK, which honours it only up to 60 s): a ``Retry-After`` up to
60 s (``max_retry_after_s``) and within the time left before ``--deadline`` is waited for; a longer one fails the case
as ``rate_limited`` at once, without a retry, saying why.
"""

from __future__ import annotations

import asyncio
import http.server
import time
from typing import Any

from conftest import serve_http

from gatekit.agents import AgentOptions
from gatekit.agents.http import HttpAgent
from gatekit.models import Case, CaseResult
from gatekit.replay import ReplaySettings, run_case

CALLS: list[float] = []


def _handler(retry_after: str) -> type[http.server.BaseHTTPRequestHandler]:
    class RateLimited(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the handler's API
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            CALLS.append(time.monotonic())
            body = b'{"error": "slow down"}'
            self.send_response(429)
            self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return RateLimited


def _run(retry_after: str, settings: ReplaySettings, deadline_s: float | None = None) -> tuple[CaseResult, float]:
    CALLS.clear()

    async def go(port: int) -> CaseResult:
        agent = HttpAgent(f"http://127.0.0.1:{port}/v1", AgentOptions(concurrency=1, timeout_s=2.0))
        await agent.start()
        try:
            deadline = None if deadline_s is None else time.monotonic() + deadline_s
            return await run_case(agent, Case(id="c1", input="hi"), settings, deadline=deadline)
        finally:
            await agent.close()

    with serve_http(_handler(retry_after)) as port:
        t0 = time.monotonic()
        result = asyncio.run(go(port))
        return result, time.monotonic() - t0


def test_a_retry_after_beyond_the_cap_fails_the_case_at_once() -> None:
    result, elapsed = _run("3600", ReplaySettings(timeout_s=2.0, retries=2))
    assert elapsed < 10, elapsed
    assert not result.ok and result.error_type == "rate_limited", result
    assert len(result.attempts) == 1 and len(CALLS) == 1, result.attempts
    assert result.error_message is not None
    assert "Retry-After 3600 s exceeds the 60 s cap: not retried" in result.error_message, result.error_message


def test_a_retry_after_beyond_the_time_left_before_the_deadline_is_not_waited_for() -> None:
    result, elapsed = _run("30", ReplaySettings(timeout_s=2.0, retries=2), deadline_s=20.0)
    assert elapsed < 10, elapsed
    assert not result.ok and result.error_type == "rate_limited" and len(CALLS) == 1, result
    assert result.error_message is not None and "time left before --deadline" in result.error_message


def test_a_short_retry_after_is_honoured_between_retries() -> None:
    settings = ReplaySettings(timeout_s=2.0, retries=2, backoff_base_s=0.01, backoff_max_s=0.02)
    result, elapsed = _run("1", settings)
    assert not result.ok and result.error_type == "rate_limited", result
    assert len(result.attempts) == 3 and len(CALLS) == 3
    gaps = [b - a for a, b in zip(CALLS, CALLS[1:], strict=False)]
    assert all(gap >= 0.95 for gap in gaps), gaps  # waited the server's second, not the 0.02 s backoff
    assert elapsed < 10, elapsed
