"""JSON text for the files gatekit writes (verdict.json, drift.json): always valid JSON.

``json.dumps`` writes ``NaN`` / ``Infinity`` for non-finite floats, which is not JSON
(``jq`` and most parsers refuse it). ``to_json`` writes them as ``null`` — an unknown
number — and refuses anything else that would not round-trip.
"""

from __future__ import annotations

import json
import math
import numbers
import re
from typing import Any


def finite_or_none(value: Any) -> Any:
    """Return ``value`` with every non-finite float (NaN, ±inf) replaced by None, recursively."""
    if isinstance(value, bool | int | str) or value is None:
        return value
    if isinstance(value, numbers.Real):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, dict):
        return {key: finite_or_none(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [finite_or_none(item) for item in value]
    return value


_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def to_json(value: Any, *, indent: int | None = 2, ensure_ascii: bool = True) -> str:
    r"""Serialise ``value`` as strict JSON: non-finite numbers become null, unknown types their ``str()``.

    A lone surrogate (a file name that is not UTF-8) is written as its ``\udcff`` escape even with
    ``ensure_ascii=False``: the text stays UTF-8 and reads back as the same string.
    """
    text = json.dumps(finite_or_none(value), indent=indent, ensure_ascii=ensure_ascii, allow_nan=False, default=str)
    return text if ensure_ascii else _LONE_SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
