"""CREDIT_CARD: 12..19 digits, compact or in groups (4-4-4-4[-1..7], Amex 4-6-5), Luhn-valid.

Group separators: space (NBSP and other spaces after normalisation), ``-``, ``.``, ``/``, ``_``, or up to
three of them (``4111  1111  1111  1111``, ``4111 - 1111 - 1111 - 1111``), each gap its own (as in
Presidio's pattern: ``4111 1111-1111 1111``). A soft hyphen or zero-width character inside is removed by
normalisation, so the number reads compact. A card followed by more digits (``4111 1111 1111 1111 123``,
``... 12/26``) is found: a grouped candidate ends at a group boundary. Not found: digits glued to a word or
another number, a number of one repeated digit (``0000 0000 0000 0000``), a Luhn failure.
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import WORD_CHARS, Detector, digits_of, luhn_ok

_SEP = r"[ \-./_]{1,3}+"  # (one to three: "4111  1111  1111  1111", "4111 - 1111 - 1111 - 1111")
# (a digit first, the character before it checked behind: the engine skips to digits, and inside a long run
# of digits each start fails after one digit)
PATTERN = re.compile(
    r"\d(?<![\w\-.+]\d)\d{3}"
    rf"(?:{_SEP}\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{1,7}}+|{_SEP}\d{{6}}{_SEP}\d{{4,5}}+|\d{{8,15}}+)"
    r"(?![\w\-])",
    re.ASCII,
)


def card_ok(value: str) -> bool:
    """Luhn-valid, 12..19 digits, not one repeated digit."""
    digits = digits_of(value)
    return 12 <= len(digits) <= 19 and luhn_ok(digits)


DETECTOR = Detector(
    "CREDIT_CARD",
    PATTERN,
    card_ok,
    score=0.95,
    candidates_from="digit_runs",
    min_run=12,
    glued=WORD_CHARS + "-.+",
    min_digits=12,
)
