"""A policy's custom detector patterns on RE2: matching time linear in the text, whatever the pattern.

A custom detector runs on every text of every case (gate, in-process guard, proxy). On Python's ``re`` a pattern
with nested unbounded repetition (``(a+)+b``) backtracks exponentially: 30 characters cost minutes. RE2 has no
backtracking; it refuses what needs it (backreferences, look-ahead, look-behind), which is then a policy error.
:class:`LinearPattern` gives the detectors the part of ``re.Pattern`` they use (``pattern``, ``flags``,
``groupindex``, ``finditer(text, pos, endpos)`` of matches with ``span``/``start``/``end``/``group`` by number or
name), with offsets in characters of the ``str``.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from typing import Any


def compile_linear(pattern: str) -> Any:
    """``pattern`` compiled by RE2; ValueError naming why when RE2 cannot run it (or it does not compile at all)."""
    try:
        flags = re.compile(pattern).flags
    except re.error as exc:
        raise ValueError(f"pattern does not compile: {exc}") from None
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        compiled = re2.compile(pattern, options)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        detail = detail.decode("utf-8", "replace") if isinstance(detail, bytes) else str(detail)
        raise ValueError(
            f"pattern cannot run in linear time on RE2 ({detail}): backreferences, look-ahead and look-behind "
            "are not available; match the context in the pattern itself or use a validator"
        ) from None
    return compiled, flags


class _Match:
    """A RE2 match read as ``re.Match`` (groups by number or name)."""

    __slots__ = ("_match", "_index")

    def __init__(self, match: Any, index: dict[str, int]) -> None:
        self._match = match
        self._index = index

    def _number(self, group: int | str) -> int:
        return self._index[group] if isinstance(group, str) else group

    def span(self, group: int | str = 0) -> tuple[int, int]:
        """The group's (start, end) in characters; (-1, -1) when it did not take part."""
        return self._match.span(self._number(group))  # type: ignore[no-any-return]

    def start(self, group: int | str = 0) -> int:
        """The group's start, -1 when it did not take part."""
        return self._match.start(self._number(group))  # type: ignore[no-any-return]

    def end(self, group: int | str = 0) -> int:
        """The group's end, -1 when it did not take part."""
        return self._match.end(self._number(group))  # type: ignore[no-any-return]

    def group(self, group: int | str = 0) -> str | None:
        """The group's text (None when it did not take part)."""
        return self._match.group(self._number(group))  # type: ignore[no-any-return]


class LinearPattern:
    """A custom detector's pattern run by RE2 (see the module's docstring); equal when the pattern text is."""

    __slots__ = ("pattern", "flags", "groupindex", "_re2")

    def __init__(self, pattern: str) -> None:
        self._re2, self.flags = compile_linear(pattern)
        self.pattern = pattern
        self.groupindex: dict[str, int] = dict(self._re2.groupindex)

    def finditer(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> Iterator[_Match]:
        """Non-overlapping matches in ``text[pos:endpos]``, left to right, as ``re.Pattern.finditer``."""
        index = self.groupindex
        for match in self._re2.finditer(text, pos, min(endpos, len(text))):
            yield _Match(match, index)

    def search(self, text: str, pos: int = 0, endpos: int = sys.maxsize) -> _Match | None:
        """The first match in ``text[pos:endpos]``, or None."""
        match = self._re2.search(text, pos, min(endpos, len(text)))
        return None if match is None else _Match(match, self.groupindex)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LinearPattern) and other.pattern == self.pattern

    def __hash__(self) -> int:
        return hash(("LinearPattern", self.pattern))

    def __repr__(self) -> str:
        return f"LinearPattern({self.pattern!r})"
