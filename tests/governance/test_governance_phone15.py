"""Round phone15: phone numbers the candidate pattern missed, and look-alikes of the same shapes that stay unflagged.

Four classes, found in rounds dlp15 and speed15 (docs/governance-notes.md, round phone15):

* a refused candidate took the start of a real number: ``order 1234567 a 555 x 2125551234`` (the window around
  ``1234567`` reaches ``555``, whose match with an extension, ``555 x 212555``, is refused for the digit after it);
  the pattern is now tried again inside a refused candidate when the text's digits go on right after it;
* Germany's (and Austria's, Switzerland's, Italy's) slash after an area code with its trunk 0: ``089/1234567``,
  ``0 89/12 34 56``; a slash elsewhere (a date, a fraction, a path, a ratio) stays no phone number;
* a switchboard's extension after a dash (the DE / AT "Durchwahl"): ``030-1234567-0``, ``+49 30 1234567-0``; an
  ISBN-10's or -13's check digit after a dash stays none;
* a number glued after a phone's word and a colon (``tel:2125550143``, the tel URI; ``phone:``, a vCard's ``CELL:``);
  an id glued after any other word's colon (``order:2125550143``, ``id:``, ``ts:``) stays no phone number: a bare run
  glued to a key names what the key says, and only a phone's word says phone.
"""

from __future__ import annotations

import random

import pytest
from conftest import check_linear_on_hostile_unit

from gatekit.governance.detectors import phone, scan
from gatekit.governance.detectors.base import Runs, digit_runs
from gatekit.governance.detectors.phone import DETECTOR
from gatekit.governance.normalise import normalise


def _phones(text: str) -> list[str]:
    return [text[f.start : f.end] for f in scan(text) if f.type == "PHONE_NUMBER"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a refused candidate's extension took the number's start; found with and without a window reaching it
        ("order 1234567 a 555 x 2125551234 ok", "2125551234"),
        ("a 555 x 2125551234 ok", "2125551234"),
        ("room 555 x 2125551234", "2125551234"),
        ("ref 555 x 212-555-1234 please", "212-555-1234"),  # (the extension "212", then "-555": refused)
        ("ref 555 x 212 555 1234 please", "212 555 1234"),  # (the extension "212" alone: too few digits)
        ("ids 1234567 and 7654321, 555 ext 2125551234 call", "2125551234"),
        # the slash after an area code with its trunk 0
        ("Tel. 089/1234567", "089/1234567"),
        ("Tel.: 0221/9876543", "0221/9876543"),
        ("Telefon 0 89/12 34 56 (Zentrale)", "0 89/12 34 56"),
        ("Ruf 06221/123456 an", "06221/123456"),
        ("Wien 01/588580", "01/588580"),
        ("Zürich 044/123 45 67", "044/123 45 67"),
        ("(089) 1234567", "(089) 1234567"),  # (found before: the area code in parentheses)
        # a switchboard's extension after a dash
        ("Zentrale 030-1234567-0", "030-1234567-0"),
        ("Zentrale: +49 30 1234567-0", "+49 30 1234567-0"),
        ("Tel. 089 1234567-0", "089 1234567-0"),
        ("Vienna +43 1 58858-0", "+43 1 58858-0"),
        ("Durchwahl 0221/12345-67", "0221/12345-67"),
        # glued after a phone's word and a colon
        ("phone:2125550143", "2125550143"),
        ("tel:2125550143", "2125550143"),
        ("<a href='tel:2125550143'>call</a>", "2125550143"),
        ("Tel:089/1234567", "089/1234567"),
        ("FAX:(212) 555-0143", "(212) 555-0143"),
        ("TEL;TYPE=CELL:2125550143", "2125550143"),
        ("phone:+4915123456789", "+4915123456789"),  # (a "+" after a colon: found before)
        ("telephone:0891234567", "0891234567"),
    ],
)
def test_missed_numbers_are_found(text: str, value: str) -> None:
    assert value in _phones(text), (text, _phones(text))


