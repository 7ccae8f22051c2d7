"""Rewritten hot paths (issue 13, speed in plain Python) against plain reference versions written here.

``Detector.windows`` builds its windows without re-reading the last one and keys them by an int; ``Runs.long``
is made with the runs; the phone detector's ``_last_word`` cuts ASCII words with one ``rstrip``. Each is
checked against the straightforward version on generated texts (digits, separators, letters, non-ASCII letters).
"""

from __future__ import annotations

import random

from gatekit.governance.detectors import DEFAULT_SCANNER, phone
from gatekit.governance.detectors.base import LONG_RUN, RUN_AFTER, RUN_BEFORE, Detector, Runs, digit_runs, digits_of


def _reference_windows(detector: Detector, text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The windows as the docstring of Detector.windows states them, every run read, no shortcut."""
    need, mark, times, glued, digits, _ = detector._window_key
    live = not glued
    out: list[tuple[int, int]] = []
    for start, end in runs:
        if end - start < need or (times and text.count(mark, start, end) < times):
            continue
        if digits and len(digits_of(text[start:end])) < digits:
            continue
        if not live and not (start and text[start - 1] in glued and text[start:end].isdigit()):
            live = True
        low = max(start - RUN_BEFORE, 0)
        if out and low <= out[-1][1]:
            out[-1] = (out[-1][0], end + RUN_AFTER)
        else:
            out.append((low, end + RUN_AFTER))
    return out if live else []


def _number_detectors() -> list[Detector]:
    return [
        d
        for d in DEFAULT_SCANNER.detectors
        if d.candidates_from == "digit_runs" and not d.run_shapes and type(d).windows is Detector.windows
    ]


def _texts(seed: int, count: int) -> list[str]:
    rng = random.Random(seed)
    alphabet = "0123456789" * 3 + " .-()/_#x+:@" + "aZ" + "\u00e9\u00a0"
    pieces = ["4111 1111 1111 1111", "192.168.1.20", "+44 20 7946 0958", "#W2378156", "555-123-4567", "1.2.3"]
    texts = []
    for _ in range(count):
        parts = [rng.choice(pieces) if rng.random() < 0.2 else rng.choice(alphabet) for _ in range(rng.randrange(60))]
        texts.append("".join(parts))
    return texts


def test_windows_equal_the_reference_windows() -> None:
    detectors = _number_detectors()
    assert {d.type for d in detectors} >= {"CREDIT_CARD", "IP_ADDRESS", "PHONE_NUMBER"}
    for text in _texts(5, 6000):
        runs = digit_runs(text)
        for detector in detectors:
            expected = _reference_windows(detector, text, list(runs))
            assert detector.windows(text, runs) == expected, (text, detector.type)
            assert detector.windows(text, runs) == expected  # (kept on the runs: the same the second time)
            assert detector.windows(text, list(runs)) == expected  # (a plain list of runs)


def test_ssn_windows_are_a_subset_of_the_reference_windows_by_shape() -> None:
    # (SSN windows keep only runs of an SSN's shape: every window lies inside one of the shape-blind windows)
    ssn = next(d for d in DEFAULT_SCANNER.detectors if d.type == "US_SSN")
    for text in _texts(6, 3000):
        runs = digit_runs(text)
        blind = _reference_windows(ssn, text, list(runs))
        for low, high in ssn.windows(text, runs):
            assert any(b_low <= low and high <= b_high for b_low, b_high in blind), text


def test_long_runs_are_the_runs_of_long_run_characters() -> None:
    for text in _texts(7, 3000):
        runs = digit_runs(text)
        assert runs.long == [run for run in runs if run[1] - run[0] >= LONG_RUN]
    assert Runs().long == [] and Runs([(0, 9), (12, 14)], b"").long == [(0, 9)]


def _reference_last_word(text: str) -> str:
    begin = len(text)
    while begin and text[begin - 1].isalpha():
        begin -= 1
    return text[begin:].lower()


def test_last_word_equals_the_letter_by_letter_reference() -> None:
    rng = random.Random(9)
    # ASCII letters, other letters (é, Kelvin sign, dotted İ, long s), digits, blanks and signs
    alphabet = "abcXYZ" * 3 + " \t:#.-1" + "\u00e9\u212a\u0130\u017f\u00df"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(14)))
        assert phone._last_word(text) == _reference_last_word(text), repr(text)
    assert phone._last_word("Order") == "order" and phone._last_word("Caller ID") == "id"
    assert phone._last_word("réf") == "réf" and phone._last_word("no. ") == ""
