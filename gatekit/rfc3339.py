"""RFC 3339 text read the same way everywhere: ``T``/``t`` and ``Z``/``z`` alike (RFC 3339 §5.6, NOTE).

Python's ``datetime.fromisoformat`` (3.11) reads a lowercase ``t`` but not a lowercase ``z``, DuckDB's and Spark's
casts read neither: ``2026-12-01t10:00:00z`` refused a whole production log. The Python readers go through
:func:`from_rfc3339`; the engines upper-case text of :data:`LOWER_CASE_SQL`'s shape (digits, punctuation, ``t``/``z``
only, so no zone name such as ``Europe/Paris`` is touched) before their cast.
"""

from __future__ import annotations

from datetime import datetime

# a date-time with a lowercase t or z and nothing else but digits and punctuation (an SQL / Java regular expression,
# matched whole)
LOWER_CASE_SQL = r"[+-]?[0-9]{4,6}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9:.,]+)?([Zz]|[+-][0-9:]+)?"


def from_rfc3339(text: str) -> datetime:
    """``datetime.fromisoformat(text)`` with a final ``z`` or ``Z`` read as UTC (a ``t`` it reads itself).

    A time without a zone stays naive (each caller decides what that means); ``ValueError`` as ``fromisoformat``.
    """
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)
