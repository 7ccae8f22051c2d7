"""Token secrets: GITHUB_TOKEN, SLACK_TOKEN, JWT and API_TOKEN (``sk-...`` keys, ``Bearer`` credentials).

* GitHub: ``ghp_`` / ``gho_`` / ``ghu_`` / ``ghs_`` / ``ghr_`` and 36+ letters or digits, ``github_pat_...``.

A token whose last 12 characters are one character repeated is a placeholder (``ghp_xxxx…``, ``AKIAXXXX…``).
* Slack: ``xoxa-`` / ``xoxb-`` / ``xoxp-`` / ``xoxo-`` / ``xoxs-`` / ``xoxr-`` / ``xapp-`` (app-level) and 10+
  characters with a digit.
* JWT: three base64url segments, the first two starting ``eyJ`` (a JSON object).
* API_TOKEN: secret keys with a well-known prefix (``sk-``, ``sk_live_``, ``rk_live_``, ``sk-proj-``,
  ``sk-ant-``...) and 16+ token characters; the credential after ``Authorization: Bearer`` / ``Basic``
  (or Okta's ``SSWS``) or a bare ``Bearer`` (16+ token characters, at least one digit; after ``Basic`` also the base64
  of ``user:password`` of any length, ``dXNlcjpwYXNz``); the tokens of other services by their
  documented prefix and length (at least one digit): GitLab personal access tokens (``glpat-``), Hugging Face
  (``hf_``; its user access tokens are 34 letters, no digit), npm (``npm_``), SendGrid (``SG.<22>.<43>``), Shopify (``shpat_``, ``shpss_``...), DigitalOcean
  (``dop_v1_``...), and Slack incoming-webhook URLs (``https://hooks.slack.com/services/T.../B.../...``). Other
  services' keys are found by their context: ``password = pypi-...``, ``client_secret: GOCSPX-...``, a
  ``token`` argument (see ``credential_keys``).
* Discord bot tokens, ``<user id in base64>.<6>.<27..38>`` (:class:`DiscordDetector`): alone when the first segment is
  exactly the base64 of a user id's digits; of that shape otherwise only where Discord is named or in ``.run('...')``.
"""

from __future__ import annotations

import base64
import re
from itertools import islice

from gatekit.governance.detectors.base import VALIDATION_BUDGET, Detector


def not_repeated(value: str) -> bool:
    """Not one character repeated at the end (``ghp_xxxx…``, ``AKIAXXXX…``: a placeholder, not a token)."""
    tail = value[-12:]
    return tail.count(tail[0]) != len(tail)


GITHUB = Detector(
    "GITHUB_TOKEN",
    re.compile(
        r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{36,255}+|github_pat_[A-Za-z0-9_]{60,255}+)(?![A-Za-z0-9_])",
        re.ASCII,
    ),
    not_repeated,
    score=1.0,
    hints=("ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_"),
    secret=True,
)
SLACK = Detector(
    "SLACK_TOKEN",
    re.compile(r"(?<![A-Za-z0-9])(?:xox[abposr]|xapp)-[A-Za-z0-9\-]{10,250}+", re.ASCII),
    lambda value: any(char.isdigit() for char in value),  # (Slack's tokens hold ids: "xoxb-your-token" is no token)
    score=1.0,
    hints=("xox", "xapp-"),
    secret=True,
)
JWT = Detector(
    "JWT",
    re.compile(
        r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{8,4096}+\.eyJ[A-Za-z0-9_\-]{8,8192}+\.[A-Za-z0-9_\-]{8,4096}+", re.ASCII
    ),
    score=1.0,
    hints=("eyJ",),
    secret=True,
)
PREFIXED_KEY = Detector(
    "API_TOKEN",
    # (not glued after a word, "-" or "_": "en-sk-..." is a language pair; but a provider's own long prefix is a key
    # wherever it starts: "model-sk-proj-...", "prod_sk_live_...")
    re.compile(
        r"(?:[srp](?<![A-Za-z0-9_\-][srp])k(?:_live|_test)?[_\-]|(?<=[_\-])(?:sk-(?:proj|ant|svcacct|admin)-|[sr]k_live_))"
        r"[A-Za-z0-9_\-]{16,256}+",
        re.ASCII,
    ),
    lambda value: any(ch.isdigit() for ch in value) and any(ch.isalpha() for ch in value[3:]),
    score=1.0,  # (as SERVICE_TOKEN's: a key in a URL's password is named API_TOKEN, this detector listed first)
    hints=("sk-", "rk-", "pk-", "sk_", "rk_", "pk_"),  # ([srp]k, then "_" or "-": a "k-" alone is "check-in")
    secret=True,
)


def _basic_credentials(value: str) -> bool:
    """``value`` is the base64 of ``user:password`` (printable, a password after the colon; not the docs' own words)."""
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except ValueError:  # (binascii.Error and UnicodeDecodeError are ValueErrors)
        return False
    user, colon, password = decoded.partition(":")
    return bool(colon and password) and decoded.isprintable() and decoded not in ("username:password", "user:password")


def _bearer(value: str) -> bool:
    """16+ characters with a digit (a bearer token, or HTTP Basic credentials); or Basic credentials of any length."""
    return (len(value) >= 16 and any(ch.isdigit() for ch in value)) or _basic_credentials(value)


# (after "Basic" a value of 4+ characters: ``user:pass`` is 12 characters in base64, and holds no digit)
BEARER = Detector(
    "API_TOKEN",
    re.compile(
        r"(?i:\b(?:(?:bearer|token|ssws)\s{1,3}+(?=[A-Za-z0-9_\-.~+/]{16})|basic\s{1,3}+))"
        r"(?P<value>[A-Za-z0-9_\-.~+/]{4,2048}+=*+)",
        re.ASCII,
    ),
    _bearer,
    score=0.9,
    hints=("earer", "EARER", "asic", "ASIC", "oken", "OKEN", "SSWS"),
    secret=True,
)


