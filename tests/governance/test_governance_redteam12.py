"""Red-team round 12: the secret misses round 10 left (tests/data/secrets_redteam10.json's "left" list), closed.

* Twilio: an API key SID (``SK`` and 32 lower-case hex digits) is a key id, as AWS's ``AKIA…``: a finding; the
  credential is the secret passed beside a SID, an API key's or an account's (``AC…``), as a neighbouring quoted string
  argument (``Client('SK…', '<secret>', 'AC…')``). An account SID alone is an identifier, no finding.
* Terraform: the ``default`` of a ``variable`` block named for a credential (``variable "db_password"``), as an
  assignment's value.
* A password in a Dutch, Swedish, Finnish or Polish sentence, and in a Spanish or Portuguese one without accents.

Each case failed before its fix; the negatives hold the same words without a credential.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatekit.governance.detectors import scan

CORPUS = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "secrets_redteam10.json").read_text(encoding="utf-8")
)

SID = "SK461562c07aaf5f7cce3d27132878a9b4"
ACCOUNT = "ACb80481473f9bada9d13fbfdfb256a960"
SECRET = "wX4KOY260iSe7aWXCPh6z9NNbkMiApED"
AUTH_TOKEN = "9f3c2a7e1b5d4c8a0e6f2b9d7a1c3e5f"


def _values(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.value) for f in scan(text) if f.is_secret]


def _found(text: str, value: str, kind: str | None = None) -> bool:
    start = text.index(value)
    end = start + len(value)
    return any(f.start <= start and f.end >= end and (f.type == kind if kind else f.is_secret) for f in scan(text))


# (all but the bare Discord bot token, three base64url segments without a prefix: still found only under a name)
LEFT = [case for case in CORPUS["left"] if not str(case["text"]).startswith("client.run(")]


@pytest.mark.parametrize("case", LEFT)
def test_the_misses_round_10_left_are_found(case: dict[str, object]) -> None:
    text = str(case["text"])
    for expected in case["expect"]:  # type: ignore[attr-defined]
        assert _found(text, expected["value"]), (text, scan(text))


def test_a_twilio_api_key_sid_and_the_secret_beside_it_are_found_not_the_account_sid() -> None:
    text = f"client = Client('{SID}', '{SECRET}', '{ACCOUNT}')"
    assert _values(text) == [("API_TOKEN", SID), ("API_TOKEN", SECRET)]


@pytest.mark.parametrize(
    "text",
    [
        f'client = Client("{ACCOUNT}", "{AUTH_TOKEN}")',  # (an account SID and its auth token)
        f"Client('{SECRET}' , '{ACCOUNT}')",  # (the secret before the SID)
        f'creds = ["{SID}", "{SECRET}"]',
    ],
)
def test_a_secret_beside_a_twilio_sid_is_found(text: str) -> None:
    value = AUTH_TOKEN if AUTH_TOKEN in text else SECRET
    assert _found(text, value, "API_TOKEN"), scan(text)


@pytest.mark.parametrize(
    "text",
    [
        f"account {ACCOUNT} was created",  # (an account SID alone: an identifier)
        f"Client('{ACCOUNT}', 'hello world')",  # (no credential beside it)
        f"Client('{ACCOUNT}', 'messaging_service_name')",  # (no digit)
        f"lookup('{ACCOUNT}', '{SID}')",  # (a SID beside a SID: only the API key's SID is a finding)
        "ticket SK461562c07aaf5f7cce3d27132878a9b4xyz",  # (inside a longer token)
        "SKU 3f2a: ACME order",
    ],
)
def test_twilio_negatives_stay_clean(text: str) -> None:
    assert [value for _, value in _values(text) if value != SID] == [], scan(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('variable "db_password" {\n  default = "Sdar65BQAbB4guJW"\n}', "Sdar65BQAbB4guJW"),
        (
            'variable "api_key" {\n  type        = string\n  description = "the service key"\n  sensitive   = true\n'
            '  validation {\n    condition = length(var.api_key) > 8\n  }\n  default = "k7Qx2mVb9LpR4tZw"\n}',
            "k7Qx2mVb9LpR4tZw",
        ),
        ('variable "adminPassword" { default = "Tr0ub4dor&3x" }', "Tr0ub4dor&3x"),
    ],
)
def test_a_terraform_variables_default_under_a_credential_name_is_found(text: str, value: str) -> None:
    assert _found(text, value, "GENERIC_SECRET"), scan(text)


@pytest.mark.parametrize(
    "text",
    [
        'variable "instance_count" {\n  default = "Sdar65BQAbB4guJW"\n}',  # (no credential's name)
        'variable "password_length" {\n  default = "16"\n}',
        'variable "next_page_token" {\n  default = "Sdar65BQAbB4guJW"\n}',  # (a page's token)
        'variable "db_password" {\n  default = "${var.vault_password}"\n}',  # (a reference)
        'variable "db_password" {\n  default = "changeme"\n}',  # (no digit: as an assignment's)
        "the default is 10",
        "Set the variable \"password\" { to its default = 'x' }",
    ],
)
def test_terraform_negatives_stay_clean(text: str) -> None:
    assert _values(text) == [], scan(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Het wachtwoord is Zr8kP2vLq9, bewaar het goed.", "Zr8kP2vLq9"),
        ("Je nieuwe wachtwoord is: 'Qm4xT7bN2k'", "Qm4xT7bN2k"),
        ("Lösenordet är Zr8kP2vLq9", "Zr8kP2vLq9"),
        ("Ditt lösenord är: Hq3Vn8Rt2w", "Hq3Vn8Rt2w"),
        ("Salasana on Zr8kP2vLq9", "Zr8kP2vLq9"),
        ("Uusi salasanasi on Wp5Lr9Xc2m.", "Wp5Lr9Xc2m."),
        ("Hasło to Zr8kP2vLq9", "Zr8kP2vLq9"),
        ("Twoje hasło jest Ky7Fd3Mq8z", "Ky7Fd3Mq8z"),
        ("Hasło: Zr8kP2vLq9", "Zr8kP2vLq9"),
        ("Hola, la contrasena es Zr8kP2vLq9", "Zr8kP2vLq9"),
        ("Oi, a senha e Zr8kP2vLq9", "Zr8kP2vLq9"),
    ],
)
def test_a_password_in_a_sentence_of_more_languages_is_found(text: str, value: str) -> None:
    assert _found(text, value, "GENERIC_SECRET"), scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "Het wachtwoord is te kort",
        "Het wachtwoord is verlopen sinds gisteren",
        "Lösenordet är för kort",
        "Salasana on liian lyhyt",
        "Hasło to podstawa bezpieczeństwa",
        "la contrasena es incorrecta",
        "a senha e o usuario estao errados",
        "The password on the server was changed",
        "Salasana on vaihdettava 30 päivän välein",
    ],
)
def test_prose_with_these_words_without_a_credential_stays_clean(text: str) -> None:
    assert _values(text) == [], scan(text)
