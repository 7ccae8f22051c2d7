"""The phone regexes written for the regex engine's speed match what their plain forms match.

``_REFERENCE`` is the candidate pattern as it read before its speed-ups (a first item that is an alternation,
a ``{6}`` repeat of the look-ahead's step, the first group's look-behinds in another order, no plain-digits
first try for a group, no guard before a group's separators): the same spans, by a seeded differential over random strings of the characters a
candidate is made of, windows included (a window's start and end, as the detector searches them).
(Since red-team round 7 a ``+`` may follow a colon, ``tel:+1...``, in both; since round 14's left a bare first group
reads up to 15 digits, E.164's length, in both.)
``_REFERENCE_EXTENSION``: the extension cut with its optional space as an optional item, not a branch.
"""

from __future__ import annotations

import random
import re

import pytest

from gatekit.governance.detectors import phone

# (round phone15: a phone's word may come before the colon, "tel:2125550143"; a slash may follow an area code with its
# trunk 0, once, "089/1234567", "0 89/12 34 56", not "0089/...": written out here as plain alternatives)
_WORD_COLON = (
    r"(?<=(?<![A-Za-z])(?i:tel):.)|(?<=(?<![A-Za-z])(?i:fax):.)|(?<=(?<![A-Za-z])(?i:sms):.)"
    r"|(?<=(?<![A-Za-z])(?i:cell):.)|(?<=(?<![A-Za-z])(?i:phone):.)|(?<=(?<![A-Za-z])(?i:handy):.)"
    r"|(?<=(?<![A-Za-z])(?i:mobile):.)|(?<=(?<![A-Za-z])(?i:callto):.)|(?<=(?<![A-Za-z])(?i:telefon):.)"
    r"|(?<=(?<![A-Za-z])(?i:whatsapp):.)|(?<=(?<![A-Za-z])(?i:telephone):.)"
)
_TRUNK_SLASH = (
    r"/(?:"
    + "|".join(f"(?<=(?<![0-9/])0{digits}/)" for digits in ("[1-9]", "[1-9][0-9]", "[1-9][0-9]{2}", "[1-9][0-9]{3}"))
    + "|(?<=(?<![0-9/])0[1-9][0-9]{4}/)|"
    + "|".join(f"(?<=(?<![0-9/])0 {digits}/)" for digits in ("[1-9]", "[1-9][0-9]", "[1-9][0-9]{2}", "[1-9][0-9]{3}"))
    + "|(?<=(?<![0-9/])0 [1-9][0-9]{4}/))"
)
_REFERENCE = re.compile(
    r"(?P<value>(?:\((?=\d)|[+\d])(?<![\w+\-/.@#$%][+(\d])(?:(?<!:[(\d])|" + _WORD_COLON + ")"
    r"(?=(?>\)?+(?:[ .\-]?+\(?+| ?+(?:x|ext\.?+|#) ?+|" + _TRUNK_SLASH + r")\d){6})"
    r"(?:(?<=\+) ?(?:\(\d{1,5}+\)|\d{1,15}+)|(?<=\()\d{1,5}+\)|(?<=\d)\d{0,14}+)"
    r"(?:(?: ?\(0\) ?|[ .\-]| ?(?=\()|(?<=\)))(?:\(\d{1,5}+\)|\d{1,10}+)|" + _TRUNK_SLASH + r"\d{1,10}+){0,7}+"
    r"(?:(?: ?(?:x|ext\.?|#) ?)\d{1,6}+)?+)",
    re.ASCII,
)
_REFERENCE_EXTENSION = re.compile(r" ?(?:x|ext\.?|#) ?\d+$")

_ALPHABETS = (
    "0123456789 .-()+x#",
    "0123456789 ",
    "0123456789-.",
    "0123456789()+ ",
    "0123456789 .-()+x#e t_/:@$%,a",
    "0123456789 /:-()lteL",
    "012 .-()+x#ext.",
    "1( )0-.+x#\n",
)
_NUMBERS = (
    "+41 (0)71 526 99 04",
    "(555) 123-4567 x12",
    "+1-604-696-5272x565",
    "03.93.92.16.85",
    "ext. 123",
    "(0)",
    "089/1234567",
    "0 89/12 34 56",
    "tel:2125550143",
    "Phone:(212) 555",
)


@pytest.mark.parametrize("seed", [1, 2])
def test_candidate_pattern_matches_its_plain_form(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(10_000):
        alphabet = rng.choice(_ALPHABETS)
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(1, 50)))
        if rng.random() < 0.3:
            cut = rng.randrange(len(text) + 1)
            text = text[:cut] + rng.choice(_NUMBERS) + text[cut:]
        low = rng.randrange(len(text) + 1) if rng.random() < 0.3 else 0
        high = rng.randrange(low, len(text) + 1) if rng.random() < 0.3 else len(text)
        expected = [match.span() for match in _REFERENCE.finditer(text, low, high)]
        found = [match.span() for match in phone._PATTERN.finditer(text, low, high)]
        assert found == expected, (text, low, high)


def test_the_differential_sees_a_different_pattern() -> None:
    """A pattern that differs in one rare case (an extension after "#" not read) is told apart."""
    changed = re.compile(_REFERENCE.pattern.replace("|#) ?)", ") ?)"), re.ASCII)
    rng = random.Random(1)
    texts = ("".join(rng.choice(_ALPHABETS[0]) for _ in range(40)) for _ in range(10_000))
    assert any(
        [m.span() for m in changed.finditer(text)] != [m.span() for m in _REFERENCE.finditer(text)] for text in texts
    )


_EXTENSION_PARTS = ("0", "1", "23", " ", "x", "#", "e", "t", ".", "ext", "ext.", "\n")


def test_extension_cut_matches_its_plain_form() -> None:
    rng = random.Random(3)
    for _ in range(20_000):
        text = "".join(rng.choice(_EXTENSION_PARTS) for _ in range(rng.randrange(0, 10)))
        assert phone._EXTENSION.sub("", text) == _REFERENCE_EXTENSION.sub("", text), text
