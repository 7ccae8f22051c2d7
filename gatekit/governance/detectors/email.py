"""EMAIL_ADDRESS: a local part, ``@`` and a domain with a top-level label of 2..24 letters.

Anchored on each ``@`` (a full-width ``＠`` reads as one after normalisation; a zero-width character
inside the address is removed by it): the domain is matched after it, the local part (up to 64
characters ``A-Z a-z 0-9 . _ % + -``, starting with a letter or digit) is grown back from it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from gatekit.governance.detectors.base import Detector

_DOMAIN = re.compile(r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])", re.ASCII)
_LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-"
_ALNUM = re.compile(r"[A-Za-z0-9]", re.ASCII)


class EmailDetector(Detector):
    """E-mail addresses, grown around each ``@``."""

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Every e-mail address of ``text``."""
        at = text.find("@")
        while at != -1:
            domain = _DOMAIN.match(text, at)
            if domain is None:
                at = text.find("@", at + 1)
                continue
            low = max(0, at - 64)
            begin = low + len(text[low:at].rstrip(_LOCAL_CHARS))
            first = _ALNUM.search(text, begin, at)
            if first is not None:
                yield first.start(), domain.end()
            at = text.find("@", domain.end())


DETECTOR = EmailDetector("EMAIL_ADDRESS", _DOMAIN, score=0.95, hints=("@",))
