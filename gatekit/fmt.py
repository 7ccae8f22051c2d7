"""Numbers for people: the one set of formatters for the CLI, markdown, HTML and drift reports.

Rules, the same everywhere:

* missing (``None``) is ``—``; not-a-number is ``n/a``; infinities are ``∞`` / ``-∞``;
  ``True``/``False`` are ``yes``/``no``;
* whole numbers get thousands separators (``12,345``);
* other numbers keep ``digits`` significant digits (tiny ones in scientific notation:
  ``3.2e-29``) and, from 1,000 up, are rounded to a whole number with separators;
* a rate (a fraction 0..1) is shown as a percentage (``rate(0.0123) == "1.23%"``);
  a change of a rate as signed percentage points (``rate_change(-0.005) == "-0.50pp"``);
* durations are milliseconds (``ms``), money is US dollars (``usd``).

Pure functions over plain values; nothing here imports anything heavy.
"""

from __future__ import annotations

import math
from typing import Any

MISSING = "—"


def _special(value: Any) -> str | None:
    """The text of a value that is not an ordinary number, else None (a template's undefined value is missing)."""
    if value is None or type(value).__name__ in ("Undefined", "StrictUndefined", "ChainableUndefined"):
        return MISSING
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        if math.isinf(value):
            return "∞" if value > 0 else "-∞"
    return None


def number(value: Any, digits: int = 4) -> str:
    """A number with ``digits`` significant digits (whole numbers and values ≥ 1,000 with separators)."""
    special = _special(value)
    if special is not None:
        return special
    if isinstance(value, int):
        return f"{value:,}"
    if not isinstance(value, float):
        try:
            value = float(value)
        except (TypeError, ValueError):
            return str(value)
        return number(value, digits)
    if value == 0:
        return "0"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def _finite(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def digits_apart(value: Any, other: Any, digits: int = 4) -> int:
    """Significant digits, ``digits`` or more, at which ``value`` and ``other`` read differently (``g`` format).

    A check's value just over its limit (2000.4 ms against 2000 ms) must not be shown equal to it next to a FAIL;
    equal values, and anything but two finite numbers, keep ``digits``.
    """
    return _apart(value, other, digits, "g")


def decimals_apart(value: Any, other: Any, decimals: int = 2) -> int:
    """Decimals, ``decimals`` or more, at which ``value`` and ``other`` read differently (``f`` format, e.g. percent)."""
    return _apart(value, other, decimals, "f")


def _apart(value: Any, other: Any, n: int, kind: str) -> int:
    if not (_finite(value) and _finite(other)) or value == other:
        return n
    while n < 17 and f"{float(value):.{n}{kind}}" == f"{float(other):.{n}{kind}}":
        n += 1
    return n


def count(value: Any) -> str:
    """A count: a whole number with thousands separators (``1,234``)."""
    special = _special(value)
    if special is not None:
        return special
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return number(value)


def noun(n: Any, singular: str, plural: str | None = None) -> str:
    """The noun for ``n`` things: ``singular`` for exactly one, else ``plural`` (default: ``singular`` + ``s``).

    ``f"{n} {noun(n, 'case')}"``: "1 case", "2 cases", "0 cases" (a count that is no number, "unknown": plural).
    """
    one = n == 1 and not isinstance(n, bool)
    return singular if one else plural or singular + "s"


def rate(value: Any, decimals: int = 2) -> str:
    """A fraction 0..1 as a percentage with ``decimals`` decimals (``0.0123`` -> ``1.23%``)."""
    special = _special(value)
    if special is not None:
        return special
    return f"{float(value) * 100:.{decimals}f}%"


def rate_change(value: Any, decimals: int = 2) -> str:
    """A change of a rate in signed percentage points (``-0.005`` -> ``-0.50pp``)."""
    special = _special(value)
    if special is not None:
        return special
    return f"{float(value) * 100:+.{decimals}f}pp"


def ms(value: Any, digits: int = 4) -> str:
    """A duration in milliseconds (``812.3 ms``, ``12,346 ms``)."""
    text = number(value, digits)
    return text if text == MISSING else f"{text} ms"


def usd(value: Any, digits: int = 4) -> str:
    """An amount of US dollars (``$0.0012``, ``$1,234``); missing is ``unknown``, never ``$0``."""
    if value is None:
        return "unknown"
    text = number(value, digits)
    if text.startswith("-"):
        return f"-${text[1:]}"
    return f"${text}" if text[:1].isdigit() else text


def quantity(value: Any, unit: str = "", digits: int = 4) -> str:
    """A check value or limit in its unit: ``ms`` -> :func:`ms`, ``USD`` -> :func:`usd`, else number + unit."""
    if unit == "ms":
        return ms(value, digits)
    if unit in ("USD", "$"):
        return usd(value, digits) if value is not None else MISSING
    text = number(value, digits)
    if not unit or unit in ("count", "ratio", "fraction") or text == MISSING:
        return text
    return f"{text} {unit}"
