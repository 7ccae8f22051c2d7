"""The rollback-rule state machine against a direct reference reading of the rule, on random window sequences."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from gatekit.canary.core import RuleState, Window
from gatekit.canary.rules import RollbackRule

# a window: None = no traffic, else (requests, errors)
windows = st.lists(st.one_of(st.none(), st.tuples(st.integers(0, 60), st.integers(0, 6))), max_size=40)


def reference(seq: list[tuple[int, int] | None], n: int, min_requests: int, policy: str) -> int | None:
    """Index of the window where 'error_rate > 5% for n consecutive windows' first fires, read straight from the rule."""
    states = []
    for w in seq:
        if w is None or w[0] < min_requests:
            states.append("no_data")
        else:
            states.append("bad" if min(w[1], w[0]) / w[0] > 0.05 else "ok")
    for end in range(len(states)):
        run = 0
        for s in states[: end + 1]:
            if s == "ok" or (s == "no_data" and policy == "reset"):
                run = 0
            elif s == "bad" or (s == "no_data" and policy == "bad"):
                run += 1
        if run >= n:
            return end
    return None


@settings(max_examples=300, deadline=None)
@given(windows, st.integers(1, 5), st.integers(1, 30), st.sampled_from(["ignore", "reset", "bad"]))
def test_state_machine_fires_exactly_where_the_rule_says(
    seq: list[tuple[int, int] | None], n: int, min_requests: int, policy: str
) -> None:
    rule = RollbackRule.model_validate({"rule": f"error_rate > 5% for {n} consecutive windows"})
    state = RuleState(rule, "canary", min_requests, policy)
    for i, w in enumerate(seq):
        requests, errors = w if w is not None else (0, 0)
        state.step(i, Window(i, requests=requests, errors=min(errors, requests)), 0.95)
    expected = reference(seq, n, min_requests, policy)
    assert state.fired == (expected is not None)
    assert state.fired_at == expected
    if state.fired:
        assert len(state.triggering) == n and state.triggering[-1] == expected
        assert state.since == state.triggering[0]
    assert len(state.states) == len(seq)
    assert state.states.count("no_data") == sum(1 for w in seq if w is None or w[0] < min_requests)
