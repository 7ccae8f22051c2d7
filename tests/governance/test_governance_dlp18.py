"""Round dlp18: an independent DLP check on business documents, every type of the default scanner (issue 13).

The corpus (tests/data/dlp_check18.json) was written and committed before the detectors or the earlier rounds'
corpora were read: invoices and receipts (VAT ids, order and SKU codes, totals in EUR/GBP/INR/JPY), HR and CRM
records, insurance and medical forms, shipping notices, support chats, e-mail signatures in nine languages, calendar
invites, SQL dumps, CSV/TSV, XML/YAML/JSON, Terraform/Kubernetes/Docker, CI logs, markdown tables and PDFs turned
into text; positives in the same styles. 253 negatives and 133 positives with 160 values are scored; 4 negatives
and 7 positives carry a "note" (contested) and are left out of the score.

On main (2a01016): 8 of 253 negatives flagged (7 as PHONE_NUMBER, 1 as CREDIT_CARD), 0 of 160 values missed. After
this round: 0 flagged, 0 missed (the classes fixed, and 8 phone numbers main missed beyond the corpus, are tested
below; the record is in docs/governance-notes.md, "Round dlp18").
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import check_linear_on_hostile_unit, corpus_scan_errors, found_as

from gatekit.governance.detectors import scan

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "dlp_check18.json").read_text(encoding="utf-8"))
NEGATIVES: list[str] = [text for text in CORPUS["negatives"] if isinstance(text, str)]
POSITIVES: list[dict] = [case for case in CORPUS["positives"] if "note" not in case]
CONTESTED_NEGATIVES: list[dict] = [case for case in CORPUS["negatives"] if not isinstance(case, str)]
CONTESTED_POSITIVES: list[dict] = [case for case in CORPUS["positives"] if "note" in case]

# negatives with a finding now: the text and its findings as (type, value)
FLAGGED: dict[str, list[tuple[str, str]]] = {}
# negatives with a finding on main (2a01016), fixed in this round: the text and the value taken
FIXED_NEGATIVES = {
    # a tax or company register's label of the EU (Poland's NIP, Sweden's "Org.nr", France's "RCS <place> B")
    "Faktura VAT nr FV/2026/11/0093, NIP 123-456-32-18, razem do zapłaty 4 920,00 zł": "123-456-32-18",
    "Z poważaniem,\nAnna Kowalska\nDział Zakupów\nPrzykład Sp. z o.o., ul. Marszałkowska 1, 00-624 Warszawa, "
    "NIP 525-000-00-00, REGON 012345678, KRS 0000123456": "525-000-00-00",
    "Med vänliga hälsningar\nErik Andersson\nInköp\nExempel AB, Drottninggatan 1, 111 51 Stockholm\n"
    "Org.nr 556677-8899": "556677-8899",
    "Cordialement,\nMarie Dupont\nResponsable comptable\nExemple SARL – 12 rue de la Paix, 75002 Paris\n"
    "SIRET 732 829 320 00074 – RCS Paris B 732 829 320": "732 829 320",
    # an insurance policy's label in Spanish, "n.º" ("n.o" after NFKC)
    "Póliza n.º 0081-2026-445566, prima anual 612,40 €": "0081-2026-445566",
    # any "... code" but a phone's own
    "Referral code 4471-0021-88, valid 90 days": "4471-0021-88",
    # a Japanese id's name on 番号 ("number")
    "ヤマト運輸 お問い合わせ伝票番号 4471-2210-3345": "4471-2210-3345",
    # a zero-padded id (SAP's 18-digit material number): no card starts with 00
    "PO 4500012345 / Line 00010 / Material 000000000010004711 / Qty 1,000 EA": "000000000010004711",
}


def test_corpus_shape() -> None:
    """The committed counts: a changed corpus must update this file's numbers too."""
    assert len(NEGATIVES) == 253 and len(set(NEGATIVES)) == 253
    assert len(POSITIVES) == 133 and sum(len(case["expect"]) for case in POSITIVES) == 160
    assert len(CONTESTED_NEGATIVES) == 4 and len(CONTESTED_POSITIVES) == 7
    assert all(case["note"] for case in CONTESTED_NEGATIVES + CONTESTED_POSITIVES)


