"""PRIVATE_KEY: a PEM private-key block, ``-----BEGIN ... PRIVATE KEY-----`` through its END line.

Without an END line, the header and the base64 lines after it. Linear time: the next END marker is
looked up once and reused for every header before it (repeated headers cost one pass, not one per header).
"""

from __future__ import annotations

import re
from typing import ClassVar

from gatekit.governance.detectors.base import Detector

_HEADER = re.compile(r"-----BEGIN[A-Z ]{0,40} PRIVATE KEY(?: BLOCK)?-----", re.ASCII)
_FOOTER = re.compile(r"-----END[A-Z ]{0,40} PRIVATE KEY(?: BLOCK)?-----", re.ASCII)
_BODY = re.compile(r"(?:[ \t\r\n]*+[A-Za-z0-9+/=]{8,}+)*+", re.ASCII)  # the base64 lines after a header
_MAX_BLOCK = 16_384


class PrivateKeyDetector(Detector):
    """Key blocks: a header (the pattern) through its footer; without one, the rest :meth:`unterminated` reads."""

    footer: ClassVar[re.Pattern[str]] = _FOOTER
    max_block: ClassVar[int] = _MAX_BLOCK

    def unterminated(self, text: str, end: int) -> int:
        """The end of a block whose header ends at ``end`` and that has no footer: the base64 lines after it."""
        body = _BODY.match(text, end, min(len(text), end + self.max_block))
        return end if body is None else body.end()

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Every key block of ``text``."""
        found: list[tuple[int, int]] = []
        footer: re.Match[str] | None = None
        exhausted = False  # no footer after the last search's start: none after any later header either
        position = 0
        while True:
            header = self.pattern.search(text, position)
            if header is None:
                return found
            start, end = header.span()
            if not exhausted and (footer is None or footer.start() < end):
                footer = self.footer.search(text, end)
                exhausted = footer is None
            if footer is not None and footer.start() >= end and footer.end() - start <= self.max_block:
                end = footer.end()
            else:
                end = self.unterminated(text, end)
            found.append((start, end))
            position = end


DETECTOR = PrivateKeyDetector("PRIVATE_KEY", _HEADER, score=1.0, hints=("-----BEGIN",), secret=True)
