"""ratefix19: ``max_calls_per_minute`` counts a request's calls inside the tools rule, keyed by the request.

The runtime judges one request several times (each tool call, each response, the calls together); the rule counts
them per request (``rules.tools.Account``): the calls of one response add up, a request counts as its largest
response, calls judged again are not added again. The enforcer used to edit the rule's windows from outside.

1. A call refused at its check that the agent went on with was judged again at the response (as it must be) and
   counted again: one call took two of the minute's calls, and later requests were refused (over-refusal).

Real enforcers under real threads, a real proxy in front of a real streaming upstream on 127.0.0.1.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import yaml
from chat_upstream import chat_upstream
from proxy_harness import chat, serving
from runtime_helpers import FakeClock

from gatekit.governance import policy_from_dict
from gatekit.governance.rules.tools import Account, _Rates
from gatekit.models import Outcome
from gatekit.runtime import Enforcer
from gatekit.runtime.decision import PolicyViolation

LIMIT = 4
POLICY: dict[str, Any] = {
    "id": "ratefix19",
    "version": "1",
    "rules": [
        {
            "id": "wires",
            "kind": "tools",
            "limits": {
                "wire_*": {
                    "max_calls_per_minute": LIMIT,
                    "conditions": [{"when": "tool.arguments.amount > 500", "outcome": "deny", "reason": "big wire"}],
                }
            },
        }
    ],
}
CASE = {"id": "c", "input": "i", "context": {}, "timestamp": "2026-12-07T06:00:00Z"}
LATER = {**CASE, "timestamp": "2026-12-07T06:00:30Z"}
NEXT_MINUTE = {**CASE, "timestamp": "2026-12-07T06:01:01Z"}


def _write(tmp_path: Path, policy: dict[str, Any]) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(policy), encoding="utf-8")
    return path


def _wires(*amounts: int) -> dict[str, Any]:
    return {"output": "", "tool_calls": [{"name": "wire_money", "arguments": {"amount": a}} for a in amounts]}


PROBE = policy_from_dict(
    {**POLICY, "rules": [{"id": "wires", "kind": "tools", "limits": {"wire_*": {"max_calls_per_minute": 0}}}]}
)


def _used(run: Any, case: dict[str, Any] = CASE) -> int:
    """The calls in the window at ``case``'s time: the same rule with limit 0 judges a call again (adds nothing)."""
    decision = PROBE.evaluate(case, _wires(1), run, account=Account("probe", again=True))
    return int(decision.reasons[0].split(": ")[2].split()[0])


def _send(scope: Any, amount: int) -> bool:
    try:
        scope.check_tool_call("wire_money", {"amount": amount})
    except PolicyViolation:
        return False
    return True


# --- the defect: a refused call the agent goes on with ------------------------------------------------------


def test_a_refused_call_the_agent_goes_on_with_counts_once_under_threads(tmp_path: Path) -> None:
    enforcer = Enforcer.from_file(_write(tmp_path, POLICY), clock=FakeClock(), background=False)
    refused_first = LIMIT // 2
    barrier = threading.Barrier(refused_first)

    def swallowing_agent(i: int) -> list[str]:
        """Its big wire is refused at the check; it goes on and reports the call in its response (denied again)."""
        barrier.wait()
        with enforcer.request(f"wire {i}") as scope:
            assert not _send(scope, 900)
            with pytest.raises(PolicyViolation) as denied:
                scope.check_response("done", [{"name": "wire_money", "arguments": {"amount": 900}}])
        return list(denied.value.reasons)

    try:
        with ThreadPoolExecutor(refused_first) as pool:
            reasons = list(pool.map(swallowing_agent, range(refused_first)))
        # the response is judged again (the call is denied there too), but it is one call: counted once
        assert all(r == ["wires: tool 'wire_money' call 0: big wire"] for r in reasons), reasons
        # the window holds refused_first calls (one per request): LIMIT - refused_first more are allowed
        sent = []
        for i in range(LIMIT - refused_first + 1):
            with enforcer.request(f"small {i}") as scope:
                sent.append(_send(scope, 1))
        assert sent == [True] * (LIMIT - refused_first) + [False]  # (old code: [False, ...]: 2 per refused call)
    finally:
        enforcer.close()


# --- the rule's accounting, through Policy.evaluate(..., account=...) ----------------------------------------


def test_no_account_adds_every_evaluation_as_the_gate_does() -> None:
    policy = policy_from_dict(POLICY)
    run = policy.new_run()
    policy.evaluate(CASE, _wires(1), run)
    policy.evaluate(CASE, _wires(1), run)
    assert _used(run) == 2


def test_the_calls_of_one_response_add_up_and_a_request_counts_as_its_largest_response() -> None:
    policy = policy_from_dict(POLICY)
    run = policy.new_run()
    for _ in range(2):  # two checks of one call each in response 0: 2
        policy.evaluate(CASE, _wires(1), run, account=Account("a", 0))
    assert policy.evaluate(CASE, _wires(1), run, account=Account("a", 0)).outcome is Outcome.ALLOW  # 3
    assert _used(run) == 3
    run = policy.new_run()
    policy.evaluate(CASE, _wires(1), run, account=Account("a", 0))
    policy.evaluate(CASE, _wires(1, 1, 1), run, account=Account("a", 1))  # a retried response with more calls
    policy.evaluate(CASE, _wires(1, 1), run, account=Account("a", 2))  # and one with fewer
    assert _used(run) == 3
    # another request adds its own: 3 + 2 = 5 > 4
    denied = policy.evaluate(CASE, _wires(1, 1), run, account=Account("b", 0))
    assert denied.reasons == ["wires: tool 'wire_*': 5 calls in a minute, limit 4 per minute"]


