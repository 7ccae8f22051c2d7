r"""Text normalisation for detection, with a map back to the original offsets.

Detectors read a normalised copy of the text and redaction replaces the span of the ORIGINAL text:

* NFKC per character (full-width ``＠`` and digits, ligatures, NBSP -> space, ...);
* format characters (Unicode category ``Cf``: zero-width space / joiners, soft hyphen, word joiner,
  BOM, bidi controls) removed;
* decimal digits of any script as ASCII digits, dashes (category ``Pd``) as ``-``;
* a URL's percent-escapes of the characters e-mail addresses and phone numbers are written with (``%40`` ``@``,
  ``%2B`` ``+``, ``%20`` space, ``%2E`` ``.``, ``%2D`` ``-``, ``%28`` ``(``, ``%29`` ``)``, either case) as those
  characters, and in a text holding one, a ``+`` between digits as a space (form encoding:
  ``phone=%2B1+415+555+2671``); a span that holds an escape maps back to all three characters;
* escapes of machine text: JSON's ``\uXXXX`` and C's ``\xHH`` of such characters, JSON's ``\/``, ``\n``, ``\t``,
  ``\r``, HTML's ``&#64;`` / ``&#x40;`` / ``&nbsp;`` ... (see ``_BACKSLASH_FORMS``, ``_REFERENCE_FORMS``), mapped back to
  the whole escape as a percent-escape is;
* dashes (hyphen, en dash, minus sign) with one space either side, two or more in a chain of digit groups, as ``-``
  (``536 - 22 - 8714``, ``(415) - 555 - 0134``; one alone separates two values or a range and stays), each mapped
  back to all three characters;
* for the ``sensitive_terms`` rule only (``confusables=True``): Cyrillic and Greek letters that look
  like Latin ones as those Latin letters (``Cyrillic а`` -> ``a``);
* a value written in pieces or in escapes of any of its characters (round redact16, see the section "values written
  in pieces" below): every escape of a letter or digit, markdown's marks, a string concatenation, a quoted-printable
  soft line break, combining marks after an ASCII character, look-alike letters next to ASCII ones.

Cost: an ASCII text without a ``%``, ``\``, ``&``, ``=``, ``+``, ``*``, backtick, ``~`` or `` - `` is returned as it is (no
copy, no map), and so is a text none of
whose characters changes (one C pass of a class of every character normalisation changes, built on first use; ~1 us
per 200 characters of any script).
Otherwise the characters that change are looked up in a cached per-character table and recorded as
sparse "spots" (the offset map): linear in the text. A text of thousands of characters that change, each to
one character (full-width or other digits, NBSP between digits), is translated whole at C speed, without a map; one of
thousands deleted or made two or more (zero-width characters, ligatures) or of thousands of escapes gets a map built by
C passes and listed a block at a time when read (:class:`_Kept`). The searches start with the class of the characters
they look for, so the regex engine skips the others in C (round norm20: the hostile 100 KB texts 0.2-6 ms, but a text of
look-alike letters holding one next to an ASCII letter, 10-15 ms: each letter is a place the join's pattern is tried).
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable
from itertools import accumulate, chain, compress, repeat
from typing import NamedTuple

# Latin look-alikes (Unicode confusables.txt, the letters of the Cyrillic and Greek scripts that are
# drawn like a Latin letter): a terms list names a project, a scrambled spelling must still match it
_CONFUSABLES = {
    # Cyrillic lower case
    "а": "a", "в": "b", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j", "к": "k", "м": "m",
    "н": "h", "о": "o", "р": "p", "с": "c", "ѕ": "s", "т": "t", "у": "y", "х": "x", "ԁ": "d", "ԛ": "q",
    "ԝ": "w", "ɡ": "g", "ӏ": "l",
    # Cyrillic upper case
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "І": "I", "Ї": "I", "Ј": "J", "К": "K", "М": "M", "Н": "H",
    "О": "O", "Р": "P", "С": "C", "Ѕ": "S", "Т": "T", "У": "Y", "Х": "X", "Ԁ": "D", "Ԛ": "Q", "Ԝ": "W",
    "Ӏ": "I",
    # Greek
    "α": "a", "β": "b", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t", "υ": "u",
    "χ": "x", "ω": "w", "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M",
    "Ν": "N", "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}  # fmt: skip

_CONFUSABLE_TABLE = str.maketrans(_CONFUSABLES)
_TABLE_LIMIT = 65_536  # characters remembered per table (hostile text may hold many distinct ones)


def _normal_char(char: str) -> str:
    category = unicodedata.category(char)
    if category == "Cf":
        return ""
    if category == "Nd":
        return str(unicodedata.decimal(char))
    if category == "Pd":
        return "-"
    return unicodedata.normalize("NFKC", char)


class _Table(dict[int, str]):
    """``str.translate`` table: the normal form of each character met so far (computed on first use)."""

    def __init__(self, confusables: bool) -> None:
        super().__init__({code: chr(code) for code in range(128)})
        self.confusables = confusables

    def __missing__(self, code: int) -> str:
        char = chr(code)
        value = _normal_char(char)
        if self.confusables:
            value = "".join(_CONFUSABLES.get(c, c) for c in value)
        if len(self) < _TABLE_LIMIT:
            self[code] = value
        return value


_DETECT = _Table(confusables=False)
_TERMS = _Table(confusables=True)


class _Offsets:
    """The original offset of every character of a text with a few escapes decoded (see :attr:`Normalised.escapes`).

    What ``list(compress(range(len(flags)), flags)) + [len(flags)]`` holds, read by a bisect of the escapes' tails (the
    zeros of ``flags``: an escape's characters after its first) instead of a list of every offset.
    """

    __slots__ = ("removed", "starts")

    def __init__(self, flags: bytes) -> None:
        self.starts: list[int] = []  # (each tail's place in the decoded text)
        self.removed = [0]  # (the characters removed before the first tail, the second...)
        total = 0
        for tail in _TAILS.finditer(flags):
            begin, end = tail.span()
            self.starts.append(begin - total)
            total += end - begin
            self.removed.append(total)

    def __getitem__(self, offset: int) -> int:
        return offset + self.removed[bisect.bisect_right(self.starts, offset)]


_TAILS = re.compile(b"\x00+")
_FEW_TAILS = 64  # (characters of escapes' tails up to which a text's offsets are read so; more: :func:`_kept`)
_BLOCK = 1024  # (offsets listed at once by _Kept)


class _Kept:
    """The original offset of every character kept (a non-zero byte of ``flags``), and ``len(flags)`` last.

    What ``list(compress(range(len(flags)), flags)) + [len(flags)]`` holds, read by index, each block of ``_BLOCK``
    characters' offsets listed on first use: the list of every offset of a 100 KB text costs ~2.5 ms (an int object per
    character) where a text's findings read a few blocks; the kept characters before each block are counted in C.
    ``wide``: the values over 1 ``flags`` holds, each the number of normal characters its character becomes (a ligature
    2): the offset of such a character is listed that many times (see :func:`_expanding`).
    """

    __slots__ = ("blocks", "flags", "before", "wide")

    def __init__(self, flags: bytes | bytearray, wide: tuple[int, ...] = ()) -> None:
        self.flags = flags
        self.wide = wide
        size = len(flags)
        counts = [
            min(_BLOCK, size - at)
            - flags.count(0, at, at + _BLOCK)
            + sum([(width - 1) * flags.count(width, at, at + _BLOCK) for width in wide])
            for at in range(0, size, _BLOCK)
        ]
        self.before = list(accumulate(counts, initial=0))  # (the normal characters before each block, all last)
        self.blocks: dict[int, list[int]] = {}

    def __len__(self) -> int:
        return self.before[-1] + 1

    def __getitem__(self, index: int) -> int:
        before = self.before
        total = before[-1]
        if index < 0:
            index += total + 1
        if not 0 <= index < total:
            if index == total:
                return len(self.flags)
            raise IndexError(index)
        block = bisect.bisect_right(before, index) - 1
        listed = self.blocks.get(block)
        if listed is None:
            at = block * _BLOCK
            part = self.flags[at : at + _BLOCK]
            if self.wide:  # (each offset as many times as its character's normal characters)
                listed = list(chain.from_iterable(map(repeat, range(at, at + _BLOCK), part)))
            else:
                listed = list(compress(range(at, at + _BLOCK), part))
            self.blocks[block] = listed
        return listed[index - before[block]]


def _kept(flags: bytes | bytearray) -> list[int] | _Kept:
    """The original offset of every character kept (a non-zero byte of ``flags``), and ``len(flags)`` last."""
    if len(flags) > 2 * _BLOCK:
        return _Kept(flags)
    kept = list(compress(range(len(flags)), flags))
    kept.append(len(flags))
    return kept


class Normalised(NamedTuple):
    """A normalised text and, when it differs from the original, where it was changed.

    ``spots`` lists each changed stretch as ``(original start, original end, normalised start, normalised
    end, linear)``, in order; between them the two texts are equal, shifted. A linear stretch maps
    character to character (full-width letters, other digits); any other maps as a whole.
    """

    text: str
    spots: list[tuple[int, int, int, int, bool]] | None = None
    # (a text of many deleted characters, each other character unchanged or replaced by one: ``spots`` is empty and
    # this list holds the original offset of every character of ``text``, and the original length last, found at
    # C speed; see :func:`normalise`)
    kept: list[int] | _Kept | None = None
    # (a text of percent-escapes: the original offset of every character of the text with its escapes decoded, and the
    # original length last, read by index (a text of a few escapes: :class:`_Offsets`, found from their tails);
    # ``spots`` and ``kept`` then map offsets of ``text`` to that decoded text's)
    escapes: list[int] | _Offsets | _Kept | None = None

    def _locate(self, offset: int) -> tuple[int, int, int, int, bool] | None:
        spots = self.spots
        assert spots is not None
        index = bisect.bisect_right(spots, offset, key=lambda spot: spot[2]) - 1
        return spots[index] if index >= 0 else None

    def start(self, offset: int) -> int:
        """Original offset of the span that starts at ``offset`` of the normalised text."""
        if self.spots is None:
            return offset
        if self.escapes is not None:  # (each decoded character stands for its escape: the escape's first character)
            return self.escapes[self._start(offset)]
        return self._start(offset)

    def end(self, offset: int) -> int:
        """Original offset of the span that ends at ``offset`` of the normalised text."""
        if self.spots is None:
            return offset
        if self.escapes is not None:  # (no character is deleted in decoding: right before the next character's)
            return self.escapes[self._end(offset)]
        return self._end(offset)

    def _start(self, offset: int) -> int:
        kept = self.kept
        if kept is not None:  # (the offset of the character there; the end of the text after the last one)
            last = len(kept) - 1
            return kept[offset] if offset <= last else kept[last] + offset - last
        if not self.spots:  # (escapes alone: no other change)
            return offset
        spot = self._locate(offset)
        if spot is None:
            return offset
        first, last, normal_first, normal_last, linear = spot
        if offset < normal_last:  # inside a changed stretch
            return first + offset - normal_first if linear else first
        return last + offset - normal_last

    def _end(self, offset: int) -> int:
        kept = self.kept
        if kept is not None:  # (right after the character before it)
            return kept[offset - 1] + 1 if offset > 0 else 0
        if not self.spots:  # (escapes alone: no other change)
            return offset
        spot = self._locate(offset - 1) if offset > 0 else None
        if spot is None:
            return offset
        first, last, normal_first, normal_last, linear = spot
        if offset <= normal_last:  # ends inside (or at the end of) a changed stretch
            return first + offset - normal_first if linear else last
        return last + offset - normal_last


_new = tuple.__new__
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")
_NON_ASCII_CHAR = re.compile(r"[^\x00-\x7f]")
_ASCII = re.compile(r"[\x00-\x7f]+")
_MANY_CHANGES = 256
_CHANGING: re.Pattern[str] | None = None
_CHANGES: re.Pattern[str] | None = None  # one character normalisation changes


def _changing() -> re.Pattern[str]:
    """Runs of characters normalisation changes, one C pass (built on first use, ~15 ms).

    Every BMP character's normal form is compared with it; characters past the BMP are all looked up.
    """
    global _CHANGING, _CHANGES
    if _CHANGING is None:
        ranges: list[str] = []
        first = -1
        for code in range(0x80, 0x10001):
            changes = code < 0x10000 and _normal_char(chr(code)) != chr(code)
            if changes and first < 0:
                first = code
            elif not changes and first >= 0:
                ranges.append(f"{re.escape(chr(first))}-{re.escape(chr(code - 1))}")
                first = -1
        changing = "[" + "".join(ranges) + "\\U00010000-\\U0010ffff]"
        # (led by the class: the engine skips in C to a character of it, ASCII or any other that does not change, by a
        # bitmap of the BMP's and one range past it; led by any non-ASCII character, each one of another script was
        # tried in turn: 100 KB of Cyrillic 2.3 -> 0.4 ms)
        _CHANGING = re.compile(f"{changing}{changing}*")
        _CHANGES = re.compile(changing)
    return _CHANGING


def _changes() -> re.Pattern[str]:
    """One character normalisation (without confusables) changes: the class of :func:`_changing`."""
    if _CHANGES is None:
        _changing()
    assert _CHANGES is not None
    return _CHANGES


def normalise(text: str, *, confusables: bool = False) -> Normalised:
    """``text`` as detectors read it (see the module doc), with the map back to ``text``'s offsets."""
    if confusables:  # (a terms list: escapes and pieces joined too, every look-alike letter mapped)
        if (
            "%" in text
            or "\\" in text
            or "&" in text
            or (("=" in text or "+" in text or "*" in text or "`" in text or "~" in text) and _is_split(text, True))
            or (not text.isascii() and _other_piece(text))
        ):
            return _joined(text, True)
        return _normalised(text, True)
    if text.isascii():  # (the usual text: substring tests first, each a C pass)
        if "%" in text or "\\" in text or "&" in text:  # (escapes: a link's, JSON's, HTML's)
            if _is_split(text):
                return _joined(text)  # (a value in escapes of any of its characters, or written in pieces)
            return _unescaped(text) or _new(Normalised, (text, None, None, None))
        if (
            "=" in text or "+" in text or "*" in text or "`" in text or "~" in text or " - " in text or "<" in text
        ) and _is_split(text):
            return _joined(text)  # (a value written in pieces)
        return _new(Normalised, (text, None, None, None))  # (without the NamedTuple's Python __new__)
    escaped = "%" in text or "\\" in text or "&" in text
    if (
        escaped
        or "=" in text
        or "+" in text
        or "*" in text
        or "`" in text
        or "~" in text
        or " - " in text
        or "<" in text
        or " \u2013 " in text
        or " \u2212 " in text
    ) and _is_split(text):
        return _joined(text)
    # (two C passes, each of a small class the engine tests fast: a combining mark after an ASCII character or a letter
    # drawn like a Latin one next to one, then a character normalisation changes; the usual text of another script
    # holds neither piece)
    if _other_piece(text):
        return _joined(text)  # (a mark after an ASCII character, a confusable letter next to one)
    if _changes().search(text) is None:
        if not escaped:
            return _new(Normalised, (text, None, None, None))
    elif not escaped:
        return _normalised(text, False, True)
    return _unescaped(text) or _normalised(text, False)


