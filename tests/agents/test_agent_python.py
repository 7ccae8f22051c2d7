"""The python: adapter driven through the real replay engine."""

from __future__ import annotations

import asyncio
import sys

import pytest
from conftest import TESTS_DIR

from gatekit.agents import AgentOptions, resolve_agent
from gatekit.errors import AgentError
from gatekit.models import Case
from gatekit.replay import ReplaySettings, replay

sys.path.insert(0, str(TESTS_DIR))


def run_all(spec: str, cases: list[Case], **settings: float) -> list:
    results = []
    agent = resolve_agent(spec, AgentOptions(concurrency=4))

    async def go() -> None:
        await agent.start()
        try:
            await replay(
                cases,
                agent,
                ReplaySettings(concurrency=4, **settings),
                lambda case, result: results.append(result) or True,
            )
        finally:
            await agent.close()

    asyncio.run(go())
    return sorted(results, key=lambda r: r.case_id)


CASES = [Case(id=f"c{i}", input=f"q{i}", context={"user": f"u{i}"}) for i in range(6)]


def test_sync_callable_runs_in_threads() -> None:
    results = run_all("python:spine_agents:sync_echo", CASES)
    assert [r.response.output for r in results] == [f"echo: q{i}" for i in range(6)]
    assert all(r.ok and r.latency_ms >= 10 for r in results)
    assert results[0].response.usage == {"input_tokens": 10, "output_tokens": 5}


def test_async_callable_gets_context() -> None:
    results = run_all("python:spine_agents:async_with_context", CASES)
    assert [r.response.output for r in results] == [f"user=u{i}" for i in range(6)]
    assert results[0].response.tool_calls == [{"name": "lookup", "arguments": {"q": 1}}]


def test_plain_string_is_the_output() -> None:
    assert run_all("python:spine_agents:plain_string", CASES[:1])[0].response.output == "just a string"


def test_raising_agent_is_recorded_with_every_attempt() -> None:
    results = run_all("python:spine_agents:always_raises", CASES[:2], retries=2, backoff_base_s=0.001)
    for r in results:
        assert not r.ok
        assert r.error_type == "exception"
        assert "ValueError: agent blew up" in r.error_message
        assert [a.attempt for a in r.attempts] == [1, 2, 3]


def test_retry_recovers_a_flaky_agent_and_keeps_the_first_failure() -> None:
    results = run_all("python:spine_agents:flaky", CASES[:3], retries=1, backoff_base_s=0.001)
    assert all(r.ok for r in results)
    assert all([a.ok for a in r.attempts] == [False, True] for r in results)


def test_hanging_agent_times_out_and_run_finishes() -> None:
    results = run_all("python:spine_agents:hangs", CASES[:3], timeout_s=0.2, retries=1, backoff_base_s=0.001)
    assert all(r.error_type == "timeout" and len(r.attempts) == 2 for r in results)
    assert all(150 <= a.latency_ms < 2000 for r in results for a in r.attempts)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("python:no_such_module_xyz:run", "module 'no_such_module_xyz' not found"),
        ("python:spine_agents:missing", "has no attribute 'missing'"),
        ("python:spine_agents", "expected python:pkg.module:function"),
        ("ftp://nowhere", "unknown kind"),
    ],
)
def test_bad_specs_are_user_errors(spec: str, message: str) -> None:
    with pytest.raises(AgentError, match=message):
        agent = resolve_agent(spec)
        asyncio.run(agent.start())