def test_false_findings_are_exactly_the_listed() -> None:
    """0 of 253 negatives flagged (8 on main, listed in FIXED_NEGATIVES): a new one fails."""
    flagged, _ = corpus_scan_errors(NEGATIVES, [])
    assert dict(flagged) == FLAGGED
    assert len(flagged) == 0
    assert set(FIXED_NEGATIVES) <= set(NEGATIVES)
    assert all(value in text for text, value in FIXED_NEGATIVES.items())


def test_no_value_missed() -> None:
    """All 160 values found by their type."""
    _, missed = corpus_scan_errors([], POSITIVES)
    assert missed == []


def test_contested_cases_as_read_now() -> None:
    """Not scored; recorded so a change in how they are read shows."""
    found = {
        case["text"]: [(f.type, f.value) for f in scan(case["text"])]
        for case in CONTESTED_NEGATIVES + CONTESTED_POSITIVES
    }
    assert {text: values for text, values in found.items() if values} == {
        "Host: 10.12.0.34 (internal)": [("IP_ADDRESS", "10.12.0.34")],
        "SSN 078-05-1120 (the Woolworth card)": [("US_SSN", "078-05-1120")],
        "Authorization: Basic dXNlcjpQYTU1dzByZDIwMjY=": [("API_TOKEN", "dXNlcjpQYTU1dzByZDIwMjY=")],
        "apiVersion: v1\nkind: Secret\ndata:\n  password: UzNjcjN0UGFzcw==": [("GENERIC_SECRET", "UzNjcjN0UGFzcw==")],
        "mysql -u root -pR00tPass2026 -h db.internal": [("GENERIC_SECRET", "R00tPass2026")],
        "iban: de89370400440532013000": [("IBAN_CODE", "de89370400440532013000")],
    }


# each fixed class: its cases beyond the corpus (no finding of the type), and neighbours that stay findings
@pytest.mark.parametrize(
    "text",
    [
        "NIP: 525-000-00-00",
        "REGON 123-456-785",
        "Org.nr. 802456-1234",  # (Norway's and Sweden's organisation numbers)
        "Reg.nr 556677-8899",
        "momsreg.nr 556677-8899",
        "CVR-nr. 12 34 56 78",
        "BTW-nr. 212 345 678",
        "P.IVA 212 345 6789",
        "UID CHE-123.456.789",
        "EORI 212 555 0123",
        "DUNS 15-048-3782",
        "RCS Lyon 732 829 320",
        "R.C.S. Paris B 732 829 320",
        "RCS Aix-en-Provence 732 829 320",
        "Apólice n.º 212 345 678",
        "Polizza 06 1234 5678",
        "Sinistre 01 99 00 12 34",
        "Pedido n.º 2125550143",
        "Promo code 4471-0021-88",
        "Access code: 812 3456 7890",
        "Postal code 212 555 0123",
        "注文番号 03-1234-5678",
        "お問い合わせ番号：4471-2210-3345",
        "订单号码 212-555-0123",
        # found by probing after the corpus: German compounds on "-nr" glued, ids of members, prescriptions, persons,
        # delivery notes, references; a log's counter or duration under its key
        "Kundennr. 212 555 0123",
        "Krankenversichertennr. 0151 2345 678",
        "Member # 212 555 0123",
        "Rx # 0812345-01234",
        "PESEL 44051401359",
        "Lieferschein 4711-0815-42",
        "Auftrag 2026-4471-0815",
        "Mandatsreferenz 030 23125456",
        "Rif. 0151 23456789",
        "bytes_sent=2125550123",
        "duration_ms=2125550123",
    ],
)
def test_fixed_phone_classes_beyond_the_corpus(text: str) -> None:
    """Ids after a register's, a policy's, a code's or a Japanese / Chinese id's name are no phone numbers."""
    assert [f.value for f in scan(text) if f.type == "PHONE_NUMBER"] == []


