"""IP_ADDRESS: IPv4 and IPv6 addresses, validated by the standard library's ``ipaddress``.

An IPv4 address may be glued to a word (``IP is192.168.1.1``) but not to another number or dot. Not
findings: the unspecified addresses (``0.0.0.0``, any of ``0.0.0.0/8``, ``::``), the loopback addresses
(``127.0.0.1``, any of ``127.0.0.0/8``, ``::1``), IPv4 multicast and reserved addresses (``224.0.0.0/4``,
``240.0.0.0/4``: the broadcast address, netmasks), which name no person's machine; octets with
leading zeros (``ipaddress`` refuses them); a dotted quad right after a word that numbers a version or a
part of a document (``version 1.2.3.4``, ``v1.2.3.4``, ``firmware: 4.3.2.1``, ``section 2.1.3.4``, ``OID 2.5.4.3``),
which is that number, and a software release's number (see :func:`_release`: ``release notes for 3.2.1.0``,
``AssemblyVersion("2.4.0.117")``, ``Bump foo from 1.10.4.2 to …``, ``NuGet package Foo.Bar 8.0.1.0``, ``1.2.3.4-SNAPSHOT``, ``## 4.12.0.1``, ``2.3.4.5 -> 2.3.5.0``); a network's address with its prefix length (CIDR: ``10.0.0.0/8``, ``2001:db8::/32``, the
host bits all zero), which names a range, not a machine (``192.168.1.7/24``, a host's address on its network, and a
``/32`` or ``/128`` are findings); so is a network's address before its mask on its line (see :func:`_masked_network`:
``ip route 10.0.0.0 255.0.0.0 Null0``, a routing table's row ``10.20.0.0  0.0.0.0  255.255.0.0``, its gateway between;
a host's ``10.20.0.5`` before that mask, or a ``.0`` with no mask after it, a host of a larger network, stay findings),
a subnet's broadcast address after its word (``broadcast 192.168.178.255``, ``Bcast:``, ``brd``: its last two bits
ones), and IPv6 multicast groups (``ff00::/8``: ``ff02::1``, as IPv4's). An IPv6 address ending in an IPv4 address (``::ffff:10.0.0.1``,
``64:ff9b::192.0.2.33``) is read whole. Eight groups of one or two hex digits (``1:2:3:4:5:6:7:8``) are a ratio
or a list, or a Fibre Channel WWN / EUI-64's bytes (``50:06:01:60:3b:20:19:d8``), not an address.
"""

from __future__ import annotations

import ipaddress
import re
import string

from gatekit.governance.detectors.base import VALIDATION_BUDGET, Detector, column_header

# an octet as ``ipaddress`` reads it: a decimal of 0..255 without a leading zero; the first octet also not 0 (0.0.0.0/8),
# 127 (loopback) nor 224..255 (multicast, reserved)
_OCTET = r"(?:0|[1-9][0-9]?|1[0-9][0-9]|2[0-4][0-9]|25[0-5])"
_FIRST_OCTET = r"(?:[1-9][0-9]?|1(?:[013-9][0-9]|2[0-689])|2(?:[01][0-9]|2[0-3]))"
_MACHINE_IPV4 = re.compile(rf"{_FIRST_OCTET}(?:\.{_OCTET}){{3}}")


def ipv4_ok(value: str) -> bool:
    """A valid IPv4 address of a machine: not in 0.0.0.0/8, 127.0.0.0/8 (loopback), 224.0.0.0/4 (multicast) nor 240.0.0.0/4.

    "This network" (``0.0.0.0``, a wildcard mask ``0.0.0.255``), loopback, multicast groups and the reserved block
    (the broadcast address ``255.255.255.255``, netmasks ``255.255.255.0``) name no one's machine.

    Valid as ``ipaddress.IPv4Address`` reads a string (four decimal octets of 0..255, no leading zero), read
    here by one fullmatch of a regex of those octets: ~0.2 us where the constructor and its ``is_loopback`` take ~2 us
    (an IP-dense text has several; a test holds the two equal).
    """
    return _MACHINE_IPV4.fullmatch(value) is not None


def ipv6_ok(value: str) -> bool:
    """A valid IPv6 address (not ``::``, the loopback ``::1`` nor a multicast group's, ``ff00::/8``: ``ff02::1``)."""
    try:
        address = ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return not (address.is_unspecified or address.is_loopback or address.is_multicast)


