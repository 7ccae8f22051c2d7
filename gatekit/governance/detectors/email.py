"""EMAIL_ADDRESS: a local part, ``@`` and a domain with a top-level label of 2..24 letters.

Anchored on each ``@`` (the regex engine skips to them): the domain is matched after it, the local
part (the run of characters ``A-Z a-z 0-9 . _ % + - '`` before it, from its first letter or digit) is
grown back from it, so ``o'reilly@example.com`` is found whole and ``'jane@example.com'`` without its
quote. A full-width ``＠`` reads as ``@`` after normalisation; a zero-width character inside the address
is removed by it. A "domain" ending in an image or document file extension (none is a top-level domain)
is a file name, ``icon@2x.png``, ``logo@3x.webp``: no address. Internationalised addresses (RFC 6531) are
read whole: Latin, Greek and Cyrillic letters in the local part and the domain (``josé@example.es``,
``info@bücher.de``); a quoted local part is read whole with its quotes (``"john smith"@example.com``). An SSH remote, ``git@github.com:org/repo.git``, names the account of a git host, not a
person: no address (``git@`` before ``:``, or ``git@`` a public git host: ``ssh -T git@github.com``;
``user@example.com`` and any other ``git@...`` are addresses). A URL's user name (right after ``scheme://``:
``ssh://git@example.com/...``, ``postgres://admin@db.example.com/...``; not ``mailto://``) and an SCP-style remote's
(``deploy@build.example.com:/srv/app``: ``:`` and a path after the host) name an account, not an address. A message's
id in ``<…>`` on a header naming messages (``Message-ID: <20260304.4F2A@mx1.example.org>``, Gmail's
``<CAF=Xk3+p9@mail.gmail.com>``: its left part may hold RFC 5322's ``=``, ``$``, ``/``…) names a message, not a mailbox.
Past VALIDATION_BUDGET domains (a hostile text, ``x@a.bc@`` repeated), the rest of the text is read by one
forward regex of whole addresses.
"""

from __future__ import annotations

import bisect
import re

from gatekit.governance.detectors.base import VALIDATION_BUDGET, Detector

# image and document file extensions, none of them a top-level domain in the IANA root zone: "icon@2x.png",
# "logo@3x.webp" (image sizes) are file names
_FILE_EXTENSIONS = "png jpg gif svg bmp ico tif pdf jpeg webp tiff heic avif".split()
# (one fixed-width look-behind per length: checked once, at the end of a whole address, in C)
_NOT_A_FILE = "".join(
    rf"(?<!\.(?i:{'|'.join(sorted(e for e in _FILE_EXTENSIONS if len(e) == size))}))"
    for size in sorted({len(e) for e in _FILE_EXTENSIONS})
)
# (an "@" right after a character no local part has starts no address: skipped by the engine, not by Python; a
# top-level label that is a file extension makes a file name, "icon@2x.png", not an address)
# letters of the scripts that separate words with blanks, beyond ASCII (Latin-1 and Latin Extended-A/B, Greek,
# Cyrillic): an internationalised address (RFC 6531) has them in its local part and domain, "josé@example.es",
# "info@bücher.de", "иван@пример.рф"; a letter of such a script touching an address is part of it (CJK text, written
# without blanks, is not read into one)
_LETTERS = "À-ÖØ-öø-ɏͰ-ͳͶ-ͽΆΈ-ϿЀ-ҁҊ-ӿ"
_HOST = (
    rf"(?:[A-Za-z0-9{_LETTERS}][A-Za-z0-9\-{_LETTERS}]{{0,62}}+(?<!-)\.)+"
    rf"[A-Za-z{_LETTERS}]{{2,24}}+(?![A-Za-z0-9\-{_LETTERS}])" + _NOT_A_FILE
)
_DOMAIN = re.compile(rf"@(?<=[A-Za-z0-9._%+\-{_LETTERS}]@)" + _HOST, re.ASCII)
# a quoted local part (RFC 5322's quoted-string: "john smith"@example.com, "john..doe"@example.org), read whole with its
# quotes: 1..64 characters, blanks and escaped characters too, holding a letter or a digit; not glued after a local
# part's character, nor a template's reference ("$USER"@…, "{{ user }}"@…, "%u"@…). Found from its '"@' and host (the
# engine skips to '"'; a hostile text of '"a"@' fails at once), then its opening quote looked for back from there
_QUOTED_HOST = re.compile(r'"@' + _HOST, re.ASCII)
_QUOTED_LOCAL = re.compile(
    r'(?![$%{])(?=[^"\r\n]{0,64}?[A-Za-z0-9])(?:[^"\\\r\n]|\\[^\r\n]){1,64}+', re.ASCII
).fullmatch
_ONE_QUOTED = r'(?:"[^"\r\n]{0,64}+)?"@' + _HOST
_QUOTED_SHAPE = re.compile(rf"{_ONE_QUOTED}(?:.{{1,8}}?{_ONE_QUOTED})*+", re.ASCII)
_QUOTED_NOT_AFTER = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-")


