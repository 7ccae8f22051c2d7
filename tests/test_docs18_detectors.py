"""docs/detectors.md says what each detector does: its examples are what ``gatekit.governance.scan`` finds and leaves.

Each row is (the example as docs/detectors.md writes it, the text scanned, the type it must find or None). The first
check keeps the rows tied to the document: an example reworded or dropped there fails here until this list follows.
"""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT

from gatekit.governance import scan

DOC = (REPO_ROOT / "docs" / "detectors.md").read_text(encoding="utf-8")

FOUND: list[tuple[str, str, str]] = [
    ("josé@example.es", "josé@example.es", "EMAIL_ADDRESS"),
    ("info@bücher.de", "info@bücher.de", "EMAIL_ADDRESS"),
    ("иван@пример.рф", "иван@пример.рф", "EMAIL_ADDRESS"),
    ("user@example.com", "user@example.com", "EMAIL_ADDRESS"),
    ("089/1234567", "089/1234567", "PHONE_NUMBER"),
    ("0 89/12 34 56", "0 89/12 34 56", "PHONE_NUMBER"),
    ("01/588580", "01/588580", "PHONE_NUMBER"),
    ("089 / 1234567", "089 / 1234567", "PHONE_NUMBER"),
    ("030-1234567-0", "030-1234567-0", "PHONE_NUMBER"),
    ("+49 30 1234567-0", "+49 30 1234567-0", "PHONE_NUMBER"),
    ("+43 1 58858-0", "+43 1 58858-0", "PHONE_NUMBER"),
    ("Tel 12 2125551234", "Tel 12 2125551234", "PHONE_NUMBER"),
    ("item 3 (212) 555-0187", "item 3 (212) 555-0187", "PHONE_NUMBER"),
    ('"msisdn": "447911123456"', '"msisdn": "447911123456"', "PHONE_NUMBER"),
    ('"wa_id": "8613812345678"', '"wa_id": "8613812345678"', "PHONE_NUMBER"),
    ("+1.415.555.2671", "+1.415.555.2671", "PHONE_NUMBER"),
    ("+1.4155552671", "+1.4155552671", "PHONE_NUMBER"),
    ("tel:+1-415-555-2671", "tel:+1-415-555-2671", "PHONE_NUMBER"),
    ("phone:+4915123456789", "phone:+4915123456789", "PHONE_NUMBER"),
    ("tel:2125550143", "tel:2125550143", "PHONE_NUMBER"),
    ("order 1234567 a 555 x 2125551234", "order 1234567 a 555 x 2125551234", "PHONE_NUMBER"),
    ("Rufen Sie unter 030 127009 an", "Rufen Sie unter 030 127009 an", "PHONE_NUMBER"),
    ("on-call 2147483647", "on-call 2147483647", "PHONE_NUMBER"),
    ("London NW1 020 7946 0958", "London NW1 020 7946 0958", "PHONE_NUMBER"),
    (",+1 646 555 0142,601-33-7428", ",+1 646 555 0142,601-33-7428", "PHONE_NUMBER"),
    ("4111 1111 1111 1111 123", "4111 1111 1111 1111 123", "CREDIT_CARD"),
    ("4111 - 1111 - 1111 - 1111", "4111 - 1111 - 1111 - 1111", "CREDIT_CARD"),
    ("… 12/26", "4111-1111-1111-1111 12/26", "CREDIT_CARD"),
    ("078-05-1120", "078-05-1120", "US_SSN"),
    ("219-09-9999", "219-09-9999", "US_SSN"),
    ("123-45-6789", "123-45-6789", "US_SSN"),
    ("DE 89 3704 0044 …", "DE 89 3704 0044 0532 0130 00", "IBAN_CODE"),
    ("IP is192.168.1.1", "IP is192.168.1.1", "IP_ADDRESS"),
    ("192.168.1.7/24", "192.168.1.7/24", "IP_ADDRESS"),
    ("/hosts/10.0.0.0", "GET /hosts/10.0.0.0", "IP_ADDRESS"),
    ("Moved the server from 10.0.0.4 to 10.0.0.5", "Moved the server from 10.0.0.4 to 10.0.0.5", "IP_ADDRESS"),
    ("2.3.4.5 -> 2.3.5.0", "2.3.4.5 -> 2.3.5.0", "IP_ADDRESS"),
    ("AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY"),
    ("sk_test_4eC39HqLyjWDarjtT1zdp7dc", "sk_test_4eC39HqLyjWDarjtT1zdp7dc", "API_TOKEN"),
    ("password: hunter2", "password: hunter2", "GENERIC_SECRET"),
    ("postgres://app:Kx9#ZV82@db", "postgres://app:Kx9#ZV82@db", "GENERIC_SECRET"),
    ("CREATE USER scott IDENTIFIED BY Tiger2026x", "CREATE USER scott IDENTIFIED BY Tiger2026x", "GENERIC_SECRET"),
    ("password: cGFzc3dvcmQxMjM=", "password: cGFzc3dvcmQxMjM=", "GENERIC_SECRET"),
    ('password: "correct horse battery staple"', 'password: "correct horse battery staple"', "GENERIC_SECRET"),
    ("log in with password 'Spring#2025'", "log in with password 'Spring#2025'", "GENERIC_SECRET"),
    ("curl -u user:…", "curl -u user:guest https://example.com", "GENERIC_SECRET"),
    ("sshpass -p …", "sshpass -p guest ssh host", "GENERIC_SECRET"),
    ("redis-cli … -a …", "redis-cli -h cache -a ab ping", "GENERIC_SECRET"),
    ("mysql -p…", "mysql -pKx9zV82q", "GENERIC_SECRET"),
]

