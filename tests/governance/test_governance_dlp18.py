"""Round dlp18: an independent DLP check on business documents, every type of the default scanner (issue 13).

The corpus (tests/data/dlp_check18.json) was written and committed before the detectors or the earlier rounds'
corpora were read: invoices and receipts (VAT ids, order and SKU codes, totals in EUR/GBP/INR/JPY), HR and CRM
records, insurance and medical forms, shipping notices, support chats, e-mail signatures in nine languages, calendar
invites, SQL dumps, CSV/TSV, XML/YAML/JSON, Terraform/Kubernetes/Docker, CI logs, markdown tables and PDFs turned
into text; positives in the same styles. 253 negatives and 133 positives with 160 values are scored; 4 negatives
and 7 positives carry a "note" (contested) and are left out of the score.

On main (2a01016): 8 of 253 negatives flagged (7 as PHONE_NUMBER, 1 as CREDIT_CARD), 0 of 160 values missed.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import corpus_scan_errors

from gatekit.governance.detectors import scan

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "dlp_check18.json").read_text(encoding="utf-8"))
NEGATIVES: list[str] = [text for text in CORPUS["negatives"] if isinstance(text, str)]
POSITIVES: list[dict] = [case for case in CORPUS["positives"] if "note" not in case]
CONTESTED_NEGATIVES: list[dict] = [case for case in CORPUS["negatives"] if not isinstance(case, str)]
CONTESTED_POSITIVES: list[dict] = [case for case in CORPUS["positives"] if "note" in case]

# negatives with a finding now: the text and its findings as (type, value)
FLAGGED = {
    "Faktura VAT nr FV/2026/11/0093, NIP 123-456-32-18, razem do zapłaty 4 920,00 zł": [
        ("PHONE_NUMBER", "123-456-32-18")
    ],
    "PO 4500012345 / Line 00010 / Material 000000000010004711 / Qty 1,000 EA": [("CREDIT_CARD", "000000000010004711")],
    "Póliza n.º 0081-2026-445566, prima anual 612,40 €": [("PHONE_NUMBER", "0081-2026-445566")],
    "Referral code 4471-0021-88, valid 90 days": [("PHONE_NUMBER", "4471-0021-88")],
    "ヤマト運輸 お問い合わせ伝票番号 4471-2210-3345": [("PHONE_NUMBER", "4471-2210-3345")],
    "Cordialement,\nMarie Dupont\nResponsable comptable\nExemple SARL – 12 rue de la Paix, 75002 Paris\n"
    "SIRET 732 829 320 00074 – RCS Paris B 732 829 320": [("PHONE_NUMBER", "732 829 320")],
    "Z poważaniem,\nAnna Kowalska\nDział Zakupów\nPrzykład Sp. z o.o., ul. Marszałkowska 1, 00-624 Warszawa, "
    "NIP 525-000-00-00, REGON 012345678, KRS 0000123456": [("PHONE_NUMBER", "525-000-00-00")],
    "Med vänliga hälsningar\nErik Andersson\nInköp\nExempel AB, Drottninggatan 1, 111 51 Stockholm\n"
    "Org.nr 556677-8899": [("PHONE_NUMBER", "556677-8899")],
}


def test_corpus_shape() -> None:
    """The committed counts: a changed corpus must update this file's numbers too."""
    assert len(NEGATIVES) == 253 and len(set(NEGATIVES)) == 253
    assert len(POSITIVES) == 133 and sum(len(case["expect"]) for case in POSITIVES) == 160
    assert len(CONTESTED_NEGATIVES) == 4 and len(CONTESTED_POSITIVES) == 7
    assert all(case["note"] for case in CONTESTED_NEGATIVES + CONTESTED_POSITIVES)


def test_false_findings_are_exactly_the_listed() -> None:
    """8 of 253 negatives flagged, listed: a new one fails, and so does one that a fix removed."""
    flagged, _ = corpus_scan_errors(NEGATIVES, [])
    assert dict(flagged) == FLAGGED
    assert len(flagged) == 8


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
