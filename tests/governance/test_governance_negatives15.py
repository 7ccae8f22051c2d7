"""Round neg15: spans of years and of clock times, ids numbered by year, and barcodes are no phone numbers or cards.

Found by probing the default scanner with negatives of the kinds a DLP benchmark holds (dates, ranges, product
codes): on main "Fiscal years 2022–2023", "He lived 1920-1995.", "Store hours: 0800-2200 daily.", "Docket
2023-0145-0012" were phone numbers and "EAN 5901234123457" a card. A word for a phone right before keeps a phone
number found; a 13-digit card whose last digit is no EAN-13 check digit stays a card after any label.
"""

from __future__ import annotations

import pytest
from conftest import check_linear_on_hostile_unit, found_as

from gatekit.governance.detectors import scan

NEGATIVES = [
    "Fiscal years 2022\u20132023 and 2023\u20132024.",
    "He lived 1920-1995.",
    "Population grew 1850-1900.",
    "Terms 2019\u20142023, 2023\u20142027.",
    "Store hours: 0800-2200 daily.",
    "Shift 0700-1500, then 1500-2300.",
    "Quiet hours 2200-0600.",
    "Sample 2023-0456-A tested positive.",
    "Docket 2023-0145-0012",
    "EAN 5901234123457",
    "Barcode: 5901234123457 on the box",
    "GTIN-13 4006381333931 and SKU 5901234123457",
    "Claim 2023-45-6789 filed.",  # an insurance claim's, a policy's, a docket's number: an identifier's label
    "Policy number: 020 7946 0958",
    "Receipt 555-123-4567 printed.",
]


@pytest.mark.parametrize("text", NEGATIVES)
def test_ranges_dated_ids_and_barcodes_are_not_found(text: str) -> None:
    assert scan(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("call 2021-2025.", "2021-2025"),  # a word for a phone before it: a phone number, as before
        ("Tel: 2023-0456", "2023-0456"),
        ("phone 0800-2200", "0800-2200"),
        ("Rufnummer 2012-0345-0012", "2012-0345-0012"),
        ("(11) 2345-6789", "(11) 2345-6789"),  # a Brazilian number, its area code in parentheses
        ("Call 0151 2345 6789 today.", "0151 2345 6789"),
        ("Call the claims line: (555) 123-4567", "(555) 123-4567"),  # a label's word, then a phone's
    ],
)
def test_phone_numbers_of_the_same_shapes_are_still_found(text: str, value: str) -> None:
    assert found_as(text, value, "PHONE_NUMBER")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("card 5901234123457", "5901234123457"),  # no barcode's label: a 13-digit Maestro-range card
        ("Please block card no 4477006998104", "4477006998104"),
        ("EAN 4477006998104", "4477006998104"),  # after a label, but its last digit is no EAN-13 check digit
        ("SKU list: 4111 1111 1111 1111", "4111 1111 1111 1111"),  # 16 digits: no barcode's length
    ],
)
def test_cards_stay_cards(text: str, value: str) -> None:
    assert found_as(text, value, "CREDIT_CARD")


def test_the_range_rule_is_a_phone_word_away_not_a_letter_away() -> None:
    # "recall" and "hotel" end in a phone word's letters ("call", "tel") but are other words
    assert scan("recall 2021-2025.") == [] and scan("hotel 2021-2025.") == []


@pytest.mark.parametrize(
    "unit", ["2023-2024\n", "0800-2200 ", "2023-0456-0012 ", "call 1939-1945, ", "EAN 5901234123457 ", "5901234123457 "]
)
def test_hostile_floods_of_the_new_shapes_stay_linear(unit: str) -> None:
    check_linear_on_hostile_unit(unit)


def test_past_the_budget_barcodes_stay_cards() -> None:
    # 300 labelled barcodes: the first 256 are checked, the rest are cards (more redaction, never a miss)
    text = "EAN 5901234123457\n" * 300
    cards = [f for f in scan(text) if f.type == "CREDIT_CARD"]
    assert len(cards) == 300 - 256


@pytest.mark.parametrize(
    ("digits", "ok"),
    [
        ("5901234123457", True),  # GS1's EAN-13 example
        ("036000291452", True),  # a UPC-A
        ("96385074", True),  # an EAN-8
        ("9780306406157", True),  # an ISBN-13
        ("5901234123458", False),
        ("4477006998104", False),  # a 13-digit card of presidio's synthetic set
    ],
)
def test_the_gs1_check_digit_is_the_barcodes_one(digits: str, ok: bool) -> None:
    from gatekit.governance.detectors.base import gs1_ok

    assert gs1_ok(digits) is ok