def _service_token(value: str) -> bool:
    """A digit; or a Hugging Face token's 34 letters in both cases (its user access tokens hold no digit), no placeholder.

    (``hf_`` and 34 letters of one case, or one letter repeated at the end, is a placeholder: ``hf_YOURTOKENHERE…``.)
    """
    if any(ch.isdigit() for ch in value):
        return True
    letters = value[3:]
    return (
        value.startswith("hf_") and len(letters) == 34 and letters.lower() != letters != letters.upper()
    ) and not_repeated(value)


SERVICE_TOKEN = Detector(
    "API_TOKEN",
    re.compile(
        r"(?<![A-Za-z0-9.])(?:glpat-[A-Za-z0-9_\-]{20,64}+|hf_[A-Za-z0-9]{30,40}+|npm_[A-Za-z0-9]{36}"
        r"|SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}|shp(?:at|ss|ca|pa)_[0-9a-fA-F]{32}|do[opr]_v1_[0-9a-f]{64}"
        r"|https://hooks\.slack\.com/services/T[A-Z0-9]{6,12}/B[A-Z0-9]{6,12}/[A-Za-z0-9]{20,32})(?![A-Za-z0-9_\-])",
        re.ASCII,
    ),
    _service_token,
    # (1.0, as the other documented prefixes: a token in a URL's password, "https://oauth2:glpat-…@gitlab.com", is
    # found by the URL's rule too, and the tie goes to this detector, listed first: its type names the token)
    score=1.0,
    # (the scanner tests hints with "_" only on texts that hold one; the other three after their rarest character)
    hints=("glpat-", "SG.", "hooks.slack.com/", "hf_", "npm_", "shpat_", "shpss_", "shpca_", "shppa_", "_v1_"),
    secret=True,
)


# a Discord bot token: three base64url segments with no prefix of their own, ``<id>.<timestamp>.<HMAC>``: the bot's
# user id (a snowflake of 17..20 decimal digits) in base64 without padding (23..27 characters, so its first is M, N or
# O), 6 characters of a timestamp, 27..38 of a signature. Found alone only when its first segment is the base64 of such
# an id, exactly (the digits re-encode to it: ordinary dotted identifiers, versions and base64 blobs are not); a token
# of that shape whose first segment is no id's, only where Discord is named (a text holding "discord") or as the
# argument of a bot's ``.run('...')`` (discord.py)
# (the middle segment and its two dots, then the start of the third: the engine skips to the dots)
_DISCORD_MIDDLE = re.compile(r"\.(?<=[A-Za-z0-9_\-]{8}\.)[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27}", re.ASCII)
# a whole token of that shape, in C (not grown around each middle character by character in Python: a hostile text of
# 2,700 dotted words took 7 ms): a first segment of 23..27 characters starting M, N or O after no token character nor
# ".", the middle, a third of 27..38 ending the run of token characters, not followed by a fourth segment (a sentence's
# full stop may follow it). The first letter's class first: the engine skips ahead to those
_DISCORD_TOKEN = re.compile(
    r"(?P<first>[MNO](?<![A-Za-z0-9_\-.][MNO])[A-Za-z0-9_\-]{22,26}+)\.[A-Za-z0-9_\-]{6}\.[A-Za-z0-9_\-]{27,38}+"
    r"(?![A-Za-z0-9_\-]|\.[A-Za-z0-9_\-])",
    re.ASCII,
)
_DISCORD_RUN = re.compile(r"\.run\([ \t]{0,3}[\"']$")


def _snowflake(segment: str) -> bool:
    """``segment`` is the unpadded base64url of 17..20 decimal digits not starting with 0, exactly (re-encoded)."""
    try:
        digits = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except ValueError:
        return False
    return (
        17 <= len(digits) <= 20
        and digits.isdigit()
        and digits[:1] != b"0"
        and base64.urlsafe_b64encode(digits).rstrip(b"=").decode("ascii") == segment
    )


def _discord(text: str, start: int, first_dot: int, end: int, named: list[bool]) -> bool:
    """An id's segment first; else a token's shape where Discord is named or as a bot's ``.run`` argument."""
    first = text[start:first_dot]
    if _snowflake(first):
        return True
    if not (any(ch.isdigit() for ch in text[start:end]) and first.lower() != first and first.upper() != first):
        return False
    if _DISCORD_RUN.search(text, max(0, start - 12), start) is not None:
        return True
    if not named:
        named.append("discord" in text or "Discord" in text or "discord" in text.lower())
    return named[0]


class DiscordDetector(Detector):
    """Discord bot tokens (see _DISCORD_TOKEN): each whole token shape found in C, then decoded or named in Python."""

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every Discord bot token of ``text``."""
        middle = _DISCORD_MIDDLE.search(text)  # (every token has one; its first segment at most 27 characters before)
        if middle is None:  # (most texts: one search from dot to dot)
            return []
        score = self.score
        found: list[tuple[float, int, int]] = []
        named: list[bool] = []  # (whether the text names Discord: read once, on the first token not an id's)
        tokens = _DISCORD_TOKEN.finditer(text, max(0, middle.start() - 27))
        # (past VALIDATION_BUDGET tokens of its shape, a hostile text: the rest on their shape alone, in one comprehension)
        for token in islice(tokens, VALIDATION_BUDGET):
            start, end = token.span()
            if _discord(text, start, token.end("first"), end, named):
                found.append((score, start, end))
        found += [(score, *token.span()) for token in tokens]
        return found


DISCORD = DiscordDetector("API_TOKEN", _DISCORD_MIDDLE, score=0.95, hints=(".",), secret=True)
