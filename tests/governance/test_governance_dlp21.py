"""Round dlp21: a fifth independent DLP check, every type of the default scanner (issue 13).

The corpus (tests/data/dlp21.json, built by tests/data/dlp21_build.py from the hand-written dlp21_negatives.py and
dlp21_positives.py, each value checked by its format's own rule) was written, and its first batch committed, before the
detectors or the earlier sets were read, in carriers the earlier rounds did not use: e-mail threads with quoted replies
and signatures, support tickets, CRM / ERP exports, HL7 and FHIR messages, bank statements and SWIFT / SEPA messages,
boarding passes and itineraries, contracts, academic citations, scientific numbers and units, sports scores, product
catalogs, Prometheus / StatsD lines, crash dumps, network configurations, cloud resource ids, connection strings, JWTs
and Basic credentials, German / French / Spanish / Portuguese / Japanese / Hindi / Russian documents, right-to-left
text, values between HTML or markdown tags, URL-encoded or JSON-escaped, and wrapped at a line's end. Its decisions are
in the file's "notes": a value is a finding wherever a reader sees it, escaped or split by tags or a line break; cloud
resource ids, masked values, templates and barcodes are not. 264 negatives and 232 scored positives with 298 values;
4 positives carry a "note" (contested) and are not scored.

Scored by ``python benchmarks/dlp_sets.py -v``. On main (b7a9092): 8 of 264 negatives flagged (4 phone numbers, 3 IP
addresses, 1 card: phone.py, ip.py, card.py, another round's), 1 extra IP finding on a positive, 8 of 298 values missed
(an Azure service principal's ``az login -p`` secret, Oracle's ``user/password@`` connect strings, a URL password after
an e-mail address as user name, IBANs wrapped at a line's end, cards split by HTML tags or a line break). After this
round: the same 8 negatives (reported), 2 values missed (the cards: card.py and normalise.py, reported). Round
numeric21 fixed those 8 negatives, the extra IP finding and the 2 misses in their modules (FIXED_FALSE, FIXED_EXTRA,
FIXED_MISSES). Found by probing
after the corpus and fixed: a URL query's credential ran on over the next parameters; the word for a password in other
scripts (``Пароль:``, ``パスワード：``, ``密码：``...) named none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import check_linear_on_hostile_unit, corpus_scan_errors

from gatekit.governance.detectors import scan

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "dlp21.json").read_text(encoding="utf-8"))
NEGATIVES: list[str] = CORPUS["negatives"]
POSITIVES: list[dict] = [case for case in CORPUS["positives"] if "note" not in case]
CONTESTED_POSITIVES: list[dict] = [case for case in CORPUS["positives"] if "note" in case]

# negatives with a finding now, all in modules another round owns (reported to the lead with a reproduction each):
# the text's start and its findings as (type, value)
FLAGGED: dict[str, list[tuple[str, str]]] = {}
# a positive's finding that overlaps no expected value
EXTRA: list[tuple[str, str, str]] = []
# negatives flagged on main, no finding now (the text's start): numeric21
FIXED_FALSE = [
    # ip.py: a network's address without its prefix length, in a routing table's Destination column (its Genmask
    # 255.255.0.0 in the same row) and before a netmask ("ip route 10.0.0.0 255.0.0.0 Null0"): no host's address
    "Destination     Gateway",
    "ip route 0.0.0.0 0.0.0.0 Null0",
    # ip.py: an IPv6 multicast address (ff00::/8; IPv4's multicast 224.0.0.0/4 is no finding), with a zone id
    "ping6 ff02::1%eth0",
    # phone.py: a French VAT number's key and SIREN ("TVA intracommunautaire FR 40 732829320")
    "SIRET 732 829 320 00074",
    # phone.py: a population grouped in thousands before the Russian word for people ("13 104 177 человек")
    "Население Москвы",
    # phone.py: an order number after the Arabic for "order number" (رقم الطلب)
    "\u0631\u0642\u0645 \u0627\u0644\u0637\u0644\u0628 4021983712",
    # phone.py: the last of a list of number ranges ("1000-1999, 2000-2999, 3000-3999; reserved 4000-4095")
    "Ranges: 1000-1999",
    # card.py: the first 16 of a Brazilian NF-e access key's 44 digits grouped in fours ("chave de acesso 3526 1211 ...")
    "Nota fiscal nº 000.123.456",
]
# positives with a finding beyond their values on main, none now: (the text's start, the finding main made)
FIXED_EXTRA = [
    # ip.py: a subnet's broadcast address after "broadcast"
    ("ifconfig eth0: inet 192.168.178.42", ("IP_ADDRESS", "192.168.178.255")),
]
# expected values not found now (text, value): card.py reads no card across a line break; normalise.py joins a value
# split by markdown's marks, not by HTML tags
MISSED: list[tuple[str, str]] = []
# values missed on main, found with their type now: (the text's start, the value, its type)
FIXED_MISSES = [
    # generic.py: the Azure CLI's login password (a service principal's client secret) after "-p"
    ("az login --service-principal", "Xq8~Zt3.Lm2Kp9Rw4Vn7Bc1Hd6Jf0Ge5Ua_Ti", "GENERIC_SECRET"),
    # generic.py: Oracle's connect string, user/password@ (read as an e-mail address "Tiger2026xQ@db.internal" on main)
    ("sqlplus scott/", "Tiger2026xQ", "GENERIC_SECRET"),
    ("jdbc:oracle:thin:scott/", "Tiger2026xQ", "GENERIC_SECRET"),
    # generic.py: a URL's password after a user name that is an e-mail address, "%40" escaped (an e-mail address on main)
    ("smtps://alerts%40acme.io:", "Sm7pP4ss2026x", "GENERIC_SECRET"),
    # iban.py: an IBAN wrapped at a line's end (two phone numbers on main)
    ("Kontonummer:\nDE89", "DE89 3704 0044\n0532 0130 00", "IBAN_CODE"),
    ("Please pay to IBAN GB29", "GB29 NWBK 6016\r\n1331 9268 19", "IBAN_CODE"),
    # card.py (numeric21): a card wrapped at a line's end (its first half a phone number on main)
    ("my card is 4111 1111\n1111 1111", "4111 1111\n1111 1111", "CREDIT_CARD"),
    # normalise.py (numeric21): a card split by HTML's inline tags (nothing on main)
    ("Card: <b>4111</b> 1111 1111 1111", "4111</b> 1111 1111 1111", "CREDIT_CARD"),
]


def _found(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.value) for f in scan(text)]


def test_corpus_shape() -> None:
    """The committed counts: a changed corpus must update this file's numbers too."""
    assert len(NEGATIVES) == 264 and len(set(NEGATIVES)) == 264
    assert len(POSITIVES) == 232 and sum(len(case["expect"]) for case in POSITIVES) == 298
    assert len(CONTESTED_POSITIVES) == 4 and all(case["note"] for case in CONTESTED_POSITIVES)
    assert CORPUS["notes"]
    for case in CORPUS["positives"]:  # (each value's exact span, as written)
        for expected in case["expect"]:
            assert case["text"][expected["start"] : expected["end"]] == expected["value"]


