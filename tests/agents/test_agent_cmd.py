"""The subprocess adapter against a real JSON-lines agent process (including one that crashes)."""

from __future__ import annotations

import asyncio
import shlex
import sys
from pathlib import Path
from typing import Any

import pytest
from agents.procs import CMD_AGENT

from gatekit.agents import AgentCallError, AgentOptions, resolve_agent
from gatekit.agents.cmd import CmdAgent
from gatekit.errors import AgentError
from gatekit.models import AgentResponse, ErrorType

pytestmark = pytest.mark.slow


def spec(*flags: str) -> str:
    return "cmd:" + shlex.join([sys.executable, str(CMD_AGENT), *flags])


async def with_agent(agent_spec: str, options: AgentOptions, body: Any) -> Any:
    agent = resolve_agent(agent_spec, options)
    await agent.start()
    try:
        return await body(agent)
    finally:
        await agent.close()


def test_echo_with_tool_call_and_context() -> None:
    async def body(agent: Any) -> AgentResponse:
        return await agent.call({"messages": [{"role": "user", "content": "hi [tool=lookup]"}]}, {"role": "admin"})

    resp = asyncio.run(with_agent(spec(), AgentOptions(concurrency=1), body))
    assert resp.output == "echo: hi [tool=lookup]"
    assert resp.tool_calls == [{"name": "lookup", "arguments": {"text": "hi [tool=lookup]"}}]
    assert resp.usage == {"input_tokens": 2, "output_tokens": 3}


def test_pool_serves_calls_in_parallel_across_processes(tmp_path: Path) -> None:
    # no clock ("4 x 0.3 s under 1 s" is a race on a busy machine): each case answers only once all four are in
    # their worker at the same time (a barrier); served one after another, the first would wait and fail
    async def body(agent: Any) -> list[AgentResponse]:
        return await asyncio.gather(*(agent.call(f"case {i} [barrier={tmp_path}:4]", {}) for i in range(4)))

    results = asyncio.run(with_agent(spec(), AgentOptions(concurrency=4), body))
    assert [r.output.split(" [")[0] for r in results] == [f"echo: case {i}" for i in range(4)]  # (an error raises)
    assert len({r.model for r in results}) == 4  # every worker process served one case


def test_error_answer_carries_stderr_and_is_not_retryable() -> None:
    async def body(agent: Any) -> Any:
        try:
            await agent.call("please [error]", {})
        except AgentCallError as exc:
            ok = await agent.call("still alive", {})
            return exc, ok
        raise AssertionError("no error")

    exc, ok = asyncio.run(with_agent(spec(), AgentOptions(concurrency=1), body))
    assert exc.error_type == ErrorType.EXCEPTION and exc.retryable is False
    assert "agent failed: backend unavailable" in str(exc)
    assert "tool backend said no" in str(exc)  # stderr of that case
    assert ok.output == "echo: still alive"


def test_crashed_worker_is_restarted_and_call_is_retryable() -> None:
    async def body(agent: CmdAgent) -> Any:
        before = (await agent.call("first", {})).model
        try:
            await agent.call("die now [crash]", {})
        except AgentCallError as exc:
            after = (await agent.call("second", {})).model
            return exc, before, after, agent.restarts
        raise AssertionError("no error")

    exc, before, after, restarts = asyncio.run(with_agent(spec(), AgentOptions(concurrency=1), body))
    assert exc.error_type == ErrorType.EXCEPTION and exc.retryable is True
    assert "exited with code 3" in str(exc)
    assert "crashing on purpose" in str(exc)
    assert before != after  # a new process took over
    assert restarts == 1


def test_garbage_line_is_invalid_response_and_worker_replaced() -> None:
    async def body(agent: CmdAgent) -> Any:
        pid = (await agent.call("a", {})).model
        try:
            await agent.call("[garbage]", {})
        except AgentCallError as exc:
            return exc, pid, (await agent.call("b", {})).model
        raise AssertionError("no error")

    exc, pid_before, pid_after = asyncio.run(with_agent(spec(), AgentOptions(concurrency=1), body))
    assert exc.error_type == ErrorType.INVALID_RESPONSE
    assert "this is not json" in str(exc)
    assert pid_before != pid_after


def test_timed_out_worker_is_replaced_so_late_answers_cannot_desync() -> None:
    async def body(agent: CmdAgent) -> Any:
        pid = (await agent.call("a", {})).model
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(agent.call("slow [sleep=0.5]", {}), 0.1)
        resp = await agent.call("fresh", {})
        return pid, resp

    pid, resp = asyncio.run(with_agent(spec(), AgentOptions(concurrency=1), body))
    assert resp.output == "echo: fresh"  # not the late answer to "slow"
    assert resp.model != pid


def test_command_that_exits_at_once_fails_start_with_its_stderr() -> None:
    agent = resolve_agent(spec("--fail-start"), AgentOptions(concurrency=2))
    with pytest.raises(AgentError, match="refusing to start"):
        asyncio.run(agent.start())


def test_missing_executable_is_a_user_error(tmp_path: Path) -> None:
    agent = resolve_agent(f"cmd:{tmp_path}/no-such-agent --x", AgentOptions())
    with pytest.raises(AgentError, match="cannot start"):
        asyncio.run(agent.start())


def test_argv_is_not_run_through_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    # With a shell, "; touch marker" would run; as argv it is just two extra (ignored) arguments.
    agent = CmdAgent(f"cmd:{sys.executable} -c 'import sys; sys.exit(0)' ; touch {marker}", AgentOptions())
    assert agent.argv[-2:] == ["touch", str(marker)]
    with pytest.raises(AgentError):
        asyncio.run(agent.start())
    assert not marker.exists()
