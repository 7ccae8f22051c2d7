"""The speed-ups of the governance hot path give the same decisions as the plain paths they replace."""

from __future__ import annotations

import ipaddress
import itertools
import random
import re
import time

import pytest

from gatekit.governance import detectors as d
from gatekit.governance import scan
from gatekit.governance.expressions import Expression


def test_bare_digit_runs_match_the_regex_path() -> None:
    # the bare-run shortcut against the general path (_PHONE + _phone_ok) on every length and neighbour
    for length in range(5, 22):
        digits = "9498777106512345678901"[:length]
        for before, after in itertools.product(["", "a", "_", "+", "-", "(", " ", "é"], ["", " Main", "a", "."]):
            text = f"{before}{digits}{after}"
            start = len(before) - (before in ("+", "("))  # the digit run takes a leading + or (
            expected = []
            for match in d._PHONE.finditer(text, start, len(before) + length):
                if d._phone_ok(match.group(), text, match.end()):
                    expected.append(("PHONE_NUMBER", match.start(), match.end()))
            got = [(f.type, f.start, f.end) for f in scan(text) if f.type == "PHONE_NUMBER"]
            assert got == expected, text
    assert scan("abcd") == [] and scan("::1") == []


def test_conjuncts_split_a_top_level_and_only() -> None:
    whole = Expression('context.env == "production" and tool.name == "x" and tool.arguments.amount > 500')
    parts = whole.conjuncts()
    assert [sorted(p.names) for p in parts] == [["context"], ["tool"], ["tool"]]
    env = {"context": {"env": "production"}, "tool": {"name": "x", "arguments": {"amount": 600}}}
    assert all(p(env) for p in parts) and whole(env)
    single = Expression("tool.name == 'x' or context.env == 'p'")
    assert single.conjuncts() == [single]


# pieces that detectors grow across: a credential name and its value, the halves of an e-mail, a key block,
# digit groups, IBAN/IPv6 halves, and the separator's own characters
_PIECES = [
    "password", "=", ":", "@", "example.com", "jane.doe", "-----BEGIN RSA PRIVATE KEY-----", "MIIEabc",
    "-----END RSA PRIVATE KEY-----", "\n", "\x00", " ", "4111", "1111", "DE89", "3704 0044 0532 0130 00",
    "fe80::", "1ff:fe23:4567:890a", "192.168.", "1.1", "AKIA", "IOSFODNN7EXAMPLE", "eyJhbGciOiJIUzI1NiJ9", ".",
    "Xy7pQ9zR2mK4", "api_key", "'", '"', "+1", "(949) ", "877-7106", "9498777106", " Main", "078-05-1120",
    "ghp_", "a1B2" * 9, "xoxb-", "1234567890-abc", "::1", "x", "AIza", "SyA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7",
]  # fmt: skip


def test_joined_scan_equals_scanning_each_text_and_never_crosses_a_separator() -> None:
    rng = random.Random(5)
    found = 0
    for _ in range(3000):
        texts = ["".join(rng.choice(_PIECES) for _ in range(rng.randrange(0, 8))) for _ in range(rng.randrange(1, 6))]
        expected = [scan(text) for text in texts]
        assert d.scan_texts(texts) == expected, texts
        found += sum(map(len, expected))
    assert found > 1000  # the pieces do form findings
    # halves that form a finding when glued together form none when joined by the separator
    halves = [
        ("my password", "=Xy7pQ9zR2mK4wer"),
        ("jane.doe", "@example.com"),
        ("jane.doe@", "example.com"),
        ("-----BEGIN RSA PRIVATE KEY-----\nMIIE", "abc\n-----END RSA PRIVATE KEY-----"),
        ("4111 1111", "1111 1111"),
        ("DE89 3704 0044", " 0532 0130 00"),
        ("fe80::1ff:fe23", ":4567:890a"),
        ("AKIAIOSFOD", "NN7EXAMPLE"),
        ("+1", "9498777106"),
    ]
    for left, right in halves:
        assert scan(left + right), left + right
        joined = d._SEPARATOR.join([left, right])
        # every candidate of every detector, before overlaps are resolved, lies on one side of the separator
        for _, start, end, kind in d._candidates(joined, d._JOINED_SECRET_PATTERNS):
            assert end <= len(left) or start >= len(left) + len(d._SEPARATOR), (left, right, kind)
        assert d.scan_texts([left, right]) == [scan(left), scan(right)]


