"""Unit literals in config files: ``2000ms``, ``2s``, ``10%``, ``0.5pp``, ``1.5k``, ``$0.05``.

One parser for thresholds and policies so ``10%`` means the same everywhere.
"""

from __future__ import annotations

import re

_LITERAL = re.compile(
    r"^\s*(?P<dollar>\$)?\s*(?P<num>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*(?P<unit>[a-zA-Z%µ]*)\s*$"
)

# unit -> (multiplier, kind). Durations are normalised to milliseconds,
# percentages and percentage points to fractions, counts to plain numbers. The multiplier is exact decimal
# text: ``57%`` is 57 x 0.01 computed in decimal and rounded once (0.57); in binary floating point it was
# 0.5700000000000001, so a pass_rate of exactly 57 in 100 failed ``min: 57%`` at its own limit.
_UNITS: dict[str, tuple[str, str]] = {
    "": ("1", "number"),
    "ms": ("1", "duration_ms"),
    "s": ("1000", "duration_ms"),
    "m": ("60000", "duration_ms"),
    "min": ("60000", "duration_ms"),
    "h": ("3600000", "duration_ms"),
    "us": ("0.001", "duration_ms"),
    "µs": ("0.001", "duration_ms"),
    "%": ("0.01", "fraction"),
    "pp": ("0.01", "fraction"),
    "k": ("1000", "number"),
    "K": ("1000", "number"),
    "M": ("1000000", "number"),
}


def parse_quantity(value: object, *, kind: str | None = None, where: str = "value") -> float:
    """Parse a number or a unit literal into a float.

    ``kind`` restricts the accepted units: ``"duration_ms"`` (ms, s, m, h, us; a bare
    number is milliseconds), ``"fraction"`` (``%``/``pp``; a bare number is already a
    fraction), ``"number"`` (k, M; ``$`` allowed). ``where`` names the field in errors.
    Raises ``ValueError`` with a message that says what is accepted.
    """
    if isinstance(value, bool):
        raise ValueError(f"{where}: expected a number, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if not isinstance(value, str):
        raise ValueError(f"{where}: expected a number or a literal such as 2000ms, 10%, 1.5k; got {value!r}")
    match = _LITERAL.match(value)
    if not match:
        raise ValueError(f"{where}: cannot read {value!r}; write a number or a literal such as 2000ms, 10%, 1.5k")
    unit = match.group("unit")
    if unit not in _UNITS:
        raise ValueError(f"{where}: unknown unit {unit!r} in {value!r}; known units: ms, s, m, h, us, %, pp, k, M")
    multiplier, unit_kind = _UNITS[unit]
    if kind is not None and unit and unit_kind != kind:
        raise ValueError(
            f"{where}: {value!r} is a {unit_kind.replace('_ms', '')}, expected a {kind.replace('_ms', '')}"
        )
    from decimal import Decimal

    return float(Decimal(match.group("num")) * Decimal(multiplier))
