"""GENERIC_SECRET: a credential assigned to a credential-like name (``password=...``, ``"api_key": "..."``).

The name (``api_key``, ``secret``, ``client_secret``, ``access_token``, ``token``, ``password``, ``passwd``,
``pwd``, ``private_key``, ``access_key_id``...) is followed by ``=``, ``:`` or ``=>`` and a value of 8..200
characters with 3+ bits of entropy per character and a digit (a word such as ``password: hunter``
is prose, not a credential). Anchored on a name's last letters followed by the sign; the whole name is
then matched in the 44 characters before the sign.
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import VALIDATION_BUDGET, Detector, shannon_entropy

# a sign after a credential name's last letter, a quote or a blank (the engine skips to = and : quickly)
_SIGN = re.compile(r"(?:=>?|:)(?<=[yYtTnNdD\"' \t][=:])")
_NAME = re.compile(
    r"(?<![A-Za-z0-9])(?:api[_\-]?key|apikey|secret(?:[_\-]?key)?|client[_\-]?secret|access[_\-]?token|auth[_\-]?token"
    r"|token|password|passwd|pwd|private[_\-]?key|access[_\-]?key(?:[_\-]?id)?)[\"']?[ \t]{0,3}$",
    re.IGNORECASE,
)
_VALUE = re.compile(r"[ \t]{0,3}+[\"']?(?P<value>[^\s\"'`,;]{8,200}+)")


def _credential(value: str) -> bool:
    return shannon_entropy(value) >= 3.0 and any(ch.isdigit() for ch in value)


class GenericSecretDetector(Detector):
    """Assignments of high-entropy values to credential names."""

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Credential values of ``text``."""
        found: list[tuple[int, int]] = []
        checked = 0
        next_free = 0  # signs inside a value already read start no assignment
        for sign in _SIGN.finditer(text):
            if sign.start() < next_free:
                continue
            at = sign.end() - (2 if sign.group().endswith("=>") else 1)
            if _NAME.search(text, max(0, at - 44), at) is None:
                continue
            value = _VALUE.match(text, sign.end())
            if value is None:
                continue
            next_free = value.end()
            checked += 1
            if checked > VALIDATION_BUDGET or _credential(value.group("value")):
                found.append(value.span("value"))
        return found


DETECTOR = GenericSecretDetector("GENERIC_SECRET", _SIGN, _credential, score=0.8, hints=("=", ":"), secret=True)
