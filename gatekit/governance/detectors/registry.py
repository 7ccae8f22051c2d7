"""The registry of detectors, custom detectors from policy YAML, and :class:`Scanner` (``scan``).

A scan normalises the text (:mod:`gatekit.governance.normalise`), runs every detector on the
normalised copy, resolves overlaps (the higher score wins, then the longer span, then the earlier
one) and maps each finding back to the span of the ORIGINAL text, whose characters its value holds.
"""

from __future__ import annotations

import bisect
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from gatekit.governance.detectors import (
    card,
    cloud_keys,
    email,
    generic,
    iban,
    ip,
    phone,
    private_key,
    service_keys,
    ssn,
    tokens,
)
from gatekit.governance.detectors.base import VALIDATORS, Detector, Finding, digit_runs
from gatekit.governance.normalise import normalise

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
    "API_TOKEN",
    "GENERIC_SECRET",
)
ALL_TYPES: tuple[str, ...] = PII_TYPES + SECRET_TYPES

# secrets first: a credential inside a larger value wins over the PII it may look like
DEFAULT_DETECTORS: tuple[Detector, ...] = (
    private_key.DETECTOR,
    private_key.ENCODED,
    tokens.JWT,
    cloud_keys.AWS,
    cloud_keys.GOOGLE,
    cloud_keys.TWILIO,
    tokens.GITHUB,
    tokens.SLACK,
    tokens.PREFIXED_KEY,
    tokens.SERVICE_TOKEN,
    tokens.DISCORD,
    tokens.BEARER,
    service_keys.SERVICES,
    service_keys.AGE_KEY,
    service_keys.PUTTY,
    generic.DETECTOR,
    generic.URL_PASSWORD,
    generic.OPTION,
    generic.ELEMENT,
    generic.ATTRIBUTE,
    generic.SHORT_OPTION,
    generic.MYSQL_OPTION,
    generic.CONTEXTS,
    generic.SQL_BARE,
    email.DETECTOR,
    iban.DETECTOR,
    card.DETECTOR,
    ssn.DETECTOR,
    ip.IPV4,
    ip.IPV6,
    phone.DETECTOR,
)

_new = tuple.__new__
# characters by how common they are in text: lower-case letters by English frequency, blanks and common punctuation
# among them, upper-case letters by how often they start an English word (rarer than most lower-case ones); any other
# character is rarer
_COMMON = " e.t,aoinshrdlcumwfgypb-vTASICOWBPHMDFRLENGUYKVJQZX:kjxqz"
_IN_MOST = _COMMON.index("p") + 1  # (the characters before it are in most texts of a few hundred characters)


# characters in many texts, in hints after other characters ("sk-", "ya29."): such a hint is tested after one search for
# the character right after its prefix (see _prefix)
_SEPARATORS = "-._"


def _prefix(hint: str, separator: str) -> str:
    """``hint`` up to its first ``separator`` after its first character ("pypi-AgE": "pypi-"; "--": "--"), or ""."""
    at = hint.find(separator, 1)
    return hint[: at + 1] if at > 0 else ""


def _lead(detector: Detector) -> str:
    """The literal character every finding of ``detector`` starts with, if it has one (else "").

    Only for a detector whose findings are its pattern's matches (neither method overridden), the pattern starting
    with a character that is no regex syntax, not made optional by a quantifier, not in a pattern of alternatives at
    its top level, not under IGNORECASE.
    """
    pattern = detector.pattern.pattern
    plain = type(detector).findings is Detector.findings and type(detector).spans is Detector.spans
    if not plain or detector.pattern.flags & re.IGNORECASE or len(pattern) < 2:
        return ""
    if pattern[0] in ".^$*+?{}[]|()\\" or pattern[1] in "*?{|":
        return ""
    depth = 0
    escaped = in_class = False
    for char in pattern:  # (a "|" outside parentheses and classes: alternatives, the first character is not in all)
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return ""
    return pattern[0]


def _rank(char: str) -> int:
    """How rare ``char`` is (see _COMMON): higher is rarer."""
    return _COMMON.find(char) if char in _COMMON else len(_COMMON)


def _rarest(hint: str) -> str:
    """The least common character of ``hint`` (see _COMMON)."""
    return max(hint, key=_rank)


_CACHE_MAX_CHARS = 256  # short texts (tool-argument ids, names, amounts) recur: their findings are kept
_CACHE_MAX_ENTRIES = 16_384
_PLANS_MAX = 256  # plans kept, one per mask of gated detectors met (most texts: none)
MIN_FINDING = 5  # no detector finds fewer characters


