"""Sensitive-data detectors: PII and secrets found in one pass over a text.

Each detector is anchored on a cheap fact about the text (a secret's literal prefix, an "@", a "=" or
":", a digit run) and its match is confirmed by a cheap validator (Luhn for cards, mod-97 for IBANs,
SSN validity rules, octet ranges / the ``ipaddress`` rules for IPs, Shannon entropy for generic credentials).
The digit runs of a text are found by one regex pass that skips the runs no detector can accept.

PII types are named as Microsoft Presidio names them (``EMAIL_ADDRESS``,
``PHONE_NUMBER``, ``CREDIT_CARD``, ``US_SSN``, ``IBAN_CODE``, ``IP_ADDRESS``);
secrets are named by kind (``AWS_ACCESS_KEY``, ``GITHUB_TOKEN``, ...).
"""

from __future__ import annotations

import bisect
import math
import operator
import re
from typing import Any, NamedTuple

PII_TYPES: tuple[str, ...] = (
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "US_SSN",
    "IBAN_CODE",
    "IP_ADDRESS",
)
SECRET_TYPES: tuple[str, ...] = (
    "PRIVATE_KEY",
    "AWS_ACCESS_KEY",
    "GITHUB_TOKEN",
    "SLACK_TOKEN",
    "GOOGLE_API_KEY",
    "JWT",
    "GENERIC_SECRET",
)
ALL_TYPES: tuple[str, ...] = PII_TYPES + SECRET_TYPES


class Finding(NamedTuple):
    """One detected sensitive value: its type and where it is in the scanned text (immutable)."""

    type: str
    start: int
    end: int
    value: str

    @property
    def is_secret(self) -> bool:
        """True for credentials (secrets), False for personal data."""
        return self.type in _SECRET_SET


_SECRET_SET = frozenset(SECRET_TYPES)

# --- validators --------------------------------------------------------------------------------


_LUHN_DOUBLED = bytes.maketrans(b"0123456789", b"0246813579")  # a digit doubled, minus 9 when over 9


def luhn_ok(digits: str) -> bool:
    """Return True when the digit string passes the Luhn checksum."""
    if digits.isascii() and digits.isdigit():  # byte sums: the digits' character codes minus 48 each
        codes = digits.encode("ascii")
        return (sum(codes[-1::-2]) + sum(codes[-2::-2].translate(_LUHN_DOUBLED)) - 48 * len(codes)) % 10 == 0
    total = 0
    parity = len(digits) % 2
    for index, char in enumerate(digits):
        value = ord(char) - 48
        if index % 2 == parity:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def ssn_ok(area: str, group: str, serial: str) -> bool:
    """US SSN validity (SSA rules): area not 000/666/9xx, group not 00, serial not 0000."""
    return area != "000" and area != "666" and area[0] != "9" and group != "00" and serial != "0000"


# IBAN length per country (ISO 13616 registry).
_IBAN_LENGTHS: dict[str, int] = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22, "BI": 27,
    "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27, "DK": 18, "DO": 28,
    "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27, "GB": 22, "GE": 22, "GI": 23,
    "GL": 18, "GR": 27, "GT": 28, "HR": 21, "HU": 28, "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27,
    "JO": 30, "KW": 30, "KZ": 20, "LB": 28, "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25,
    "MC": 27, "MD": 24, "ME": 22, "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18,
    "NO": 15, "OM": 23, "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33,
    "SA": 24, "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}  # fmt: skip


_IBAN_LETTER_VALUES = str.maketrans({chr(65 + value): str(10 + value) for value in range(26)})


def iban_ok(candidate: str) -> bool:
    """ISO 13616 check: known country, its length, and mod-97 of the rearranged number == 1."""
    iban = candidate.replace(" ", "").replace("-", "").upper()
    expected = _IBAN_LENGTHS.get(iban[:2])
    if expected is None or len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    if rearranged.isascii() and rearranged.isalnum():  # letters as their base-36 values, in one C call
        return int(rearranged.translate(_IBAN_LETTER_VALUES)) % 97 == 1
    try:
        number = int("".join(str(int(ch, 36)) for ch in rearranged))
    except ValueError:
        return False
    return number % 97 == 1


def shannon_entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    if not text:
        return 0.0
    counts: dict[str, int] = {}
    for char in text:
        counts[char] = counts.get(char, 0) + 1
    size = len(text)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


# --- detectors -------------------------------------------------------------------------------
#
# Speed matters (every case of every run is scanned): instead of trying every detector at every
# position, scanning is anchored on cheap facts about the text. Secrets are searched only when
# their literal prefix occurs (``AKIA``, ``eyJ``, ``-----BEGIN`` ...); e-mail addresses are grown
# around each ``@``; the number-shaped detectors (card, SSN, phone, IPv4, IBAN) run only inside the
# digit runs that one fast regex finds. Overlaps are resolved by detector priority.

