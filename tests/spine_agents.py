"""Agents for the spine's tests, imported as ``python:spine_agents:<name>``."""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

CALLS: dict[str, int] = {}


def sync_echo(case_input: Any) -> dict[str, Any]:
    text = case_input if isinstance(case_input, str) else case_input["messages"][-1]["content"]
    time.sleep(0.01)
    return {
        "output": f"echo: {text}",
        "usage": {"input_tokens": 10, "output_tokens": 5},
        "model": "m-test",
        "cost_usd": 0.0001,
    }


async def async_with_context(case_input: Any, context: dict[str, Any]) -> dict[str, Any]:
    await asyncio.sleep(0.01)
    return {
        "output": f"user={context.get('user')}",
        "tool_calls": [{"name": "lookup", "arguments": {"q": 1}}],
        "usage": {"input_tokens": 3, "output_tokens": 2},
        "model": "m-test",
        "cost_usd": 0.0,
    }


def plain_string(case_input: Any) -> str:
    return "just a string"


def always_raises(case_input: Any) -> str:
    raise ValueError("agent blew up")


def flaky(case_input: Any) -> dict[str, Any]:
    """Fails the first attempt of every case, then succeeds."""
    key = str(case_input)
    CALLS[key] = CALLS.get(key, 0) + 1
    if CALLS[key] == 1:
        raise RuntimeError("transient")
    return {"output": "ok", "model": "m-test", "cost_usd": 0.0}


async def hangs(case_input: Any) -> str:
    await asyncio.sleep(3600)
    return "never"


def unpriced(case_input: Any) -> dict[str, Any]:
    return {"output": "hi", "usage": {"input_tokens": 10, "output_tokens": 10}, "model": "mystery-model-9"}


def slow(case_input: Any) -> dict[str, Any]:
    time.sleep(float(os.environ.get("SPINE_SLOW_S", "0.3")))
    return {"output": "slow", "model": "m-test", "cost_usd": 0.0}


def hostile(case_input: Any) -> dict[str, Any]:
    return {
        "output": '<script>alert("x")</script><img src=x onerror="alert(1)"> {{ 7*7 }} {% raw %}',
        "tool_calls": [{"name": "<b onmouseover=alert(2)>tool</b>", "arguments": {"x": "<script>y</script>"}}],
        "model": "<svg/onload=alert(3)>",
        "cost_usd": 0.0,
    }


async def random_latency(case_input: Any) -> dict[str, Any]:
    """Finishes in a random order (unseeded on purpose) with 1,000 tokens per case."""
    import random

    await asyncio.sleep(random.uniform(0, 0.05))
    return {"output": "ok", "usage": {"input_tokens": 600, "output_tokens": 400}, "model": "m-test", "cost_usd": 0.0}


def leaks_in_errors(case_input: Any) -> str:
    """Fails with a message that carries a secret and an e-mail address."""
    raise RuntimeError("auth failed for bob@example.com with token ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8")
