"""Sensitive-data detectors: PII and secrets, one module per entity type, in the manner of Presidio's recognizers.

Each entity type is a :class:`Detector` (candidate pattern, validator, optional context words, score);
``registry.DEFAULT_DETECTORS`` lists them and :func:`scan` runs them on a normalised copy of the text,
returning spans of the original. PII types are named as Microsoft Presidio names them (``EMAIL_ADDRESS``,
``PHONE_NUMBER``, ``CREDIT_CARD``, ``US_SSN``, ``IBAN_CODE``, ``IP_ADDRESS``); secrets by kind
(``AWS_ACCESS_KEY``, ``GITHUB_TOKEN``, ...). Policies add detectors in YAML (see docs/governance.md).
"""

from __future__ import annotations

from gatekit.governance.detectors.base import (
    VALIDATORS,
    Detector,
    Finding,
    iban_ok,
    luhn_ok,
    mod97_ok,
    shannon_entropy,
    ssn_ok,
)
from gatekit.governance.detectors.registry import (
    ALL_TYPES,
    DEFAULT_DETECTORS,
    DEFAULT_SCANNER,
    PII_TYPES,
    SECRET_TYPES,
    Scanner,
    custom_detector,
    scan,
    scan_texts,
    scanner_for,
)

__all__ = [
    "ALL_TYPES",
    "DEFAULT_DETECTORS",
    "DEFAULT_SCANNER",
    "PII_TYPES",
    "SECRET_TYPES",
    "VALIDATORS",
    "Detector",
    "Finding",
    "Scanner",
    "custom_detector",
    "iban_ok",
    "luhn_ok",
    "mod97_ok",
    "scan",
    "scan_texts",
    "scanner_for",
    "shannon_entropy",
    "ssn_ok",
]
