"""Round dlp15: a DLP-style corpus written apart, and the general classes it found.

The corpus (tests/data/dlp_redteam15.json: 410 negatives a DLP benchmark holds, 195 positives with 205 values, 8
contested cases with a ``note``, not scored) was written and committed before the scanner was run on it. On main
(6637d1d) 19 negatives had a finding and 2 values were missed. The general causes, each with cases that failed on
main and neighbours that keep each rule from over-firing:

* ids numbered by year with a longer or a month's group ("2026-004512", "Facture n° 2026-03-0042") read as phone
  numbers; identifiers' labels not read: "n°" / "nº", "S/N", "P/N", "Art.-Nr.", a JSON key's quotes (``"order_id":``),
  a company's register number (SIREN, SIRET, KvK), a drug's or a tariff's code (NDC, HS), Dutch and French labels,
  and a table's column whose header names an id (a TSV export's ``order_id``);
* a barcode's printed digits (EAN-13 as 1-6-6, UPC-A as 1-5-5-1, with their check digit) and a quantity grouped in
  thousands before a unit or a currency ("299 792 458 m/s") read as phone numbers;
* a dotted quad after a document part's word of German, French, Spanish, Dutch ("Abschnitt 3.1.4.1") or a
  checklist's ("CIS recommendation 1.1.1.1"), or after a package's word ("Paket 1.2.10.3"), read as an IP address;
* the same classes in forms the corpus does not hold, probed after the first fixes: German and Dutch compounds on
  "-nummer" and "-Nr." ("Vertragsnummer", "Kunden-Nr."), camelCase keys ("ticketId", "invoiceNumber"), an XML element
  (``<order_id>``), "numéro de client" / "número de cliente", an EAN-13 printed 1-6-6 with no label (read as 1-6),
  "km²", a document part's word with an accent ("Artículo 3.1.2.4");
* .NET's ``PublicKeyToken=...`` (a public key's hash) read as a credential; a URL's password holding an unencoded
  ``#`` missed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import check_linear_on_hostile_unit, corpus_scan_errors, found_as

from gatekit.governance.detectors import scan

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "dlp_redteam15.json").read_text(encoding="utf-8"))
SCORED_NEGATIVES = [case["text"] for case in CORPUS["negatives"] if "note" not in case]
SCORED_POSITIVES = [case for case in CORPUS["positives"] if "note" not in case]

# still wrong after the round (docs/governance-notes.md, round dlp15), each for a reason given
LEFT_NEGATIVES = {
    # "updated to" precedes a machine's new address as often as a release ("the A record was updated to ..."): the
    # rule names only the verbs of a change of release ("upgraded to")
    "Updated to 4.12.0.1 last week.",
    # ("Grid ref TQ 30083 80454", left here, is read since round dlp15b: two capitals after an id's label)
    # a nested JSON key: "number" (a word for a phone) right before it, "invoice" one level up
    '{"invoice": {"number": "2026-000123", "total": "1.234,56", "date": "04.03.2026"}}',
}
LEFT_POSITIVES = {
    # France's example number "01 23 45 67 89": its digits counted up, the placeholder rule's ("0123456789")
    "Appelez le 01 23 45 67 89",
}


def test_the_corpus_has_no_false_finding_and_no_miss_but_the_listed() -> None:
    flagged, missed = corpus_scan_errors(SCORED_NEGATIVES, SCORED_POSITIVES)
    assert {text for text, _ in flagged} == LEFT_NEGATIVES, flagged
    assert {text for text, _ in missed} == LEFT_POSITIVES, missed


def test_the_corpus_is_as_described() -> None:
    assert len(SCORED_NEGATIVES) == 410 and len(SCORED_POSITIVES) == 195
    assert sum(len(case["expect"]) for case in SCORED_POSITIVES) == 205
    assert sum("note" in case for case in CORPUS["negatives"] + CORPUS["positives"]) == 8


# --- phone numbers ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Bestelnummer 2026-004512, factuurdatum 04-03-2026",  # a year, then a zero-padded group of 6
        '{"ticket": "2026-00451", "status": "open"}',  # ... of 5
        "Facture n° 2026-03-0042 du 04/03/2026",  # a year, a month, a zero-padded number
        "Réf. 3 017620 422003",  # an EAN-13 printed 1-6-6, its check digit right
        "UPC-A 0 36000 29145 2",  # a UPC-A printed 1-5-5-1
        "The speed of light is 299 792 458 m/s.",  # thousands before a unit
        "Le budget est de 123 456 789 € cette année.",  # ... before a currency
        "Art.-Nr. 4711-0815",
        "S/N: 2147483647",
        "P/N 2125550143",
        "NDC 0002-3227-30",
        "HS code 8471.30.0100",
        "SIRET 732 829 320 00074",
        "SIREN 732 829 320",
        "KvK 2125550143",
        "Klantnummer 2125550143",
        "Pedido nº 2125550143",
        '{"order_id": "2125550143", "total": 12.5}',  # a JSON key naming an id, its quotes read through
        "order_no: '2125550143'",
    ],
)
def test_ids_barcodes_and_quantities_are_no_phone_numbers(text: str) -> None:
    assert scan(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("call 2026-004512", "2026-004512"),  # a word for a phone right before: a phone number, as before
        ("Tel: 2026-03-0042", "2026-03-0042"),
        ("Móvil 612 345 678", "612 345 678"),  # groups of three with no unit after them: Spain's numbers
        ("Llámame al 612 345 678 mañana", "612 345 678"),
        ("Hotline 030 1234567 €", "030 1234567"),  # a unit's rule is for groups of three only
        ("Tel. 0 36000 29145 3", "0 36000 29145"),  # 1-5-5-1 whose last digit is no UPC-A check digit
        ("phone 3 017620 422004", "3 017620 422004"),  # 1-6-6 whose last digit is no EAN-13 check digit
        ('"phone": "2125550143"', "2125550143"),  # a JSON key naming a phone
        ('"phone_number": "2125550143"', "2125550143"),
        ("Tél. n° 01 42 68 53 00", "01 42 68 53 00"),  # "n°" after a word for a phone
    ],
)
def test_phone_numbers_of_the_same_shapes_are_still_found(text: str, value: str) -> None:
    assert found_as(text, value, "PHONE_NUMBER")


@pytest.mark.parametrize(
    "text",
    [
        "order_id\tsku\tqty\n2125550143\tA-100\t2\n2125550144\tA-101\t1",
        "Invoice No;Datum\n2125550143;04.03.2026",
        "| Tracking number | Carrier |\n|---|---|\n| 2125550143 | UPS |",
        "customer_id,plan\n2125550143,pro\n2125550144,free",
    ],
)
def test_a_column_named_for_an_id_holds_no_phone_numbers(text: str) -> None:
    assert scan(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("order_id,phone\n2125550143,2125550144", "2125550144"),  # the phone column of the same row
        ("name,number\nJane,2125550143", "2125550143"),  # "number" alone names no id
        ("caller id;time\n2125550143;noon", "2125550143"),  # a caller ID shows a phone number
        ("2125550143,order_id", "2125550143"),  # no header above it
    ],
)
def test_phone_numbers_in_other_columns_are_still_found(text: str, value: str) -> None:
    assert found_as(text, value, "PHONE_NUMBER")


@pytest.mark.parametrize(
    "text",
    [
        "Vertragsnummer 2125550143",
        "Matrikelnummer 2125550143",
        "Dossiernummer 2125550143",
        "Kunden-Nr. 2125550143",
        "Mat.-Nr. 2125550143",
        "ticketId: 2125550143",
        "orderID=2125550143",
        "invoiceNumber: 2125550143",
        "<order_id>2125550143</order_id>",
        "Numéro de client 2125550143",
        "Número de cliente 2125550143",
        "numero di pratica 2125550143",
        "Aktenzeichen 2125550143",
        "Referentie 2125550143",
        "3 017620 422003",  # an EAN-13 printed 1-6-6, no label: not read as 1-6 either
        "Barcode 7 622210 449283",
        "Area 148 940 000 km²",
    ],
)
def test_held_out_forms_of_the_same_classes_are_no_phone_numbers(text: str) -> None:
    assert scan(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Telefonnummer 2125550143", "2125550143"),  # a compound naming a phone
        ("Rufnummer 2125550143", "2125550143"),
        ("Servicenummer 2125550143", "2125550143"),
        ("Festnetznummer 030 12345678", "030 12345678"),
        ("Telefoonnummer 020 123 4567", "020 123 4567"),
        ("Tel.-Nr. 2125550143", "2125550143"),
        ("Telefon-Nr. 030 12345678", "030 12345678"),
        ("callerId: 2125550143", "2125550143"),  # camelCase keys naming a phone
        ("phoneNumber: 2125550143", "2125550143"),
        ("mobileNo: 2125550143", "2125550143"),
        ("<phone>2125550143</phone>", "2125550143"),
        ("numéro de téléphone 2125550143", "2125550143"),
        ("número de teléfono 2125550143", "2125550143"),
        ("número de móvil 612 345 678", "612 345 678"),
        ("numéro de fixe 01 42 68 53 00", "01 42 68 53 00"),
        ("numero di telefono 2125550143", "2125550143"),
    ],
)
def test_names_of_a_phone_of_the_same_forms_still_are(text: str, value: str) -> None:
    assert found_as(text, value, "PHONE_NUMBER")


# --- IP addresses -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Abschnitt 3.1.4.1 der Norm",
        "Kapitel 2.1.3.4",
        "voir chapitre 4.2.1.3",
        "véase el apartado 10.2.3.4",
        "zie hoofdstuk 4.2.1.3",
        "CIS recommendation 1.1.1.1 Ensure mounting of cramfs filesystems is disabled",
        "PCI DSS requirement 8.2.1.3",
        "Paket 1.2.10.3 installiert",
        "package 10.0.0.1 is out",
        "Artículo 3.1.2.4 del reglamento",
        "Sección 2.1.3.4",
        "Step 1.2.3.4: configure the server",
    ],
)
def test_document_parts_and_packages_are_no_addresses(text: str) -> None:
    assert scan(text) == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("Server 3.1.4.1 is down", "3.1.4.1"),
        ("The package went to 10.0.0.5", "10.0.0.5"),  # the word right before the quad counts, not one in the text
        ("Moved the server from 10.0.0.4 to 10.0.0.5", "10.0.0.5"),
        ("Die IP-Adresse ist 10.2.3.4", "10.2.3.4"),
    ],
)
def test_addresses_are_still_found(text: str, value: str) -> None:
    assert found_as(text, value, "IP_ADDRESS")


# --- secrets ----------------------------------------------------------------------------------------------------


def test_a_public_key_token_is_no_credential() -> None:
    assert scan("Version=4.0.0.0, Culture=neutral, PublicKeyToken=b77a5c561934e089") == []
    assert scan('<add assembly="Foo, public_key_token=31bf3856ad364e35"/>') == []
    assert found_as("ApiToken=gh7Kq2Lx9PzR4tWm8NvB", "gh7Kq2Lx9PzR4tWm8NvB")  # other tokens still are
    assert found_as("access_token: gh7Kq2Lx9PzR4tWm8NvB", "gh7Kq2Lx9PzR4tWm8NvB")


def test_a_url_password_holding_a_hash_sign_is_found() -> None:
    assert found_as("postgres://app:Kx9#ZV82gDUP@db.example.com:5432/prod", "Kx9#ZV82gDUP")
    assert found_as("mysql://root:p#ss1x@127.0.0.1/app", "p#ss1x")
    assert scan("http://host.example.com:8080#top@x") == []  # a port and a fragment: no password
    assert scan("See https://docs.example.com/#install@latest") == []


@pytest.mark.parametrize(
    "unit",
    [
        "2026-004512 ",
        "2026-03-0042\n",
        "3 017620 422003 ",
        "0 36000 29145 2 ",
        "299 792 458 m/s ",
        "Art.-Nr. 4711-0815 ",
        "S/N: 2147483647 ",
        '"order_id": "2125550143", ',
        "n° 2125550143 ",
        "Abschnitt 3.1.4.1 ",
        "Paket 1.2.10.3 ",
        "PublicKeyToken=b77a5c561934e089 ",
        "postgres://a:b#c#d#",
        "://a:1#",
        "2125550143," * 300 + "\n",
        "order_id,x\n2125550143,1\n",
        "id\t2125550143\t" * 200 + "\n",
        "Vertragsnummer 2125550143 ",
        "ticketId: 2125550143 ",
        "numéro de client 2125550143 ",
        "<order_id>2125550143</order_id>",
        "Artículo 3.1.2.4 ",
        "7 622210 449283 ",
        "é" * 40 + "fig 1.2.3.4 ",
    ],
)
def test_hostile_floods_of_the_new_shapes_stay_linear(unit: str) -> None:
    check_linear_on_hostile_unit(unit)


def test_an_id_columns_lookups_are_counted_per_scan_not_per_process() -> None:
    # 100 rows under an id column: the first rows' columns are looked up (ids), past the lookups the rest are findings;
    # the same text scanned again, or after another text, gives the same findings (the lookups are the scan's)
    from gatekit.governance.detectors import scan

    rows = "".join(f"{2125550100 + index},Ann\n" for index in range(100))
    text = "order_id,name\n" + rows
    first = scan(text)
    found = [int(f.value) - 2125550100 for f in first if f.type == "PHONE_NUMBER"]
    assert 0 < len(found) <= 100 - 32 and found == list(range(100 - len(found), 100))  # (ids first, then findings)
    assert scan(text) == first  # (right after: the same text object)
    scan("order_id,name\n2125550100,Bo\n")
    assert scan(text) == first
    assert scan(str(text.encode().decode())) == first  # (an equal text of another identity)
