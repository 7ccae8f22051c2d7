"""Text for people and machines: escaping for markdown, job logs, workflow commands and XML; value formatting.

Agent-controlled text (case ids, error messages, reasons) is untrusted: every renderer and
sink escapes it with these functions before it leaves gatekit.
"""

from __future__ import annotations

import math
import re

from gatekit.pipeline.model import CheckResult

_MAX_CELL_CHARS = 300

# Backslash-escape every punctuation mark that can start markup inside a line (links, emphasis,
# code, tables, autolinks); line-start-only markers (#, -, +, >) cannot occur mid-cell. @mentions and
# #references are not markup: GitHub finds them in the rendered text, so those get a zero-width space instead.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|~:$])")
# C0/C1 controls (newlines, ESC for terminal sequences), Unicode line/paragraph separators and the bidi controls
# (a right-to-left override makes "\u202etnemyap" display as "payment"); a lone surrogate (a file name that is not
# UTF-8, "bad\udcff.jsonl"), which no UTF-8 file or terminal can hold
_BIDI = "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_SURROGATE = "\ud800-\udfff"
_CONTROL = re.compile(f"[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085{_BIDI}{_SURROGATE}]")
# XML 1.0 forbids most C0 controls (and lone surrogates / U+FFFE / U+FFFF) even when escaped.
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# what a page or a file must show escaped: C0 controls but tab and line feed, DEL, C1 controls (ESC, BEL, CSI ...),
# the bidi controls and lone surrogates
_SHOWN_ESCAPED = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}{_SURROGATE}]")


def _escape_char(match: re.Match[str]) -> str:
    return match.group().encode("unicode_escape", "backslashreplace").decode("ascii")


def visible_controls(text: str) -> str:
    r"""``text`` with controls (ESC, BEL, CR, DEL, C1, bidi, lone surrogates; not tab, line feed) shown escaped."""
    return _SHOWN_ESCAPED.sub(_escape_char, text)


def one_line(text: str) -> str:
    r"""``text`` as one line of a terminal or CI log: line breaks shown as ``\n`` / ``\r``, other controls escaped.

    A path or spec quoted in a progress line must not start a line of its own (``::error::`` there is a workflow
    command GitHub Actions obeys).
    """
    return visible_controls(text.replace("\r", "\\r").replace("\n", "\\n"))


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_escape(value: object, limit: int = _MAX_CELL_CHARS) -> str:
    """Escape ``value`` so it renders as literal text inside a GitHub markdown table cell.

    HTML is neutralised (GitHub renders inline HTML in summaries), markdown punctuation is
    backslash-escaped, and line breaks become spaces so a cell stays one row.
    """
    text = " ".join(str(value).split())
    text = _truncate(text, limit)
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)  # ESC, BEL ...
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # '>' is already an entity; escape the rest of the markdown punctuation.
    text = _MD_SPECIAL.sub(r"\\\1", text)
    # "@octocat" / "#1" / "acme/x#2" would notify or leave backlinks; "#" first, its entity holds one
    return text.replace("#", "#&#8203;").replace("@", "@&#8203;")


def plain_text(value: object, limit: int = _MAX_CELL_CHARS) -> str:
    r"""Return ``value`` as inert one-line text for a terminal or a CI job log.

    Control characters (line breaks, ANSI escapes) are shown as backslash escapes (``\n``), so
    untrusted text cannot start a new log line, and ``::`` is percent-encoded, so it cannot
    form a GitHub workflow command (``::add-mask::``, ``::stop-commands::``) either.
    """
    text = _truncate(str(value), limit)
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text.replace("::", "%3A%3A")


def command_data_escape(value: object) -> str:
    r"""Escape the message part of a workflow command (``::error ...::MESSAGE``); other controls shown as ``\x1b``."""
    return visible_controls(str(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A"))


def command_property_escape(value: object) -> str:
    """Escape a property value of a workflow command (``title=...``, ``file=...``)."""
    return command_data_escape(value).replace(":", "%3A").replace(",", "%2C")


def xml_text(value: object, limit: int = 4000) -> str:
    r"""Return ``value`` as text that is legal in XML 1.0 (ElementTree escapes ``<&"`` itself).

    Control characters (also the C1 ones XML allows but a terminal obeys) are shown as ``\x1b`` escapes; a lone
    surrogate or U+FFFE / U+FFFF, which no XML holds, as its ``\ud800`` escape.
    """
    text = visible_controls(_truncate(str(value), limit))
    return _XML_INVALID.sub(_escape_char, text)


def format_value(value: object, unit: str = "", digits: int = 4) -> str:
    """Format a check value or limit for people: ``digits`` significant digits, unit appended."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        text = f"{value:.{digits}g}"
    else:
        text = str(value)
    if unit and unit not in {"count", "ratio", "fraction"}:
        return f"{text} {unit}" if unit.isalpha() else f"{text}{unit}"  # 2000 ms, 0.05 USD; 5%
    return text


def check_digits(check: CheckResult) -> int:
    """Significant digits for a check's numbers: 4, or as many as show its value and interval ends apart from its limit.

    With ``confidence`` the interval decides, so an end just over the limit must not read as equal to it.
    """
    from gatekit.fmt import digits_apart

    return max(digits_apart(x, check.limit) for x in (check.value, *(check.interval or ())))


def interval_text(check: CheckResult) -> str:
    """``[lo, hi]`` of a check's interval in its unit, or ``""``; an open (null) end is ``-∞`` / ``∞``."""
    if check.interval is None:
        return ""
    lo, hi = check.interval
    lo_text = "-∞" if lo is None else format_value(lo, check.unit, check_digits(check))
    hi_text = "∞" if hi is None else format_value(hi, check.unit, check_digits(check))
    return f"[{lo_text}, {hi_text}]"


def limit_text(check: CheckResult) -> str:
    """``<= 2000 ms`` or ``—`` when the check has no limit."""
    if check.limit is None:
        return "—"
    return f"{check.op} {format_value(check.limit, check.unit, check_digits(check))}".strip()


def check_sentence(check: CheckResult) -> str:
    """One line describing a check: its message if any, else ``name = value (limit ...)``; notes a straddling interval."""
    if check.message.strip():
        return check.message.strip()
    text = f"{check.name} = {format_value(check.value, check.unit, check_digits(check))} (limit {limit_text(check)})"
    if check.straddles:
        text += f"; interval {interval_text(check)} straddles the limit"
    return text