def test_false_findings_are_exactly_the_listed() -> None:
    """The negatives flagged are exactly FLAGGED (a new false finding, or a fix, fails until recorded)."""
    flagged, _ = corpus_scan_errors(NEGATIVES, [])
    by_start = {}
    for text, found in flagged:
        (key,) = [key for key in FLAGGED if text.startswith(key)] or [text]
        by_start[key] = found
    assert by_start == FLAGGED


def test_misses_are_exactly_the_listed() -> None:
    """The values missed are exactly MISSED; a positive's findings beyond its values are exactly EXTRA."""
    _, missed = corpus_scan_errors([], POSITIVES)
    assert [(text, expected["value"]) for text, expected in missed] == MISSED
    extra = []
    for case in POSITIVES:
        for f in scan(case["text"]):
            if not any(f.start < e["end"] and f.end > e["start"] for e in case["expect"]):
                extra.append((case["text"], f.type, f.value))
    assert len(extra) == len(EXTRA)
    assert [
        (text[: len(start)], kind, value) for (text, kind, value), (start, _, _) in zip(extra, EXTRA, strict=True)
    ] == EXTRA


@pytest.mark.parametrize("start", FIXED_FALSE)
def test_fixed_false_findings(start: str) -> None:
    """The negatives main flagged: no finding now (each failed on main)."""
    (text,) = [text for text in NEGATIVES if text.startswith(start)]
    assert _found(text) == []


@pytest.mark.parametrize(("start", "finding"), FIXED_EXTRA)
def test_fixed_extra_findings(start: str, finding: tuple[str, str]) -> None:
    """The positives' findings beyond their values on main: gone, the values found (each failed on main)."""
    (case,) = [case for case in POSITIVES if case["text"].startswith(start)]
    found = _found(case["text"])
    assert finding not in found
    assert [value for _, value in found] == [expected["value"] for expected in case["expect"]]


