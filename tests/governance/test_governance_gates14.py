"""The literal-first searches of speed round 14 find what the substring tests and class-first patterns they replace do.

A search starting with a class of characters (``[Pp]``, ``[=:]``, ``["']``) makes the regex engine test every
character against the class; one starting with a literal skips ahead to it in a tight loop. Each gate below is compared
with its substring tests, and each split pattern with the single pattern it replaces, on seeded random texts built from
the words, capitals, signs and values the rules read.
"""

from __future__ import annotations

import random
import re

import pytest
from conftest import pairs_by_loop

from gatekit.governance import normalise as normalise_module
from gatekit.governance.detectors import DEFAULT_SCANNER, generic, registry

_PIECES = (
    "password", "Password", "PASSWORD", "PassWord", "pass", "passe", "de passe", "Mot De Passe", "asswort", "passcode",
    " is ", " IS ", ": ", ":", "=", "==", "=>", ":=", " ", "  ", "\t", "\n", '"', "'", ",", ", ", '",', "',", '", "',
    "Summer2024x", "abcdefgh1", "Tr1ckyP4ss99", "x9y8z7w6v5", "${DB_PASS_1}", "api_key", "token", "secret", "DB_PASSWORD",
    "IDENTIFIED", "identified", "IDENTIF", "IED", "assword '", "ASSWORD '", "d '", "D '", "ASS", "AS", "S", "ass",
    " -", "-", " -p", "curl", "ENHA E", "ENHA", "ONTRASENA", "ON", "N", "senha e", "contrasena", "ACHTWOORD", "ALASANA",
    "A", "achtwoord", "alasana", "asło", "ASŁO", "ł", "Ł", "senord", "SENORD", "é", "ñ", "p", "P", "x", "1",
    "Password is ", "the password was ", "PASSWORD: ", "mot de passe est ", '"api_key", "', "'secret', '", '"token", ',
)  # fmt: skip


def _texts(count: int, seed: int) -> list[str]:
    """``count`` random texts of 1 to 40 pieces."""
    rng = random.Random(seed)
    return ["".join(rng.choice(_PIECES) for _ in range(rng.randint(1, 40))) for _ in range(count)]


TEXTS = _texts(4000, 14)


@pytest.mark.parametrize(
    ("search", "needles"),
    [
        (generic._SPACE_DASH, (" -",)),
        (generic._QUOTE_COMMA, ('",', "',")),
        (generic._P_WORDS, ("pass", "pASS", "pin", "pIN", "pw", "pW")),
        (generic._CAPITAL_P_WORDS, ("Pass", "PASS", "Pin", "PIN", "Pw", "PW")),
        (generic._IDENTIFIED, ("IDENTIFIED",)),
        (generic._QUOTED_PASSWORD, ("assword '", "ASSWORD '")),
        (generic._PT_ES_CAPITALS, ("ENHA E", "ONTRASENA")),
        (generic._NORTH_CAPITALS, ("ACHTWOORD", "ALASANA")),
        (generic._CAPITALS, ("ACHTWOORD", "ALASANA", "ENHA E", "ONTRASENA")),
        (generic._SENORD, ("SENORD",)),
    ],
)
def test_each_gate_search_is_its_substring_tests(search, needles) -> None:
    """A gate's search finds something exactly in the texts holding one of its strings."""
    hits = 0
    for text in TEXTS + list(needles):
        expected = any(needle in text for needle in needles)
        assert (search(text) is not None) == expected, (text, needles)
        hits += expected
    assert hits > 50  # (the texts hold the strings often enough to test both outcomes)


def test_the_prose_passwords_split_by_case_are_the_single_pattern() -> None:
    """_PROSE's two searches, "p" and "P" first, find the matches the single "[Pp]" pattern's finditer finds."""
    single = generic._values(
        r"[Pp](?:(?<![A-Za-z][Pp])(?i:assword|asswort|asscode)|(?<=[Dd][Ee] [Pp])(?i:asse))" + generic._PROSE_VALUE,
        generic._password_value,
    )
    found = long = 0
    for text in TEXTS + ["".join(TEXTS[index : index + 12]) for index in range(0, len(TEXTS), 12)]:
        expected = single(text)
        assert generic._PROSE(text) == expected, text
        found += len(expected)
        long += len(text) >= generic._SPLIT_FROM
    assert found > 200 and long > 300  # (short texts read by the class, long ones by the two searches)