# --- scanner fast paths (detectors.py): each against the plain path it replaces ---------------------------------
#
# The digit runs are found by one regex over a byte "proxy" of the text (digits as "0", other non-ASCII
# characters as "a"/"#" by class) that also skips runs no detector can accept and reports the common shapes
# whole. The references below are the plain paths: the run regex read on the text itself, every raw digit run
# handed to _numbers without a proxy, the e-mail local part by a regex search, IBANs by a per-character walk.

_RAW_DIGIT_RUN = re.compile(r"\d(?:(?:[ \-.()x]{0,3}\d){3,}|(?<=[A-Za-z]{2}\d)\d)")  # every digit run, useful or not
_NUMBER_PIECES = [
    "(419) 238-2408", "419-238-2408", "419.238.2408", "0490 39 07 81", "082 490 1693", "123 45 6789", "+1 415-555-0100 x12", "0496 46 46 70", "+41 (0)85 806 98 67",
    "1984-04-27", "1984-04-27 15", "27-04-1984", "3536 1659", "48334 36", "90010-170", "9001-170", "#W3530829",
    "5952720925", "120.50", "4111 1111 1111 1111", "4111111111111111", "078-05-1120", "078051120", "192.168.1.1",
    "DE89 3704 0044 0532 0130 00", "GB82WEST12345698765432", "DE", "GB82", " ", "  ", "\n", "-", "+", "(", ")", ".", "x",
    "_", "a", "Main", "\t", "é", "É", "²", "٣", "Σ", "\u2003", "\xa0", "€", "?", "0", "12", "123", "00",
]  # fmt: skip


def _reference_numbers(text: str) -> list[tuple[int, int, int, str]]:
    out: list[tuple[int, int, int, str]] = []
    for run in _RAW_DIGIT_RUN.finditer(text):
        start, end = run.span()
        if start > 0 and text[start - 1] in "+(":
            start -= 1
        if start >= 2 and text[start - 2].isalpha() and text[start - 1].isalpha():
            iban_end = _reference_iban_at(text, start - 2) if start < 3 or not text[start - 3].isalnum() else None
            if iban_end is not None:
                out.append((d._PRIORITY["IBAN_CODE"], start - 2, iban_end, "IBAN_CODE"))
        if end - start >= 7:
            d._numbers(text, None, start, end, out)
    return sorted(out)


def _reference_iban_at(text: str, pos: int) -> int | None:
    expected = d._IBAN_LENGTHS.get(text[pos : pos + 2].upper())
    if expected is None:
        return None
    count, index, size = 0, pos, len(text)
    while index < size and count < expected:
        char = text[index]
        if char.isascii() and char.isalnum():
            count += 1
            index += 1
        elif char in " -" and count >= 4 and index + 1 < size and text[index + 1].isalnum():
            index += 1
        else:
            return None
    if count != expected or (index < size and text[index].isalnum()):
        return None
    return index if d.iban_ok(text[pos:index]) else None


def test_digit_runs_on_the_proxy_give_what_every_raw_run_gives() -> None:
    rng = random.Random(17)
    found = 0
    for _ in range(4000):
        text = "".join(rng.choice(_NUMBER_PIECES) for _ in range(rng.randrange(1, 7)))
        expected = _reference_numbers(text)  # (no ":", "@", "=" or secret prefix: only number detectors)
        assert sorted(d._candidates(text)) == expected, text
        found += len(expected)
    assert found > 2000


