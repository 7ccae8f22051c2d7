"""attack23a: a token count written as a string of digits that are not ASCII is an ``invalid_response``.

``"²".isdigit()`` holds, and ``int("²")`` raised ``ValueError`` out of the response check: a plain exception, which the
replay classifies as a retryable ``exception`` — the ``cmd:`` worker was asked again (and a ``python:`` agent
called again) for an answer that would never read, and an HTTP agent's POST sent again.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest

from gatekit.agents import AgentOptions
from gatekit.agents.base import normalise_answer
from gatekit.agents.cmd import CmdAgent
from gatekit.dataset import Case
from gatekit.replay import ReplaySettings, run_case

pytestmark = pytest.mark.slow

WORKER = """
import json, sys
for line in sys.stdin:
    request = json.loads(line)
    tokens = json.loads(request["input"])
    print(json.dumps({"id": request["id"], "output": "ok", "usage": {"input_tokens": tokens}}), flush=True)
"""


@pytest.mark.parametrize("tokens", ["\u00b2", "\u2460", "\u0663"])
def test_a_cmd_worker_reporting_unicode_digit_tokens_is_an_invalid_response(tmp_path: Path, tokens: str) -> None:
    (tmp_path / "worker.py").write_text(WORKER, encoding="utf-8")

    async def scenario() -> dict[str, object]:
        agent = CmdAgent(f"cmd:{sys.executable} {tmp_path / 'worker.py'}", AgentOptions(concurrency=1))
        await agent.start()
        try:
            settings = ReplaySettings(retries=2, timeout_s=10, backoff_base_s=0.01, handle_sigterm=False)
            case = Case(id="c1", input=json.dumps(tokens), context={})
            return (await asyncio.wait_for(run_case(agent, case, settings), 60)).to_dict()
        finally:
            await agent.close()

    row = asyncio.run(scenario())
    assert row["error_type"] == "invalid_response", row  # was 'exception', asked three times
    assert len(row["attempts"]) == 1  # type: ignore[arg-type]
    assert "usage.input_tokens" in str(row["error_message"])


def test_ascii_digit_strings_still_read() -> None:
    assert normalise_answer({"output": "x", "usage": {"input_tokens": " 12 ", "output_tokens": "0"}}).usage == {
        "input_tokens": 12,
        "output_tokens": 0,
    }