@pytest.mark.parametrize(
    ("text", "value"),
    [
        # a phone's own words before "code", "-Nr." / ".nr", "番号", and after "n.º"
        ("area code 212 555-0123", "212 555-0123"),
        ("STD code 020 7946 0958", "020 7946 0958"),
        ("Dialling code 020 7946 0958", "020 7946 0958"),
        ("Country code +49, Telefon 030 23125456", "030 23125456"),
        ("Tel.-Nr. 0151 23456789", "0151 23456789"),
        ("Tel.nr 030 23125456", "030 23125456"),
        ("Mob.nr 0151 23456789", "0151 23456789"),
        ("Tlf.nr. 030 23125456", "030 23125456"),
        ("Telnr. 0151 23456789", "0151 23456789"),
        ("Telefonnr: 030 23125456", "030 23125456"),
        ("Handynr 0151 23456789", "0151 23456789"),
        ("Faxnr. 030 23125499", "030 23125499"),
        ("team member Jane, 212-555-0123", "212-555-0123"),
        ("Sent from my phone: 0151 23456789", "0151 23456789"),
        ("btw 0151 23456789 is my new number", "0151 23456789"),  # (chat's "by the way", not the Dutch VAT)
        ("Telefone n.º 212 345 678", "212 345 678"),
        ("電話番号 03-1234-5678", "03-1234-5678"),
        ("携帯番号 090-1234-5678", "090-1234-5678"),
        ("FAX番号 03-1234-5679", "03-1234-5679"),
        ("Lyon 732 829 320", "732 829 320"),  # a place without a register's label
        ("RCS Paris – Tél. 01 99 00 12 34", "01 99 00 12 34"),
        # missed on main: a German "Mob.-Nr." ("mob" no phone's word), a phone's abbreviation or a Japanese word
        # glued to its colon (a colon's digits are an id's but after a phone's word)
        ("Mob.-Nr.: 0151 23456789", "0151 23456789"),
        ("Tel.:030 23125456", "030 23125456"),
        ("Tél.:01 99 00 12 34", "01 99 00 12 34"),
        ("Fax.:030 23125499", "030 23125499"),
        ("Mob.:0151 23456789", "0151 23456789"),
        ("電話：03-1234-5678", "03-1234-5678"),
        ("携帯：090-1234-5678", "090-1234-5678"),
        ("電話番号：03-1234-5678", "03-1234-5678"),
    ],
)
def test_phone_neighbours_stay_found(text: str, value: str) -> None:
    """Phone numbers next to the fixed classes are found (the last eight were missed on main)."""
    assert found_as(text, value, "PHONE_NUMBER")


@pytest.mark.parametrize("text", ["order:030 23125456", "hotel:030 23125456", "Nr.:030 23125456"])
def test_colon_still_glues_other_keys(text: str) -> None:
    """Digits glued to another key's colon stay an id."""
    assert [f.value for f in scan(text) if f.type == "PHONE_NUMBER"] == []


@pytest.mark.parametrize(
    ("text", "card"),
    [
        ("Material 000000000010004711", False),  # zero-padded ids of a card's lengths, Luhn-valid
        ("id 0000000000000018", False),
        ("card 0604000000000000", True),  # Maestro's old 0604 range stays a card
        ("4111 1111 1111 1111", True),
    ],
)
def test_zero_padded_ids_are_no_cards(text: str, card: bool) -> None:
    """No card starts with 00: a zero-padded id of a card's length is none."""
    assert any(f.type == "CREDIT_CARD" for f in scan(text)) is card


@pytest.mark.parametrize(
    "unit", ["Tel.:0 ", "電話：0", "RCS Paris B 732 829 320 ", "code 4471-0021-88 ", "番号 03-1234-5678 "]
)
def test_new_rules_linear(unit: str) -> None:
    """100 KB of each new rule's shapes repeated: every detector linear and fast."""
    check_linear_on_hostile_unit(unit)
