"""AWS_ACCESS_KEY and GOOGLE_API_KEY: fixed prefixes and lengths.

AWS access key ids: ``AKIA`` / ``ASIA`` / ``ABIA`` / ``ACCA`` / ``AROA`` / ``AIDA`` and 16 upper-case
letters or digits (not inside a longer upper-case run; lower-case letters may touch it). Google API keys: ``AIza`` and 35 characters of ``A-Z a-z 0-9 _ -``. A zero-width
character inside is removed by normalisation first.
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import Detector

AWS = Detector(
    "AWS_ACCESS_KEY",
    re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}(?![A-Z0-9])", re.ASCII),
    score=1.0,
    hints=("AKIA", "ASIA", "ABIA", "ACCA", "AROA", "AIDA"),
    secret=True,
)
GOOGLE = Detector(
    "GOOGLE_API_KEY",
    re.compile(r"(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])", re.ASCII),
    score=1.0,
    hints=("AIza",),
    secret=True,
)
