"""Red-team round 14: PII and secrets inside structured and machine text.

The corpus (tests/data/structured_redteam14.json: JSON log lines with nested and escaped strings, CSV / TSV exports,
HTTP dumps, e-mail headers, stack traces and environment dumps, SQL, YAML / TOML / INI / .env, Kubernetes Secrets,
docker-compose, markdown tables, chat transcripts, URL-, JSON-, HTML- and C-escaped values, syslog and access logs) was
written by hand before the detectors were read. On main (d921d3c) 23 of its 227 values were missed and 8 of its 169
negatives had a finding. The general causes, each with cases that failed before its fix and a negative that keeps the
rule from over-firing:

* escapes of machine text: JSON's ``\\uXXXX`` (``t.nguyen\\u0040outlook.com``, .NET's ``\\u002B353 ...``), C's ``\\x40``,
  HTML's ``&#64;`` / ``&#x40;`` / ``&nbsp;``, and the line-break and tab escapes whose letter glued a value to a "word"
  (``"id\\tcard\\n7\\t4840059454707326"``): now decoded by the normaliser, with the offset map;
* a phone number with ``+`` or ``(area)`` before a CSV row's next field of digits (``,+1 646 555 0142,601-33-7428``);
* SQL's ``CREATE USER ... PASSWORD '...'`` / ``IDENTIFIED BY '...'`` (quoted), an environment variable as a name / value pair
  (Kubernetes' and ECS's ``env``), a table's column named for a credential, ``ldapsearch -w``, ``redis-cli -a``;
* left: "prod db pw is ..." (tests/data/structured_redteam14.json ``left``: a search for "pw" costs ~0.17 us a text);
* a PEM private key encoded in base64 once more (a Kubernetes Secret's ``tls.key``);
* a 12-digit E.164 number without its ``+`` in a phone field (``"msisdn": "447911123456"``);
* false findings: 4-part versions in a table's or a SQL INSERT's ``version`` column, Chrome's reduced User-Agent
  ``Chrome/122.0.0.0`` (a product token's version), Message-IDs read as addresses, an HTTP byte range
  ``bytes=0-1048575`` and byte counts of whole MiB (``2147483648``) read as US phone numbers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import check_default_policy_on_corpus, check_linear_on_hostile_unit, corpus_scan_errors, found_as

from gatekit.governance.detectors import scan
from gatekit.governance.normalise import normalise

CORPUS = json.loads(
    (Path(__file__).resolve().parents[1] / "data" / "structured_redteam14.json").read_text(encoding="utf-8")
)
POSITIVES: list[dict[str, object]] = CORPUS["positives"]
LEFT: list[dict[str, object]] = CORPUS["left"]  # (still missed, see CORPUS["left_about"])
NEGATIVES: list[str] = [case["text"] for case in CORPUS["negatives"]]


def _values(text: str) -> list[tuple[str, str]]:
    return [(f.type, f.value) for f in scan(text)]


# --- escapes of machine text ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        ('{"body":"{\\"email\\":\\"t.nguyen\\u0040outlook.com\\"}"}', "t.nguyen\\u0040outlook.com", "EMAIL_ADDRESS"),
        ('{"Email":"o\\u0027brien@example.ie"}', "o\\u0027brien@example.ie", "EMAIL_ADDRESS"),
        ('{"Phone":"\\u002B353 1 234 5678"}', "\\u002B353 1 234 5678", "PHONE_NUMBER"),
        ('{"from":"Jane \\u003cjane.doe@example.com\\u003e"}', "jane.doe@example.com", "EMAIL_ADDRESS"),
        ("s = 'contact: lena.fischer\\x40gmx.de'", "lena.fischer\\x40gmx.de", "EMAIL_ADDRESS"),
        ('<a href="mailto:sofia.lindqvist&#64;telia.se">', "sofia.lindqvist&#64;telia.se", "EMAIL_ADDRESS"),
        ("<td>ravi.kumar&#x40;example.in</td>", "ravi.kumar&#x40;example.in", "EMAIL_ADDRESS"),
        ("<td>+1&nbsp;206&nbsp;734&nbsp;9918</td>", "+1&nbsp;206&nbsp;734&nbsp;9918", "PHONE_NUMBER"),
        ('{"tsv":"id\\tcard\\n7\\t4840059454707326\\t11/27"}', "4840059454707326", "CREDIT_CARD"),
        ('{"fields":"ssn\\t287-45-9021\\nzip\\t94105"}', "287-45-9021", "US_SSN"),
        ('{"text":"Call back on\\n+44 20 7946 0958\\nbefore 5pm"}', "+44 20 7946 0958", "PHONE_NUMBER"),
        ('{"text":"Phone:\\u00a0+1 206 734 9918"}', "+1 206 734 9918", "PHONE_NUMBER"),
        ('{"msg":"ssn:\\t412673390"}', "412673390", "US_SSN"),
        (
            '{"hook":"https:\\/\\/hooks.slack.com\\/services\\/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"}',
            "https:\\/\\/hooks.slack.com\\/services\\/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",
            None,
        ),
    ],
)
def test_escaped_values_are_found_whole(text: str, value: str, kind: str | None) -> None:
    assert found_as(text, value, kind), _values(text)


def test_an_escaped_value_is_redacted_with_its_escapes() -> None:
    text = '{"email":"t.nguyen\\u0040outlook.com","n":1}'
    (finding,) = scan(text)
    assert (finding.start, finding.end) == (text.index("t.nguyen"), text.index('","n"'))
    normal = normalise("a\\u0040b &#64; \\n x%40y")
    assert normal.text == "a@b @ \n x@y"


@pytest.mark.parametrize(
    "text",
    [
        '{"msg":"line1\\nline2\\tcol\\u00e9","path":"C:\\\\Users\\\\build\\\\app"}',
        '{"html":"\\u003cdiv class=\\"card\\"\\u003e\\u003c/div\\u003e","v":"2.0.0\\n"}',
        "{\"note\":\"escaped at sign \\u0040 alone, \\u002B and &#64; too\"}",
        '{"log":"took 1234567 ns\\nstatus 200\\tbytes 4096"}',
        "s = 'a\\x40b'",
    ],
)
def test_escapes_alone_hold_no_finding(text: str) -> None:
    assert scan(text) == []


# --- phone numbers in rows, sizes and ranges -------------------------------------------------------------------


def test_a_phone_number_before_a_csv_field_of_digits_is_found() -> None:
    text = "id,name,phone,ssn\n1,Maria Lopez,(312) 847-2290,536-22-8174\n2,Tom Hale,+1 646 555 0142,601-33-7428\n"
    assert found_as(text, "(312) 847-2290", "PHONE_NUMBER")
    assert found_as(text, "+1 646 555 0142", "PHONE_NUMBER")


@pytest.mark.parametrize("text", ["Umsatz 0151 2345,67 EUR", "total 312 847 2290,50 units", "ids 415 555 2671,2,3"])
def test_a_number_without_plus_or_area_before_a_comma_and_digits_stays_an_amount(text: str) -> None:
    assert [kind for kind, _ in _values(text)].count("PHONE_NUMBER") == 0


@pytest.mark.parametrize(
    "text",
    [
        "[mysqld]\ninnodb_buffer_pool_size = 2147483648\n",
        "    deploy:\n      resources:\n        limits:\n          memory: 2147483648\n",
        '{"rx_bytes": 8589934592, "tx_bytes": 4294967296}',
        "Range: bytes=0-1048575",
    ],
)
def test_byte_counts_and_ranges_are_no_phone_numbers(text: str) -> None:
    assert scan(text) == []


def test_a_phone_number_next_to_a_size_is_still_found() -> None:
    assert found_as("memory: 2147483648, on-call 2147483647", "2147483647", "PHONE_NUMBER")  # (2^31 - 1: no MiB)
    assert found_as("bytes: 512, call 0151 23456789", "0151 23456789", "PHONE_NUMBER")


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ('fields: {"msisdn": "447911123456"}', "447911123456"),
        ('{"contacts":[{"wa_id":"447911123456"}]}', "447911123456"),
        ("phone_number=447911123456", "447911123456"),
    ],
)
def test_a_phone_field_of_e164_digits_without_plus_is_found(text: str, value: str) -> None:
    assert found_as(text, value, "PHONE_NUMBER")


@pytest.mark.parametrize("text", ['{"order": "447911123456"}', '{"phone_count": 123456789012}', "tel: 999999999999"])
def test_twelve_digits_elsewhere_are_no_phone_number(text: str) -> None:
    assert scan(text) == []


# --- addresses of networks, releases in tables -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/122.0.0.0 Edg/122.0.0.0",
        "Server: nginx\nUser-Agent: Mozilla/5.0 (X11; Linux x86_64) OPR/108.0.0.0",
        "package,version\nlibfoo,1.2.0.3\nlibbar,2.14.1\n",
        "| Version | Date |\n|---|---|\n| 2.4.0.117 | 2026-03-04 |\n",
        "INSERT INTO releases (name, version) VALUES ('agent', '3.1.4.1'), ('proxy', '2.0.1.4');",
        "name\tbuild\nagent\t4.18.0.240\n",
    ],
)
def test_networks_and_release_columns_hold_no_address(text: str) -> None:
    assert scan(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # (round 7: a bare network's address is one, "gateway 192.168.1.0" below; numeric21: not before its mask, the
        # network of a route, "10.1.0.0 mask 255.255.0.0"; its gateway is a machine's)
        ("route add 10.1.0.0 mask 255.255.0.0 gw 10.1.0.1", "10.1.0.1"),
        ("GET http://122.0.0.0/ and /hosts/10.0.0.0/x", "10.0.0.0"),
        ("gateway 192.168.1.0 via eth0", "192.168.1.0"),
        ("host,ip\nweb-01,34.201.18.77\n", "34.201.18.77"),
        ("| Version | Host |\n|---|---|\n| 2.4.0.117 | 10.1.2.3 |\n", "10.1.2.3"),
        ("INSERT INTO login (name, ip) VALUES ('a,b', '10.1.2.3');", "10.1.2.3"),
        ("build,addr\n1.2.3.4,10.2.3.4\n", "10.2.3.4"),
    ],
)
def test_hosts_beside_networks_and_releases_are_found(text: str, value: str) -> None:
    assert found_as(text, value, "IP_ADDRESS")


# --- message ids ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Message-ID: <20260304120122.4F2A1C0043@mx1.example.org>\nIn-Reply-To: <CAHk-9fceb02d0ae5@mail.gmail.com>",
        "References: <a1b2c3@mail.example.com>\n <d4e5f6@mail.example.com>\n\t<g7h8@mail.example.com>",
        "Content-ID: <image001.png@example.com>",
    ],
)
def test_message_ids_are_no_addresses(text: str) -> None:
    assert scan(text) == []


def test_addresses_in_other_headers_are_found() -> None:
    text = "Message-ID: <x1@mx.example.org>\nFrom: Jane <jane.doe@contoso.com>\nReply-To: <billing@shop.example>"
    assert _values(text) == [("EMAIL_ADDRESS", "jane.doe@contoso.com"), ("EMAIL_ADDRESS", "billing@shop.example")]


# --- credentials in SQL, env pairs, tables, chats and commands -------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("ALTER USER reporting WITH PASSWORD 'Rp-2026-xK9q';", "Rp-2026-xK9q"),
        ("CREATE ROLE app WITH LOGIN SUPERUSER PASSWORD 'guest';", "guest"),
        ("CREATE USER 'etl'@'%' IDENTIFIED BY 'Etl#Load-2026';", "Etl#Load-2026"),
        ("CREATE USER IF NOT EXISTS 'a'@'%' IDENTIFIED WITH mysql_native_password BY 'S3cret!x';", "S3cret!x"),
        ('- name: POSTGRES_PASSWORD\n  value: "Pg_2026_secure!"\n', "Pg_2026_secure!"),
        ('{"name": "DB_PASSWORD", "value": "x9Kq2LmP7w"}', "x9Kq2LmP7w"),
        ('{"Key":"api_key","Value":"s3cr3t-Api-9931"}', "s3cr3t-Api-9931"),
        ("username,password,role\nops_admin,Wq8zLp2Rv7,admin\n", "Wq8zLp2Rv7"),
        ("| service | API Key |\n|---|---|\n| stripe | `sk9Lm2Qx7Vb4Nc1J` |\n", "sk9Lm2Qx7Vb4Nc1J"),
        ("user\tpwd\nbob\tXk2p9Lq7Vw\n", "Xk2p9Lq7Vw"),
        ("ldapsearch -x -H ldap://10.20.1.4 -D cn=admin,dc=example,dc=org -w Ld4p-Adm1n-x", "Ld4p-Adm1n-x"),
        ("redis-cli -h 10.0.0.5 -a r3dis-Cache-77 ping", "r3dis-Cache-77"),
    ],
)
def test_credentials_named_by_structure_are_found(text: str, value: str) -> None:
    assert found_as(text, value), _values(text)


@pytest.mark.parametrize(
    "text",
    [
        "the user is identified by their badge",
        "CREATE USER app WITH PASSWORD NULL;",
        "ALTER USER app PASSWORD '********';",
        "CREATE USER 'a'@'%' IDENTIFIED BY '${DB_PASS}';",
        "user must change password 'now'",
        "env:\n- name: DB_PASSWORD\n  valueFrom:\n    secretKeyRef:\n      name: db\n      key: password\n",
        "- name: DB_HOST\n  value: db-2026-host\n",
        "- name: DB_PASSWORD\n  value: ${DB_PASSWORD}\n",
        "password_min_length,token_ttl\n12,3600\n",
        "name,password\nbob,********\n",
        "name,token,next_page_token\na,-,CiAKGh2x9Qk2Lm\n",
        "the pw is required, pwd: see vault",
        "the user, password and role are listed below:\nalice, s3cr3tPass99, admin",
        "name: DB_PASSWORD, value: abcdefgh1",  # (one line without a brace: no env list's pair)
        "ldapsearch -x -W -D cn=admin,dc=example,dc=org",
        "grep -w needle haystack.txt",
        "redis-cli -a $REDIS_PASSWORD ping",
    ],
)
def test_structure_without_a_credential_holds_none(text: str) -> None:
    assert [f for f in scan(text) if f.is_secret] == [], _values(text)


def test_a_base64_private_key_is_found_and_a_certificate_is_not() -> None:
    key = (
        "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVNDQktjd2dnU2pBZ0VBQW9JQkFRQzc="
    )
    cert = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSURkekNDQWwrZ0F3SUJBZ0lFQWdBQXVUQU5CZ2txaGtpRzl3MEJBUVVGQURCYU1Rc3dDUVlE"
    text = f"kind: Secret\ntype: kubernetes.io/tls\ndata:\n  tls.crt: {cert}\n  tls.key: {key}\n"
    assert _values(text) == [("PRIVATE_KEY", key)]


# --- the whole corpus -----------------------------------------------------------------------------------------------


def test_the_corpus_negatives_hold_no_finding_and_its_positives_are_found() -> None:
    flagged, missed = corpus_scan_errors(NEGATIVES, POSITIVES)
    assert flagged == [] and missed == []
    assert len(NEGATIVES) >= 150 and len(POSITIVES) >= 150


def test_the_cases_left_are_still_missed() -> None:
    # (if one is found now, move it to the positives)
    assert [case for case in LEFT if all(found_as(str(case["text"]), e["value"], e["type"]) for e in case["expect"])] == []  # type: ignore[attr-defined]


def test_the_default_policy_allows_the_negatives_and_acts_on_the_positives() -> None:
    check_default_policy_on_corpus(NEGATIVES, POSITIVES, "redteam14")  # type: ignore[arg-type]


# --- linear time ---------------------------------------------------------------------------------------------------

HOSTILE = [
    "\\u0040", "a\\u0040b.cd ", "\\n1", "\\t1 ", "&#64;", "a&#x40;b.cd ", "\\u0026#64;", "%40\\u002B&nbsp;1",
    "+1 646 555 0142,6", "2147483648 ", "bytes=0-1 ", '"msisdn": "447911123456", ', "1.2.3.4,", "|1.2.3.4|\n",
    "INSERT INTO t (a) VALUES ('1.2.3.4', ", "Message-ID: <a@b.cd>\n", "\n <x@a.bc>", "CREATE USER a WITH PASSWORD 'x' ",
    "alter user a b c d e f g password ", "IDENTIFIED BY ", "name: DB_PASSWORD\nvalue: abcdefgh1 ", "a, b\nx,y\n",
    "ldapsearch -w x ", "redis-cli -a ", "password,\n", "password,x1234567\n", "| token |\n", "LS0tLS1CRUdJTi",
]  # fmt: skip


@pytest.mark.parametrize("unit", HOSTILE)
def test_the_new_rules_stay_linear_on_100_kb_of_hostile_text(unit: str) -> None:
    check_linear_on_hostile_unit(unit)
