"""The cheap tests that let the scanner skip work (latency round of issue 13) never drop a finding.

Each gate is checked on the values it must still let through, next to the look-alikes it exists to skip:
credential names before a sign (GENERIC_SECRET), SSN run shapes next to long digit runs, the IPv6 hint,
secret-key hints that end alike, and the normalisation of texts whose non-ASCII characters were seen before.
"""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT

from gatekit.governance import load_policy, scan
from gatekit.governance.normalise import normalise

SECRET = "Zq7rT2xW9kLm4PvB"  # 16 characters, 3+ bits of entropy per character, digits: a credential value

# every credential name form the GENERIC_SECRET name regex knows (its sign gate reads their last three letters)
NAMES = [
    "api_key", "api-key", "apikey", "secret", "secret_key", "secret-key", "secretkey", "client_secret",
    "client-secret", "clientsecret", "access_token", "access-token", "accesstoken", "auth_token", "authtoken",
    "token", "password", "passwd", "pwd", "private_key", "privatekey", "access_key", "accesskey", "access_key_id",
    "access-key-id", "accesskeyid", "access_keyid", "accesskey_id", "shared_access_key", "sharedaccesskey",
    "account_key", "accountkey",
]  # fmt: skip


def _kinds(text: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in scan(text):
        found.setdefault(finding.type, []).append(finding.value)
    return found


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("spelling", [str.lower, str.upper, str.title])
@pytest.mark.parametrize("sign", ["={}", ": {}", '" : "{}"', "  =  {}", "\t:\t{}"])
def test_every_credential_name_before_a_sign_is_read(name: str, spelling: object, sign: str) -> None:
    assert callable(spelling)
    written = spelling(name)
    head = f'config "{written}' if sign.startswith('"') else f"config {written}"
    text = f"{head}{sign.format(SECRET)} end"
    assert _kinds(text).get("GENERIC_SECRET") == [SECRET], text


@pytest.mark.parametrize("word", ["SSN", "card", "When", "Where", "Mobile", "Desk", "Fax", "Website", "Note"])
def test_other_words_before_a_colon_are_no_credential_name(word: str) -> None:
    assert "GENERIC_SECRET" not in _kinds(f"{word}: {SECRET} thanks"), word


@pytest.mark.parametrize(
    ("text", "ssn"),
    [
        ("card 4111111111111111 and ssn 078-05-1120 ok", "078-05-1120"),
        ("4111111111111111 078-05-1120", "078-05-1120"),  # (one digit run holds both)
        ("ids 73523767710654 / 078 05 1120.", "078 05 1120"),
        ("ref 9876543210123 then 078.05.1120 done", "078.05.1120"),
        ("my ssn is 078051120 and card 4111111111111111", "078051120"),
        ("078051120", "078051120"),  # (a whole field)
    ],
)
def test_ssns_next_to_long_digit_runs_are_found(text: str, ssn: str) -> None:
    assert _kinds(text).get("US_SSN") == [ssn], text


@pytest.mark.parametrize("text", ["ssn 0780511201 x", "ssn 1078051120 x", "ssn 078-05-11201 x", "ssn 1078-05-1120 x"])
def test_ssn_digits_glued_to_more_digits_are_no_ssn(text: str) -> None:
    assert "US_SSN" not in _kinds(text), text


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("host 2001:db8::8a2e:370:7334 down", "2001:db8::8a2e:370:7334"),
        ("host 2001:0db8:85a3:0000:0000:8a2e:0370:7334 down", "2001:0db8:85a3:0000:0000:8a2e:0370:7334"),
        ("When: 2000-04-16 11:34:35 from fe80::1ff:fe23:4567:890a at 10:00", "fe80::1ff:fe23:4567:890a"),
        ("mapped ::ffff:10.0.0.1 here", "::ffff:10.0.0.1"),
    ],
)
def test_ipv6_addresses_pass_the_hint_gate(text: str, address: str) -> None:
    assert _kinds(text).get("IP_ADDRESS") == [address], text


def test_times_and_labels_are_no_ipv6() -> None:
    assert "IP_ADDRESS" not in _kinds("Mobile: 555 Desk: 12 When: 2000-04-16 11:34:35 Where: at 10:00:01 and 12:00")


@pytest.mark.parametrize("prefix", ["sk-", "rk-", "pk-", "sk_live_", "rk_test_", "sk-proj-"])
def test_secret_keys_whose_hints_end_alike_are_found(prefix: str) -> None:
    key = f"{prefix}{'a1B2' * 6}"
    assert _kinds(f"use {key} now").get("API_TOKEN") == [key], prefix


def test_normalisation_of_known_characters_still_changes_those_that_change() -> None:
    accented = "Björk Kónya Ελλάδα"
    first = normalise(f"name {accented} 555 123 4567")
    assert first.text == f"name {accented} 555 123 4567" and first.spots is None
    # the same characters again, now with characters normalisation changes: NBSP, a full-width digit, a soft hyphen
    again = normalise(f"name {accented} 555\u00a0123\u00ad4567 \uff15")
    assert again.text == f"name {accented} 555 1234567 5"
    assert again.spots is not None
    assert _kinds(f"call {accented} at 415\u00a0555\u00a02671 now").get("PHONE_NUMBER") == ["415\u00a0555\u00a02671"]


def test_flat_argument_values_are_redacted_copy_on_write() -> None:
    policy = load_policy(REPO_ROOT / "policies" / "default.yaml")
    calls = [
        {"name": "find_user_id_by_email", "arguments": {"email": "jane.doe@example.com", "note": "ok"}},
        {"name": "get_order_details", "arguments": {"order_id": "#W2378156"}},
        {"name": "modify_user_address", "arguments": {"email": "a.b@example.org", "address": {"to": "c@example.net"}}},
    ]
    response = {"output": "done", "tool_calls": calls, "usage": {"input_tokens": 1, "output_tokens": 1}}
    case = {"id": "c1", "input": "hi", "context": {"user": "u1", "env": "staging"}}
    decision = policy.evaluate(case, response)
    written = decision.redacted_tool_calls
    assert written[0]["arguments"] == {"email": "[EMAIL_ADDRESS]", "note": "ok"}
    assert written[2]["arguments"] == {"email": "[EMAIL_ADDRESS]", "address": {"to": "[EMAIL_ADDRESS]"}}
    assert written[1] is calls[1]  # (a call without a redaction is shared, not copied)
    assert calls[0]["arguments"]["email"] == "jane.doe@example.com"  # (the response itself is never mutated)
    assert calls[2]["arguments"]["address"] == {"to": "c@example.net"}
    assert decision.redactions == {"EMAIL_ADDRESS": 3}
