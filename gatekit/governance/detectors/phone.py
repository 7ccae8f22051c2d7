r"""PHONE_NUMBER: digit groups shaped like a phone number, validated with libphonenumber's metadata.

Candidates: an optional ``+``, digit groups joined by single spaces, dashes or dots, a ``(area)`` group,
an ``(0)`` trunk digit, an optional extension (``x123``, ``ext. 123``); a slash after an area code with its trunk 0
(``089/1234567``, ``0 89/12 34 56``: once, no digit or ``/`` right before the area code, not ``00``). Not inside a
word, a number, a path, an amount or a version (nothing of ``\\w + - / . : @ # $ %`` right before it, but a ``+``
may follow a colon, ``tel:+14155552671``, and any candidate a phone's word and a colon, ``tel:2125550143``,
``phone:``, ``fax:``, a vCard's ``CELL:``; not another key's, ``order:2125550143``); no word, ``-``,
``/``, ``-digit`` or ``.digit`` right after it; a hyphenated label may follow: ``555-123-4567-Office``).
A candidate refused while the text's digits go on right after it (a digit, or ``-`` / ``.`` and a digit, or a
space and a digit after an extension) may have taken the start of the next number (``555 x 212555`` of ``555 x
2125551234``): the pattern reads on from the candidate's next character, not from its end (each read starts later
than the last; every match counts towards the budgets below), so what a window finds does not hang on where it begins.

Shape rules, before the library: 7..15 digits; the last group has 2+ digits (an ISBN's check digit, a
version's patch number), but a switchboard's extension after a dash (the DE / AT "Durchwahl", ``030-1234567-0``,
``+49 30 1234567-0``, or a space, ``+43 1 5880 0``: after ``+49`` / ``+43``, or a trunk 0 in a first group of 2+ digits, 3+ groups); a dotted number has groups of 2..4 digits and is no IPv4 shape (after ``+``, the
groups after the country code: ``+1.415.555.2671``, or one group: ``+1.4155552671``); not an SSN's 3-2-4
groups; not a number grouped in thousands (``8 336 817``: one digit, then groups of three;
``67 750 000``: two, the last ``000``, or after a count's word, ``Population: 37 400 068``; ``84.358.845``: two, then groups of three with dots); not a date
(``2026-11-21``), not a valid ISBN-13, not one repeated digit; a bare run of digits without
``+`` has 10 or 11 digits, and not 10 starting with ``1`` (a Unix time) but after a word for a phone or as a whole
text; not a sequence of numbers (more than 8 groups, or 2+ groups of one digit); not a compact date and time
(``20260311 1432``); not after a part of a spaced code that follows a number or an id's label (``1Z 999 AA1 01 2345 6784``), an access log's protocol
(``HTTP/1.1" 200 2326``) or an identifier's label (``Order ID``, ``FedEx``...); not two groups before a word (a
house number and a street); not a Portuguese / Brazilian postal code (``3610-114``) nor a US ZIP+4 code (``94105-1234``);
not a bare run that is a whole number of MiB (a size in bytes, ``2147483648``) nor an HTTP byte range (``bytes=0-1048575``);
not, without a word for a phone right before it, a span of years (``1939-1945``, ``2023–2024``: two groups of 4
joined by a dash, the second later by at most a century), a span of clock times on the quarter hour (``0800-2200``)
or a range after another in a sorted list of them (``3000-3999; reserved 4000-4095``), or an id numbered by year (``2023-0456``, ``2026-48213``, ``2023-0145-0012``, ``2020-001038-36``: a year, then a
group of 5 or 6 digits or a zero-padded one, alone or before one more). Not two groups joined by a dot without ``+``
(a decimal, ``445.1201``), nor a group in parentheses after the digits (a citation's year, ``357-362 (2020)``: the
number before it is tried alone). A capitalised word glued after a number with ``+`` or ``(area)`` is a label of
columns run together (``Phone:+1 (415) 555-0134Fax:``), not more of the value.
A number followed by ``=`` and a digit is one side of a sum (``1500-250-100 = 1150``). A number followed by ``,`` and a digit is part of an amount, but not one with ``+`` or ``(area)`` (a CSV row's next
field). A bare run of 12 to 15 digits under a phone field's name (``"msisdn": "447911123456"``) is read with its
country code. The rules of how a candidate is written (its groups and signs) are decided once per layout, the candidate
with every digit a ``0`` (a few hundred recur), and kept; those that read its digits or the text around it, for each
candidate, as its layout asks.

Validation (``phonenumbers``, the Python port of Google's libphonenumber): an international number
(``+``, ``00`` or ``011`` before the country code) must be a valid number of a region of its country
code; a national one must be valid in one of the default regions (``DEFAULT_REGIONS``, configurable per
policy), after its national prefix (``0``, ``1``...) is stripped as that region's metadata says. A
number is valid when its national significant number matches one of the region's number-type patterns
(fixed line, mobile, toll free, ...), which is what ``phonenumbers.is_valid_number`` checks; the
patterns are compiled once per region (the library's own ``parse`` costs ~50 us per call). When a
candidate whose last group follows a space is not valid, it is tried without that group:
``call 555-123-4567 5 times``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator

from gatekit.governance.detectors.base import (
    ROWS_OF,
    RUN_AFTER,
    RUN_BEFORE,
    VALIDATION_BUDGET,
    WORD_CHARS,
    Detector,
    Runs,
    column_header,
    digit_runs,
    gs1_ok,
)

# regions tried for numbers written without a country code (tuned on half of presidio-research's synthetic set)
DEFAULT_REGIONS: tuple[str, ...] = ("US", "GB", "DE", "FR", "IT", "ES", "NL", "SE", "CH", "AU", "CA", "IN", "BR")

_TYPES = (
    "fixed_line",
    "mobile",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "personal_number",
    "voip",
    "pager",
    "uan",
    "voicemail",
)

# (the pattern begins with a class of its first characters, the look-behinds checked after it, so that the regex
# engine skips to candidate characters: it skips only when the first item is a class, not an alternation; a "("
# must be followed by a digit. A look-ahead for 7 digits, each after a gap a candidate may have between two digits
# (``)``, one of `` .-``, ``(``, or an extension mark), drops short candidates before Python sees them: a run such
# as ``1 - 1 - 1 ...`` yields no match at all; a gap can be read one way only, so it is atomic and its parts
# possessive: ``((3 ((3 ...`` is not read again in every way. The look-ahead's six steps are written out, each
# trying a bare digit first (the usual next character, which the gap then reads as empty): the engine runs that
# faster than a repeat of a group. The three look-behinds of the first group exclude each other, the usual digit
# first. A group after one of `` .-`` and a digit is read as a run of digits first, which is what the full
# alternation after it reads there too; that alternation is tried only before a "(" or a digit, after at most one
# of `` .-`` (what each of its ways needs: the usual end of a candidate, a space and a word, is not tried four ways).)
# a slash after an area code with its trunk 0, written whole or with a space after the 0 ("089/1234567", "0 89/12 34
# 56": Germany's, Austria's, Switzerland's, Italy's way): one look-behind per area code's length (1 to 5 digits after
# the 0, the first not a 0: "00" dials abroad), once in a number (no "/" before the area code); a "/" after other
# digits (a date, a fraction, a path) joins no groups
_SLASH = (
    "(?:/(?:"
    + "|".join(rf"(?<=(?<![\d/])0{space}[1-9]\d{{{size}}}/)" for space in ("", " ") for size in range(5))
    # (or a slash between spaces after the area code written whole: "089 / 1234567")
    + ")| / (?:"
    + "|".join(rf"(?<=(?<![\d/])0[1-9]\d{{{size}}} / )" for size in range(5))
    + "))"
)
_GAP = r"\)?+(?:[ .\-]?+\(?+| ?+(?:x|ext\.?+|#) ?+|" + _SLASH + r")\d"
# a "(" or a digit right after a colon is glued to a key (``order:2125550143``, ``10:30 ...``) but to a phone's word
# ("tel:2125550143", the tel URI; "phone:", a vCard's "CELL:"; abbreviated, "Tel.:030 1234567", "Mob.:"; in Japanese
# and Chinese, "電話：03-1234-5678", "携帯番号："): one look-behind per word length (a look-behind reads a fixed width),
# each word not the end of a longer one ("hotel:"), read only after a colon (the usual start has none)
_COLON_WORDS = "".join(
    rf"(?<!(?<![A-Za-z])(?i:{words}):.)"
    for words in (
        "電話|携帯|电话|手机|手機",
        "tel|fax|sms|mob|tlf|連絡先",
        "cell|tel\\.|fax\\.|mob\\.|tlf\\.|tél\\.|電話番号|携帯番号|电话号码|手机号码|手機號碼|電話號碼",
        "phone|handy",
        "mobile|callto",
        "telefon",
        "whatsapp",
        "telephone",
    )
)
_PATTERN = re.compile(
    r"(?P<value>[(+\d](?<![\w+\-/.@#$%].)(?<!:[(\d]" + _COLON_WORDS + r")(?!(?<=\()\D)"
    r"(?=" + (r"(?>\d|" + _GAP + ")") * 6 + ")"
    r"(?:(?<=\d)\d{0,14}+|(?<=\+) ?(?:\(\d{1,5}+\)|\d{1,15}+)|(?<=\()\d{1,5}+\))"
    r"(?:[ .\-]\d{1,10}+|(?=[ .\-]?+[(\d])(?: ?\(0\) ?|[ .\-]| ?(?=\()|(?<=\)))(?:\(\d{1,5}+\)|\d{1,10}+)|"
    + _SLASH
    + r"\d{1,10}+){0,7}+"
    r"(?:(?: ?(?:x|ext\.?|#) ?)\d{1,6}+)?+)",
    re.ASCII,
)
# A long window (a hostile text's digit runs: "((3 ((3 ...", "1 2 3 4 5 + 1 2 3 ...", one run of 25,000 digits) is
# narrowed to its chains, found in C on the runs' bytes (every digit a "0", the literal the engine skips to): digits
# each after a gap of the pattern's look-ahead, 7 or more, or 6 after "+", "+ " or "(" (the look-ahead's count after
# a digit, or after "+" or "("). A chain starts at a digit no gap and digit come before (it is read once, not from
# each of its digits) where a match may start (not glued to a word, a number or a sign, as the pattern's look-behind
# says), or, glued, when 6 digits follow a later gap a match may start after ("a1 234 567 890"). Every match lies in
# a chain (its groups and extension are so joined) but for its "+" or "(" before and ")" after; the pattern then
# reads the chains alone, not the window's other positions, which it would try one by one (~80 ns each). Chains
# RUN_BEFORE + RUN_AFTER characters apart or closer are one window, as runs are.
# (in the runs' bytes every digit is a "0": the slash's look-behinds read there as a slash after a run of 2 to 6 digits
# that no "/" comes before, or after "0 " and a digit, each a look-behind of literal characters, which fails at once)
_ZERO_SLASH = (
    "(?:/(?:(?<=00/)(?<!0000000/)"
    + "".join(f"(?<!/{'0' * size}/)" for size in range(2, 7))
    + "|(?<=0 0/))| / (?<=00 / )(?<!0000000 / )"
    + "".join(f"(?<!/{'0' * size} / )" for size in range(2, 7))
    + ")"
)
_STEP0 = r"(?>0|" + _GAP.replace(_SLASH, _ZERO_SLASH).replace(r"\d", "0") + ")"
# (the steps after the fewest: a stretch of digits in one step, as the engine reads a repeat of one character in a tight
# loop, not a repeat of a group per digit: a chain of 100,000 digits and slashes, "089/1234567/...", costs 3x less)
_STEPS0 = r"(?>0++|" + _GAP.replace(_SLASH, _ZERO_SLASH).replace(r"\d", "0") + ")*+"
_CHAIN = (
    r"0(?=[0 .\-()xe#])(?<!00)(?<!0[) .\-(]0)(?="
    + _STEP0
    + r"{5})(?<!0\)[ .\-]0)(?<!0\)\(0)(?<!0[ .\-]\(0)(?<!0\)[ .\-]\(0)"
    r"(?:(?<![\w+\-/.@#$%]0)|(?<=\+0)(?<![\w+\-/.@#$%]\+0)|(?=(?:0++|\)?[.\-]0)*+" + _STEP0 + r"{6}))"
    rf"(?:(?:(?<=[+(]0)|(?<=\+ 0)){_STEP0}{{5}}|(?<![+(]0)(?<!\+ 0){_STEP0}{{6}}){_STEPS0}"
)
_JOIN = RUN_BEFORE + RUN_AFTER  # (chains this close or closer are one window)
_PIECE = 15  # (chains of one window read per call: a window is made as the reader goes, see _chains)
_CHAINS = re.compile(f"{_CHAIN}(?:(?s:.){{0,{_JOIN}}}?{_CHAIN}){{0,{_PIECE}}}+".encode())
_LONG_WINDOW = 1024  # (characters: a shorter window is read by the pattern at once)
_GROUPS = re.compile(r"\d+")
# (every byte but a digit made a space: the split() of an ASCII value so translated is the findall of _GROUPS, the
# value without its spaces its digits)
_SPACE_BUT_DIGITS = bytes(code if 48 <= code <= 57 else 32 for code in range(256))
# (`` ?(?:x|ext\.?|#) ?\d+$`` with the optional space as a branch of its own: every branch begins with a
# character, so that the engine skips to those, not trying each position of the value)
_EXTENSION = re.compile(r"(?: (?:x|ext\.?|#)|x|ext\.?|#) ?\d+$")
# a candidate followed by one of these, or by "-", "." or "," and a digit, is part of something longer (an id, a
# date, a version); a hyphenated label may follow: "555-123-4567-Office"
_BAD_AFTER = frozenset(WORD_CHARS + "/")
# an "=" and a number after a candidate: the candidate is one side of a sum or a difference, "1500-250-100 = 1150"
_EQUATION = re.compile(r" ?= ?[0-9]", re.ASCII).match
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# (another number after a space: an SSN, a date, a card's groups, "415-555-2671 219-09-9999")
_NEXT_NUMBER = re.compile(r"\d+(?:[-.]\d+)+$").match
# (a day's or a month's number, 1..31: "81-90-1234" of "+81-90-1234-5678", "12-34-5678" of "+49-30-12-34-5678" are no dates)
_DAY = "(?:0?[1-9]|[12][0-9]|3[01])"
_DATE = re.compile(rf"(?<!\d)(?:\d{{4}}([-./]){_DAY}\1{_DAY}|{_DAY}([-./]){_DAY}\2\d{{4}})(?!\d)")
# (the groups a match of _DATE has: every date's layout, see _layout)
_DATE_LAYOUT = re.compile(r"(?<!\d)(?:\d{4}([-./])\d{1,2}\1\d{1,2}|\d{1,2}([-./])\d{1,2}\2\d{4})(?!\d)")


@functools.lru_cache(maxsize=512)
def _region_matcher(region: str) -> tuple[str | None, str | None, frozenset[int]]:
    """(national-prefix pattern, number-type pattern, possible lengths) of ``region`` from libphonenumber's metadata.

    The patterns are parts of the combined regexes below (see _region_part), not compiled alone.
    """
    from phonenumbers import PhoneMetadata  # (imported on first use: ~0.1 s)

    metadata = PhoneMetadata.metadata_for_region(region.upper())
    if metadata is None:
        raise ValueError(f"unknown phone region {region!r}: use a two-letter region code such as US, GB, DE")
    patterns: list[str] = []
    lengths: set[int] = set()
    for name in _TYPES:
        desc = getattr(metadata, name)
        if desc is not None and desc.national_number_pattern:
            if desc.national_number_pattern not in patterns:  # (US, CA: the mobile pattern is the fixed-line one)
                patterns.append(desc.national_number_pattern)
            lengths.update(desc.possible_length or ())
    if not patterns:
        return None, None, frozenset()
    prefix = metadata.national_prefix_for_parsing or metadata.national_prefix
    return prefix or None, "(?:" + ")|(?:".join(patterns) + ")", frozenset(lengths)


def check_region(region: str) -> str:
    """``region`` in upper case when libphonenumber knows it (ValueError otherwise)."""
    _region_matcher(region.upper())
    return region.upper()


# (one regex per set of regions and one per country code do the work of a call of the per-region check for each of
# their regions: "the national significant number has a possible length and matches a number-type pattern", either as
# written (tried first: most numbers are written without their trunk prefix) or after the region's national prefix,
# read as ``prefix.match`` reads it: its first match, an atomic group (an empty one strips nothing: the number as
# written again); the prefixes' groups and ``$`` read the same string as there. The regions' alternatives are tried
# in C: a national number misses 13 default regions in one call, not in 13 Python calls of a prefix regex and a
# fullmatch each. The prefix patterns hold no back-references, the type patterns no anchors or look-arounds: they keep
# their meaning inside a bigger pattern.)
def _region_part(region: str, strip_prefix: bool, possible: bool) -> str | None:
    """The regex of ``region``'s numbers (see above) to be fullmatched, None when it has none."""
    prefix, numbers, lengths = _region_matcher(region)
    if numbers is None:
        return None
    size = "(?s:" + "|".join(f".{{{length}}}" for length in sorted(lengths)) + ")"  # (fullmatched: ends the text)
    body = size if possible else "(?=" + size + r"\Z)(?:" + numbers + ")"
    if strip_prefix and prefix is not None:
        return "(?:|(?>" + prefix + "))" + body
    return body