def test_run_regex_reads_the_proxy_as_it_reads_the_text(monkeypatch: pytest.MonkeyPatch) -> None:
    rng = random.Random(18)
    texts = ["".join(rng.choice(_NUMBER_PIECES) for _ in range(rng.randrange(1, 9))) for _ in range(3000)]
    texts += [
        "".join(rng.choice("0123456789 -.()x+aZé²٣Σ\u2003?_") for _ in range(rng.randrange(1, 90))) for _ in range(3000)
    ]
    assert sum(d._proxy(text) is not None and not text.isascii() for text in texts) > 1000
    via_proxy = [sorted(d._candidates(text)) for text in texts]
    # every text read by the Unicode pattern itself, every separated run checked by every regex (no shapes)
    monkeypatch.setattr(d, "_proxy", lambda text: None)
    assert [sorted(d._candidates(text)) for text in texts] == via_proxy
    assert sum(map(len, via_proxy)) > 1000


def test_email_local_part_is_the_regex_search_result() -> None:
    local = re.compile(r"[A-Za-z0-9][A-Za-z0-9._%+\-]{0,63}+$")
    rng = random.Random(19)
    for _ in range(20000):
        head = "".join(rng.choice("ab.%+-_1\n é\x00") for _ in range(rng.randrange(0, 90)))
        text = head + "@" + rng.choice(["example.com", "a.b", "x-y.co.uk", ".com"])
        at = len(head)
        low = max(0, at - 64)
        nul = text.rfind("\x00", low, at)
        match = local.search(text, low if nul == -1 else nul + 1, at)
        domain = d._EMAIL_DOMAIN.match(text, at + 1)
        expected = [] if match is None or domain is None else [(4, match.start(), domain.end(), "EMAIL_ADDRESS")]
        out: list[tuple[int, int, int, str]] = []
        d._email_at(text, at, out)
        assert out == expected, text


def test_checksums_and_ipv6_precheck_match_their_plain_forms() -> None:
    rng = random.Random(20)
    for _ in range(20000):
        digits = "".join(rng.choice("0123456789") for _ in range(rng.randrange(1, 20)))
        total = sum(
            (int(c) * 2 - 9 if int(c) * 2 > 9 else int(c) * 2) if i % 2 else int(c) for i, c in enumerate(digits[::-1])
        )
        assert d.luhn_ok(digits) == (total % 10 == 0), digits
        code = rng.choice(sorted(d._IBAN_LENGTHS))
        body = "".join(rng.choice("0123456789ABCXYZ") for _ in range(d._IBAN_LENGTHS[code] - 2))
        iban = code + body
        assert d.iban_ok(iban) == (int("".join(str(int(c, 36)) for c in iban[4:] + iban[:4])) % 97 == 1)
        text = (
            rng.choice(["", " ", "a"])
            + " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
            + rng.choice(["", " ", "a", "-"])
        )
        for pos in range(3):
            assert d._iban_at(text, pos) == _reference_iban_at(text, pos), text
        value = "".join(rng.choice("0123456789abcdef::::") for _ in range(rng.randrange(2, 40)))
        try:
            ipaddress.IPv6Address(value)
        except ValueError:
            continue
        assert "::" in value or value.count(":") == 7, value  # what _ipv6 checks before ipaddress
    assert d.luhn_ok("٣") is ((ord("٣") - 48) % 10 == 0)  # (non-ASCII digits keep the plain path)