_PRIVATE_KEY = (
    r"-----BEGIN[A-Z ]{0,40} PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]{0,10000}?-----END[A-Z ]{0,40} PRIVATE KEY(?: BLOCK)?-----)?"
)
_SECRET_PATTERNS: list[tuple[str, tuple[str, ...], re.Pattern[str]]] = [
    ("PRIVATE_KEY", ("-----BEGIN",), re.compile(_PRIVATE_KEY)),
    (
        "AWS_ACCESS_KEY",
        ("AKIA", "ASIA", "ABIA", "ACCA", "AROA", "AIDA"),
        re.compile(r"A(?<![A-Z0-9]A)(?:KIA|SIA|BIA|CCA|ROA|IDA)[A-Z0-9]{16}(?![A-Z0-9])"),
    ),
    (
        "GITHUB_TOKEN",
        ("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
        re.compile(
            r"g(?<![A-Za-z0-9_]g)(?:h[pousr]_[A-Za-z0-9]{36,255}|ithub_pat_[A-Za-z0-9_]{60,255})(?![A-Za-z0-9_])"
        ),
    ),
    ("SLACK_TOKEN", ("xox",), re.compile(r"x(?<![A-Za-z0-9]x)ox[abposr]-[A-Za-z0-9-]{10,250}")),
    ("GOOGLE_API_KEY", ("AIza",), re.compile(r"A(?<![A-Za-z0-9_-]A)Iza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])")),
    (
        "JWT",
        ("eyJ",),
        re.compile(r"e(?<![A-Za-z0-9_-]e)yJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"),
    ),
]
# scan_texts joins several texts with _SEPARATOR; a key block is the one pattern that could run across it
_JOINED_SECRET_PATTERNS = [
    ("PRIVATE_KEY", ("-----BEGIN",), re.compile(_PRIVATE_KEY.replace(r"[\s\S]", r"[^\x00]"))),
    *_SECRET_PATTERNS[1:],
]
# a superset of every needle above is present: a test for a rare character (a C memchr) before each
# search, searches whose pattern begins with a literal (the regex engine then skips to that character)
_AWS_GOOGLE_HINT = re.compile(r"A(?:KIA|SIA|BIA|CCA|ROA|IDA|Iza)")
_GITHUB_HINT = re.compile(r"_(?:(?<=gh[pousr]_)|pat_)")
_JWT_HINT = re.compile(r"J(?<=eyJ)")
_SLACK_HINT = re.compile(r"x(?=ox)")


def _secret_hint(text: str) -> bool:
    return (
        ("J" in text and _JWT_HINT.search(text) is not None)
        or ("x" in text and _SLACK_HINT.search(text) is not None)
        or "-----BEGIN" in text
        or ("A" in text and _AWS_GOOGLE_HINT.search(text) is not None)
        or ("_" in text and _GITHUB_HINT.search(text) is not None)
    )


# generic credential assignments are anchored on their "=" / ":": keyword before, value after
_GENERIC_NAME = re.compile(
    r"(?<![A-Za-z0-9])(?:api[_-]?key|apikey|secret(?:[_-]?key)?|client[_-]?secret|access[_-]?token|auth[_-]?token"
    r"|token|password|passwd|pwd|private[_-]?key|access[_-]?key(?:[_-]?id)?)[\"']?\s{0,3}$",
    re.IGNORECASE,
)
_GENERIC_ENDINGS = ("key", "secret", "token", "password", "passwd", "pwd", "id")
_GENERIC_TAILS = frozenset(ending[-2:] for ending in _GENERIC_ENDINGS)
_GENERIC_VALUE = re.compile(r"(?:>)?\s{0,3}[\"']?(?P<value>[^\s\"'`,;]{8,200})")
# an e-mail local part: an ASCII letter or digit, then up to 63 of these characters, up to the "@"
_ALNUM_ASCII_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
_LOCAL_CHARS = "".join(sorted(_ALNUM_ASCII_CHARS)) + "._%+-"
_ALNUM_ASCII = re.compile(r"[A-Za-z0-9]")
_EMAIL_DOMAIN = re.compile(r"(?:[A-Za-z0-9](?:[A-Za-z0-9\-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![A-Za-z0-9\-])")
_IPV6_HINT = re.compile(r":[0-9A-Fa-f]{0,4}:")
_HEX_COLON = frozenset("0123456789abcdefABCDEF:")

# Number-shaped detectors run inside digit runs only. A digit run is a maximal "cluster" of digits linked by
# 0..3 separator characters holding 4+ digits, or two digits right after two letters (an IBAN's start). Most
# runs cannot yield a finding (order ids "#W3530829", amounts "120.50", zip codes): _RUN skips those inside
# the regex engine and stops only at a run that can, with its whole span: one after two ASCII letters that
# follow no letter or digit (group "iban": the cluster if it holds 4+ digits, else its first two digits, else
# one digit, which is no run), a bare run of 10 digits that is a phone number (group "phone": no word
# character, + or - before it, no word after it), a bare run of 12..19 digits where _CARD can start (group
# "card": Luhn decides), a bare run of 9 digits where _SSN can (group "ssn": ssn_ok decides), a North
# American number as (ddd) ddd-dddd or ddd-ddd-dddd where _PHONE's match is the run (group "nanp", no SSN,
# card, IPv4 or date shape; _phone_ok accepts it), digit groups joined by single spaces (group "spaced", see
# _candidates), an SSN shape ddd-dd-dddd not after "-" (group "ssnd": _SSN matches it and ssn_ok decides;
# _phone_ok rejects _PHONE's match as a date, "00-00-0000", whatever comes before it), four groups of up to
# three digits joined by dots after no word character, ".", "+", "-" or "(" (group "quad": _IPV4 can match it
# only at its start, whole; _PHONE's match is the run, a phone number with 7+ digits), a phone number in digit
# groups (group "grouped", see _run_pattern), and (group "num") any other bare run of 9, 10 or 12..19
# digits, a
# run with a separator or after "+" / "(" holding 7+ digits, or one holding three dots (IPv4). It matches from
# where it starts (every position it continues from is a cluster's first digit) and its last match, which
# reaches the end of the text, has no group.
#
# It is written once for two subjects. The text itself (Unicode classes), and, much faster, a "proxy": the
# text as bytes with every digit turned into "0" (so skipping non-digits is a single-character loop in the
# regex engine) and every non-ASCII character into an ASCII one of its class: "0" for a decimal digit, "a"
# for another letter or digit, "#" for anything else. The proxy has the same length, so the same spans. It
# preserves every class the pattern tests except [A-Za-z] (a non-ASCII letter becomes "a"): that can only add
# "iban" matches whose IBAN check then fails on the text itself and whose span is the run the text has.
# Every alternative begins with the digit it stands at (look-behinds include it), so that the regex engine
# rejects an alternative on its first character.
_RUN_TEMPLATE = (
    r"(?:{nondigit}++|{boring}|{d}(?!{useful}){d}*+(?:{sep}{{1,3}}+{d}++)*+|{after_word})*+"
    r"(?:(?P<iban>{d}{after_code}(?:(?:{sep}{{0,3}}+{d}){{3,}}+|{d})?)"
    r"|(?P<phone>{d}(?<![\w+\-]{d}){d}{{9}}{cluster_end}(?![ \t]+{letter}))"
    r"|(?P<card>{d}(?<![\w\-+.(]{d}){d}{{11,18}}{cluster_end})"
    r"|(?P<ssn>{d}(?<![\-+(]{d}){d}{{8}}{cluster_end})"
    r"|(?P<nanp>{d}(?:(?<=\({d})(?<![\w+\-]\({d}){d}{{2}}\) ?|(?<![\w+\-(]{d}){d}{{2}}[\-.]){d}{{3}}[\-.]{d}{{4}}{cluster_end})"
    r"|(?P<spaced>{d}(?<![\w+\-(]{d}){no_ssn}{d}{{0,7}}(?: {d}{{1,8}}){{1,5}}{cluster_end})"
    r"|(?P<ssnd>{d}(?<!-{d}){d}{{2}}-{d}{{2}}-{d}{{4}}{cluster_end})"
    r"|(?P<quad>{d}(?<![\w.+\-(]{d}){d}{{0,2}}\.{d}{{1,3}}\.{d}{{1,3}}\.{d}{{1,3}}{cluster_end})"
    r"|(?P<grouped>(?={d})(?:{grouped}))"
    r"|(?P<num>{d}++(?:{sep}{{1,3}}+{d}++)*+))?"
)
# after a run's first digit: the run can yield a finding
_USEFUL_TEMPLATE = (
    r"{after_code}"
    r"|(?<![+(]{d}){d}{{8}}(?:{d}{{3,10}}|{d})?+{cluster_end}"
    r"|(?:(?<=[+(]{d})|(?={d}*+{sep}{{1,3}}+{d}))(?:{sep}{{0,3}}+{d}){{6}}"
    r"|(?={three_dots})(?=(?:{sep}{{0,3}}+{d}){{3}})"
)


def _run_pattern(d: str, nondigit: str, alnum: str, letter: str) -> str:
    sep = r"[ \-.()x]"
    d_or_sep = d.strip("[]") + r" \-()x"
    parts = {"d": d, "sep": sep}
    parts["cluster_end"] = "(?!{sep}{{0,3}}+{d})".format(**parts)
    parts["after_code"] = rf"(?<=[A-Za-z]{{2}}{d})(?<!{alnum}[A-Za-z]{{2}}{d})"
    parts["letter"] = letter
    # (after a run's first digit) no groups of 3, 2 and 4 digits in a row, spaced like an SSN
    parts["no_ssn"] = (
        f"(?!{d}{{2}} {d}{{2}} {d}{{4}}(?!{d})|{d}{{0,7}}(?: {d}{{1,8}}){{0,4}} {d}{{3}} {d}{{2}} {d}{{4}}(?!{d}))"
    )
    # three dots ahead (maybe past the run): only a run of up to 6 digits needs this test (a longer one with a
    # dot is useful anyway), and such a run is at most 21 characters long, so each look is bounded (linear time)
    parts["three_dots"] = rf"[{d_or_sep}]{{0,21}}+\.[{d_or_sep}]{{0,21}}+\.[{d_or_sep}]{{0,21}}+\."
    parts["useful"] = _USEFUL_TEMPLATE.format(**parts)
    # group "grouped": a phone number in digit groups that _PHONE matches whole. At the run's first digit, after
    # "+" (an international number), after "(" (an area code) or after neither (3+ groups, maybe an "00"
    # prefix, no parentheses): _PHONE's greedy path, which the possessive groups below follow step by step,
    # ends at the end of the run, so that is its match; _grouped_phone then tells from the run's shape that
    # _numbers would find nothing else in the run and that _phone_ok accepts it (else _numbers decides)
    cluster_end = parts["cluster_end"]
    # _PHONE after its country code or "(" prefix: up to 10 digits, up to five groups of up to 8, an extension
    # (an extension may be followed by a short group, "x4587 3": _PHONE's match ends before it, see _candidates)
    ext = rf"(?: ?x{d}{{1,5}}+(?: {d}{{1,6}}+)?+)?+{cluster_end}"
    tail = rf"{d}{{1,10}}+(?:[ .\-]{d}{{1,8}}+){{0,5}}+{ext}"
    parts["grouped"] = (
        # "+44 20 7946 0958", "+41 (0)71 526 99 04": "+" and a 1..3 digit country code, one "(0)" / "(20)"
        # (in the proxy "(0)" is any digit in parentheses: _PHONE reads "(5)" as an area code, the same span)
        rf"(?<=\+)(?<![\w+\-]\+){d}{{1,3}}+[ .\-]?+(?:\({d}{{1,4}}+\)[ .\-]?+)?+{tail}"
        # "(898)666-3621x0135": 1..4 digits in parentheses
        rf"|(?<=\()(?<![\w+\-]\(){d}{{1,4}}+\)[ .\-]?+{tail}"
        # "259.735.7502x459", "28-64-66-98": 3 groups at least (_phone_ok then accepts them before a word); an
        # "00" and a country code that _PHONE reads as a prefix leave at most 6 groups (it takes 7)
        rf"|(?<![\w+\-(]){d}{{1,10}}+(?:[ .\-]{d}{{1,8}}+){{2,5}}+{ext}"
    )
    # the common runs that cannot be useful, recognised at a lower cost: not after two letters, a bare run of
    # up to 8 digits (not after "+" or "("), a run of up to 6 digits that cannot hold three dots, or a date
    # (yyyy-mm-dd or dd-mm-yyyy, maybe with an hour: _PHONE's match holds the date, _phone_ok rejects it)
    # a house number and a postal code before a word ("3536 1659 Main": two groups, _phone_ok rejects them)
    # or a Portuguese / Brazilian postal code (_POSTCODE), none after "+" or "(" (the run would start there)
    parts["boring"] = (
        r"{d}(?<![A-Za-z]{{2}}{d})(?:(?:(?<![+(]{d}){d}{{0,7}}+|(?!{three_dots})(?:{sep}{{0,3}}+{d}){{0,5}}+"
        r"|(?<![+(]{d})(?:{d}{{3}}-{d}{{2}}-{d}{{2}}|{d}-{d}{{2}}-{d}{{4}})(?: {d}{{2}})?){cluster_end}"
        r"|(?<![+(]{d})(?:{d}{{0,4}} {d}{{1,6}}{cluster_end}(?=[ \t]+{letter})|{d}{{3,4}}-{d}{{3}}{cluster_end}))"
    ).format(**parts)
    # a bare run right after a word character, not an IBAN's start and not of 9 digits (an SSN): no phone number
    # or card starts after a word character, and no detector starts inside a bare run ("IFUE40226315499137")
    parts["after_word"] = rf"{d}(?<=\w{d})(?!{parts['after_code']})(?:{d}{{0,7}}+|{d}{{9,}}+){parts['cluster_end']}"
    return _RUN_TEMPLATE.format(nondigit=nondigit, **parts)


_RUN = re.compile(_run_pattern(r"\d", r"\D", r"[^\W_]", r"[^\W\d_]"))
_RUN_PROXY = re.compile(_run_pattern("0", "[^0]", "[A-Za-z0-9]", "[A-Za-z]").encode("ascii"))


def _proxy_byte(char: str) -> int:
    return 48 if char.isdecimal() else 97 if char.isalnum() else 35  # "0", "a", "#"


class _ProxyBytes(dict[str, int]):
    """_proxy_byte of the characters past Latin-1 met so far (the first 4096 of them)."""

    def __missing__(self, char: str) -> int:
        value = _proxy_byte(char)
        if len(self) < 4096:
            self[char] = value
        return value


class _ProxyChars(dict[int, str]):
    """The proxy character of each character past Latin-1 met so far (the first 4096 of them), by code point."""

    def __missing__(self, code: int) -> str:
        value = chr(_proxy_byte(chr(code)))
        if len(self) < 4096:
            self[code] = value
        return value


_WIDE_PROXY_BYTES = _ProxyBytes()
_WIDE_PROXY_CHARS = _ProxyChars()
_WIDE_RUN = re.compile("[^\x00-\xff]+")  # a stretch of characters past Latin-1 (a word in another script)

# Latin-1 text becomes its proxy by two byte-table passes. The characters past Latin-1 ("?" once encoded) are
# then classified one by one, or 4+ in a row at a time (a stretch of letters at once), while there are at most
# _PROXY_MAX_UNKNOWN "?" with the real ones (else _RUN reads the text itself)
_PROXY_TABLE = bytes(b if b < 128 and not 48 <= b <= 57 else _proxy_byte(chr(b)) for b in range(256))
_PROXY_MAX_UNKNOWN = 64


def _proxy(text: str) -> bytes | bytearray | None:
    """The text as _RUN_PROXY reads it, or None when building it would cost more than it saves."""
    if text.isascii():
        return text.encode("ascii").translate(_PROXY_TABLE)
    raw = text.encode("latin-1", "replace")  # a "?" for each character past Latin-1 (and each real "?")
    index = raw.find(63)
    proxy = None
    count = 0
    while index != -1:
        count += 1
        if count > _PROXY_MAX_UNKNOWN:
            return None
        char = text[index]
        if char == "?":
            index = raw.find(63, index + 1)
            continue
        if proxy is None:
            proxy = bytearray(raw.translate(_PROXY_TABLE))
        if not raw.startswith(b"????", index):  # a lone one (a curly quote, a dash) or a few
            proxy[index] = _WIDE_PROXY_BYTES[char]
            index = raw.find(63, index + 1)
        else:  # a stretch of them (a word), maybe up to a real "?"
            chars = _WIDE_RUN.match(text, index).group()  # type: ignore[union-attr]
            end = index + len(chars)
            count += len(chars) - 1
            # (a letter is neither a decimal digit nor anything but alphanumeric: an "a")
            proxy[index:end] = (
                b"a" * len(chars) if chars.isalpha() else chars.translate(_WIDE_PROXY_CHARS).encode("ascii")
            )
            index = raw.find(63, end)
    return raw.translate(_PROXY_TABLE) if proxy is None else proxy


# (SSN and card patterns begin with a digit, their look-behind checked after it, so that a search skips to digits)
_SSN = re.compile(r"(?P<a>\d(?<![\d\-]\d)\d{2})(?P<sep>[ \-]?)(?P<g>\d{2})(?P=sep)(?P<s>\d{4})(?![\d\-])")
_CARD = re.compile(r"\d(?<![\w\-+.]\d)(?:[ \-]?\d){11,18}(?!\d)")
_IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?![\w.]*\d)"
)
_PHONE = re.compile(
    r"(?<![\w+\-])(?:\+\d{1,3}[ .\-]?(?:\(0\)[ .\-]?)?|00\d{1,3}[ .\-])?"
    r"(?:\(\d{1,4}\)[ .\-]?)?\d{1,10}(?:[ .\-]\d{1,8}){0,5}(?:\s?x\d{1,5})?(?![\w\-])"
)
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}|\d{2}-\d{2}-\d{4}")
_POSTCODE = re.compile(r"\d{4,5}-\d{3}")  # Portuguese / Brazilian postal codes look like short phones
_NEXT_WORD = re.compile(r"[ \t]+[^\W\d_]")
_TWO_GROUP_SEPS = re.compile(r"[ .\-][^ .\-]+[ .\-]")  # splitting by runs of " .-" gives more than two pieces