@pytest.mark.parametrize(
    "text",
    [
        # the digits inside a refused candidate are tried again only where the text's digits go on after it
        "population 1 234 567 890 units",
        "total 1 234 567 890,12 EUR",
        "primes 2 3 5 7 11 13 17 19 23 29 31",
        "fib 1 1 2 3 5 8 13 21 34 55 89 144 233",
        "ISBN 978-3-16-148410-0",
        "order 1234567 a 555 x 212555",
        "version 2026.11.21.4",
        # a slash that follows no area code with its trunk 0
        "Invoice period 12/2023",
        "due 05/12/2023, paid 01/2024",
        "ratio 1234/5678",
        "GET /api/v1/1234567 HTTP/1.1",
        "see /api/v1/1234567/items",
        "1/2 cup, 3/4 spoon",
        "season 2023/2024",
        "score 2125/5501",
        "date 0089/1234567",  # ("00": an international prefix, no trunk 0)
        "x 089/1234567/8",  # (a path's part)
        # a dash and one digit after no area code with its trunk 0, or after an ISBN's parts
        "ISBN 0-306-40615-2",
        "ref 1234-5678901-2",
        "build 2125-5550143-1",
        # ids glued after a colon that names no phone
        "order:2125550143",
        "id:2125550143",
        "ts:1732199400",
        "hotel:2125550143",
        "invoice:0891234567",
    ],
)
def test_look_alikes_of_the_same_shapes_are_no_phone_numbers(text: str) -> None:
    assert _phones(text) == [], (text, _phones(text))


@pytest.mark.parametrize(
    "text",
    [
        "order 1234567 a 555 x 2125551234 ok",
        "1234567 555 x 2125551234 and 1234567 555 x 212-555-1234 x",
        "a 555 x 212-555-1234 and 555 x 212 555 1234 b",
        "Tel. 089/1234567 and tel:2125550143 and 030-1234567-0",
    ],
)
def test_windows_find_what_the_whole_text_finds(text: str) -> None:
    subject = normalise(text).text
    runs = digit_runs(subject)
    whole = [(DETECTOR.score, start, end) for start, end in DETECTOR._spans(subject, [(0, len(subject))], None)]
    assert DETECTOR.findings(subject, runs) == whole
    assert whole  # (each text holds a number)


def test_chains_of_the_new_shapes_give_the_findings_of_the_whole_windows() -> None:
    """A long window read on its chains (the runs' bytes: a slash read there by its own look-behinds) finds what the
    pattern finds reading all of it."""
    rng = random.Random(15)
    pieces = [
        "089/1234567", "0 89/12 34 56", "01/588580", "12/12/2024", "0089/1234567", "089/0123/4567", "/", "0/", "00/",
        "tel:2125550143", "order:2125550143", "555 x 212555", "555 x 2125551234", "030-1234567-0", "+49 30 1234567-0",
        "1", "12", "123", "1234567", " ", "-", "a", "(", ")",
    ]  # fmt: skip
    long_windows = 0
    for _ in range(120):
        text = rng.choice([" ", "", "  "]).join(rng.choice(pieces) for _ in range(rng.randint(200, 1500)))
        runs = Runs(digit_runs(text), digit_runs(text).zeros)
        windows = phone.DETECTOR.windows(text, runs)
        long_windows += any(high - low > phone._LONG_WINDOW for low, high in windows)
        whole = phone.DETECTOR._spans(text, windows, runs)
        assert [(start, end) for _, start, end in phone.DETECTOR.findings(text, runs)] == whole
    assert long_windows > 10


@pytest.mark.parametrize(
    "unit",
    [
        "555 x 2125551234 ",
        "555 x 212555",
        "5 x 212 x 212 x ",
        "1 x 1234567",
        "089/1234567/",
        "0/01/012/0123/",
        "089/089/089/",
        "0 89/12 34 56 ",
        "030-1234567-0-",
        "+49 30 1234567-0-1-",
        "tel:2125550143:",
        "tel:tel:1:",
        "order:2125550143 ",
        "12/12/2024 ",
    ],
)
def test_hostile_floods_of_the_new_shapes_stay_linear(unit: str) -> None:
    check_linear_on_hostile_unit(unit)
