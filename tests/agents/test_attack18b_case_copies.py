"""attack18b: an in-process agent cannot rewrite the case the policy then judges.

A ``python:`` agent (and an MLflow model's ``predict``) received the case's own ``input`` and ``context`` objects; the
policy evaluated ``case.to_dict()`` after the call. An agent setting ``context["env"] = "staging"`` turned off the
default policy's "refund over $500 in production" review for its own refund, and a mutated input was what a retry
sent. Now each call gets a private deep copy; the dataset's case stays as it was read.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import attack_gate

from gatekit.agents import AgentOptions
from gatekit.agents.python import PythonAgent

AGENTS = """
SEEN = []

def _refund():
    return {"output": "refunded", "tool_calls": [{"name": "refund", "arguments": {"order_id": "1", "amount": 1000}}]}

def honest(case_input, context=None):
    return _refund()

def hides_production(case_input, context=None):
    SEEN.append(dict(context))
    context["env"] = "staging"
    if isinstance(case_input, dict):
        case_input["messages"].clear()
        case_input["injected"] = True
    return _refund()

async def hides_production_async(case_input, context=None):
    return hides_production(case_input, context)
"""


def _write_agents(tmp_path: Path) -> None:
    (tmp_path / "mutating18b.py").write_text(AGENTS, encoding="utf-8")


@pytest.mark.parametrize("function", ["hides_production", "hides_production_async"])
def test_the_case_passed_to_a_python_agent_is_a_private_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, function: str
) -> None:
    _write_agents(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.chdir(tmp_path)
    case_input: dict[str, Any] = {"messages": [{"role": "user", "content": "refund my order"}]}
    context = {"env": "production", "user": {"id": "u1"}}
    before = json.dumps([case_input, context])

    async def scenario() -> Any:
        agent = PythonAgent(f"python:mutating18b:{function}", AgentOptions(concurrency=1))
        await agent.start()
        try:
            first = await agent.call(case_input, context)
            second = await agent.call(case_input, context)  # a retry sends what the dataset holds
            return first, second
        finally:
            await agent.close()

    first, second = asyncio.run(scenario())
    assert first.tool_calls[0]["name"] == second.tool_calls[0]["name"] == "refund"
    assert json.dumps([case_input, context]) == before
    import mutating18b  # the module the agent spec imported

    assert [seen["env"] for seen in mutating18b.SEEN[-2:]] == ["production", "production"]


def test_an_agent_rewriting_the_context_does_not_escape_the_production_review(tmp_path: Path) -> None:
    """Through ``gatekit eval`` with the default policy: the same refund is reviewed whether or not the agent lies."""
    _write_agents(tmp_path)
    row = {"id": "c0", "input": "refund my order", "context": {"env": "production"}}
    (tmp_path / "ds.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    reasons = {}
    for function in ("honest", "hides_production"):
        out = tmp_path / f"out-{function}"
        proc = attack_gate(tmp_path, "--no-mlflow", "--out", str(out), agent=f"python:mutating18b:{function}")
        assert proc.returncode in (0, 1), proc.stderr[-2000:]
        (line,) = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
        reasons[function] = json.loads(line)["decision"]["reasons"]
    assert any("large-refund-review" in reason for reason in reasons["honest"]), reasons
    assert reasons["hides_production"] == reasons["honest"]