class Scanner:
    """A set of detectors; :meth:`scan` finds their entities in a text."""

    def __init__(self, detectors: Sequence[Detector]) -> None:
        self.detectors = tuple(detectors)
        self.types = tuple(dict.fromkeys(detector.type for detector in self.detectors))
        self.secret_types = frozenset(d.type for d in self.detectors if d.secret)
        self.cache: dict[str, list[Finding]] = {}  # findings of short texts, shared by every case
        # the literal hints of the detectors, tested once per text for all of them (most texts hold none of them); not
        # those of a detector with a hint of one character in most texts (IPv4's "."): it tests its hints itself
        self._gated = frozenset(
            d
            for d in self.detectors
            if d.hints and all(d.hints) and not any(_rank(hint) < _IN_MOST for hint in d.hints if len(hint) == 1)
        )
        # (each gated detector a bit; a text's mask: the detectors one of whose hints it may hold, see _mask)
        self._bits = {d: 1 << index for index, d in enumerate(sorted(self._gated, key=self.detectors.index))}
        # (a hint, and the lead of its detector whose findings are its pattern's matches, the pattern starting with a
        # literal character rarer than the hint's rarest, tested first: "-" of a short option before "pass"; the bits of
        # the detectors of that hint and lead)
        bits_of: dict[tuple[str, str], int] = {}
        for d, bit in self._bits.items():
            lead = _lead(d)
            for hint in d.hints:
                pair = (hint, lead if lead and lead not in hint and _rank(lead) > _rank(_rarest(hint)) else "")
                bits_of[pair] = bits_of.get(pair, 0) | bit
        self._hints = tuple(sorted({hint for hint, _ in bits_of}, key=len, reverse=True))
        keyed: list[tuple[str, str, int]] = []
        # the hints are tested in groups, each after one test of a character every hint of the group holds (C memchr:
        # ~10x cheaper than a substring test; most texts lack it): hints holding "-", "." or "_" after one search of
        # their prefixes up to it (a "-" or "." is in many texts, dates, numbers and sentences, a "_" in identifiers and
        # a long text's markup, these prefixes rarely); the
        # hints of upper-case letters and digits after an "A" (AWS, Google, Atlassian) after one search with that
        # literal first; the other hints after their least common character
        groups: dict[str, list[tuple[str, int]]] = {}
        for (hint, lead), bit in bits_of.items():
            if lead:
                keyed.append((lead, hint, bit))
                continue
            separator = next((char for char in _SEPARATORS if _prefix(hint, char)), "")
            if separator:
                key = separator
            elif "_" in hint:
                key = "_"
            elif re.fullmatch("A[A-Za-z0-9]+", hint):
                key = "A"
            else:
                key = _rarest(hint)
                if _rank(key) < _IN_MOST:
                    key = ""  # (a character in most texts: the hint is tested alone)
            groups.setdefault(key, []).append((hint, bit))
        searches: dict[str, Any] = {}  # (key: the bound search of a group's regex)
        for separator in _SEPARATORS:
            if separator in groups:  # (the separator, a class of the characters before it, then each prefix's)
                prefixes = sorted({_prefix(hint, separator) for hint, _ in groups[separator]})
                if "" in prefixes:  # (a hint whose only "_" is its first character: the group is tested unsearched)
                    continue
                before = re.escape("".join(sorted({prefix[-2] for prefix in prefixes})))
                either = "|".join(f"(?<={re.escape(prefix)})" for prefix in prefixes)
                searches[separator] = re.compile(f"{re.escape(separator)}(?<=[{before}].)(?:{either})").search
        if "A" in groups:
            searches["A"] = re.compile(
                "A(?:" + "|".join(sorted({re.escape(h[1:]) for h, _ in groups["A"]})) + ")"
            ).search
        # (a group of one hint without a search: its key and hint)
        self._singles = tuple(
            keyed
            + [
                (key, "" if group[0][0] == key else group[0][0], group[0][1])  # ("": a hint of one character, its key)
                for key, group in groups.items()
                if len(group) == 1 and key not in searches
            ]
        )
        self._groups = tuple(
            (key, searches.get(key), tuple(group)) for key, group in groups.items() if len(group) > 1 or key in searches
        )
        # (the same tests for a long text, a hint of 3 to 6 characters as a search of its key (or its rarest
        # character), a literal, then look-arounds: sre skips to a literal in a tight loop, ~2x faster than a short
        # substring test at 2,000 characters (a longer hint's test skips ahead as fast; at 200 characters a call
        # costs more than the test; not the hints of a group without a key, made of common characters, nor those of a
        # group with a search: its key is in the text, dense in a hostile one, each hint's search would stop at each);
        # a group without a search, each of its hints holding the key: one search of them)
        self._singles_long = tuple((key, _anchored(hint, key), hint, bit) for key, hint, bit in self._singles)
        self._groups_long = tuple(
            (
                key,
                search
                or (
                    _anchored_group([hint for hint, _ in group], key)
                    if key and all(key in h for h, _ in group)
                    else None
                ),
                tuple((hint, _anchored(hint, key) if key and search is None else None, bit) for hint, bit in group),
            )
            for key, search, group in self._groups
        )
        # (findings, type, run length needed or 0) of every detector: the plan of a mask, its gated detectors but
        # those not in the mask left out (kept per mask: few masks occur)
        plan = [
            (d.findings, d.type, (d.scan_run or d.min_run) if d.candidates_from == "digit_runs" else 0)
            for d in self.detectors
        ]
        self._steps = tuple(zip(plan, [self._bits.get(d, 0) for d in self.detectors], strict=True))
        self._plans: dict[int, list[tuple[Any, str, int]]] = {}
        self._plan_unhinted = self._plan_of(0)

    def _plan_of(self, mask: int) -> list[tuple[Any, str, int]]:
        """The plan of a text whose mask is ``mask``: every detector but the gated ones outside the mask."""
        plan = self._plans.get(mask)
        if plan is None:
            if len(self._plans) >= _PLANS_MAX:
                self._plans.clear()
            plan = self._plans[mask] = [step for step, bit in self._steps if not bit or bit & mask]
        return plan

    def scan(self, text: str, shared: bool = False) -> list[Finding]:
        """Find the entities in ``text``: ordered by position, never overlapping, spans of ``text`` itself.

        ``shared``: a short text's findings are kept for later calls (tool-argument ids, names and amounts
        recur from case to case; outputs are not kept). The lists returned are never to be mutated.
        """
        if len(text) < MIN_FINDING:
            return []
        short = shared and len(text) <= _CACHE_MAX_CHARS
        if short:
            cached = self.cache.get(text)
            if cached is not None:
                return cached
        normal = normalise(text)
        subject = normal.text
        # the digit runs (digits joined by a few separator characters), found once per text for every number
        # detector: each runs its pattern only around the runs long enough to hold one of its candidates
        runs = digit_runs(subject)
        long = runs.long  # (the runs most number detectors need: their windows read these; the longest is among them)
        longest = max([end - start for start, end in long or runs]) if runs else 0
        mask = self._mask(subject)
        plan = self._plan_of(mask) if mask else self._plan_unhinted
        candidates: list[tuple[float, int, int, str]] = []
        for findings_of, kind, needs_run in plan:
            if needs_run:
                if needs_run > longest:
                    continue
                found = findings_of(subject, runs)
            else:
                found = findings_of(subject)
            if found:
                candidates += [(score, start, end, kind) for score, start, end in found]
        if len(candidates) > 1:
            candidates = _resolve(candidates)
        findings: list[Finding] = []
        if normal.spots is None:  # (offsets of the text itself; each Finding built without its Python __new__)
            findings = [_new(Finding, (kind, start, end, text[start:end])) for _, start, end, kind in candidates]
        else:
            for _, start, end, kind in candidates:
                start, end = normal.start(start), normal.end(end)
                findings.append(_new(Finding, (kind, start, end, text[start:end])))
        if short:
            if len(self.cache) >= _CACHE_MAX_ENTRIES:
                self.cache.clear()
            self.cache[text] = findings
        return findings

    def _mask(self, subject: str) -> int:
        """The bits of the gated detectors one of whose hints ``subject`` holds (0: none)."""
        if _LONG_MASK <= len(subject) <= _LONG_MASK_MAX:
            return self._mask_long(subject)
        return self._mask_short(subject)

    def _mask_short(self, subject: str) -> int:
        """:meth:`_mask` by substring tests alone (a short text's; the reference of :meth:`_mask_long`)."""
        mask = 0
        for key, hint, bit in self._singles:
            if key in subject and hint in subject:
                mask |= bit
        for key, search, group in self._groups:
            if key in subject and (search is None or search(subject) is not None):
                for hint, bit in group:
                    if hint in subject:
                        mask |= bit
        return mask

    def _mask_long(self, subject: str) -> int:
        """:meth:`_mask` of a long text: a hint's or a group's search instead of substring tests where it has one."""
        mask = 0
        for key, find, hint, bit in self._singles_long:
            if key in subject and (hint in subject if find is None else find(subject) is not None):
                mask |= bit
        for key, search, group in self._groups_long:
            if key in subject and (search is None or search(subject) is not None):
                for hint, find, bit in group:
                    if hint in subject if find is None else find(subject) is not None:
                        mask |= bit
        return mask