# lower number wins an overlap
_PRIORITY = {
    "PRIVATE_KEY": 0,
    "JWT": 1,
    "AWS_ACCESS_KEY": 2,
    "GITHUB_TOKEN": 2,
    "SLACK_TOKEN": 2,
    "GOOGLE_API_KEY": 2,
    "GENERIC_SECRET": 3,
    "EMAIL_ADDRESS": 4,
    "IBAN_CODE": 5,
    "US_SSN": 6,
    "CREDIT_CARD": 7,
    "IP_ADDRESS": 8,
    "PHONE_NUMBER": 9,
}


def _phone_ok(
    value: str, text: str, end: int, digits: int | None = None, shape: bytes | bytearray | None = None
) -> bool:
    """_PHONE's match ``value`` ending at ``end`` is a phone number.

    ``digits`` counts its digits before any "x", ``shape`` is that part with every digit a "0" (optional both).
    """
    main = value.partition("x")[0]
    if main.isdigit():  # a bare run: 10 or 11 digits, and not a house number before a street name
        return len(main) in (10, 11) and _NEXT_WORD.match(text, end) is None
    if digits is None:
        digits = sum(map(str.isdigit, main))
    if digits < 7 or digits > 15:
        return False
    if "-" in main:
        if shape is None:
            if _DATE.search(main) or _POSTCODE.fullmatch(main):
                return False
        elif b"0000-00-00" in shape or b"00-00-0000" in shape or shape in (b"0000-000", b"00000-000"):
            return False
    # "370 3911 Fourth Avenue": two bare groups followed by a word are a street address, not a phone
    return (
        main[0] in "+("
        or _NEXT_WORD.match(text, end) is None
        or _TWO_GROUP_SEPS.search(main.strip()) is not None  # (a bare run of digits returned above)
    )