def _unjoined(text: str, confusables: bool = False) -> Normalised:
    """:func:`normalise` of a text :func:`_joined` found nothing to join in."""
    if confusables:
        return _normalised(text, True)
    escaped = "%" in text or "\\" in text or "&" in text
    return (_unescaped(text) if escaped else None) or _normalised(text, False)


def _normalised(text: str, confusables: bool, changes: bool = False) -> Normalised:
    """:func:`normalise` but for escapes (``changes``: a character that changes was found in ``text`` already)."""
    if text.isascii():
        return _new(Normalised, (text, None, None, None))  # (the usual text: without the NamedTuple's Python __new__)
    # (the usual other text: one C pass finds no change)
    if not confusables and not changes and _changes().search(text) is None:
        return _new(Normalised, (text, None, None, None))
    table = _TERMS if confusables else _DETECT
    lookup = table.__getitem__
    # the distinct non-ASCII characters (a long text: one set of it; a short one: its ASCII runs removed, at C speed)
    # and those of them normalisation changes, each looked up once
    if len(text) <= 8192:
        distinct = set(_ASCII.sub("", text))
    else:  # (a long text of another script: only the characters of the class that changes, each found in C)
        distinct = _distinct(_NON_ASCII_CHAR, text) if confusables else _distinct_changing(text)
    changing = [char for char in distinct if lookup(ord(char)) != char]
    if not changing:  # (most texts of other scripts, accented names, curly quotes)
        return Normalised(text)
    widths = {len(lookup(ord(char))) for char in changing}
    if sum(map(text.count, changing)) > _MANY_CHANGES:
        if widths == {1}:
            # (a hostile text: thousands of full-width or other digits, NBSPs...) each character that changes becomes
            # one character, so no offset moves: the text is translated at C speed, without a map
            return Normalised(_replaced(text, changing, table))
        if widths.issubset((0, 1)):
            # (a hostile text: thousands of zero-width characters or soft hyphens) each character is deleted or becomes
            # one character: the map is the original offset of every character kept, found at C speed
            return _deleting(text, changing, table)
        # (thousands of ligatures, circled numbers, fractions... among them: each read in Python made 100 KB 15-55 ms)
        return _expanding(text, changing, table)
    if confusables:
        changed = [m.span() for m in _NON_ASCII.finditer(text)]
    else:  # the runs of characters that change (one C pass; most words of another script hold none)
        changed = [m.span() for m in _changing().finditer(text)]
    pieces: list[str] = []
    spots: list[tuple[int, int, int, int, bool]] = []
    position = 0  # in the original
    length = 0  # of the normalised text so far
    for start, end in changed:
        if start > position:
            pieces.append(text[position:start])
            length += start - position
        run = text[start:end]
        if end - start == 1:  # (the usual run, and a hostile text's: a zero-width character between digits)
            replacement = lookup(ord(run))
            if replacement != run:  # (linear: one character for one; a ligature's two map back to it as a whole)
                spots.append((start, end, length, length + len(replacement), len(replacement) == 1))
            pieces.append(replacement)
            length += len(replacement)
            position = end
            continue
        widths = set(map(len, map(lookup, map(ord, run))))  # (C iterators)
        if widths == {0} or widths == {1}:  # every character deleted, or every one replaced by one: one stretch
            replacement = run.translate(table)
            if replacement != run:
                spots.append((start, end, length, length + len(replacement), bool(replacement)))
            pieces.append(replacement)
            length += len(replacement)
        else:
            for index in range(start, end):
                char = text[index]
                replacement = lookup(ord(char))
                if replacement != char:
                    spots.append((index, index + 1, length, length + len(replacement), False))
                pieces.append(replacement)
                length += len(replacement)
        position = end
    if not spots:
        return Normalised(text)
    pieces.append(text[position:])
    return Normalised("".join(pieces), spots)


