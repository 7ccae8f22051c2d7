"""CREDIT_CARD: 12..19 digits, compact or in groups (4-4-4-4[-1..7], Amex 4-6-5), Luhn-valid.

Group separators: space (NBSP and other spaces after normalisation), ``-``, ``.``, ``/``, ``_``, or up to
three of them (``4111  1111  1111  1111``, ``4111 - 1111 - 1111 - 1111``), each gap its own (as in
Presidio's pattern: ``4111 1111-1111 1111``). A soft hyphen or zero-width character inside is removed by
normalisation, so the number reads compact. A card followed by more digits (``4111 1111 1111 1111 123``,
``... 12/26``) is found: a grouped candidate ends at a group boundary. Not found: digits glued to a word or
another number, a number of one repeated digit (``0000 0000 0000 0000``), a Luhn failure, a length no card
of its first digits has (ISO/IEC 7812: Visa ``4`` 13, 16 or 19 digits, Amex ``34``/``37`` 15, Diners ``30``/
``36``/``38``/``39`` 14..19, JCB ``35`` 16..19, UATP / JCB ``1`` 15; no card starts with ``31``..``33``, nor
``89``, the telecom prefix of SIM serial numbers, nor ``00``, a zero-padded id's): the Luhn-valid identifiers that are no card, an IMEI
(``35 209900 176148 1``, 15 digits), a SIM card's ICCID (``8944...``, 19), a 12-digit product code of ``8``, are no cards.
A 19-digit card grouped 4-4-4-4-3 is read whole; when it fails, without its last group (a CVV after a card).
A 13-digit number after a barcode's label (``EAN 5901234123457``, ``GTIN``, ``UPC``, ``barcode``, ``SKU``) whose last digit is
its EAN-13 check digit is that product's barcode, no card (one 13-digit card in ten has an EAN-13 check digit).
A card wrapped at a line's end is found (4-4-4-4 digits, one gap a line break: see _wrapped); 4-4-4-4 digits inside a
longer number of groups of four (a Brazilian NF-e's 44-digit access key) are no card, but in a list of cards (see
_in_longer_number).
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import WORD_CHARS, Detector, digits_of, gs1_ok, luhn_ok

_SEP = r"[ \-./_]{1,3}+"  # (one to three: "4111  1111  1111  1111", "4111 - 1111 - 1111 - 1111")
# (a digit first, the character before it checked behind: the engine skips to digits, and inside a long run
# of digits each start fails after one digit)
PATTERN = re.compile(
    r"\d(?<![\w\-.+]\d)\d{3}"
    rf"(?:{_SEP}\d{{4}}{_SEP}\d{{4}}{_SEP}\d{{1,7}}+(?P<tail>{_SEP}\d{{1,3}}+(?![\w\-]))?|{_SEP}\d{{6}}{_SEP}\d{{4,5}}+|\d{{8,15}}+)"
    r"(?![\w\-])",
    re.ASCII,
)


# the lengths a card of each first digit may have (see the module doc; "1": UATP and JCB's 1800, "2": Mastercard's
# 2221-2720, Mir, enRoute 2014/2149 and JCB's 2131; "5", "6": Maestro 12..19; "7", "8", "9": fleet and national
# schemes such as RuPay 81/82, Troy 9792)
_LENGTHS: dict[str, range | tuple[int, ...]] = {
    "0": (12, 13, 16, 17, 18, 19),  # (Maestro's old 0604 range; a 15-digit number of it is an IMEI)
    "1": (15,),
    "2": range(15, 20),
    "4": (13, 16, 19),
    "5": range(12, 20),
    "6": range(12, 20),
    "7": range(16, 20),
    "8": range(16, 20),
    "9": range(16, 20),
}
_LENGTHS_3: dict[str, range | tuple[int, ...]] = {"34": (15,), "37": (15,), "35": range(16, 20)}  # (JCB 35: 16..19)


def _issuer_length(digits: str) -> bool:
    """A card of ``digits``' first digits may have their length (ISO/IEC 7812 issuer ranges)."""
    first = digits[0]
    if first == "3":
        lengths = _LENGTHS_3.get(digits[:2])
        if lengths is None:
            return digits[1] in "0689" and len(digits) >= 14  # (Diners 30x, 36, 38, 39)
    elif (first == "8" and digits[1] == "9") or (first == "0" and digits[1] == "0"):
        return False  # (telecom: a SIM card's ICCID; "00": a zero-padded id, SAP's 18-digit "000000000010004711")
    else:
        lengths = _LENGTHS.get(first)
        if lengths is None:
            return False
    return len(digits) in lengths


