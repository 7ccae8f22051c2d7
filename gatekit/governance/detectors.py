"""Sensitive-data detectors: PII and secrets found in one pass over a text.

All detectors live in ONE compiled regular expression with a named group per
detector; a match is then confirmed by a cheap validator (Luhn for cards, mod-97
for IBANs, SSN validity rules, octet ranges / ``ipaddress`` for IPs, Shannon
entropy for generic credentials). Scanning a text is therefore one ``finditer``
call, whatever the number of detectors.

PII types are named as Microsoft Presidio names them (``EMAIL_ADDRESS``,
``PHONE_NUMBER``, ``CREDIT_CARD``, ``US_SSN``, ``IBAN_CODE``, ``IP_ADDRESS``);
secrets are named by kind (``AWS_ACCESS_KEY``, ``GITHUB_TOKEN``, ...).
"""

from __future__ import annotations

import ipaddress
import math
import re
from collections.abc import Callable
from dataclasses import dataclass

PII_TYPES: tuple[str, ...] = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
)
SECRET_TYPES: tuple[str, ...] = (
    "PRIVATE_KEY",
    "AWS_ACCESS_KEY",
    "GITHUB_TOKEN",
    "SLACK_TOKEN",
    "GOOGLE_API_KEY",
    "JWT",
    "GENERIC_SECRET",
)
ALL_TYPES: tuple[str, ...] = PII_TYPES + SECRET_TYPES


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected sensitive value: its type and where it is in the scanned text."""

    type: str
    start: int
    end: int
    value: str

    @property
    def is_secret(self) -> bool:
        """True for credentials (secrets), False for personal data."""
        return self.type in _SECRET_SET


_SECRET_SET = frozenset(SECRET_TYPES)

# --- validators --------------------------------------------------------------------------------


def luhn_ok(digits: str) -> bool:
    """Return True when the digit string passes the Luhn checksum."""
    total = 0
    parity = len(digits) % 2
    for index, char in enumerate(digits):
        value = ord(char) - 48
        if index % 2 == parity:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """US SSN validity (SSA rules): area not 000/666/9xx, group not 00, serial not 0000."""
    return area != "000" and area != "666" and area[0] != "9" and group != "00" and serial != "0000"


# IBAN length per country (ISO 13616 registry).
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


def iban_ok(candidate: str) -> bool:
    """ISO 13616 check: known country, its length, and mod-97 of the rearranged number == 1."""
    iban = candidate.replace(" ", "").replace("-", "").upper()
    expected = _IBAN_LENGTHS.get(iban[:2])
    if expected is None or len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def shannon_entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


# --- the combined expression -------------------------------------------------------------------

_SEP = r"[ \-]?"
_PATTERNS: list[tuple[str, str]] = [
    # secrets first: a JWT or key must not be split up as PII
    (
        "PRIVATE_KEY",
        r"-----BEGIN[A-Z ]{0,40} PRIVATE KEY(?: BLOCK)?-----"
        r"(?:[\s\S]{0,10000}?-----END[A-Z ]{0,40} PRIVATE KEY(?: BLOCK)?-----)?",
    ),
    ("AWS_ACCESS_KEY", r"(?<![A-Z0-9])(?:AKIA|ASIA|ABIA|ACCA|AROA|AIDA)[A-Z0-9]{16}(?![A-Z0-9])"),
    (
        "GITHUB_TOKEN",
        r"(?<![A-Za-z0-9_])(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{60,255})(?![A-Za-z0-9_])",
    ),
    ("SLACK_TOKEN", r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9-]{10,250}"),
    ("GOOGLE_API_KEY", r"(?<![A-Za-z0-9_-])AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])"),
    ("JWT", r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    (
        "GENERIC_SECRET",
        r"(?i:(?<![a-z0-9])(?:api[_-]?key|apikey|secret(?:[_-]?key)?|client[_-]?secret|access[_-]?token"
        r"|auth[_-]?token|token|password|passwd|pwd|private[_-]?key|access[_-]?key(?:[_-]?id)?)"
        r"[\"']?\s{0,3}(?:=|:|=>)\s{0,3}[\"']?)(?P<GENERIC_SECRET_VALUE>[^\s\"'`,;]{8,200})",
    ),
    (
        "EMAIL_ADDRESS",
        r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}@"
        r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])",
    ),
    (
        "IBAN_CODE",
        r"(?<![A-Za-z0-9])[A-Za-z]{2}\d{2}(?:[ \-]?[A-Za-z0-9]){11,30}(?![A-Za-z0-9])",
    ),
    (
        "US_SSN",
        r"(?<![\d\-])(?P<SSN_A>\d{3})(?P<SSN_SEP>[ \-]?)(?P<SSN_G>\d{2})(?P=SSN_SEP)"
        r"(?P<SSN_S>\d{4})(?![\d\-])",
    ),
    ("CREDIT_CARD", r"(?<![\d\-])\d(?:" + _SEP + r"?\d){11,18}(?![\d])"),
    (
        "IP_ADDRESS",
        r"(?<![\w.:])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]*\d)"
        r"|(?<![\w:])(?=[0-9A-Fa-f:]*:[0-9A-Fa-f]*:)[0-9A-Fa-f:]{2,39}(?![\w:])",
    ),
    (
        "PHONE_NUMBER",
        r"(?<![\w+\-])(?:\+\d{1,3}[ .\-]?(?:\(0\)[ .\-]?)?|00\d{1,3}[ .\-])?"
        r"(?:\(\d{1,4}\)[ .\-]?)?\d{2,5}(?:[ .\-]\d{2,5}){0,4}(?![\w\-])",
    ),
]


def _group_name(kind: str) -> str:
    return kind


COMBINED = re.compile("|".join(f"(?P<{_group_name(kind)}>{pattern})" for kind, pattern in _PATTERNS))


def _phone_ok(value: str) -> bool:
    digits = sum(ch.isdigit() for ch in value)
    if digits < 7 or digits > 15:
        return False
    # a bare run of digits is a phone only when it has 10 or 11 digits (e.g. 9498777106)
    return not (value.isdigit() and digits not in (10, 11))


def _validate(kind: str, match: re.Match[str]) -> tuple[int, int] | None:
    """Return the span to report for a regex match, or None when its validator rejects it."""
    value = match.group(kind)
    if kind == "CREDIT_CARD":
        digits = value.replace(" ", "").replace("-", "")
        if len(digits) < 12 or len(digits) > 19 or not luhn_ok(digits):
            return None
    elif kind == "US_SSN":
        if not ssn_ok(match.group("SSN_A"), match.group("SSN_G"), match.group("SSN_S")):
            return None
    elif kind == "IBAN_CODE":
        if not iban_ok(value):
            return None
    elif kind == "IP_ADDRESS":
        if ":" in value:
            try:
                ipaddress.IPv6Address(value)
            except ValueError:
                return None
            if value.count(":") < 2 or sum(ch.isalnum() for ch in value) < 3:
                return None
    elif kind == "PHONE_NUMBER":
        if not _phone_ok(value):
            return None
    elif kind == "GENERIC_SECRET":
        secret = match.group("GENERIC_SECRET_VALUE")
        if shannon_entropy(secret) < 3.0 or not any(ch.isdigit() for ch in secret):
            return None
        return match.span("GENERIC_SECRET_VALUE")
    return match.span(kind)


_KINDS: tuple[str, ...] = tuple(kind for kind, _ in _PATTERNS)
ValidatorFn = Callable[[str, "re.Match[str]"], "tuple[int, int] | None"]


def scan(text: str) -> list[Finding]:
    """Find PII and secrets in ``text`` in one pass; findings are ordered by position and never overlap."""
    if not text:
        return []
    findings: list[Finding] = []
    for match in COMBINED.finditer(text):
        kind = match.lastgroup
        if kind is None:
            continue
        if kind not in _KIND_SET:
            # lastgroup can name an inner group; find the outer detector group that matched
            kind = next(k for k in _KINDS if match.group(k) is not None)
        span = _validate(kind, match)
        if span is None:
            continue
        start, end = span
        findings.append(Finding(kind, start, end, text[start:end]))
    return findings


_KIND_SET = frozenset(_KINDS)

__all__ = ["ALL_TYPES", "PII_TYPES", "SECRET_TYPES", "Finding", "iban_ok", "luhn_ok", "scan", "ssn_ok"]
