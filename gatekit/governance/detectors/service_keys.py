"""API_TOKEN (and PRIVATE_KEY, GENERIC_SECRET) of services by the documented prefix and shape of their credentials.

Each family is a literal hint and a pattern starting with that literal; a family's pattern runs only on a text
holding its hint. The detector runs only on a text holding one of :data:`HINTS` (the families' literals, tested by the
scanner with the other detectors' hints: grouped after one character or one search, not one by one); there a few
tests in C (:func:`_service_gates`: a character, ``_``, ``$``, then searches: a ``-`` or ``.`` after a prefix's last
letters, ``:AA``, ``TT3``) pick the families to run. The credential needs a digit and
is not one repeated character after its prefix (``whsec_xxxxxxxx…`` is a placeholder).

* Stripe webhook signing secrets ``whsec_…``; Mailgun ``key-`` and 32 hex digits; Telegram bot tokens
  ``123456789:AA…`` (the bot id and 33 characters: the whole is the credential); PyPI ``pypi-AgE…`` macaroons;
  New Relic ``NRAK-`` / ``NRJS-`` / ``NRII-`` keys; Square ``sq0atp-`` / ``sq0csp-``; Atlassian ``ATATT3…`` /
  ``ATCTT3…``; Google OAuth client secrets ``GOCSPX-…`` and access tokens ``ya29.…``; HashiCorp Vault ``hvs.`` /
  ``hvb.`` / ``hvr.``; GitLab runner, deploy, trigger, CI build and feed tokens (``glrt-``, ``gldt-``, ``glptt-``,
  ``glcbt-``, ``glft-``); Heroku ``HRKU-``; Linear ``lin_api_``; Postman ``PMAK-``; Perplexity ``pplx-``; Notion
  ``secret_`` / ``ntn_``; Groq ``gsk_``; Replicate ``r8_``; xAI ``xai-``; Sentry ``sntrys_`` / ``sntryu_``; Grafana
  ``glsa_`` / ``glc_``; Supabase ``sbp_``; Figma ``figd_``; Pulumi ``pul-``; Doppler ``dp.pt.`` /
  ``dp.st.<config>.`` / ``dp.sa.`` / ``dp.ct.``; Braintree ``access_token$production$…``.
* An age secret key ``AGE-SECRET-KEY-1…`` and a PuTTY key file (``PuTTY-User-Key-File-N:`` through its
  ``Private-MAC`` line) are PRIVATE_KEY findings.
* A password hash of the crypt formats (``$2y$10$…`` bcrypt, ``$apr1$…`` Apache MD5, ``$1$`` / ``$5$`` / ``$6$``,
  ``$argon2id$…``, ``{SHA}`` / ``{SSHA}`` of htpasswd and LDAP) is a GENERIC_SECRET: an htpasswd or shadow line
  leaks a password to an offline guess. So is a signed URL's signature (``&sig=…`` of an Azure SAS,
  ``X-Amz-Signature=…``, ``X-Goog-Signature=…``): the URL grants access until it expires. Both are read by
  ``generic.CONTEXTS`` (:func:`hash_spans`).

Discord bot tokens (three base64url segments without a literal prefix) are found by ``tokens.DISCORD``.
"""

from __future__ import annotations

import re

from gatekit.governance.detectors.base import Detector
from gatekit.governance.detectors.private_key import PrivateKeyDetector


def _token(value: str) -> bool:
    """A digit, and not one character repeated after the prefix (a placeholder)."""
    if not any(char.isdigit() for char in value):
        return False
    tail = value[-12:]
    return tail.count(tail[0]) != len(tail)


