"""Text normalisation for detection, with a map back to the original offsets.

Detectors read a normalised copy of the text and redaction replaces the span of the ORIGINAL text:

* NFKC per character (full-width ``＠`` and digits, ligatures, NBSP -> space, ...);
* format characters (Unicode category ``Cf``: zero-width space / joiners, soft hyphen, word joiner,
  BOM, bidi controls) removed;
* decimal digits of any script as ASCII digits, dashes (category ``Pd``) as ``-``;
* for the ``sensitive_terms`` rule only (``confusables=True``): Cyrillic and Greek letters that look
  like Latin ones as those Latin letters (``Cyrillic а`` -> ``a``).

Cost: an ASCII text is returned as it is (no copy, no map). Otherwise one ``str.translate`` call (a C
loop over a cached per-character table) and, only when the text changed, one prefix-sum array built
with C iterators: linear in the text length.
"""

from __future__ import annotations

import bisect
import itertools
import unicodedata
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


class Normalised(NamedTuple):
    """A normalised text and, when it differs from the original, the offset map back to it."""

    text: str
    # prefix[i] = offset in ``text`` of the original character i (len(original) + 1 entries); None: identical
    prefix: list[int] | None

    def start(self, offset: int) -> int:
        """Original offset of the span that starts at ``offset`` of the normalised text."""
        if self.prefix is None:
            return offset
        return bisect.bisect_right(self.prefix, offset) - 1

    def end(self, offset: int) -> int:
        """Original offset of the span that ends at ``offset`` of the normalised text."""
        if self.prefix is None:
            return offset
        return bisect.bisect_left(self.prefix, offset)


def normalise(text: str, *, confusables: bool = False) -> Normalised:
    """``text`` as detectors read it (see the module doc), with the map back to ``text``'s offsets."""
    if text.isascii():
        return Normalised(text, None)
    table = _TERMS if confusables else _DETECT
    normal = text.translate(table)
    if normal == text:
        return Normalised(text, None)
    lengths = map(len, map(table.__getitem__, map(ord, text)))
    return Normalised(normal, list(itertools.accumulate(lengths, initial=0)))


__all__ = ["Normalised", "normalise"]
