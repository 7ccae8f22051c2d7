"""GENERIC_SECRET: a credential assigned to a credential-like name, or the password of a URL.

``password=...``, ``"api_key": "..."``, ``postgres://admin:s3cret@localhost/db``. The name (``api_key``,
``secret``, ``client_secret``, ``access_token``, ``token``, ``password``, ``passwd``, ``passphrase``, ``pwd``,
``pass``, ``private_key``, ``access_key_id``..., also at the end of a longer name: ``adminPassword``,
``PGPASSWORD``, ``githubToken``; ``pass`` only as a word of its own, ``smtp_pass``, not ``bypass``) is followed
by ``=``, ``:`` or ``=>`` and a value of 8..200 characters with 3+ bits of entropy per character (under 16
characters: log2 of the length less 0.5) and a digit (a word such as ``password: hunter`` is prose, not a
credential). Anchored on a sign after a name's last letter, a quote or a blank and before a value's first 8
characters (one regex, in C); the whole name is then matched in the 19 characters before the sign (the longest
name, a quote and 3 blanks). Names include Azure's ``AccountKey`` and ``SharedAccessKey`` of connection strings.
Past VALIDATION_BUDGET signs (a hostile text, ``N=N=N=...``), the rest of the text is read by one forward regex of
whole assignments, in C, and each is a finding on its shape alone.

A URL's password: the characters between ``user:`` and ``@`` after ``://`` (``redis://:s3cret@host`` too), of any
strength (a password in a URL is a credential however weak), unless it is a placeholder (``${DB_PASSWORD}``,
``<password>``, ``%s``, ``****``).

The value of a command-line option (``--password Tr0ub4dor99``, ``--db-password "..."``), of an XML element
(``<password>...</password>``) or of a key / value pair of attributes (``<add key="ApiKey" value="..."/>``, ``<input
name="api_token" value="...">``) named for a credential, as for an assignment.
"""

from __future__ import annotations

import re
from math import log2

from gatekit.governance.detectors.base import VALIDATION_BUDGET, Detector, masked, shannon_entropy

# a sign after a credential name's last letter, a quote or a blank (the engine skips to = and : quickly)
# and followed by the first 8 characters of a value (checked here, in C: most signs have none)
_SIGN = re.compile(r"[=:](?<=[yYtTnNdDeEsS\"' \t][=:])>?(?=[ \t]{0,3}+[\"']?[^\s\"'`,;]{8})")
# (a name may end a longer one without a separator, in camelCase or upper case: "adminPassword", "PGPASSWORD",
# "githubToken"; "pass" only as a word of its own: "smtp_pass", "DB_PASS", not "bypass")
_WORDS = (
    r"api[_\-]?key|apikey|secret(?:[_\-]?key)?|client[_\-]?secret|access[_\-]?token|auth[_\-]?token|token|password"
    r"|passwd|passphrase|pwd|private[_\-]?key|(?:shared[_\-]?)?access[_\-]?key(?:[_\-]?id)?|account[_\-]?key"
)
_NAMES = rf"(?:(?<![A-Za-z0-9])pass|(?<![0-9])(?:{_WORDS}))"
_NAME = re.compile(r"(?=[AaCcPpSsTt])" + _NAMES + r"[\"']?[ \t]{0,3}$", re.IGNORECASE)
# a name match ends at the sign: it starts at most this many characters before it (the longest name,
# ``shared_access_key``, a quote and 3 blanks); the look-behind still reads before that
_NAME_REACH = 19
_VALUE = re.compile(r"[ \t]{0,3}+[\"']?(?P<value>[^\s\"'`,;]{8,200}+)")


def _by_first_letters(words: str) -> str:
    r"""``words`` (names, each starting with two letters or an optional group) as a branch per first two letters.

    Read after the first letter was matched: ``[Pp](?<=[Aa].)(?i:i[_\-]?key|ikey)|...``. Each branch starts with a
    class (its second letter), which the regex engine tests before entering it: a word's letter that starts no name is
    left after one test per branch, not after trying every name.
    """
    names: list[str] = []
    depth = begin = 0
    for at, char in enumerate(words + "|"):
        depth += (char == "(") - (char == ")")
        if char == "|" and not depth:
            names.append(words[begin:at])
            begin = at + 1
    for name in list(names):  # ("(?:shared[_\-]?)?access...": with the group and without it)
        if name.startswith("(?:"):
            group, rest = name[3:].split(")?", 1)
            names[names.index(name)] = group + rest
            names.append(rest)
    prefixes = sorted({(name[0], name[1]) for name in names})
    return "|".join(
        f"[{second.upper()}{second}](?<=[{first.upper()}{first}].)(?i:"
        + ("(?<![A-Za-z0-9]..)ss|" if first + second == "pa" else "")  # ("pass" only as a word of its own)
        + f"(?<![0-9]..)(?:{'|'.join(name[2:] for name in names if name[:2] == first + second)}))"
        for first, second in prefixes
    )