def _distinct_changing(text: str) -> set[str]:
    """The distinct characters of a long text in the class of those normalisation changes (:func:`_changes`).

    As :func:`_distinct_long`, but the search skips in C every other character: a text of another script holds few
    (a set of the whole text, ~1.5 ms for 100 KB of Russian, builds one string per character).
    """
    search = _changes().search
    found: set[str] = set()
    rest = text
    for _ in range(8):
        first = search(rest)
        if first is None:
            return found
        char = first.group()
        found.add(char)
        rest = rest.replace(char, "")
    found.update(_changes().findall(rest))
    return found


def _deleting(text: str, changing: list[str], table: _Table) -> Normalised:
    """``text`` normalised when every character that changes is deleted or becomes one character, with its map.

    The map (:attr:`Normalised.kept`) is exactly what the spots would give: a span starting at a character
    starts at that character's original offset, a span ending after one ends right after it.
    """
    lookup = table.__getitem__
    # 0 for a deleted character, non-zero for any other (a NUL of the text made 1, any other non-ASCII "?"), made in C
    # passes: the offsets of the kept ones are selected at C speed, a block at a time (see _Kept)
    deleted = [char for char in changing if not lookup(ord(char))]
    marked = text.replace("\x00", "\x01") if "\x00" in text else text
    if len(deleted) > 16:
        marked = marked.translate(dict.fromkeys(map(ord, deleted), "\x00"))
    else:
        for char in deleted:
            marked = marked.replace(char, "\x00")
    return Normalised(_replaced(text, changing, table), [], _kept(marked.encode("ascii", "replace")))


# (a character's width, 0-18, marked as U+0080 + width in _expanding: C1 controls, which normalisation keeps; read back
# from the Latin-1 bytes, any other byte as 1)
_C1 = re.compile("[\x80-\x9f]")
_WIDTHS = bytes(code - 0x80 if 0x80 <= code < 0xA0 else 1 for code in range(256))


def _expanding(text: str, changing: list[str], table: _Table) -> Normalised:
    """``text`` normalised when thousands of characters change and some become two or more, with its map.

    The map (:attr:`Normalised.kept`) is the original offset of every normal character, a ligature's two both its
    offset: a span maps back to the whole characters it was read from, as the spots of a few such characters do. Built
    from the width of every character, marked by C passes (replace, encode, translate).
    """
    lookup = table.__getitem__
    marked = text
    while (control := _C1.search(marked)) is not None:  # (the text's own C1 controls: one character each)
        marked = marked.replace(control.group(), "?")
    marks = {char: chr(0x80 + len(lookup(ord(char)))) for char in changing}
    if len(changing) > 16:
        marked = marked.translate({ord(char): mark for char, mark in marks.items()})
    else:
        for char, mark in marks.items():
            marked = marked.replace(char, mark)
    widths = marked.encode("latin-1", "replace").translate(_WIDTHS)
    wide = tuple(sorted({len(lookup(ord(char))) for char in changing} - {0, 1}))
    return Normalised(_replaced(text, changing, table), [], _Kept(widths, wide))


