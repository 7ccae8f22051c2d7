"""AWS_ACCESS_KEY and GOOGLE_API_KEY: fixed prefixes and lengths.

AWS access key ids: ``AKIA`` / ``ASIA`` / ``ABIA`` / ``ACCA`` / ``AROA`` / ``AIDA`` and 16 upper-case
letters or digits (not inside a longer upper-case run; lower-case letters may touch it); the secret access key
written in the 160 characters after one (40 characters of base64 with both cases, not inside a longer run),
named or not (``AKIA... wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY``, a CSV's next column). Google API keys: ``AIza`` and 35 characters of ``A-Z a-z 0-9 _ -``. A zero-width
character inside is removed by normalisation first. A key whose last 12 characters are one repeated character
(``AKIAXXXXXXXXXXXXXXXX``) is a placeholder.
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import VALIDATION_BUDGET, Detector
from gatekit.governance.detectors.tokens import not_repeated

# an AWS secret access key: 40 characters of base64 (no padding), not inside a longer run of them
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])", re.ASCII)
_SECRET_REACH = 160  # characters after a key id searched for its secret (the next field, line or column)
# (below GENERIC_SECRET's 0.8: a secret named ``aws_secret_access_key = ...`` stays that type)
_SECRET_SCORE = 0.75


def _aws_secret(value: str) -> bool:
    """Upper- and lower-case letters and a digit, ``/`` or ``+``: random base64 (a hex digest has no capitals)."""
    return (
        not value.isupper()
        and not value.islower()
        and any(char.isdigit() or char in "/+" for char in value)
        and any(char.isalpha() for char in value)
    )


class AwsDetector(Detector):
    """AWS access key ids, and the secret access key written after one, named or not."""

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every key id of ``text`` and of the first secret in the 160 characters after it.

        ``AKIA... je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY``, a CSV's ``AKIA...,<secret>``: the secret is a finding
        of this type (the pair is the credential), scored below GENERIC_SECRET: a named one keeps that type.
        """
        found = super().findings(text, runs)
        if not found:
            return found
        secrets: list[tuple[float, int, int]] = []
        after = 0
        for _, _, end in found[:VALIDATION_BUDGET]:
            if end < after:
                continue
            for match in _AWS_SECRET.finditer(text, end, min(len(text), end + _SECRET_REACH)):
                if _aws_secret(match.group()):
                    secrets.append((_SECRET_SCORE, match.start(), match.end()))
                    after = match.end()
                    break
        if len(found) > VALIDATION_BUDGET:  # a hostile text: past the budget, every secret's shape (more redaction)
            rest = max(after, found[VALIDATION_BUDGET][2])
            secrets += [(_SECRET_SCORE, *match.span()) for match in _AWS_SECRET.finditer(text, rest)]
        return sorted(found + secrets, key=lambda one: one[1]) if secrets else found


AWS = AwsDetector(
    "AWS_ACCESS_KEY",
    re.compile(r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}(?![A-Z0-9])", re.ASCII),
    not_repeated,
    score=1.0,
    hints=("AKIA", "ASIA", "ABIA", "ACCA", "AROA", "AIDA"),
    secret=True,
)
GOOGLE = Detector(
    "GOOGLE_API_KEY",
    re.compile(r"(?<![A-Za-z0-9_\-])AIza[0-9A-Za-z_\-]{35}(?![A-Za-z0-9_\-])", re.ASCII),
    not_repeated,
    score=1.0,
    hints=("AIza",),
    secret=True,
)