def _iban_body(length: int) -> re.Pattern[str]:
    # ASCII letters and digits, single spaces or dashes between them after the first four, then no letter/digit
    return re.compile(rf"[A-Za-z0-9]{{4}}(?:[ \-]?[A-Za-z0-9]){{{length - 4}}}(?![^\W_])")


_IBAN_BODIES = {length: _iban_body(length) for length in set(_IBAN_LENGTHS.values())}


def _iban_at(text: str, pos: int) -> int | None:
    """End of a valid IBAN starting at ``pos`` (compact or grouped by single spaces/dashes), or None."""
    expected = _IBAN_LENGTHS.get(text[pos : pos + 2].upper())
    if expected is None:
        return None
    match = _IBAN_BODIES[expected].match(text, pos)
    if match is None:
        return None
    return match.end() if iban_ok(match.group()) else None


def _numbers(
    text: str, proxy: bytes | bytearray | None, start: int, end: int, out: list[tuple[int, int, int, str]]
) -> None:
    """Number-shaped detectors inside the digit run ``text[start:end]`` (no digit right before it)."""
    region = text[start:end]
    if region.isdigit():  # a bare run: only the lengths each detector accepts can match, and only as a whole
        digits = len(region)
        before = text[start - 1] if start > 0 else " "
        if digits == 9:  # _SSN's look-ahead holds at the end of the searched run
            if before != "-" and ssn_ok(region[:3], region[3:5], region[5:]):
                out.append((_PRIORITY["US_SSN"], start, end, "US_SSN"))
        elif 12 <= digits <= 19:  # _CARD at the run's start, unless its look-behind fails there
            if not (before.isalnum() or before in "_-+.") and luhn_ok(region):
                out.append((_PRIORITY["CREDIT_CARD"], start, end, "CREDIT_CARD"))
        # a bare run is a phone number only as a whole (a match inside it would follow a digit) and only with
        # 10 digits (_PHONE takes at most 10 digits in one group, _phone_ok wants 10 or 11): exactly when
        # _PHONE's lookbehind holds at its start and no word follows
        elif digits == 10 and not _phone_blocked(before) and _NEXT_WORD.match(text, end) is None:
            out.append((_PRIORITY["PHONE_NUMBER"], start, end, "PHONE_NUMBER"))
        return
    # (the proxy has a "0" for every digit of the text; the matches below cannot fit in a shorter rest)
    shape: bytes | bytearray = b""
    if proxy is None:
        digits = sum(map(str.isdigit, region))
    else:  # the run's shape (every digit a "0") rules out most detectors before their regex runs
        shape = proxy[start:end]
        digits = shape.count(48)
    if digits >= 9 and (
        proxy is None or b"000000000" in shape or b"000-00-0000" in shape or b"000 00 0000" in shape
    ):  # what an SSN looks like in the proxy
        match = _SSN.search(text, start, end)
        while match is not None:
            if ssn_ok(match.group("a"), match.group("g"), match.group("s")):
                out.append((_PRIORITY["US_SSN"], match.start(), match.end(), "US_SSN"))
            match = _SSN.search(text, match.end(), end) if end - match.end() >= 9 else None
    if digits >= 12 and (proxy is None or b"000000000000" in shape.replace(b" ", b"").replace(b"-", b"")):
        match = _CARD.search(text, start, end)
        while match is not None:
            if luhn_ok(match.group().replace(" ", "").replace("-", "")):
                out.append((_PRIORITY["CREDIT_CARD"], match.start(), match.end(), "CREDIT_CARD"))
            match = _CARD.search(text, match.end(), end) if end - match.end() >= 12 else None
    if "." in region and region.count(".") >= 3:  # an IPv4 address holds three dots
        match = _IPV4.search(text, start, end)
        while match is not None:
            out.append((_PRIORITY["IP_ADDRESS"], match.start(), match.end(), "IP_ADDRESS"))
            match = _IPV4.search(text, match.end(), end) if end - match.end() >= 7 else None
    if digits >= 7:
        match = _PHONE.match(text, start, end) or _PHONE.search(text, start + 1, end)  # usually at the start
        while match is not None:
            value = match.group()
            first, last = match.span()
            cut = value.find("x")
            stop = last if cut == -1 else first + cut
            if proxy is None:
                main_shape = None
                count = sum(map(str.isdigit, value[: stop - first]))
            else:
                main_shape = proxy[first:stop]
                count = main_shape.count(48)
            if _phone_ok(value, text, last, count, main_shape):
                out.append((_PRIORITY["PHONE_NUMBER"], first, last, "PHONE_NUMBER"))
            match = _PHONE.search(text, last, end) if last < end else None


