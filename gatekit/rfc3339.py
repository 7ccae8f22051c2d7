"""RFC 3339 text read the same way everywhere: ``T``/``t`` and ``Z``/``z`` alike (RFC 3339 §5.6, NOTE).

Python's ``datetime.fromisoformat`` (3.11) reads a lowercase ``t`` but not a lowercase ``z``, DuckDB's and Spark's
casts read neither: ``2026-12-01t10:00:00z`` refused a whole production log. The Python readers go through
:func:`from_rfc3339`; the engines upper-case text of :data:`LOWER_CASE_SQL`'s shape (digits, punctuation, ``t``/``z``
only, so no zone name such as ``Europe/Paris`` is touched) before their cast.
"""

from __future__ import annotations

import re
from datetime import date, datetime

# a date-time with a lowercase t or z and nothing else but digits and punctuation (an SQL / Java regular expression,
# matched whole)
LOWER_CASE_SQL = r"[+-]?[0-9]{4,6}-[0-9]{1,2}-[0-9]{1,2}([Tt ][0-9:.,]+)?([Zz]|[+-][0-9:]+)?"

# The time text a production log's `timestamp` may hold, ONE rule on DuckDB and Spark (and the line locator that
# names a refused row): a date, or a date and a time of hours and minutes (seconds and a fraction optional) with an
# optional zone: `Z`, a UTC offset (`+05:30`, `+0530`, `+05`; at most 18 hours, Java's limit) or ` UTC`. A `T` or
# one space between date and time; `t` / `z` read as `T` / `Z`. Everything else is refused naming its line. The
# engines' own casts each read more, and not the same: a zone name (`2026-11-01 01:30:00 America/New_York`, an hour
# that happens twice: DuckDB and Spark put it an hour apart), `+24:00`, `T24:00:00`, `+2026-...`, `T12:00Z` (DuckDB
# only) or `T12`, `T12:00:00 +05:30`, `12:00:00.5 Z` (Spark only): one engine judged a log the other refused.
TIMESTAMP_TEXT_SQL = (
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"([Tt ]([01]?[0-9]|2[0-3]):[0-5]?[0-9](:[0-5]?[0-9]([.][0-9]*)?)?"
    r"([Zz]|[+-]((0[0-9]|1[0-7])(:?[0-5][0-9])?|18(:?00)?)| ?UTC)?)?"
)
# text of that shape without seconds (`2026-03-01T12:00Z`): the engines read it with `:00` added (Spark's cast of a
# zoned time needs seconds), and `Z` / ` UTC` as `+00:00` (DuckDB's cast refuses `UTC` written on the time)
NO_SECONDS_SQL = r"^([0-9-]+[T ][0-9]+:[0-9]+)((Z|[+-].*| ?UTC)?)$"
UTC_ZONE_SQL = r"( ?UTC|Z)$"
_TIMESTAMP_TEXT = re.compile(
    r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})"
    r"(?:[Tt ]([01]?[0-9]|2[0-3]):([0-5]?[0-9])(?::([0-5]?[0-9])(?:[.][0-9]*)?)?"
    r"(?:[Zz]|[+-](?:(?:0[0-9]|1[0-7])(?::?[0-5][0-9])?|18(?::?00)?)| ?UTC)?)?"
)


def is_timestamp_text(text: str) -> bool:
    """Whether the engines read ``text`` (stripped of spaces) as a time: :data:`TIMESTAMP_TEXT_SQL` and a real date.

    (The engines' casts refuse `2026-02-30`; year 0 they read, as the proleptic calendar's 1 BC.)
    """
    found = _TIMESTAMP_TEXT.fullmatch(text)
    if found is None:
        return False
    year, month, day = (int(found.group(i)) for i in (1, 2, 3))
    try:
        date(year or 2000, month, day)  # (2000: a leap year like year 0)
    except ValueError:
        return False
    return True


def from_rfc3339(text: str) -> datetime:
    """``datetime.fromisoformat(text)`` with a final ``z`` or ``Z`` read as UTC (a ``t`` it reads itself).

    A time without a zone stays naive (each caller decides what that means); ``ValueError`` as ``fromisoformat``.
    """
    if text[-1:] in ("z", "Z"):
        text = text[:-1] + "+00:00"
    return datetime.fromisoformat(text)