_LONG_MASK = 300  # (the length from which a hint's search beats its substring test, see Scanner._singles_long)
# (and up to which: a search stops at each of its key's characters, a hostile text's 100 KB of "J" 100,000 times,
# ~0.6 ms where a substring test takes 0.05)
_LONG_MASK_MAX = 16_384


def _anchored(hint: str, key: str) -> Callable[[str], re.Match[str] | None] | None:
    """A search finding ``hint``: its ``key`` (else its rarest character) first, a literal, its rest looked around.

    None for a hint of under 3 or over 6 characters (its substring test is as fast).
    """
    if not 2 < len(hint) <= 6:
        return None
    return re.compile(_around(hint, key if key and key in hint else _rarest(hint))).search


def _anchored_group(hints: list[str], anchor: str) -> Callable[[str], re.Match[str] | None]:
    """A search finding one of ``hints`` (each holding ``anchor``): the anchor, then each hint's look-arounds."""
    rests = "|".join(_around(hint, anchor)[len(re.escape(anchor)) :] for hint in hints)
    return re.compile(f"{re.escape(anchor)}(?:{rests})").search


def _around(hint: str, anchor: str) -> str:
    """``anchor`` then look-behind of ``hint`` up to it and look-ahead of the rest (its first ``anchor``)."""
    at = hint.index(anchor)
    before = f"(?<={re.escape(hint[: at + 1])})" if at else ""
    after = f"(?={re.escape(hint[at + 1 :])})" if at + 1 < len(hint) else ""
    return re.escape(anchor) + before + after