_NINE_DIGITS = re.compile(rb"(?<!0)0{9}(?!0)")  # (in a proxy)


def _grouped_phone(shape: bytes | bytearray, after_plus: bool) -> bool:
    """True when _numbers finds one phone number in a "grouped" run (see _run_pattern): the whole run.

    ``shape`` is the run's proxy, its "+" or "(" included.
    These are (supersets of) _numbers's own tests: no SSN shape, fewer than 12 digits where a card can start
    (not right after "+", nor after "-", "." or "x"), no IPv4 address, and _phone_ok's: 7..15
    digits before any "x", no date (a "+", "(" or 3 groups pass its other tests). _PHONE's match is the run,
    so no other phone number is in it.
    """
    main = shape.partition(b"x")[0]  # (an extension's digits follow "x": no card or SSN starts there)
    digits = main.count(48)
    if not 7 <= digits <= 15:
        return False
    # three dots: an IPv4 address could start at a group (not after "." or "x") unless only dots join 5+ groups
    # (then it could start at the first digit only, and a fourth dot follows its four octets)
    dots = main.count(46)
    if dots > 2 and (dots < 4 or main.translate(None, b"0.")):
        return False
    # a card cannot start at the country code: the digits after it are what a card could take
    if digits >= 12 and (not after_plus or main[1:].lstrip(b"0").count(48) >= 12):
        return False
    # an SSN shape: a group of exactly 9 digits, or 3, 2 and 4 digits spaced (a dashed one holds the date shape)
    if (b"000000000" in main and _NINE_DIGITS.search(main) is not None) or b"000 00 0000" in main:
        return False
    return b"-" not in main or (b"0000-00-00" not in main and b"00-00-0000" not in main)


