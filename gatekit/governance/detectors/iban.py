"""IBAN_CODE: a country code, two check digits and the country's length of letters and digits (ISO 13616).

Compact or grouped by spaces (one or two), dashes or a line break (an IBAN wrapped at a line's end), any case; a space after the country code when it is in capitals
and the check digits are a group of their own (``DE 89 3704 ...``, not ``at 972 123 456 during the``); valid when the
length is the country's and the ISO 7064 mod-97 check holds.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gatekit.governance.detectors.base import IBAN_LENGTHS, VALIDATION_BUDGET, Detector, iban_ok

# an IBAN's start: a country code and two check digits followed by 11 letters or digits (the fewest any country has),
# anchored on the first check digit with the country code checked behind it, so that the regex engine skips to digits.
# A start is no more than that (the body is read from it): a start whose body fails does not hide one inside it
# ("ref DE12 GB82 WEST 1234 5698 7654 32", where a start that read on to a boundary took the IBAN in)
# (the country code may be followed by one space, "DE 89 3704 ...", and the groups split by one or two spaces or a dash:
# "DE89  3704  0044 ...", text aligned in columns or copied from a PDF; or by a line break, an IBAN wrapped at a line's
# end by a mail client or a form: "DE89 3704 0044\n0532 0130 00")
_SEPARATOR = r"(?:  ?|-|\r?\n)?"
_CHECK_DIGIT = (
    r"\d(?:(?<=[A-Za-z]{2}\d)(?<![0-9A-Za-z_][A-Za-z]{2}\d)|(?<=[A-Za-z]{2} \d)(?<![0-9A-Za-z_][A-Za-z]{2} \d))\d"
)
_START = re.compile(rf"{_CHECK_DIGIT}(?=(?:{_SEPARATOR}[A-Za-z0-9]){{11}})", re.ASCII)
# past VALIDATION_BUDGET starts (a hostile text, "DE89 " repeated), the rest of the text in one C pass: from each start,
# its letters and digits as long as they go on (single spaces or dashes between them), findings on their shape alone;
# every IBAN starting there or inside is within (more redaction, never a miss)
# (a run of letters and digits at a time, a separator only before one: not a group repeated per character)
_CHAIN = re.compile(rf"{_CHECK_DIGIT}(?:[A-Za-z0-9]++|(?:  ?|-|\r?\n)(?=[A-Za-z0-9]))*+", re.ASCII)
_MANY_RUNS = 256
_BODIES = {
    length: re.compile(
        rf"[A-Za-z]{{2}} ?[0-9]{{2}}(?:{_SEPARATOR}[A-Za-z0-9]){{{length - 4}}}(?![0-9A-Za-z_])", re.ASCII
    )
    for length in set(IBAN_LENGTHS.values())
}
# (each country code as it may be written, any case, to its body: one look-up a start, not an upper() and two)
_BODY_OF = {
    first + second: _BODIES[length]
    for code, length in IBAN_LENGTHS.items()
    for first in (code[0], code[0].lower())
    for second in (code[1], code[1].lower())
}


def _spaced_country(text: str, at: int) -> bool:
    """The check digits at ``at`` follow a country code and a space as an IBAN is so written.

    The code in capitals, the check digits a group of their own ("DE 89 3704 ..."); a word of two letters is no country
    code ("at 972 123 456 during the", "call 555 ...").
    """
    code = text[at - 3 : at - 1]
    return code.isupper() and code.isalpha() and text[at + 2 : at + 3] == " "


def _country_at(text: str, at: int) -> int:
    """Where the country code of the check digits at ``at`` starts (before them, or before a space before them)."""
    return at - 3 if text[at - 1] == " " else at - 2


class IbanDetector(Detector):
    """Candidates of an IBAN's shape, then the length their country needs."""

    def windows(self, text: str, runs: list[tuple[int, int]]) -> list[tuple[int, int]]:
        """The runs themselves: :meth:`spans` reads them (every run may start an IBAN's check digits)."""
        return runs

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Valid IBANs of ``text`` (past VALIDATION_BUDGET starts, the rest's IBAN-shaped stretches: see _CHAIN).

        Given the text's digit runs, only the runs that follow two letters are tried: the check digits
        after the country code start a run (a letter is no run character).
        """
        found: list[tuple[int, int]] = []
        starts: Iterable[int]
        if runs is None or len(runs) > _MANY_RUNS:  # (many runs: one C pass over the text is cheaper, read lazily)
            starts = (match.start() for match in _START.finditer(text))
        else:
            starts = [
                at
                for at, _ in runs
                if at > 1
                # (a space before the run, as most follow: _spaced_country's capitals tested first, inline; else two
                # letters; the character before read alone first: _START needs one or the other)
                and (
                    ((prev := text[at - 1]) == " " and text[at - 3 : at - 1].isupper() and _spaced_country(text, at))
                    or (prev.isalpha() and text[at - 2].isalpha())
                )
                and _START.match(text, at)
            ]
        tried = 0
        next_free = 0  # (the end of the last IBAN found: no start inside it is read)
        for at in starts:
            if at < next_free:
                continue
            tried += 1
            if tried > VALIDATION_BUDGET:  # a hostile text: its rest in one C pass, findings on their shape alone
                found += [(_country_at(text, match.start()), match.end()) for match in _CHAIN.finditer(text, at)]
                return found
            begin = _country_at(text, at)
            shape = _BODY_OF.get(text[begin : begin + 2])
            if shape is None or (begin == at - 3 and not _spaced_country(text, at)):
                continue
            body = shape.match(text, begin)
            if body is not None and iban_ok(body.group()):
                found.append(body.span())
                next_free = body.end()
        return found


DETECTOR = IbanDetector("IBAN_CODE", _START, score=0.95, candidates_from="digit_runs", min_run=2)