def _replaced(text: str, changing: list[str], table: _Table) -> str:
    """``text.translate(table)``, faster for a few kinds of character that change (one C pass each)."""
    if len(changing) > 16:
        return text.translate(table)
    lookup = table.__getitem__
    for char in changing:
        text = text.replace(char, lookup(ord(char)))
    return text


# Percent-escapes (RFC 3986) of the characters an e-mail address, a phone number or a number's separators are written
# with, read as those characters: a link's query value (``email=jane.doe%40example.com``, ``phone=%2B14155552671``,
# ``q=call%20415-555-2671``); and of a URL's own separators (``%3A``, ``%2F``, ``%3F``, ``%3D``): a link inside a
# link's query (``?next=https%3A%2F%2Fh%2F%3Ftoken%3Dghp_...``), whose key, glued to ``%3D``, no rule found. Others
# (``%26``: "&" starts an HTML escape; ``%22``...) stay as written; a double escape (``%2540``) too.
_ESCAPES = {
    "40": "@",
    "2B": "+",
    "20": " ",
    "2E": ".",
    "2D": "-",
    "28": "(",
    "29": ")",
    "3D": "=",
    "3A": ":",
    "2F": "/",
    "3F": "?",
}
# (``%22``, a quote, is none of them: the class once held a second "2", so a text with "%22" raised KeyError in scan()
# and every scrub: an agent's error quoting a URL ended the gate with a traceback printing it raw)
_ESCAPE = re.compile("%(?:40|2[089BDEFbdef]|3[ADFadf])")
_ESCAPE_FORMS = [(f"%{code}", char) for code, char in _ESCAPES.items()] + [
    (f"%{code.lower()}", char) for code, char in _ESCAPES.items() if code != code.lower()
]
_ESCAPE_CHAR = dict(_ESCAPE_FORMS)  # (each form _ESCAPE finds, as written, to its character)
_ESCAPE_ORDER = {form: index for index, (form, _) in enumerate(_ESCAPE_FORMS)}
# Escapes of machine text, read as the characters they stand for: JSON's ``\uXXXX`` and C's / Python's ``\xHH`` of the
# characters addresses, phone numbers and credential names and values are written with (``t.nguyen\u0040outlook.com``,
# .NET's ``\u002B353 1 234 5678`` and ``o\u0027brien@...``, Go's ``\u003cjane@example.com\u003e``, ``\u00a0``), JSON's
# ``\/`` (PHP: ``https:\/\/hooks.slack.com\/...``) and its line-break and tab escapes (``"id\tcard\n7\t4111..."``: the
# letter of an escape is no word the digits after it are glued to); HTML's numeric character references of ``@``,
# ``+``, ``.``, ``'`` and a no-break space (``jane&#64;example.com``, ``&#x40;``, ``&nbsp;``). A quote's escape ``\"`` stays
# as written (credential rules read ``{\"password\":\"...\"}`` as it is).
_BACKSLASH_FORMS = {
    **{f"\\u00{code}": char for code, char in (("40", "@"), ("2b", "+"), ("27", "'"), ("26", "&"), ("3c", "<"))},
    **{f"\\u00{code}": char for code, char in (("3e", ">"), ("a0", " "), ("20", " "), ("2e", "."), ("2d", "-"))},
    **{f"\\u00{code}": char for code, char in (("28", "("), ("29", ")"), ("3a", ":"), ("3d", "="))},
    **{"\\x40": "@", "\\x2b": "+", "\\x27": "'", "\\/": "/", "\\n": "\n", "\\t": "\t", "\\r": "\r"},
}
_REFERENCE_FORMS = {
    **{"&#64;": "@", "&#064;": "@", "&#x40;": "@", "&#43;": "+", "&#x2b;": "+", "&#46;": ".", "&#x2e;": "."},
    **{"&#39;": "'", "&#x27;": "'", "&#160;": " ", "&#xa0;": " ", "&nbsp;": " ", "&commat;": "@"},
}
# (the forms present found by the searches below; then replaced one by one, at C speed)
_BACKSLASH_ESCAPE = r"\\(?:u00(?:40|2[bBeEdD6789]|3[aAcCdDeE]|[aA]0|20)|x(?:40|2[bB7])|[/ntr])"
_REFERENCE_ESCAPE = r"&(?:#(?:0?64|43|46|39|160|[xX](?:40|2[bBeE7]|[aA]0));|nbsp;|commat;)"
_MACHINE_ESCAPE = re.compile(f"{_BACKSLASH_ESCAPE}|{_REFERENCE_ESCAPE}")
# (each kind apart, a literal first: sre skips to it in a tight loop, to the class of both ~4x slower; no escape of one
# kind holds the other's first character, so their matches are those of _MACHINE_ESCAPE)
_BACKSLASHES, _REFERENCES = re.compile(_BACKSLASH_ESCAPE), re.compile(_REFERENCE_ESCAPE)
# (a raw "+" between digits, the one before it not an escape's: "%20+1")
_FORM_SPACE = re.compile(r"\+(?<=\d\+)(?<!%[0-9A-Fa-f]\d\+)(?=\d)")
_NUL_AS_ONE = bytes.maketrans(b"\x00", b"\x01")


def _distinct(pattern: re.Pattern[str], text: str) -> set[str]:
    """``set(pattern.findall(text))`` in a few C passes for a text of many of a few forms.

    For the escapes' patterns (100 KB of one escape) and for single non-ASCII characters (a flood of zero-width ones).

    Each pass finds one form and replaces all of it with a NUL (one C pass), as ``findall`` would find each: no match
    of these patterns overlaps another or holds a NUL, so the matches left are the text's other forms. A text of many
    forms ends with the ``findall`` of what is left (100 KB of one escape: 33,000 strings, ~3 ms, before).
    """
    found: set[str] = set()
    for _ in range(8):
        match = pattern.search(text)
        if match is None:
            return found
        form = match.group()
        found.add(form)
        text = text.replace(form, "\x00")
    found.update(pattern.findall(text))
    return found