# a whole assignment read forward, for the rest of a hostile text (past VALIDATION_BUDGET signs; names as _NAMES): a
# name's first letter as a class of both cases first (the engine skips to those; under IGNORECASE it would try every
# position), its second as a class, then a branch per name's first two letters (see _by_first_letters)
_ASSIGNMENT = re.compile(
    r"[AaCcPpSsTt](?=[AaCcEeHhLlOoPpRrUuWw])(?:"
    + _by_first_letters(_WORDS)
    + r")[\"']?[ \t]{0,3}(?:=>?|:)"
    + _VALUE.pattern
)


def _credential(value: str) -> bool:
    """A digit and 3 bits of entropy per character (under 16 characters: log2 of the length less 0.5).

    A value of under 16 characters cannot reach log2 of its length: ``Summer2024``, ``Passw0rd`` are passwords.
    """
    return any(ch.isdigit() for ch in value) and shannon_entropy(value) >= min(3.0, log2(len(value)) - 0.5)


class GenericSecretDetector(Detector):
    """Assignments of high-entropy values to credential names."""

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Credential values of ``text``."""
        found: list[tuple[int, int]] = []
        checked = signs = 0
        search = _SIGN.search
        name, value_of = _NAME.search, _VALUE.match
        sign = search(text)  # (a sign followed by a value's first 8 characters: "token: x" repeated has none)
        while sign is not None:
            end = sign.end()
            at = sign.start()  # (the "=" or ":")
            low = at - _NAME_REACH if at > _NAME_REACH else 0
            signs += 1
            if signs > VALIDATION_BUDGET:  # a hostile text ("N=N=N=..."): its rest in one C pass, on shape alone
                start = max(low, found[-1][1]) if found else low
                found += [match.span("value") for match in _ASSIGNMENT.finditer(text, start)]
                return found
            if name(text, low, at) is None:
                sign = search(text, end)
                continue
            value = value_of(text, end)  # (the whole value, up to 200 characters, only after a name)
            assert value is not None  # (its start matched)
            sign = search(text, value.end())  # (signs inside a value already read start no assignment)
            checked += 1
            if checked > VALIDATION_BUDGET or _credential(value.group("value")):
                found.append(value.span("value"))
        return found


DETECTOR = GenericSecretDetector("GENERIC_SECRET", _SIGN, _credential, score=0.8, hints=("=", ":"), secret=True)


# a URL's user information with a password: "://" (the engine skips to it), a user name, ":", the password, "@"
_URL_PASSWORD = re.compile(r"://(?<=[A-Za-z0-9+.\-]://)[^\s:/?#@]{0,128}+:(?P<value>[^\s/?#@]{1,256}+)@", re.ASCII)


def _url_password(value: str) -> bool:
    return not value.startswith(("$", "{", "<", "%", "[")) and not masked(value)


URL_PASSWORD = Detector("GENERIC_SECRET", _URL_PASSWORD, _url_password, score=1.0, hints=("://",), secret=True)


# a credential in a command line's option, ``--password Tr1ckyP4ss99``, ``--db-password "..."``, ``--api-key ...``
# (the "=" form, ``--password=...``, is an assignment above), or in an XML element, ``<password>...</password>``
# (Maven's settings.xml, .NET and Java configuration files): the value as for an assignment, 8..200 characters with
# 3+ bits of entropy per character and a digit
_CREDENTIAL_WORDS = rf"(?i:pass|{_WORDS})"  # (the names assignments take)
_OPTION_VALUE = r"[ \t]{1,3}+[\"']?(?P<value>[^\s\"'`<>]{8,200}+)(?=[\"']?(?:\s|$))"


def _named(pattern: str, hint: str) -> Detector:
    """A GENERIC_SECRET of a credential its context names (``pattern``'s ``value`` group, as for an assignment)."""
    return Detector("GENERIC_SECRET", re.compile(pattern), _credential, score=0.8, hints=(hint,), secret=True)


# (each starts with its literal, "--", "<", "key" or "name", which the regex engine skips to; a single-dash option,
# "-storepass", is left: a "-" in a text is too common a hint)
OPTION = _named(
    r"--(?<![\w\-]--)(?:[A-Za-z0-9]{1,20}[_\-]){0,3}(?=[AaCcPpSsTt])" + _CREDENTIAL_WORDS + _OPTION_VALUE, "--"
)
ELEMENT = _named(
    r"<(?:[A-Za-z0-9]{1,20}[_\-:.]){0,3}(?=[A-Za-z])" + _CREDENTIAL_WORDS + r">(?P<value>[^\s\"'`<>]{8,200}+)</", "</"
)
# a credential as a key / value pair of attributes: .NET appSettings ``<add key="ApiKey" value="..."/>``, an HTML
# form's ``<input name="api_token" value="...">``
ATTRIBUTE = _named(
    r"(?:key|name)=[\"'](?:[A-Za-z0-9]{1,20}[_\-:.]){0,3}(?=[AaCcPpSsTt])"
    + _CREDENTIAL_WORDS
    + r"[\"'][ \t]{1,3}value=[\"'](?P<value>[^\s\"'`<>]{8,200}+)[\"']",
    "value=",
)
