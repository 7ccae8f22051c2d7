"""Red-team round 13: the findings the last round left, closed; and hostile texts of the credential rules, bounded.

* A bare Discord bot token (``<user id in base64>.<6>.<27..38>``, no prefix of its own): found alone when its first
  segment is exactly the base64 of a 17..20-digit id; a token of that shape whose first segment is no id's only where
  Discord is named or as the argument of a bot's ``.run('...')``. Dotted identifiers, versions, JWT-like ids are not.
* A password in a sentence written in capitals (``WACHTWOORD IS Zomer2024!``, ``PASSWORD IS hunter22``): the label and
  its verb in any case, the value as before (a digit, 3+ bits of entropy per character).
* A package's versions after ``Bump <package> from`` (dependabot) are no IP addresses; a machine's are.
* Hostile texts: a flood of quoted pairs, of assignments of digit-less values; a value whose 8th character is an escaped
  quote no longer crashes the scan.

Each positive failed on main 7745007; each negative holds the same words without a finding.
"""

from __future__ import annotations

import base64
import json
import time
from pathlib import Path

import pytest
from conftest import pairs_by_loop

from gatekit.governance.detectors import generic, scan, tokens

# Discord's documented example token (developer docs, "Authentication"): its first segment is the base64 of the id
# 198622483471925248
DOCUMENTED = "MTk4NjIyNDgzNDcxOTI1MjQ4.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs"
ID_19 = base64.urlsafe_b64encode(b"1198622483471925248").rstrip(b"=").decode()  # (26 characters)
NEW_STYLE = f"{ID_19}.GxAbCd.aB3dEfGhIjKlMnOpQrStUvWxYz0123456789"  # (a 38-character signature)
SHAPE_ONLY = "MMf0VQLXGXba7DiWTIegP7NPvu.cMWY5O.aqLyTSK1m5sCWQMF3ciDWAugkUVnxhjc0Ei3-H"  # (first segment no id's)

CORPUS = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "secrets_redteam10.json").read_text(encoding="utf-8")
)


def _secrets(text: str) -> list[str]:
    return [f.value for f in scan(text) if f.is_secret]


def _found(text: str, value: str) -> bool:
    start = text.index(value)
    return any(f.is_secret and f.start <= start and f.end >= start + len(value) for f in scan(text))


def test_the_documented_example_decodes_to_an_id() -> None:
    assert base64.urlsafe_b64decode(DOCUMENTED.split(".")[0]) == b"198622483471925248"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (f"Authorization: Bot {DOCUMENTED}", DOCUMENTED),
        (f"the bot runs with {DOCUMENTED}.", DOCUMENTED),  # (a full stop after it)
        (f"{NEW_STYLE}", NEW_STYLE),
        (f'"{NEW_STYLE}"', NEW_STYLE),
        (f"DISCORD_TOKEN={DOCUMENTED}", DOCUMENTED),  # (labelled: the assignment rule found it before)
        (f"bot token: {SHAPE_ONLY}", SHAPE_ONLY),
        (f"my discord bot uses {SHAPE_ONLY}", SHAPE_ONLY),  # (Discord named)
        (f"client.run('{SHAPE_ONLY}')", SHAPE_ONLY),  # (discord.py's run)
    ],
)
def test_a_discord_bot_token_is_found(text: str, value: str) -> None:
    assert _found(text, value), scan(text)


def test_the_bare_discord_token_round_10_left_is_found() -> None:
    (case,) = [case for case in CORPUS["left"] if str(case["text"]).startswith("client.run(")]
    assert _found(str(case["text"]), case["expect"][0]["value"])


@pytest.mark.parametrize(
    "text",
    [
        f"id {SHAPE_ONLY}",  # (the shape alone, its first segment no id's, Discord not named)
        f"{DOCUMENTED}.extra",  # (a fourth segment)
        f"x{DOCUMENTED}",  # (inside a longer token)
        f"a.{DOCUMENTED}",  # (inside a dotted name)
        DOCUMENTED.replace("Cl2FMQ", "Cl2FM"),  # (a middle of 5)
        DOCUMENTED[:-5],  # (a signature of 22)
        DOCUMENTED + "A" * 12,  # (a signature of 39)
        "org.apache.MyVeryLongClassNameHereXyzz.method.AnotherVeryLongIdentifierNameHere1",
        "Mozilla5WindowsNTWin64x64.Gecko2.AppleWebKit537x36KHTMLlikeGeckoChrome",
        "release 1.10.4.2 build Nabcdefghijklmnopqrstuv12.abcdef.ghijklmnopqrstuvwxyz0123456",
    ],
)
def test_discord_look_alikes_are_not_found(text: str) -> None:
    assert [f for f in scan(text) if f.type == "API_TOKEN"] == [], scan(text)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("WACHTWOORD IS Zomer2024!", "Zomer2024!"),
        ("PASSWORD IS hunter22", "hunter22"),
        ("MOT DE PASSE EST Soleil2024x", "Soleil2024x"),
        ("Your Password Is Hunter2024", "Hunter2024"),
        ("DAS PASSWORT LAUTET Sommer2024", "Sommer2024"),
        ("A SENHA E Verao2024x", "Verao2024x"),
        ("SENHA É Verao2024x", "Verao2024x"),
        ("LA CONTRASENA ES Verano2024", "Verano2024"),
        ("LÖSENORDET ÄR Sommar2024x", "Sommar2024x"),
        ("SALASANA ON Kesa2024xx", "Kesa2024xx"),
        ("HASŁO TO Lato2024xx", "Lato2024xx"),
    ],
)
def test_a_password_in_a_sentence_in_capitals_is_found(text: str, value: str) -> None:
    assert value in _secrets(text), scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "PASSWORD IS REQUIRED",
        "THE PASSWORD IS ON THE STICKY NOTE",
        "WACHTWOORD IS VERPLICHT",
        "PASSWORD IS 1 CHAR",
        "THE PASSWORD IS NOT SET UNTIL 2024",
        "MOT DE PASSE EST OBLIGATOIRE",
        "SALASANA ON PAKOLLINEN",
        "A SENHA E OBRIGATORIA",
        "YOUR PASSWORD IS aaaaaaa1",  # (too little entropy)
    ],
)
def test_capitalised_prose_without_a_secret_stays_clean(text: str) -> None:
    assert _secrets(text) == [], scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "Bump foo from 1.10.4.2 to 1.10.5.0",
        "Bumps [foo](https://github.com/foo/foo) from 1.10.4.2 to 1.10.5.0.",
        "chore(deps): bump github.com/x/y from 2.3.4.5 to 2.3.4.6 in /api",
        "build(deps): Bump @scope/pkg-name from 4.1.0.2 to 4.2.0.0",
        "Upgraded foo from 1.2.3.4 to 1.2.3.5",
    ],
)
def test_a_packages_versions_after_bump_from_are_no_ip_addresses(text: str) -> None:
    assert [f for f in scan(text) if f.type == "IP_ADDRESS"] == [], scan(text)


