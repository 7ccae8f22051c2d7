"""The speed-ups of the governance hot path give the same decisions as the plain paths they replace.

(The detectors' tests are in test_governance_detectors.py.)
"""

from __future__ import annotations

from gatekit.governance.expressions import Expression


def test_conjuncts_split_a_top_level_and_only() -> None:
    whole = Expression('context.env == "production" and tool.name == "x" and tool.arguments.amount > 500')
    parts = whole.conjuncts()
    assert [sorted(p.names) for p in parts] == [["context"], ["tool"], ["tool"]]
    env = {"context": {"env": "production"}, "tool": {"name": "x", "arguments": {"amount": 600}}}
    assert all(p(env) for p in parts) and whole(env)
    single = Expression("tool.name == 'x' or context.env == 'p'")
    assert single.conjuncts() == [single]
