"""Percent-escaped values in links (issue 13): ``email=jane.doe%40example.com`` and ``phone=%2B14155552671`` in an
unsubscribe or tracking link are found, and the ORIGINAL span (every character of each escape) is redacted.

Hostile texts of escapes are normalised in linear time: the bounds are absolute and generous (50 ms of this thread's
CPU per 100 KB; ~3-10 ms on the development VM), to catch a step per escape in Python or a backtracking pattern.
"""

from __future__ import annotations

import random
import string

import pytest
from conftest import best_thread_time

from gatekit.governance.detectors import DEFAULT_SCANNER, scan
from gatekit.governance.normalise import normalise

SIZE = 100_000
BOUND_S = 0.050


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.value) for f in scan(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://x.com/unsub?email=jane.doe%40example.com&id=5", [("EMAIL_ADDRESS", "jane.doe%40example.com")]),
        ("https://x.com/u?e=JANE%40EXAMPLE.COM", [("EMAIL_ADDRESS", "JANE%40EXAMPLE.COM")]),
        ("mailto:jane%2Btag%40example.com?subject=hi%20there", [("EMAIL_ADDRESS", "jane%2Btag%40example.com")]),
        ("https://t.co/r?phone=%2B14155552671", [("PHONE_NUMBER", "%2B14155552671")]),
        ("https://t.co/r?phone=%2b14155552671&x=1", [("PHONE_NUMBER", "%2b14155552671")]),
        ("?tel=%2B44%2020%207946%200958", [("PHONE_NUMBER", "%2B44%2020%207946%200958")]),
        # (an HTML form's GET: "+" escaped, a space written "+")
        ("/track?phone=%2B1+415+555+2671&src=sms", [("PHONE_NUMBER", "%2B1+415+555+2671")]),
        ("?phone=%28415%29%20555-2671", [("PHONE_NUMBER", "%28415%29%20555-2671")]),
        # (the "20" of "%20" is no digit of the number after it)
        ("?q=call%20me%20at%20415-555-2671", [("PHONE_NUMBER", "415-555-2671")]),
        ("?card=4111%201111%201111%201111", [("CREDIT_CARD", "4111%201111%201111%201111")]),
    ],
)
def test_escaped_values_are_found_and_their_whole_span_is_redacted(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected


def test_escapes_mix_with_other_characters_that_change() -> None:
    text = "ünsub ＠ ４１５ e=jane.doe%40example.com&t=\u200b%2B1%20415%20555\u200b%202671 end"
    assert _found(text) == [
        ("EMAIL_ADDRESS", "jane.doe%40example.com"),
        ("PHONE_NUMBER", "%2B1%20415%20555\u200b%202671"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "https://x.com/a%2540example.com",  # (a double escape is "%40" once decoded: not an address)
        "https://x.com/Invoice%20123%20456%207890.pdf",
        "discount 100%40 off",  # (no address without a domain)
        "q=2%2B2+3",  # (a decoded "+" stays one)
        "https://x.com/path%3Auser%2Fjane%3Dexample.com",  # (escapes of other characters stay as written)
        "50% 40 items, 20%2 of them",
    ],
)
def test_escapes_make_no_finding_alone(text: str) -> None:
    assert _found(text) == []


def test_map_of_escapes_maps_every_offset_to_the_original() -> None:
    """Each character of the normalised text maps back to its escape, or to the one character it normalises."""
    rng = random.Random(8)
    units = [
        "%40",
        "%2B",
        "%2b",
        "%20",
        "%2E",
        "%2d",
        "%28",
        "%29",
        "%25",
        "%",
        "%4",
        "a",
        "1",
        "+",
        " ",
        "\u200b",
        "１",
    ]
    escapes = {"%40": "@", "%2B": "+", "%20": " ", "%2E": ".", "%2D": "-", "%28": "(", "%29": ")"}
    # (round redact16: a letter's, a digit's or an underscore's escape is read as that character too: "%4" "1")
    escapes.update({f"%{ord(char):02X}": char for char in string.ascii_letters + string.digits + "_"})
    for _ in range(300):
        text = "".join(rng.choice(units) for _ in range(rng.randint(1, 40)))
        normal = normalise(text)
        if normal.spots is None:
            assert normal.text == text.replace("\u200b", "").replace("１", "1")
            continue
        for at, char in enumerate(normal.text):
            original = text[normal.start(at) : normal.end(at + 1)]
            if len(original) == 3:
                assert escapes[original.upper()] == char, (text, at)
            elif original == "+" and char == " ":  # (form encoding, between digits)
                assert normal.text[at - 1].isdigit() and normal.text[at + 1].isdigit()
            else:
                assert normalise(original).text == char, (text, at, original)
        assert normal.end(len(normal.text)) == len(text.rstrip("\u200b"))


def test_ascii_text_without_percent_keeps_the_fast_path() -> None:
    text = "order 1234, write to jane@example.com"
    assert normalise(text).spots is None and normalise(text).text is text
    assert normalise("50% off, 20 % more").spots is None


@pytest.mark.parametrize(
    "unit", ["%40", "%%%%", "%4", "%2B1", "%20", "a%40b.co ", "%2B1+", "%40\u200b", "%40１", "1+%20", "%2b%2B%20"]
)
def test_hostile_escapes_scan_in_linear_time(unit: str) -> None:
    text = (unit * (SIZE // len(unit) + 1))[:SIZE]
    planted = " mail jane.doe%40example.com now"
    assert best_thread_time(lambda: normalise(text)) < BOUND_S
    assert best_thread_time(lambda: DEFAULT_SCANNER.scan(text), runs=1) < 4 * BOUND_S  # (every detector over 100 KB)
    findings = DEFAULT_SCANNER.scan(text + planted)
    assert any(f.type == "EMAIL_ADDRESS" and f.value.endswith("jane.doe%40example.com") for f in findings)
