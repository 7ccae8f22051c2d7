"""Round dlp18b: a second independent DLP check, every type of the default scanner (issue 13).

The corpus (tests/data/dlp_check18b.json) was written and committed before the detectors or the earlier rounds'
corpora were read, in styles the earlier rounds did not cover: scientific and medical text (DOIs, ORCID iDs, PubMed,
arXiv, CAS numbers, gene ids, lab values, coordinates, p-values, result tables), source code and data files (UUIDs,
git SHAs, hashes, hex colours, MAC addresses, base64, version pins, ports, cron lines, regexes, numeric literals),
OCR / PDF / HTML-to-text output, chat and social text, and 14 languages with their digit conventions; positives in
the same styles. 207 negatives and 122 positives with 157 values are scored; 5 positives carry a "note" (contested)
and are left out of the score.

On main (c0cb697): 13 of 207 negatives flagged (12 as PHONE_NUMBER, 1 as IP_ADDRESS), 1 of 157 values missed. After
this round: 4 flagged (all PHONE_NUMBER; classes left: UTM coordinates, an all-caps "...ID" label glued, a code list
of bare 10-digit runs, four small numbers after one digit), 0 missed. The classes fixed are tested below beyond the
corpus; the record is in docs/governance-notes.md, "Round dlp18b".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import check_linear_on_hostile_unit, corpus_scan_errors

from gatekit.governance.detectors import scan

CORPUS = json.loads((Path(__file__).resolve().parents[1] / "data" / "dlp_check18b.json").read_text(encoding="utf-8"))
NEGATIVES: list[str] = CORPUS["negatives"]
POSITIVES: list[dict] = [case for case in CORPUS["positives"] if "note" not in case]
CONTESTED_POSITIVES: list[dict] = [case for case in CORPUS["positives"] if "note" in case]

# negatives with a finding now: the text and its findings as (type, value) (the classes left, see the module doc)
FLAGGED: dict[str, list[tuple[str, str]]] = {
    # UTM easting and northing after a zone ending in a letter
    "Latitude -33.8688, longitude 151.2093 (Sydney); UTM 56H 334368 6250948.": [("PHONE_NUMBER", "334368 6250948")],
    # a bare 10-digit run after an all-caps label glued to "ID"
    "OBJECTID 4001234567 lat 51.5074 lon -0.1278 srid 4326": [("PHONE_NUMBER", "4001234567")],
    # a code literal's list of bare 10-digit runs (a list of phone numbers is written so too)
    "numbers = [3141592653, 2718281828, 1414213562, 1732050807]": [
        ("PHONE_NUMBER", "3141592653"),
        ("PHONE_NUMBER", "2718281828"),
        ("PHONE_NUMBER", "1414213562"),
    ],
    # four small numbers after one digit: libphonenumber's national examples are so written ("2 22 12 34 56")
    "my fav numbers r 7 13 21 42 lol": [("PHONE_NUMBER", "7 13 21 42")],
}
# negatives with a finding on main (c0cb697), fixed in this round: the text and the value taken
FIXED_NEGATIVES = {
    # an id numbered by year: a year and one group of 5 or 6 digits, or a zero-padded group and one more
    "Trial registration: ClinicalTrials.gov NCT04368728; EudraCT 2020-001038-36.": "2020-001038-36",
    "Toplam tutar 1.234,56 TL; sipariş no 2026-48213.": "2026-48213",
    "المبلغ ١٢٣٤٫٥٦ ريال، رقم الطلب ٢٠٢٦-٤٨٢١٣": "٢٠٢٦-٤٨٢١٣",
    "कुल राशि ₹1,23,456.78; आदेश संख्या 2026-48213": "2026-48213",
    "总金额为 1,234.56 元，订单号 2026-48213，日期 2026年12月7日。": "2026-48213",
    "총액 1,234,560원, 주문번호 2026-48213, 날짜 2026.12.07": "2026-48213",
    # a group in parentheses last (a citation's year after its pages)
    "ISBN 978-0-306-40615-7; ISSN 0028-0836; Nature 585, 357–362 (2020).": "357–362 (2020)",
    # two groups joined by a dot: a decimal number
    "Mass spec: m/z 445.1201 [M+H]+, calc. 445.1198, Δ 0.7 ppm.": "445.1201",
    # eight groups of one or two decimal digits: a ratio, not an IPv6 address
    "The ratio was 1:2:3:4:5:6:7:8 across groups.": "1:2:3:4:5:6:7:8",
}
# expected values not found now: (text, value)
MISSED: list[tuple[str, str]] = []
# values missed on main, found now: a capitalised label glued after a number with "+" or "(area)" (columns run together)
FIXED_MISSES = {"Phone:+1 (415) 555-0134Fax:+1 (415) 555-0135": "+1 (415) 555-0134"}


def test_corpus_shape() -> None:
    """The committed counts: a changed corpus must update this file's numbers too."""
    assert len(NEGATIVES) == 207 and len(set(NEGATIVES)) == 207
    assert len(POSITIVES) == 122 and sum(len(case["expect"]) for case in POSITIVES) == 157
    assert len(CONTESTED_POSITIVES) == 5 and all(case["note"] for case in CONTESTED_POSITIVES)


def test_false_findings_are_exactly_the_listed() -> None:
    """The negatives flagged are exactly FLAGGED (a new false finding, or a fix, fails until recorded)."""
    flagged, _ = corpus_scan_errors(NEGATIVES, [])
    assert dict(flagged) == FLAGGED
    assert len(flagged) == 4
    assert set(FIXED_NEGATIVES) <= set(NEGATIVES) and not set(FIXED_NEGATIVES) & set(FLAGGED)
    assert all(value in text for text, value in FIXED_NEGATIVES.items())


