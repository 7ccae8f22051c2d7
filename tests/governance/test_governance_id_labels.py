"""A number after an "ID" label is an identifier, not a phone; "git@" a public git host is no person's address."""

from __future__ import annotations

import pytest

from gatekit.governance.detectors import scan


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.value) for f in scan(text)]


@pytest.mark.parametrize(
    "text", ["ID: 5551234567", "Customer ID 5551234567", "Patient ID: 415-555-2671", "user ids 4155552671"]
)
def test_number_after_an_id_label_is_no_phone(text: str) -> None:
    assert [kind for kind, _ in _found(text) if kind == "PHONE_NUMBER"] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Caller ID 415-555-2671", "415-555-2671"),  # a caller ID shows a phone number
        ("Caller IDs 4155552671", "4155552671"),
        ("Phone number: 555-123-4567", "555-123-4567"),
        ("Mobile no. 4155552671", "4155552671"),
    ],
)
def test_phone_labels_still_find_phones(text: str, value: str) -> None:
    assert ("PHONE_NUMBER", value) in _found(text)


@pytest.mark.parametrize("text", ["ssh -T git@github.com", "clone git@gitlab.com:group/app.git", "git@bitbucket.org"])
def test_git_host_accounts_are_no_addresses(text: str) -> None:
    assert [kind for kind, _ in _found(text) if kind == "EMAIL_ADDRESS"] == []


def test_git_at_another_domain_is_still_an_address() -> None:
    assert _found("write to git@mycompany.com today") == [("EMAIL_ADDRESS", "git@mycompany.com")]