def test_scan_time_stays_linear_on_long_runs_of_separators() -> None:
    # every look-ahead of the run regex is bounded; an unbounded one made these quadratic (seconds at 100 KB)
    started = time.perf_counter()
    for unit in ["1xxxx", "1 1    ", "1-1----", "1.1    ", "(12) ", "12 ", "?ć", "a1 "]:
        text = unit * (100_000 // len(unit))
        d.scan(text)
        d.scan_texts([text, text[:50_000]])
    assert time.perf_counter() - started < 3.0


# --- scanner round 2: phone numbers in digit groups and dashed SSN shapes reported whole by the run regex -------

_PHONE_SHAPES = [
    "+d-ddd-ddd-ddddxddd", "ddd.ddd.ddddxddd", "(ddd)ddd-ddddxdddd", "00d-ddd-ddd-dddd", "dd.dd.dd.dd.dd",
    "dd-dd-dd-dd", "+dd (0)dd ddd dd dd", "+dddddd ddd ddd", "ddd-dd-dddd", "dddd-dd-dd", "dd-dd-dddd",
    "ddd-ddd-dddd x dddd", "(dd) dddd-dddd", "+ddddddddddddd", "ddd.ddd.ddd.ddd", "+d ddd dd dddd", "00dd dd dddd dddd",
    "(d)ddd ddd ddd", "+ddd-dd-dddd", "ddd-dd-dddd-dd", "dddd-ddd-dddd-dddd", "d.d.d.d.d.d", "ddd.ddd.ddd.ddd.d",
    "ddd.dd.d.ddd", "d.d.d.d", "dd.ddd.dd.dd", "2dd.2dd.1dd.dd", "001-ddd-ddd-dddd", "dddd-dddd-dddd-ddd",
    "ddd-ddd-ddd-dddx dd", "dddd ddd-dddd-ddd", "dddd dddd dddd dddd", "dd ddd ddd dddd", "+dddddddddddd",
    "ddd-ddd-ddddxdddd d", "+d-ddd-ddd-dddd xdd ddd", "(ddd)ddd-ddddxd dddddd", "ddd.ddd.ddddxddd dddddddd",
]  # fmt: skip
_AROUND = [
    "",
    " ",
    "+",
    "(",
    "-",
    "a",
    "_",
    ".",
    "é",
    "Ω",
    "\n",
    "x",
    "GB",
    " +",
    "a+",
    "+(",
    " Main",
    "-a",
    " 5",
    "...",
]


def _phone_shaped(rng: random.Random) -> str:
    # a shape with its digits drawn at random (some non-ASCII), now and then one digit more or less or a
    # separator more
    out = []
    for char in rng.choice(_PHONE_SHAPES):
        roll = rng.random()
        if char == "d":
            out.append(rng.choice("0123456789") if roll < 0.97 else "٣")
            if roll < 0.04:
                out.append(rng.choice("0123456789"))
            elif roll < 0.08:
                out.pop()
        else:
            out.append(char)
            if roll < 0.06:
                out.append(rng.choice([" ", "-", ".", "(", ")", "x"]))
    return "".join(out)


def test_grouped_phone_and_dashed_ssn_runs_give_what_every_raw_run_gives(monkeypatch: pytest.MonkeyPatch) -> None:
    # the "grouped" and "ssnd" groups of the run regex against _numbers on every raw run (the plain path),
    # candidate for candidate; on the proxy and on the text itself
    rng = random.Random(21)
    texts = [
        "".join(rng.choice(_AROUND) + _phone_shaped(rng) for _ in range(rng.randrange(1, 3))) + rng.choice(_AROUND)
        for _ in range(6000)
    ]
    groups: dict[str | None, int] = {}
    for text in texts:
        proxy = d._proxy(text)
        assert proxy is not None
        end = proxy.find(48)
        while end != -1:
            run = d._RUN_PROXY.match(proxy, end)
            groups[run.lastgroup] = groups.get(run.lastgroup, 0) + 1
            if run.lastgroup is None:
                break
            end = run.end(run.lastgroup)
    assert groups["grouped"] > 1200 and groups["ssnd"] > 100 and groups["quad"] > 80, groups
    expected = [_reference_numbers(text) for text in texts]
    assert [sorted(d._candidates(text)) for text in texts] == expected
    monkeypatch.setattr(d, "_proxy", lambda text: None)
    assert [sorted(d._candidates(text)) for text in texts] == expected
    kinds = [candidate[3] for found in expected for candidate in found]
    assert kinds.count("PHONE_NUMBER") > 3000 and kinds.count("IP_ADDRESS") > 100 and kinds.count("CREDIT_CARD") > 30


def test_grouped_phone_numbers_are_found_whole() -> None:
    text = "Desk: +447700 921 916\nFax: 259.735.7502x459 or +41 (0)96 471 07 95, (898)666-3621x0135; 03.93.92.16.85"
    values = [(f.type, f.value) for f in scan(text)]
    assert values == [
        ("PHONE_NUMBER", "+447700 921 916"),
        ("PHONE_NUMBER", "259.735.7502x459"),
        ("PHONE_NUMBER", "+41 (0)96 471 07 95"),
        ("PHONE_NUMBER", "(898)666-3621x0135"),
        ("PHONE_NUMBER", "03.93.92.16.85"),
    ]
    # a short group after an extension is not part of the number
    assert [f.value for f in scan("Fax: 345-899-3560x4587 3... 2... 1... liftoff")] == ["345-899-3560x4587"]
    # an SSN shape: an SSN when valid, else nothing (its phone match reads as a date); an IPv4 address wins
    assert [(f.type, f.value) for f in scan("id 853-37-1694 / 000-37-1694 at 41.176.181.243")] == [
        ("US_SSN", "853-37-1694"),
        ("IP_ADDRESS", "41.176.181.243"),
    ]


def _reference_proxy(text: str) -> bytes:
    return bytes(d._PROXY_TABLE[ord(char)] if ord(char) < 256 else d._proxy_byte(char) for char in text)


def test_proxy_classifies_each_character_past_latin1_as_it_alone_would() -> None:
    # stretches of characters past Latin-1 are classified at once: against the character-by-character plain path
    rng = random.Random(22)
    alphabet = "09 -.()x+?aZé²\xa0ΑΓΛΣЖж٣٤中\u2003€\U0001f600\ud800Ⅻǅ"
    for _ in range(20000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 80)))
        proxy = d._proxy(text)
        unknown = text.encode("latin-1", "replace").count(b"?")
        if proxy is None:
            assert unknown > d._PROXY_MAX_UNKNOWN, text
        else:
            assert bytes(proxy) == _reference_proxy(text), text
    for code in range(256, 0x110000, 7):  # (every 7th code point; a lone one and a stretch of three)
        char = chr(code)
        assert d._proxy("1" + char) == b"0" + _reference_proxy(char)
        assert d._proxy(char * 3 + "?") == _reference_proxy(char * 3) + b"?"


