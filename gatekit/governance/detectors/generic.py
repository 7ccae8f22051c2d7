"""GENERIC_SECRET: a credential assigned to a credential-like name (``password=...``, ``"api_key": "..."``).

The name (``api_key``, ``secret``, ``client_secret``, ``access_token``, ``token``, ``password``, ``passwd``,
``pwd``, ``private_key``, ``access_key_id``...) is followed by ``=``, ``:`` or ``=>`` and a value of 8..200
characters with 3+ bits of entropy per character and a digit (a word such as ``password: hunter``
is prose, not a credential).
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import Detector, shannon_entropy

_PATTERN = re.compile(
    r"(?<![A-Za-z0-9])(?:api[_\-]?key|apikey|secret(?:[_\-]?key)?|client[_\-]?secret|access[_\-]?token|auth[_\-]?token"
    r"|token|password|passwd|pwd|private[_\-]?key|access[_\-]?key(?:[_\-]?id)?)[\"']?[ \t]{0,3}+(?:=>?|:)"
    r"[ \t]{0,3}+[\"']?(?P<value>[^\s\"'`,;]{8,200}+)",
    re.IGNORECASE,
)


def _credential(value: str) -> bool:
    return shannon_entropy(value) >= 3.0 and any(ch.isdigit() for ch in value)


_NAMES = re.compile(r"key|secret|token|pass|pwd", re.IGNORECASE)


class _Generic(Detector):
    def findings(self, text: str) -> list[tuple[float, int, int]]:
        if _NAMES.search(text) is None:  # (one pass in the regex engine: most texts name no credential)
            return []
        return super().findings(text)


DETECTOR = _Generic("GENERIC_SECRET", _PATTERN, _credential, score=0.8, hints=("=", ":"), secret=True)