def _unescaped(text: str) -> Normalised | None:
    """``text`` normalised with its escapes (``_ESCAPES``, ``_BACKSLASH_FORMS``, ``_REFERENCE_FORMS``) decoded.

    None when it holds none. Escapes never overlap and no decoded character starts an escape or is a hex digit, ``u``,
    ``x``, ``#``, ``;``, ``n``, ``t`` or ``r``, so replacing each form in turn (C passes: HTML's first, whose ``&`` a
    decoded ``\u0026`` would otherwise make, then the backslash escapes, then the percent-escapes) decodes exactly the
    escapes the patterns find. The map (:attr:`Normalised.escapes`) is the original offset of every character kept (an
    escape's first), found at C speed: linear, whatever the number of escapes.
    """
    # (the percent-escapes present: 3 characters from a "%", never overlapping)
    present: set[str] = _distinct(_ESCAPE, text) if "%" in text else set()
    percent = bool(present)
    forms: list[tuple[str, str]] = []
    if "\\" in text or "&" in text:
        found = _distinct(_BACKSLASHES, text) if "\\" in text else set()
        if "&" in text:
            found.update(_distinct(_REFERENCES, text))
        if found:  # (HTML's references before the backslash escapes; each form as written, its lower case looked up)
            forms = sorted(
                ((form, _REFERENCE_FORMS.get(form.lower()) or _BACKSLASH_FORMS[form.lower()]) for form in found),
                key=lambda item: item[0][0] != "&",
            )
    if not percent and not forms:
        return None
    # 0 for the characters of each escape after its first, non-zero for any other (a NUL of the text made 1)
    flags = text.encode("ascii", "replace").translate(_NUL_AS_ONE)
    if percent:
        if "+" in text:  # (form encoding writes a space as "+"; one character for one, before "%2B" is decoded)
            text = _FORM_SPACE.sub(" ", text)
        # (each form present, in the order of _ESCAPE_FORMS: a "+" made a blank is in none)
        forms += [(form, _ESCAPE_CHAR[form]) for form in sorted(present, key=_ESCAPE_ORDER.__getitem__)]
    for form, char in forms:
        if form in text:
            text = text.replace(form, char)
            flags = flags.replace(form.encode(), form[:1].encode() + b"\x00" * (len(form) - 1))
    escapes: list[int] | _Offsets | _Kept
    if flags.count(0) <= _FEW_TAILS:  # (a few escapes: their tails, not a list of every offset)
        escapes = _Offsets(flags)
    else:
        escapes = _kept(flags)
    inner = _normalised(text, False)  # (the other characters that change; escapes are not read twice)
    return _new(Normalised, (inner.text, [] if inner.spots is None else inner.spots, inner.kept, escapes))


# --- values written in pieces, or in escapes of any of their characters -----------------------------------------------
#
# What a reader (or a browser, a JSON parser, a mail client) turns back into the value, decoded in one pass:
# * escapes of any character, whatever the escape's case: JSON's ``\u0034`` (and a surrogate pair's two), C's
#   ``\x34`` (their backslash escaped again too: ``\\u0040`` in a repr or in JSON inside JSON), HTML's ``&#52;`` /
#   ``&#x34;`` / named references (``&period;``); a URL's escapes of a letter, a digit or ``_`` (``%34``) and its UTF-8
#   sequences of a non-ASCII character (``%EF%BC%A0``, a full-width ``@``), besides the forms of ``_ESCAPES`` (a URL's
#   other escapes stay as written: ``%2F``, ``%3A``, a double escape ``%2540``);
# * quoted-printable: a soft line break (``=`` at the end of a line, inside a word) removed, ``=40`` between an
#   address's local part and a domain as ``@`` (``jane.doe=40example.com``; ``card=4000...``, ``id=40ab`` stay);
# * markdown's emphasis and code marks (one to three ``*`` or backticks, one or two ``~``) between a letter or digit
#   and another character removed (``**4111** 1111 ...``, ```4111`` 1111 ...``), and ``**``, ``~~`` or backticks
#   inside a word (``**AKIA**ZQ7X...``); a mask's runs of stars (``e******.com``, ``****1111``) stay;
# * a JSON / JavaScript string concatenation (``"4111 1111" + " 1111 1111"``) removed;
# * HTML's inline tags between digits (``4111</b> 1111 1111 1111``, ``4111 <b>1111</b> ...``) removed (see _TAG_PIECE);
# * combining marks (categories Mn, Me) after an ASCII character removed (``4\u0301``);
# * Cyrillic and Greek letters drawn like Latin ones (``_CONFUSABLES``) in a run touching an ASCII letter, digit,
#   ``_`` or ``-`` as those Latin letters (``\u0455k_live_...``, ``\u0410KIA...``): a word of one script stays as is.
# The map back (:attr:`Normalised.escapes`) is the original offset of each character kept (a decoded character: its
# escape's first), so a finding's span covers the escapes and marks inside it. Linear: one regex pass.
_WORD = "A-Za-z0-9_\\-"
# the pieces of ASCII text, each pattern led by its trigger character (sre skips to it at C speed)
_REFERENCE_PIECE = r"&(?:#(?:[0-9]{1,7}|[xX][0-9a-fA-F]{1,6})|[A-Za-z][A-Za-z0-9]{1,31});"
# (an escape's backslash escaped again, as a repr() or a JSON string of JSON writes it: ``\\u0040``, read as ``@``)
_BACKSLASH_PIECE = r"\\+(?:u[dD][89abAB][0-9a-fA-F]{2}\\+u[dD][c-fC-F][0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|x[0-9a-fA-F]{2})"
_PERCENT_PIECE = r"%(?:[c-fC-F][0-9a-fA-F](?:%[89abAB][0-9a-fA-F]){1,3}|3[0-9]|[46][1-9a-fA-F]|[57][0-9aA]|5[fF])"
_EQUALS_ALTERNATIVES = [
    r"=(?<=[A-Za-z0-9._@+ -]=)\r?\n(?=[A-Za-z0-9._@+-])",
    r"=(?<=[A-Za-z0-9._]=)40(?=[A-Za-z0-9](?:[A-Za-z0-9-]|=\r?\n)*\.[A-Za-z])",
]
_EQUALS_PIECE = "|".join(_EQUALS_ALTERNATIVES)


def _marker_alternatives() -> list[str]:
    """Markdown's marks next to a letter or digit, each alternative led by its mark (sre skips to it).

    A run of one to three ``*`` or backticks, or one or two ``~``, whole, with a letter or digit on one side at least
    (``**4111** 1111``, ``**AKIA**ZQ7X...``, ``**jane.doe**@example.com``). A mask's longer runs are none
    (``e******.com``, ``****1111``). What a run is read as depends on its neighbours: see :func:`_mark_read`.
    """
    alternatives: list[str] = []
    for mark, longest in (("\\*", 3), ("`", 3), ("~", 2)):
        for count in range(longest, 0, -1):
            run = mark * count
            alternatives.append(f"{run}(?<![*`~]{run})(?![*`~])(?:(?<=[A-Za-z0-9]{run})|(?=[A-Za-z0-9]))")
    return alternatives


_DIGITS = "0123456789"
# (the kinds of the characters either side of a run of marks that one value holds together: "a" a letter, "0" a digit)
_JOINS = frozenset(
    [("a", "a"), ("0", "0"), ("_", "a"), ("_", "0"), ("a", "_"), ("0", "_"), ("a", "@"), ("0", "@"), ("@", "a")]
    + [("@", "0"), ("a", "."), ("0", "."), (".", "a")]
)


def _kind(char: str) -> str:
    return "a" if char.isalpha() and char.isascii() else "0" if char in _DIGITS else "_" if char in "_-" else char


def _mark_read(before: str, after: str) -> str | None:
    """A run of markdown's marks or a string concatenation between ``before`` (two characters) and ``after`` (one).

    Removed next to a blank or an end, and between two characters of one value (two letters, two digits, a letter or
    digit and ``_``, ``-``, ``@`` or ``.``, a digit's ``.`` and a digit: ``**AKIA**ZQ7X``, ``jane**@``, ``ghp_**16``,
    ``10.**1**.2.3``). Between others it stays as written (None), so that it does not glue a value to a word
    (``Card**4111 1111...``, ``Tel.**415-555-2671**``) or cut a password in two (``AzSpSecret~9x.Q``).
    """
    last, first = before[-1:], after[:1]
    if not last or not first or last.isspace() or first.isspace():
        return ""
    pair = (_kind(last), _kind(first))
    if pair in _JOINS or (pair == (".", "0") and before[-2:-1] in _DIGITS and before[-2:-1] != ""):
        return ""
    return None


