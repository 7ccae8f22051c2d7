"""The one set of number formatters (gatekit.fmt), hand-checked values."""

from __future__ import annotations

import math

import pytest

from gatekit import fmt


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (None, 4, "—"),
        (True, 4, "yes"),
        (False, 4, "no"),
        (math.nan, 4, "n/a"),
        (math.inf, 4, "∞"),
        (-math.inf, 4, "-∞"),
        (0, 4, "0"),
        (0.0, 4, "0"),
        (12345, 4, "12,345"),
        (812.345, 4, "812.3"),
        (0.123456, 3, "0.123"),
        (3.2e-29, 3, "3.2e-29"),
        (1234.5, 4, "1,234"),  # banker's rounding of .5 in format(): 1234.5 -> 1234
        (2_500_000.4, 4, "2,500,000"),
        (-0.5, 4, "-0.5"),
        ("7", 4, "7"),
        ("abc", 4, "abc"),
    ],
)
def test_number(value: object, digits: int, expected: str) -> None:
    assert fmt.number(value, digits) == expected


def test_rates_counts_durations_money() -> None:
    assert fmt.rate(0.0123) == "1.23%"
    assert fmt.rate(1) == "100.00%"
    assert fmt.rate(0.5, 0) == "50%"
    assert fmt.rate(None) == "—"
    assert fmt.rate_change(-0.005) == "-0.50pp"
    assert fmt.rate_change(0.02, 1) == "+2.0pp"
    assert fmt.count(1234) == "1,234"
    assert fmt.count(1234.0) == "1,234"
    assert fmt.count(None) == "—"
    assert fmt.ms(812.345) == "812.3 ms"
    assert fmt.ms(12345.6) == "12,346 ms"
    assert fmt.ms(None) == "—"
    assert fmt.usd(0.0012) == "$0.0012"
    assert fmt.usd(1234.56) == "$1,235"
    assert fmt.usd(-0.25) == "-$0.25"
    assert fmt.usd(None) == "unknown"  # unknown cost is never shown as $0
    assert fmt.usd(math.nan) == "n/a"


def test_quantity_uses_the_unit() -> None:
    assert fmt.quantity(812.345, "ms") == "812.3 ms"
    assert fmt.quantity(0.0012, "USD") == "$0.0012"
    assert fmt.quantity(None, "USD") == "—"
    assert fmt.quantity(3, "count") == "3"
    assert fmt.quantity(0.25, "") == "0.25"
    assert fmt.quantity(2.5, "tokens") == "2.5 tokens"


def test_report_filters_are_the_shared_formatters() -> None:
    from gatekit.report.html import _environment

    env = _environment()
    assert env.filters["num"] is fmt.number and env.filters["pct"] is fmt.rate
    assert env.from_string("{{ x|pct }} {{ y|num(3) }} {{ z|usd }}").render(x=0.0123, y=0.123456, z=None) == (
        "1.23% 0.123 unknown"
    )