@pytest.mark.parametrize(("start", "value", "kind"), FIXED_MISSES)
def test_fixed_misses(start: str, value: str, kind: str) -> None:
    """The values main missed: found whole, with their type, and nothing else in their text (each failed on main)."""
    (case,) = [case for case in POSITIVES if case["text"].startswith(start)]
    found = _found(case["text"])
    assert (kind, value) in found
    assert [found_kind for found_kind, _ in found] == [expected["type"] or kind for expected in case["expect"]]


def test_contested_cases_as_read_now() -> None:
    """Not scored; recorded so a change in how they are read shows."""
    read = {case["text"]: _found(case["text"]) for case in CONTESTED_POSITIVES}
    assert read == {
        # a card wrapped inside a quoted reply: its first half read as a phone number
        "> card 4111 1111\n> 1111 1111 — as quoted": [("PHONE_NUMBER", "4111 1111")],
        "~/.pgpass: db.internal:5432:orders:app:Kx9vZ82mQ4tL": [],
        "טלפון: 03-6123456": [("PHONE_NUMBER", "03-6123456")],
        "ফোন: ০১৭১২-৩৪৫৬৭৮": [("PHONE_NUMBER", "০১৭১২-৩৪৫৬৭৮")],
    }


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # the Azure CLI's "-p": a user's password or a service principal's secret
        ("az login -u jane@contoso.com -p 'Winter2026!x'", "Winter2026!x"),
        ("az login --service-principal --username 04b07795 -p Xq8~Zt3.Lm2Kp9Rw4 --tenant t", "Xq8~Zt3.Lm2Kp9Rw4"),
        # Oracle's connect strings: SQL*Plus (options, a quoted string), JDBC's thin and OCI drivers
        ("sqlplus -s -L system/Man4ger2026@//db.internal:1521/XEPDB1", "Man4ger2026"),
        ('sqlplus "sys/Ch4ngeMe2026@db as sysdba"', "Ch4ngeMe2026"),
        ("url=jdbc:oracle:oci:app/Kx9vZ82mQ@ORCL", "Kx9vZ82mQ"),
        ("jdbc:oracle:thin:scott/tiger@//db:1521/ORCL", "tiger"),
        # a URL's user name holding "@" (escaped or not): the password after it
        ("smtp://user%40gmail.com:apppass2026x@smtp.gmail.com:587", "apppass2026x"),
        ("https://jane.doe%40example.com:Pa55w0rd2026@api.example.com/v1", "Pa55w0rd2026"),
        ("imaps://jane@example.com:Kx9vZ82mQ@imap.example.com", "Kx9vZ82mQ"),
    ],
)
def test_connection_passwords_are_found(text: str, value: str) -> None:
    """The password of a command line or a connection string: a GENERIC_SECRET, and no e-mail address read into it."""
    found = _found(text)
    assert ("GENERIC_SECRET", value) in found
    assert not any(kind == "EMAIL_ADDRESS" and value in found_value for kind, found_value in found)


@pytest.mark.parametrize(
    "text",
    [
        "az login --service-principal -u <app-id> -p <password-or-cert> --tenant <tenant>",
        "az login -u jane -p $AZ_PASSWORD",
        "sqlplus /nolog",
        "sqlplus / as sysdba",
        "sqlplus scott/password@db",
        "sqlplus scott/${ORA_PW}@db",
        "jdbc:oracle:thin:@//db.internal:1521/ORCLPDB1",
        "https://jane@example.com:8080/x",
        "ssh://git@example.com:22/org/repo.git",
        "postgresql://user:password@db.example.com:5432/app",
    ],
)
def test_connection_templates_are_no_findings(text: str) -> None:
    """No user, a placeholder, the field's own name, a port: no secret."""
    assert not [kind for kind, _ in _found(text) if kind == "GENERIC_SECRET"]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("IBAN:\nDE89 3704 0044\n0532 0130 00\nBIC COBADEFFXXX", "DE89 3704 0044\n0532 0130 00"),
        ("pay to FR76 3000 6000 0112\r\n3456 7890 189 today", "FR76 3000 6000 0112\r\n3456 7890 189"),
        ("iban de89 3704\n0044 0532 0130 00", "de89 3704\n0044 0532 0130 00"),
        ("DE89370400440532013000\n1234 5678", "DE89370400440532013000"),
    ],
)
def test_an_iban_wrapped_at_a_line_end_is_found_whole(text: str, value: str) -> None:
    assert _found(text) == [("IBAN_CODE", value)]


@pytest.mark.parametrize(
    "text",
    [
        "DE89 3704 0044\n0532 0130 01",  # (the check fails)
        "ref DE12\n3456 7890",  # (too short for Germany)
        "DE89 3704 0044\n\n0532 0130 00",  # (a blank line between: two paragraphs)
    ],
)
def test_no_iban_across_lines_without_one(text: str) -> None:
    assert not [kind for kind, _ in _found(text) if kind == "IBAN_CODE"]


