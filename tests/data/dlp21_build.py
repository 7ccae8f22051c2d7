"""Build tests/data/dlp21.json from the hand-written dlp21_negatives.py and dlp21_positives.py.

Run: ``python tests/data/dlp21_build.py``. Each marked value is checked against its format's own rule before it is
written (Luhn for cards, ISO 13616 mod-97 for IBANs, the SSA's area / group / serial rules, libphonenumber's
validity for phone numbers, ``ipaddress`` for IP addresses), so the set holds no value a person could not have:
those checks are independent of gatekit's detectors.
"""

from __future__ import annotations

import ipaddress
import json
import re
import sys
import urllib.parse
from pathlib import Path

import phonenumbers

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dlp21_negatives import NEGATIVES  # noqa: E402
from dlp21_positives import CONTESTED, POSITIVES  # noqa: E402

TYPES = {
    "E": "EMAIL_ADDRESS",
    "P": "PHONE_NUMBER",
    "C": "CREDIT_CARD",
    "S": "US_SSN",
    "I": "IBAN_CODE",
    "IP": "IP_ADDRESS",
    "K": "PRIVATE_KEY",
    "AWS": "AWS_ACCESS_KEY",
    "GH": "GITHUB_TOKEN",
    "SL": "SLACK_TOKEN",
    "GK": "GOOGLE_API_KEY",
    "JWT": "JWT",
    "API": "API_TOKEN",
    "G": "GENERIC_SECRET",
    "X": None,  # a secret, of whichever family the scanner names it
}
MARK = re.compile(r"⟦([A-Z]+)\|(.*?)⟧", re.S)
REGIONS = ["US", "GB", "DE", "FR", "IT", "ES", "NL", "SE", "CH", "AU", "CA", "IN", "BR", "MX", "JP", "IL", "BD"]
NOTES = [
    "Round dlp21 (issue 13): written by hand before the detectors' code or the earlier sets' contents were read.",
    "Decisions: a value is a finding wherever a person reading the text would see it, whatever the carrier: in an "
    "e-mail's quoted reply or signature, an HL7 segment, a SWIFT field, a boarding pass, a CSV/markdown export, "
    "right-to-left text, between HTML or markdown tags (the span runs from its first character to its last, tags "
    "inside included), URL-encoded or JSON-escaped (the span is the escaped form as written).",
    "A host's IP address is a finding, private ones too (a routing table's gateway, a WireGuard peer); a network "
    "with its prefix length, a netmask, a wildcard mask, 0.0.0.0, loopback, multicast and broadcast are not.",
    "Cloud resource ids (ARNs, AWS account ids, GCP project numbers, Azure subscription / tenant / client GUIDs, "
    "instance and volume ids) are identifiers, not secrets: negatives. A secret beside them is a positive.",
    "Masked values (**** 1881, ***-**-6789), templates and placeholders (<token>, ${DB_PASSWORD}, user:password@), "
    "obfuscated addresses ([at] / (at)), one repeated digit, product barcodes (EAN/UPC/GTIN/JAN/ISBN/ISSN), DOIs, "
    "arXiv ids, ORCIDs, IMEIs, ICCIDs, VINs, tracking numbers, public bank routing / sort codes and BICs are "
    "negatives.",
    "A phone number written nationally counts only for the default phone_regions (docs/detectors.md); other "
    "countries' numbers are positives written with + and the country code. Contested cases carry a note and are "
    "not scored.",
    "A secret marked with type null is any secret type (Basic credentials, an Azure key, a service principal's "
    "password): which family names it is the scanner's choice.",
]


def luhn(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def decoded(value: str) -> str:
    value = urllib.parse.unquote(value)
    value = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), value)
    value = value.replace("&#64;", "@")
    return re.sub(r"<[^>]*>|\*\*", "", value)


def check(code: str, value: str) -> None:
    plain = decoded(value)
    digits = re.sub(r"\D", "", plain)
    if code == "C":
        assert 12 <= len(digits) <= 19 and luhn(digits), value
    elif code == "I":
        compact = re.sub(r"[\s-]", "", plain)
        moved = compact[4:] + compact[:4]
        assert int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1, value
    elif code == "S":
        assert len(digits) == 9 and digits[:3] not in ("000", "666") and digits[0] != "9", value
        assert digits[3:5] != "00" and digits[5:] != "0000", value
    elif code == "P":
        text = plain.translate(str.maketrans("০১২৩৪৫৬৭৮৯", "0123456789"))
        regions = [None] if text.startswith("+") else REGIONS
        assert any(phonenumbers.is_valid_number(phonenumbers.parse(text, r)) for r in regions), value
    elif code == "IP":
        address = plain.strip("[]").split("%")[0].split("/")[0]
        assert not ipaddress.ip_address(address).is_loopback, value
    elif code == "E":
        assert re.fullmatch(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}", plain), value


ERRORS: list[tuple[str, str]] = []


def parse(marked: str) -> dict:
    text, expect, pos = "", [], 0
    for match in MARK.finditer(marked):
        text += marked[pos : match.start()]
        code, value = match.groups()
        try:
            check(code, value)
        except AssertionError:
            ERRORS.append((code, value))
        expect.append({"value": value, "type": TYPES[code], "start": len(text), "end": len(text) + len(value)})
        text += value
        pos = match.end()
    text += marked[pos:]
    assert "⟦" not in text and "⟧" not in text and expect, marked
    return {"text": text, "expect": expect}


def main() -> None:
    positives = [parse(marked) for marked in POSITIVES]
    positives += [{**parse(marked), "note": note} for marked, note in CONTESTED]
    assert not ERRORS, "\n".join(f"not a valid value: {code} {value!r}" for code, value in ERRORS)
    assert len(set(NEGATIVES)) == len(NEGATIVES)
    assert len({case["text"] for case in positives}) == len(positives)
    out = {"notes": NOTES, "negatives": NEGATIVES, "positives": positives}
    (HERE / "dlp21.json").write_text(json.dumps(out, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    values = sum(len(case["expect"]) for case in positives)
    print(f"{len(NEGATIVES)} negatives, {len(positives)} positives ({len(CONTESTED)} contested), {values} values")


if __name__ == "__main__":
    main()
