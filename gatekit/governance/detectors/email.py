"""EMAIL_ADDRESS: a local part, ``@`` and a domain with a top-level label of 2..24 letters.

Anchored on each ``@`` (the regex engine skips to them): the domain is matched after it, the local
part (the run of characters ``A-Z a-z 0-9 . _ % + -`` before it, from its first letter or digit) is
grown back from it. A full-width ``＠`` reads as ``@`` after normalisation; a zero-width character
inside the address is removed by it.
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import Detector

_DOMAIN = re.compile(r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])", re.ASCII)
_LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"


class EmailDetector(Detector):
    """E-mail addresses, grown around each ``@``."""

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Every e-mail address of ``text``."""
        found: list[tuple[int, int]] = []
        low = 0  # the previous address's end: a local part never reaches back into it
        for domain in _DOMAIN.finditer(text):
            at = domain.start()
            local = text[low:at]
            local = local[len(local.rstrip(_LOCAL_CHARS)) :].lstrip("._%+-")  # (from its first letter or digit)
            if local:
                low = domain.end()
                found.append((at - len(local), low))
        return found


DETECTOR = EmailDetector("EMAIL_ADDRESS", _DOMAIN, score=0.95, hints=("@",))
