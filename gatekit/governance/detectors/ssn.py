"""US_SSN: ``ddd-dd-dddd`` (or spaces / dots, one kind), valid per the SSA's rules.

Not an SSN: area 000, 666 or 9xx, group 00, serial 0000, one repeated digit (``111-11-1111``), digits
glued to a word or another number (``E111111111``). A bare run of 9 digits is weak (score 0.3: any
9-digit id looks like it): it is a finding only after a context word (``ssn``, ``social security``...),
or when it is the whole text (a form field, a tool argument ``{"member_id": "078051120"}``).
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import Detector, ssn_ok

_CONTEXT = ("ssn", "social security", "social sec", "ss#", "ss #", "taxpayer", "tin")

GROUPED = Detector(
    "US_SSN",
    re.compile(r"\d(?<![\w\-.+/]\d)\d{2}(?P<s>[ \-.])\d{2}(?P=s)\d{4}(?![\w\-/]|\.\d)", re.ASCII),
    ssn_ok,
    score=0.85,
    needs_digit=True,
)


class _BareSsn(Detector):
    """A bare 9-digit run: weak in running text, an SSN when it is the whole text (a form field, an argument)."""

    def findings(self, text: str) -> list[tuple[float, int, int]]:
        """Findings at full score for a whole-text value, else only after a context word."""
        value = text.strip()
        if len(value) == 9:
            start = text.find(value)
            return [(0.85, start, start + 9)] if value.isdigit() and ssn_ok(value) else []
        return super().findings(text)


BARE = _BareSsn(
    "US_SSN",
    re.compile(r"\d(?<![\w\-.+/]\d)\d{8}(?![\w\-/]|\.\d)", re.ASCII),
    ssn_ok,
    score=0.3,
    context=_CONTEXT,
    needs_digit=True,
)
