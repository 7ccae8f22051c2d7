"""Round secrets15: password values the credential detectors missed (issue 13).

The corpus (tests/data/secrets_redteam15.json: 83 positives in JSON, YAML, .env, INI / TOML, logs, code, command lines
and chat prose in English, German, French and Spanish; 177 negatives: prose about passwords, form labels, locale files'
labels and validation messages, OpenAPI / JSON-schema fields, type annotations, placeholders and masks, quantities,
test results, pulse widths, PIN placeholders, lengths, times, amounts, GPIO pins, Indian postal PIN codes, words
holding "pin" or "pw") was written and committed before the detectors were changed. On main (4ded3ca) every one of
its 83 values was missed and no negative had a finding. The general classes, each with cases that failed on main and
neighbours that keep each rule from over-firing:

* a quoted value holding blanks after a password's name and a sign, or in a sentence (a passphrase: ``password:
  "correct horse battery staple"``, ``the wifi password is "..."``) is the credential whole, unless it is a label, a
  message, a prompt, a schema's word or a placeholder (``"Enter your password"``, ``"This field is required."``,
  ``"min 8 chars"``, ``"{{ vault_pw }}"``, ``"xxxx xxxx"``);
* a value of 6 or 7 characters with a digit after a password's name (``password: hunter2``), not a quantity, a score
  or counted digits (``8chars``, ``1500us``, ``118/120``, ``123456``);
* ``pw`` as a name of its own (``pw=...``, ``PW: ...``, ``DB_PW=...``, ``user bob pw ...``), not inside a word
  (``PWM``, ``npw``, ``pwned``);
* a PIN of 4..8 digits right after "PIN", "PIN code", "PIN-Code", "code PIN", "Geheimzahl", "my pin is": not counted
  digits (0000, 1234), not a decimal, a time, a date, an amount or a grouped number's first group, not the postal PIN
  code of an Indian address's line.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from conftest import check_linear_on_hostile_unit, corpus_scan_errors, found_as

from gatekit.governance.detectors import generic, scan

CORPUS = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "secrets_redteam15.json").read_text(encoding="utf-8")
)
NEGATIVES: list[str] = CORPUS["negatives"]
POSITIVES: list[dict[str, object]] = CORPUS["positives"]

# still wrong after the round (docs/governance-notes.md, round secrets15), each for a reason given
LEFT_NEGATIVES = {
    # six digits after "PIN Code" with no address on its line: a card's or a SIM's PIN as well as a postal code; a
    # postal code redacted is the cheaper error (fail closed)
    "PIN Code: 110001 (New Delhi GPO)",
}
LEFT_POSITIVES = {
    # ('Le mot de passe du wifi est "maison bleue 7"': found since round secrets16, words between name and verb)
    # "CLAVE_SECRETA" names a credential (8+ characters are found) but its passphrase would need one more gate on
    # every text
    'CLAVE_SECRETA="mi perro come 3"',
    # words between "PIN" and its value ("de la carte")
    "Le code PIN de la carte : 5628",
}


def test_the_corpus_has_no_false_finding_and_no_miss_but_the_listed() -> None:
    flagged, missed = corpus_scan_errors(NEGATIVES, POSITIVES)  # type: ignore[arg-type]
    assert {text for text, _ in flagged} == LEFT_NEGATIVES, flagged
    assert {str(text) for text, _ in missed} == LEFT_POSITIVES, missed


def test_the_corpus_is_as_described() -> None:
    assert len(NEGATIVES) == 177 and len(POSITIVES) == 83 and len(set(NEGATIVES)) == 177
    assert sum(len(case["expect"]) for case in POSITIVES) == 83  # type: ignore[arg-type]


# --- held out: forms the corpus does not hold, each missed on main -----------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('db_password: "summer rain falls"', "summer rain falls"),
        ("PASSWORD='big red barn 5'", "big red barn 5"),
        ('{"Password":"happy feet dance"}', "happy feet dance"),
        ("password => 'dance all night'", "dance all night"),
        ('password := "go lang rocks"', "go lang rocks"),
        ('My password is "let me in please"', "let me in please"),
        ("Mein Passwort ist 'alte Eiche 9'", "alte Eiche 9"),
        ("password: 'Sommer 2024!'", "Sommer 2024!"),
        ('PASSWORD: "tim and tom 12"', "tim and tom 12"),
        ("password: abc12x", "abc12x"),
        ("passwd: zz9top", "zz9top"),
        ("PWD=ab3cd9", "ab3cd9"),
        ("spring.datasource.password=abc123", "abc123"),
        ("the password is qz8rt1", "qz8rt1"),
        ("contraseña=gato99x", "gato99x"),
        ("pw: abc12x", "abc12x"),
        ("Pw = Tr0ub4dor&3", "Tr0ub4dor&3"),
        ("username root pw toor123", "toor123"),
        ("PIN:4931", "4931"),
        ("PIN = 8273", "8273"),
        ("pin 5830", "5830"),
        ("Your new PIN: 7201", "7201"),
        ("PIN-Code lautet 5926", "5926"),
        ("El PIN es 4829", "4829"),
        ("SIM-PIN: 2741", "2741"),
        ("PIN code is 9261", "9261"),
        ("PIN: 1987", "1987"),  # a year right after the name: a PIN (people pick their birth year)
    ],
)
def test_held_out_password_values_are_found(text: str, value: str) -> None:
    assert found_as(text, value, None), scan(text)


@pytest.mark.parametrize(
    "text",
    [
        '"password": "Your password"',
        '"password": "Password is required"',
        '"password": "Passwords do not match"',
        'password: "must have 8 characters"',
        'password: "********"',
        '"password": "Mot de passe incorrect"',
        '{"password": ["This field may not be blank."]}',
        "password: 6 chars",
        "password: 10 digits",
        "passwords: 3 rotated",
        "password_min: 8",
        "Password Policy: 12chars",
        "pass: 12/14 tests",
        "PASS 42/42",
        "pass: 3.2s",
        "bypass: abc123",
        "compass: 2x4y6z",
        "passes: 123456",
        'password: "{{ pw }}"',
        "password = pw_hash(abc)",
        "the password is 'password'",
        "password='changeme'",
        "le mot de passe est trop court",
        "la contraseña es incorrecta",
        "das Passwort ist falsch",
        "pw.println(x)",
        "pw.write(abc123)",
        "PW-1234 is a part number",
        "PWM1: 50%",
        "PWR_PIN 4",
        "PIN 2",
        "pin: GPIO17",
        "Pin 3 = TX",
        "PIN code required",
        "pins: 4321",
        "spin: 1200rpm",
        "PIN: 1111",
        "PIN: 2468 0246",
        "PIN: 4,500",
        "PIN: 2026-01-01",
        "PIN: 12.50",
        "Pin 12345678901",
        "the PIN is wrong",
        "PIN verified at 14:32",
        "Pin 1: GND, Pin 2: VCC",
        "Pinned 2048 messages",
        "Ping 1234",
        "Dial-in PIN 5521 8876",  # a grouped number's first group (round 8's negative)
    ],
)
def test_held_out_neighbours_have_no_finding(text: str) -> None:
    assert scan(text) == []


# --- the rules' decisions ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("digits", "counted"),
    [("0000", True), ("1234", True), ("4321", True), ("12345678", True), ("0123", True), ("2580", False),
     ("1357", False), ("4931", False), ("1123", False)],
)  # fmt: skip
def test_counted_digits_are_placeholders(digits: str, counted: bool) -> None:
    assert generic._counted(digits) is counted


@pytest.mark.parametrize(
    ("value", "password"),
    [("hunter2", True), ("abc123", True), ("s3cr3t", True), ("482913", True), ("8chars", False), ("1500us", False),
     ("118/120", False), ("123456", False), ("112233", False), ("string", False), ("hunter", False), ("$TOK_1", False),
     ("abcde1", True), ("abcdefgh1", False)],
)  # fmt: skip
def test_a_short_password_is_six_or_seven_characters_with_a_digit(value: str, password: bool) -> None:
    assert generic._short_password(value) is password


@pytest.mark.parametrize(
    ("value", "passphrase"),
    [("correct horse battery staple", True), ("blue sky 42", True), ("grüner Baum am See", True),
     ("Tr0ub4dor &3", True), ("a b c", False), ("This field is required.", False), ("Kennwort vergessen?", False),
     ("Enter your password", False), ("Mot de passe", False), ("min 8 chars", False), ("not set yet", False),
     ("{{ vault_pw }}", False), ("xxxx xxxx", False), ("•••• ••••", False), ("same as username", False)],
)  # fmt: skip
def test_a_passphrase_is_no_label_message_or_placeholder(value: str, passphrase: bool) -> None:
    assert generic._passphrase(value) is passphrase


# --- gates and cost ----------------------------------------------------------------------------------------------

_NAMES = (
    "password", "PASSWORD", "Password", "passwd", "pass", "pw", "PW", "Pw", "pwd", "PIN", "pin", "Pin", "Kennwort",
    "KENNWORT", "Geheimzahl", "contraseña", "CONTRASEÑA", "contrasena", "mot de passe", "PIN-Code", "code PIN",
    "DB_PASSWORD", "opinion", "PWM", "bypass", "x",
)  # fmt: skip
_SIGNS = (": ", "=", ":", '": "', "': '", '\\":\\"', " ", " is ", " ist ", " = '", ' := "', "")
_VALUES = ("4931", "482913", "hunter2", "abc123", "a b", 'blue sky 42"', "sky 42'", "Tr0ub4dor&3", "1234", "8chars", "")
_FILLERS = ("", " ", "\n", ", ", "x", "{", '"', "'")


def test_the_gates_in_front_of_the_rules_lose_no_finding() -> None:
    """Every finding of the rules read without their gates is a finding of the context detector (gated)."""
    rng = random.Random(15)
    found = 0
    for _ in range(4000):
        text = "".join(
            rng.choice(_FILLERS) + rng.choice(_NAMES) + rng.choice(_SIGNS) + rng.choice(_VALUES) + rng.choice(_FILLERS)
            for _ in range(rng.randint(1, 4))
        )
        ungated = generic._password_shapes(text)
        if len(text) >= generic._SHORTEST_CONTEXT:
            assert set(ungated) <= set(generic.CONTEXTS.spans(text)), text
        found += len(ungated)
    assert found > 1000


@pytest.mark.parametrize(
    "unit",
    [
        'password: "a b', 'password: "', "pw ", "pw abcdef1 ", "pw: hunter2 ", 'PW: "a b" ', "PIN 4931 ", "PIN: ",
        "pin is ", "PIN-Code: 1", "PIN 4931\n", "a, PIN 560001 ", "pinpin", "pass=", "passpass", "pPpPwW ",
        "Geheimzahl ist 48213 ", 'Kennwort: "a ', "contraseña: abc12x ", 'password is "', 'password is "a b',
        '\\"password\\":\\"a b ', "mot de passe : chien7 ", 'password: "x y"\n',
    ],
)  # fmt: skip
def test_hostile_floods_of_the_new_shapes_stay_linear(unit: str) -> None:
    check_linear_on_hostile_unit(unit)