# a word that numbers a version or a part of a document, right before a dotted quad (and its ":", "#", "no."): the
# quad is that number, not an address
_NUMBERING = (
    "version ver build firmware fw rev revision section sect table figure fig chapter clause appendix annex paragraph"
    " para oid"
    # (a checklist's or a standard's item: "CIS recommendation 1.1.1.1", "requirement 8.2.1.3"; and the parts of a
    # document in the default regions' other languages: "Abschnitt 3.1.4.1", "chapitre ...", "apartado ...")
    " recommendation requirement req item abschnitt kapitel absatz ziffer anhang anlage abbildung tabelle punkt"
    " chapitre article paragraphe annexe tableau apartado anexo figura tabla hoofdstuk artikel bijlage figuur tabel"
    " paragraaf artículo articulo sección seccion capítulo capitulo título step"
).split()
_NUMBERED_BY = re.compile(
    r"(?:(?<![^\W\d_])(?:" + "|".join(_NUMBERING) + r")s?\.?(?:[ \t]+(?:no|nr|number)\.?)?"
    r"[ \t]*[:#]?|§|(?<![^\W\d_])v)[ \t]*$",  # (no letter of any script before the word: "Artículo", "éfig")
    re.IGNORECASE,
)
# the last word before the quad when _NUMBERED_BY can match (a numbering word, its plural, "no", "v"...): most quads
# follow another word ("address", "from", "IP") and are settled by this set, without the regex
_LAST_WORDS = frozenset([*_NUMBERING, *(word + "s" for word in _NUMBERING), "no", "nr", "number", "v"])
_ASCII = string.ascii_letters


def _numbered(text: str, start: int) -> bool:
    """A word that numbers a version or a part of a document is right before the quad at ``start``."""
    low = start - 24 if start > 24 else 0
    before = text[low:start]
    before = (before[:-1] if before[-1:] == "\n" else before).rstrip(" \t")  # (as "$": before a last newline too)
    if before[-1:] in (":", "#"):
        before = before[:-1].rstrip(" \t")
    if before[-1:] == ".":
        before = before[:-1]
    if before[-1:] != "§":
        begin = len(before.rstrip(_ASCII))  # (the usual word, ASCII letters: one C call)
        while begin and before[begin - 1].isalpha():  # ("Artículo", "Sección": any letters)
            begin -= 1
        if before[begin:].lower() not in _LAST_WORDS:
            return False
    return _NUMBERED_BY.search(text, low, start) is not None


