"""attack17c: the runtime guard's per-call checks and tool limits (what round attack17b left open).

1. ``limits`` (conditions, ``max_calls``, ``max_calls_per_minute``) matched tool names exactly: ``REFUND`` or
   ``refund<ZWSP>`` escaped a limit on ``refund`` (no allow-list) in gate, guard and proxy. They match the folded
   name now, as the deny-list does, and gate, guard and proxy count by the same function (``ToolsRule.limited``).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import tool_calls_upstream
from proxy_harness import chat, serving

from gatekit.governance import policy_from_dict
from gatekit.runtime import Enforcer
from gatekit.runtime.decision import PolicyViolation

LIMITS = {
    "id": "t",
    "version": "1",
    "rules": [
        {
            "id": "refunds",
            "kind": "tools",
            "limits": {
                "refund": {
                    "max_calls": 1,
                    "conditions": [{"when": "tool.arguments.amount > 500", "outcome": "deny", "reason": "big refund"}],
                },
                "wire_*": {"max_calls_per_minute": 1},
            },
        }
    ],
}
SPELLINGS = ["REFUND", "Refund", "refund ", "refund\u200b", "\uff52efund", "r\u0435fund"]
CASE = {"id": "c", "input": "i", "context": {}, "timestamp": "2026-12-07T06:00:00Z"}


def _write(tmp_path: Path, policy: dict[str, Any]) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy, allow_unicode=True), encoding="utf-8")
    return path


def _gate(policy: dict[str, Any], calls: list[dict[str, Any]]) -> Any:
    return policy_from_dict(policy).evaluate(CASE, {"output": "", "tool_calls": calls})


@pytest.mark.parametrize("name", SPELLINGS)
def test_a_limit_condition_applies_to_a_look_alike_name(tmp_path: Path, name: str) -> None:
    decision = _gate(LIMITS, [{"name": name, "arguments": {"amount": 900}}])
    assert decision.outcome.value == "deny" and "big refund" in decision.reasons[0]
    assert _gate(LIMITS, [{"name": name, "arguments": {"amount": 5}}]).outcome.value == "allow"
    enforcer = Enforcer.from_file(_write(tmp_path, LIMITS), background=False)
    with pytest.raises(PolicyViolation, match="big refund"):
        enforcer.check_tool_call(name, {"amount": 900})
    assert enforcer.check_tool_call(name, {"amount": 5}) == {"amount": 5}
    enforcer.close()


@pytest.mark.parametrize("name", SPELLINGS)
def test_max_calls_counts_every_spelling_together(tmp_path: Path, name: str) -> None:
    calls = [{"name": "refund", "arguments": {"amount": 1}}, {"name": name, "arguments": {"amount": 2}}]
    decision = _gate(LIMITS, calls)
    assert decision.outcome.value == "deny"
    assert decision.reasons == ["refunds: tool 'refund' called 2 times, limit 1"]
    enforcer = Enforcer.from_file(_write(tmp_path, LIMITS), background=False)
    with enforcer.request("i") as scope:
        scope.check_tool_call("refund", {"amount": 1})
        with pytest.raises(PolicyViolation, match="called 2 times, limit 1"):
            scope.check_tool_call(name, {"amount": 2})
    enforcer.close()


def test_a_rate_limit_counts_look_alikes_in_the_gate_and_the_guard(tmp_path: Path) -> None:
    calls = [{"name": "wire_money", "arguments": {}}, {"name": "WIRE_money", "arguments": {}}]
    decision = _gate(LIMITS, calls)
    assert decision.outcome.value == "deny" and "2 calls in a minute, limit 1" in decision.reasons[0]
    enforcer = Enforcer.from_file(_write(tmp_path, LIMITS), background=False, clock=lambda: 1_765_000_000.0)
    enforcer.check_tool_call("wire_money", {})
    with pytest.raises(PolicyViolation, match="calls in a minute"):
        enforcer.check_tool_call("Wire_Money", {})
    enforcer.close()


@pytest.mark.parametrize("name", ["refunds", "refund_status", "un_refund", "wire", "get_order"])
def test_other_names_are_not_limited(name: str) -> None:
    calls = [{"name": name, "arguments": {"amount": 900}}, {"name": name, "arguments": {"amount": 900}}]
    assert _gate(LIMITS, calls).outcome.value == "allow"


# --- a real OpenAI-compatible upstream on 127.0.0.1 ---------------------------------------------------------


def _call(name: str, arguments: str, index: int = 0) -> dict[str, Any]:
    return {"id": f"call_{index}", "type": "function", "function": {"name": name, "arguments": arguments}}


def test_the_proxy_applies_a_limit_to_a_look_alike_name(tmp_path: Path) -> None:
    path = _write(tmp_path, LIMITS)
    with tool_calls_upstream([_call("REFUND", '{"amount": 900}')]) as upstream, serving(upstream, policy=path) as proxy:
        answer = chat(proxy.url, "m", "refund please")
    assert answer.status == 403, answer.body
    error = answer.json()["error"]
    assert (error["code"], error["rules"], error["stage"]) == ("policy_denied", ["refunds"], "tool_call")


# --- 2. arguments the guard cannot read are denied at the tool-call point --------------------------------------

AMOUNT = {
    "id": "t",
    "version": "1",
    "rules": [{"id": "big", "kind": "condition", "when": "tool.arguments.amount > 500", "outcome": "deny"}],
}
UNREADABLE: list[Any] = ['{"amount": 900,}', '{"amount": 900}', "amount=900", [900], 900, {"amount": {1, 2}},
                         {"amount": float("nan")}, {1: 900}]  # fmt: skip


@pytest.mark.parametrize("arguments", UNREADABLE, ids=range(len(UNREADABLE)))
def test_check_tool_call_denies_arguments_it_cannot_read_as_check_response_does(tmp_path: Path, arguments: Any) -> None:
    traces = tmp_path / "traces.jsonl"
    enforcer = Enforcer.from_file(_write(tmp_path, AMOUNT), trace_to=str(traces), background=False)
    with pytest.raises(PolicyViolation) as at_call:
        enforcer.check_tool_call("refund", arguments)
    with pytest.raises(PolicyViolation) as at_response:
        enforcer.check_response("", [{"name": "refund", "arguments": arguments}])
    enforcer.close()
    assert at_call.value.decision.rule_ids == ["gatekit-guard"]
    assert at_call.value.decision.reasons == at_response.value.decision.reasons
    rows = [json.loads(line) for line in traces.read_text().splitlines()]
    assert [row["outcome"] for row in rows] == ["deny", "deny"]
    assert rows[0]["reasons"] == rows[1]["reasons"]


def test_readable_arguments_are_still_judged_and_handed_back(tmp_path: Path) -> None:
    enforcer = Enforcer.from_file(_write(tmp_path, AMOUNT), background=False)
    assert enforcer.check_tool_call("refund", {"amount": 5, "items": ("a", "b")}) == {"amount": 5, "items": ["a", "b"]}
    assert enforcer.check_tool_call("refund", None) == {}
    with pytest.raises(PolicyViolation, match="big"):
        enforcer.check_tool_call("refund", {"amount": 900})
    enforcer.close()


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_guarded_agent_cannot_run_a_tool_with_unreadable_arguments(tmp_path: Path, mode: str) -> None:
    import asyncio

    enforcer = Enforcer.from_file(_write(tmp_path, AMOUNT), background=False)
    ran: list[Any] = []

    def tool(arguments: Any) -> None:
        ran.append(arguments)

    if mode == "sync":

        @enforcer.guard
        def agent(text: str, context: Any = None) -> str:
            tool(enforcer.check_tool_call("refund", '{"amount": 900,}'))
            return "done"

        with pytest.raises(PolicyViolation):
            agent("refund")
    else:

        @enforcer.guard
        async def async_agent(text: str, context: Any = None) -> str:
            tool(enforcer.check_tool_call("refund", '{"amount": 900,}'))
            return "done"

        with pytest.raises(PolicyViolation):
            asyncio.run(async_agent("refund"))
    assert ran == []
    enforcer.close()


# --- 3. a condition over the calls together, at the tool-call point ---------------------------------------------


def _condition(tmp_path: Path, when: str, outcome: str = "deny") -> Path:
    rule = {"id": "combo", "kind": "condition", "when": when, "outcome": outcome, "reason": "forbidden combination"}
    return _write(tmp_path, {"id": "p", "version": "1", "rules": [rule]})


COMBINATIONS = [
    'contains(tool_names, "lookup") and contains(tool_names, "refund")',
    "len(tool_calls) > 1",
    'tool.name == "lookup" and contains(tool_names, "refund")',
]


@pytest.mark.parametrize("when", COMBINATIONS)
def test_the_second_tool_of_a_forbidden_combination_is_stopped_before_it_runs(tmp_path: Path, when: str) -> None:
    path = _condition(tmp_path, when)
    calls = [{"name": "lookup", "arguments": {"q": 1}}, {"name": "refund", "arguments": {"amount": 5}}]
    assert _gate(yaml.safe_load(path.read_text()), calls).outcome.value == "deny"
    enforcer = Enforcer.from_file(path, background=False)
    ran: list[str] = []
    with enforcer.request("refund please") as scope:
        scope.check_tool_call("lookup", {"q": 1})
        ran.append("lookup")
        with pytest.raises(PolicyViolation, match="forbidden combination"):
            scope.check_tool_call("refund", {"amount": 5})
            ran.append("refund")
    assert ran == ["lookup"]
    # one call alone, or two of another request, does not meet it
    with enforcer.request("refund please") as scope:
        assert scope.check_tool_call("refund", {"amount": 5}) == {"amount": 5}
    with enforcer.request("lookup") as scope:
        assert scope.check_tool_call("lookup", {"q": 1}) == {"q": 1}
    enforcer.close()


def test_a_review_over_the_calls_together_is_asked_once(tmp_path: Path) -> None:
    path = _condition(tmp_path, "len(tool_calls) > 1", outcome="require_review")
    reviewed: list[Any] = []
    enforcer = Enforcer.from_file(path, review_hook=reviewed.append, background=False)
    calls = [{"name": name, "arguments": {}} for name in ("a", "b", "c")]
    with enforcer.request("x") as scope:
        for call in calls:
            scope.check_tool_call(call["name"], call["arguments"])
        scope.check_response("done", calls)
    assert [decision.stage for decision in reviewed] == ["tool_call"]
    enforcer.close()


def test_a_refused_review_is_asked_again_at_the_next_call(tmp_path: Path) -> None:
    path = _condition(tmp_path, "len(tool_calls) > 1", outcome="require_review")
    reviewed: list[Any] = []

    def refuse(decision: Any) -> bool:
        reviewed.append(decision)
        return False

    enforcer = Enforcer.from_file(path, review_hook=refuse, background=False)
    with enforcer.request("x") as scope:
        scope.check_tool_call("a", {})
        for name in ("b", "c"):  # an agent that swallows the refusal and goes on is refused again
            with pytest.raises(PolicyViolation):
                scope.check_tool_call(name, {})
    assert len(reviewed) == 2
    enforcer.close()


# --- 4. the proxy counts each choice's calls apart (n > 1) ------------------------------------------------------

QUOTA = {"id": "q", "version": "1", "rules": [{"id": "quota", "kind": "tools", "max_calls_per_case": 2,
                                               "limits": {"refund": {"max_calls": 1}}}]}  # fmt: skip


def test_the_proxy_counts_each_choice_against_the_quota_apart(tmp_path: Path) -> None:
    path = _write(tmp_path, QUOTA)
    two = [_call("lookup", "{}", 0), _call("refund", '{"amount": 1}', 1)]
    with tool_calls_upstream(two, two, two) as upstream, serving(upstream, policy=path) as proxy:
        answer = chat(proxy.url, "m", "refund please", n=3)
    assert answer.status == 200, answer.body
    assert len(answer.json()["choices"]) == 3
    three = [*two, _call("lookup", '{"q": 2}', 2)]
    with tool_calls_upstream(two, three) as upstream, serving(upstream, policy=path) as proxy:
        answer = chat(proxy.url, "m", "refund please", n=2)
    assert answer.status == 403, answer.body
    assert "3 tool calls, more than 2 per case" in json.dumps(answer.json())
    refunds = [_call("refund", "{}", 0), _call("REFUND", "{}", 1)]
    with tool_calls_upstream(two, refunds) as upstream, serving(upstream, policy=path) as proxy:
        answer = chat(proxy.url, "m", "refund please", n=2)
    assert answer.status == 403, answer.body


def test_the_proxy_judges_a_combination_within_each_choice(tmp_path: Path) -> None:
    path = _condition(tmp_path, COMBINATIONS[0])
    lookup, refund = [_call("lookup", "{}", 0)], [_call("refund", "{}", 0)]
    with tool_calls_upstream(lookup, refund) as upstream, serving(upstream, policy=path) as proxy:
        answer = chat(proxy.url, "m", "refund please", n=2)
    assert answer.status == 200, answer.body
    with (
        tool_calls_upstream(lookup, [*lookup, _call("refund", "{}", 1)]) as upstream,
        serving(upstream, policy=path) as proxy,
    ):
        answer = chat(proxy.url, "m", "refund please", n=2)
    assert answer.status == 403, answer.body
    error = answer.json()["error"]
    assert (error["rules"], error["stage"]) == (["combo"], "tool_call")


def test_outside_a_request_a_condition_over_the_calls_judges_the_call_alone(tmp_path: Path) -> None:
    enforcer = Enforcer.from_file(_condition(tmp_path, 'contains(tool_names, "refund")'), background=False)
    with pytest.raises(PolicyViolation, match="forbidden combination"):
        enforcer.check_tool_call("refund", {})
    assert enforcer.check_tool_call("lookup", {}) == {}
    enforcer.close()


# --- 5. calls checked first and calls only in the response count together ---------------------------------------

A, B, C = ({"name": name, "arguments": {}} for name in "abc")
R1, R2 = {"name": "refund", "arguments": {"x": 1}}, {"name": "refund", "arguments": {"x": 2}}
RESPONSES = [([A, B], [A, B, C], "3 tool calls"), ([R1], [R1, R1], "called 2 times"), ([R1], [R1, R2], "called 2 times")]


@pytest.mark.parametrize(("checked", "response", "reason"), RESPONSES)
def test_calls_checked_first_count_with_the_others_of_the_response(
    tmp_path: Path, checked: list[Any], response: list[Any], reason: str
) -> None:
    assert _gate(QUOTA, response).outcome.value == "deny"
    enforcer = Enforcer.from_file(_write(tmp_path, QUOTA), background=False)
    with pytest.raises(PolicyViolation, match=reason), enforcer.request("x") as scope:
        for call in checked:
            scope.check_tool_call(call["name"], call["arguments"])
        scope.check_response("ok", response)
    with enforcer.request("x") as scope:  # the calls checked, and only those, pass
        for call in checked:
            scope.check_tool_call(call["name"], call["arguments"])
        assert scope.check_response("ok", checked)["tool_calls"] == checked
    enforcer.close()


def test_a_denied_call_the_agent_goes_on_with_is_judged_again_in_the_response(tmp_path: Path) -> None:
    policy = {"id": "d", "version": "1", "rules": [{"id": "no-delete", "kind": "tools", "deny": ["delete_user"]}]}
    enforcer = Enforcer.from_file(_write(tmp_path, policy), background=False)
    with enforcer.request("x") as scope:
        with pytest.raises(PolicyViolation):
            scope.check_tool_call("delete_user", {"id": 1})
        with pytest.raises(PolicyViolation, match="deny-list"):  # the agent swallowed the refusal
            scope.check_response("done", [{"name": "delete_user", "arguments": {"id": 1}}])
    enforcer.close()


# --- 6. a refused request the agent goes on with ---------------------------------------------------------------


def test_the_response_of_a_refused_request_is_refused_too(tmp_path: Path) -> None:
    rule = {"id": "no-drop", "kind": "condition", "when": 'contains(lower(input), "drop table")', "outcome": "deny",
            "reason": "destructive request"}  # fmt: skip
    case = {"id": "c", "input": "please DROP TABLE users", "context": {}}
    gate = policy_from_dict({"id": "p", "version": "1", "rules": [rule]}).evaluate(case, {"output": "done, dropped"})
    assert gate.outcome.value == "deny"
    enforcer = Enforcer.from_file(_write(tmp_path, {"id": "p", "version": "1", "rules": [rule]}), background=False)
    with enforcer.request("please DROP TABLE users") as scope:
        with pytest.raises(PolicyViolation):
            scope.check_request()
        with pytest.raises(PolicyViolation, match="destructive request"):  # the agent swallowed the refusal
            scope.check_response("done, dropped")
    reviewed: list[Any] = []
    review = {**rule, "outcome": "require_review"}
    enforcer = Enforcer.from_file(
        _write(tmp_path, {"id": "p", "version": "1", "rules": [review]}), review_hook=reviewed.append, background=False
    )
    with enforcer.request("please DROP TABLE users") as scope:  # approved once: not asked again
        scope.check_request()
        assert scope.check_response("done") == "done"
    assert len(reviewed) == 1
    enforcer.close()


def test_two_threads_checking_a_forbidden_pair_at_once_do_not_both_pass(tmp_path: Path) -> None:
    rules = [
        {"id": "look", "kind": "condition", "when": 'tool.name == "lookup"', "outcome": "require_review"},
        {"id": "combo", "kind": "condition", "outcome": "deny", "reason": "forbidden combination",
         "when": 'contains(tool_names, "lookup") and contains(tool_names, "refund")'},
    ]  # fmt: skip
    in_review, go_on = threading.Event(), threading.Event()

    def slow_approval(decision: Any) -> bool:
        in_review.set()  # the lookup is decided; a person takes a while to approve it
        go_on.wait(10)
        return True

    enforcer = Enforcer.from_file(
        _write(tmp_path, {"id": "p", "version": "1", "rules": rules}), review_hook=slow_approval, background=False
    )
    results: list[Any] = []
    with enforcer.request("x") as scope:
        worker = threading.Thread(target=lambda: results.append(scope.check_tool_call("lookup", {})))
        worker.start()
        try:
            assert in_review.wait(10)
            with pytest.raises(PolicyViolation, match="forbidden combination"):
                scope.check_tool_call("refund", {})
        finally:
            go_on.set()
            worker.join(10)
    assert results == [{}]
    enforcer.close()


# --- 7. a whole response with the tool calls or usage passed beside it -------------------------------------------


def test_tool_calls_and_usage_beside_a_response_dict_are_judged(tmp_path: Path) -> None:
    rules = [{"id": "no-delete", "kind": "tools", "deny": ["delete_user"]},
             {"id": "budget", "kind": "token_budget", "per_case": {"total_tokens": 10}}]  # fmt: skip
    enforcer = Enforcer.from_file(_write(tmp_path, {"id": "p", "version": "1", "rules": rules}), background=False)
    with pytest.raises(PolicyViolation, match="deny-list"):
        enforcer.check_response({"output": "ok"}, tool_calls=[{"name": "delete_user", "arguments": {}}])
    with pytest.raises(PolicyViolation, match="budget"):
        enforcer.check_response({"output": "ok"}, usage={"input_tokens": 5000, "output_tokens": 5000})
    with pytest.raises(PolicyViolation) as caught:  # the same key twice, differently: which one ran is not known
        enforcer.check_response({"output": "ok", "tool_calls": []}, tool_calls=[{"name": "lookup", "arguments": {}}])
    assert caught.value.rules == ["gatekit-guard"] and "give it once" in caught.value.reasons[0]
    calls = [{"name": "lookup", "arguments": {}}]
    both = enforcer.check_response({"output": "ok", "tool_calls": calls}, tool_calls=calls, model="m")
    assert both["tool_calls"] == calls and both["model"] == "m"
    enforcer.close()


def test_the_proxy_counts_a_completion_s_usage_once_whatever_its_choices(tmp_path: Path) -> None:
    budget = {"id": "run", "kind": "token_budget", "per_run_per_minute": 250}
    path = _write(tmp_path, {"id": "p", "version": "1", "rules": [budget]})
    usage = {"prompt_tokens": 50, "completion_tokens": 50, "total_tokens": 100}
    logs = tmp_path / "rows.jsonl"
    with tool_calls_upstream([], [], [], usage=usage) as upstream, serving(upstream, policy=path, log_to=logs) as proxy:
        first = chat(proxy.url, "m", "hi", n=3)  # 100 tokens: within 250
        second = chat(proxy.url, "m", "hi", n=3)  # 200
        third = chat(proxy.url, "m", "hi", n=3)  # 300 > 250
    assert (first.status, second.status, third.status) == (200, 200, 403), third.body
    assert "300 tokens" in json.dumps(third.json())
    rows = [json.loads(line) for line in logs.read_text().splitlines()]
    assert [(row["input_tokens"], row["output_tokens"]) for row in rows] == [(50, 50)] * 3