def card_ok(value: str) -> bool:
    """Luhn-valid, 12..19 digits, a length cards of its first digits have, not one repeated digit."""
    digits = digits_of(value)
    return 12 <= len(digits) <= 19 and _issuer_length(digits) and luhn_ok(digits)


# a barcode's label within 40 characters before a 13-digit number (see CardDetector)
_BARCODE_LABEL = re.compile(
    r"(?<![A-Za-z])(?:ean|gtin|upc|jan|barcode|bar code|strichcode|code-barres|sku)(?![A-Za-z])", re.IGNORECASE
)


# 13-digit cards checked for a barcode per text; past it (a hostile text of thousands) they stay cards: more redaction
_BARCODE_BUDGET = 256


# a card's 4-4-4-4 digits wrapped at a line's end: one of its gaps a line break (a blank or a dash before it, a blank
# after it), the others
# as a card's (see PATTERN); looked for around each line break between two digits (see _wrapped)
_LINE_GAP = r"[ \t\-]?\r?\n[ \t]?"
_WRAPPED = re.compile(
    rf"\d(?<![\w\-.+]\d)\d{{3}}(?:(?:{_LINE_GAP}|{_SEP})\d{{4}}){{2}}(?:{_LINE_GAP}|{_SEP})\d{{4}}(?![\w\-])", re.ASCII
)
# (a line break between two groups of exactly 4 digits: a ZIP code or a phone number at a line's end reads no further;
# found from the line break, a literal the engine skips to, then the group before it checked)
_WRAP_BREAK = re.compile(r"\n[ \t]?[0-9]{4}(?![0-9])")
_WRAP_BEFORE = re.compile(r"(?<![0-9])[0-9]{4}[ \t\-]?\r?\Z")
_WRAP_BUDGET = 64  # line breaks between digits read per text (past them, a hostile text: no more wrapped cards)
# groups of 4 digits right after / before a card's 4-4-4-4 (see _in_longer_number)
# (up to 8 groups each side: 7 or fewer start after no digit, 8 may follow more)
# (a gap: a card's, or a line break: a grid of groups of 4, "1111 2222 3333\n4444 5555 6666", holds no card across rows)
_GAP = rf"(?:{_SEP}|{_LINE_GAP})"
_FOURS_AFTER = re.compile(rf"(?:{_GAP}[0-9]{{4}}(?![0-9])){{1,8}}")
_FOURS_BEFORE = re.compile(rf"(?:(?<![0-9])(?:[0-9]{{4}}{_GAP}){{1,7}}|(?:[0-9]{{4}}{_GAP}){{8}})\Z")
_GROUP = re.compile(r"[0-9]+")
_FOUR_FOURS = re.compile(rf"[0-9]{{4}}(?:{_GAP}[0-9]{{4}}){{3}}").fullmatch
_LONGER_BUDGET = 64  # (cards per text read for a longer number around them; past it, a hostile text: they stay cards)


