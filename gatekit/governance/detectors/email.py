"""EMAIL_ADDRESS: a local part, ``@`` and a domain with a top-level label of 2..24 letters.

The local part is the whole run of characters ``A-Z a-z 0-9 . _ % + -`` before the ``@`` (a
full-width ``＠`` reads as ``@`` after normalisation; a zero-width character inside the address is
removed by it).
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import Detector

PATTERN = re.compile(
    r"[A-Za-z0-9._%+\-](?<![A-Za-z0-9._%+\-][A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]*+"
    r"@(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])",
    re.ASCII,
)

DETECTOR = Detector("EMAIL_ADDRESS", PATTERN, score=0.95, hints=("@",))
