"""The offset map of a text of many deleted characters (zero-width floods): exact, and linear in time."""

from __future__ import annotations

import random
import time
import unicodedata

from gatekit.governance.detectors import scan
from gatekit.governance.normalise import normalise

_DIGIT_CHARS = "0123456789"
_DASH_CHARS = ("-", "\u2013", "\u2212")


def _group_end(text: str, index: int) -> int:
    """The end of a digit group (``123`` or ``(123)``) starting at ``index``; -1: none."""
    at = index + (text[index : index + 1] == "(")
    digits = at
    while digits < len(text) and text[digits] in _DIGIT_CHARS:
        digits += 1
    if digits == at:
        return -1
    return digits + (text[digits : digits + 1] == ")")


def _chain_end(text: str, index: int) -> int:
    """The end of a chain of 3+ digit groups joined by a loose dash (" - ") starting at ``index``; -1: none."""
    if index and text[index - 1] in _DIGIT_CHARS:
        return -1
    end = _group_end(text, index)
    links = 0
    while end != -1 and text[end : end + 1] == " " and text[end + 1 : end + 2] in _DASH_CHARS:
        if text[end + 2 : end + 3] != " ":
            break
        after = _group_end(text, end + 3)
        if after == -1:
            break
        end = after
        links += 1
    return end if links >= 2 else -1


def _reference(text: str) -> tuple[str, list[int], list[int]]:
    """Per character, independently: the normal text, the original offset of each character it keeps and its end."""
    out: list[str] = []
    kept: list[int] = []
    ends: list[int] = []
    chain = -1  # (the end of the chain of loose dashes being read: each " - " one "-" at its first space)
    plain = 0  # (the end of a chain read as written)
    index = 0
    while index < len(text):
        char = text[index]
        if chain == -1 and index >= plain and char in "0123456789(":
            chain = _chain_end(text, index)
            if chain - index > 64:  # (a longer chain stays as written, round dlp18c)
                plain, chain = chain, -1
        if chain != -1 and char == " " and text[index + 1 : index + 2] in _DASH_CHARS and index + 2 < chain:
            out.append("-")
            kept.append(index)
            ends.append(index + 3)  # (a span ending at it covers the whole loose dash)
            index += 3
            continue
        if index + 1 >= chain:
            chain = -1
        category = unicodedata.category(char)
        if category == "Cf":
            index += 1
            continue
        if category == "Nd":
            normal = str(unicodedata.decimal(char))
        elif category == "Pd":
            normal = "-"
        else:
            normal = unicodedata.normalize("NFKC", char)
        assert len(normal) == 1  # (the alphabet below holds no character that becomes two)
        out.append(normal)
        kept.append(index)
        ends.append(index + 1)
        index += 1
    return "".join(out), kept, ends


def test_many_deletions_map_every_offset_to_the_original() -> None:
    rng = random.Random(13)
    alphabet = ["a", "1", " ", "@", "\u200b", "\u00ad", "\u200d", "\ufeff", "\uff11", "\u0661", "\u00a0", "\u2013"]
    for _ in range(200):
        chars = rng.sample(alphabet, rng.randint(2, 6))
        if not any(c in chars for c in "\u200b\u00ad\u200d\ufeff"):
            chars.append("\u200b")
        text = "".join(rng.choice(chars) for _ in range(rng.choice([600, 3000])))
        expected_text, kept, ends = _reference(text)
        normal = normalise(text)
        assert normal.text == expected_text
        if normal.spots is None:
            assert len(expected_text) == len(text)
            continue
        kept.append(len(text))
        for offset in range(len(expected_text) + 1):
            assert normal.start(offset) == kept[offset]
            assert normal.end(offset) == (ends[offset - 1] if offset else 0)


def test_loose_dash_chains_map_every_offset_to_the_original() -> None:
    """Round dlp18c: chains of loose dashes among digits, parentheses, dashes and deleted characters, as the reference."""
    rng = random.Random(18)
    alphabet = ["1", "2", " ", "-", "\u2013", "\u2212", "(", ")", "a", "\u200b", "\uff11"]
    for _ in range(400):
        chars = rng.sample(alphabet, rng.randint(3, 8))
        text = "".join(rng.choice(chars) for _ in range(rng.choice([20, 80, 400])))
        expected_text, kept, ends = _reference(text)
        normal = normalise(text)
        assert normal.text == expected_text, text
        kept.append(len(text))
        for offset in range(len(expected_text) + 1):
            assert normal.start(offset) == kept[offset], text
            assert normal.end(offset) == (ends[offset - 1] if offset else 0), text


def test_zero_width_flood_is_normalised_in_linear_time_and_spans_map_back() -> None:
    card = "4111\u200b1111\u200b1111\u200b1111"
    text = ("1\u200b" * 50_000) + " pay with " + card + " today"
    best = min(_cpu(normalise, text) for _ in range(3))
    assert best < 0.05, best  # (target 10 ms; ~3 ms on a quiet machine, a margin for a loaded one)
    findings = [f for f in scan(text) if f.type == "CREDIT_CARD"]
    assert [f.value for f in findings] == [card]


def _cpu(function: object, *args: object) -> float:
    started = time.thread_time()
    function(*args)  # type: ignore[operator]
    return time.thread_time() - started
