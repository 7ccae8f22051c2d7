"""The detectors' shortcuts (issue 13, speed in plain Python) find exactly what the plain paths find.

Each shortcut skips work when a necessary condition fails; each test checks the condition against the regex it
stands for, on generated and hostile inputs.
"""

from __future__ import annotations

import random

import pytest

from gatekit.governance.detectors import DEFAULT_SCANNER, ip, ssn, tokens
from gatekit.governance.detectors.base import Runs, digit_runs
from gatekit.governance.normalise import normalise


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("my ssn is 078-05-1120, call 555-123-4567", [("US_SSN", "078-05-1120"), ("PHONE_NUMBER", "555-123-4567")]),
        (
            "ssn 078 05 1120, card 4111 1111 1111 1111",
            [("US_SSN", "078 05 1120"), ("CREDIT_CARD", "4111 1111 1111 1111")],
        ),
        ("ssn: 078.05.1120", [("US_SSN", "078.05.1120")]),
        ("social security 078051120 on file", [("US_SSN", "078051120")]),
        ("0780511201 and 078-05-112 are no SSNs", [("PHONE_NUMBER", "0780511201"), ("PHONE_NUMBER", "078-05-112")]),
    ],
)
def test_ssn_windows_keep_every_run_shaped_like_one(text: str, found: list[tuple[str, str]]) -> None:
    subject = normalise(text).text
    runs = digit_runs(subject)
    assert ssn.DETECTOR.findings(subject, runs) == ssn.DETECTOR.findings(subject)
    assert [(f.type, f.value) for f in DEFAULT_SCANNER.scan(text)] == found


def test_ssn_windows_skip_only_runs_without_a_candidate() -> None:
    rng = random.Random(11)
    pieces = [
        "078-05-1120",
        "078051120",
        "078 05 1120",
        "555-123-4567",
        "4111111111111111",
        "12.34",
        " ",
        "-",
        ".",
        "1",
    ]
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randrange(1, 12)))
        runs = digit_runs(text)
        plain = Runs(runs, b"")  # (no bytes: every run with nine digits is searched)
        assert ssn.DETECTOR.findings(text, runs) == ssn.DETECTOR.findings(text, plain) == ssn.DETECTOR.findings(text)


def test_the_api_token_hints_are_in_every_prefixed_key() -> None:
    rng = random.Random(3)
    matches = 0
    for _ in range(20_000):
        text = "".join(
            rng.choice(options)
            for options in (
                " a_-",
                "srpSkx",
                "kK_",
                ("", "_live", "_test", "live"),
                "_-x",
                ("A1b2C3d4E5f6G7h8",),
                "-_9z ",
            )
        )
        for match in tokens.PREFIXED_KEY.pattern.finditer(text):
            matches += 1
            assert any(hint in match.group() for hint in tokens.PREFIXED_KEY.hints), match.group()
    assert matches > 500
    assert DEFAULT_SCANNER.scan("the check-in desk, Blink-182 tickets") == []
    assert [f.type for f in DEFAULT_SCANNER.scan("key sk-proj-abcdef1234567890XYZ here")] == ["API_TOKEN"]


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("host 2001:db8:0:0:0:0:2:1 is up", "2001:db8:0:0:0:0:2:1"),
        ("host 2001:db8::2:1 is up", "2001:db8::2:1"),
        ("at 07:00:28 and 12:30", None),
    ],
)
def test_ipv6_needs_a_double_colon_or_seven_colons(text: str, address: str | None) -> None:
    found = [text[start:end] for _, start, end in ip.IPV6.findings(text)]
    assert found == ([address] if address else [])
