"""US_SSN: ``ddd-dd-dddd`` (or spaces / dots, one kind), valid per the SSA's rules.

Not an SSN: area 000, 666 or 9xx, group 00, serial 0000, one repeated digit (``111-11-1111``), digits
glued to a word or another number (``E111111111``); a grouped SSN between slashes is one (``/users/219-09-9999/``,
a path's part), a bare run of 9 digits there an id (``/orders/219099999/``). A bare run of 9 digits is weak (score 0.3: any
9-digit id looks like it): it is a finding only after a context word (``ssn``, ``social security``...),
or when it is the whole text (a form field, a tool argument ``{"member_id": "078051120"}``).
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import CONTEXT_BOOST, CONTEXT_WINDOW, WORD_CHARS, Detector, Runs, ssn_ok

_CONTEXT = ("ssn", "social security", "social sec", "ss#", "ss #", "taxpayer", "tin")

# (a grouped SSN may sit between slashes, as a URL's or a file path's part: ``/users/219-09-9999/``; a bare run of 9
# digits there is an id)
_PATTERN = re.compile(
    r"\d(?<![\w\-.+]\d)\d{2}(?:(?P<s>[ \-.])\d{2}(?P=s)\d{4}(?![\w\-]|\.\d)|(?<!/\d{3})\d{6}(?![\w\-/]|\.\d))", re.ASCII
)
_CONTEXT_RE = re.compile(r"(?<![a-z0-9])(?:" + "|".join(map(re.escape, _CONTEXT)) + ")", re.IGNORECASE)


class SsnDetector(Detector):
    """Grouped SSNs (score 0.85) and bare 9-digit runs (0.85 as a whole text, 0.7 after a context word)."""

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """Valid SSNs of ``text`` (one regex pass for both shapes)."""
        value = text.strip()
        if len(value) == 9:  # a whole field: a form value, a tool argument {"member_id": "078051120"}
            start = text.find(value)
            return [(0.85, start, start + 9)] if value.isdigit() and ssn_ok(value) else []
        if type(runs) is Runs and runs.zeros and _no_shape(runs.zeros):
            return []  # (no run of an SSN's shape, as in most texts, found by substring tests of the runs' bytes)
        if runs is not None and not self.windows(text, runs):
            return []  # (no run of an SSN's shape: nothing to search)
        found: list[tuple[float, int, int]] = []
        for start, end in self.spans(text, runs):
            if end - start != 9:
                found.append((0.85, start, end))
            elif _CONTEXT_RE.search(text, max(0, start - CONTEXT_WINDOW), start) is not None:
                found.append((0.3 + CONTEXT_BOOST, start, end))
        return found


def _no_shape(zeros: bytes) -> bool:
    """``zeros`` (a text's bytes, every digit a "0", see Runs) holds no piece of an SSN's shape (see run_shapes below).

    Nine digits, or 3-2-4 digits with one of `` .-`` between (what every candidate of the pattern is): each holds one of
    these pieces, found by C substring tests, faster than the shapes' search in a text of many groups of 3+ digits.
    """
    return (
        b"000000000" not in zeros
        and b"0-00-0000" not in zeros
        and b"0 00 0000" not in zeros
        and b"0.00.0000" not in zeros
    )


DETECTOR = SsnDetector(
    "US_SSN",
    _PATTERN,
    ssn_ok,
    score=0.85,
    candidates_from="digit_runs",
    min_run=9,
    glued=WORD_CHARS + "-.+/",
    min_digits=9,
    # nine digits, or 3-2-4 with one separator, not glued to more digits ("000" first: the engine skips to it)
    run_shapes=(rb"000(?<!0000)(?:0{6}|(?P<s>[ .\-])00(?P=s)0{4})(?!0)",),
)
