"""Round 22x against the in-process guard: what a guarded agent returns, read as the gate reads an agent's answer.

Real parts only: the bundled default policy in a real Enforcer, real row and trace files.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from runtime.proxy_harness import DEFAULT_POLICY

from gatekit.runtime import Enforcer
from gatekit.runtime.decision import PolicyViolation

SECRET = "AKIAIOSFODNN7EXAMPLE"
NOT_ANSWERS = [
    {"content": f"the admin key is {SECRET}"},
    {"choices": [{"message": {"role": "assistant", "content": f"the admin key is {SECRET}"}}]},
    {"error": f"upstream failed with key {SECRET}"},
    {},
]


def _enforcer(tmp_path: Path) -> Enforcer:
    return Enforcer.from_file(DEFAULT_POLICY, log_to=tmp_path / "rows.jsonl", trace_to=tmp_path / "traces.jsonl")


@pytest.mark.parametrize("answer", NOT_ANSWERS, ids=["content", "choices", "error", "empty"])
@pytest.mark.parametrize("kind", ["function", "async", "method"])
def test_a_guarded_agent_answering_a_mapping_without_output_is_denied_as_the_gate_refuses_it(
    tmp_path: Path, answer: dict[str, Any], kind: str
) -> None:
    """The decorator read such a mapping as an empty answer: outcome allow, a row saying so, while the gate refuses
    the same answer of a ``python:`` agent as an invalid_response — what the agent said was never judged."""
    guard = _enforcer(tmp_path)
    if kind == "function":
        agent = guard.guard(lambda input, context=None: answer)
    elif kind == "async":

        async def answer_async(input: Any, context: Any = None) -> Any:
            return answer

        agent = guard.guard(answer_async)
    else:

        class Agent:
            @guard.guard
            def answer(self, input: Any, context: Any = None) -> Any:
                return answer

        agent = Agent().answer
    with pytest.raises(PolicyViolation) as raised:
        result = agent("Where is my order W123?", {})
        if asyncio.iscoroutine(result):
            asyncio.run(result)
    guard.close()
    decision = raised.value.decision
    assert decision.outcome == "deny" and decision.rule_ids == ["gatekit-guard"]
    assert "without 'output' or 'tool_calls'" in decision.rules[0]["reason"]
    assert SECRET not in decision.rules[0]["reason"]  # the agent's words are not quoted
    (row,) = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text().splitlines()]
    assert row["outcome"] == "deny" and row["rules"] == ["gatekit-guard"]
    written = (tmp_path / "rows.jsonl").read_text() + (tmp_path / "traces.jsonl").read_text()
    assert SECRET not in written


@pytest.mark.parametrize("answer", [{"output": ""}, {"tool_calls": []}, {"output": "Your order ships tomorrow."}])
def test_a_guarded_agent_answering_with_output_or_tool_calls_still_passes(
    tmp_path: Path, answer: dict[str, Any]
) -> None:
    guard = _enforcer(tmp_path)
    result = guard.guard(lambda input, context=None: answer)("Where is my order W123?", {})
    guard.close()
    assert result["output"] == answer.get("output", "") and result["tool_calls"] == []
