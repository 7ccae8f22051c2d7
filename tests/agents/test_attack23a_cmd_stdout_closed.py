"""attack23a: a ``cmd:`` worker that closes its stdout and runs on is named as such, not "exited with code None".

The case failed (and was retried, the worker replaced) as it should, but its message said the worker had exited with
code None, sending whoever read it to look for a crash that never happened.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import pytest

from gatekit.agents import AgentCallError, AgentOptions
from gatekit.agents.cmd import CmdAgent
from gatekit.errors import AgentError

pytestmark = pytest.mark.slow

CLOSER = """
import os, sys, time
if "--ready" not in sys.argv:
    sys.stdin.readline()
os.close(1)
time.sleep(60)
"""


def test_a_worker_closing_its_stdout_mid_case_is_named(tmp_path: Path) -> None:
    (tmp_path / "closer.py").write_text(CLOSER, encoding="utf-8")

    async def scenario() -> AgentCallError:
        agent = CmdAgent(f"cmd:{sys.executable} {tmp_path / 'closer.py'}", AgentOptions(concurrency=1))
        await agent.start()
        try:
            with pytest.raises(AgentCallError) as caught:
                await asyncio.wait_for(agent.call("hello", {}), 20)
            return caught.value
        finally:
            await agent.close()

    error = asyncio.run(scenario())
    assert "closed its stdout without answering" in str(error) and "code None" not in str(error), str(error)
    assert error.retryable is True  # a fresh worker may answer


def test_a_worker_closing_its_stdout_before_its_ready_line_is_named(tmp_path: Path) -> None:
    (tmp_path / "closer.py").write_text(CLOSER, encoding="utf-8")

    async def scenario() -> None:
        agent = CmdAgent(
            f"cmd:{sys.executable} {tmp_path / 'closer.py'} --ready",
            AgentOptions(concurrency=1, extra={"ready_line": True}),
        )
        try:
            await asyncio.wait_for(agent.start(), 20)
        finally:
            await agent.close()

    with pytest.raises(AgentError) as caught:
        asyncio.run(scenario())
    assert "closed its stdout without answering" in str(caught.value) and "code None" not in str(caught.value)
