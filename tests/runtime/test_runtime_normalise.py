"""The guard's fast path for plain responses gives exactly what the replay's full check gives, or defers to it."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from gatekit.agents.base import AgentCallError, normalise_response
from gatekit.runtime.enforcer import _plain_response

numbers = st.one_of(
    st.none(),
    st.integers(-5, 10**13),
    st.floats(allow_nan=True, allow_infinity=True),
    st.booleans(),
    st.text(max_size=3),
)
responses = st.dictionaries(
    st.sampled_from(["output", "usage", "model", "cost_usd", "tool_calls", "extra"]),
    st.one_of(
        st.none(),
        st.text(max_size=20),
        numbers,
        st.dictionaries(st.sampled_from(["input_tokens", "output_tokens", "prompt_tokens"]), numbers, max_size=3),
        st.lists(st.just({"name": "t", "arguments": {}}), max_size=2),
    ),
    max_size=6,
)


@settings(max_examples=600, deadline=None)
@given(responses)
def test_the_fast_path_agrees_with_normalise_response_or_defers(raw):
    fast = _plain_response(raw)
    try:
        full = normalise_response(raw)
    except AgentCallError:
        assert fast is None  # what the full check refuses never passes the fast path
        return
    if fast is None:
        return
    assert fast == {"output": full.output, "tool_calls": full.tool_calls, "usage": full.usage,
                    "model": full.model, "cost_usd": full.cost_usd}  # fmt: skip
    assert fast["cost_usd"] is None or math.isfinite(fast["cost_usd"])


def test_the_usual_shapes_take_the_fast_path():
    assert _plain_response({"output": "hi", "usage": {"input_tokens": 3, "output_tokens": 4}, "model": "m"}) == {
        "output": "hi", "tool_calls": [], "usage": {"input_tokens": 3, "output_tokens": 4}, "model": "m",
        "cost_usd": None,
    }  # fmt: skip
    assert _plain_response({"output": "hi", "tool_calls": [{"name": "t"}]}) is None
    assert _plain_response({"output": "hi", "usage": {"prompt_tokens": 3}}) is None