def _regions_pattern(regions: Iterable[str], strip_prefix: bool, possible: bool) -> re.Pattern[str]:
    """One regex of the numbers of any of ``regions`` (see _region_part)."""
    parts = [part for region in regions if (part := _region_part(region, strip_prefix, possible)) is not None]
    return re.compile("(?:" + ")|(?:".join(parts) + ")" if parts else "(?!)")


_DEFAULT_ORDER = {region: index for index, region in enumerate(DEFAULT_REGIONS)}


@functools.lru_cache(maxsize=256)
def _national_matchers(regions: frozenset[str]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """(valid, possible-length) regexes of national numbers of ``regions`` (the prefix stripped or not)."""
    # (the default regions in their order, the usual first: a valid number ends the search early; then the others)
    ordered = sorted(regions, key=lambda region: (_DEFAULT_ORDER.get(region, len(_DEFAULT_ORDER)), region))
    return _regions_pattern(ordered, True, False), _regions_pattern(ordered, True, True)


@functools.lru_cache(maxsize=512)
def _country_matchers(code: int) -> tuple[re.Pattern[str], re.Pattern[str]] | None:
    """(valid, possible-length) regexes of the national numbers after country code ``code``, None for no code."""
    import phonenumbers

    regions = phonenumbers.COUNTRY_CODE_TO_REGION_CODE.get(code)
    if not regions:
        return None
    regions = tuple(region for region in regions if region != "001")
    # (a valid number is read as written; one of a possible length also after the national prefix)
    return _regions_pattern(regions, False, False), _regions_pattern(regions, True, True)


@functools.lru_cache(maxsize=4096)
def _international_ok(digits: str, possible: bool = False) -> bool:
    """``digits`` (after ``+``) are a country code and a valid national number of one of its regions."""
    for size in (1, 2, 3):
        matchers = _country_matchers(int(digits[:size]))
        if matchers is not None:
            return matchers[possible].fullmatch(digits[size:]) is not None
    return False


@functools.lru_cache(maxsize=4096)
def _valid(digits: str, international: bool, regions: frozenset[str], possible: bool = False) -> bool:
    if international:
        return _international_ok(digits, possible)
    if digits[:1] == "0":  # (both ways of dialling abroad start with a 0; most national numbers do not)
        if digits.startswith("00") and len(digits) > 9 and _international_ok(digits[2:], possible):
            return True
        if digits.startswith("011") and len(digits) > 10 and _international_ok(digits[3:], possible):
            return True
    return _national_matchers(regions)[possible].fullmatch(digits) is not None


def _isbn13(digits: str) -> bool:
    """``digits`` are an ISBN-13 (978 / 979 and a GS1 check digit)."""
    return len(digits) == 13 and digits.startswith(("978", "979")) and gs1_ok(digits)


_POSTCODE = re.compile(r"\d{4,5}-\d{3}|\d{5}-\d{4}")  # Portuguese / Brazilian postal codes, US ZIP+4 codes
_NEXT_WORD = re.compile(r"[ \t]+[^\W\d_]")
_SSN_SIZES = [3, 2, 4]
_PHONE_WORDS = re.compile(
    r"(?<![A-Za-z])(?:call|phone|tel|mobile|cell|fax|dial|ring|reach|contact|sms|text|whatsapp|number"
    # (and in the default regions' other languages: Telefon, fone, celular, Handy, Anruf, appel, móvil, número...)
    r"|fone|cel|handy|anruf|ruf|appel|portable|m[oó]vil|n[uú]mer|nummer|numéro|ligue|contat|kontakt|zap)",
    re.IGNORECASE,
)
# the name of a field holding a phone number in E.164 without its "+" (telecom and messaging APIs: "msisdn",
# WhatsApp's "wa_id", "phone_number"), its sign and quote right before a bare run of 12 to 15 digits (E.164's lengths
# with a country code of 1..3 digits): read with its country code, a finding only when valid so (a bare run of another
# length than 10 or 11 digits is otherwise no phone number)
_E164_FIELD = re.compile(
    r"(?<![A-Za-z])(?i:msisdn|wa_id|phone|mobile|cell|tel|whatsapp|sms|fax)[A-Za-z_\-]{0,12}+[\"']?[ \t]{0,3}+[:=]"
    r"[ \t]{0,3}+[\"']?\Z"
)
# (the field's sign within the 5 characters before the digits, as _E164_FIELD has it: searched first, most runs of 12 to
# 15 digits follow none; _E164_FIELD's case-insensitive names are tried at each of 60 characters)
_E164_SIGN = re.compile("[:=]")
_COMPACT_DATE = re.compile(r"(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])(?![0-9])")
# digits counted up or down ("1234567890", "(012) 345-6789", "9876543210"): placeholders no person has (without
# a "+": a number written with its country code is meant)
_COUNTING = "01234567890123456789 98765432109876543210"
# a bare run of digits that is a whole number of mebibytes is a size in bytes (2 GiB "2147483648", 8 GiB "8589934592":
# an int32's limit, memory limits, disk sizes); one phone number in a million is such a multiple
_MEBIBYTE = 1 << 20
# a label of an identifier that is no phone number right before a candidate without "+" ("Order ID 4021983712",
# "waybill 1234567890", "timestamp 1732199400", "EIN 12-3456789", "Model 3000-4000-5000"): the candidate is that id;
# the label may be followed by "no.", "number", "#" ..., and by ":", "#", "=" ("Invoice number: 3125550182"); any
# "... ID" is a label of its own (and a purchase order's, a return's "PO 4500123456", "RMA ...", a PIN or passcode)
_ID_LABELS = frozenset(
    "order invoice tracking waybill awb shipment parcel consignment ticket serial model part sku upc ean gtin isbn"
    " issn imei npi ein timestamp epoch transaction txn ref reference booking confirmation build version lot batch"
    " po rma pin passcode"
    # (an insurance claim's or policy's number, a court docket's, a receipt's, a voucher's, a permit's or licence's)
    " claim policy docket receipt voucher coupon permit licence license"
    # (an HTTP byte range, "Range: bytes=0-1048575"; a port or a range of ports, "ports 49152-65535", "port range
    # 32768-60999", "ephemeral 32768-60999")
    " bytes port range ephemeral"
    # (the same in the default regions' other languages: "Bestellnummer 4021983712", "Rechnung Nr. 2026-000123",
    # "numéro de commande ...", "nº do pedido ...")
    " bestellnummer bestellung rechnungsnummer rechnung kundennummer auftragsnummer sendungsnummer vorgangsnummer"
    " commande facture pedido factura fatura ordine fattura bestelling factuur faktura referenz referencia riferimento"
    " bestelnummer factuurnummer klantnummer ordernummer artikelnummer artikel art réf référence referentie kenmerk"
    " aktenzeichen barcode"
    # (a company's register number, a product's code: "SIRET 732 829 320 00074", "NDC 0002-3227-30", "HS code ...")
    " siren siret kvk ndc hs taric tariff"
    # (a catalogue's number, a counter's or a log's sequence number or offset; a bank's code: "BLZ 370 400 44")
    " catalogue catalog katalog sequence seq offset blz bankleitzahl bsb aba routing"
    # (a count's: "Population 68 373 433", "Einwohner: 83 237 124")
    " population bevölkerung einwohner einwohnerzahl inhabitants habitants población poblacion popolazione bevolking"
    # (a tax or company register number of the default regions: "ABN 51 824 753 556", "USt-IdNr. DE 136 695 976",
    # "Nota fiscal nº 000.123.456", "NIF", "CNPJ", "GSTIN"; a lab's or a hospital's record: "Lab accession 26-325-00417")
    " abn acn vat ustid idnr tva nif cif cnpj gstin fiscal accession mrn"
    # (the EU's VAT number, "intra-community": "TVA intracommunautaire FR 40 732829320", "Partita IVA intracomunitaria")
    " intracommunautaire intracom intracomunitaria intracomunitario innergemeinschaftliche"
    # (the same of other EU registers: Poland's "NIP 123-456-32-18", "REGON", "KRS"; Portugal's "NIPC"; Italy's and
    # Spain's "P.IVA", the Netherlands' "RSIN"; Denmark's "CVR"; Austria's and Switzerland's "UID"; customs'
    # "EORI"; a D-U-N-S number; France's "RCS" and Germany's "HRB" register entries)
    " nip regon krs nipc iva rsin cvr uid eori duns rcs hrb hra"
    # (an insurance policy's or claim's number in the default regions' other languages: "Póliza n.º 0081-2026-445566")
    " póliza poliza apólice apolice polizza sinistre siniestro sinistro"
    # (a member's or a prescription's number; a national person's id: Poland's PESEL, the Netherlands' BSN, Spain's
    # DNI, France's NIR; a delivery note's, an order's, a reference's in German and Italian: "Lieferschein 4711-0815-42",
    # "Auftrag ...", "Mandatsreferenz ...", "Rif. ...")
    " member subscriber rx pesel bsn dni nir lieferschein auftrag mandatsreferenz rif"
    # (a log's counter or duration under its key or unit: "bytes_sent=2125550123", "duration_ms=...")
    " sent received ms ns millis micros nanos secs seconds duration elapsed latency uptime size length count"
    # (a carrier's name before its tracking number: "FedEx 7489 2345 6789", "DHL 1234567890")
    " fedex ups usps dhl tnt gls dpd hermes evri yodel aramex ontrac purolator colissimo chronopost postnl correos"
    # (an order's, an invoice's, a shipment's, a reference's label in Arabic, Russian and Hebrew: "رقم الطلب 4021983712"
    # (the order's number), "номер заказа 4021983712", "מספר הזמנה 4021983712"; not "رقم الهاتف", the phone's number)
    " الطلب طلب الفاتورة فاتورة الشحنة شحنة التتبع المرجع مرجع الحجز حجز المعاملة"
    " заказ заказа заказу счёт счета счет счёта накладная накладной отправления отслеживания трек-номер договора"
    " הזמנה חשבונית משלוח אסמכתא".split()
)
# a code's part (capital letters and digits, a letter among them, ending in a digit) or an HTTP protocol version and
# its closing quote, then one space, at the end of the text before a candidate (see _labelled)
_CODE_PART = re.compile(r"(?:(?<![A-Za-z0-9])(?=[0-9]*[A-Z])[A-Z0-9]{2,10}|HTTP/[0-9](?:\.[0-9])?\"?) \Z")
_CODE_ENDS = frozenset('0123456789"')
_ID_WORDS = frozenset(("no", "nr", "number", "num", "code", "n"))  # ("n" of "n°", "nº": see _after_label)
_SHORT_WORDS = _ID_WORDS | {"id", "ids", "o"}  # (the words _after_label reads first: "ID", "n.º")
_PLURAL_ID_WORDS = frozenset(("nos", "nrs", "numbers", "nums", "codes"))  # (read as _ID_WORDS: "Part numbers")
# the words before "code" that name a phone number's part ("area code 212 555-0123", "country code", "dial code")
_PHONE_CODES = frozenset(
    ("area", "country", "dial", "dialing", "dialling", "calling", "trunk", "std", "city", "local", "exchange")
)
# regions whose national numbers are written in groups of 1, 3 and 3 digits, as thousands are (Bhutan "2 345 678",
# Seychelles "4 217 123"): with one of them in a policy's phone_regions, such a number is read as a phone number
_THOUSANDS_REGIONS = frozenset(("BT", "SC"))
_ASCII_LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _shape(value: str, text: str, end: int, thousands: bool = True) -> tuple[str, int, str] | None:
    """``(main, groups, digits)`` of a candidate of a phone number's shape, else None.

    ``main``: the value without its extension (and without an ``(0)`` trunk digit when it starts with ``+``);
    ``groups``: the number of its digit groups; ``digits``: those joined. ``thousands``: a number grouped in
    thousands is no phone number (False for regions whose national numbers are so written, see _THOUSANDS_REGIONS).
    """
    if value.isdigit() and value.isascii():  # (a bare run of digits, the usual candidate: only its length counts)
        size = len(value)
        if (
            12 <= size <= 15
            and _E164_SIGN.search(text, end - size - 5 if end > size + 5 else 0, end - size) is not None
            and _E164_FIELD.search(text, end - 60 if end > 60 else 0, end - size) is not None
        ):
            return "+" + value, 1, value  # a field of a number in E.164 without its "+" ("msisdn": "447911123456")
        # (placeholder_digits inlined: ``value`` is not empty here)
        if not 10 <= size <= 11 or value.count(value[0]) == size or value in _COUNTING:
            return None  # an amount, an id, an account number; a placeholder
        if value[-1] in "02468" and not int(value) % _MEBIBYTE:  # (a multiple of 2^20 is even)
            return None  # a size in bytes, a whole number of MiB ("memory: 2147483648", "rx_bytes": 8589934592)
        # an integer's limit or a mask, one less than a whole number of MiB ("4294967295", 2^31 - 1), but after a word
        # for a phone ("on-call 2147483647": Dallas)
        if (
            value[-1] in "13579"
            and not (int(value) + 1) % _MEBIBYTE
            and _PHONE_WORDS.search(text, max(0, end - 50), end - size) is None
        ):
            return None
        # a Unix time in seconds (2001..2033), but after a word for a phone ("call us at 1151293680") or as a whole text
        # (a form field, a tool argument: its key names it): US and Canadian numbers never start with 1, the default
        # regions' others that may are written with a trunk 0 or a country code
        if (
            size == 10
            and value[0] == "1"
            and _PHONE_WORDS.search(text, max(0, end - 50), end - 10) is None
            and text.strip() != value
        ):
            return None
        return value, 1, value
    # (the rules of how the number is written are decided once per layout, see _layout; those of its digits and of the
    # text around it, per candidate, as the layout asks)
    is_ascii = value.isascii()  # (a candidate of the pattern always is: layout and digits made at C speed, as bytes)
    if is_ascii:
        raw = value.encode()
        form = raw.translate(_DIGITS_AS_ZERO)
        if b"(0)" in form:
            form = _marked(value, form.decode()).encode()
        layout = _LAYOUTS.get(form, _UNKNOWN)
        if layout is _UNKNOWN:
            if len(_LAYOUTS) >= _LAYOUTS_MAX:
                _LAYOUTS.clear()
            layout = _LAYOUTS[form] = _layout(form.decode())
    else:
        layout = _layout(_marked(value, _ANY_DIGIT.sub("0", value)))
    if layout is None:
        return None
    size, plus, sizes, number, count, checks = layout
    main = value[:size]
    source = main.replace("(0)", "") if plus else main
    if not is_ascii:
        digits = "".join(_GROUPS.findall(source))
    # (every other byte made a space and the spaces taken out: a translate with a table alone reads only the value's
    # bytes; one that deletes builds a table of 256 entries on every call, ~2x the cost on a candidate's ~13 bytes)
    elif source is main:  # (the usual: the digits of the value's main part, from its bytes)
        digits = raw[:size].translate(_SPACE_BUT_DIGITS).replace(b" ", b"").decode()
    else:
        digits = source.encode().translate(_SPACE_BUT_DIGITS).replace(b" ", b"").decode()
    # (placeholder_digits inlined: ``digits`` is not empty here)
    if digits.count(digits[0]) == count or (not plus and digits in _COUNTING):
        return None
    if not checks:  # (the usual layout: no rule reads its digits or the text around it)
        return source, number, digits
    # the rules of the layout's ``checks`` (see _layout) that read the candidate's digits or the text around it
    # (here, not in a function of their own: one Python call less per candidate; the rare ones are functions)
    if checks & _SWITCHBOARD and not _switchboard(main, sizes):
        return None
    if checks & _TRUNK_DOTS and main[0] != "0":
        return None  # a number grouped in thousands with dots (a phone number so written has a trunk 0)
    if checks & _BARCODE and _barcode(sizes, digits, text, end):
        return None
    if checks & _DATED and _spans_or_dated(main, digits, number, text, end):
        return None
    # a house number and a street: "3747 3911 Fourth Avenue" (not a number with a trunk 0: "030 127009 an", a Berlin
    # number before a word)
    if checks & _HOUSE and main[0] != "0" and _NEXT_WORD.match(text, end) is not None:
        return None
    if checks & _COMPACT and _COMPACT_DATE.match(main) is not None:
        return None  # a date and a time ("20260311 1432"), a build stamp
    if checks & _SPACED:
        # 3+ digit groups without "+", single spaces between them, that are a number or a list of them:
        # a number grouped in thousands ("population 8 336 817", "1 234 567 units"): one digit but a trunk 0, then
        # groups of three (a phone number's last group has 4 digits, or 2); or two digits, then groups of three, the
        # last "000" (a round count, "67 750 000 inhabitants") or after a count's word ("Population: 37 400 068";
        # "Phone: 72 128 827" is a phone number's form); not with
        # ``thousands`` False (see _THOUSANDS_REGIONS);
        # a list, groups of one size, 2 or 4 digits: lottery numbers, scores, ports ("07 14 21 28 35 42", "8080 8081
        # 8082"). A phone number so written has a trunk 0 and 5 pairs ("06 12 34 56 78") or 3 or 4 pairs ("12 34 56
        # 78"), or a trunk 0 and groups of 4 ("0151 2345 6789"); groups of 3 are a number's ("912 345 678");
        # a quantity: spaced groups of three digits (the first of 1 to 3) before a unit, a currency or a counted noun
        # ("299 792 458 m/s", "123 456 789 €", "10 452 326 invånare"); "912 345 678" alone is Spain's phone number
        first = sizes[0]
        trunk = main[0] == "0"
        threes = sizes.count(3) == number - 1 + (first == 3)  # (every group after the first has 3 digits)
        if first == 1:
            if thousands and not trunk and threes:
                return None
        elif first == 2 and not trunk and threes:
            # (a round count, or a count named in the 60 characters before it and no word for a phone: "Population
            # of Tokyo metro: 37 400 068; Osaka: 19 222 665"; "Phone: 72 128 827", "answering at 78 651 450" are phone
            # numbers)
            if thousands and (digits[-3:] == "000" or _counted(text, end - len(value))):
                return None
        elif first in (2, 4) and sizes.count(first) == number:
            if (number > 5 or (number == 5 and not trunk)) if first == 2 else not trunk:
                return None
        if threes and _UNIT.match(text, end) is not None:
            return None
    if checks & _DATE_CHECK and _DATE.search(main) is not None:
        return None
    if checks & _ISBN and _isbn13(digits):
        return None
    return source, number, digits


# the value checks a layout asks for (see _layout, _shape): one bit each
_SWITCHBOARD, _TRUNK_DOTS, _BARCODE, _DATED, _HOUSE, _COMPACT, _SPACED, _DATE_CHECK, _ISBN = (
    1 << bit for bit in range(9)
)
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_ANY_DIGIT = re.compile(r"\d")
# layouts met, each with what _layout made of it (a layout holds no digit of the number: the same few recur)
_LAYOUTS: dict[bytes, tuple[int, bool, list[int], int, int, int] | None] = {}
_LAYOUTS_MAX = 4096
_UNKNOWN: tuple[int, bool, list[int], int, int, int] = (0, False, [], 0, 0, 0)  # (not yet met)


def _marked(value: str, form: str) -> str:
    """``form`` (``value`` with every digit a "0"), the digit of a one-digit group in parentheses that is not "0" a "1".

    An international number's "(0)" trunk digit is left out of its digits, another digit is not (see _shape).
    """
    at = form.find("(0)")
    while at != -1:
        if value[at + 1] != "0":
            form = f"{form[: at + 1]}1{form[at + 2 :]}"
        at = form.find("(0)", at + 3)
    return form


def _layout(form: str) -> tuple[int, bool, list[int], int, int, int] | None:
    """What the layout of a candidate that is not a bare run of digits says (see _shape), else None.

    ``form``: the candidate with every digit a "0" (but see _marked). ``(size, plus, sizes, number, count, checks)``:
    the length of its main part (without its extension), whether it starts with "+", the sizes of its digit groups (of
    the main part, without an international number's "(0)"), their number, its count of digits, and the bits of the
    rules that read its digits or the text around it, which _shape applies to each candidate of this layout.
    """
    main = _EXTENSION.sub("", form) if "x" in form or "#" in form else form  # (an extension has one of them)
    plus = main[:1] == "+"
    if not plus and main[12:13].isdigit() and main[:13].isdigit():
        return None  # a first group of 13-15 digits, read for a bare E.164 field alone: a longer number's, as before
    source = main.replace("(0)", "") if plus else main
    sizes = list(map(len, _GROUPS.findall(source)))  # (the groups' lengths, read by most rules below)
    count = sum(sizes)
    if not 7 <= count <= 15:
        return None
    number = len(sizes)
    if number > 1 and main[-1] == ")":
        return None  # a group in parentheses last: a year, a note's number ("pp. 357-362 (2020)"); an area code leads
    checks = 0
    if sizes[-1] < 2:
        checks |= _SWITCHBOARD  # (the last group of one digit: a switchboard's extension, or no number)
    # (each rule below refuses or goes on: their order is free; those of a number without "+" in one branch)
    if "." in main:  # a version number, an IPv4 address shape
        if number == 4 and max(sizes) <= 3:
            return None
        if number == 2 and not plus and "(" not in main:
            return None  # a decimal number ("m/z 445.1201"): a phone number so written has 3+ groups or a "+"
        national = sizes[1:] if plus else sizes  # (after "+", the groups after the country code: "+1.415.555.2671",
        if (not plus or len(national) > 1) and (min(national) < 2 or max(national) > 4):  # or "+1.4155552671")
            return None
        if not plus and sizes[0] == 2 and main.count(".") == number - 1 and min(sizes[1:]) == 3:
            if max(sizes[1:]) == 3:  # (groups of 2..4 digits, see above: two, then groups of three only)
                checks |= _TRUNK_DOTS  # a number grouped in thousands with dots ("84.358.845 Einwohner", "12.345.678")
    if not plus:
        if number == 1:
            if not 10 <= count <= 11:
                return None  # a bare run: an amount, an id, an account number
        elif number > 3:
            if "(" not in main and sizes.count(1) > 1:
                return None  # a list of small numbers ("2 3 5 7 11 13 17"): a phone number has one group of one digit
        else:  # (2 or 3 groups)
            if number == 3 and "(" not in main and sizes.count(1) > 1:
                return None  # (a list of small numbers, as above)
            if sizes[0] == 1:
                checks |= _BARCODE
            if count in _DATED_COUNTS and main[4] in _DASHES:  # (a dash-like character after a first group of 4 digits)
                checks |= _DATED
            if number == 2 and "(" not in main:
                checks |= _HOUSE
        if sizes[0] == 8:
            checks |= _COMPACT
        if number >= 3 and len(main) == count + number - 1 and main.count(" ") == number - 1:  # (3+ groups, spaced)
            checks |= _SPACED
    if count == 9 and number == 3 and sizes == _SSN_SIZES:  # (3 + 2 + 4 digits)
        return None  # the shape of a US social security number
    # (a date has one of its separators twice, a group of 4 digits and one of 1 or 2: most numbers are not searched;
    # the groups are those of ``main`` but when a "(0)" was taken out of it)
    # (and the layout has a date's groups, _DATE with every digit a "0": most numbers do not, "+1-903-140-4508")
    if (
        ("(0)" in main or (4 in sizes and (1 in sizes or 2 in sizes)))
        and (main.count("-") > 1 or main.count(".") > 1 or main.count("/") > 1)
        and _DATE_LAYOUT.search(main) is not None
    ):
        checks |= _DATE_CHECK
    if number == 2 and "-" in main and _POSTCODE.fullmatch(main) is not None:
        return None  # a Portuguese / Brazilian postal code, a US ZIP+4 code
    if count == 13:
        checks |= _ISBN
    return len(main), plus, sizes, number, count, checks


def _switchboard(main: str, sizes: list[int]) -> bool:
    """``main``, whose last group has one digit, ends in a switchboard's extension after a dash (``030-1234567-0``).

    Germany's and Austria's "Durchwahl": the number, a dash and the extension, ``-0`` for the switchboard itself
    (``+49 30 1234567-0``, ``+43 1 58858-0``): after their country codes, or with a trunk 0 in a first group of 2+
    digits (an ISBN-10's first group is one digit, ``0-306-40615-2``); a group of 3+ digits before the dash. After a
    space instead of the dash only in the international form, spaced, and for the switchboard: ``+43 1 5880 0``,
    ``+49 30 1234567 0`` (not "+49 30 1234567 5 times").
    """
    if main[-2] == " ":  # (after a space, in the international form: "+43 1 5880 0", the Vienna switchboard's)
        return main[-1] == "0" and sizes[-2] >= 3 and len(sizes) >= 4 and main.startswith(("+49 ", "+43 "))
    if main[-2] != "-" or sizes[-2] < 3 or len(sizes) < 3:
        return False
    return main.startswith(("+49", "+43")) or (main[0] == "0" and main[1] != "0" and sizes[0] >= 2)


# a dash between two groups of 4 digits, or after a year that numbers an id (see _spans_or_dated)
_DASHES = frozenset("-\u2013\u2014")
_DATED_COUNTS = frozenset(range(8, 15))  # (4-4, 4-5, 4-6, 4-2-4, 4-4-4, 4-7-2 digits...: see _spans_or_dated)
_QUARTERS = frozenset(("00", "15", "30", "45"))
_PHONE_STEMS = re.compile(_PHONE_WORDS.pattern.replace("(?<![A-Za-z])", "", 1))


def _spans_or_dated(main: str, digits: str, number: int, text: str, end: int) -> bool:
    """``main`` (no "+", 8 to 14 digits in 2 or 3 groups) is a span of years or of times, or an id numbered by year.

    A span of years: two groups of 4 digits joined by a dash, the second later than the first by at most a century
    ("1939-1945", "2023\u20132024"). A span of clock times: two groups of 4 digits, each an hour and a quarter hour
    ("0800-2200", "2200-0600"). An id numbered by year: a year (1900..2099), then one zero-padded group ("2023-0456",
    "2026-004512") or one of 5 or 6 digits ("2026-48213"), a zero-padded group of 4+ digits and one more ("Docket
    2023-0145-0012", "2020-001038-36"), or a month and a zero-padded number ("2026-03-0042"). Each is no phone number
    unless a word for a phone comes right before it ("call 2021-2025"), but not one of an id's label ("Part numbers").
    """
    if len(main) != len(digits) + number - 1 or main[4] not in _DASHES:
        return False  # (one dash-like character between groups of 4 digits)
    if number == 2:
        first, second = int(digits[:4]), int(digits[4:])
        years = 1800 <= first < second <= min(first + 100, 2100)
        times = first // 100 <= 24 and second // 100 <= 24 and digits[2:4] in _QUARTERS and digits[6:8] in _QUARTERS
        dated = 1900 <= first <= 2099 and (digits[4] == "0" or 9 <= len(digits) <= 10)
        if not (years or times or dated or (first < second and len(digits) == 8 and _ranged(text, end, first, second))):
            return False
    elif not (1900 <= int(digits[:4]) <= 2099 and _dated_parts(main, digits)):
        return False
    return not _phone_named(text, end - len(main))


# a range of two groups of 4 digits, at most 24 characters of no digit before or after a candidate (see _ranged)
_RANGE_BEFORE = re.compile(r"(?<![0-9\-.])([0-9]{4})[-\u2013\u2014]([0-9]{4})[^0-9\n]{1,24}\Z")
_RANGE_AFTER = re.compile(r"[^0-9\n]{1,24}?([0-9]{4})[-\u2013\u2014]([0-9]{4})(?![0-9]|[-.][0-9])")


def _ranged(text: str, end: int, first: int, second: int) -> bool:
    """The rising range ``first``-``second`` ending at ``end`` is next to another in a sorted list of ranges.

    "Ranges: 1000-1999, 2000-2999; reserved 4000-4095", "ports 8000-8099 and 8100-8199": the range before it rises and
    ends before ``first``, or the one after it rises and starts after ``second`` (two phone numbers of 4 and 4 digits
    are so ordered one time in 24).
    """
    start = end - 9
    before = _RANGE_BEFORE.search(text, start - 34 if start > 34 else 0, start)
    if before is not None and int(before.group(1)) < int(before.group(2)) <= first:
        return True
    after = _RANGE_AFTER.match(text, end, end + 34)
    return after is not None and second <= int(after.group(1)) < int(after.group(2))


# the words of a count ("Population", "Einwohner", "total") that name the numbers after them (see _counted)
_COUNT_WORDS = re.compile(
    r"(?i:population|bev[öo]lkerung|einwohner|inhabitants|habitants|poblaci[óo]n|popolazione|bevolking|invånare"
    r"|residents|census|total|headcount|popula[çc][ãa]o|ludno[śs][ćc]|населени|численност|населення|人口)"
)


def _counted(text: str, start: int) -> bool:
    """A count's word comes in the 60 characters before ``start`` of ``text``, and no word for a phone in the 50."""
    low = start - 60 if start > 60 else 0
    return _COUNT_WORDS.search(text, low, start) is not None and not _phone_named(text, start)


def _phone_named(text: str, start: int) -> bool:
    """A word for a phone comes in the 50 characters before ``start`` of ``text`` ("call", "Tel."...).

    Not a word for a number that is an id's label's ("Part numbers 0800-2200 and 0600-1400", "Order number").
    """
    before = text[start - 50 if start > 50 else 0 : start].lower()
    # (_PHONE_WORDS without its look-behind, in lower case: sre skips to the words' first letters, ~20x faster on digits)
    for word in _PHONE_STEMS.finditer(before):
        if not (word.start() and before[word.start() - 1] in _ASCII_LETTERS):
            stop = word.end()
            while stop < len(before) and before[stop].isalpha():
                stop += 1
            if not _after_label(before[:stop]):
                return True
    return False


def _dated_parts(main: str, digits: str) -> bool:
    """``main`` (3 groups, a year's 4 digits and a dash first) numbers by year.

    A zero-padded group of 4+ digits and one more ("2023-0145-0012", EudraCT's "2020-001038-36"), or a month and a
    zero-padded number ("2026-03-0042", March 2026's).
    """
    second = main.find(main[4], 5)
    if second >= 9:  # (a zero-padded group of 4+ digits, then one more: "2023-0145-0012", EudraCT's 2020-001038-36)
        return digits[4] == "0"
    return second == 7 and "01" <= digits[4:6] <= "12" and digits[6] == "0"


# a unit of measure or a currency right after a number (a quantity, see _shape)
_UNIT = re.compile(
    r" ?(?:[kMGTmµcn]?(?:m[²³23]|m|g|s|l|Hz|B|W|Wh|V|Pa)|m/s|km/h|mph|m²|m³|bytes?|bits?|bps|ppm|°[CF]?|%|€|\$|£|¥|kr"
    r"|zł|EUR|USD|GBP|CHF|SEK|NOK|DKK|PLN|JPY|INR"
    # (or what is counted: people, rows, downloads..., in the default regions' languages too)
    r"|(?i:inhabitants|residents|people|persons|users|customers|visitors|views|downloads|rows|records|entries|items"
    r"|units|copies|votes|habitants|personnes|einwohner|menschen|personen|habitantes|personas|abitanti|persone"
    r"|inwoners|invånare|pessoas|mieszkańców|osób|человек|чел|жителей|людей|пользователей|осіб|мешканців))(?![^\W_])"
)


def _barcode(sizes: list[int], digits: str, text: str, end: int) -> bool:
    """The groups (1-6-6, or 1-5-5 / 1-6 and the text's next group) are a barcode's printed digits, with its check digit.

    An EAN-13 as 1-6-6 ("3 017620 422003"), a UPC-A as 1-5-5-1 ("0 36000 29145 2": the candidate, then its last digit).
    ``sizes``: the groups' lengths.
    """
    if sizes == [1, 6, 6]:
        code = digits
    elif sizes == [1, 5, 5] or sizes == [1, 6]:  # (the candidate without its last group: 1-5-5 1, 1-6 6)
        rest = 1 if sizes[1] == 5 else 6
        tail = text[end + 1 : end + 1 + rest]
        if text[end : end + 1] != " " or not (tail.isdigit() and tail.isascii() and len(tail) == rest):
            return False
        if text[end + 1 + rest : end + 2 + rest].isdigit():
            return False
        code = digits + tail
    else:
        return False
    return gs1_ok(code)


def _same_groups(value: str) -> bool:
    """``value`` is 3+ groups of digits of one size, single spaces between them."""
    groups = value.split(" ")
    size = len(groups[0])
    return len(groups) >= 3 and all(len(group) == size and group.isdigit() for group in groups)


def _labelled(text: str, start: int, columns: _Columns | None = None) -> bool:
    """The candidate at ``start`` of ``text`` follows an identifier's label (see _ID_LABELS) or is part of another value.

    Part of another value: after one space, a part of a code of capital letters and digits that ends in a digit (a
    parcel's "1Z 999 AA1 01 2345 6784", "Ref AB12 0151 2345 6789"), or an HTTP status and a size after the protocol (an
    access log's ``"GET / HTTP/1.1" 200 2326``). Or it is a cell of a table's id column (``columns``: the scan's
    lookups; None: this candidate's own).
    """
    before = text[start - 40 if start > 40 else 0 : start]
    if (
        before[-1:] == " "
        and before[-2:-1] in _CODE_ENDS
        and text[start] != "("  # (an area code in parentheses: a phone number's own form, "Room B2 (212) 555-0187")
    ):
        code = _CODE_PART.search(before)
        if code is not None:
            if code.group().startswith("HTTP/"):
                return True
            # a code of several parts ("1Z 999 AA1 ..."), or one after an id's label ("Ref AB12 ..."); not a place's
            # code alone before a number ("London NW1 020 7946 0958", "Room B2 ...", "Tel. A1 ...")
            head = before[: code.start()]
            if head[-1:] == " " and (head[-2:-1].isdigit() or _after_label(head)):
                return True
    if _after_label(before) or (
        ("S " in before or "S. " in before) and _PLACED_REGISTER.search(before) is not None  # ("RCS ", "R.C.S. ")
    ):
        return True
    if before[-2:] == ": " or before[-1:] == ":":
        # (a participle ends in "ed" before its colon: most labels end otherwise, "Mobile:", "Fax:"; tested first, the
        # word's last letter, D or d, the only characters whose lower case ends in "d")
        if before.rstrip(" \t:")[-1:] in _D and _labelled_participle(before):
            return True
    elif before[-1:] in _LIST_ENDS and _listed(text, start):
        return True
    if columns is None:
        columns = _Columns()
    # (an unquoted number of a SQL row: the text is searched for "VALUES" once per scan, the rest read back is bounded)
    if before.rstrip(" ")[-1:] in ("(", ","):
        if columns.sql is None:
            columns.sql = "ALUES" in text or "alues" in text
        if columns.sql and _sql_literal(text, start):
            return True
    # a cell of a table's column whose header names an identifier (see _COLUMN_LOOKUPS)
    if columns.tabular is False:  # (the text holds no table, found for an earlier candidate: no lookup)
        return False
    if text.rfind("\n", start - 4096 if start > 4096 else 0, start) == -1 or not columns.left:
        return False  # (no line above the candidate's: no header; past the lookups: a finding)
    if columns.tabular is None:  # (a table's rows, or a SQL row after VALUES: else no value has a column)
        columns.tabular = _tabular(text)
        if not columns.tabular:
            return False
    columns.left -= 1
    header = column_header(text, start, start)
    return bool(header) and _after_label(header.replace("_", " ").replace("-", " "))


# (the end of the text before an item of a list after the first: "a, b", "a; b", "a and b", "a or b")
_LIST_ENDS = frozenset(",; d r")
_LIST_ITEMS = 20  # (items of a list read back to its first: past them, the label is not looked for)
_LIST_REACH = 400
# (the items before a candidate, read on the text before it reversed, from its end: a joint, "," ";" or a word ("and",
# "or", "und", "et", "oder", "ou", reversed), after a "," too; then an item, 7+ digits and dashes ending in a digit,
# a blank, a ":" or the text's start before it; a regex reads forward only, and one reversed copy of the text read
# back costs less than a copy of it per item)
_LIST_BACK = re.compile(
    r"(?:[ \t]*+(?:[,;]++|(?:dna|ro|dnu|te|redo|uo)[ \t]++,?+)[ \t]*+(?=[0-9])[0-9\-]{7,}+(?![^ \t:]))"
    rf"{{1,{_LIST_ITEMS}}}+"
)


_D = ("d", "D")  # (see _labelled: a participle's last letter)


def _labelled_participle(before: str) -> bool:
    """``before`` ends in an identifier's label, a word of a past participle and a colon ("Batch IDs processed: ").

    Ids after what was done with them ("Orders shipped:", "Tickets closed:", "IDs affected:"): the word is dropped
    and the label read before it; not a word for a phone ("Order hotline:" is no participle; "contacted" names one).
    """
    head = before.rstrip(" \t")[:-1].rstrip(" \t")
    word = _last_word(head)
    if len(word) < 4 or not word.endswith("ed") or _phone_stem(word):
        return False
    return _after_label(head[: len(head) - len(word)], False)


def _listed(text: str, start: int) -> bool:
    """The candidate at ``start`` is an item after the first of a list of ids that follows an id's label.

    "Batch IDs processed: 20261207001, 20261207002", "Part numbers 0800-2200 and 0600-1400": the items before it (runs
    of 7+ digits and dashes, each joined by ``,``, ``;``, "and", "or"...; up to _LIST_ITEMS of them) are read back to
    the first, and the text before that one is read as a candidate's (see _after_label, _labelled_participle).
    """
    window = text[start - _LIST_REACH if start > _LIST_REACH else 0 : start]
    items = _LIST_BACK.match(window[::-1])
    if items is None:
        return False
    before = window[len(window) - items.end() - 40 if len(window) > items.end() + 40 else 0 : len(window) - items.end()]
    return _after_label(before) or (
        (before[-2:] == ": " or before[-1:] == ":")
        and before.rstrip(" \t:")[-1:] in _D
        and _labelled_participle(before)
    )


# a bare number right after a SQL row's "(" or "," and before its "," or ")", "VALUES (4821937561,'2026-12-07',3)": a
# numeric literal (a phone number is stored as a string, quoted: its "+", its leading 0 and its dashes are kept)
_SQL_LITERAL = re.compile(r"[0-9]+ *[,)]")


def _sql_literal(text: str, start: int) -> bool:
    """The candidate at ``start`` (after a "(" or a ",") is an unquoted number of a SQL ``VALUES`` row (see _SQL_LITERAL)."""
    if _SQL_LITERAL.match(text, start) is None:
        return False
    low = start - _SQL_REACH if start > _SQL_REACH else 0
    values = max(text.rfind("VALUES", low, start), text.rfind("values", low, start), text.rfind("Values", low, start))
    return values != -1 and text.find("(", values, start) != -1


_SQL_REACH = 2000  # (characters read back for a row's VALUES)


# a French company's register entry after its court's place and section: "RCS Paris B 732 829 320", "R.C.S. Lyon
# 732 829 320", "RCS Aix-en-Provence 732 829 320" (the SIREN, 3-3-3 as Spain's and Portugal's phone numbers)
_PLACED_REGISTER = re.compile(r"(?<![A-Za-z])R\.?C\.?S\.? (?:[A-Z][^\W\d_]*(?:-[^\W\d_]+)* ){1,2}\Z")


# a table's column whose header names an identifier ("order_id", "Invoice No", "tracking_number"): its cells are ids,
# not phone numbers; the columns of the first _COLUMN_LOOKUPS candidates of a text are looked up (the rest: findings)
_COLUMN_LOOKUPS = VALIDATION_BUDGET // 4


class _Columns:
    """One scan's id-column lookups: whether its text holds a table (or a SQL row), and how many lookups are left.

    The table search runs once, when first asked. Made per call of :meth:`PhoneDetector._spans`, so a text's findings
    never depend on another text's or on an earlier scan.
    """

    # (class defaults, no __init__: most scans make one and never ask it; an instance gets its own values when asked)
    tabular: bool | None = None
    sql: bool | None = None  # (the text holds "VALUES" in any case, see _sql_literal)
    left = _COLUMN_LOOKUPS


def _tabular(text: str) -> bool:
    """``text`` holds a table's rows (see ROWS_OF) or a SQL row after VALUES."""
    if "ALUES" in text or "alues" in text:
        return True
    for delimiter, rows in ROWS_OF.items():
        if delimiter in text and rows(text) is not None:  # (most texts hold no "|", tab or ";": no search)
            return True
    return False


def _after_label(before: str, country: bool = True) -> bool:
    """``before`` (the text before a candidate) ends in an identifier's label (see _ID_LABELS).

    ``country``: the label may be followed by two capitals (a VAT number's country, "USt-IdNr. DE 136 695 976"; once).
    """
    # (and a JSON key's quotes, an XML tag's end: "order_id": "..."; a key and its value in parentheses, PostgreSQL's
    # "Key (id)=(4821937561)")
    before = before.rstrip(" \t:#=.°º\"'>()")
    if not before[-1:].isalpha():  # (no word before: a line's start, a "(", a digit; every rule below needs one)
        return False
    if country and before[-3:-2] == " " and before[-2:].isupper() and before[-2:].isalpha():
        if _after_label(before[:-3], False):
            return True
    named = before
    rest = before.rstrip(_ASCII_LETTERS)  # (_last_word inlined for the usual word, ASCII letters)
    word = named_word = _last_word(before) if rest and rest[-1].isalpha() else before[len(rest) :].lower()
    if word in _PLURAL_ID_WORDS:  # ("Part numbers", "Order nos.": a list of ids, as one is)
        word = word[:-1]
        before = before[:-1]
    if word in _SHORT_WORDS:  # (the rules of short words, one test for all: most words are none of them)
        if word == "n" and before[-3:-1].lower() in ("s/", "p/"):  # ("S/N", "P/N": a serial number's, a part number's)
            return True
        if word == "id" or word == "ids":  # ("ID: ...", "Customer ID ...": whatever it identifies, an id is no phone
            return (
                _last_word(before[: len(before) - len(word)].rstrip(" \t-")) != "caller"
            )  # but a caller ID shows one)
        if word == "o" and before[-3:-1] in ("n.", "N."):  # ("n.º", "number" in Spain and Portugal: "n.o" after NFKC)
            before = before[:-2]
            word = "n"
        if word in _ID_WORDS:  # ("serial no.", "Invoice number", "Art.-Nr."; not "phone number", "mobile no.")
            before = before[: len(before) - len(word)].rstrip(" \t#.-_")
            code = word == "code"
            word = _last_word(before)
            if code and word:  # (any "... code" names an id, "Referral code 4471-0021-88", but a phone's own codes)
                return word not in _PHONE_CODES and not _phone_stem(word)
    if word in _ID_LABELS or (word[-1:] == "s" and word[:-1] in _ID_LABELS):
        return True
    # an identifier's name of a form _ID_LABELS does not list, naming no phone: a German or Dutch compound on "-nummer"
    # ("Vertragsnummer", "Dossiernummer"; not "Telefonnummer", "Rufnummer", "Servicenummer") or "-Nr." ("Kunden-Nr.";
    # not "Tel.-Nr."); a camelCase key ("ticketId", "invoiceNumber"; not "callerId", "phoneNumber"); "numéro de
    # client", "número de cliente" (not "numéro de téléphone"). (Here, not in a function of its own: one Python call
    # less per candidate.) ``before``: the text before the candidate, stripped; ``word``: its last word in lower case.
    before = named
    word = named_word
    if not word:
        return False
    if word[-1] in "r号码碼":  # (one test for the three rules below: most words end otherwise)
        if len(word) > 6 and word.endswith("nummer"):
            return not _phone_stem(word[:-6])
        if len(word) > 4 and word.endswith("nr"):  # (the compound abbreviated: "Kundennr.", "Auftragsnr"; not "Telnr.")
            return not _phone_stem(word[:-2])
        if word[-2:] in _CJK_NUMBER:  # ("伝票番号", "注文番号", "订单号码"; not "電話番号", "携帯番号", "FAX番号")
            head = word[:-2]
            return bool(head) and not _phone_stem(head) and not any(stem in head for stem in _CJK_PHONE_STEMS)
        if word == "nr":
            rest = before[:-2]
            if rest[-1:] == "-" or rest[-1:] == ".":  # ("Kunden-Nr.", "Org.nr", "Reg.nr")
                prefix = _last_word(rest.rstrip(".-"))
                return bool(prefix) and not _phone_stem(prefix)
    rest = before[: len(before) - len(word)]
    raw = before[len(rest) :]
    split = 0
    if not (raw.islower() or raw.isupper() or raw.istitle()):  # (most words: no capital after a small letter)
        split = len(raw) - 1
        while split > 0 and not (raw[split].isupper() and raw[split - 1].islower()):
            split -= 1
    if split > 0:  # (a camelCase name: its last part names what the first one is)
        head, tail = raw[:split].lower(), raw[split:].lower()
        if tail == "id" or tail == "ids":
            return head != "caller"
        return (tail in _ID_WORDS or tail == "nummer") and head in _ID_LABELS
    rest = rest.rstrip(" \t'\u2019")
    if rest[-1:] not in _OF_ENDS:  # (no "de", "du", "del", "do", "da", "di", "d'" before the word)
        return False
    joint = _last_word(rest)
    if joint in _OF_WORDS:
        number = _last_word(rest[: len(rest) - len(joint)].rstrip(" \t.°º"))
        return number in _NUMBER_WORDS and not _phone_stem(word)
    return False


# words for a phone number a compound or a phrase may hold beyond _PHONE_STEMS ("Servicenummer", "Festnetznummer",
# "numéro de fixe"), and the words of "numéro de ...", "número de ...", "numero di ..."
# (and the abbreviations "Mob.-Nr.", Danish and Norwegian "Tlf.nr.", Swedish "Tfn")
_MORE_PHONE_STEMS = tuple("service hotline notruf festnetz durchwahl zentral mobil funk fixe poste mob tlf tfn".split())
_OF_WORDS = frozenset(("de", "du", "del", "do", "da", "di", "d"))
_OF_ENDS = frozenset("eulaoidEULAOID")  # (the last letters of _OF_WORDS)
_NUMBER_WORDS = frozenset(("numéro", "número", "numero", "num", "n", "no", "nr", "nummer"))
# "number" in Japanese and Chinese, the last two characters of an id's name ("伝票番号", a parcel's slip number), and
# the words for a phone such a name may hold ("電話番号", "携帯番号", "連絡先番号", "电话号码", "手机号码")
_CJK_NUMBER = frozenset(("番号", "号码", "號碼"))
_CJK_PHONE_STEMS = (
    "電話",
    "携帯",
    "連絡",
    "直通",
    "代表",
    "ダイヤル",
    "电话",
    "手机",
    "手機",
    "联系",
    "聯絡",
    "座机",
    "客服",
    "热线",
)


def _phone_stem(word: str) -> bool:
    """``word`` (lower case) holds a word for a phone ("telefon", "handy", "service")."""
    return _PHONE_STEMS.search(word) is not None or any(stem in word for stem in _MORE_PHONE_STEMS)


def _last_word(text: str) -> str:
    """The letters at the end of ``text``, in lower case ("" when it ends in another character)."""
    rest = text.rstrip(_ASCII_LETTERS)  # (the usual word, ASCII letters: cut in one C call, not letter by letter)
    if not rest or not rest[-1].isalpha():
        return text[len(rest) :].lower()
    end = len(text)
    begin = end
    while begin and text[begin - 1].isalpha():
        begin -= 1
    return text[begin:end].lower()


def _long_runs(text: str, runs: list[tuple[int, int]] | None, after: int) -> list[tuple[int, int]]:
    """The digit runs of 7+ characters after ``after`` (a run it falls in: from its next digit on)."""
    found = []
    for run_start, run_end in digit_runs(text) if runs is None else runs:
        if run_end - after >= 7:
            if run_start < after:  # the rest of the run ``after`` falls in, from its next digit
                rest = text[after:run_end]
                run_start = run_end - len(rest.lstrip(" .-()/_"))
            if run_end - run_start >= 7:
                found.append((run_start, run_end))
    return found


def _chains(windows: list[tuple[int, int]], runs: list[tuple[int, int]] | None) -> Iterator[tuple[int, int]]:
    """``windows``, each long one narrowed to the stretches around its chains (see _CHAINS), made as they are read.

    A chain need not hold a match (digits glued to a word, "a1234567"): past 4 x VALIDATION_BUDGET windows of chains,
    ``(start, -1)``, after which the rest of the text from ``start`` is read as past the budget of matches.

    A window of many chains (a hostile text's: "1 234 567,89" and a new line, 7,700 times) is yielded in parts as
    its chains are found (_PIECE at a time), each part ending between two of its chains where no match can run on
    (see _cut): the reader stops at its budgets, and the chains past them are never searched; the parts, read one
    after the other, are the window read whole.
    """
    zeros = runs.zeros if type(runs) is Runs else b""
    made = 0
    for low, high in windows:
        if high - low <= _LONG_WINDOW or not zeros:
            yield low, high
            continue
        begin = last = -1  # (the part of a window being made: where it begins, and its last chain's end)
        for piece in _CHAINS.finditer(zeros, low, high):
            start, end = piece.span()
            if last >= 0 and start - last <= _JOIN:  # (the window goes on: a part of it ends between the two)
                cut = _cut(zeros, last, start)
                yield begin, cut
                begin, last = cut, end
                continue
            if last >= 0:
                yield begin, min(last + RUN_AFTER, high)
            made += 1
            if made > 4 * VALIDATION_BUDGET:
                yield max(start - RUN_BEFORE, low), -1
                return
            begin, last = max(start - RUN_BEFORE, low), end
        if last >= 0:
            yield begin, min(last + RUN_AFTER, high)


def _cut(zeros: bytes, end: int, start: int) -> int:
    """Where a window may be cut between a chain ending at ``end`` and the next, starting at ``start``.

    Every match lies in a chain but for a ``+``, ``+ ``, ``+(``, ``+ (`` or ``(`` right before its first digit and a
    ``)`` right after its last: the cut is before those signs, so no match runs across it (a ``)`` at ``end`` is
    before it: it is none of them).
    """
    if zeros[start - 1] == 40:  # "("
        start -= 1
    if zeros[start - 1] == 43:  # "+"
        start -= 1
    elif zeros[start - 1] == 32 and zeros[start - 2] == 43:  # "+ "
        start -= 2
    return start


class PhoneDetector(Detector):
    """Phone numbers (see the module doc); ``regions`` for numbers written without a country code."""

    def __init__(self, regions: Iterable[str] = DEFAULT_REGIONS) -> None:
        super().__init__(
            "PHONE_NUMBER", _PATTERN, score=0.9, candidates_from="digit_runs", min_run=7, glued=WORD_CHARS + "-/.@#$%"
        )
        regions = tuple(regions)
        if regions != DEFAULT_REGIONS:  # (the defaults are known good: no metadata load at import)
            regions = tuple(check_region(region) for region in regions)
        object.__setattr__(self, "regions", regions)
        object.__setattr__(self, "_thousands", not _THOUSANDS_REGIONS.intersection(regions))
        # (what _valid's cache is keyed by: a frozenset keeps its hash, a tuple's is made again from every region's
        # string on each call; the regions are tried in any order, any one of them will do)
        object.__setattr__(self, "_region_set", frozenset(regions))

    def ok(
        self, value: str, text: str = "", end: int = 0, strict: bool = False, columns: _Columns | None = None
    ) -> bool:
        """``value`` (a candidate's text, ending at ``end`` of ``text``) is a phone number.

        ``columns``: the scan's id-column lookups (see _Columns). Valid per libphonenumber, or, when formatted like one (three digit
        groups or an area code in parentheses), of a length possible for its country / a default region.
        """
        shape = _shape(value, text, end, self._thousands)  # type: ignore[attr-defined]
        if shape is None:
            return False
        main, groups, digits = shape
        international = main[0] == "+"
        regions = self._region_set  # type: ignore[attr-defined]
        if _valid(digits, international, regions):
            return international or not _labelled(text, end - len(value), columns)
        if strict:
            return False
        formatted = ("(" in main or groups >= 3) and (international or len(digits) <= 11)
        return (
            formatted
            and _valid(digits, international, regions, True)
            and (international or not _labelled(text, end - len(value), columns))
        )

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every phone number of ``text`` (``runs``: see :meth:`Detector.spans`).

        Without ``runs`` (a direct call; the scanner passes them) the text's digit runs are found first: the same
        findings as over the whole text (a test holds them equal), and a hostile text is read on its chains.
        """
        if runs is None:
            runs = digit_runs(text)
        windows = self.windows(text, runs)
        if not windows:
            return []
        score = self.score
        return [(score, start, end) for start, end in self._spans(text, windows, runs)]

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Phone numbers of ``text``; a candidate's last group after a space is dropped when the whole is not one.

        Past VALIDATION_BUDGET candidates, or 4x as many matches too short to be one (a hostile text), the rest
        of the text's digit runs of 7 characters or more are findings (more redaction, never a miss; linear with a
        small constant).
        """
        if runs is None:  # (see findings)
            runs = digit_runs(text)
        return self._spans(text, self.windows(text, runs), runs)

    def _spans(
        self, text: str, windows: list[tuple[int, int]], runs: list[tuple[int, int]] | None
    ) -> list[tuple[int, int]]:
        """:meth:`spans` of the candidates in ``windows`` (the whole text, or the windows around its ``runs``).

        The windows are read as :func:`_chains` narrows them, as they are in a text too short to hold a long one.
        """
        size = len(text)
        parts: Iterable[tuple[int, int]] = windows if size <= _LONG_WINDOW else _chains(windows, runs)
        found: list[tuple[int, int]] = []
        checked = 0
        finditer = self.pattern.finditer
        ok = self.ok  # (bound once, not per candidate)
        seen = 0
        sequence = -1  # (where the next group of a sequence of numbers starts, see below)
        columns = _Columns()
        for low, high in parts:
            if high < 0:  # (past the budget of chains, see _chains: the runs, as below)
                found += _long_runs(text, runs, low)
                return found
            # (a refused match the text's digits go on right after may have taken the start of the next number, "555 x
            # 212555|1234": the pattern is read again from the match's next character, past it as before when no match
            # starts inside it; each read starts later than the last, and every match counts towards the budgets)
            pos = low
            while True:
                for match in finditer(
                    text, pos, high
                ):  # (lazy: a hostile text's matches past the budget are never made)
                    start, end = match.span()
                    if end - start < 7:  # (most matches of a hostile run of short groups: dropped first, cheaply)
                        seen += 1
                        if seen > 4 * VALIDATION_BUDGET:  # ("(3(3(3..." matches at every digit: the runs, as below)
                            found += _long_runs(text, runs, end)
                            return found
                        continue
                    if end < size:  # (see _BAD_AFTER; most candidates end at a space)
                        after = text[end]
                        if (
                            (
                                after in _BAD_AFTER
                                # (but a capitalised word glued to a number with "+" or "(area)": columns run together,
                                # "Phone:+1 (415) 555-0134Fax:", a label's start, not more of the value)
                                and not (
                                    after in _ASCII_UPPER and text[start] in "+(" and text[end + 1 : end + 2].islower()
                                )
                            )
                            or (
                                after in "-.,"
                                and end + 1 < size
                                and text[end + 1] in _ASCII_DIGITS
                                # (a "," and a digit after a number with "+" or "(": no amount's decimals, the next field of
                                # a CSV row, "...,+1 646 555 0142,601-33-7428")
                                and (after != "," or text[start] not in "+(")
                            )
                            # (an "=" and a number after it: one side of a sum, "1500 - 250 - 100 = 1150")
                            or (
                                (after == "=" or (after == " " and text[end + 1 : end + 2] == "="))
                                and _EQUATION(text, end) is not None
                            )
                        ):
                            # (a hostile run of "0142,6+1 646 555 0142,6...": past 8 budgets, the runs, as below; an
                            # ordinary text holds far fewer such amounts, "1 234 567,89", than 2,048)
                            seen += 1
                            if seen > 8 * VALIDATION_BUDGET:
                                found += _long_runs(text, runs, end)
                                return found
                            # (no match starts inside a bare run, which a digit follows only past its 15 digits: a card)
                            if (
                                after in _ASCII_DIGITS or (after in "-." and text[end + 1 : end + 2] in _ASCII_DIGITS)
                            ) and (end - start != 15 or not text[start:end].isdigit()):
                                pos = start + 1  # (the digits go on: read again, see above)
                                break
                            continue
                    value = match.group()
                    checked += 1
                    if checked > VALIDATION_BUDGET:  # a hostile text: the rest of its digit runs of 7+ characters
                        found.append((start, end))
                        found += _long_runs(text, runs, end)
                        return found
                    # (a space and a digit after a match of 8 groups: it stopped at the pattern's most groups, more than a
                    # phone number has: a sequence of numbers, "1 1 2 3 5 8 13 21 34 55 89 144", and so is the match after
                    # it; not an extension's end, "345-899-3560x4587 3... 2...")
                    if start == sequence:
                        sequence = end + 1
                        continue
                    if (
                        end + 1 < size
                        and text[end] == " "
                        and text[end + 1] in _ASCII_DIGITS
                        and len(value.encode().translate(_SPACE_BUT_DIGITS).split()) >= 8
                    ):
                        sequence = end + 1
                        continue
                    if ok(value, text, end, False, columns):  # (positional: a call by keyword is slower)
                        found.append((start, end))
                        continue
                    # followed by one more group after a space ("call 555-123-4567 5 times"): the number without it
                    # (of 7 characters or more: fewer hold fewer than the 7 digits a number has, "555 1234" is not tried)
                    # (not the next number of a list: "12 24 36 48 60 72", each group of one size, see _shape)
                    cut = value.rfind(" ")
                    if (
                        cut >= 7
                        and value[cut - 1].isdigit()
                        and (
                            value[cut + 1 :].isdigit()
                            or _NEXT_NUMBER(value, cut + 1) is not None
                            or (value[cut + 1] == "(" and value[-1] == ")")  # (a group in parentheses, see _layout)
                        )
                        and not _same_groups(value)
                        and ok(value[:cut], text, start + cut, True, columns)
                    ):
                        found.append((start, start + cut))
                    elif (
                        0 < (head := value.find(" ")) <= 3
                        and value[:head].isdigit()
                        and (
                            (value[head + 1 :].isdigit() and 10 <= len(value) - head - 1 <= 11)
                            or value[head + 1 : head + 2] == "("
                        )
                        and ok(value[head + 1 :], text, end, True, columns)
                        and not _labelled(text, start, columns)
                    ):
                        # a group of 1 to 3 digits before a number, not part of it (a count, an index): "Tel 12
                        # 2125551234", "item 3 (212) 555-0187"; the number a bare run of 10 or 11 digits or an area
                        # code in parentheses (not the rest of a list, a barcode or an id: "3 017620 422003", "Serial:
                        # 4111 2222 3333")
                        found.append((start + head + 1, end))
                    elif end + 1 < size and text[end] == " " and text[end + 1] in _ASCII_DIGITS and not value.isdigit():
                        pos = start + 1  # (a group after an extension's end, "555 x 212 555 1234": read again)
                        break
                else:
                    break  # (the window read to its end)
        return found


DETECTOR = PhoneDetector()