@pytest.mark.parametrize(
    ("text", "found"),
    [
        # (on main the value ran on over the query's next parameters: "Xk29abzQ71mN&useSSL=true")
        ("jdbc:mysql://db:3306/app?user=root&password=Xk29abzQ71mN&useSSL=true", [("GENERIC_SECRET", "Xk29abzQ71mN")]),
        (
            "GET /report?api_key=9f8e7d6c5b4a39281706f5e4d3c2b1a0&fmt=csv",
            [("GENERIC_SECRET", "9f8e7d6c5b4a39281706f5e4d3c2b1a0")],
        ),
        (
            '<a href="/r?x=1&amp;api_key=9f8e7d6c5b4a39281706f5e4d3c2b1a0&amp;y=2">',
            [("GENERIC_SECRET", "9f8e7d6c5b4a39281706f5e4d3c2b1a0")],
        ),
        # (a token in the next parameter, swallowed into the password's value on main, is found with its own type)
        (
            "?password=abc123xyzQ&token=ghp_8xK2mQ9vLp4Rt7Nw3Bz6Yc1Hd5Jf0Ge2Ua8s",
            [("GENERIC_SECRET", "abc123xyzQ"), ("GITHUB_TOKEN", "ghp_8xK2mQ9vLp4Rt7Nw3Bz6Yc1Hd5Jf0Ge2Ua8s")],
        ),
        # (outside a query an "&" is the password's own character)
        ("PASSWORD=Tr0ub4dor&3xK", [("GENERIC_SECRET", "Tr0ub4dor&3xK")]),
        ("DB_PASSWORD=Tr0ub4dor&3xK=1", [("GENERIC_SECRET", "Tr0ub4dor&3xK=1")]),
    ],
)
def test_a_query_parameters_value_ends_at_the_next_parameter(text: str, found: list[tuple[str, str]]) -> None:
    assert _found(text) == found


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # found by probing after the corpus (non-English documents): the word for a password in other scripts
        ("Логин: admin, пароль: Adm1n2026!", "Adm1n2026!"),
        ("ПАРОЛЬ: Kx9vZ82mQ4tL", "Kx9vZ82mQ4tL"),
        ("ユーザー名: admin パスワード：Adm1n2026!です", "Adm1n2026!"),
        ("パスワードは「Xk82mQ9z」です", "Xk82mQ9z"),
        ("用户名：admin 密码：Adm1n2026!", "Adm1n2026!"),
        ("密碼是 Adm1n2026", "Adm1n2026"),
        ("비밀번호는 Adm1n2026! 입니다", "Adm1n2026!"),
        ("اسم المستخدم: admin كلمة المرور: Adm1n2026!", "Adm1n2026!"),
        ("סיסמה: Adm1n2026!", "Adm1n2026!"),
        ("पासवर्ड: Adm1n2026!", "Adm1n2026!"),
        ("Κωδικός πρόσβασης: Adm1n2026!", "Adm1n2026!"),
        ("รหัสผ่าน: Adm1n2026!", "Adm1n2026!"),
        ("Mật khẩu: Adm1n2026!", "Adm1n2026!"),
        ("Jelszó: Adm1n2026!", "Adm1n2026!"),
        ("пароль: hunt3r", "hunt3r"),  # (6 characters with a digit, as "password: hunter2")
    ],
)
def test_a_password_named_in_another_script_is_found(text: str, value: str) -> None:
    assert _found(text) == [("GENERIC_SECRET", value)]


@pytest.mark.parametrize(
    "text",
    [
        "Пароль: обязательно",
        "пароль: не менее 8 символов",
        "パスワード：8文字以上",
        "密码：******",
        "パスワード: ${DB_PASSWORD}",
        "密码：123456",
        "パスワード: 2026-12-07",
        "비밀번호를 입력하세요",
    ],
)
def test_a_label_or_placeholder_after_such_a_name_is_none(text: str) -> None:
    assert _found(text) == []


@pytest.mark.parametrize(
    "unit",
    [
        "Пароль: ",
        "パスワード：a1b2c3 ",
        "密码是",
        "sqlplus a/",
        "jdbc:oracle:thin:a/b",
        "://a@b:c",
        "sqlplus -s -s a/b@",
        "DE89\n",
        "?password=a1b2c3d4&x=",
    ],
)
def test_new_patterns_are_linear_on_hostile_units(unit: str) -> None:
    check_linear_on_hostile_unit(unit)
