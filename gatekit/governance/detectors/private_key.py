"""PRIVATE_KEY: a PEM private-key block, ``-----BEGIN ... PRIVATE KEY-----`` through its END line.

Without an END line, the header and the base64 lines after it. Linear time: the next END marker is
looked up once and reused for every header before it (repeated headers cost one pass, not one per header).

Also such a block encoded in base64 once more, as a Kubernetes Secret's ``data:`` holds it (``tls.key:
LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0t...``) or a CI variable: base64 of ``-----BEGIN`` is always ``LS0tLS1CRUdJTi``, and
the decoded header line must name a private key (a certificate's, ``ca.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0t...``, is
public: no finding). The finding is the whole base64 value.
"""

from __future__ import annotations

import base64
import binascii
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


# (base64 of "-----BEGIN ", then the rest of the value; its first 96 characters hold the header line decoded)
_ENCODED = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/]{16,}+={0,2}+", re.ASCII)
_ENCODED_HEADER = re.compile(rb"-----BEGIN[A-Z ]{0,40} PRIVATE KEY(?: BLOCK)?-----")


def encoded_key(value: str) -> bool:
    """``value`` is base64 of a PEM block whose header names a private key."""
    head = value[:96]
    try:
        decoded = base64.b64decode(head[: len(head) // 4 * 4], validate=True)
    except (binascii.Error, ValueError):
        return False
    return _ENCODED_HEADER.match(decoded) is not None


ENCODED = Detector("PRIVATE_KEY", _ENCODED, encoded_key, score=1.0, hints=("LS0tLS1CRUdJTi",), secret=True)