# words that name a software release, right before its number ("SDK 8.0.100.2", "kernel 6.1.0.18", "upgrade
# 2.3.4.5"), or before it with "for" / "of" ("release notes for 3.2.1.0", "build of 1.2.3.4"), or that end an
# identifier naming one ("AssemblyVersion(\"2.4.0.117\")", "<version>5.3.31.1</version>", "app_version=1.2.3.4");
# and the verbs of a change of release before "to" ("upgraded to 2.3.4.5"; not "update", "moved", "changed": a
# machine's address is updated to another)
_RELEASE_WORDS = frozenset(
    "version ver build firmware fw rev revision release rel sdk kernel driver patch hotfix upgrade downgrade"
    # (a package's, in the default regions' languages too: "package 1.2.10.3", "Paket 1.2.10.3 installiert")
    " package pkg paket paquet paquete pakket pacchetto"
    # (a package manager's or registry's name before a package's release: "gem 3.2.1.0", "nuget 5.11.0.1")
    " gem gems npm pip pypi crate nuget maven composer conda cargo yarn"
    # (a language runtime's or a compiler's: "java 17.0.9.1", "dotnet 8.0.100.1"; not "node": a cluster's machine)
    " java jdk jre openjdk dotnet python ruby php perl golang rustc gcc clang".split()
)
_UPGRADE_WORDS = frozenset(
    "upgrade upgrades upgraded upgrading downgrade downgrades downgraded downgrading bump bumps bumped".split()
)
_RELEASE_PHRASE = re.compile(r"([A-Za-z]+)[ \t]+(?:notes?[ \t]+)?(?:for|of)[ \t]*$")
_UPGRADE_PHRASE = re.compile(r"([A-Za-z]+)[ \t]+to[ \t]*$")
# a package's change of release, its name between the verb and "from" ("Bump foo from 1.10.4.2 to 1.10.5.0", dependabot's
# "Bumps [foo](https://github.com/...) from ..."; not "Moved the server from 10.0.0.4", nor "Bump the server from")
_FROM_PHRASE = re.compile(r"(?<![A-Za-z])([A-Za-z]+)[ \t]+[^\s]{1,150}+[ \t]+from[ \t]*$")
_FROM_REACH = 200
# a package's id between a package's word (or a package manager's) and its release ("NuGet package
# Microsoft.Extensions.Logging 8.0.1.0", "gem rails-html-sanitizer 1.6.0.1"): one name holding a letter and a ".", "-"
# or "_" inside it, no blank (a plain word is no package's id: "package server 10.0.0.5", "npm registry 10.0.0.6")
_PACKAGE_WORDS = frozenset(
    "package packages pkg paket pakete paquet paquete pakket pacchetto gem nuget crate maven composer conda npm pip pypi".split()
)
_NAMED_PACKAGE = re.compile(
    r"(?<![A-Za-z])([A-Za-z]+)[ \t]+(?=[^\s]{0,100}?[A-Za-z])(?=[^\s]{0,100}?[A-Za-z0-9][._-][A-Za-z0-9])[^\s]{1,100}+[ \t]*$"
)
_NAMED_REACH = 120
# a quad followed by a pre-release or build suffix ("6.1.0.18-amd64", "1.2.3.4-SNAPSHOT", "2.0.0.1-rc1", "1.2.3.4+b7")
_RELEASE_SUFFIX = re.compile(
    r"(?:[-~](?i:alpha|beta|rc|pre|preview|snapshot|dev|nightly|canary|final|release|ga|lts|stable|amd64|arm64"
    r"|aarch64|x86_64|x64|i[36]86|generic|el[0-9]|ubuntu|debian|deb[0-9])|\+(?i:b|build|git|deb)[0-9.]*(?![A-Za-z]))"
)
_IDENTIFIER_TAIL = " \t:=\"'(<>["
_CONNECTOR = re.compile(r"[ \t]*(?:->|=>|→|to|-|–)[ \t]*$")


def _release(text: str, start: int, end: int) -> bool:
    """The quad at ``start:end`` is a software release's number (see _RELEASE_WORDS, _RELEASE_SUFFIX).

    Also a markdown heading's of 2+ ``#`` ("## 4.12.0.1", "## [4.12.0.1]": a changelog's entries; a single ``#`` is a
    comment's, "# 10.0.0.5 gateway").
    """
    if _RELEASE_SUFFIX.match(text, end) is not None:
        return True
    low = start - 40 if start > 40 else 0
    before = text[low:start].rstrip(" \t")
    line = before[before.rfind("\n") + 1 :].rstrip(" \t[")
    # (a markdown heading's number: "## 4.12.0.1", "## [1.2.3.4]")
    if 2 <= len(line) <= 6 and line.strip("#") == "" and (low == 0 or "\n" in before):
        return True
    tail = before.rstrip(_IDENTIFIER_TAIL)
    word = tail[len(tail.rstrip(_ASCII)) :].lower()
    if word in _RELEASE_WORDS or word.endswith("version"):
        return True
    if word == "for" or word == "of":
        phrase = _RELEASE_PHRASE.search(before)
        return phrase is not None and phrase.group(1).lower() in _RELEASE_WORDS
    if word == "from":
        phrase = _FROM_PHRASE.search(text, start - _FROM_REACH if start > _FROM_REACH else 0, start)
        return phrase is not None and phrase.group(1).lower() in _UPGRADE_WORDS
    if word == "to":
        phrase = _UPGRADE_PHRASE.search(before)
        return phrase is not None and phrase.group(1).lower() in _UPGRADE_WORDS
    if tail[-1:].isalnum():  # (a name right before the quad: a package's after its word?)
        return _package_named(text, start)
    return False


def _package_named(text: str, start: int) -> bool:
    """A package's word and a package's id come right before the quad at ``start`` (see _NAMED_PACKAGE)."""
    low = start - _NAMED_REACH if start > _NAMED_REACH else 0
    # (the id is the last token before the quad and holds a ".", "-" or "_": most names there hold none, "address
    # 10.0.0.5", "IP 10.0.0.5", and are settled by one split, not by the search, ~10x its cost)
    last = text[low:start].rsplit(None, 1)
    if not last or ("." not in last[-1] and "-" not in last[-1] and "_" not in last[-1]):
        return False
    named = _NAMED_PACKAGE.search(text, low, start)
    return named is not None and named.group(1).lower() in _PACKAGE_WORDS


