"""The speed-ups of the governance hot path give the same decisions as the plain paths they replace."""

from __future__ import annotations

import itertools
import random

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


# pieces that detectors grow across: a credential name and its value, the halves of an e-mail, a key block,
# digit groups, IBAN/IPv6 halves, and the separator's own characters
_PIECES = [
    "password", "=", ":", "@", "example.com", "jane.doe", "-----BEGIN RSA PRIVATE KEY-----", "MIIEabc",
    "-----END RSA PRIVATE KEY-----", "\n", "\x00", " ", "4111", "1111", "DE89", "3704 0044 0532 0130 00",
    "fe80::", "1ff:fe23:4567:890a", "192.168.", "1.1", "AKIA", "IOSFODNN7EXAMPLE", "eyJhbGciOiJIUzI1NiJ9", ".",
    "Xy7pQ9zR2mK4", "api_key", "'", '"', "+1", "(949) ", "877-7106", "9498777106", " Main", "078-05-1120",
    "ghp_", "a1B2" * 9, "xoxb-", "1234567890-abc", "::1", "x", "AIza", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7",
]  # fmt: skip


def test_joined_scan_equals_scanning_each_text_and_never_crosses_a_separator() -> None:
    rng = random.Random(5)
    found = 0
    for _ in range(3000):
        texts = ["".join(rng.choice(_PIECES) for _ in range(rng.randrange(0, 8))) for _ in range(rng.randrange(1, 6))]
        expected = [scan(text) for text in texts]
        assert d.scan_texts(texts) == expected, texts
        found += sum(map(len, expected))
    assert found > 1000  # the pieces do form findings
    # halves that form a finding when glued together form none when joined by the separator
    halves = [
        ("my password", "=Xy7pQ9zR2mK4wer"),
        ("jane.doe", "@example.com"),
        ("jane.doe@", "example.com"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", "abc\n-----END RSA PRIVATE KEY-----"),
        ("4111 1111", "1111 1111"),
        ("DE89 3704 0044", " 0532 0130 00"),
        ("fe80::1ff:fe23", ":4567:890a"),
        ("AKIAIOSFOD", "NN7EXAMPLE"),
        ("+1", "9498777106"),
    ]
    for left, right in halves:
        assert scan(left + right), left + right
        joined = d._SEPARATOR.join([left, right])
        # every candidate of every detector, before overlaps are resolved, lies on one side of the separator
        for _, start, end, kind in d._candidates(joined, d._JOINED_SECRET_PATTERNS):
            assert end <= len(left) or start >= len(left) + len(d._SEPARATOR), (left, right, kind)
        assert d.scan_texts([left, right]) == [scan(left), scan(right)]