_MARKER_ALTERNATIVES = _marker_alternatives()
_MARKER_PIECE = "|".join(_MARKER_ALTERNATIVES)
_CONCAT_PIECE = r"[\"'] ?\+ ?[\"']"
# HTML's inline tags (``<b>``, ``</span>``, ``<font color="red">``; up to four in a row) between two digits, or a digit and
# a blank, ``-`` or ``.`` and a digit (``4111</b> 1111 1111 1111``, ``4111 <b>1111</b>``, ``<b>415</b>-555-2671``):
# read as markdown's marks are (see _mark_read: removed next to a blank, between two digits, a digit and ``-`` or
# ``.``), so a number split by its markup is read as it is shown; a block's tags (``</td><td>``, ``<br>``, ``</p>``)
# and tags next to a letter stay as written
_INLINE_TAG = (
    r"/?(?i:b|i|u|s|em|strong|span|code|mark|small|big|sub|sup|del|ins|font|tt|kbd|samp|var|abbr|a)"
    r"(?:[ \t][^<>]{0,100})?>"
)
_TAG_PIECE = rf"<(?:(?<=[0-9]<)|(?<=[0-9][ .\-]<)){_INLINE_TAG}(?:<{_INLINE_TAG}){{0,3}}(?=[ .\-]?[0-9])"
# dashes written loosely between digit groups, one space either side, two or more in a row ("SSN: 536 - 22 - 8714",
# "+49 - 30 - 1234567", "(415) - 555 - 0134"; a hyphen, an en dash or a minus sign): the chain is read with "-", so
# every number detector reads the number as written with dashes. One such dash alone stays as written: it separates
# two values or a range ("0171 1234567 - 0171 7654321", "536-22-8714 - 219-09-9999", "pp. 1234 - 1256"). A chain of
# more than _CHAIN_MAX characters (no value's, a hostile text's) stays as written. The gate, _SPACED_DASH_SPLIT, is
# searched only in a text holding " - " (or " \u2013 " / " \u2212 " in a text of other characters).
_LOOSE_DASHES = "\\-\u2013\u2212"
_CHAIN_MAX = 64
_CHAIN_FIRST = frozenset("0123456789(")
# (led by a group's first character, a digit after no digit or a "(", a class the engine skips to; possessive: each
# chain read once)
_SPACED_DASH_PIECE = (
    r"[0-9(](?<![0-9][0-9(])(?:(?<=\()[0-9]++|(?<=[0-9])[0-9]*+)\)?"
    rf"(?: [{_LOOSE_DASHES}] \(?[0-9]++\)?){{2,}}+"
)
_LOOSE_DASH = re.compile(f" [{_LOOSE_DASHES}] ")
_SPACED_DASH_SPLIT = re.compile(
    f"[{_LOOSE_DASHES}](?<=[0-9)] [{_LOOSE_DASHES}])(?= \\(?[0-9]++\\)? [{_LOOSE_DASHES}] [0-9(])"
).search
_REFERENCE_SPLIT = re.compile(_REFERENCE_PIECE).search
_BACKSLASH_SPLIT = re.compile(_BACKSLASH_PIECE).search
_PERCENT_SPLIT = re.compile(_PERCENT_PIECE).search
_EQUALS_SPLIT = re.compile(_EQUALS_PIECE).search
# (the gates of the marks and of a concatenation: a text is read by _joined for them only where one may split a value,
# between two characters a value holds ("**AKIA**ZQ7X", "jane**@", "10.**1**.2", "'4111 ' + '1111'") or between digits
# across one blank ("**4111** 1111", "4111 **1111**"); the usual markdown of a reply, "**Order #W2378156** has ...",
# "- **Email:** ...", "`credit_card_4421`.", is read as written, as on main, and costs no join)
_MARKER_SPLIT = re.compile(
    r"[*`~](?:(?<=[A-Za-z0-9_@.\-][*`~])[*`~]{0,2}(?=[A-Za-z0-9_@\-]|\.[A-Za-z0-9])"
    r"|(?<=[0-9][*`~])[*`~]{0,2} [*`~]{0,3}[0-9]|(?<=[0-9] [*`~])[*`~]{0,2}[0-9])"
).search
_TAG_SPLIT = re.compile(_TAG_PIECE).search
_CONCAT_SPLIT = re.compile(
    r"\+(?:(?<=[A-Za-z0-9_@.\- ][\"']\+)|(?<=[A-Za-z0-9_@.\- ][\"'] \+))(?= ?[\"'][A-Za-z0-9_@.\- ])"
).search
_OTHER_SPLIT: Callable[..., re.Match[str] | None] | None = None
_OTHER_SCAN: Callable[..., re.Match[str] | None] | None = None
_SPLIT_ALL: re.Pattern[str] | None = None
_SPLIT_UNDASHED: re.Pattern[str] | None = None  # (_SPLIT_ALL without the chains of loose dashes: a text holding none)
# (_SPLIT_ALL and _SPLIT_UNDASHED without the non-ASCII pieces: a text holding none, its marks and look-alikes skipped in
# C; and the search of a mark after an ASCII character, which those pieces hold besides _OTHER_SPLIT's)
_SPLIT_ASCII: re.Pattern[str] | None = None
_SPLIT_ASCII_UNDASHED: re.Pattern[str] | None = None
_MARK_AFTER_ASCII: Callable[..., re.Match[str] | None] | None = None
_NAMED: dict[str, str] | None = None


# (a terms list's gates: any mark next to a letter or digit, any concatenation: "**Project** Falcon" is a term's)
_MARKER_ANY = re.compile(_MARKER_PIECE).search
_CONCAT_ANY = re.compile(r"\+(?:(?<=[\"']\+)|(?<=[\"'] \+))(?= ?[\"'])").search  # (led by the "+")


def _is_split(text: str, terms: bool = False) -> bool:
    """True when ``text`` holds an ASCII piece :func:`_joined` changes (each search only after its character).

    ``terms``: a terms list's text, whose words a mark or a concatenation may split anywhere (see _MARKER_ANY).
    """
    return bool(
        ("&" in text and _REFERENCE_SPLIT(text))
        or ("\\" in text and _BACKSLASH_SPLIT(text))
        or ("%" in text and _PERCENT_SPLIT(text))
        or ("=" in text and _EQUALS_SPLIT(text))
        or (("*" in text or "`" in text or "~" in text) and (_MARKER_ANY if terms else _MARKER_SPLIT)(text))
        or ("+" in text and (_CONCAT_ANY if terms else _CONCAT_SPLIT)(text))
        or ("<" in text and _TAG_SPLIT(text))
        or (not terms and (" - " in text or " \u2013 " in text or " \u2212 " in text) and _SPACED_DASH_SPLIT(text))
    )


