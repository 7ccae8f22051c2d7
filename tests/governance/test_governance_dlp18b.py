"""Round dlp18b: a second independent DLP check, every type of the default scanner (issue 13).

The corpus (tests/data/dlp_check18b.json) was written and committed before the detectors or the earlier rounds'
corpora were read, in styles the earlier rounds did not cover: scientific and medical text (DOIs, ORCID iDs, PubMed,
arXiv, CAS numbers, gene ids, lab values, coordinates, p-values, result tables), source code and data files (UUIDs,
git SHAs, hashes, hex colours, MAC addresses, base64, version pins, ports, cron lines, regexes, numeric literals),
OCR / PDF / HTML-to-text output, chat and social text, and 14 languages with their digit conventions; positives in
the same styles. 207 negatives and 122 positives with 157 values are scored; 5 positives carry a "note" (contested)
and are left out of the score.

On main (c0cb697): 13 of 207 negatives flagged (12 as PHONE_NUMBER, 1 as IP_ADDRESS), 1 of 157 values missed.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import corpus_scan_errors

from gatekit.governance.detectors import scan

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "dlp_check18b.json").read_text(encoding="utf-8"))
NEGATIVES: list[str] = CORPUS["negatives"]
POSITIVES: list[dict] = [case for case in CORPUS["positives"] if "note" not in case]
CONTESTED_POSITIVES: list[dict] = [case for case in CORPUS["positives"] if "note" in case]

# negatives with a finding now: the text and its findings as (type, value)
FLAGGED: dict[str, list[tuple[str, str]]] = {
    "Trial registration: ClinicalTrials.gov NCT04368728; EudraCT 2020-001038-36.": [("PHONE_NUMBER", "2020-001038-36")],
    "ISBN 978-0-306-40615-7; ISSN 0028-0836; Nature 585, 357–362 (2020).": [("PHONE_NUMBER", "357–362 (2020)")],
    "Mass spec: m/z 445.1201 [M+H]+, calc. 445.1198, Δ 0.7 ppm.": [
        ("PHONE_NUMBER", "445.1201"),
        ("PHONE_NUMBER", "445.1198"),
    ],
    "Latitude -33.8688, longitude 151.2093 (Sydney); UTM 56H 334368 6250948.": [("PHONE_NUMBER", "334368 6250948")],
    "OBJECTID 4001234567 lat 51.5074 lon -0.1278 srid 4326": [("PHONE_NUMBER", "4001234567")],
    "numbers = [3141592653, 2718281828, 1414213562, 1732050807]": [
        ("PHONE_NUMBER", "3141592653"),
        ("PHONE_NUMBER", "2718281828"),
        ("PHONE_NUMBER", "1414213562"),
    ],
    "my fav numbers r 7 13 21 42 lol": [("PHONE_NUMBER", "7 13 21 42")],
    "Toplam tutar 1.234,56 TL; sipariş no 2026-48213.": [("PHONE_NUMBER", "2026-48213")],
    "المبلغ ١٢٣٤٫٥٦ ريال، رقم الطلب ٢٠٢٦-٤٨٢١٣": [("PHONE_NUMBER", "٢٠٢٦-٤٨٢١٣")],
    "कुल राशि ₹1,23,456.78; आदेश संख्या 2026-48213": [("PHONE_NUMBER", "2026-48213")],
    "总金额为 1,234.56 元，订单号 2026-48213，日期 2026年12月7日。": [("PHONE_NUMBER", "2026-48213")],
    "총액 1,234,560원, 주문번호 2026-48213, 날짜 2026.12.07": [("PHONE_NUMBER", "2026-48213")],
    "The ratio was 1:2:3:4:5:6:7:8 across groups.": [("IP_ADDRESS", "1:2:3:4:5:6:7:8")],
}
# expected values not found now: (text, value)
MISSED: list[tuple[str, str]] = [
    ("Phone:+1 (415) 555-0134Fax:+1 (415) 555-0135", "+1 (415) 555-0134"),
]


def test_corpus_shape() -> None:
    """The committed counts: a changed corpus must update this file's numbers too."""
    assert len(NEGATIVES) == 207 and len(set(NEGATIVES)) == 207
    assert len(POSITIVES) == 122 and sum(len(case["expect"]) for case in POSITIVES) == 157
    assert len(CONTESTED_POSITIVES) == 5 and all(case["note"] for case in CONTESTED_POSITIVES)


def test_false_findings_are_exactly_the_listed() -> None:
    """The negatives flagged are exactly FLAGGED (a new false finding, or a fix, fails until recorded)."""
    flagged, _ = corpus_scan_errors(NEGATIVES, [])
    assert dict(flagged) == FLAGGED


def test_misses_are_exactly_the_listed() -> None:
    """The values missed are exactly MISSED."""
    _, missed = corpus_scan_errors([], POSITIVES)
    assert [(text, expected["value"]) for text, expected in missed] == MISSED


def test_contested_cases_as_read_now() -> None:
    """Not scored; recorded so a change in how they are read shows."""
    found = {case["text"]: [(f.type, f.value) for f in scan(case["text"])] for case in CONTESTED_POSITIVES}
    assert found == {
        "Kontoinhaber: Max Muster\nIBAN: DE89 3704 0044\n0532 0130 00\nBIC: COBADEFFXXX": [
            ("PHONE_NUMBER", "3704 0044"),
            ("PHONE_NUMBER", "0532 0130 00"),
        ],
        "Customer e-mail jane.doe@exam-\nple.com (hyphenated by the PDF)": [],
        "Mi número es 612 34 56 78, llámame": [("PHONE_NUMBER", "612 34 56 78")],
        "ssn=501234567": [("US_SSN", "501234567")],
        "+1 (555) 010-0123 is not even a real area code lol": [("PHONE_NUMBER", "+1 (555) 010-0123")],
    }