def _quoted(text: str) -> list[tuple[int, int]]:
    """The spans of the addresses with a quoted local part in ``text``.

    The first VALIDATION_BUDGET hosts after '"@' are read for their quoted local part; past them (a hostile text) each
    is a finding from the quote before it (or the host alone): more redaction, never a miss.
    """
    spans = []
    for index, host in enumerate(_QUOTED_HOST.finditer(text)):
        close = host.start()
        low = close - 130 if close > 130 else 0
        opening = text.rfind('"', low, close)
        if index >= VALIDATION_BUDGET:  # (the rest in one C pass, such addresses 8 characters apart as one finding)
            start = opening if opening >= 0 and close - opening <= 65 else close
            spans += [match.span() for match in _QUOTED_SHAPE.finditer(text, start)]
            break
        if text[close - 1 : close] == "\\":  # (an escaped quote ends no quoted string)
            continue
        while opening > low and text[opening - 1] == "\\":  # (an escaped quote inside: the one before it)
            opening = text.rfind('"', low, opening - 1)
        if opening < 0 or (opening and text[opening - 1] in _QUOTED_NOT_AFTER):
            continue
        if _QUOTED_LOCAL(text, opening + 1, close) is not None:
            spans.append((opening, host.end()))
    return spans


_LETTER = re.compile(f"[{_LETTERS}]")
# public git hosts whose SSH account is "git" (``ssh -T git@github.com``): no person's address
_GIT_HOSTS = frozenset(("github.com", "gitlab.com", "bitbucket.org", "codeberg.org", "ssh.dev.azure.com", "git.sr.ht"))
# a URL's scheme "mailto://" (rare, but its user name is an address) before a user name; the path of an SCP-style
# remote after "host:" (an absolute or home path, a relative one with a "/", a repository's ".git"): the user name
# before such a host is an account, not an address ("jane@example.com: hello" and "jane@example.com:5432" stay)
_MAILTO = re.compile(r"(?i:mailto)://\Z")
_SCP_PATH = re.compile(r"[/~]|[A-Za-z0-9._\-]++(?:/|(?<=\.git)(?![A-Za-z0-9]))", re.ASCII)
# a whole address read forward, for the rest of a hostile text (past VALIDATION_BUDGET "@"s): a local part from a
# letter or digit that follows none, up to 64 characters
_ONE_ADDRESS = r"[A-Za-z0-9](?<![A-Za-z0-9][A-Za-z0-9])[A-Za-z0-9._%+\-']{0,63}+" + _DOMAIN.pattern
# (and such addresses at most 8 characters apart on a line read as one finding, the nearest next address first: a
# hostile text of 14,000 addresses, "x@a.bc@" repeated, is a few findings, not one Python object each; more
# redaction, never a miss)
_ADDRESS = re.compile(rf"{_ONE_ADDRESS}(?:.{{1,8}}?{_ONE_ADDRESS})*+", re.ASCII)
# (and the apostrophe of names such as o'reilly@example.com, which RFC 5322 allows in a local part)
_LOCAL_CHARS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._%+-'"


def _local_run(text: str, low: int, end: int) -> str:
    """The run of local-part characters ending at ``end`` (not before ``low``), read back in growing pieces."""
    begin, step = end, 128
    while begin > low:
        reach = begin - step if begin - step > low else low
        piece = text[reach:begin]
        kept = len(piece.rstrip(_LOCAL_CHARS))
        begin = reach + kept
        if kept:
            break
        step *= 2
    return text[begin:end]


def _wider(text: str, low: int, begin: int, at: int) -> str:
    """The local part ending at ``at`` read back from ``begin`` over ASCII local-part characters and _LETTERS too."""
    while begin > low and at - begin < 64:
        char = text[begin - 1]
        if char not in _LOCAL_CHARS and _LETTER.match(char) is None:
            break
        begin -= 1
    return text[begin:at]


# the headers of an e-mail that name messages, not mailboxes (RFC 5322 and MIME): their "<id@host>" is no address
_ID_HEADER = re.compile(r"(?i:(?:resent-|x-|original-)?message-id|in-reply-to|references|content-id)[ \t]*:", re.ASCII)
_HEADER_REACH = 2000  # (characters read back for the header's line: a folded "References:" of a long thread)
_FOLDED_LINES = 32


def _message_id(text: str, begin: int) -> bool:
    """The "<" before ``begin`` is in the value of a header naming messages (see _ID_HEADER), folded lines too."""
    low = begin - _HEADER_REACH if begin > _HEADER_REACH else 0
    line = text.rfind("\n", low, begin) + 1
    for _ in range(_FOLDED_LINES):  # (a folded line, from a blank: the header's first line is above)
        if line <= low or text[line : line + 1] not in (" ", "\t"):
            break
        line = text.rfind("\n", low, line - 1) + 1
    return _ID_HEADER.match(text, line, begin) is not None