# the combining marks of the diacritical blocks (the marks an ASCII character takes: U+0300-036F, U+1AB0-1AFF,
# U+1DC0-1DFF, U+20D0-20FF, U+FE20-FE2F)
_DIACRITICS = "\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f"


# the planes that hold combining marks: the basic and supplementary multilingual planes and the special-purpose one
# (variation selectors U+E0100-E01EF); planes 2-13 hold ideographs or nothing, 15-16 private use (one pass over the
# 0.2 M code points instead of 1.1 M: ~40 ms once instead of ~250 ms; the test compares it with every code point)
MARK_PLANES = ((0x300, 0x20000), (0xE0000, 0xF0000))


def _marks(planes: tuple[tuple[int, int], ...] = MARK_PLANES) -> str:
    """A class body of every combining mark (categories Mn and Me) in ``planes``; built on first use."""
    ranges: list[str] = []
    for start, stop in planes:
        first = -1
        for code in range(start, stop + 1):
            mark = code < stop and unicodedata.category(chr(code)) in ("Mn", "Me")
            if mark and first < 0:
                first = code
            elif not mark and first >= 0:
                ranges.append(f"{re.escape(chr(first))}-{re.escape(chr(code - 1))}")
                first = -1
    return "".join(ranges)


def _led(groups: list[tuple[str, list[str]]]) -> re.Pattern[str]:
    """The alternation of ``groups``' patterns, each group's led by a character of its class (given without it).

    Compiled as ``[every lead](?:(?<=[lead 1])(?:rest|rest)|(?<=[lead 2])...)``: a pattern that starts with one class
    is searched with the engine skipping in C to a character of it, where an alternation of patterns led by classes is
    tried at every character (100 KB of ordinary text in a terms list's join ~7 ms, now ~1). The same matches: the
    leads are disjoint, each group's patterns in their order.
    """
    for lead, rests in groups:  # (each pattern as written, its lead put back: a check of the slicing above)
        assert rests and all(rest for rest in rests), lead
    leads = "".join(lead for lead, _ in groups)
    body = "|".join(f"(?<=[{lead}])(?:{'|'.join(rests)})" for lead, rests in groups)
    return re.compile(f"[{leads}](?:{body})")


def _other_piece(text: str) -> bool:
    """True when ``text`` holds a non-ASCII piece :func:`_joined` changes (the search of :func:`_other_split`).

    That search tries every mark and look-alike letter in turn (~60 ns each: 100 KB of Cyrillic ``а`` 6 ms); a long text
    where they are many (``а``, ``е``, ``о``, the commonest, over one character in 16) is read instead by one match of
    :data:`_OTHER_SCAN`, which passes runs of characters in C (the same answer; 100 KB of ``а`` 0.2 ms).
    """
    search = _OTHER_SPLIT or _other_split()
    if len(text) > 8192 and (text.count("\u0430") + text.count("\u0435") + text.count("\u043e")) * 16 > len(text):
        assert _OTHER_SCAN is not None
        scanned = _OTHER_SCAN(text)
        return scanned is None or scanned.end() < len(text)
    return search(text) is not None


def _other_split() -> Callable[..., re.Match[str] | None]:
    """The search of a non-ASCII piece :func:`_joined` changes (built on first use, with :data:`_SPLIT_ALL`)."""
    global \
        _OTHER_SPLIT, \
        _OTHER_SCAN, \
        _SPLIT_ALL, \
        _SPLIT_UNDASHED, \
        _SPLIT_ASCII, \
        _SPLIT_ASCII_UNDASHED, \
        _MARK_AFTER_ASCII
    if _OTHER_SPLIT is None:
        confusable = re.escape("".join(_CONFUSABLES))
        # (every mark: the BMP's in one class, tested by a bitmap; those past it in another, tested only for a character
        # past it: one class of both tests every other character against each of their ~150 ranges, ~3x slower; it is
        # kept for a run of marks, each a mark found by the bitmap)
        bmp, past = _marks(((MARK_PLANES[0][0], 0x10000),)), _marks(((0x10000, MARK_PLANES[0][1]), MARK_PLANES[1]))
        marks = f"(?:[{bmp}]|(?=[\\U00010000-\\U0010ffff])[{past}])"
        # (a mark after an ASCII character or a look-alike letter next to one: led by a combining mark of the
        # diacritical blocks or a look-alike letter, small classes the engine tests fast; not every mark's class behind
        # every character of another script: Cyrillic text ~5 -> ~1.5 us a reply, 100 KB of "1" and a zero-width
        # character 12 -> 7 ms)
        _OTHER_SPLIT = re.compile(
            f"[{_DIACRITICS}{confusable}](?:(?<=[!-~][{_DIACRITICS}])|(?<=[{_WORD}][{confusable}])"
            f"|(?<=[{confusable}])(?=[{_WORD}]))"
        ).search
        # (the text up to the first such piece, by runs: of characters neither ASCII nor look-alike, a mark (one not
        # after an ASCII character), ASCII characters not followed by a mark nor, after a letter or digit, by a
        # look-alike, look-alike letters not followed by a letter or digit; the match ends where a piece is)
        _OTHER_SCAN = re.compile(
            f"(?:[^!-~{confusable}{_DIACRITICS}]++|[{_DIACRITICS}]"
            f"|[!-~]++(?![{_DIACRITICS}])(?:(?<![{_WORD}])|(?![{confusable}]))|[{confusable}]++(?![{_WORD}]))*+"
        ).match
        # (one alternative led by a non-ASCII character, its class checked behind it, as the ASCII pieces are led by
        # their character: the engine skips ASCII text fast. A run of look-alike letters before an ASCII one is read
        # from its first letter only, possessively: a run followed by none fails at its first letter in one pass of it,
        # not again at each of its letters, which made a 100 KB run with a piece elsewhere quadratic, ~2 minutes)
        other = (
            f"(?:(?<=[!-~]{marks})[{bmp}{past}]*|(?<=[{_WORD}][{confusable}])[{confusable}]*"
            f"|(?<=[{confusable}])(?<![{confusable}]{{2}})[{confusable}]*+(?=[{_WORD}]))"
        )
        groups = [
            ("\\\\", [_BACKSLASH_ESCAPE[2:], "\\\\*" + _BACKSLASH_PIECE[3:]]),
            ("&", [_REFERENCE_ESCAPE[1:], _REFERENCE_PIECE[1:]]),
            ("%", ["(?:40|2[0289BDEbde])", _PERCENT_PIECE[1:]]),
            ("=", [alternative[1:] for alternative in _EQUALS_ALTERNATIVES]),
            ("\\*", [alternative[2:] for alternative in _MARKER_ALTERNATIVES if alternative[0] == "\\"]),
            ("`", [alternative[1:] for alternative in _MARKER_ALTERNATIVES if alternative[0] == "`"]),
            ("~", [alternative[1:] for alternative in _MARKER_ALTERNATIVES if alternative[0] == "~"]),
            ("\\\"'", [_CONCAT_PIECE[5:]]),
            ("<", [_TAG_PIECE[1:]]),
        ]
        # (a mark or a look-alike letter, checked by each alternative; led by the BMP's marks, the look-alikes and
        # every character past the BMP: a class tested by a bitmap and one range, not one of ~150 ranges)
        others = (f"{bmp}{confusable}\\U00010000-\\U0010ffff", [other])
        # (a digit leads only a chain of loose dashes: a text without " - " is read without that group, its digits
        # skipped in C)
        dashes = ("0-9(", [_SPACED_DASH_PIECE[6:]])
        _SPLIT_ALL = _led([*groups, others, dashes])
        _SPLIT_UNDASHED = _led([*groups, others])
        _SPLIT_ASCII = _led([*groups, dashes])
        _SPLIT_ASCII_UNDASHED = _led(groups)
        _MARK_AFTER_ASCII = re.compile(f"[{bmp}\\U00010000-\\U0010ffff](?<=[!-~]{marks})").search
    return _OTHER_SPLIT