_PREFIX_LENGTH = re.compile(r"/(\d{1,3})(?!\d|\.\d)", re.ASCII)


def _network(text: str, start: int, end: int) -> bool:
    """The address at ``start:end`` of ``text`` is followed by a prefix length and is that network's address.

    ``10.0.0.0/8``, ``2001:db8::/32``: a range. Not ``192.168.1.7/24`` (a host's address on its network) nor a
    single-address network (``/32``, ``/128``).
    """
    if text[end : end + 1] != "/":
        return False
    length = _PREFIX_LENGTH.match(text, end)
    if length is None:
        return False
    try:
        network = ipaddress.ip_network(f"{text[start:end]}/{length.group(1)}")  # (strict: the host bits are zero)
    except ValueError:
        return False
    return network.num_addresses > 1


# a netmask or a wildcard mask after a network's address, on its line: "ip route 10.0.0.0 255.0.0.0 Null0", "route add
# -net 10.0.0.0 netmask 255.0.0.0", a routing table's row "10.20.0.0  0.0.0.0  255.255.0.0" (its gateway between),
# "network 10.1.0.0 0.0.255.255" (OSPF's wildcard)
_MASK_AFTER = re.compile(r"[ \t]+(?:(?i:net)?(?i:mask)[ \t:=]*)?([0-9]{1,3}(?:\.[0-9]{1,3}){3})(?![0-9]|\.[0-9])")
# the word of a subnet's broadcast address right before it: ifconfig's "broadcast 192.168.178.255", "Bcast:10.0.0.255",
# iproute2's "brd 10.0.0.255"
_BROADCAST_BEFORE = re.compile(r"(?<![A-Za-z])(?i:broadcast|bcast|brd)[ \t]*[:=]?[ \t]*\Z")


def _masked_network(text: str, start: int, end: int) -> bool:
    """The quad at ``start:end`` is a network's address: a mask follows it on its line, and its host bits are zero.

    One of the next two quads (a routing table's gateway may come between) is a netmask (``255.255.0.0``) or a wildcard
    mask (``0.0.255.255``) of a network of 2+ addresses whose host bits in the quad are all zero. A host's address
    before its netmask (``inet 192.168.1.7 netmask 255.255.255.0``, ``10.20.0.5  0.0.0.0  255.255.0.0``) is a finding;
    so is a ``.0`` address with no mask after it (a host of a larger network may end in ``.0``).
    (Read as integers, not by ``ipaddress`` and its ValueError per refused mask: 12,500 quads a line apart in 100 KB.)
    """
    address = _quad(text[start:end])
    if address is None:
        return False
    position = end
    for _ in range(2):
        mask = _MASK_AFTER.match(text, position)
        if mask is None:
            return False
        position = mask.end()
        value = _quad(mask.group(1))
        if value is None:
            continue
        hosts = ~value & 0xFFFFFFFF  # (a netmask: ones then zeros, its host bits the zeros)
        if hosts and not hosts & (hosts + 1) and not address & hosts:
            return True
        if value and not value & (value + 1) and not address & value:  # (a wildcard mask: zeros then ones)
            return True
    return False


def _quad(value: str) -> int | None:
    """A dotted quad's 32 bits, None when an octet is over 255."""
    number = 0
    for octet in value.split("."):
        part = int(octet)
        if part > 255:
            return None
        number = number << 8 | part
    return number


def _broadcast(text: str, start: int, end: int) -> bool:
    """The quad at ``start:end`` follows a broadcast address's word and its last two bits are ones (a subnet's last).

    ``broadcast 192.168.178.255``, ``Bcast:10.0.3.255``, ``brd 10.0.0.127``: the address of every machine of a subnet,
    no one's; ``broadcast 10.0.0.5`` (no subnet's last address) stays a finding.
    """
    if int(text[text.rindex(".", start, end) + 1 : end]) & 3 != 3:  # (the last octet's last two bits: .3, .127, .255)
        return False
    return _BROADCAST_BEFORE.search(text, start - 16 if start > 16 else 0, start) is not None


