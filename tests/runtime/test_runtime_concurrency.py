"""Run-level state under concurrent callers: tool rates and token budgets on a clock the test moves,
from many threads and many asyncio tasks sharing one enforcer."""

from __future__ import annotations

import asyncio
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from runtime_helpers import FakeClock, RecordingTool, write_policy

from gatekit.runtime import Enforcer, PolicyViolation

CALLERS = 48
RATE = 5  # send_email: max_calls_per_minute in the test policy


def _send(enforcer: Enforcer, tool: RecordingTool, barrier: threading.Barrier | None = None) -> bool:
    if barrier is not None:
        barrier.wait()
    try:
        arguments = enforcer.check_tool_call("send_email", {"to": "team", "body": "status"})
    except PolicyViolation as exc:
        assert "calls in a minute, limit 5 per minute" in exc.reasons[0]
        return False
    tool("send_email", arguments)
    return True


def test_a_tool_rate_holds_exactly_under_concurrent_threads_and_frees_up_after_a_minute(tmp_path):
    clock = FakeClock()
    enforcer = Enforcer.from_file(write_policy(tmp_path), clock=clock)
    tool = RecordingTool()
    barrier = threading.Barrier(CALLERS)
    with ThreadPoolExecutor(CALLERS) as pool:
        results = list(pool.map(lambda _: _send(enforcer, tool, barrier), range(CALLERS)))
    assert sum(results) == RATE and len(tool.ran) == RATE
    stats = enforcer.stats()
    assert stats["decisions"] == CALLERS and stats["by_outcome"]["deny"] == CALLERS - RATE

    clock.advance(59.0)  # still inside the minute of the first burst: every call is refused
    assert not _send(enforcer, tool)
    clock.advance(1.5)  # the burst left the window; the call refused at +59 s is in it (refused calls count)
    with ThreadPoolExecutor(CALLERS) as pool:
        results = list(pool.map(lambda _: _send(enforcer, tool), range(CALLERS)))
    assert sum(results) == RATE - 1


def test_a_tool_rate_holds_exactly_under_concurrent_asyncio_tasks(tmp_path):
    clock = FakeClock()
    enforcer = Enforcer.from_file(write_policy(tmp_path), clock=clock)
    tool = RecordingTool()

    @enforcer.guard
    async def agent(question, context):
        await asyncio.sleep(0)  # every task is in flight before any sends
        sent = _send(enforcer, tool)
        await asyncio.sleep(0)
        return "sent" if sent else "refused"

    async def main():
        return await asyncio.gather(*(agent(f"q{i}", {"user": f"u{i}"}) for i in range(CALLERS)))

    answers = asyncio.run(main())
    assert answers.count("sent") == RATE and len(tool.ran) == RATE
    assert enforcer.stats()["requests"] == CALLERS


def test_per_user_token_budgets_hold_under_concurrent_threads_on_the_moving_clock(tmp_path):
    clock = FakeClock()
    rows = tmp_path / "rows.jsonl"
    enforcer = Enforcer.from_file(write_policy(tmp_path), clock=clock, log_to=rows)

    @enforcer.guard
    def agent(question, context):
        return {"output": "ok", "usage": {"input_tokens": 400, "output_tokens": 600}}  # 1,000 tokens each

    def call(user: str) -> bool:
        try:
            agent("hi", {"user": user})
        except PolicyViolation as exc:
            assert exc.rules == ["budget"] and "tokens per minute > 3000" in exc.reasons[0]
            return False
        return True

    users = [f"u{i % 4}" for i in range(40)]  # 10 calls each for 4 users; 3,000 tokens a minute each
    with ThreadPoolExecutor(16) as pool:
        allowed = list(pool.map(call, users))
    by_user = {user: sum(ok for u, ok in zip(users, allowed, strict=True) if u == user) for user in set(users)}
    assert by_user == {"u0": 3, "u1": 3, "u2": 3, "u3": 3}
    clock.advance(61)
    assert call("u0") is True
    assert len(rows.read_text().splitlines()) == 41


@pytest.mark.parametrize("workers", [1, 8])
def test_counters_add_up_whatever_the_number_of_threads(tmp_path, workers):
    enforcer = Enforcer.from_file(write_policy(tmp_path), clock=FakeClock())

    @enforcer.guard
    def agent(question, context):
        return "mail me at jane@example.com" if int(question) % 2 else "fine"

    with ThreadPoolExecutor(workers) as pool:
        answers = list(pool.map(lambda i: agent(str(i), {}), range(200)))
    assert answers.count("mail me at [EMAIL_ADDRESS]") == 100
    stats = enforcer.stats()
    assert stats["requests"] == 200 and stats["decisions"] == 400
    assert stats["by_outcome"] == {"allow": 300, "allow_with_redaction": 100, "require_review": 0, "deny": 0}
    assert stats["by_rule"] == {"pii": 100}