@pytest.mark.parametrize(
    "text",
    [
        "Moved the server from 10.0.0.4 to 10.0.0.5",
        "Bump the server from 10.0.0.4 to 10.0.0.5",  # (no package's name alone between the verb and "from")
        "Traffic from 10.0.0.4 to 10.0.0.5 was blocked",
        "Changed gateway from 10.0.0.4 to 10.0.0.5",
    ],
)
def test_a_machines_addresses_after_from_are_still_found(text: str) -> None:
    assert [f.value for f in scan(text) if f.type == "IP_ADDRESS"] == ["10.0.0.4", "10.0.0.5"], scan(text)


@pytest.mark.parametrize("text", ['password=abcdefg\\"x', 'api_key: "abcdefg\\"', 'token=abcdefg\\"'])
def test_a_value_ending_in_an_escaped_quote_is_no_crash(text: str) -> None:
    assert scan(text) == []


def test_a_value_escaped_after_its_8th_character_is_found() -> None:
    assert _secrets('password=abcdefg1\\"x') == ["abcdefg1"]


def _ms(function: object, text: str) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.thread_time_ns()
        function(text)  # type: ignore[operator]
        best = min(best, (time.thread_time_ns() - started) / 1e6)
    return best


@pytest.mark.parametrize(
    ("detector", "unit", "found"),
    [
        (generic.CONTEXTS, '"a", "bcdefgh1", ', 0),  # (21 ms on main: a Python loop per pair)
        (generic.CONTEXTS, 'a", "bcdefgh1', 0),
        (generic.CONTEXTS, '"api_key", "bcdefgh1", ', 4347),  # (named: 256 validated, the rest on shape alone)
        (generic.DETECTOR, "token=", None),  # (digit-less 200-character values, each read in C)
        (tokens.DISCORD, f"{DOCUMENTED} ", 1666),  # (256 decoded, the rest on shape alone)
        (tokens.DISCORD, f"{SHAPE_ONLY} discord ", 1234),  # (Discord named: the text read once for it)
        (tokens.DISCORD, "Mz.aaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaa", 0),
    ],
)
def test_hostile_pair_and_assignment_floods_stay_under_10_ms(detector: object, unit: str, found: int | None) -> None:
    text = (unit * (100_000 // len(unit) + 1))[:100_000]
    findings = detector.findings(text)  # type: ignore[attr-defined]
    if found is not None:
        assert len(findings) == found
    # (10 ms is the target on an idle core, printed by benchmarks/governance.py; shared CI cores get 5x, as the other
    # hostile tests; main took 13-43 ms on an idle core for the first four)
    assert _ms(detector.findings, text) < 50  # type: ignore[attr-defined]


def test_the_pair_flood_pass_finds_what_the_loop_finds() -> None:
    """Past the budget the pairs are read forward in C: the same named values, validated up to the budget."""
    unit = '"api_key", "Summer2024", "a", "abcdefgh", "password\\", \\"abcdefg1", "1token", "x9y8z7w6", "secret", "abcdefgh", '
    text = unit * 200
    spans = generic._pairs(text)
    assert spans == pairs_by_loop(text, budget=256) and len(spans) > 256


@pytest.mark.parametrize(
    "text", ["GET /users/219-09-9999/profile", "ssn 219-09-9999/b", "x/219-09-9999", "reports/078 05 1120/summary.pdf"]
)
def test_a_grouped_ssn_between_slashes_is_found(text: str) -> None:
    # (missed before: a slash before or after refused the SSN, so one in a URL's or a file path's part leaked)
    assert [f.type for f in scan(text)] == ["US_SSN"]


@pytest.mark.parametrize("text", ["/orders/219099999/items", "ssn /219099999", "ids 219099999/2", "12/31/2024"])
def test_a_bare_nine_digit_run_between_slashes_is_an_id(text: str) -> None:
    assert [f for f in scan(text) if f.type == "US_SSN"] == []
