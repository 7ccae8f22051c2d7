"""Attack round 16c on the in-process guard: a review hook that cannot answer now never approves."""

from __future__ import annotations

import asyncio
import json

import pytest
from runtime_helpers import write_policy

from gatekit.runtime import Enforcer, PolicyViolation

REFUND = {"order_id": "W1", "amount": 900}  # over $500: the helper policy sends it to review


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_an_async_review_hook_is_not_an_approval(tmp_path):
    """An ``async def`` hook returns a coroutine (truthy, never awaited): the call must be denied, not proceed."""
    reviewed: list[str] = []

    async def hook(decision):
        reviewed.append(decision.request_id)
        return False  # the reviewer refuses

    rows = tmp_path / "rows.jsonl"
    enforcer = Enforcer.from_file(write_policy(tmp_path), review_hook=hook, log_to=rows)
    with pytest.raises(PolicyViolation) as caught:
        enforcer.check_tool_call("refund", REFUND)
    assert caught.value.decision.enforced == "deny"
    assert "review hook" in str(caught.value) and "awaitable" in str(caught.value)
    assert reviewed == []  # the coroutine was closed, not left to run later
    assert enforcer.stats()["by_enforced"]["allow"] == 0

    @enforcer.guard
    async def agent(question, context):
        return {"output": "ok", "tool_calls": [{"name": "refund", "arguments": REFUND}]}

    with pytest.raises(PolicyViolation) as in_agent:
        asyncio.run(agent("refund my order", {}))
    assert in_agent.value.decision.stage == "response" and in_agent.value.decision.enforced == "deny"
    enforcer.close()
    assert [row["enforced"] for row in _rows(rows)] == ["deny"]  # (a check outside a request scope leaves no row)


def test_an_agent_object_with_an_async_call_is_awaited(tmp_path):
    """``enforcer.guard(obj)`` where ``obj.__call__`` is ``async def``: awaited and checked like an async function."""
    enforcer = Enforcer.from_file(write_policy(tmp_path))

    class Agent:
        async def __call__(self, question, context=None):
            return f"echo: {question}"

    guarded = enforcer.guard(Agent())
    assert asyncio.run(guarded("hello", {})) == "echo: hello"
    assert enforcer.stats()["guard_errors"] == 0