# (gate, hint, pattern): the pattern starts with its hint's literal (the regex engine skips to it); the gate names the
# test of _service_gates a text holding the hint passes
_B = r"(?<![A-Za-z0-9_\-.])"  # not inside a longer token
_E = r"(?![A-Za-z0-9_\-])"  # nor followed by more of one
_FAMILIES: tuple[tuple[str, str, str], ...] = (
    ("_", "whsec_", r"whsec_[A-Za-z0-9+/=]{24,88}+"),
    ("-", "key-", _B + r"key-[0-9a-f]{32}" + _E),
    (":", ":AA", r"(?<![0-9])[0-9]{8,10}:AA[A-Za-z0-9_\-]{33}" + _E),
    ("-", "pypi-AgE", _B + r"pypi-AgE[A-Za-z0-9_\-]{40,512}+"),
    ("-", "NRAK-", _B + r"NRAK-[A-Z0-9]{27}" + _E),
    ("-", "NRJS-", _B + r"NRJS-[a-f0-9]{19}" + _E),
    ("-", "NRII-", _B + r"NRII-[A-Za-z0-9_\-]{32}" + _E),
    ("-", "sq0", _B + r"sq0(?:atp|csp|idp)-[A-Za-z0-9_\-]{22,43}+" + _E),
    ("T", "TT3", _B + r"A[TC]CTT3[A-Za-z0-9_\-=]{100,300}+|" + _B + r"ATATT3[A-Za-z0-9_\-=]{100,300}+"),
    ("-", "GOCSPX-", _B + r"GOCSPX-[A-Za-z0-9_\-]{28}" + _E),
    (".", "ya29.", _B + r"ya29\.[A-Za-z0-9_\-]{20,2048}+"),
    (".", "hv", _B + r"hv[sbr]\.[A-Za-z0-9_\-]{24,512}+"),
    ("-", "gl", _B + r"gl(?:rt|dt|ptt|cbt|ft|soat|oas)-[A-Za-z0-9_\-]{20,64}+" + _E),
    ("_", "gl", _B + r"gl(?:sa|c)_[A-Za-z0-9_=+/]{32,512}+"),
    ("-", "HRKU-", _B + r"HRKU-[A-Za-z0-9_\-]{40,80}+" + _E),
    ("_", "lin_api_", _B + r"lin_api_[A-Za-z0-9]{40}" + _E),
    ("-", "PMAK-", _B + r"PMAK-[0-9a-f]{24}-[0-9a-f]{34}" + _E),
    ("-", "pplx-", _B + r"pplx-[A-Za-z0-9]{40,64}+" + _E),
    ("_", "secret_", _B + r"secret_[A-Za-z0-9]{43}" + _E),
    ("_", "ntn_", _B + r"ntn_[A-Za-z0-9]{40,50}+" + _E),
    ("_", "gsk_", _B + r"gsk_[A-Za-z0-9]{48,56}+" + _E),
    ("_", "r8_", _B + r"r8_[A-Za-z0-9]{37}" + _E),
    ("-", "xai-", _B + r"xai-[A-Za-z0-9]{60,100}+" + _E),
    ("_", "sntr", _B + r"sntr[ysu]_[A-Za-z0-9_=+/]{40,512}+"),
    ("_", "sbp_", _B + r"sbp_[0-9a-f]{40}" + _E),
    ("_", "figd_", _B + r"figd_[A-Za-z0-9_\-]{40,}+"),
    ("-", "pul-", _B + r"pul-[0-9a-f]{40}" + _E),
    (".", "dp.", _B + r"dp\.(?:pt|st|sa|ct|scim|audit)\.(?:[a-z0-9_\-]{1,40}+\.)?[A-Za-z0-9]{40,64}+" + _E),
    ("$", "$production$", r"access_token\$production\$[0-9a-z]{16}\$[0-9a-f]{32}"),
    ("$", "$sandbox$", r"access_token\$sandbox\$[0-9a-z]{16}\$[0-9a-f]{32}"),
)
# the gates a text must pass for the families of that gate to be tried, cheapest first: a character ("_", "$", "-"), or
# a search starting with a literal (the engine skips to it: a class first, "[-.]", would be tried at every
# character, 10x slower): a "-" or "." after a prefix's last letters, ":AA", "TT3"
# (a class of the letters a family's "-" or "." follows, tested first: a hostile "1-1-1-..." is not 15 look-behinds at
# every "-"; the wildcards of "sq0...-" and "gl..-" stand for the families' "atp", "rt", "soat"..., ending in p, t, s)
_DASH = re.compile(
    r"-(?<=[yipxltsKSIUX]-)(?:(?<=key-)|(?<=ypi-)|(?<=sq0...-)|(?<=plx-)|(?<=xai-)|(?<=pul-)|(?<=gl..-)|(?<=gl...-)"
    r"|(?<=gl....-)|(?<=NRAK-)|(?<=NRJS-)|(?<=NRII-)|(?<=HRKU-)|(?<=PMAK-)|(?<=GOCSPX-))"
)
_DOT = re.compile(r"\.(?<=[9sbrp]\.)(?:(?<=ya29\.)|(?<=hv[sbr]\.)|(?<=dp\.))")
_SHORTEST = 20  # characters of the shortest credential of these families


