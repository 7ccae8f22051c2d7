"""The ``variant`` label the guard writes on every row: operator configuration, checked once when it is set.

A variant is a short plain name (``canary``, ``baseline``, ``canary-v2``), not user data. Scrubbing it per row
cannot be complete (``canary-555-123-4567`` is no phone number to a detector that wants a word boundary), so a
label that is not a plain name, or that holds what looks like personal data or a number of 7 or more digits
(a phone or account number), is refused where it is configured: ``ValueError`` / ``--variant`` exit 2.

A calendar date is not such a number: ``canary-20261207`` and ``canary-2026-12-07`` (years 2000-2099, a real month
and day, not touching other digits) are allowed — rollouts are commonly named by their day. The date is taken out
before the digit count, so ``canary-20261207-5551234`` is still refused.
"""

from __future__ import annotations

import re

MAX_LABEL = 64
_PLAIN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]*")
_LONG_NUMBER = re.compile(r"\d(?:[-._:]?\d){6,}")  # 7+ digits, separators allowed between them
# a date YYYYMMDD or YYYY-MM-DD (one separator kind), 2000-2099, not part of a longer run of digits
_DATE = re.compile(r"(?<!\d)20\d\d([-._]?)(?:0[1-9]|1[0-2])\1(?:0[1-9]|[12]\d|3[01])(?!\d)")


def variant_problem(value: object) -> str | None:
    """Why ``value`` cannot be a variant label (one line, without the value), or None when it can."""
    if value is None:
        return None
    if not isinstance(value, str):
        return f"must be text, not {type(value).__name__}"
    if not value or len(value) > MAX_LABEL or not _PLAIN.fullmatch(value):
        return (
            f"must be a plain name of 1-{MAX_LABEL} letters, digits, '.', '_', ':' or '-' starting with a letter "
            "or digit (e.g. canary, baseline, canary-v2)"
        )
    from gatekit.redact import scrub

    if _LONG_NUMBER.search(_DATE.sub("d", value)) or scrub(value) != value:
        return (
            "looks like personal data or a phone/account number (7 or more digits); a variant is written on every "
            "row, use a plain name (e.g. canary, canary-v2) or a date as YYYYMMDD / YYYY-MM-DD (e.g. canary-20261207)"
        )
    return None


def check_variant(value: str | None) -> str | None:
    """``value`` when it is a valid variant label; ``ValueError`` naming the field otherwise."""
    problem = variant_problem(value)
    if problem is not None:
        raise ValueError(f"variant: {problem}")
    return value