# the characters of a message id's left part (RFC 5322's atext and "."), beyond a local part's that the address stops at:
# Gmail's ids hold "=" ("<CAF=Xk3+p9@mail.gmail.com>"), others "$", "/", "!"...
_ID_EXTRA = "!#$&*/=?^`{|}~"
_ID_CHARS = _LOCAL_CHARS + _ID_EXTRA
_ID_REACH = 256  # (a message id's left part read back at most so far for its "<")


def _in_angle_id(text: str, low: int, begin: int) -> bool:
    """The local part at ``begin`` ends a message id's left part, ``<`` on a header naming messages (see _message_id).

    The "<" is right before the local part, or before a run of message-id characters the local part stopped at
    (``Message-ID: <CAF=Xk3+p9@mail.gmail.com>``: the address read is ``Xk3+p9@…``, the id's ``<`` is before ``CAF=``).
    """
    before = text[begin - 1 : begin]
    if before == "<":
        return _message_id(text, begin)
    if not before or before not in _ID_EXTRA:
        return False
    reach = begin - _ID_REACH if begin - _ID_REACH > low else low
    piece = text[reach:begin]
    start = reach + len(piece.rstrip(_ID_CHARS))
    return text[start - 1 : start] == "<" and _message_id(text, start)


class EmailDetector(Detector):
    """E-mail addresses, grown around each ``@``."""

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Every e-mail address of ``text``."""
        return [(start, end) for _, start, end in self.findings(text)]

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every e-mail address of ``text`` (built directly: a hostile text has 10,000s)."""
        if "@" not in text:
            return []
        if '"@' in text:  # (an address with a quoted local part: "john smith"@example.com; rare, looked for apart)
            quoted = [(self.score, start, end) for start, end in _quoted(text)]
            if quoted:  # (but where a plain address is: "x@y.com"@example.com, the plain one; both lists sorted)
                plain = self._unquoted(text)
                starts = [start for _, start, _ in plain]
                for one in quoted:
                    at = bisect.bisect_left(starts, one[2])
                    if not (at and plain[at - 1][2] > one[1]):
                        plain.insert(at, one)
                        starts.insert(at, one[1])
                return plain
        return self._unquoted(text)

    def _unquoted(self, text: str) -> list[tuple[float, int, int]]:
        """:meth:`findings` but for the addresses with a quoted local part."""
        score = self.score
        found: list[tuple[float, int, int]] = []
        low = 0  # the previous address's end: a local part never reaches back into it
        seen = 0
        for domain in _DOMAIN.finditer(text):
            seen += 1
            if seen > VALIDATION_BUDGET:  # a hostile text: its rest in one C pass, addresses on their shape alone
                found += [(score, match.start(), match.end()) for match in _ADDRESS.finditer(text, low)]
                return found
            at = domain.start()
            # the run of local-part characters before the "@" (from ``low``, or from 64 characters back and then
            # further back only while all of them are: the text before an "@" is not copied once per "@")
            if at == low:  # (right after the previous address: no local part)
                continue
            end = domain.end()
            if at - low <= 64:
                local = text[low:at]
                local = local[len(local.rstrip(_LOCAL_CHARS)) :]
            else:
                local = text[at - 64 : at]
                rest = local.rstrip(_LOCAL_CHARS)
                local = local[len(rest) :] if rest else _local_run(text, low, at - 64) + local
            begin = at - len(local)
            if begin > low and text[begin - 1] >= "\xc0" and _LETTER.match(text, begin - 1):  # (a letter: josé@)
                local = _wider(text, low, begin, at)
            local = local.lstrip("._%+-'")  # (from its first letter or digit: not a quote around the address)
            if local == "git" and (text[end : end + 1] == ":" or text[at + 1 : end].lower() in _GIT_HOSTS):
                continue  # an SSH remote (git@github.com:org/repo.git, ssh -T git@gitlab.com): a git host's account
            begin = at - len(local)
            if text[begin - 3 : begin] == "://" and not _MAILTO.search(text, begin - 12 if begin > 12 else 0, begin):
                continue  # a URL's user name (ssh://git@example.com/..., ftp://anonymous@ftp.example.org): an account
            if text[end : end + 1] == ":" and _SCP_PATH.match(text, end + 1) is not None:
                continue  # an SCP-style remote's user name (deploy@build.example.com:/srv/app): an account
            if local and _in_angle_id(text, low, at - len(local)):
                continue  # a message's id, "Message-ID: <20260304.4F2A@mx1.example.org>", "In-Reply-To: <...>"
            if local:
                low = end
                found.append((score, at - len(local), end))
        return found


DETECTOR = EmailDetector("EMAIL_ADDRESS", _DOMAIN, score=0.95, hints=("@",))
