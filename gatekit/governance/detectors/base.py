"""The detector interface (in the manner of Presidio's recognizers) and the shared validators.

A :class:`Detector` is an entity type, a candidate ``pattern`` (a compiled regex; its ``value`` group,
if it has one, is the finding), an optional ``validate`` function of the candidate value, optional
``context`` words that raise a weak candidate's score when one occurs shortly before it, a ``score``,
and ``hints``: literal strings one of which the text must hold for the pattern to be run (speed; the scanner tests the
hints of all detectors once per text, see ``Scanner``).
A detector whose matching needs more than one regex overrides :meth:`Detector.spans`.

A number detector declares ``candidates_from="digit_runs"`` and ``min_run``: the scanner finds the
text's digit runs ONCE (:data:`DIGIT_RUNS`: digits joined by at most 3 of `` .-()/_``) and the detector's
pattern is run only around the runs of ``min_run`` characters or more (:meth:`Detector.windows`), not
over the whole text: one shared pass over the text instead of one per number detector. ``min_digits``,
``glued`` and ``run_shapes`` narrow the runs further (a run of too few digits, an id glued to a word, a run
without the digit pattern every candidate has, such as an SSN's nine digits: no candidate).

Patterns must run in linear time: bounded or possessive quantifiers only, every repetition over a
character class that cannot overlap the next one (tests time 100 KB hostile inputs per detector).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from math import log2
from typing import NamedTuple

MIN_SCORE = 0.5  # a candidate is a finding at this score or above (a weak pattern needs context words)
CONTEXT_BOOST = 0.4  # added when a context word occurs in the CONTEXT_WINDOW characters before it
CONTEXT_WINDOW = 40
VALIDATION_BUDGET = 256  # candidates validated per detector and text; the rest are findings on shape alone
# runs a detector's windows are made from one at a time (in Python); past it, the rest of the text is one window (the
# pattern, in C, finds no candidate in the runs that hold none: the windows only spare it reading them)
WINDOW_BUDGET = 1024

# Digit runs, found once per text by the scanner: a digit, then more digits each at most 3 separator
# characters after the last. Every candidate of a number detector lies inside one run (their digits are
# never further apart) but for up to RUN_BEFORE characters before it ("+ (44) ...") and RUN_AFTER after
# it (a closing parenthesis, a phone extension " ext. 123456", and the characters the pattern's look-ahead
# reads after that). Single digits are no run (no number detector finds fewer than 2 digits in a row).
DIGIT_RUNS = re.compile(r"[0-9](?:[ .\-()/_]{0,3}+[0-9])++")
RUN_BEFORE = 3
RUN_AFTER = 14
LONG_RUN = 7  # (see Runs.long) the fewest characters the built-in number detectors but IBAN need in a run
# The same runs found faster: every character as one byte (non-ASCII as "?"), every digit as "0", so that the
# pattern starts with a literal, which the regex engine skips to like memchr (3-5x faster than a class). A run's
# digits in a row are read by one repeat of a literal, its group stepped once per stretch of separators, not once per
# digit (a look-ahead asks for the second digit: single digits are no run).
_DIGITS_AS_ZERO = bytes.maketrans(b"123456789", b"000000000")
_ZERO_RUNS = re.compile(rb"0(?=[ .\-()/_]{0,3}+0)0*+(?:[ .\-()/_]{1,3}+0++)*+")
_SPAN = re.Match.span


WORD_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"  # what \w matches in an ASCII pattern


class Runs(list[tuple[int, int]]):
    """A text's digit runs (a list of spans) and the windows detectors computed from them (shared per scan).

    ``zeros``: the text as :func:`digit_runs` read it (one byte a character, every digit ``0``), to count a
    run's digits at C speed.

    ``long``: the runs of LONG_RUN characters or more, in order (shared by every detector that needs as many:
    most runs of a text are short, and each detector's windows are made from these few).

    ``windows``: the windows made so far, by :attr:`Detector._window_id` (an int: hashed at once).
    """

    __slots__ = ("windows", "zeros", "long")

    def __init__(self, spans: Iterable[tuple[int, int]] = (), zeros: bytes = b"") -> None:
        list.__init__(self, spans)
        self.windows: dict[int, list[tuple[int, int]]] = {}
        self.zeros = zeros
        self.long: list[tuple[int, int]] = [run for run in self if run[1] - run[0] >= LONG_RUN]


def digit_runs(text: str) -> Runs:
    """The spans of :data:`DIGIT_RUNS` in ``text``, in order."""
    data = text.encode("ascii", "replace").translate(_DIGITS_AS_ZERO)
    return Runs(map(_SPAN, _ZERO_RUNS.finditer(data)), data)  # (each span by a C call, into one list)


SECRET_KINDS: set[str] = set()  # the types of every detector built with secret=True
_WINDOW_IDS: dict[tuple[int, str, int, str, int, tuple[bytes, ...]], int] = {}  # see Detector._window_id


class Finding(NamedTuple):
    """One detected sensitive value: its type and where it is in the scanned text (immutable)."""

    type: str
    start: int
    end: int
    value: str

    @property
    def is_secret(self) -> bool:
        """True for credentials (secrets, built-in or declared ``secret: true``), False for personal data."""
        return self.type in SECRET_KINDS


@dataclass(frozen=True)
class Detector:
    """One entity type: candidates from ``pattern``, kept when ``validate`` accepts their value."""

    type: str
    pattern: re.Pattern[str]
    validate: Callable[[str], bool] | None = None
    score: float = 1.0
    context: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()
    secret: bool = False
    candidates_from: str | None = None  # "digit_runs": the pattern is run only around the text's digit runs
    min_run: int = 2  # (digit_runs) characters a run needs to hold a candidate: the fewest digits one has
    run_mark: tuple[str, int] | None = None  # (digit_runs) a character a run needs, and how many times (IPv4: 3 dots)
    # (digit_runs) characters that, right before a run of digits alone, mean no candidate starts in it: those the
    # pattern's look-behind refuses before its first digit, less any a candidate may start with (``+``, ``(``)
    glued: str = ""
    # (digit_runs) digits a run needs, when every candidate's digits lie in one run (cards, SSNs; not phone numbers,
    # whose extension may reach into the next run): a run of fewer is no window
    min_digits: int = 0
    # (digit_runs) a run needs a match of one of these bytes regexes in :attr:`Runs.zeros` (its text, every digit a
    # ``0``) when a candidate's digits always lie in one run and have one of a few shapes (SSNs: nine digits, or
    # 3-2-4 with one separator, not glued to more digits): the windows of the runs without one are not searched
    run_shapes: tuple[bytes, ...] = ()
    # a named group at a candidate's end: a candidate that fails validation is tried once more without it (a card
    # followed by a CVV, "4111 1111 1111 1111 123")
    retry_without: str | None = None
    # (digit_runs) the longest run a text needs for the scanner to call this detector, when it is less than
    # ``min_run`` (0: ``min_run``): a card wrapped at a line's end is two runs, the longer of 9+ characters
    scan_run: int = 0
    _context_re: re.Pattern[str] | None = field(default=None, init=False, repr=False, compare=False)
    _group: str | int = field(default=0, init=False, repr=False, compare=False)  # the finding's group
    _plain: bool = field(default=False, init=False, repr=False, compare=False)
    _run_shape: re.Pattern[bytes] | None = field(default=None, init=False, repr=False, compare=False)  # run_shapes
    # (digit_runs) what :meth:`windows` reads: min_run, run_mark's character and count, glued, min_digits, run_shapes
    _window_key: tuple[int, str, int, str, int, tuple[bytes, ...]] = field(
        default=(2, "", 0, "", 0, ()), init=False, repr=False, compare=False
    )
    _window_id: int = field(default=0, init=False, repr=False, compare=False)  # one per distinct _window_key

    def __post_init__(self) -> None:
        object.__setattr__(self, "_group", "value" if "value" in self.pattern.groupindex else 0)
        # (spans is this class's and a validator is set: findings may read the windows' candidates itself)
        object.__setattr__(self, "_plain", type(self).spans is Detector.spans and self.validate is not None)
        mark, times = self.run_mark or ("", 0)
        key = (self.min_run, mark, times, self.glued, self.min_digits, self.run_shapes)
        object.__setattr__(self, "_window_key", key)
        object.__setattr__(self, "_window_id", _WINDOW_IDS.setdefault(key, len(_WINDOW_IDS)))
        if self.run_shapes:  # (one search per run, not one per shape)
            object.__setattr__(
                self, "_run_shape", re.compile(b"|".join(b"(?:%s)" % shape for shape in self.run_shapes))
            )
        if self.secret:
            SECRET_KINDS.add(self.type)
        if self.context:
            words = "|".join(re.escape(word) for word in self.context)
            object.__setattr__(self, "_context_re", re.compile(rf"(?<![a-z0-9])(?:{words})", re.IGNORECASE))

    def windows(self, text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The stretches of ``text`` around its ``runs`` that may hold a candidate, overlapping ones merged.

        A run may hold one when it has ``min_run`` characters or more (and ``run_mark``, and ``min_digits``
        digits). A run that may not can be cut at a window's end: it holds no candidate, cut or not. Empty
        when every run that may is digits alone right after a ``glued`` character (``#W2378156``): no
        candidate starts in such a run nor in the characters before it, so the text holds none (an order id
        is no phone number). Given :class:`Runs`, the windows are kept on them for the next detector.
        """
        if type(runs) is Runs:  # (computed once per text and kind of window)
            known = runs.windows
            found = known.get(self._window_id)
            if found is not None:
                return found
            zeros = runs.zeros or None
        else:
            known = None
            zeros = None
        need, mark, times, glued, digits, shapes = self._window_key
        if zeros is None:
            shapes = ()  # (without the runs' bytes every run that may hold one by its digits is searched)
        live = not glued  # (a run that is not glued digits was met)
        out: list[tuple[int, int]] = []
        first = high = -1  # (the window being made)
        if known is not None and need >= LONG_RUN:  # (only runs this long may hold a candidate: the shared few)
            runs = runs.long  # type: ignore[attr-defined]
        elif len(runs) > 4:
            runs = [run for run in runs if run[1] - run[0] >= need]
        rest = -1
        if len(runs) > WINDOW_BUDGET:  # (a hostile text of many runs: the rest in one window, no step per run)
            rest = runs[WINDOW_BUDGET][0]
            runs = runs[:WINDOW_BUDGET]
        for start, end in runs:
            if end - start < need or (times and text.count(mark, start, end) < times):
                continue
            if shapes:
                if self._run_shape.search(zeros, start, end) is None:  # type: ignore[union-attr,arg-type]
                    continue
            elif (
                digits
                and (zeros.count(48, start, end) if zeros is not None else len(digits_of(text[start:end]))) < digits
            ):
                continue
            if not live and not (start and text[start - 1] in glued and text[start:end].isdigit()):
                live = True
            low = start - RUN_BEFORE if start > RUN_BEFORE else 0
            if low > high:  # (a window of its own: the one before is complete; else the window grows)
                if high >= 0:
                    out.append((first, high))
                first = low
            high = end + RUN_AFTER
        if rest != -1:  # (the rest of the text from the first run past the budget: one window)
            low = rest - RUN_BEFORE if rest > RUN_BEFORE else 0
            if low > high:
                if high >= 0:
                    out.append((first, high))
                first = low
            high = len(text)
            live = True  # (the pattern's look-behind refuses glued digits itself)
        if not live:
            out = []
        elif high >= 0:
            out.append((first, high))
        if known is not None:
            known[self._window_id] = out
        return out

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Candidate spans of ``text`` that pass validation (before context scoring).

        ``runs``: the text's digit runs (``DIGIT_RUNS``), for a ``candidates_from="digit_runs"`` detector: the
        pattern is run only in the windows around them (:meth:`windows`).
        At most VALIDATION_BUDGET candidates per text are validated; past that (a hostile text holding
        thousands of candidates) they are findings on their shape alone: more redaction, never a miss,
        and the time stays linear.
        """
        windows = [(0, len(text))] if runs is None else self.windows(text, runs)
        if self.validate is not None:
            return self._validated(text, windows)
        group = self._group
        finditer = self.pattern.finditer
        return [match.span(group) for low, high in windows for match in finditer(text, low, high)]

    def _validated(self, text: str, windows: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """:meth:`spans` of the candidates in ``windows`` that pass validation (past the budget: all of them)."""
        group = self._group
        validate = self.validate
        assert validate is not None
        finditer = self.pattern.finditer
        retry = self.retry_without
        found: list[tuple[int, int]] = []
        checked = 0
        for low, high in windows:
            matches = finditer(text, low, high)
            if checked < VALIDATION_BUDGET:
                for match in matches:
                    checked += 1
                    if validate(match.group(group)):
                        found.append(match.span(group))
                    elif retry is not None:
                        cut = match.start(retry)
                        if cut != -1 and validate(text[match.start(group) : cut]):
                            found.append((match.start(group), cut))
                    if checked == VALIDATION_BUDGET:
                        break
                else:  # (the window's candidates all validated)
                    continue
            # (past the budget, a hostile text: the rest on shape alone, in one comprehension, no step in Python each)
            found += [match.span(group) for match in matches]
        return found

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every finding in ``text`` (score at or above MIN_SCORE); ``runs``: see spans."""
        hints = self.hints
        if hints:
            for hint in hints:
                if hint in text:
                    break
            else:
                return []
        score = self.score
        if runs is not None:
            windows = self.windows(text, runs)
            if not windows:
                return []  # (no run may hold a candidate)
            if self._plain and score >= MIN_SCORE:  # (spans, without finding the windows again)
                spans = self._validated(text, windows)
                return [(score, start, end) for start, end in spans if start != end] if spans else []
        if score < MIN_SCORE and self._context_re is None:
            return []
        spans = self.spans(text, runs)
        if not spans:  # (most texts: no list built)
            return []
        if score >= MIN_SCORE:
            return [(score, start, end) for start, end in spans if start != end]
        context = self._context_re
        assert context is not None
        boosted = score + CONTEXT_BOOST
        return [
            (boosted, start, end)
            for start, end in spans
            if start != end and context.search(text, max(0, start - CONTEXT_WINDOW), start) is not None
        ]


# --- tables ----------------------------------------------------------------------------------------

TABLE_DELIMITERS = ("|", "\t", ",", ";")  # (markdown, TSV, CSV, and the semicolon CSV of locales with a decimal comma)
# a delimiter on two lines in a row (a table's header and a row: no table without them): from a line's last one, the
# next line up to its first (each character read at most twice: linear on a line of thousands of delimiters)
ROWS_OF = {
    delimiter: re.compile(
        f"{re.escape(delimiter)}[^\\n{re.escape(delimiter)}]*+\\n[^\\n{re.escape(delimiter)}]*+{re.escape(delimiter)}"
    ).search
    for delimiter in TABLE_DELIMITERS
}

_HEADER_REACH = 50  # lines read back for a table's header
_LINE_REACH = 4096  # characters of a line read (a longer line is read as its last or first 4,096)
_SQL_REACH = 2000  # characters read back for a SQL INSERT's column list
_CELL_STRIP = " \t\r\"'`*"


def column_header(text: str, start: int, end: int) -> str:
    """The header of the column the value at ``start:end`` of ``text`` is in, lower case; "" when it is in none.

    A table: lines of as many of one delimiter (``|``, tab, ``,``, ``;``: the first of them the value's line holds),
    whose first line (at most 50 lines up) is the header, and the value's line one below it; a markdown table's
    ``|---|`` line is one of them. A SQL ``INSERT INTO t (a, b) VALUES (..., ...)``: the name in the column list at the
    value's place in its row.
    """
    reach = start - _LINE_REACH if start > _LINE_REACH else 0
    line_start = text.rfind("\n", reach, start) + 1 or reach
    line_end = text.find("\n", end, end + _LINE_REACH)
    if line_end == -1:
        line_end = min(len(text), end + _LINE_REACH)
    header = _sql_column(text, line_start, start)
    if header is not None:
        return header
    if not line_start:  # (the text's first line: no line above it, no header)
        return ""
    for delimiter in TABLE_DELIMITERS:
        if text.find(delimiter, line_start, line_end) != -1:
            break
    else:
        return ""
    count = text.count(delimiter, line_start, line_end)
    top = line_start
    for _ in range(_HEADER_REACH):
        if top == 0:
            break
        reach = top - 1 - _LINE_REACH if top > _LINE_REACH else 0
        above = text.rfind("\n", reach, top - 1) + 1
        if (not above and reach) or text.count(delimiter, above, top - 1) != count:  # (a longer line: no table's)
            break
        top = above
    if top == line_start:  # (no line above it of the table: no header)
        return ""
    cells = text[top : text.find("\n", top, line_start)].split(delimiter)
    column = text.count(delimiter, line_start, start)
    return cells[column].strip(_CELL_STRIP).lower() if column < len(cells) else ""


def _sql_column(text: str, line_start: int, start: int) -> str | None:
    """The column of a SQL INSERT's list the value at ``start`` is given for (see column_header); None: no INSERT."""
    low = start - _SQL_REACH if start > _SQL_REACH else 0
    if text.rfind("(", low, start) == -1:  # (most values: no copy of the text before them)
        return None
    if text.find("alues", low, start) == -1 and text.find("ALUES", low, start) == -1:  # (no "VALUES" in any case)
        return None
    values = max(text.rfind("VALUES", low, start), text.rfind("values", low, start), text.rfind("Values", low, start))
    if values == -1:
        return None
    before = text[low:start]
    values -= low
    row = before.rfind("(")
    names_end = before.rfind(")", 0, values)
    names_start = before.rfind("(", 0, names_end)
    if row < values or names_end == -1 or names_start == -1 or before[names_end + 1 : values].strip():
        return None
    # (the commas between the row's "(" and the value, outside quotes)
    column = 0
    quote = ""
    for char in before[row + 1 :]:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == ",":
            column += 1
    names = before[names_start + 1 : names_end].split(",")
    return names[column].strip(_CELL_STRIP).lower() if column < len(names) else ""


# --- validators ----------------------------------------------------------------------------------

_LUHN_DOUBLED = bytes.maketrans(b"0123456789", b"0246813579")  # a digit doubled, minus 9 when over 9


_NON_DIGITS = re.compile(r"[^0-9]+")


def digits_of(value: str) -> str:
    """The ASCII digits of ``value``, in order."""
    return value if value.isdigit() and value.isascii() else _NON_DIGITS.sub("", value)


_MASK_CHARS = "*•·xX#- "


def masked(value: str) -> bool:
    """True for a value of mask characters only (``********``, ``xxxx``, empty): a placeholder, not a secret."""
    return not value.strip(_MASK_CHARS)


def placeholder_digits(digits: str) -> bool:
    """True for digit strings no person has: empty, or one digit repeated (``0000``, ``111111111``)."""
    return not digits or digits.count(digits[0]) == len(digits)


def luhn_ok(value: str) -> bool:
    """The digits of ``value`` pass the Luhn checksum (and are not one repeated digit)."""
    digits = digits_of(value)
    if placeholder_digits(digits):
        return False
    codes = digits.encode("ascii")
    return (sum(codes[-1::-2]) + sum(codes[-2::-2].translate(_LUHN_DOUBLED)) - 48 * len(codes)) % 10 == 0


def gs1_ok(digits: str) -> bool:
    """The last of ``digits`` is their GS1 check digit (EAN-13, UPC-A, EAN-8, ISBN-13).

    Weights 1 and 3 alternate from the right, the check digit's 1.
    """
    return sum(int(digit) * (3 if index % 2 else 1) for index, digit in enumerate(reversed(digits))) % 10 == 0


# IBAN length per country (ISO 13616 registry).
IBAN_LENGTHS: dict[str, int] = {
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


_NOT_ASCII_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def _compact(value: str) -> str:
    """The ASCII letters and digits of ``value.upper()``, in order."""
    upper = value.upper()
    return upper if upper.isalnum() and upper.isascii() else _NOT_ASCII_ALNUM.sub("", upper)


def mod97_ok(value: str) -> bool:
    """ISO 7064 mod 97-10 (IBAN): letters as 10..35, the first four characters moved to the end, == 1 mod 97."""
    compact = _compact(value)
    if len(compact) < 5 or placeholder_digits(digits_of(compact[4:])):
        return False
    rearranged = compact[4:] + compact[:4]
    return int(rearranged.translate(_IBAN_LETTER_VALUES)) % 97 == 1


def iban_ok(value: str) -> bool:
    """A known country code, that country's IBAN length, and the mod-97 check."""
    compact = _compact(value)
    return IBAN_LENGTHS.get(compact[:2]) == len(compact) and mod97_ok(compact)


def ssn_ok(area: str, group: str | None = None, serial: str | None = None) -> bool:
    """US SSN validity (SSA rules): area not 000/666/9xx, group not 00, serial not 0000, not one repeated digit.

    Called with one argument, that is the whole SSN (any separators).
    """
    if group is None or serial is None:
        digits = digits_of(area)
        if len(digits) != 9:
            return False
        area, group, serial = digits[:3], digits[3:5], digits[5:]
    return (
        area != "000"
        and area != "666"
        and area[0] != "9"
        and group != "00"
        and serial != "0000"
        and not placeholder_digits(area + group + serial)
    )


def not_placeholder(value: str) -> bool:
    """The value's digits are not one repeated digit (and it has digits)."""
    return not placeholder_digits(digits_of(value))


def shannon_entropy(text: str) -> float:
    """Shannon entropy of ``text`` in bits per character."""
    if not text:
        return 0.0
    size = len(text)
    return -sum(n / size * log2(n / size) for n in Counter(text).values())


# validators a policy may name for a custom detector
VALIDATORS: dict[str, Callable[[str], bool]] = {
    "luhn": luhn_ok,
    "mod97": mod97_ok,
    "iban": iban_ok,
    "ssn": ssn_ok,
    "not_placeholder": not_placeholder,
    "none": lambda value: True,
}


__all__ = [
    "CONTEXT_BOOST",
    "DIGIT_RUNS",
    "Detector",
    "Finding",
    "IBAN_LENGTHS",
    "MIN_SCORE",
    "VALIDATORS",
    "ROWS_OF",
    "TABLE_DELIMITERS",
    "WORD_CHARS",
    "column_header",
    "digits_of",
    "iban_ok",
    "luhn_ok",
    "mod97_ok",
    "not_placeholder",
    "placeholder_digits",
    "shannon_entropy",
    "ssn_ok",
    "digit_runs",
    "Runs",
]
