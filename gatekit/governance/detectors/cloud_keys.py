"""AWS_ACCESS_KEY and GOOGLE_API_KEY: fixed prefixes and lengths.

AWS access key ids: ``AKIA`` / ``ASIA`` / ``ABIA`` / ``ACCA`` / ``AROA`` / ``AIDA`` and 16 upper-case
letters or digits (not inside a longer upper-case run; lower-case letters may touch it); the secret access key
written in the 160 characters after one (40 characters of base64 with both cases, not inside a longer run),
named or not (``AKIA... wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY``, a CSV's next column). Google API keys: ``AIza`` and 35 characters of ``A-Z a-z 0-9 _ -``. A zero-width
character inside is removed by normalisation first. A key whose last 12 characters are one repeated character
(``AKIAXXXXXXXXXXXXXXXX``) is a placeholder.

Twilio (API_TOKEN): an API key SID, ``SK`` and 32 lower-case hex digits, is a key id as AWS's ``AKIA…`` is; the
credential is the string beside it. A quoted string argument next to a quoted ``SK…`` or ``AC…`` (an account SID) in a
call or list (``Client('SK…', '<secret>', 'AC…')``, ``Client("AC…", "<auth token>")``), of 16..128 token characters
with letters, a digit and 3+ bits of entropy per character and no SID itself, is a finding. An ``AC…`` account SID
alone is an identifier, no finding.
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import VALIDATION_BUDGET, Detector, shannon_entropy
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


# a Twilio SID: an API key's ("SK", a key id) or an account's ("AC"), 32 lower-case hex digits, not inside a longer token
_TWILIO_SID = re.compile(r"(?<![A-Za-z0-9_])(?:SK|AC)[0-9a-f]{32}(?![A-Za-z0-9_])", re.ASCII)
# a quoted string argument right after a SID's closing quote (its quote is group 1), or right before its opening one
# (read on the 160 characters before it)
_TWILIO_AFTER = re.compile(r"[ \t]{0,3}+,[ \t]{0,3}+([\"'])(?P<value>[A-Za-z0-9_\-+/=]{16,128}+)\1", re.ASCII)
_TWILIO_BEFORE = re.compile(r"([\"'])(?P<value>[A-Za-z0-9_\-+/=]{16,128}+)\1[ \t]{0,3}+,[ \t]{0,3}+$", re.ASCII)


def _twilio_secret(value: str) -> bool:
    """Letters, a digit, 3+ bits of entropy per character; not itself a SID (``Client('AC…', 'SK…')``)."""
    return (
        _TWILIO_SID.fullmatch(value) is None
        and any(char.isdigit() for char in value)
        and any(char.isalpha() for char in value)
        and shannon_entropy(value) >= 3.0
    )


class TwilioDetector(Detector):
    """Twilio API key SIDs (``SK…``), and the secret passed beside an API key's or an account's SID."""

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every ``SK…`` SID of ``text`` and of a quoted secret next to a quoted SID.

        The secret scores below GENERIC_SECRET's 0.8 (``password='…'`` beside a SID keeps that type).
        """
        if "SK" not in text and "AC" not in text:
            return []
        found: list[tuple[float, int, int]] = []
        for checked, sid in enumerate(_TWILIO_SID.finditer(text)):
            start, end = sid.span()
            if text.startswith("SK", start) and not_repeated(sid.group()):
                found.append((self.score, start, end))
            if (
                checked >= VALIDATION_BUDGET
                or not start
                or text[start - 1] not in "\"'"
                or text[end : end + 1] != text[start - 1]
            ):
                continue
            after = _TWILIO_AFTER.match(text, end + 1)
            if after is not None and _twilio_secret(after.group("value")):
                found.append((_SECRET_SCORE, *after.span("value")))
            before = _TWILIO_BEFORE.search(text, max(0, start - 1 - _SECRET_REACH), start - 1)
            if before is not None and _twilio_secret(before.group("value")):
                found.append((_SECRET_SCORE, *before.span("value")))
        if len(found) > 1:
            found = sorted(set(found), key=lambda one: one[1])
        return found

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """The ``SK…`` SIDs of ``text`` and the secrets beside a SID (see :meth:`findings`)."""
        return [(start, end) for _, start, end in self.findings(text, runs)]


TWILIO = TwilioDetector("API_TOKEN", _TWILIO_SID, not_repeated, score=1.0, hints=("SK", "AC"), secret=True)