class CardDetector(Detector):
    """Payment cards (see the module doc): a Luhn-valid candidate, less a product's barcode after its label."""

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every card in ``text``; ``runs``: see :meth:`Detector.spans`."""
        found = super().findings(text, runs)
        if "\n" in text:
            found = _wrapped(text, found, self.score)
        if found:
            checked = longer = 0
            kept = []
            for item in found:
                if item[2] - item[1] == 13 and checked < _BARCODE_BUDGET:  # (the only length barcodes share with cards)
                    checked += 1
                    if _barcode(text, item[1], item[2]):
                        continue
                if item[2] - item[1] >= 19 and longer < _LONGER_BUDGET:  # (a card of 4-4-4-4 digits and gaps)
                    longer += 1
                    if _in_longer_number(text, item[1], item[2]):
                        continue
                kept.append(item)
            return kept
        return found


def _barcode(text: str, start: int, end: int) -> bool:
    """``text[start:end]`` is 13 digits with an EAN-13 check digit after a barcode's label."""
    value = text[start:end]
    return (
        value.isdigit()
        and _BARCODE_LABEL.search(text, start - 40 if start > 40 else 0, start) is not None
        and gs1_ok(value)
    )


def _wrapped(text: str, found: list[tuple[float, int, int]], score: float) -> list[tuple[float, int, int]]:
    r"""``found`` and the cards of 4-4-4-4 digits wrapped at a line's end (``4111 1111\n1111 1111``), in order.

    One line break between two groups, the other gaps a card's; a card in a quoted reply (``> 1111 1111``) is not read
    across its quote marks. Each line break between digits is looked at, up to _WRAP_BUDGET of them.
    """
    more = []
    for count, point in enumerate(_WRAP_BREAK.finditer(text)):
        if count == _WRAP_BUDGET:
            break
        before = _WRAP_BEFORE.search(text, point.start() - 8 if point.start() > 8 else 0, point.start())
        if before is None:
            continue
        at = before.start()
        low = at - 16 if at > 16 else 0
        for match in _WRAPPED.finditer(text, low, point.end() + 18):
            start, end = match.span()
            value = match.group()
            if (
                start <= at < end
                and value.count("\n") == 1
                and card_ok(value)
                and not any(one[1] < end and start < one[2] for one in found)
            ):
                more.append((score, start, end))
    return sorted(found + more, key=lambda one: one[1]) if more else found


def _in_longer_number(text: str, start: int, end: int) -> bool:
    """``text[start:end]``, 4-4-4-4 digits, is inside a longer number of groups of 4: two or more more of them around it.

    A Brazilian NF-e's access key (44 digits in fours, ``3526 1211 2223 3300 0181 ...``), a bank's or a ledger's long
    reference: no card is longer than 19 digits. Not when the groups around it are cards too, four by four (a list of
    cards, ``4111 1111 1111 1111 5500 0000 0000 0004``; up to 8 groups each side are read), and a card may be followed
    by one group (an expiry, ``4111 1111 1111 1111 1227``). The first _LONGER_BUDGET cards of a text are read.
    """
    if _FOUR_FOURS(text, start, end) is None:
        return False
    after = _FOURS_AFTER.match(text, end, end + 64)
    later = _GROUP.findall(after.group()) if after is not None else []
    before = _FOURS_BEFORE.search(text, start - 64 if start > 64 else 0, start)
    earlier = _GROUP.findall(before.group()) if before is not None else []
    if len(earlier) + len(later) < 2:
        return False
    if len(earlier) % 4 or len(later) % 4 > 1:
        return True
    blocks = earlier + later[: len(later) - len(later) % 4]
    return not all(card_ok("".join(blocks[at : at + 4])) for at in range(0, len(blocks), 4))


DETECTOR = CardDetector(
    "CREDIT_CARD",
    PATTERN,
    card_ok,
    score=0.95,
    candidates_from="digit_runs",
    min_run=12,
    glued=WORD_CHARS + "-.+",
    min_digits=12,
    retry_without="tail",
    scan_run=9,  # (a card wrapped at a line's end, 4-4 and 4-4 digits: two runs of 9; see _wrapped)
)
