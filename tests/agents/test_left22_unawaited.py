"""left22: a ``python:`` agent call cancelled before the agent's loop began it leaves no coroutine "never awaited".

The case's coroutine was handed to the agent's loop inside another one (``_awaited(_normalised(agent(...)))``); when the
call was cancelled (the attempt timeout, a stop) and the agent closed before that loop took its first step, the
loop stopped with the task unstarted and ``coroutine '_normalised' was never awaited`` (and ``_awaited``, and the
agent's own coroutine) warned when collected. Now what no task took is closed by the caller, no task is made on a
loop that is stopping, and the loop cancels what still runs before it stops.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
import warnings
from pathlib import Path

from gatekit.agents.base import AgentOptions
from gatekit.agents.python import PythonAgent

AGENT = """
import asyncio

async def answer(text):
    await asyncio.sleep(0.01)
    return "ok"
"""


def _unawaited(caught: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in caught if "never awaited" in str(w.message)]


def test_a_call_cancelled_before_the_agent_loop_began_it(tmp_path: Path) -> None:
    (tmp_path / "left22_async_agent.py").write_text(AGENT, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))

    async def main() -> list[str]:
        agent = PythonAgent("python:left22_async_agent:answer", AgentOptions(concurrency=2))
        await agent.start()
        assert await agent.call("hi", {}) is not None  # the loop runs
        loop = agent._agent_loop().loop
        loop.call_soon_threadsafe(time.sleep, 0.3)  # the agent's loop is busy: the next call waits to begin
        call = asyncio.ensure_future(agent.call("hi", {}))
        await asyncio.sleep(0.05)
        call.cancel()  # the attempt timeout, before the agent's loop began the call
        try:
            await call
        except asyncio.CancelledError:
            pass
        await agent.close()  # the gate closes the agent right after
        await asyncio.sleep(0.6)
        return []

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            asyncio.run(main())
            for _ in range(3):
                gc.collect()
                time.sleep(0.05)
    finally:
        sys.path.remove(str(tmp_path))
    assert not _unawaited(caught), _unawaited(caught)


def test_a_call_after_close_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    (tmp_path / "left22_async_agent2.py").write_text(AGENT, encoding="utf-8")
    sys.path.insert(0, str(tmp_path))

    async def main() -> str:
        agent = PythonAgent("python:left22_async_agent2:answer", AgentOptions(concurrency=1))
        await agent.start()
        looper = agent._agent_loop()
        looper.close()  # closed under a call that is about to begin
        await asyncio.sleep(0.2)
        try:
            await asyncio.wait_for(looper.run(asyncio.sleep(0)), 2.0)
        except RuntimeError as exc:
            return str(exc)
        except TimeoutError:
            return "hung"  # (it waited for a stopped loop)
        return "ran"

    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            said = asyncio.run(main())
            gc.collect()
    finally:
        sys.path.remove(str(tmp_path))
    assert said == "the agent is closed"
    assert not _unawaited(caught), _unawaited(caught)