def _grouped_card_shape(shape: bytes | bytearray) -> bool:
    """True when _numbers finds a card (if Luhn says so) and a phone number in a bare "grouped" run, no more.

    ``shape`` is the run's proxy. 12..15 digits before any "x" joined by single spaces or dashes only (the card
    then takes them all, from the first digit when it can start there), no SSN shape, no date: _phone_ok
    accepts the phone number (3 groups at least).
    """
    main = shape.partition(b"x")[0].rstrip(b" ")
    return (
        12 <= main.count(48) <= 15
        and not main.translate(None, b"0 -")
        and b"000000000" not in main
        and b"000 00 0000" not in main
        and b"00-00-0000" not in main  # (and so no dashed SSN shape either)
        and b"0000-00-00" not in main
    )


def _phone_blocked(char: str) -> bool:
    """True when ``char`` would fail _PHONE's lookbehind: a word character (``isalnum()`` or ``_``), + or -."""
    return char.isalnum() or char in "_+-"


def _ipv6(text: str, hint: re.Match[str] | None, out: list[tuple[int, int, int, str]]) -> None:
    """IPv6 addresses, grown left and right from each ``:hex:`` hint (the first given) and checked by _ipv6_ok."""
    size = len(text)
    next_free = 0
    while hint is not None:
        start = hint.start()
        if start < next_free:
            hint = _IPV6_HINT.search(text, hint.end())
            continue
        while start > 0 and text[start - 1] in _HEX_COLON:
            start -= 1
        end = hint.end()
        while end < size and text[end] in _HEX_COLON:
            end += 1
        next_free = end
        hint = _IPV6_HINT.search(text, hint.end())
        if (start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_")) or (
            end < size and (text[end].isalnum() or text[end] == "_")
        ):
            continue
        value = text[start:end]
        colons = value.count(":")
        # (an address without "::" has exactly eight groups: checked first, ipaddress raises at a cost)
        if len(value) > 39 or len(value) - colons < 3 or (colons != 7 and "::" not in value):
            continue
        if _ipv6_ok(value):
            out.append((_PRIORITY["IP_ADDRESS"], start, end, "IP_ADDRESS"))


def _ipv6_ok(value: str) -> bool:
    """``ipaddress.IPv6Address(value)`` accepts ``value``, a string of ASCII hex digits and colons.

    ipaddress's own steps without its exceptions (it raises at a cost on most candidates): 3..9 parts between
    the colons, at most one empty part inside (a "::"), which may also cover an empty first and last part and
    stands for one hextet at least; without it exactly 8 parts; each hextet used 1..4 hex digits.
    """
    parts = value.split(":")
    count = len(parts)
    if count < 3 or count > 9:
        return False
    skip = -1
    for index in range(1, count - 1):
        if not parts[index]:
            if skip != -1:
                return False
            skip = index
    if skip == -1:
        if count != 8:
            return False
        used = parts
    else:
        high = skip
        low = count - skip - 1
        if not parts[0]:
            high -= 1
            if high:
                return False
        if not parts[-1]:
            low -= 1
            if low:
                return False
        if high + low > 7:
            return False
        used = parts[:high] + parts[count - low :]
    return all(0 < len(part) <= 4 for part in used)