NOT_FOUND: list[tuple[str, str]] = [
    ("111-11-1111", "111-11-1111"),
    ("0000 0000 0000 0000", "0000 0000 0000 0000"),
    ("0000000000", "0000000000"),
    ("E111111111", "E111111111"),
    ("icon@2x.png", "icon@2x.png"),
    ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
    ("ssh -T git@github.com", "ssh -T git@github.com"),
    ("<20260304.4F2A@mx1.example.org>", "Message-ID: <20260304.4F2A@mx1.example.org>"),
    ("population 8 336 817", "population 8 336 817"),
    ("67 750 000", "67 750 000"),
    ("84.358.845", "84.358.845"),
    ("10 452 326 invånare", "10 452 326 invånare"),
    ("1 234 567 users", "1 234 567 users"),
    ("07 14 21 28 35 42", "07 14 21 28 35 42"),
    ("8080 8081 8082", "8080 8081 8082"),
    ("94105-1234", "94105-1234"),
    ("0-306-40615-2", "0-306-40615-2"),
    ("12/2023", "12/2023"),
    ("1234/5678", "1234/5678"),
    ("/api/v1/1234567", "/api/v1/1234567"),
    ("4294967295", "4294967295"),
    ("2147483647", "2147483647"),
    ("1234567890", "1234567890"),
    ("memory: 2147483648", "memory: 2147483648"),
    ("20260311 1432", "20260311 1432"),
    ('HTTP/1.1" 200 2326', 'HTTP/1.1" 200 2326'),
    ("bytes=0-1048575", "bytes=0-1048575"),
    ("1939-1945", "1939-1945"),
    ("2023–2024", "2023–2024"),
    ("Store hours: 0800-2200", "Store hours: 0800-2200"),
    ("2023-0456", "2023-0456"),
    ("2026-004512", "2026-004512"),
    ("Docket 2023-0145-0012", "Docket 2023-0145-0012"),
    ("2026-03-0042", "2026-03-0042"),
    ("3 017620 422003", "3 017620 422003"),
    ("0 36000 29145 2", "0 36000 29145 2"),
    ("1Z 999 AA1 01 2345 6784", "1Z 999 AA1 01 2345 6784"),
    ("Ref AB12 0151 2345 6789", "Ref AB12 0151 2345 6789"),
    ("299 792 458 m/s", "299 792 458 m/s"),
    ("123 456 789 €", "123 456 789 €"),
    ("Order ID 4021983712", "Order ID 4021983712"),
    ("EIN 12-3456789", "EIN 12-3456789"),
    ("Bestellnummer …", "Bestellnummer 4021983712"),
    ("Vertragsnummer …", "Vertragsnummer 4021983712"),
    ("Kunden-Nr. …", "Kunden-Nr. 4021983712"),
    ("ticketId", "ticketId 4021983712"),
    ('"order_id": "…"', '"order_id": "4021983712"'),
    ("<order_id>…", "<order_id>4021983712</order_id>"),
    ("FedEx …", "FedEx 4021983712"),
    ("order:2125550143", "order:2125550143"),
    ("1 1 2 3 5 8 13 21 34 55", "1 1 2 3 5 8 13 21 34 55"),
    ("EAN 5901234123457", "EAN 5901234123457"),
    ("0.0.0.255", "0.0.0.255"),
    ("255.255.255.255", "255.255.255.255"),
    ("255.255.255.0", "255.255.255.0"),
    ("version 1.2.3.4", "version 1.2.3.4"),
    ("v1.2.3.4", "v1.2.3.4"),
    ("OID 2.5.4.3", "OID 2.5.4.3"),
    ("SDK 8.0.100.2", "SDK 8.0.100.2"),
    ("gem 3.2.1.0", "gem 3.2.1.0"),
    ("java 17.0.9.1", "java 17.0.9.1"),
    ("release notes for 3.2.1.0", "release notes for 3.2.1.0"),
    ("Bump foo from 1.10.4.2 to 1.10.5.0", "Bump foo from 1.10.4.2 to 1.10.5.0"),
    ('AssemblyVersion("2.4.0.117")', 'AssemblyVersion("2.4.0.117")'),
    ("1.2.3.4-SNAPSHOT", "1.2.3.4-SNAPSHOT"),
    ("6.1.0.18-amd64", "6.1.0.18-amd64"),
    ("## 4.12.0.1", "## 4.12.0.1"),
    ("version 2.3.4.5 -> 2.3.5.0", "version 2.3.4.5 -> 2.3.5.0"),
    ("10.0.0.0/8", "10.0.0.0/8"),
    ("2001:db8::/32", "2001:db8::/32"),
    ("Chrome/122.0.0.0", "Chrome/122.0.0.0"),
    ("POSTGRES_PASSWORD: changeme", "POSTGRES_PASSWORD: changeme"),
    ("${DB_PASSWORD_V2}", "password: ${DB_PASSWORD_V2}"),
    ("pwd: /srv/app1", "pwd: /srv/app1"),
    ("auth: user_id=884213", "auth: user_id=884213"),
    ("PIN: 12:30", "PIN: 12:30"),
    ("Dial-in PIN 5521 8876", "Dial-in PIN 5521 8876"),
    ('"Enter your password"', 'password: "Enter your password"'),
    ("PASSWORD IS REQUIRED", "PASSWORD IS REQUIRED"),
    ("the password hashing cost is …", "the password hashing cost is 12"),
    ("PublicKeyToken=…", "PublicKeyToken=b77a5c561934e089"),
    ("next_page_token", "next_page_token=Ab3dEf9hIj2kLm"),
    ("ghp_xxxx…", "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"),
    ("keytool -keypass hunter2", "keytool -keypass hunter2"),
]


def test_every_example_here_is_written_in_docs_detectors_md() -> None:
    missing = [shown for shown, _, _ in FOUND if f"`{shown}`" not in DOC]
    missing += [shown for shown, _ in NOT_FOUND if f"`{shown}`" not in DOC and f'"{shown}"' not in DOC]
    assert not missing, f"examples no longer in docs/detectors.md: {missing}"


@pytest.mark.parametrize(("shown", "text", "kind"), FOUND, ids=[row[0] for row in FOUND])
def test_what_docs_detectors_md_calls_a_finding_is_found(shown: str, text: str, kind: str) -> None:
    found = [f.type for f in scan(text)]
    assert kind in found, f"docs/detectors.md: {shown!r} should be a {kind}; scan({text!r}) found {found}"


@pytest.mark.parametrize(("shown", "text"), NOT_FOUND, ids=[row[0] for row in NOT_FOUND])
def test_what_docs_detectors_md_calls_no_finding_is_not_found(shown: str, text: str) -> None:
    found = [(f.type, f.value) for f in scan(text)]
    assert found == [], f"docs/detectors.md: {shown!r} should be no finding; scan({text!r}) found {found}"