def _named(name: str) -> str | None:
    """The character of an HTML named reference (``&period;`` -> ``.``), or None."""
    global _NAMED
    if _NAMED is None:
        from html.entities import html5

        _NAMED = {key: value for key, value in html5.items() if key.endswith(";") and len(value) == 1}
    return _NAMED.get(name)


def _piece(piece: str) -> str | None:
    """What :func:`_joined` reads ``piece`` (a match of its pattern) as; None: as written."""
    first = piece[0]
    char: str | None = None
    if first == "&":
        if piece[1] == "#":
            code = int(piece[3:-1], 16) if piece[2] in "xX" else int(piece[2:-1])
            char = chr(code) if code < 0x110000 and not 0xD800 <= code < 0xE000 else None
        else:
            char = _named(piece[1:])
    elif first == "\\":
        body = piece.lstrip("\\")
        kind = body[0]
        if kind == "u" and "\\" in body:  # a surrogate pair
            high, low = int(body[1:5], 16), int(body[-4:], 16)
            char = chr(0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00))
        elif kind in "uUxX":
            code = int(body[1:], 16)
            char = chr(code) if not 0xD800 <= code < 0xE000 else None
        else:
            char = _BACKSLASH_FORMS.get(piece)
    elif first == "%":
        if len(piece) == 3:
            char = chr(int(piece[1:], 16))
        else:
            try:
                char = bytes.fromhex(piece.replace("%", "")).decode("utf-8")
            except UnicodeDecodeError:
                return None
            if len(char) != 1:
                return None
    elif first == "=":
        return "@" if piece == "=40" else ""
    elif unicodedata.category(first) in ("Mn", "Me"):
        return ""
    else:  # confusable letters next to ASCII ones
        return piece.translate(_CONFUSABLE_TABLE)  # (a C pass: a run may be 100 KB long)
    return char


def _after(text: str, end: int) -> str:
    """The character at ``end`` as read: an escape's (``**&#64;example.com``: ``@``)."""
    after = text[end : end + 1]
    if after and after in "&\\%" and _SPLIT_ALL is not None:
        escape = _SPLIT_ALL.match(text, end)
        read = _piece(escape.group()) if escape is not None and escape.group()[0] == after else None
        if read:
            return read[:1]
    return after


def _before(text: str, start: int) -> str:
    """The two characters before ``start`` as read: an escape's last (``&#64;**example``: ``@``)."""
    before = text[max(start - 2, 0) : start]
    if before[-1:] == ";" and _SPLIT_ALL is not None:
        amp = text.rfind("&", max(start - 12, 0), start)
        escape = _SPLIT_ALL.match(text, amp) if amp >= 0 else None
        if escape is not None and escape.end() == start:
            read = _piece(escape.group())
            if read:
                return read[-1:]
    return before


# a text of more pieces than this (100 KB of "`1` " holds 50,000; a reply a few) is read as without the join: its escapes
# of the characters values are written with (_unescaped), its zero-width characters and NFKC as always, at their cost
# (~1.2 us a piece read in Python made 100 KB of pieces 13-62 ms). Such a text is no reply: its values written whole
# are still found, one split in pieces past the first 1,024 is read as it was before round redact16
_PIECES_MAX = 1024


class _TooManyPieces(Exception):
    """More than _PIECES_MAX pieces in one text (see _joined)."""


def _joined(text: str, confusables: bool = False) -> Normalised:
    """``text`` normalised with its pieces joined and decoded (see above), with its map (``confusables``: terms')."""
    _other_split()
    assert _SPLIT_ALL is not None and _SPLIT_UNDASHED is not None and _MARK_AFTER_ASCII is not None
    assert _SPLIT_ASCII is not None and _SPLIT_ASCII_UNDASHED is not None
    if "+" in text and "%" in text:  # (form encoding writes a space as "+"; one character for one)
        text_in = _FORM_SPACE.sub(" ", text)
    else:
        text_in = text
    # 1 for each character kept (a decoded escape's first, each look-alike letter), 0 for the others: the map is the
    # offsets of the ones, found at C speed; each piece read once (a hostile text repeats a few)
    flags = bytearray(b"\x01") * len(text_in)
    read_as: dict[str, str] = {}
    changed = False
    pieces = 0

    def read(match: re.Match[str]) -> str:
        nonlocal changed, pieces
        pieces += 1
        if pieces > _PIECES_MAX:  # (a hostile text: read as before the join, see _PIECES_MAX)
            raise _TooManyPieces
        piece = match.group()
        if piece[0] in _CHAIN_FIRST:  # (a chain of loose dashes: each " - " as "-", kept at its first space)
            if len(piece) > _CHAIN_MAX:
                return piece
            start = match.start()
            for dash in _LOOSE_DASH.finditer(piece):
                flags[start + dash.start() + 1 : start + dash.end()] = b"\x00\x00"
            changed = True
            return _LOOSE_DASH.sub("-", piece)
        if piece[0] in "*`~\"'<":
            # (what joins two pieces, markdown's marks, a concatenation: read by its neighbours, an escape's as what
            # it stands for; a quoted-printable soft line break joins whatever it splits, as a mail client does)
            start, end = match.span()
            mark = _mark_read(_before(text_in, start), _after(text_in, end))
            value = piece if mark is None else mark
        else:
            known = read_as.get(piece)
            if known is None:
                found = _piece(piece)
                known = read_as[piece] = piece if found is None else found
            value = known
        size = len(value)
        if size != len(piece):  # (decoded to one character, or removed)
            start = match.start()
            flags[start + size : start + len(piece)] = bytes(len(piece) - size)
            changed = True
        elif value != piece:
            changed = True
        return value

    try:
        dashed = " - " in text_in or " \u2013 " in text_in or " \u2212 " in text_in
        # (the non-ASCII pieces only in a text holding one: a look-alike letter next to an ASCII letter or digit, a mark
        # after an ASCII character; else each look-alike letter of a long text was tried in turn, 100 KB ~10 ms)
        other = not text_in.isascii() and (_other_piece(text_in) or _MARK_AFTER_ASCII(text_in) is not None)
        if other:
            pattern = _SPLIT_ALL if dashed else _SPLIT_UNDASHED
        else:
            pattern = _SPLIT_ASCII if dashed else _SPLIT_ASCII_UNDASHED
        joined = pattern.sub(read, text_in)
    except _TooManyPieces:
        return _unjoined(text, confusables)
    if not changed:  # (nothing to join: an escape of a character none is read as...)
        return _unjoined(text, confusables)
    offsets = _kept(flags)
    inner = _normalised(joined, confusables)
    return _new(Normalised, (inner.text, [] if inner.spots is None else inner.spots, inner.kept, offsets))


__all__ = ["Normalised", "normalise"]