def _generic_secrets(text: str, sign: str, out: list[tuple[int, int, int, str]]) -> None:
    """Credentials assigned at each ``sign`` (``=`` / ``:``): keyword before, high-entropy value after."""
    index = text.find(sign, 1)  # (no keyword before a sign at 0)
    while index != -1:
        # cheap pre-checks: every credential name ends in one of _GENERIC_ENDINGS, so the two characters before
        # the sign, unless a space or a quote, lowercase to the end of one of them (only ASCII letters can)
        char = text[index - 1]
        if (char in "ytndYTND" and text[index - 2 : index].lower() in _GENERIC_TAILS) or (
            char in "\"'" or char.isspace()
        ):
            tail = text[max(0, index - 44) : index].rstrip()[-12:].rstrip("\"'").lower()
            if tail.endswith(_GENERIC_ENDINGS) and _GENERIC_NAME.search(text, max(0, index - 40), index) is not None:
                match = _GENERIC_VALUE.match(text, index + 1)
                if match is not None:
                    value = match.group("value")
                    if shannon_entropy(value) >= 3.0 and any(ch.isdigit() for ch in value):
                        out.append((_PRIORITY["GENERIC_SECRET"], *match.span("value"), "GENERIC_SECRET"))
        index = text.find(sign, index + 1)


def _email_at(text: str, at: int, out: list[tuple[int, int, int, str]]) -> int:
    """An e-mail address around the ``@`` at ``index``; returns where the next ``@`` may start."""
    domain = _EMAIL_DOMAIN.match(text, at + 1)
    if domain is None:
        return at + 1
    low = at - 64 if at > 64 else 0
    nul = text.rfind("\x00", low, at)  # a local part holds no NUL: in joined texts, look back to the separator only
    if nul != -1:
        low = nul + 1
    # the local part is the leftmost ASCII letter or digit in [low, at) followed only by local-part characters,
    # at most 63, up to the "@" (or up to a newline right before it, as ``$`` would match there)
    stop = at - 1 if at > low and text[at - 1] == "\n" else at
    begin = low + len(text[low:stop].rstrip(_LOCAL_CHARS))  # where the run of local-part characters starts
    if begin < stop - 64:
        begin = stop - 64
    if begin >= stop:
        return at + 1
    if text[begin] not in _ALNUM_ASCII_CHARS:
        first = _ALNUM_ASCII.search(text, begin, stop)
        if first is None:
            return at + 1
        begin = first.start()
    end = domain.end()
    out.append((4, begin, end, "EMAIL_ADDRESS"))  # (_PRIORITY["EMAIL_ADDRESS"])
    return end


def _candidates(
    text: str, secret_patterns: list[tuple[str, tuple[str, ...], re.Pattern[str]]] = _SECRET_PATTERNS
) -> list[tuple[int, int, int, str]]:
    out: list[tuple[int, int, int, str]] = []
    if _secret_hint(text):
        for kind, needles, pattern in secret_patterns:
            if any(needle in text for needle in needles):
                out.extend((_PRIORITY[kind], m.start(), m.end(), kind) for m in pattern.finditer(text))
    if "=" in text:
        _generic_secrets(text, "=", out)
    colon = text.find(":")
    if colon != -1:
        _generic_secrets(text, ":", out)
        if text.find(":", colon + 1) != -1:  # an IPv6 address holds two colons at least
            hint = _IPV6_HINT.search(text, colon)
            if hint is not None:
                _ipv6(text, hint, out)
    if "@" in text:
        at = text.find("@")
        while at != -1:
            at = text.find("@", _email_at(text, at, out))
    subject: Any = _proxy(text)
    if subject is None:
        subject = text
        match: Any = _RUN.match  # it matches everywhere (maybe empty)
        end = 0
    else:
        match = _RUN_PROXY.match
        end = subject.find(48)  # the first digit (the first run starts there), if any
        if end == -1:
            return out
    proxy = None if subject is text else subject
    while True:
        run = match(subject, end)
        group = run.lastgroup
        if group is None:
            break
        start, end = run.span(group)
        if group == "num":
            if start > 0 and text[start - 1] in "+(":
                start -= 1
        elif group == "phone":
            out.append((_PRIORITY["PHONE_NUMBER"], start, end, "PHONE_NUMBER"))
            continue
        elif group == "card":
            if luhn_ok(text[start:end]):
                out.append((_PRIORITY["CREDIT_CARD"], start, end, "CREDIT_CARD"))
            continue
        elif group == "nanp":  # (419) 238-2408, 419-238-2408, 419.238.2408: a phone number, whole (see _numbers)
            out.append((9, start - 1 if start > 0 and text[start - 1] == "(" else start, end, "PHONE_NUMBER"))
            continue
        elif group == "ssnd":  # ddd-dd-dddd: _numbers finds an SSN if ssn_ok, else nothing (see _run_pattern)
            if ssn_ok(text[start : start + 3], text[start + 4 : start + 6], text[start + 7 : end]):
                out.append((_PRIORITY["US_SSN"], start, end, "US_SSN"))
            continue
        elif group == "quad":  # d.d.d.d: _numbers finds an IPv4 address if it is one, a phone number if 7+ digits
            address = _IPV4.match(text, start, end)
            if address is not None:
                out.append((_PRIORITY["IP_ADDRESS"], address.start(), address.end(), "IP_ADDRESS"))
            if end - start - 3 >= 7:  # (_phone_ok takes four groups of digits)
                out.append((9, start, end, "PHONE_NUMBER"))
            continue
        elif group == "grouped":  # a phone number in groups, whole, unless its shape holds more (_run_pattern)
            before = text[start - 1] if start > 0 else ""  # a "+" or "(" is the number's start, as for "num"
            if before and before in "+(":
                start -= 1
            if proxy is not None:
                shape = proxy[start:end]
                # a short group after an extension ("x4587 3"): _PHONE's match ends before it, and a bare run of
                # up to 6 digits is no phone number itself (nor, after a space, an SSN or a card)
                stop = end
                cut = shape.find(b"x")
                if cut != -1:
                    space = shape.find(b" ", cut)
                    if space != -1:
                        stop = start + space
                if _grouped_phone(shape[: stop - start], before == "+"):
                    out.append((9, start, stop, "PHONE_NUMBER"))
                    continue
                if stop == end and before != "." and not (before and before in "+(") and _grouped_card_shape(shape):
                    # a card may start at the first digit and take every digit before any "x": Luhn decides
                    card_end = start + len(shape.partition(b"x")[0].rstrip(b" "))
                    if luhn_ok(text[start:card_end].replace(" ", "").replace("-", "")):
                        out.append((_PRIORITY["CREDIT_CARD"], start, card_end, "CREDIT_CARD"))
                    out.append((9, start, end, "PHONE_NUMBER"))
                    continue
        elif group == "spaced":
            # 2..6 groups of up to 8 digits joined by single spaces, no SSN shape: with 7..11 digits (no card),
            # _PHONE's match is the run and _phone_ok takes it unless it is two groups before a word
            spaces = text.count(" ", start, end)
            digits = end - start - spaces
            if 7 <= digits <= 11:
                if spaces > 1 or _NEXT_WORD.match(text, end) is None:
                    out.append((9, start, end, "PHONE_NUMBER"))
                continue
            # with 12..19 digits in 3+ groups (no group of 9: no SSN) and no "." before, _CARD's match is the run
            # (Luhn decides) and, up to 15 digits, so is _PHONE's, which _phone_ok takes (3 groups)
            if digits <= 19 and spaces > 1 and (start == 0 or text[start - 1] != "."):
                if luhn_ok(text[start:end].replace(" ", "")):
                    out.append((_PRIORITY["CREDIT_CARD"], start, end, "CREDIT_CARD"))
                if digits <= 15:
                    out.append((9, start, end, "PHONE_NUMBER"))
                continue
        elif group == "ssn":
            if ssn_ok(text[start : start + 3], text[start + 3 : start + 5], text[start + 5 : end]):
                out.append((_PRIORITY["US_SSN"], start, end, "US_SSN"))
            continue
        elif end - start == 1:  # "iban" holding a lone digit after the letters: no run
            continue
        else:
            iban_end = _iban_at(text, start - 2)
            if iban_end is not None:
                out.append((_PRIORITY["IBAN_CODE"], start - 2, iban_end, "IBAN_CODE"))
        if end - start >= 7:
            _numbers(text, proxy, start, end, out)
    return out


