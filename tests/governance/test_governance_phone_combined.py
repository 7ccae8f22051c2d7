"""Phone validation by one regex per region set / country code agrees with the per-region check it replaced.

The reference below is the per-region check as it was (a Python call per region: the length, the number-type
patterns' fullmatch, else the national prefix's first non-empty match stripped and the same again). It is compared
with the detector's ``_valid`` / ``_international_ok`` on libphonenumber's example numbers of every region (and
their invalid look-alikes), on the phone numbers of presidio-research's synthetic texts, and on seeded random digit
strings of 7..15 digits with and without trunk / international prefixes, for the default regions and a custom list.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import phonenumbers
import pytest

from gatekit.governance.detectors import phone
from gatekit.governance.detectors.phone import DEFAULT_REGIONS, PhoneDetector, _region_matcher


def _prefixed_regions() -> tuple[str, ...]:
    """The regions whose national prefix for parsing has groups, alternatives or optional parts (AR, BR, MX, JP...)."""
    found = []
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        prefix = _region_matcher(region)[0]
        if prefix is not None and any(mark in prefix for mark in "(|?$"):
            found.append(region)
    return tuple(found)


REGION_SETS = [DEFAULT_REGIONS, ("JP", "MX"), ("AR", "BR", "GB", "RU", "KR", "IT"), _prefixed_regions()]


def _national_ok_reference(digits: str, region: str, strip_prefix: bool, possible: bool = False) -> bool:
    prefix_pattern, numbers_pattern, lengths = _region_matcher(region)
    if numbers_pattern is None:
        return False
    prefix = (
        re.compile(prefix_pattern) if prefix_pattern is not None else None
    )  # (each alone, as libphonenumber reads it)
    numbers = re.compile(numbers_pattern)
    if len(digits) in lengths and (possible or numbers.fullmatch(digits)):
        return True
    if strip_prefix and prefix is not None:
        match = prefix.match(digits)
        if match is not None and match.end():
            rest = digits[match.end() :]
            return len(rest) in lengths and (possible or numbers.fullmatch(rest) is not None)
    return False


def _international_ok_reference(digits: str, possible: bool = False) -> bool:
    for size in (1, 2, 3):
        regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(int(digits[:size]))
        if regions:
            rest = digits[size:]
            return any(
                _national_ok_reference(rest, region, possible, possible) for region in regions if region != "001"
            )
    return False


def _valid_reference(digits: str, international: bool, regions: tuple[str, ...], possible: bool = False) -> bool:
    if international:
        return _international_ok_reference(digits, possible)
    if digits.startswith("00") and len(digits) > 9 and _international_ok_reference(digits[2:], possible):
        return True
    if digits.startswith("011") and len(digits) > 10 and _international_ok_reference(digits[3:], possible):
        return True
    return any(_national_ok_reference(digits, region, True, possible) for region in regions)


def _disagreements(numbers: set[str]) -> list[tuple[str, bool, tuple[str, ...], bool, bool]]:
    """(digits, international, regions, possible, reference) of every case where the detector disagrees."""
    wrong = []
    for regions in REGION_SETS:
        key = frozenset(PhoneDetector(regions).regions)  # type: ignore[attr-defined]
        for digits in sorted(numbers):
            for international in (False, True):
                for possible in (False, True):
                    expected = _valid_reference(digits, international, regions, possible)
                    # (__wrapped__: the function, not what its cache kept from earlier tests)
                    if phone._valid.__wrapped__(digits, international, key, possible) != expected:
                        wrong.append((digits, international, regions, possible, expected))
                    if international and phone._international_ok.__wrapped__(digits, possible) != expected:
                        wrong.append((digits, international, (), possible, expected))
    return wrong


def _digits(text: str) -> str:
    return "".join(re.findall(r"\d", text, re.ASCII))


def _random_numbers(count: int) -> set[str]:
    rng = random.Random(20261206)
    numbers = set()
    for _ in range(count):
        body = "".join(rng.choice("0123456789") for _ in range(rng.randint(7, 15)))
        numbers.add(body)
        # trunk prefixes (national prefixes such as 0, 1, 8, 01, 044 / 045) and international ones (00, 011)
        prefixed = rng.choice(("0", "1", "8", "01", "044", "045", "00", "011", "06", "9")) + body
        numbers.add(prefixed[:15])
    return numbers


def test_combined_validation_agrees_with_the_per_region_check_on_random_digit_strings() -> None:
    numbers = _random_numbers(1500)
    assert len(numbers) > 2500
    wrong = _disagreements(numbers)
    assert wrong == []
    # (the strings are not all rejected: the comparison saw both answers)
    answers = {_valid_reference(digits, False, ("JP", "MX"), True) for digits in numbers}
    answers |= {_valid_reference(digits, False, DEFAULT_REGIONS) for digits in numbers}
    assert answers == {False, True}


def test_combined_validation_agrees_on_libphonenumber_examples_of_every_region(shared_data: Path) -> None:
    rows = [json.loads(line) for line in (shared_data / "libphonenumber" / "phone_examples.jsonl").open()]
    regions = {row["region"] for row in rows}
    assert len(regions) > 240
    numbers = set()
    for row in rows:
        for field in ("e164", "national", "international"):
            digits = _digits(row[field])
            if 5 <= len(digits) <= 17:
                numbers.add(digits)
        numbers.add("0" + _digits(row["national"]))  # a trunk 0 the number may not have
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(row["region"])
        for prefix in (metadata.national_prefix, metadata.national_prefix_for_parsing) if metadata else ():
            if prefix and prefix.isdigit():
                numbers.add(prefix + _digits(row["national"]))
        numbers.add("00" + _digits(row["e164"]))
        numbers.add("011" + _digits(row["e164"]))
    wrong = _disagreements(numbers)
    assert wrong == []
    # every valid example's E.164 digits are valid for both (the reference agrees with phonenumbers there)
    valid = [_digits(row["e164"]) for row in rows if row["is_valid"]]
    assert sum(phone._international_ok.__wrapped__(digits) for digits in valid) > 0.95 * len(valid)


def test_combined_validation_agrees_on_presidio_synthetic_phone_numbers(shared_data: Path) -> None:
    records = json.loads((shared_data / "presidio-synth" / "synth_dataset_v2.json").read_text(encoding="utf-8"))
    numbers = {
        _digits(span["entity_value"])
        for record in records
        for span in record["spans"]
        if span["entity_type"] == "PHONE_NUMBER" and 5 <= len(_digits(span["entity_value"])) <= 17
    }
    assert len(numbers) > 80
    numbers |= {"0" + digits for digits in numbers} | {digits[1:] for digits in numbers}  # (a trunk digit more, less)
    wrong = _disagreements(numbers)
    assert wrong == []


@pytest.mark.parametrize("regions", [("JP", "MX"), ("us", "gb")])
def test_a_custom_region_list_validates_as_each_region_would(regions: tuple[str, ...]) -> None:
    detector = PhoneDetector(regions)
    key = frozenset(detector.regions)  # type: ignore[attr-defined]
    # a Mexican mobile number, a Japanese one with its trunk 0, a London one with its trunk 0
    for digits in ("5512345678", "0312345678", "02079460958", "4155552671"):
        expected = any(_national_ok_reference(digits, region.upper(), True) for region in regions)
        assert phone._valid.__wrapped__(digits, False, key) is expected


def test_a_national_prefix_is_stripped_as_its_first_match_only() -> None:
    # digit strings made of the literals of each region's prefix pattern and random digits: where the prefix could
    # match in several ways (CO's carrier codes, JP's 003768...), only its first match is stripped, as prefix.match
    # does ("03505891043" in CO, "00376800376867330676278" in JP are not valid read any other way)
    rng = random.Random(5)
    checked = 0
    for region in _prefixed_regions():
        prefix = _region_matcher(region)[0]
        assert prefix is not None
        pieces = [*re.findall(r"\d+", prefix), "0", "1", "00", "15", "9"]
        numbers = {"03505891043", "00376800376867330676278"}
        for _ in range(400):
            head = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 3)))
            numbers.add(head + "".join(rng.choice("0123456789") for _ in range(rng.randint(4, 12))))
        for digits in sorted(numbers):
            for possible in (False, True):
                expected = _valid_reference(digits, False, (region,), possible)
                assert phone._valid.__wrapped__(digits, False, frozenset((region,)), possible) is expected, (
                    region,
                    digits,
                )
                checked += expected
    assert checked > 100