def test_a_response_is_judged_as_itself_not_with_the_earlier_responses_calls() -> None:
    policy = policy_from_dict(POLICY)
    run = policy.new_run()
    policy.evaluate(CASE, _wires(1, 1, 1), run, account=Account("a", 0))
    # the next choice of the same request: 3 + 1 would be over... it is judged on its own calls, and adds nothing
    assert policy.evaluate(CASE, _wires(1), run, account=Account("a", 1)).outcome is Outcome.ALLOW
    assert _used(run) == 3


def test_calls_judged_again_are_not_added() -> None:
    policy = policy_from_dict(POLICY)
    run = policy.new_run()
    policy.evaluate(CASE, _wires(1, 1), run, account=Account("a", 0))
    again = policy.evaluate(CASE, _wires(1, 1), run, account=Account("a", 0, again=True))
    assert again.outcome is Outcome.ALLOW
    assert _used(run) == 2
    # one of two calls counted before (refused at its check): only the other is added
    policy.evaluate(CASE, _wires(1, 1), run, account=Account("a", 0, counted=frozenset({0})))
    assert _used(run) == 3


def test_an_earlier_response_leaves_the_window_after_a_minute() -> None:
    policy = policy_from_dict(POLICY)
    run = policy.new_run()
    policy.evaluate(CASE, _wires(1, 1, 1), run, account=Account("a", 0))
    policy.evaluate(LATER, _wires(1), run, account=Account("a", 1))  # at +30 s: 1 now, 2 of the first held
    assert _used(run, LATER) == 3
    assert _used(run, NEXT_MINUTE) == 1  # the +30 s call


def test_the_requests_kept_are_bounded_and_dropped_a_minute_after_their_last_call(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_Rates, "MAX_REQUESTS", 8)
    policy = policy_from_dict(POLICY)
    run = policy.new_run()
    for i in range(50):
        policy.evaluate(CASE, _wires(1), run, account=Account(i, 0))
    state = run.rule_state["wires"]
    assert len(state.requests) == 8 and list(state.requests) == list(range(42, 50))  # the latest ones
    policy.evaluate(NEXT_MINUTE, _wires(1), run, account=Account("late", 0))
    assert list(state.requests) == ["late"]  # the others counted nothing in the last minute
    assert len(state.windows["wire_*"]) == 1


def test_a_request_dropped_while_it_still_answers_counts_more_never_less(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_Rates, "MAX_REQUESTS", 2)
    policy = policy_from_dict(POLICY)
    run = policy.new_run()
    policy.evaluate(CASE, _wires(1, 1), run, account=Account("a", 0))
    policy.evaluate(CASE, _wires(1), run, account=Account("b", 0))
    policy.evaluate(CASE, _wires(1), run, account=Account("c", 0))  # "a" dropped (the bound)
    assert "a" not in run.rule_state["wires"].requests
    # a's next response (2 calls) is counted in full: 2 + 1 + 1 + 2 (kept, it would have been 4)
    denied = policy.evaluate(CASE, _wires(1, 1), run, account=Account("a", 1))
    assert denied.outcome is Outcome.DENY and "6 calls in a minute" in denied.reasons[0]


# --- the guard and the proxy: retried and streamed responses, concurrent requests ---------------------------


def test_concurrent_requests_each_checking_calls_and_their_response_twice_count_once(tmp_path: Path) -> None:
    enforcer = Enforcer.from_file(_write(tmp_path, POLICY), clock=FakeClock(), background=False)
    barrier = threading.Barrier(LIMIT)

    def agent(i: int) -> bool:
        barrier.wait()
        with enforcer.request(f"wire {i}") as scope:
            if not _send(scope, 1):
                return False
            calls = [{"name": "wire_money", "arguments": {"amount": 1}}]
            scope.check_response("sent", calls)
            scope.check_response("sent", calls)  # the check retried: the same response, counted once
        return True

    try:
        with ThreadPoolExecutor(LIMIT) as pool:
            assert list(pool.map(agent, range(LIMIT))) == [True] * LIMIT
        with enforcer.request("one more") as scope:
            assert not _send(scope, 1)  # LIMIT + 1 > LIMIT: the limit still holds
    finally:
        enforcer.close()


def test_streamed_answers_count_their_calls_once(tmp_path: Path) -> None:
    policy = {
        "id": "stream-rates",
        "version": "1",
        "rules": [{"id": "orders", "kind": "tools", "limits": {"get_order_*": {"max_calls_per_minute": 2}}}],
    }
    with chat_upstream() as upstream, serving(upstream.url, _write(tmp_path, policy)) as proxy:
        answers = [chat(proxy.url, "allowed-tool", stream=True) for _ in range(3)]
    events = [answer.events() for answer in answers]
    errors = [[e for e in ev if isinstance(e, dict) and "error" in e] for ev in events]
    assert [a.status for a in answers] == [200, 200, 200]
    assert errors[0] == [] and errors[1] == [], errors  # one call each: 1, then 2 of 2
    assert errors[2] and "calls in a minute" in str(errors[2]), events[2]  # the third: 3 > 2
