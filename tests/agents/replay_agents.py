"""In-process agents for replay tests, imported as ``python:agents.replay_agents:<name>``."""

from __future__ import annotations

import asyncio
import os
from typing import Any

IN_FLIGHT = {"now": 0, "max": 0}
CALLS: dict[str, int] = {}  # calls of ``counted`` in this process (cleared by spine_project.reset_test_agents)


async def counted(case_input: Any, context: dict[str, Any]) -> dict[str, Any]:
    """Sleep a little, log the call to $GATEKIT_TEST_CALL_LOG, pass cases whose text is even.

    With $GATEKIT_TEST_HOLD_FILE, every call after the first two waits (up to 60 s) until that file exists: the
    test decides when the run may go on (a gate that must still be running while the test does something).
    """
    CALLS["n"] = CALLS.get("n", 0) + 1
    hold = os.environ.get("GATEKIT_TEST_HOLD_FILE")
    if hold and CALLS["n"] > 2:
        for _ in range(1200):
            if os.path.exists(hold):
                break
            await asyncio.sleep(0.05)
    await asyncio.sleep(float(os.environ.get("GATEKIT_TEST_SLEEP_S", "0.02")))
    log = os.environ.get("GATEKIT_TEST_CALL_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as handle:
            handle.write(f"{case_input}\n")
    return {
        "output": f"echo: {case_input}",
        "model": "m-test",
        "cost_usd": 0.0,
        "usage": {"input_tokens": 4, "output_tokens": 2},
    }


async def sleeper(case_input: Any) -> str:
    """Track how many calls are in flight at once."""
    IN_FLIGHT["now"] += 1
    IN_FLIGHT["max"] = max(IN_FLIGHT["max"], IN_FLIGHT["now"])
    try:
        await asyncio.sleep(0.02)
    finally:
        IN_FLIGHT["now"] -= 1
    return "ok"


async def instant(case_input: Any) -> str:
    return "ok"


async def sleep_50ms(case_input: Any) -> str:
    await asyncio.sleep(0.05)
    return "ok"
