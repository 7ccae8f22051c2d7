"""``gatekit.units.parse_quantity``: unit literals in thresholds and policies (``2000ms``, ``10%``, ``1.5k``, ``$0.05``)."""

from __future__ import annotations

import pytest

from gatekit.units import parse_quantity


@pytest.mark.parametrize(
    ("literal", "expected"),
    [
        ("2000ms", 2000.0),
        ("2s", 2000.0),
        ("  2 s ", 2000.0),
        ("1.5m", 90_000.0),
        ("3min", 180_000.0),
        ("1h", 3_600_000.0),
        ("250us", 0.25),
        ("10µs", 0.01),
        ("10%", 0.10),
        (".5%", 0.005),
        ("0.5pp", 0.005),
        ("1.5k", 1500.0),
        ("2K", 2000.0),
        ("3M", 3_000_000.0),
        ("$0.05", 0.05),
        ("1e3", 1000.0),
        ("2.5e-1s", 250.0),
        ("-5ms", -5.0),
        ("+7", 7.0),
        ("12", 12.0),
    ],
)
def test_known_literals(literal: str, expected: float) -> None:
    assert parse_quantity(literal) == pytest.approx(expected)


@pytest.mark.parametrize("number", [0, 3, 0.25, -1.5])
def test_numbers_pass_through_as_floats(number: float) -> None:
    parsed = parse_quantity(number, kind="fraction")
    assert parsed == number and isinstance(parsed, float)


@pytest.mark.parametrize(
    ("literal", "kind", "expected"),
    [
        ("1500", "duration_ms", 1500.0),  # a bare number is milliseconds
        ("1.5s", "duration_ms", 1500.0),
        ("0.02", "fraction", 0.02),  # a bare number is already a fraction
        ("2%", "fraction", 0.02),
        ("$1.5k", "number", 1500.0),
    ],
)
def test_a_kind_accepts_its_units_and_bare_numbers(literal: str, kind: str, expected: float) -> None:
    assert parse_quantity(literal, kind=kind) == pytest.approx(expected)


@pytest.mark.parametrize(
    ("literal", "kind", "message"),
    [
        ("10%", "duration_ms", "'10%' is a fraction, expected a duration"),
        ("2s", "fraction", "'2s' is a duration, expected a fraction"),
        ("5ms", "number", "'5ms' is a duration, expected a number"),
        ("1.5k", "fraction", "'1.5k' is a number, expected a fraction"),
    ],
)
def test_a_unit_of_another_kind_is_refused(literal: str, kind: str, message: str) -> None:
    with pytest.raises(ValueError, match="^checks.x.max: " + message.replace("$", r"\$")):
        parse_quantity(literal, kind=kind, where="checks.x.max")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("10 parsecs", "unknown unit 'parsecs' in '10 parsecs'; known units:"),
        ("5kg", "unknown unit 'kg'"),
        ("1,000", "cannot read '1,000'; write a number or a literal"),
        ("5 ms extra", "cannot read '5 ms extra'"),
        ("", "cannot read ''"),
        ("%", "cannot read '%'"),
        ("nan", "cannot read 'nan'"),
        ("ten", "cannot read 'ten'"),
        (True, "expected a number, got True"),
        (False, "expected a number, got False"),
        (None, "expected a number or a literal such as 2000ms, 10%, 1.5k; got None"),
        ([1], "got \\[1\\]"),
        ({"ms": 5}, "got \\{'ms': 5\\}"),
    ],
)
def test_bad_input_is_a_value_error_naming_the_field(value: object, message: str) -> None:
    with pytest.raises(ValueError, match="^thresholds.latency_p95_ms: .*" + message):
        parse_quantity(value, where="thresholds.latency_p95_ms")


def test_the_default_field_name_is_value() -> None:
    with pytest.raises(ValueError, match="^value: "):
        parse_quantity("abc")
