"""Round secrets16: an independent check of secret detection on a corpus written before reading the detectors (issue 13).

The corpus (tests/data/secrets_check16.json) holds 186 negatives (password policies and prompts in ten languages,
placeholders, masks, env-var references, hashes, git SHAs, UUIDs, base64 images, CSS colours, public keys and
certificates, CLI flags that are not passwords, docs describing token formats) and 150 positives (151 values:
passwords and passphrases in prose in ten languages, .env / YAML / TOML / INI / JSON / XML / compose / k8s /
Terraform, connection URLs and JDBC / ODBC / ADO.NET strings, CLI flags, HTTP headers, cookies, tokens of services
with documented prefixes, JWTs, private keys). Positives with a "note" and the "contested" texts are left out of the
score. Every error the default scanner still makes on it is listed below, so that a fix or a regression shows.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import check_linear_on_hostile_unit, corpus_scan_errors, found_as

from gatekit.governance.detectors import scan

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "secrets_check16.json").read_text(encoding="utf-8"))
NEGATIVES: list[str] = CORPUS["negatives"]
POSITIVES: list[dict[str, object]] = [case for case in CORPUS["positives"] if "note" not in case]

# still wrong (docs/governance-notes.md, round secrets16); on main (d2bd450): 3 negatives with a finding, 22 values missed
# (fixed in round dlp18c: "postgres://app@db.internal/orders", a URL's user name and host, read as an e-mail address)
LEFT_NEGATIVES: set[str] = set()
LEFT_MISSED = {
    # a quoted passphrase after "CLAVE_SECRETA": a credential's name (8+ characters without a blank are found), but the
    # quoted-passphrase rule reads only the names it gates on (password, Kennwort, contraseña...)
    "mi perro come 3",
    # an unquoted passphrase in a sentence: nothing marks where it ends
    "purple monkey dishwasher lamp",
    # French "mdp" (abbreviating "mot de passe") is no name the rules read: a gate of its own, a string's test of every
    # text (~0.15 us on one of other characters than ASCII) for a rare word
    "Azerty!789",
    # a Google OAuth client secret without a digit (28 random characters hold one 99 % of the time): the digit is the
    # families' guard against placeholders
    "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",
}


def test_the_corpus_has_no_false_finding_and_no_miss_but_the_listed() -> None:
    flagged, missed = corpus_scan_errors(NEGATIVES, POSITIVES)  # type: ignore[arg-type]
    assert {text for text, _ in flagged} == LEFT_NEGATIVES, flagged
    assert {str(expected["value"]) for _, expected in missed} == LEFT_MISSED, missed


def test_the_corpus_is_as_described() -> None:
    assert len(NEGATIVES) == 186 and len(set(NEGATIVES)) == 186
    assert len(CORPUS["positives"]) == 150 and len(POSITIVES) == 148
    assert sum(len(case["expect"]) for case in POSITIVES) == 149  # type: ignore[arg-type]


# --- held out: forms the corpus does not hold, of each class fixed (every positive missed on main; of the negatives
# main flagged the path and the nested assignment, the others guard each rule from over-firing)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # words naming whose password it is between the name and its verb or a colon
        ("The password to the build server is Qx82!mLp", "Qx82!mLp"),
        ("La contraseña de la cuenta: Pk92#aa7x", "Pk92#aa7x"),
        ("A senha da conta é Vento#2025", "Vento#2025"),
        ("Wi-Fi password for guests: Gast2025!", "Gast2025!"),
        ("Het wachtwoord van de router is Fiets#8812", "Fiets#8812"),
        ('The admin password for prod is "blue sky 42 jumps"', "blue sky 42 jumps"),
        # a value right after "password", quoted or of 8+ characters with a digit
        ("log in with password 'Herbst#2026' today", "Herbst#2026"),
        ("then type password Kx7#mQ92pL at the prompt", "Kx7#mQ92pL"),
        # Kennwort in a sentence; Turkish şifre
        ("Das Kennwort lautet Brotzeit#77", "Brotzeit#77"),
        ("Şifre: Ankara06!", "Ankara06!"),
        # a login's -p of any strength
        ("sshpass -p hunter ssh deploy@build-host", "hunter"),
        ("podman login -u bot -p weakpw quay.io", "weakpw"),
        # a session cookie of a cookie header
        ("Set-Cookie: PHPSESSID=9k2l3m4n5o6p7q8r9s0t; Path=/; HttpOnly", "9k2l3m4n5o6p7q8r9s0t"),
        ("Cookie: JSESSIONID=ABCDEF1234567890ABCDEF1234567890", "ABCDEF1234567890ABCDEF1234567890"),
        # a camelCase credential name in an XML element or a key / value pair of attributes
        ("<dbPassword>Xk92!pLmq</dbPassword>", "Xk92!pLmq"),
        ('<add key="SmtpPassword" value="Relay#2024x" />', "Relay#2024x"),
        # Hugging Face user access tokens: 34 letters, no digit
        ("HF_TOKEN=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", "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"),
        # a person's password after a password's name: a word and a year, repeated characters (under 3 bits a character)
        ("password=Summer2020", "Summer2020"),
        ("DB_PASS=Football2020", "Football2020"),
        ("adminPwd: Monkey1111", "Monkey1111"),
        ("db.password = Sup3rS3cret", "Sup3rS3cret"),
        ("The wifi password is Letmein2020", "Letmein2020"),
        # a URL's password holding an "@", encoded or not (the last "@" before the host ends it)
        ("DATABASE_URL=postgres://app:p%40ssw0rd@db/app", "p%40ssw0rd"),
        ("postgres://app:p@ss@db:5432/app", "p@ss"),
        # a person's password in the other rules naming a password: a call's pair, an XML element, attributes, a name /
        # value pair, a table's password column
        ("define('DB_PASSWORD', 'Summer2020');", "Summer2020"),
        ("<password>Summer2020</password>", "Summer2020"),
        ('<add key="DbPassword" value="Summer2020" />', "Summer2020"),
        ("- name: DB_PASSWORD\n  value: Summer2020", "Summer2020"),
        ("user,password\nbob,Summer2020\n", "Summer2020"),
        # a password given to a command: quoted after mysql's -p, piped into sudo -S or chpasswd
        ("mysql -u root -p'Quoted Pw 1' shop", "Quoted Pw 1"),
        ("echo 'Summer2020!' | sudo -S apt update", "Summer2020!"),
        ('echo "alice:Winter#2024" | chpasswd', "alice:Winter#2024"),
        # Slack's app-level tokens
        (
            "SLACK_APP_TOKEN=xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f",
            "xapp-1-A0123456789-1234567890123-0a1b2c3d4e5f",
        ),
        # HTTP Basic credentials shorter than 16 characters or without a digit ("user:pass", "admin:admin")
        ("Authorization: Basic dXNlcjpwYXNz", "dXNlcjpwYXNz"),
        ("Authorization: Basic YWRtaW46YWRtaW4=", "YWRtaW46YWRtaW4="),
    ],
)
def test_a_held_out_secret_of_each_class_fixed_is_found(text: str, value: str) -> None:
    assert found_as(text, value), (text, [(f.type, f.value) for f in scan(text)])


@pytest.mark.parametrize(
    "text",
    [
        # words about the password, not whose it is
        "the password hashing cost is bcrypt-12",
        "Password last rotated on 2024-03-12T09:41:17Z",
        "password hashes: sha256 and bcrypt",
        "the password policy version is v2.3.1-beta",
        "Password complexity rules v2: min12chars",
        "Your password was last changed on 2024-11-02T14:22:51Z.",
        "Password reset requests: 1,204,331",
        "Password for the admin account: see KeePass entry 42",
        # "parola" is Italian for "word"; Turkish and German prose about passwords
        'Cerca la parola "covid19" nel testo',
        "la parola Python3.11 appare spesso",
        "Şifre en az 8 karakter olmalıdır",
        "Das Kennwort muss 12 Zeichen haben",
        "MDP: 5-tuple",
        # ssh's port after sshpass; placeholders of a login's -p
        "sshpass -f /tmp/pw ssh host -p 2222",
        "docker login -p $DOCKER_PW reg.io",
        "docker login registry.example.com -u bot -p <password>",
        # cookies that are no session's, a session cookie deleted
        "Cookie: theme=dark; lang=en",
        "Set-Cookie: sessionid=deleted; expires=Thu, 01 Jan 1970 00:00:00 GMT",
        # a path, another field's assignment
        "pwd: /home/deploy/app2",
        "password_file: /run/secrets/db_password",
        "auth: tenant_id=5521873",
        # Hugging Face placeholders
        "hf_YOURHUGGINGFACETOKENGOESHEREXXXXX",
        "token hf_abcdefghijklmnopqrstuvwxyzabcdefgh",
        '<add key="PasswordPolicy" value="Strong12" />',
        # "PASS" alone is a test's result too; low-entropy values that are no password; a port after a URL's host
        "PASS: testcase1",
        "password=aaaa1111",
        "token=Summer2020",
        "https://example.com:8080/a@b",
        # piped commands that take no password
        "echo $PW | sudo -S ls",
        'echo "done" | sudo tee /etc/motd',
        # "Basic" before words, a realm
        'WWW-Authenticate: Basic realm="files"',
        "Basic settings are on the first tab",
    ],
)
def test_a_held_out_negative_near_each_fix_has_no_finding(text: str) -> None:
    assert scan(text) == [], [(f.type, f.value) for f in scan(text)]


@pytest.mark.parametrize(
    "unit",
    [
        "password ",
        "password x ",
        "password for the a b c d e f ",
        "senha do a é ",
        "wachtwoord van ",
        "Şifre ",
        "Kennwort ist Kennwort ",
        "Cookie: sessionid=abcdefgh1;",
        '<a key="dbPassword" value="',
        "sshpass -p ",
        "echo a | sudo -S ",
        "mysql -p'a ",
        "Basic ",
        "://a:b@",
    ],
)
def test_the_new_rules_stay_linear_on_hostile_text(unit: str) -> None:
    check_linear_on_hostile_unit(unit)


@pytest.mark.parametrize(
    ("text", "pin"),
    [
        ("Postcode SW1A 2AA; PLZ 80331; CP 28013; CEP 01310-100; PIN 400001.", None),
        ("Ship to: zip 94105 or PIN 560001 for the Bengaluru office", None),
        ("Your card PIN 482913 is active", "482913"),  # (no postal code named on its line)
        ("zip 94105\nPIN 482913", "482913"),  # (a postal code on another line)
    ],
)
def test_a_six_digit_pin_after_another_postal_code_on_its_line_is_indias_postal_code(
    text: str, pin: str | None
) -> None:
    found = [f.value for f in scan(text) if f.type == "GENERIC_SECRET"]
    assert found == ([pin] if pin else [])