def _service_gates(text: str) -> str:
    """The gates of _FAMILIES that ``text`` passes (a string of their names; empty: none)."""
    gates = ""
    if "_" in text:
        gates += "_"
    if "-" in text and _DASH.search(text) is not None:
        gates += "-"
    if _DOT.search(text) is not None:
        gates += "."
    if "$" in text:
        gates += "$"
    if ":" in text and ":AA" in text:
        gates += ":"
    if "T" in text and "TT3" in text:
        gates += "T"
    return gates


class PrefixedTokens(Detector):
    """Credentials of many services: each family's pattern runs only in a text passing its gate and holding its hint.

    Its ``hints`` (:data:`HINTS`, every family's literals) are tested by the scanner with the other detectors'; on a
    text holding one, its gates, a few tests in C (:func:`_service_gates`), pick the families to run.
    """

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every credential of ``text``: only when a gate of its families passes."""
        if len(text) < _SHORTEST:  # (a tool argument's id, name or amount: too short to hold one)
            return []
        gates = _service_gates(text)
        if not gates:
            return []
        score = self.score
        return [(score, start, end) for start, end in _family_spans(text, gates)]

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """The credentials of ``text`` of the families whose gate it passes and whose hint it holds."""
        return _family_spans(text, _service_gates(text))


_COMPILED = tuple((gate, hint, re.compile(pattern, re.ASCII)) for gate, hint, pattern in _FAMILIES)


def _family_spans(text: str, gates: str) -> list[tuple[int, int]]:
    found: list[tuple[int, int]] = []
    for gate, hint, pattern in _COMPILED:
        if gate in gates and hint in text:
            found += [match.span() for match in pattern.finditer(text) if _token(match.group())]
    if len(found) > 1:
        found.sort()
    return found


# the literals one of which each family's credential holds (its hint, or each form of its prefix): the scanner runs the
# detector only on a text holding one (its gates then pick the families)
HINTS = (
    "whsec_", "key-", ":AA", "pypi-AgE", "NRAK-", "NRJS-", "NRII-", "sq0atp-", "sq0csp-", "sq0idp-", "ATCTT3", "ACCTT3",
    "ATATT3", "GOCSPX-", "ya29.", "hvs.", "hvb.", "hvr.", "glrt-", "gldt-", "glptt-", "glcbt-", "glft-", "glsoat-",
    "gloas-", "glsa_", "glc_", "HRKU-", "lin_api_", "PMAK-", "pplx-", "secret_", "ntn_", "gsk_", "r8_", "xai-", "sntry_",
    "sntrs_", "sntru_", "sbp_", "figd_", "pul-", "dp.", "$production$", "$sandbox$",
)  # fmt: skip
# (score 1.0: a Telegram token's bot id is a phone number's shape, and the longer span wins a tie)
SERVICES = PrefixedTokens("API_TOKEN", _COMPILED[0][2], _token, score=1.0, hints=HINTS, secret=True)
AGE_KEY = Detector(
    "PRIVATE_KEY",
    re.compile(r"AGE-SECRET-KEY-1[02-9AC-HJ-NP-Z]{58}", re.ASCII),
    score=1.0,
    hints=("AGE-SECRET-KEY-1",),
    secret=True,
)
# a crypt-format password hash (the hash is the rest of the field: ":" ends a shadow line's) and a signed URL's
# signature (its ``value`` group): (hint, pattern), read by generic.CONTEXTS in a text holding "$", "{SS" or "ignature="
# / "sig="
HASHES: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (hint, re.compile(pattern, re.ASCII))
    for hint, pattern in (
        ("$2", r"\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}"),
        ("$apr1$", r"\$apr1\$[./A-Za-z0-9]{1,8}+\$[./A-Za-z0-9]{22}"),
        ("$1$", r"\$1\$[./A-Za-z0-9]{1,8}+\$[./A-Za-z0-9]{22}"),
        ("$5$", r"\$5\$(?:rounds=[0-9]{1,9}\$)?[./A-Za-z0-9]{1,16}+\$[./A-Za-z0-9]{43}"),
        ("$6$", r"\$6\$(?:rounds=[0-9]{1,9}\$)?[./A-Za-z0-9]{1,16}+\$[./A-Za-z0-9]{86}"),
        ("$y$", r"\$y\$[./A-Za-z0-9]{1,8}+\$[./A-Za-z0-9]{1,64}+\$[./A-Za-z0-9]{43}"),
        (
            "$argon2",
            r"\$argon2(?:id|i|d)\$v=[0-9]{1,3}\$m=[0-9]{1,9},t=[0-9]{1,4},p=[0-9]{1,3}\$[A-Za-z0-9+/]{8,}+"
            r"\$[A-Za-z0-9+/]{16,}+",
        ),
        ("{SHA}", r"\{SHA\}[A-Za-z0-9+/]{27}="),
        ("{SSHA}", r"\{SSHA\}[A-Za-z0-9+/]{32,}+={0,2}"),
        ("ignature=", r"(?<=[?&])(?:X-(?:Amz|Goog)-)?Signature=(?P<value>[A-Za-z0-9%+/=_\-.]{16,1024}+)"),
        ("sig=", r"(?<=[?&])sig=(?P<value>[A-Za-z0-9%+/=_\-.]{16,1024}+)"),
    )
)


# (the hints by a character each holds, "$", "{" or "=": one test of it, a memchr, before its hints' substring tests)
_HASH_GROUPS = tuple(
    (
        key,
        tuple((hint, pattern) for hint, pattern in HASHES if key in hint and not any(k in hint for k in "${"[:index])),
    )
    for index, key in enumerate("${=")
)


def hash_spans(text: str) -> list[tuple[int, int]]:
    """The password hashes and URL signatures of ``text`` (their ``value`` group; digits and not one repeated char)."""
    found: list[tuple[int, int]] = []
    for key, group in _HASH_GROUPS:
        if key in text:
            for hint, pattern in group:
                if hint in text:
                    value = "value" if "value" in pattern.groupindex else 0
                    found += [match.span(value) for match in pattern.finditer(text) if _token(match.group(value))]
    return found


_PUTTY_HEADER = re.compile(r"PuTTY-User-Key-File-[0-9]:", re.ASCII)
_PUTTY_END = re.compile(r"\nPrivate-MAC:[^\n]{0,200}+", re.ASCII)
_MAX_KEY_FILE = 16_384


class PuttyKeyDetector(PrivateKeyDetector):
    """A PuTTY private key file: its header through its ``Private-MAC`` line (or the header's line alone)."""

    footer = _PUTTY_END
    max_block = _MAX_KEY_FILE

    def unterminated(self, text: str, end: int) -> int:
        """The end of the header's line (a key file without its MAC line)."""
        line_end = text.find("\n", end)
        return len(text) if line_end == -1 else line_end


PUTTY = PuttyKeyDetector("PRIVATE_KEY", _PUTTY_HEADER, score=1.0, hints=("PuTTY-User-Key-File-",), secret=True)