def test_leftmost_is_finditer_of_the_alternation() -> None:
    """_leftmost of patterns with different first characters equals finditer of their alternation, overlaps too."""
    patterns = ("p[^ ]{0,6}", "P[^ ]{0,3}", "x[pP]{0,4}")
    union = re.compile("|".join(patterns))
    searches = tuple(re.compile(pattern).search for pattern in patterns)
    for text in TEXTS:
        expected = [match.span() for match in union.finditer(text)]
        assert [match.span() for match in generic._leftmost("pPx", searches, text)] == expected, text


def test_the_pairs_found_from_their_comma_are_those_of_the_quote_class() -> None:
    """_PAIR_COMMA's signs (from the comma) give the pairs _PAIR's signs (from the quote) give."""
    found = 0
    for text in TEXTS:
        expected = pairs_by_loop(text)
        assert generic._pairs(text) == expected, text
        assert [m.end() for m in generic._PAIR_COMMA.finditer(text)] == [m.end() for m in generic._PAIR.finditer(text)]
        found += len(expected)
    assert found > 100


def test_the_signs_searched_by_kind_are_the_class_search() -> None:
    """_Signs.search from increasing positions returns _SIGN.search's match (the "=" and ":" searches merged)."""
    found = 0
    for text in TEXTS:
        signs = generic._Signs(text)
        for pos in range(0, len(text) + 1, 3):
            expected = generic._SIGN.search(text, pos)
            got = signs.search(text, pos)
            assert (got and got.span()) == (expected and expected.span()), (text, pos)
            found += expected is not None
    assert found > 1000


def test_the_long_texts_mask_by_searches_is_the_substring_tests() -> None:
    """From _LONG_MASK characters the hints' literal-first searches give the mask of the substring tests."""
    scanner = DEFAULT_SCANNER
    hints = sorted({hint for d in scanner.detectors for hint in d.hints if hint})
    pieces = [*hints, *(hint[:-1] for hint in hints), *(hint[1:] for hint in hints), *_PIECES, "-", "--", " "]
    rng = random.Random(1414)
    masks = set()
    for _ in range(3000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 12)))
        text = text + " " * max(0, registry._LONG_MASK - len(text))
        expected = scanner._mask_short(text)
        assert scanner._mask(text) == expected, text
        masks.add(expected)
    assert len(masks) > 100  # (many detectors' hints met, alone and together)


def test_the_percent_escapes_found_in_one_search_are_those_present() -> None:
    """_unescaped's forms from one _ESCAPE search (before "+" becomes a blank) are those its substring tests found."""
    pieces = ["%40", "%2B", "%2b", "%20", "%2E", "%2e", "%2D", "%2d", "%28", "%29", "%3A", "%25", "%", "%2", "+", "1"]
    pieces += ["4", "0", "2", "B", "e", "a", "@", " ", "%%40", "%2540", "x"]
    rng = random.Random(25)
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        present = set(normalise_module._ESCAPE.findall(text))
        spaced = normalise_module._FORM_SPACE.sub(" ", text) if "+" in text else text
        expected = [form for form in normalise_module._ESCAPE_FORMS if form[0] in spaced]
        assert [form for form in normalise_module._ESCAPE_FORMS if form[0] in present] == expected, text
        assert bool(present) == (normalise_module._ESCAPE.search(text) is not None)
        found += len(expected)
    assert found > 4000


def test_the_machine_escapes_found_by_kind_are_those_of_the_single_search() -> None:
    """The backslash escapes and HTML references, each searched apart, are _MACHINE_ESCAPE's matches."""
    pieces = ["\\u0040", "\\u002B", "\\u002b", "\\x40", "\\/", "\\n", "\\t", "\\", "\\u00", "&#64;", "&#x40;", "&nbsp;"]
    pieces += ["&commat;", "&", "&#", "&#160", ";", "a", "1", " ", "\\&#64;", "&\\u0040", "&&nbsp;", "\\\\n"]
    rng = random.Random(26)
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 30)))
        expected = set(normalise_module._MACHINE_ESCAPE.findall(text))
        backslashes, references = normalise_module._BACKSLASHES, normalise_module._REFERENCES
        assert set(backslashes.findall(text)) | set(references.findall(text)) == expected, text
        # (round norm20: found by a few search-and-replace passes, the same forms)
        distinct = normalise_module._distinct
        assert distinct(backslashes, text) | distinct(references, text) == expected, text
        found += len(expected)
    assert found > 4000
