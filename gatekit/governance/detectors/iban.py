"""IBAN_CODE: a country code, two check digits and the country's length of letters and digits (ISO 13616).

Compact or grouped by single spaces / dashes, any case; valid when the length is the country's and the
ISO 7064 mod-97 check holds.
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import IBAN_LENGTHS, VALIDATION_BUDGET, Detector, iban_ok

# an IBAN's shape, any country; anchored on the first check digit with the country code checked behind it,
# so that the regex engine skips to digits
_START = re.compile(
    r"\d(?<=[A-Za-z]{2}\d)(?<![0-9A-Za-z_][A-Za-z]{2}\d)\d(?:[ \-]?[A-Za-z0-9]){11,30}(?![0-9A-Za-z_])", re.ASCII
)
_BODIES = {
    length: re.compile(rf"[A-Za-z0-9]{{4}}(?:[ \-]?[A-Za-z0-9]){{{length - 4}}}(?![0-9A-Za-z_])", re.ASCII)
    for length in set(IBAN_LENGTHS.values())
}


class IbanDetector(Detector):
    """Candidates of an IBAN's shape, then the length their country needs."""

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Valid IBANs of ``text`` (past VALIDATION_BUDGET candidates, IBAN-shaped ones: see Detector.spans)."""
        found: list[tuple[int, int]] = []
        checked = 0
        for start in _START.finditer(text):
            begin = start.start() - 2
            length = IBAN_LENGTHS.get(text[begin : begin + 2].upper())
            if length is None:
                continue
            body = _BODIES[length].match(text, begin)
            if body is None:
                continue
            checked += 1
            if checked > VALIDATION_BUDGET or iban_ok(body.group()):
                found.append(body.span())
        return found


DETECTOR = IbanDetector("IBAN_CODE", _START, score=0.95, needs_digit=True)