def test_misses_are_exactly_the_listed() -> None:
    """The values missed are exactly MISSED."""
    _, missed = corpus_scan_errors([], POSITIVES)
    assert [(text, expected["value"]) for text, expected in missed] == MISSED
    assert all(any(case["text"] == text for case in POSITIVES) for text in FIXED_MISSES)


def test_contested_cases_as_read_now() -> None:
    """Not scored; recorded so a change in how they are read shows."""
    found = {case["text"]: [(f.type, f.value) for f in scan(case["text"])] for case in CONTESTED_POSITIVES}
    assert found == {
        # (an IBAN wrapped at a line's end: found whole since round dlp21, as this set expected; two phone numbers before)
        "Kontoinhaber: Max Muster\nIBAN: DE89 3704 0044\n0532 0130 00\nBIC: COBADEFFXXX": [
            ("IBAN_CODE", "DE89 3704 0044\n0532 0130 00"),
        ],
        "Customer e-mail jane.doe@exam-\nple.com (hyphenated by the PDF)": [],
        "Mi número es 612 34 56 78, llámame": [("PHONE_NUMBER", "612 34 56 78")],
        "ssn=501234567": [("US_SSN", "501234567")],
        "+1 (555) 010-0123 is not even a real area code lol": [("PHONE_NUMBER", "+1 (555) 010-0123")],
    }


def values(text: str, kind: str) -> list[str]:
    """The values of ``text``'s findings of type ``kind``."""
    return [f.value for f in scan(text) if f.type == kind]


@pytest.mark.parametrize(
    "text",
    [
        "订单号 2025-123456，已发货",  # a year and 6 digits
        "Vaka 2024-77123 kapatıldı",  # a year and 5 digits
        "EudraCT 2019-004512-22 approved",  # a year, a zero-padded group of 6, one more
        "Case 2021-000123-77 archived",
        "Specimen 2026-0048213-01 received",  # a zero-padded group of 7, one more
        "Ann. Phys. 17, 891–921 (1905).",  # pages, then the year in parentheses
        "Phys. Rev. 47, 777–780 (1935)",
        "pH 7.4512 and mass 1234.5678 g",  # decimals
        "lambda 1064.5532 nm; T 2983.115 K",
        "ratio 10:20:30:40:50:60:70:80",  # a ratio or a list of eight small numbers
        "split 1:1:2:3:5:8:13:21 of the cohort",
    ],
)
def test_fixed_classes_beyond_the_corpus(text: str) -> None:
    """Each class fixed in this round, on texts the corpus does not hold: no finding."""
    assert scan(text) == []


@pytest.mark.parametrize(
    ("text", "value", "kind"),
    [
        # a phone word keeps a year-shaped number a phone number
        ("Call 2026-48213", "2026-48213", "PHONE_NUMBER"),
        # a number followed by a group in parentheses: the number without it (main found nothing)
        ("call 212-555-0147 (2) times", "212-555-0147", "PHONE_NUMBER"),
        ("Tel: +44 20 7946 0958 (24h)", "+44 20 7946 0958", "PHONE_NUMBER"),
        # dotted numbers of 3+ groups stay phone numbers
        ("call 415.555.0172 now", "415.555.0172", "PHONE_NUMBER"),
        ("+1.415.555.2671", "+1.415.555.2671", "PHONE_NUMBER"),
        # a capitalised label glued after a "+" or "(area)" number (main missed the first)
        ("Phone:+44 20 7946 0958Mobile:+44 7700 900123", "+44 20 7946 0958", "PHONE_NUMBER"),
        ("Tel (212) 555-0147Fax (212) 555-0148", "(212) 555-0147", "PHONE_NUMBER"),
        # IPv6 addresses with small groups but a larger or hex one
        ("2001:db8:0:0:1:0:0:1", "2001:db8:0:0:1:0:0:1", "IP_ADDRESS"),
        ("host fe80:0:0:0:0:0:0:1 up", "fe80:0:0:0:0:0:0:1", "IP_ADDRESS"),
        ("peer 10:20:30:40:50:60:70:800 up", "10:20:30:40:50:60:70:800", "IP_ADDRESS"),
    ],
)
def test_true_values_kept(text: str, value: str, kind: str) -> None:
    """What the fixes must not take away."""
    assert values(text, kind) == [value] or value in values(text, kind)


@pytest.mark.parametrize(
    "text",
    [
        "+1 415 555 0134ABC",  # capitals glued: more of a token, not a label
        "+1 415 555 0134abc",  # a small letter glued
        "4155550134Fax",  # no "+" or "(area)": a glued id
    ],
)
def test_glued_letters_still_refuse(text: str) -> None:
    """Only a capitalised word (a capital, then a small letter) after a "+" or "(area)" number ends it."""
    assert values(text, "PHONE_NUMBER") == []


@pytest.mark.parametrize(
    "unit",
    ["2026-48213 ", "2020-001038-36 ", "357-362 (2020) ", "445.1201 ", "+1 (415) 555-0134Fax:", "1:2:3:4:5:6:7:8 "],
)
def test_new_rules_linear(unit: str) -> None:
    """100 KB of each new rule's shape: every detector fast, the scan linear."""
    check_linear_on_hostile_unit(unit)