# no detector matches fewer characters (the shortest are IPv6 "::123" and an e-mail "a@b.cc" minus one)
_MIN_FINDING = 5


def scan(text: str) -> list[Finding]:
    """Find PII and secrets in ``text``; findings are ordered by position and never overlap."""
    if len(text) < _MIN_FINDING:
        return []
    candidates = _candidates(text)
    if len(candidates) > 1:
        candidates = _resolve(candidates)
    return [_new_finding(Finding, (kind, start, end, text[start:end])) for _, start, end, kind in candidates]


# builds a Finding from a tuple of its fields in C (``Finding(...)`` runs a generated Python ``__new__``)
_new_finding = tuple.__new__
_START = operator.itemgetter(1)


def _resolve(candidates: list[tuple[int, int, int, str]]) -> list[tuple[int, int, int, str]]:
    """Accepted candidates in position order: by priority, then position, one overlapping none taken so far."""
    # the usual case: no two candidates overlap, so every one is accepted whatever the priorities
    ordered = sorted(candidates, key=_START)
    last_end = -1
    for _, start, end, _ in ordered:
        if start < last_end:
            break
        last_end = end
    else:
        return ordered
    candidates.sort()
    starts: list[int] = []  # accepted spans, kept sorted and non-overlapping
    accepted: list[tuple[int, int, int, str]] = []
    for candidate in candidates:
        _, start, end, _ = candidate
        index = bisect.bisect_left(starts, start)
        if index > 0 and accepted[index - 1][2] > start:
            continue
        if index < len(starts) and starts[index] < end:
            continue
        starts.insert(index, start)
        accepted.insert(index, candidate)
    return accepted


# Between two joined texts. No detector can match across it: every pattern and every grown span stops
# at a newline except a private-key block, whose joined variant stops at NUL; "\x00" is neither a word,
# digit, hex, e-mail, credential-value or whitespace character, so no look-around, ``$`` (which also
# matches before a final newline) or look-back window sees past it. Texts holding a NUL are scanned alone.
_SEPARATOR = "\n\x00\n"


def scan_texts(texts: list[str]) -> list[list[Finding]]:
    """``[scan(text) for text in texts]``, computed in one pass over the texts joined by a separator.

    Findings never span two texts (see ``_SEPARATOR``) and carry offsets into their own text, so the
    result equals scanning each text alone; scanning once saves the fixed cost of a scan per text.
    """
    results: list[list[Finding]] = [[] for _ in texts]
    kept = [text for text in texts if len(text) >= _MIN_FINDING]
    if len(kept) <= 1:
        return [scan(text) for text in texts]
    joined = _SEPARATOR.join(kept)
    if joined.count("\x00") != len(kept) - 1:  # a text holds a NUL itself: scan one by one
        return [scan(text) for text in texts]
    candidates = _candidates(joined, _JOINED_SECRET_PATTERNS)
    if len(candidates) > 1:
        candidates = _resolve(candidates)
    # walk the accepted spans (in position order) and the texts together
    step = len(_SEPARATOR)
    slot = -1
    limit = -step  # end of the current kept text in ``joined``
    position = 0
    for _, start, end, kind in candidates:
        if start >= limit:
            while start >= limit:
                slot += 1
                position = limit + step
                while len(texts[slot]) < _MIN_FINDING:
                    slot += 1
                limit = position + len(texts[slot])
        results[slot].append(_new_finding(Finding, (kind, start - position, end - position, joined[start:end])))
    return results


__all__ = ["ALL_TYPES", "PII_TYPES", "SECRET_TYPES", "Finding", "iban_ok", "luhn_ok", "scan", "scan_texts", "ssn_ok"]
