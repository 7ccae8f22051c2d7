"""Round dlp15b: an independent DLP-style check of the default scanner (issue 13).

The corpus (tests/data/dlp_check15b.json: 153 scored negatives and 10 contested ones written as ``{"text", "note"}``;
105 positives, 3 of them contested with a ``note``, 102 scored with 120 values) was written and committed before the
detectors or the earlier rounds' corpora were read. On main (1bb65d8) 7 scored negatives had a finding and no value was
missed. Each current error is listed below, so that a regression (a new error) or a fix (an error gone) shows here.

Fixed in this round, one class: a tax or company register number, or a lab's record, after its label read as a phone
number (4 of the 7: "ABN 51 824 753 556", "USt-IdNr. DE 136 695 976" with a VAT number's country before it, "Nota
fiscal nº 000.123.456", "Lab accession 26-325-00417"). After: 3 of 153 negatives flagged, no value missed.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import corpus_scan_errors, found_as

from gatekit.governance.detectors import scan

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "dlp_check15b.json").read_text(encoding="utf-8"))
SCORED_NEGATIVES = [case for case in CORPUS["negatives"] if isinstance(case, str)]
CONTESTED_NEGATIVES = [case for case in CORPUS["negatives"] if not isinstance(case, str)]
SCORED_POSITIVES = [case for case in CORPUS["positives"] if "note" not in case]

# negatives with a finding on main (1bb65d8), left after this round's fix: the text's start and the findings, as
# (type, value)
FLAGGED_ON_MAIN: dict[str, list[tuple[str, str]]] = {
    # none left: "4294967295", a 32-bit constant, is no phone number since round dlp16; "auth: user_id=884213", another
    # field's assignment, no credential since round secrets16; India's postal "PIN 400001" after other postal codes
    # ("Postcode SW1A 2AA; PLZ 80331; ...") no credential since session 11
}


def _key(text: str) -> str:
    """The entry of ``FLAGGED_ON_MAIN`` whose text starts ``text`` ("" for none)."""
    return next((start for start in FLAGGED_ON_MAIN if text.startswith(start)), "")


def test_corpus_shape() -> None:
    """The committed counts: a changed corpus must update this file's numbers too."""
    assert len(SCORED_NEGATIVES) == 153
    assert len(CONTESTED_NEGATIVES) == 10 and all(case["note"] for case in CONTESTED_NEGATIVES)
    assert len(CORPUS["positives"]) == 105 and len(SCORED_POSITIVES) == 102
    assert sum(len(case["expect"]) for case in SCORED_POSITIVES) == 120


def test_false_findings_are_exactly_mains() -> None:
    """0 of 153 negatives flagged (7 on main, 3 after dlp15b): a new one fails."""
    flagged, _ = corpus_scan_errors(SCORED_NEGATIVES, [])
    got = {_key(text): findings for text, findings in flagged}
    assert "" not in got, [text for text, _ in flagged if not _key(text)]
    assert got == FLAGGED_ON_MAIN
    assert len(flagged) == 0


def test_no_value_missed() -> None:
    """All 120 scored values are found by their type on main."""
    _, missed = corpus_scan_errors([], SCORED_POSITIVES)
    assert missed == []


def test_contested_cases_as_main_reads_them() -> None:
    """Not scored; recorded so a change in how they are read shows: the NHS number as a phone, AWS's documented key."""
    flagged = {case["text"]: [(f.type, f.value) for f in scan(case["text"])] for case in CONTESTED_NEGATIVES}
    assert {text: found for text, found in flagged.items() if found} == {
        "NHS number 943 476 5919 on the referral letter": [("PHONE_NUMBER", "943 476 5919")],
        "AWS example key AKIAIOSFODNN7EXAMPLE from the AWS documentation": [("AWS_ACCESS_KEY", "AKIAIOSFODNN7EXAMPLE")],
    }


# the fixed class's cases (each flagged on main), and neighbours that must stay phone numbers
REGISTER_IDS = [
    "Tax invoice 000457 - ABN 51 824 753 556 - GST included $110.00",
    "USt-IdNr. DE 136 695 976, Handelsregister HRB 86891",
    "Nota fiscal nº 000.123.456, série 1",
    "Lab accession 26-325-00417; specimen collected 07:12",
]
PHONES_NEAR_LABELS = [
    ("VAT queries: call 0161 496 0321 (Mon-Fri)", "0161 496 0321"),
    ("ABN helpline +61 2 5550 4321", "+61 2 5550 4321"),
    ("Lab accession desk, tel. 0161 496 0321", "0161 496 0321"),
    ("USt-IdNr. DE 136 695 976; the office is on 030 1234567", "030 1234567"),
    ("Kontakt DE 089 12345678", "089 12345678"),
]


def test_register_ids_after_their_label_are_no_phone_numbers() -> None:
    """A tax or company register number, or a lab's accession number, after its label: no finding."""
    assert {text: [(f.type, f.value) for f in scan(text)] for text in REGISTER_IDS} == {
        text: [] for text in REGISTER_IDS
    }


def test_phone_numbers_near_those_labels_are_still_found() -> None:
    """The labels name the value right after them only: a phone number elsewhere, or after another word, is found."""
    for text, value in PHONES_NEAR_LABELS:
        assert found_as(text, value, "PHONE_NUMBER"), text