def _version_column(text: str, start: int, end: int) -> bool:
    """The quad at ``start:end`` is in a table's column, or a SQL INSERT's, whose header names a release's number.

    ``package,version`` then ``libfoo,1.2.0.3``; ``| Version | ... |`` then ``| 2.4.0.117 | ... |``; ``INSERT INTO
    releases (name, version) VALUES ('agent', '3.1.4.1')``. (A quad between two delimiters or a delimiter and a line's
    end; most quads are in none: one look at the characters around it.)
    """
    if text[start - 1 : start] not in _CELL_EDGES and text[end : end + 1] not in _CELL_EDGES:
        return False
    header = column_header(text, start, end)
    word = header[len(header.rstrip(_ASCII)) :] if header else ""
    return bool(header) and (header.endswith("version") or word in _RELEASE_WORDS or header in _RELEASE_WORDS)


def _product_version(text: str, start: int, end: int) -> bool:
    """The quad at ``start:end`` is a product token's version ending ``.0.0`` (RFC 9110's ``product/version``).

    Chrome's reduced User-Agent, ``Chrome/122.0.0.0``, ``Edg/122.0.0.0``, ``OPR/108.0.0.0``: after a name that starts
    a word (not a path's segment, ``/hosts/10.0.0.0``, nor a URL's host); such a quad is no machine's address.
    """
    if text[start - 1 : start] != "/" or not text.endswith(".0.0", start, end):
        return False
    low = start - 41 if start > 41 else 0
    name = _PRODUCT.search(text, low, start)
    return name is not None


_PRODUCT = re.compile(r"(?:^|(?<=[\s(\"';,]))[A-Za-z][A-Za-z0-9._\-]{0,39}/\Z")
_COLUMN_BUDGET = VALIDATION_BUDGET // 4  # quads whose column is looked up per text (the rest: findings)
_CELL_EDGES = frozenset(("", "|", "\t", ",", ";", " ", "'", '"', "`", "\n", "\r"))


