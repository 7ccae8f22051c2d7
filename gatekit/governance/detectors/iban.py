"""IBAN_CODE: a country code, two check digits and the country's length of letters and digits (ISO 13616).

Compact or grouped by single spaces / dashes, any case; valid when the length is the country's and the
ISO 7064 mod-97 check holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gatekit.governance.detectors.base import IBAN_LENGTHS, Detector, iban_ok

_START = re.compile(r"(?<![0-9A-Za-z_])[A-Za-z]{2}\d{2}", re.ASCII)
_BODIES = {
    length: re.compile(rf"[A-Za-z0-9]{{4}}(?:[ \-]?[A-Za-z0-9]){{{length - 4}}}(?![0-9A-Za-z_])", re.ASCII)
    for length in set(IBAN_LENGTHS.values())
}


class IbanDetector(Detector):
    """Candidates grown from each ``CCdd`` start to the length its country needs."""

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Valid IBANs of ``text``."""
        for start in _START.finditer(text):
            length = IBAN_LENGTHS.get(start.group()[:2].upper())
            if length is None:
                continue
            body = _BODIES[length].match(text, start.start())
            if body is not None and iban_ok(body.group()):
                yield body.span()


DETECTOR = IbanDetector("IBAN_CODE", _START, score=0.95, hints=())