def _ipaddress_accepts(value: str) -> bool:
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def test_ipv6_check_accepts_exactly_what_ipaddress_accepts() -> None:
    # every string of "0", "F" and ":" up to 10 characters, and random hextets joined by ":" / "::" / ":::"
    accepted = 0
    for length in range(11):
        for chars in itertools.product("0F:", repeat=length):
            value = "".join(chars)
            expected = _ipaddress_accepts(value)
            assert d._ipv6_ok(value) == expected, value
            accepted += expected
    rng = random.Random(23)
    for _ in range(30000):
        hextets = [
            "".join(rng.choice("0123456789abcdefABCDEF") for _ in range(rng.choice([0, 0, 1, 2, 3, 4, 4, 4, 5])))
            for _ in range(rng.randrange(1, 11))
        ]
        value = ":".join(hextets)
        if rng.random() < 0.3:
            cut = rng.randrange(len(value) + 1)
            value = value[:cut] + rng.choice([":", "::"]) + value[cut:]
        expected = _ipaddress_accepts(value)
        assert d._ipv6_ok(value) == expected, value
        accepted += expected
    assert accepted > 5000
    assert [f.value for f in scan("at 6e40:4041:c617:e898:c11:40d2:c669:2eb4 or fe80::1, not 1:2:3")] == [
        "6e40:4041:c617:e898:c11:40d2:c669:2eb4",
        "fe80::1",
    ]


def test_bare_runs_after_a_word_character_are_skipped_unless_nine_digits() -> None:
    # the run regex does not stop at them (no detector starts there) but does at an SSN's 9 digits or an IBAN
    for text, stops in [
        ("IFUE40226315499137 x", []),
        ("_1234567890 and W12345678901234", []),
        ("a123456789 b", ["ssn"]),
        ("GB59IFUE40226315499137", ["iban"]),
    ]:
        proxy = d._proxy(text)
        assert proxy is not None
        found, end = [], proxy.find(48)
        while end != -1:
            run = d._RUN_PROXY.match(proxy, end)
            if run.lastgroup is None:
                break
            found.append(run.lastgroup)
            end = run.end(run.lastgroup)
        assert found == stops, text
        assert sorted(d._candidates(text)) == _reference_numbers(text), text