_START = operator.itemgetter(1)  # a candidate's start


def _resolve(candidates: list[tuple[float, int, int, str]]) -> list[tuple[float, int, int, str]]:
    """Non-overlapping candidates in position order: the higher score first, then the longer span, then the earlier."""
    candidates.sort(key=_START)  # (a C key: no Python call per candidate)
    last_end = -1
    for _, start, end, _ in candidates:
        if start < last_end:
            break
        last_end = end
    else:
        return candidates  # the usual case: no overlap
    starts: list[int] = []  # accepted spans, kept sorted and non-overlapping (bisect: n log n)
    accepted: list[tuple[float, int, int, str]] = []
    for candidate in sorted(candidates, key=lambda c: (-c[0], c[1] - c[2], c[1])):
        _, start, end, _ = candidate
        index = bisect.bisect_left(starts, start)
        if index > 0 and accepted[index - 1][2] > start:
            continue
        if index < len(starts) and starts[index] < end:
            continue
        starts.insert(index, start)
        accepted.insert(index, candidate)
    return accepted


DEFAULT_SCANNER = Scanner(DEFAULT_DETECTORS)


def custom_detector(spec: Mapping[str, Any]) -> Detector:
    """A detector from policy YAML (ValueError on a bad field).

    ``type``, ``pattern``, optional ``validator`` (a name of VALIDATORS), ``score`` (default 1.0),
    ``context`` words and ``secret`` (default false).
    """
    kind = spec["type"]
    if not re.fullmatch(r"[A-Z][A-Z0-9_]{1,63}", kind):
        raise ValueError(f"detector type {kind!r}: use UPPER_SNAKE_CASE, e.g. EMPLOYEE_ID")
    try:
        pattern = re.compile(spec["pattern"])
    except re.error as exc:
        raise ValueError(f"detector {kind}: pattern does not compile: {exc}") from None
    name = spec.get("validator") or "none"
    if name not in VALIDATORS:
        raise ValueError(f"detector {kind}: unknown validator {name!r}; valid: {', '.join(sorted(VALIDATORS))}")
    return Detector(
        kind,
        pattern,
        VALIDATORS[name],
        score=float(spec.get("score", 1.0)),
        context=tuple(spec.get("context") or ()),
        secret=bool(spec.get("secret", False)),
    )


_SCANNERS: dict[tuple[Any, ...], Scanner] = {}


def scanner_for(phone_regions: Iterable[str] | None = None, custom: Sequence[Detector] = ()) -> Scanner:
    """The scanner of the default detectors with other phone regions and/or custom detectors (shared per config)."""
    regions = tuple(phone.check_region(region) for region in phone_regions) if phone_regions else None
    if regions is None and not custom:
        return DEFAULT_SCANNER
    key = (regions, tuple(custom))
    scanner = _SCANNERS.get(key)
    if scanner is None:
        detectors = [
            phone.PhoneDetector(regions) if regions is not None and d is phone.DETECTOR else d
            for d in DEFAULT_DETECTORS
        ]
        scanner = _SCANNERS[key] = Scanner([*custom, *detectors])
    return scanner


def scan(text: str) -> list[Finding]:
    """Find PII and secrets in ``text`` with the default detectors; ordered by position, never overlapping."""
    return DEFAULT_SCANNER.scan(text)


def scan_texts(texts: list[str]) -> list[list[Finding]]:
    """``[scan(text) for text in texts]``."""
    return [DEFAULT_SCANNER.scan(text) for text in texts]
