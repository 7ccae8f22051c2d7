"""fix19d: the runtime holds an agent or upstream that reports no token usage to the token budgets.

An in-process guarded agent returning a plain string, and an upstream answering without ``usage``, were counted as
0 tokens: the per-case and per-user budgets never fired. Now the tokens are estimated from the text and the decision
trace says so. Real parts: the guard in-process, the proxy on 127.0.0.1 in front of the real chat upstream.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from runtime.chat_upstream import ChatUpstream, chat_upstream
from runtime.proxy_harness import DEFAULT_POLICY, chat, serving

from gatekit.runtime import Enforcer, PolicyViolation

LONG = "The order ships tomorrow. " * 1200  # ~6,000 words: over the default pack's 4k output tokens
NOTE = "token-budget: tokens estimated: usage not reported"


@pytest.fixture(scope="module")
def upstream() -> Iterator[ChatUpstream]:
    with chat_upstream() as server:
        yield server


def _notes(path: Path) -> list[list[str]]:
    return [json.loads(line)["notes"] for line in path.read_text().splitlines() if line.strip()]


def test_a_guarded_agent_returning_text_without_usage_is_held_to_the_output_budget(tmp_path: Path) -> None:
    traces = tmp_path / "traces.jsonl"
    guard = Enforcer.from_file(DEFAULT_POLICY, trace_to=str(traces), background=False)

    @guard.guard
    def long_agent(input: Any, context: Any) -> str:
        return LONG

    @guard.guard
    def short_agent(input: Any, context: Any) -> str:
        return "It ships tomorrow."

    with pytest.raises(PolicyViolation) as over:
        long_agent("Where is my order?", {"user": "u1"})
    assert over.value.rules == ["token-budget"]
    assert short_agent("Where is my order?", {"user": "u2"}) == "It ships tomorrow."
    guard.close()
    notes = _notes(traces)
    assert sum(NOTE in record for record in notes) == 2, notes  # both responses, said in their traces


def test_the_guard_counts_partial_usage_as_reported_and_estimates_the_rest(tmp_path: Path) -> None:
    records: list[dict[str, Any]] = []
    guard = Enforcer.from_file(DEFAULT_POLICY, trace_to=records.append, background=False)
    with pytest.raises(PolicyViolation):  # the input is reported (12), the output estimated: over 4k
        guard.check_response(LONG, usage={"input_tokens": 12}, context={"user": "u3"})
    assert (
        guard.check_response("fine", usage={"input_tokens": 12, "output_tokens": 3}, context={"user": "u3"}) == "fine"
    )
    guard.close()
    notes = [record.get("notes") for record in records if record.get("notes") is not None]
    assert ["token-budget: output_tokens estimated: usage not reported"] in notes
    assert [] in notes  # the answer with both counts: no note


def test_an_upstream_answer_without_usage_is_held_to_the_budget_by_the_proxy(
    upstream: ChatUpstream, tmp_path: Path
) -> None:
    """The proxy read a missing ``usage`` as 0 tokens: a 31,200-character answer passed the 4k output budget."""
    traces = tmp_path / "traces.jsonl"
    rows = tmp_path / "rows.jsonl"
    with serving(upstream.url, log_to=rows, trace_to=traces) as server:
        refused = chat(server.url, "no-usage-long")
        fine = chat(server.url, "no-usage")
    error = refused.json()["error"]
    assert error["rule"] == "token-budget" and "(estimated: usage not reported)" in error["reason"], error
    assert fine.status == 200 and fine.json()["choices"][0]["message"]["content"] == "Your order W123 ships tomorrow."
    assert any(NOTE in record for record in _notes(traces))
    logged = [json.loads(line) for line in rows.read_text().splitlines() if line.strip()]
    assert logged and all(row["output_tokens"] is None for row in logged)  # the row keeps them unknown, never a guess


@pytest.mark.parametrize(("model", "estimated"), [("plain-n", False), ("no-usage-n", True)])
def test_the_usage_of_several_choices_is_counted_once_and_estimated_only_when_unreported(
    upstream: ChatUpstream, tmp_path: Path, model: str, estimated: bool
) -> None:
    """The completion's usage covers every choice: the choices before the last count none of it (not an estimate)."""
    traces = tmp_path / "traces.jsonl"
    with serving(upstream.url, trace_to=traces) as server:
        answer = chat(server.url, model, n=3)
    assert answer.status == 200 and len(answer.json()["choices"]) == 3
    said = [note for record in _notes(traces) for note in record if "estimated" in note]
    if estimated:  # the first two estimate their output only (the prompt counts once, with the last)
        assert said.count("token-budget: output_tokens estimated: usage not reported") == 2, said
        assert said.count(NOTE) == 1, said
    else:
        assert said == []
