"""The speed-ups of the governance hot path give the same decisions as the plain paths they replace."""

from __future__ import annotations

import itertools

from gatekit.governance import detectors as d
from gatekit.governance import scan
from gatekit.governance.expressions import Expression


def test_bare_digit_runs_match_the_regex_path() -> None:
    # the bare-run shortcut against the general path (_PHONE + _phone_ok) on every length and neighbour
    for length in range(5, 22):
        digits = "9498777106512345678901"[:length]
        for before, after in itertools.product(["", "a", "_", "+", "-", "(", " ", "é"], ["", " Main", "a", "."]):
            text = f"{before}{digits}{after}"
            start = len(before) - (before in ("+", "("))  # the digit run takes a leading + or (
            expected = []
            for match in d._PHONE.finditer(text, start, len(before) + length):
                if d._phone_ok(match.group(), text, match.end()):
                    expected.append(("PHONE_NUMBER", match.start(), match.end()))
            got = [(f.type, f.start, f.end) for f in scan(text) if f.type == "PHONE_NUMBER"]
            assert got == expected, text
    assert scan("abcd") == [] and scan("::1") == []


def test_conjuncts_split_a_top_level_and_only() -> None:
    whole = Expression('context.env == "production" and tool.name == "x" and tool.arguments.amount > 500')
    parts = whole.conjuncts()
    assert [sorted(p.names) for p in parts] == [["context"], ["tool"], ["tool"]]
    env = {"context": {"env": "production"}, "tool": {"name": "x", "arguments": {"amount": 600}}}
    assert all(p(env) for p in parts) and whole(env)
    single = Expression("tool.name == 'x' or context.env == 'p'")
    assert single.conjuncts() == [single]
