"""Round speed17a: exact shortcuts of the detectors on PII-dense texts hold to what they replace.

The SSN detector skips its windows only in a text without a piece of an SSN's shape, whose windows are none; a text of
a few escapes maps its offsets by a bisect of the escapes' tails, the same offsets as the list of every one.
"""

from __future__ import annotations

import json
import os
import random
from itertools import compress
from pathlib import Path

import pytest

from gatekit.governance import normalise as normalise_module
from gatekit.governance.detectors import ssn
from gatekit.governance.detectors.base import digit_runs
from gatekit.governance.normalise import _Offsets, normalise

# number shapes with their context (the texts the SSN skip is checked on): thousands, a round count, a quantity, a house
# number, a barcode, a span of years, an id numbered by year, a compact date, a date, an ISBN-13, a postal code,
# a switchboard's extension, an SSN's groups, a version, an IPv4 shape, a list of small numbers, placeholders
_CASES = [
    "population 8 336 817 today",
    "67 750 000 inhabitants",
    "72 128 827 is my number",
    "299 792 458 m/s",
    "912 345 678",
    "3747 3911 Fourth Avenue",
    "030 127009 an",
    "3 017620 422003",
    "0 36000 29145 2",
    "the war 1939-1945 ended",
    "call 2021-2025",
    "Docket 2023-0145-0012",
    "2026-03-0042",
    "20260311 1432",
    "on 2026-11-21 at noon",
    "21.11.2026 10:00",
    "978-3-16-148410-0",
    "3610-114 Lisboa",
    "94105-1234",
    "030-1234567-0",
    "+49 30 1234567-0",
    "+43 1 58858-0",
    "+44 20 1234567-0",
    "0-306-40615-2",
    "415-555-2671 219-09-9999",
    "123-45-6789",
    "version 1.2.3.4",
    "84.358.845 Einwohner",
    "+1.415.555.2671",
    "2 3 5 7 11 13 17",
    "07 14 21 28 35 42",
    "06 12 34 56 78",
    "0151 2345 6789",
    "8080 8081 8082 8083",
    "000-000-0000",
    "(012) 345-6789",
    "+46 (0)8 928 571 38",
    "Mobile: 0688 843 79 56\nDesk: (898)666-3621x0135\nFax: +46 (0)157 548 89",
    "+1-903-140-4508x769",
    "259.735.7502x459",
    "345-899-3560x4587 3",
    "555-123-4567 ext. 89",
    "555-123-4567#12",
]


def _texts() -> list[str]:
    texts = list(_CASES)
    rng = random.Random(17)
    for _ in range(4000):  # (random layouts: groups of 1 to 8 digits, zeros often first, separators, extensions)
        groups = ["".join(rng.choice("0001234567890") for _ in range(rng.choice((1, 2, 2, 3, 3, 4, 4, 5, 6, 8))))]
        for _ in range(rng.randint(0, 5)):
            groups.append(rng.choice((" ", "-", ".", " ", "-")) + str(rng.randint(0, 10 ** rng.randint(0, 4))))
        value = "".join(groups)
        if rng.random() < 0.3:
            value = "+" + value
        elif rng.random() < 0.1:
            value = "(" + value[:3] + ")" + value[3:]
        if rng.random() < 0.15:
            value += rng.choice((" x", "x", "#", " ext. ")) + str(rng.randint(1, 99999))
        before = rng.choice(("", "Call ", "Order ID ", "tel: ", "EAN ", "1Z 999 ", "population "))
        after = rng.choice(("", " m/s", " Fourth Avenue", " 5", " inhabitants", "\n", " 123", " 2026"))
        texts.append(before + value + after)
    data = os.environ.get("GATEKIT_SHARED_DATA")
    examples = Path(data or "/nonexistent") / "libphonenumber" / "phone_examples.jsonl"
    if examples.is_file():  # (every example number of libphonenumber's metadata, in a sentence)
        for line in examples.read_text(encoding="utf-8").splitlines():
            for value in json.loads(line).values():
                if isinstance(value, str) and any(char.isdigit() for char in value):
                    texts += [value, f"Call me at {value} today.", f"tel {value}, or {value}x12"]
    return texts


def test_a_text_without_a_piece_of_an_ssn_shape_has_no_ssn_window() -> None:
    """SsnDetector skips its windows when the runs' bytes hold no piece of a shape: only when it would find none."""
    skipped = windowed = 0
    texts = _texts() + ["SSN 123-45-6789", "ssn: 123456789", "219.09.9999", "219 09 9999 and 219-09-9999", "1234567890"]
    for raw in texts:
        text = normalise(raw).text
        runs = digit_runs(text)
        if ssn._no_shape(runs.zeros):
            skipped += 1
            assert ssn.DETECTOR.windows(text, digit_runs(text)) == [], text
            assert ssn.DETECTOR.findings(text, runs) == ssn.DETECTOR.findings(text, None), text
        else:
            windowed += 1
    assert skipped > 1000 and windowed > 100


def test_the_offsets_of_a_few_escapes_are_those_of_the_list_of_every_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    """A text of a few escapes maps offsets by its escapes' tails: the same offsets as the list of every one."""
    rng = random.Random(5)
    forms = ["%20", "%40", "%2B", "%2e", "\\u0040", "\\x40", "\\/", "\\n", "&#64;", "&nbsp;", "&#x2e;"]
    texts = []
    for _ in range(3000):
        flags = bytes(rng.choice((0, 1, 1, 1, 65)) for _ in range(rng.randint(0, 60)))
        every = list(compress(range(len(flags)), flags)) + [len(flags)]
        offsets = _Offsets(flags)
        assert [offsets[index] for index in range(len(every))] == every
        pieces = [
            rng.choice(("a", "b", "1", " ", "-", "é", "\u200b", "%", "&", "\\")) for _ in range(rng.randint(0, 40))
        ]
        for _ in range(rng.randint(1, 6)):
            pieces.insert(rng.randrange(len(pieces) + 1), rng.choice(forms))
        texts.append("".join(pieces))
    few = [normalise(text) for text in texts]
    monkeypatch.setattr(normalise_module, "_FEW_TAILS", -1)  # (every text's offsets as the list of every one)
    every_one = [normalise(text) for text in texts]
    checked = 0
    for text, one, other in zip(texts, few, every_one, strict=True):
        assert one.text == other.text, text
        if isinstance(one.escapes, _Offsets):
            checked += 1
            assert isinstance(other.escapes, list)
            ends = range(len(one.text) + 1)
            assert [one.start(at) for at in ends] == [other.start(at) for at in ends], text
            assert [one.end(at) for at in ends] == [other.end(at) for at in ends], text
    assert checked > 300