class Ipv4Detector(Detector):
    """IPv4 addresses, but for the dotted quads a version or section word numbers and networks' addresses."""

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every IPv4 address of ``text`` (see :meth:`Detector.findings`).

        The first VALIDATION_BUDGET quads are read for what makes one no address (a version, a network...); past them
        (a hostile text) the rest are findings on their shape alone: more redaction, never a miss.
        """
        found = super().findings(text, runs)
        if found:
            kept = []
            release = -1  # (the end of the last quad read as a release's number: "upgrade 2.3.4.5 -> 2.3.5.0")
            for index, one in enumerate(found):
                if index == VALIDATION_BUDGET:  # (a hostile text of thousands of quads: the rest are findings on shape)
                    kept += found[index:]
                    break
                _, start, end = one
                if (
                    _numbered(text, start)
                    or _release(text, start, end)
                    or (index < _COLUMN_BUDGET and _version_column(text, start, end))
                    or (text[start - 1 : start] == "/" and _product_version(text, start, end))
                    or (0 <= release and start - release <= 8 and _CONNECTOR.match(text[release:start]) is not None)
                ):
                    release = end
                elif not (
                    _network(text, start, end)
                    or (text[end - 1] in "02468" and text[end : end + 1] in " \t" and _masked_network(text, start, end))
                    or (
                        text[end - 1] in "13579"
                        and text[start - 1 : start] in " \t:=tdTD"
                        and _broadcast(text, start, end)
                    )
                ):
                    kept.append(one)
            found = kept
        return found


IPV4 = Ipv4Detector(
    "IP_ADDRESS",
    re.compile(r"\d(?<![\d.]\d)\d{0,2}\.(?:\d{1,3}\.){2}\d{1,3}(?![\d]|\.\d)", re.ASCII),
    ipv4_ok,
    score=0.9,
    hints=(".",),
    candidates_from="digit_runs",
    min_run=7,
    run_mark=(".", 3),
)
# "::" next to a hex digit, or three colons around two groups of hex digits: every address but "::" has one (it
# has "::" or seven colons); times ("10:30:45") and URLs ("a://b:") have neither (the engine skips to colons)
_IPV6_HINT = re.compile(r":(?:(?<=[0-9A-Fa-f]:):|:(?=[0-9A-Fa-f])|[0-9A-Fa-f]{1,4}:[0-9A-Fa-f]{1,4}:)")
# (past VALIDATION_BUDGET hints: the rest of the text's runs of hex digits and colons, alone, holding a hex digit and
# "::" or seven colons, in one C pass. Tried at every position: two colons with only hex digits before them are
# looked for first, which most positions of a hostile text fail at once (a word, a time "12:30"); the "::" is looked
# for from the run's start, where it usually is)
_IPV6_ONE = (
    r"(?<![0-9A-Za-z_.:])(?=[0-9A-Fa-f]*+:[0-9A-Fa-f]*+:)(?=:*[0-9A-Fa-f])(?=[0-9A-Fa-f:]{0,37}?::|(?:[0-9A-Fa-f]{0,4}:){7})"
    r"[0-9A-Fa-f:]{2,39}+(?:\.[0-9]{1,3}){0,3}+(?![0-9A-Za-z_:])"
)
# (and such runs at most 8 characters apart on a line read as one finding, the nearest next run first: a hostile text
# of 25,000 addresses, "/::6" repeated, is a few findings, not one Python object each; more redaction, never a miss)
_IPV6_SHAPE = re.compile(rf"{_IPV6_ONE}(?:.{{1,8}}?{_IPV6_ONE})*+")
_HEX_COLON = "0123456789abcdefABCDEF:"
# (eight groups of one or two hex digits: a ratio or a list of decimals, "1:2:3:4:5:6:7:8", or the bytes of a Fibre
# Channel WWN or an EUI-64, "50:06:01:60:3b:20:19:d8"; an address so written would be in 0::/8, reserved by IANA, where
# no machine's address is written in full)
_SMALL_GROUPS = re.compile(r"(?:[0-9A-Fa-f]{1,2}:){7}[0-9A-Fa-f]{1,2}").fullmatch
_HEX_COLON_RUN = re.compile(r"[0-9A-Fa-f:]*+")
_IPV4_TAIL = re.compile(r"(?:\.[0-9]{1,3}){0,3}+")  # (after the first octet, read as hex digits above)


class Ipv6Detector(Detector):
    """IPv6 addresses grown left and right from each ``:hex:`` hint."""

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every IPv6 address of ``text`` (most texts hold no hint: decided first)."""
        if _IPV6_HINT.search(text) is None:
            return []
        found = super().findings(text, runs)
        if found and "/" in text:
            found = [one for one in found if not _network(text, one[1], one[2])]
        return found

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Every IPv6 address of ``text`` (at most 39 characters of hex digits and colons, alone)."""
        found: list[tuple[int, int]] = []
        if "::" not in text and text.count(":") < 7:  # (an address holds one or the other; most texts, neither)
            return found
        size = len(text)
        next_free = 0
        hint = _IPV6_HINT.search(text)
        tried = 0
        while hint is not None:
            tried += 1
            if tried > VALIDATION_BUDGET:  # a hostile text: its rest in one C pass, findings on their shape alone
                found += [match.span() for match in _IPV6_SHAPE.finditer(text, next_free)]
                return found
            start = hint.start()
            low = max(next_free, start - 39)
            start = low + len(text[low:start].rstrip(_HEX_COLON))
            end = hint.end()
            end = _HEX_COLON_RUN.match(text, end, max(end, min(size, start + 40))).end()  # type: ignore[union-attr]
            if end < size and text[end] == "." and text[end - 1].isdigit():  # an IPv4 tail: ::ffff:10.0.0.1
                end = _IPV4_TAIL.match(text, end, min(size, end + 12)).end()  # type: ignore[union-attr]
            next_free = end
            hint = _IPV6_HINT.search(text, max(end, hint.start() + 1))
            if (start > 0 and (text[start - 1].isalnum() or text[start - 1] in "_.")) or (
                end < size and (text[end].isalnum() or text[end] in "_:")
            ):
                continue
            candidate = text[start:end]
            # (hex digits and colons only: an address has a "::" or exactly 7 colons; most hints are times, "07:00:28")
            # (eight groups of one or two hex digits are a ratio, a list or a WWN, "50:06:01:60:3b:20:19:d8", no address)
            if ("::" in candidate or (candidate.count(":") == 7 and _SMALL_GROUPS(candidate) is None)) and ipv6_ok(
                candidate
            ):
                found.append((start, end))
        return found


IPV6 = Ipv6Detector("IP_ADDRESS", _IPV6_HINT, ipv6_ok, score=0.9, hints=(":",))
