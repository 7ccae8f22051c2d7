"""Red-team round 7: detection fixes for general causes, each with the case that failed before.

- a number after ``tel:`` / ``phone:`` written with ``+`` (RFC 3966 URIs in links) was missed: a colon
  before a candidate meant "glued";
- numbers grouped in thousands (``population 8 336 817``) were phone numbers;
- a network's address with its prefix length (``10.0.0.0/8``) was an IP address of a machine;
- keytool's ``-storepass`` / ``-keypass`` and MySQL's ``-p<password>`` were missed.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from gatekit.governance import scan
from gatekit.governance.detectors.phone import PhoneDetector


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.value) for f in scan(text)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('<a href="tel:+1-415-555-2671">Call us</a>', "+1-415-555-2671"),
        ("[call](tel:+442079460958)", "+442079460958"),
        ("phone:+4915123456789", "+4915123456789"),
        ('{"mobile":+33612345678}', "+33612345678"),
    ],
)
def test_plus_number_after_a_colon_is_a_phone_number(text: str, value: str) -> None:
    assert ("PHONE_NUMBER", value) in _found(text)


def test_plus_number_after_a_colon_is_found_in_a_long_window_too() -> None:
    # (a window of over 1,024 characters is read on its digit chains first: they take the colon as the pattern does)
    filler = "ref 1234567 " * 120
    found = _found(filler + "tel:+14155552671 and (tel:+442079460958) " + filler)
    assert ("PHONE_NUMBER", "+14155552671") in found
    assert ("PHONE_NUMBER", "+442079460958") in found


@pytest.mark.parametrize("text", ["at 12:30:45 today", "port:5551234567", "ratio 10:4155552671", "x:+1 y"])
def test_digits_glued_to_a_colon_are_still_no_phone_number(text: str) -> None:
    assert not [f for f in scan(text) if f.type == "PHONE_NUMBER"]


def test_every_rfc3966_example_of_libphonenumber_is_found_in_a_link() -> None:
    root = Path(os.environ.get("GATEKIT_SHARED_DATA", Path(__file__).resolve().parents[3] / "shared" / "data"))
    path = root / "libphonenumber" / "phone_examples.jsonl"
    if not path.exists():
        pytest.skip("shared data not available")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    valid = [row for row in rows if row["is_valid"]]
    hits = sum(
        any(f.type == "PHONE_NUMBER" and row["rfc3966"][4:] in f.value for f in scan(f'<a href="{row["rfc3966"]}">'))
        for row in valid
    )
    assert hits / len(valid) >= 0.9  # (as the same numbers written "+..." alone: the E.164 / international forms)


@pytest.mark.parametrize(
    "text",
    ["Population 8 336 817 in 2020", "revenue of 1 234 567 890 dollars", "about 3 500 000 visitors"],
)
def test_numbers_grouped_in_thousands_are_no_phone_numbers(text: str) -> None:
    assert not [f for f in scan(text) if f.type == "PHONE_NUMBER"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Llame al 612 345 678", "612 345 678"),  # (Spanish mobile, 3-3-3: not one digit first)
        ("Tel. 0 800 123 456", "0 800 123 456"),  # (a trunk 0 first)
        ("Call +1 415 555 2671", "+1 415 555 2671"),
    ],
)
def test_phone_numbers_with_three_digit_groups_are_still_found(text: str, value: str) -> None:
    assert ("PHONE_NUMBER", value) in _found(text)


def test_regions_written_in_thousands_keep_their_national_numbers() -> None:
    text = "Appelez le 4 217 123 demain"  # (Seychelles, national form)
    assert PhoneDetector(["SC"]).spans(text) == [(11, 20)]
    assert PhoneDetector(["US", "SC"]).spans(text) == [(11, 20)]
    assert PhoneDetector(["US", "GB"]).spans(text) == []


@pytest.mark.parametrize(
    "text",
    ["Range 10.0.0.0/8 is private", "192.168.0.0/16,", "see 203.0.113.0/24.", "prefix 2001:db8::/32 docs"],
)
def test_a_network_with_its_prefix_length_is_no_ip_address(text: str) -> None:
    assert not [f for f in scan(text) if f.type == "IP_ADDRESS"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("host 192.168.1.7/24 is up", "192.168.1.7"),  # (a host's address on its network)
        ("allow 10.1.2.3/32 only", "10.1.2.3"),  # (a network of one address: a machine)
        ("iface 2001:db8::1/64", "2001:db8::1"),
        ("route 10.0.0.0/33", "10.0.0.0"),  # (no such prefix length)
        ("gateway 10.0.0.0 ok", "10.0.0.0"),
    ],
)
def test_host_addresses_with_a_prefix_length_are_still_ip_addresses(text: str, value: str) -> None:
    assert ("IP_ADDRESS", value) in _found(text)


def test_aws_documented_example_keys_are_still_secrets() -> None:
    # (published in AWS's docs, so no one's key; but they look like keys to anyone reading the text, they are what
    # people plant to test a leak, and redacting them costs nothing: as 123-45-6789 for SSNs)
    docs = "aws_access_key_id = AKIAIOSFODNN7EXAMPLE\naws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    assert [kind for kind, _ in _found(docs)] == ["AWS_ACCESS_KEY", "GENERIC_SECRET"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("keytool -list -keystore ks.jks -storepass Xk9#mP2qL7", "Xk9#mP2qL7"),
        ("jarsigner -keystore ks.jks -keypass 'pQ7rT2vW9z' app.jar", "pQ7rT2vW9z"),
        ("openssl pkcs12 -export -password Tr0ub4dor33 -out a.p12", "Tr0ub4dor33"),
        ("mysql -u root -pS3cretPass1 shop", "S3cretPass1"),
        ("mysqldump -h db -u app -pK8s#x2Vq9 shop > dump.sql", "K8s#x2Vq9"),
    ],
)
def test_single_dash_password_options_are_secrets(text: str, value: str) -> None:
    assert ("GENERIC_SECRET", value) in _found(text)


@pytest.mark.parametrize(
    "text",
    [
        "proxy -bypass Xk9mP2qL7a now",  # (not a password option)
        "keytool -keypass changeit",  # (a default, no digit: as for an assignment)
        "mysql -u root -p shop",  # (prompts for the password)
        "mysql -u root -p S3cretPass1",  # (a database named so: -p takes no separate value)
        "run -pS3cretPass1 somewhere",  # (no MySQL client)
    ],
)
def test_other_single_dash_options_are_no_secrets(text: str) -> None:
    assert not [f for f in scan(text) if f.type == "GENERIC_SECRET"]
