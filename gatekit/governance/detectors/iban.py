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
_MANY_RUNS = 256
_BODIES = {
    length: re.compile(rf"[A-Za-z0-9]{{4}}(?:[ \-]?[A-Za-z0-9]){{{length - 4}}}(?![0-9A-Za-z_])", re.ASCII)
    for length in set(IBAN_LENGTHS.values())
}
# (each country code as it may be written, any case, to its body: one look-up a start, not an upper() and two)
_BODY_OF = {
    first + second: _BODIES[length]
    for code, length in IBAN_LENGTHS.items()
    for first in (code[0], code[0].lower())
    for second in (code[1], code[1].lower())
}


class IbanDetector(Detector):
    """Candidates of an IBAN's shape, then the length their country needs."""

    def windows(self, text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The runs themselves: :meth:`spans` reads them (every run may start an IBAN's check digits)."""
        return runs

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Valid IBANs of ``text`` (past VALIDATION_BUDGET candidates, IBAN-shaped ones: see Detector.spans).

        Given the text's digit runs, only the runs that follow two letters are tried: the check digits
        after the country code start a run (a letter is no run character).
        """
        found: list[tuple[int, int]] = []
        checked = 0
        if runs is None or len(runs) > _MANY_RUNS:  # (many runs: one C pass over the text is cheaper)
            starts = [match.start() for match in _START.finditer(text)]
        else:  # (as finditer would: no candidate starts inside the previous one)
            starts = []
            next_free = 0
            for at, _ in runs:
                if at > 1 and at >= next_free and text[at - 2 : at].isalpha():
                    start = _START.match(text, at)
                    if start is not None:
                        starts.append(at)
                        next_free = start.end()
        for at in starts:
            begin = at - 2
            shape = _BODY_OF.get(text[begin:at])
            if shape is None:
                continue
            body = shape.match(text, begin)
            if body is None:
                continue
            checked += 1
            if checked > VALIDATION_BUDGET or iban_ok(body.group()):
                found.append(body.span())
        return found


DETECTOR = IbanDetector("IBAN_CODE", _START, score=0.95, candidates_from="digit_runs", min_run=2)
