"""Round speed19b: a long phone window's chains are found as the reader goes, not all before it starts.

A hostile 100 KB text of amounts or numbers ("1 234 567,89\\n" 7,700 times) is one window of one group of chains:
the reader stops at its budgets after a fraction of it, so the chains past that are never to be searched. The window
is yielded in parts, each ending between two chains where no match can run across (_cut); the parts, read in turn,
must give exactly what the window read whole gives.
"""

from __future__ import annotations

import random

import pytest

from gatekit.governance.detectors import phone
from gatekit.governance.detectors.base import Runs, digit_runs


def _runs(text: str) -> Runs:
    runs = digit_runs(text)
    return Runs(runs, runs.zeros)


def test_a_long_group_of_chains_is_yielded_in_parts_before_the_text_is_searched_to_its_end() -> None:
    text = "1 234 567,89\n" * 7_700
    runs = _runs(text)
    windows = phone.DETECTOR.windows(text, runs)
    assert len(windows) == 1 and windows[0][1] - windows[0][0] > 99_000  # (one window of the whole text)
    parts = phone._chains(windows, runs)
    low, high = next(parts)
    assert low == 0 and 0 < high < 1_000  # (the first part, made from its first chains alone)
    assert high == text.index("1 234", high - 4)  # (cut right before a chain: no match runs across it)


@pytest.mark.parametrize(
    ("left", "right", "cut"),
    [
        ("555 123 4567", "555 123 4567", 13),  # (right before the next chain's first digit)
        ("555 123 4567", "+44 20 7946 0958", 13),  # (before its "+")
        ("555 123 4567", "+ (44) 20 7946 0958", 13),  # (before "+ (")
        ("(555)1234567", "(555) 123 4567", 13),  # (before its "(")
        ("555 123 4567", "+(44) 20 7946 0958", 13),
    ],
)
def test_a_cut_falls_before_the_signs_a_match_may_start_with(left: str, right: str, cut: int) -> None:
    text = f"{left},{right}"
    zeros = _runs(text).zeros
    start = len(left) + 1 + next(index for index, char in enumerate(right) if char.isdigit())
    assert phone._cut(zeros, len(left), start) == cut


def test_a_cut_falls_after_a_closing_parenthesis() -> None:
    text = "(555)1234567)+1234567"
    zeros = _runs(text).zeros
    end = text.index(")+")  # (a ")" right after the chain's last digit may end its match: the cut is after it)
    assert phone._cut(zeros, end, end + 2) == end + 1


def test_parts_give_the_findings_of_the_whole_windows() -> None:
    """Long groups of chains (numbers joined by characters no gap reads), read in parts, find what reading whole does."""
    rng = random.Random(19)
    numbers = [
        "555-123-4567", "+44 20 7946 0958", "(555) 555-5555x1234", "+ (44) 20 7946", "415.555.2671", "1 234 567",
        "+1 646 555 0142", "(212)5550187", "089/1234567", "2125550143", "1234567", "12 34 56 78 90", "+(44)2079460958",
    ]  # fmt: skip
    joins = [",", ",6", ")", ")+", "+", " +", "(", ",(", ";", "a", "=1", ":", "\n", " x ", "/", ")(", "+ ", "#"]
    parted = 0
    for _ in range(120):
        text = "".join(rng.choice(numbers) + rng.choice(joins) for _ in range(rng.randint(100, 900)))
        runs = _runs(text)
        windows = phone.DETECTOR.windows(text, runs)
        parts = list(phone._chains(windows, runs))
        parted += len(parts) > len(windows) + 2
        whole = phone.DETECTOR._spans(text, windows, runs)  # (each window read whole)
        assert [(start, end) for _, start, end in phone.DETECTOR.findings(text, runs)] == whole
    assert parted > 60  # (the windows were read in parts)
