r"""GENERIC_SECRET: a credential assigned to a credential-like name, or the password of a URL.

``password=...``, ``"api_key": "..."``, ``postgres://admin:s3cret@localhost/db``. The name (``api_key``,
``secret``, ``client_secret``, ``access_token``, ``token``, ``password``, ``passwd``, ``passphrase``, ``pwd``,
``pass``, ``auth``, ``private_key``, ``private_key_id``, ``access_key_id``, ``app_key``, ``application_key``,
``subscription_key``, ``license_key``, ``.dockerconfigjson``..., also at the end of a longer name: ``adminPassword``,
``PGPASSWORD``, ``githubToken``; ``pass`` and ``auth`` only as words of their own, ``smtp_pass``, not ``bypass``; the
word for a password in other languages: ``Passwort``, ``Kennwort``, ``mot_de_passe``, ``contraseña``, ``senha``,
``wachtwoord``, ``lösenord``, ``salasana``, ``hasło``, ``clave_secreta``; not a page's or a cursor's token,
``next_page_token``) is followed by ``=``, ``:``, ``=>``, Go's ``:=`` or ``==``, perhaps after a quote, a JSON-escaped
quote (``{\"password\":\"...\"}``) or a subscript's ``]`` (``os.environ["DB_PASSWORD"] = ...``), and a value of
8..200 characters with 3+ bits of entropy per character (under 16 characters: log2 of the length less 0.5) and a digit
(a word such as ``password: hunter`` is prose, not a credential) that is no reference to a credential kept elsewhere
(``${DB_PASSWORD_V2}``, ``{{ .Values.password }}``, ``process.env.TOKEN_2``, ``os.environ[...]``). Anchored on a sign
after a name's last letter, a quote or a blank and before a value's first 8 characters (one regex, in C); the whole
name is then matched in the 23 characters before the sign. Names include Azure's ``AccountKey`` and
``SharedAccessKey`` of connection strings. Past VALIDATION_BUDGET signs (a hostile text, ``N=N=N=...``), the rest of
the text is read by one forward regex of whole assignments, in C, and each is a finding on its shape alone.

After a password's name (``password``, ``passwd``, ``passphrase``, ``pwd``, ``pass``, ``pw``, ``Passwort``,
``Kennwort``, ``mot de passe``, ``contraseña``; not a key's or a token's name), with a sign or in a sentence (round
secrets15, :func:`_password_shapes`): a quoted value holding blanks, a passphrase (``password: "correct horse battery
staple"``, ``the wifi password is "..."``, up to 200 characters on its line), is the credential whole, unless it is a
label, a message, a prompt, a schema's word or a placeholder (one ending as a sentence or a prompt does, naming a
password, holding a word of :data:`_LABEL_WORDS`: ``"Enter your password"``, ``"This field is required."``, ``"min 8
chars"``, ``"not set"``; a reference, a mask: ``"{{ vault_pw }}"``, ``"xxxx xxxx"``); a value of 6 or 7 characters
with a digit (``password: hunter2``) is one, not a quantity, a score or counted digits (``8chars``, ``1500us``,
``118/120``, ``123456``). ``pw`` is a name of its own (``pw=...``, ``DB_PW=...``, also before a blank: ``user bob pw
...``; not ``PWM``, ``npw``). A PIN of 4..8 digits right after "PIN" ("PIN code", "PIN-Code", "code PIN", "my pin is
...", "Die PIN lautet ...") or "Geheimzahl" is a credential: not counted digits (``0000``, ``1234``), not a decimal, a
time, a date, an amount or a grouped number's first group (``PIN: 12:30``, ``Dial-in PIN 5521 8876``), not six digits
on an address's line after a comma (an Indian postal PIN code, ``Bengaluru, PIN 560001``).

A URL's password: the characters between ``user:`` and ``@`` after ``://`` (``redis://:s3cret@host`` too; a user name
holding an e-mail address, ``smtps://alerts%40acme.io:...@smtp.acme.io``), of any strength (a password in a URL is a
credential however weak), unless it is a placeholder (``${DB_PASSWORD}``, ``<password>``, ``%s``, ``****``, the field's
own name: ``user:password@``); so is Oracle's connect string's, ``sqlplus scott/...@db``,
``jdbc:oracle:thin:scott/...@host:1521:ORCL``.

The value of a command-line option (``--password Tr0ub4dor99``, ``--db-password "..."``), of an XML element
(``<password>...</password>``) or of a key / value pair of attributes (``<add key="ApiKey" value="..."/>``, ``<input
name="api_token" value="...">``) named for a credential, as for an assignment.

Credentials named by their context (:data:`CONTEXTS`, one detector behind cheap gates): a name and a value as a call's
two string arguments (``os.Setenv("DB_PASSWORD", "...")``, ``config.set("api_key", "...")``); curl's ``-u
user:password`` / ``--user`` (any strength, as in a URL); ``sshpass -p`` and a registry login's or the Azure CLI's ``-p``
(docker, podman, helm, ``az login``); PowerShell's ``ConvertTo-SecureString '...'``; a password in a sentence ("Your new password is ...",
"Das Passwort lautet ...", "Le mot de passe est ...", "A senha é ...", "La contraseña es: ...", "la contrasena es
...", "Het wachtwoord is ...", "Lösenordet är ...", "Salasana on ...", "Hasło to ...", in capitals too); the word for a password in other scripts before a sign (``Пароль: ...``,
``パスワード：...``, ``密码：...``, ``비밀번호는 ...``, ``كلمة المرور: ...``); a .netrc file's ``machine ...
login ... password ...``; a Terraform variable's ``default`` in a block named for a credential (``variable
"db_password" { default = "..." }``); password hashes and signed URLs' signatures (see ``service_keys``);
``ldapsearch -w`` and ``redis-cli -a``; SQL's ``CREATE USER ... PASSWORD '...'`` and ``IDENTIFIED BY '...'`` (Oracle's
unquoted ``IDENTIFIED BY Tiger2026x`` too, :data:`SQL_BARE`); an
environment variable as a name / value pair (``- name: DB_PASSWORD`` / ``value: ...``); a table's column named for a
credential (``username,password,role`` and the rows below it).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Iterator
from heapq import merge
from itertools import islice
from math import log2
from typing import Any

from gatekit.governance.detectors import service_keys
from gatekit.governance.detectors.base import (
    ROWS_OF,
    TABLE_DELIMITERS,
    VALIDATION_BUDGET,
    Detector,
    masked,
    shannon_entropy,
)

# a sign after a credential name's last letter, a quote or a blank (the engine skips to = and : quickly)
# and followed by the first 8 characters of a value (checked here, in C: most signs have none)
# (``=>``, Go's ``:=`` and a comparison ``==`` too; a closing ``]`` of a subscript, ``os.environ["DB_PASSWORD"] =``; a
# JSON-escaped quote, ``\"password\":\"...\"``)
_SIGN_REST = r"(?<=[yYtTnNdDeEsSaAoOhHwW\]\"' \t][=:])[>=]?(?=[ \t]{0,3}+(?:\\[\"']|[\"']|)[^\s\"'`,;]{8})"
_SIGN = re.compile(r"[=:]" + _SIGN_REST)
# (the first sign of a text: "=" and ":" each a literal the engine skips to like memchr, 4x faster than the class; most
# texts hold none)
_EQUALS_SIGN, _COLON_SIGN = re.compile("=" + _SIGN_REST), re.compile(":" + _SIGN_REST)
# (a name may end a longer one without a separator, in camelCase or upper case: "adminPassword", "PGPASSWORD",
# "githubToken"; "pass" only as a word of its own: "smtp_pass", "DB_PASS", not "bypass")
# (and Rails' "secret_key_base", "SECRET_KEY_BASE": the key all its cookies and tokens are signed with)
_WORDS = (
    r"api[_\-]?key|apikey|secret(?:[_\-]?key(?:[_\-]?base)?)?|client[_\-]?secret|access[_\-]?token|auth[_\-]?token|token|password"
    r"|passwd|passphrase|pwd|private[_\-]?key(?:[_\-]?id)?|(?:shared[_\-]?)?access[_\-]?key(?:[_\-]?id)?"
    r"|account[_\-]?key|app(?:lication)?[_\-]?key|subscription[_\-]?key|license[_\-]?key|dockerconfigjson"
    # (the word for a password in the default regions' other languages, and Polish, Finnish and Swedish)
    r"|passwort|kennwort|mot[_\-. ]?de[_\-. ]?passe|contrase(?:ñ|n)a|senha|wachtwoord|lösenord|losenord|salasana"
    r"|has(?:ł|l)o|clave[_\-. ]?secreta"
)
_NAMES = rf"(?:(?<![A-Za-z0-9])(?:pass|auth|pw)|(?<![0-9])(?:{_WORDS}))"
# (after the name: a quote, JSON-escaped or not, and a subscript's "]")
# a name match ends at the sign: it starts at most this many characters before it (the longest name,
# ``shared_access_key``, an escaped quote, a "]" and 3 blanks); the look-behind still reads before that
_NAME_REACH = 23
# names of a token that is no credential: a page's, a cursor's ("next_page_token: CiAK..."), a public key's (.NET's
# "PublicKeyToken=b77a5c561934e089", the hash of a strong name's public key)
_NOT_CREDENTIAL = re.compile(r"(?:page|next|continuation|sync|cursor|public[_\-]?key)[_\-]?$", re.IGNORECASE)
# (a value: 8..200 characters, a backslash only when no quote follows it, \"...: as a class's run and its last character
# checked, not a group repeated per character, ~5x faster on a 200-character value)
_VALUE = re.compile(r"[ \t]{0,3}+(?:\\[\"']|[\"']|)(?P<value>[^\s\"'`,;]{7,199}(?:[^\s\"'`,;\\]|\\(?![\"'])))")


def _names_of(words: str) -> list[str]:
    r"""The names of ``words`` (an alternation), an optional group at a name's start both with it and without it."""
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
    return names


# (what IGNORECASE matches for these letters beyond ASCII's two cases: the dotted and dotless i, the Kelvin sign, the
# long s)
_FOLDS = {"i": "İı", "k": "K", "s": "ſ"}


def _cases(letter: str, fold: bool) -> str:
    """``letter`` in both cases (``fold``: and what IGNORECASE matches for it beyond them)."""
    return letter + letter.upper() + (_FOLDS.get(letter, "") if fold else "")


def _by_first_letters(words: str, fold: bool = False) -> str:
    r"""``words`` (names, each starting with two letters or an optional group) as a branch per second letter, in each case.

    Read after the first letter was matched: ``a(?:(?<=[Pp].)(?i:i[_\-]?key|ikey)|...)|A(?:...)|...``, a branch per
    first letter inside (a look-behind). Each outer branch starts with a literal, which the regex engine compares before
    entering it (one comparison, not a class's test, per branch): a word's letter that starts no name is left after a
    comparison per letter that may follow one, and only the names of its two letters are tried (~2.5x faster than a
    branch per pair of letters, each tried in turn, on a hostile text of names). ``fold``: the first two letters in
    every form IGNORECASE matches (as :data:`_NAME` read them), not only ASCII's two cases.
    """
    names = _names_of(words)
    prefixes = sorted({(name[0], name[1]) for name in names})
    own = {"pa": "ss", "au": "th", "pw": ""}  # ("pass", "auth", "pw" only as a word of its own)
    by_second: dict[str, list[str]] = {}
    for first, second in prefixes:
        by_second.setdefault(second, []).append(
            f"(?<=[{_cases(first, fold)}].)(?i:"
            + (f"(?<![A-Za-z0-9]..){own[first + second]}|" if first + second in own else "")
            + f"(?<![0-9]..)(?:{'|'.join(name[2:] for name in names if name[:2] == first + second)}))"
        )
    return "|".join(
        f"{case}(?:{'|'.join(branches)})"
        for second, branches in sorted(by_second.items())
        for case in _cases(second, fold)
    )


def _letters(words: str, at: int, fold: bool = False) -> str:
    """A class of both cases of the letters at ``at`` of the names of ``words`` (``fold``: see _by_first_letters)."""
    return "".join(sorted({_cases(name[at], fold) for name in _names_of(words)}))


# a credential's name ending where a search's end is (at a sign, after a quote, a "]", blanks): _NAMES in every case
# IGNORECASE matches, read as _by_first_letters reads them (~4x faster than the alternation under IGNORECASE, tried at
# every character of the 23 before a sign)
_NAME = re.compile(
    f"[{_letters(_WORDS, 0, True)}](?=[{_letters(_WORDS, 1, True)}])(?:{_by_first_letters(_WORDS, True)})"
    + r"(?:\\[\"']|[\"']|)\]?[ \t]{0,3}$"
)


# a whole assignment read forward, for the rest of a hostile text (past VALIDATION_BUDGET signs; names as _NAMES): a
# name's first letter as a class of both cases first (the engine skips to those; under IGNORECASE it would try every
# position), its second as a class, then a branch per name's first two letters (see _by_first_letters)
_ASSIGNMENT = re.compile(
    f"[{_letters(_WORDS, 0)}](?=[{_letters(_WORDS, 1)}])(?:"
    + _by_first_letters(_WORDS)
    + r")(?:\\[\"']|[\"']|)\]?[ \t]{0,3}(?:=[>=]?|:=?)"
    + _VALUE.pattern
)


# a value that refers to a credential kept elsewhere: a template's or shell's variable (``${DB_PASSWORD_V2}``,
# ``$(cat key)``, ``{{ .Values.password }}``, ``%(password)s``, ``<password>``, ``$API_KEY_2``), an environment lookup
# (``process.env.GITHUB_TOKEN_V2``, ``os.environ[...]``, ``os.getenv(...)``, ``ENV[...]``, ``secrets.X``); a file's
# path (``/run/secrets/db``; ``pwd: /srv/app1``, a shell's working directory); another field's assignment
# (``auth: user_id=884213``: a name of its own, read from its own sign if it is a credential's)
_REFERENCE = re.compile(
    r"\$[{(]|\{\{|%\(|<|\$[A-Z_][A-Z0-9_]*$|(?:process\.env|os\.environ|os\.getenv|System\.getenv|ENV\[|env\.|secrets\.|vars\.)"
    r"|(?:~|\.{1,2})?/[\w.\-]+(?:/[\w.\-]+)+/?$|[A-Za-z][A-Za-z0-9]*_[A-Za-z0-9_]*="
)


_ASCII_DIGIT = re.compile("[0-9]").search


def _has_digit(value: str) -> bool:
    """A digit in ``value`` (as ``str.isdigit``): an ASCII value in one C search, not character by character."""
    return _ASCII_DIGIT(value) is not None if value.isascii() else any(ch.isdigit() for ch in value)


def _credential(value: str) -> bool:
    """A digit and 3 bits of entropy per character (under 16 characters: log2 of the length less 0.5), no reference.

    A value of under 16 characters cannot reach log2 of its length: ``Summer2024``, ``Passw0rd`` are passwords.
    A reference to a credential kept elsewhere (``${DB_PASSWORD_V2}``, ``process.env.TOKEN_2``) is none.
    """
    return (
        _has_digit(value)
        and shannon_entropy(value) >= min(3.0, log2(len(value)) - 0.5)
        and _REFERENCE.match(value) is None
    )


# a password's name (not a key's or a token's; "pass" only ending a longer name, "DB_PASS": alone it is a test's result
# too, "PASS: testcase1"): after one, a person's password is a credential (see _human_password)
_PASSWORD_NAME = re.compile(
    r"pass(?:w|phrase)|(?<=[_\-.])pass|pw|wort|senha|woord|senord|has[łl]o|contrase|salasana", re.IGNORECASE
).search


def _human_password(value: str) -> bool:
    """A person's password after a password's name: 8..64 characters with a letter and a digit.

    Under the 3 bits per character of a random token (a word and a year, a repeated digit: ``Summer2020``,
    ``Monkey1111``, ``Sup3rS3cret``) but at least log2 of its length less 1.2 (2 at least: not ``aaaa1111``); not a
    quantity or a reference.
    """
    return (
        8 <= len(value) <= 64
        and _has_digit(value)
        and any(char.isalpha() for char in value)
        and shannon_entropy(value) >= max(2.0, log2(len(value)) - 1.2)
        and _QUANTITY(value) is None
        and _REFERENCE.match(value) is None
    )


def _named_value(text: str, named: re.Match[str], value: str) -> bool:
    """An assignment's value (:func:`_credential`); after a password's name (``named``) a person's password too."""
    return _credential(value) or (
        _PASSWORD_NAME(text, named.start(), named.end()) is not None and _human_password(value)
    )


def _any_password(value: str) -> bool:
    """An assignment's value or a person's password (a rule whose name is a password's or a credential's field)."""
    return _credential(value) or _human_password(value)


_SPLIT_FROM = 300  # (the length from which a pattern's searches by first character pay for their calls, see _values)


class _Signs:
    """``_SIGN.search(text, pos)``, faster: the earlier of the next "=" sign and the next ":" sign (each a literal).

    Each kept until a search from past it (positions only increase): a text's signs of each kind read once, as one
    search of the class would.
    """

    __slots__ = ("colon", "equals")

    def __init__(self, text: str) -> None:
        self.colon = _COLON_SIGN.search(text) if ":" in text else None
        self.equals = _EQUALS_SIGN.search(text) if "=" in text else None

    def search(self, text: str, pos: int) -> re.Match[str] | None:
        """The first sign of ``text`` (the text this was made for) starting at ``pos`` or after."""
        colon, equals = self.colon, self.equals
        if colon is not None and colon.start() < pos:
            colon = self.colon = _COLON_SIGN.search(text, pos)
        if equals is not None and equals.start() < pos:
            equals = self.equals = _EQUALS_SIGN.search(text, pos)
        return colon if equals is None or (colon is not None and colon.start() < equals.start()) else equals


def _first_sign(text: str) -> re.Match[str] | None:
    """``_SIGN.search(text)``, faster: the earlier of the first "=" sign and the first ":" sign (each a literal)."""
    colon = _COLON_SIGN.search(text) if ":" in text else None
    sign = _EQUALS_SIGN.search(text) if "=" in text else None
    return colon if sign is None or (colon is not None and colon.start() < sign.start()) else sign


# a URL query's next parameter, "&" (or HTML's "&amp;") and a name and "=": the end of the value before it
# ("jdbc:mysql://db/app?user=root&password=Xk29abzQ71mN&useSSL=true", "?api_key=...&fmt=csv")
_NEXT_PARAMETER = re.compile(r"&(?:amp;)?[A-Za-z_][A-Za-z0-9_.\-\[\]]{0,63}+=").search
_PARAMETER_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-[]")


def _in_query(text: str, at: int) -> bool:
    """The name before the sign at ``at`` is a URL query's parameter: right after ``?`` or ``&``."""
    begin = at
    while begin > 0 and at - begin < 64 and text[begin - 1] in _PARAMETER_CHARS:
        begin -= 1
    return text[begin - 1 : begin] in ("?", "&", ";") and begin > 0


class GenericSecretDetector(Detector):
    """Assignments of high-entropy values to credential names."""

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """Credential values of ``text``."""
        found: list[tuple[int, int]] = []
        checked = signs = 0
        name, value_of = _NAME.search, _VALUE.match
        # (a sign followed by a value's first 8 characters: "token: x" repeated has none; in a short text the next ones
        # by the class, fewer calls)
        search: Callable[[str, int], re.Match[str] | None]
        if len(text) < _SPLIT_FROM:
            search = _SIGN.search
            sign = _first_sign(text)
        else:
            search = _Signs(text).search
            sign = search(text, 0)
        while sign is not None:
            end = sign.end()
            at = sign.start()  # (the "=" or ":")
            low = at - _NAME_REACH if at > _NAME_REACH else 0
            signs += 1
            if signs > VALIDATION_BUDGET:  # a hostile text ("N=N=N=..."): its rest in one C pass, on shape alone
                start = max(low, found[-1][1]) if found else low
                found += [match.span("value") for match in _ASSIGNMENT.finditer(text, start)]
                return found
            named = name(text, low, at)
            if named is None or (
                named.group()[:5].lower() == "token"
                and _NOT_CREDENTIAL.search(text, max(0, named.start() - 13), named.start()) is not None
            ):
                sign = search(text, end)
                continue
            value = value_of(text, end)  # (the whole value, up to 200 characters, only after a name)
            if value is None:  # (its first 8 characters end in a JSON-escaped quote: "password=abcdefg\\"")
                sign = search(text, end)
                continue
            start, stop = value.span("value")
            if "&" in value.group("value") and _in_query(text, at):  # (a URL's query: its next parameter ends it)
                following = _NEXT_PARAMETER(text, start, stop)
                if following is not None:
                    stop = following.start()
            sign = search(text, stop)  # (signs inside a value already read start no assignment)
            checked += 1
            if checked > VALIDATION_BUDGET or _named_value(text, named, text[start:stop]):
                found.append((start, stop))
        return found


DETECTOR = GenericSecretDetector("GENERIC_SECRET", _SIGN, _credential, score=0.8, hints=("=", ":"), secret=True)


# a URL's user information with a password: "://" (the engine skips to it), a user name, ":", the password, "@"
# (a "#" inside the password, left unencoded: "postgres://app:Kx9#ZV82gDUP@db", see _url_password)
# (an "@" inside the password, left unencoded or decoded from "%40" by the normaliser: "postgres://app:p%40ss1@db", the
# last "@" before the host ends it, as a URL parser reads it; and in the user name, an e-mail address as a mail
# server's login: "smtps://alerts%40acme.io:Sm7pP4ss@smtp.acme.io", "https://jane@example.com:pw@host")
_URL_PASSWORD = re.compile(r"://(?<=[A-Za-z0-9+.\-]://)[^\s:/?#]{0,128}+:(?P<value>[^\s/?#@][^\s/?]{0,255})@", re.ASCII)
# Oracle's connect string, a user, "/", the password and "@" (EZConnect: ``sqlplus scott/Tiger2026x@//db:1521/ORCL``,
# ``sqlplus -s "sys/...@db as sysdba"``, ``jdbc:oracle:thin:scott/...@db:1521:ORCL``): a URL's password as written
# there (not ``jdbc:oracle:thin:@//db...`` nor ``sqlplus /nolog``: no user)
_ORACLE_PASSWORD = (
    r"(?:sqlplus(?<![\w\-]sqlplus)(?:[ \t]{1,3}+-{1,2}[A-Za-z]{1,12}+){0,4}+[ \t]{1,3}+[\"']?|jdbc:oracle:(?:thin|oci8?):)"
    r"[A-Za-z0-9_$#.\-]{1,128}+/(?P<value>[^\s/?#@\"'][^\s/?\"']{0,255})@"
)


# the name of the field written where its value goes ("postgres://user:password@host", "curl -u username:password")
_FIELD_WORDS = frozenset(
    "password passwd pass pwd secret token apikey api_key mypassword yourpassword your_password your-password".split()
)


def _url_password(value: str) -> bool:
    """Not a placeholder: a variable, a mask, the field's own name (a password of any strength is a credential)."""
    if "#" in value and value[: value.index("#")].isdigit():
        return False  # a port and a fragment ("http://host:8080#top@x"), no password
    return not value.startswith(("$", "{", "<", "%", "[")) and not masked(value) and value.lower() not in _FIELD_WORDS


class UrlPasswordDetector(Detector):
    """A URL's password and Oracle's connect string's: any strength, not a placeholder (see _url_password).

    :data:`_URL_PASSWORD` in a text holding ``://``; :data:`_ORACLE_PASSWORD` in one naming Oracle's clients.
    """

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """The passwords of ``text``'s URLs and Oracle connect strings."""
        found = super().spans(text) if "://" in text else []
        if "sqlplus" in text or "oracle:" in text:
            found = sorted(found + _ORACLE_SPANS(text))
        return found


URL_PASSWORD = UrlPasswordDetector(
    "GENERIC_SECRET", _URL_PASSWORD, _url_password, score=1.0, hints=("://", "sqlplus", "oracle:"), secret=True
)


# a credential in a command line's option, ``--password Tr1ckyP4ss99``, ``--db-password "..."``, ``--api-key ...``
# (the "=" form, ``--password=...``, is an assignment above), or in an XML element, ``<password>...</password>``
# (Maven's settings.xml, .NET and Java configuration files): the value as for an assignment, 8..200 characters with
# 3+ bits of entropy per character and a digit
_CREDENTIAL_WORDS = rf"(?i:pass|{_WORDS})"  # (the names assignments take)
_OPTION_VALUE = r"[ \t]{1,3}+[\"']?(?P<value>[^\s\"'`<>]{8,200}+)(?=[\"']?(?:\s|$))"


def _named(pattern: str, hint: str, validate: Callable[[str], bool] = _credential) -> Detector:
    """A GENERIC_SECRET of a credential its context names (``pattern``'s ``value`` group, as for an assignment)."""
    return Detector("GENERIC_SECRET", re.compile(pattern), validate, score=0.8, hints=(hint,), secret=True)


# (a name's camelCase words before the credential's, "<dbPassword>", key="SmtpPassword": a small letter or a digit,
# then a capital)
_CAMEL = r"(?:[A-Za-z0-9]{0,19}[a-z0-9](?=[A-Z]))?"
# (each starts with its literal, "--", "<", "key" or "name", which the regex engine skips to; single-dash options are
# read below, in a text holding their own hint)
OPTION = _named(
    r"--(?<![\w\-]--)(?:[A-Za-z0-9]{1,20}[_\-]){0,3}(?=[AaCcPpSsTt])" + _CREDENTIAL_WORDS + _OPTION_VALUE, "--"
)
ELEMENT = _named(
    r"<(?:[A-Za-z0-9]{1,20}[_\-:.]){0,3}"
    + _CAMEL
    + r"(?=[A-Za-z])"
    + _CREDENTIAL_WORDS
    + r">(?P<value>[^\s\"'`<>]{8,200}+)</",
    "</",
    _any_password,
)
# a credential as a key / value pair of attributes: .NET appSettings ``<add key="ApiKey" value="..."/>``, an HTML
# form's ``<input name="api_token" value="...">``
ATTRIBUTE = _named(
    r"(?:key|name)=[\"'](?:[A-Za-z0-9]{1,20}[_\-:.]){0,3}"
    + _CAMEL
    + r"(?=[AaCcPpSsTt])"
    + _CREDENTIAL_WORDS
    + r"[\"'][ \t]{1,3}value=[\"'](?P<value>[^\s\"'`<>]{8,200}+)[\"']",
    "value=",
    _any_password,
)
# a single-dash option naming a password (Java's keytool and jarsigner: ``-storepass``, ``-keypass``, ``-srcstorepass``;
# ``-password``, ``-passphrase``; not ``-bypass``), read in a text holding "pass"; and the MySQL clients' password glued
# to ``-p`` (``mysql -u root -pS3cretPass1``), in a text holding "mysql": each value as for an assignment
SHORT_OPTION = _named(
    r"-(?<![\w\-]-)[A-Za-z]{0,10}(?<![Bb][Yy])(?i:pass(?:word|wd|phrase)?)" + _OPTION_VALUE, "pass", _any_password
)
MYSQL_OPTION = _named(
    r"mysql(?<![\w\-]mysql)(?:dump|admin|import|show|check)?(?![\w\-])[^\n]{0,200}? -p[\"']?"
    r"(?P<value>(?<=[\"'])[^\"'\n]{8,200}+(?=[\"'])|[^\s\"'`]{8,200}+)",  # (quoted: "-p'two words 1'")
    "mysql",
    _any_password,
)


# --- credentials named by their context (one detector: a rule's gate is a test or two of characters in C) ---------

_PAIR = re.compile(r"[\"'],[ \t]{0,3}+(?=[\"'][^\s\"'`,;]{8})")
# (the same signs found from their comma, a literal: sre skips ahead to it in a tight loop, to a class of characters
# first ~4x slower; each match starts at the comma, one character after _PAIR's, and ends where it does)
_PAIR_COMMA = re.compile(r",(?<=[\"'],)[ \t]{0,3}+(?=[\"'][^\s\"'`,;]{8})")


# (past VALIDATION_BUDGET signs, a hostile text: a name and its sign read forward, in C, the value in a look-ahead so
# that the next pair may start inside it, as the signs above do; names as _NAMES, see _ASSIGNMENT)
_NAMED_PAIR = re.compile(
    f"[{_letters(_WORDS, 0)}](?=[{_letters(_WORDS, 1)}])(?:"
    + _by_first_letters(_WORDS)
    + r")\\?[\"'],[ \t]{0,3}+(?=[\"'][^\s\"'`,;]{8})(?=(?:"
    + _VALUE.pattern
    + ")?)"
)


def _pairs(text: str) -> list[tuple[int, int]]:
    """Values after a quoted credential name, a comma and a quote: ``os.Setenv("DB_PASSWORD", "...")``."""
    found: list[tuple[int, int]] = []
    name, value_of = _NAME.search, _VALUE.match
    checked = signs = 0
    last = 0  # (the end of the last sign read)
    for sign in _PAIR_COMMA.finditer(text):
        at = sign.start()  # (after the name's closing quote)
        signs += 1
        if signs > VALIDATION_BUDGET:  # a hostile text ('"a", "bcdefgh1", ' repeated): its rest in one C pass
            low = at - _NAME_REACH if at > _NAME_REACH else 0
            pairs = _NAMED_PAIR.finditer(text, max(low, last))
            for pair in islice(pairs, max(0, VALIDATION_BUDGET - checked)):  # (validated up to the budget)
                value = pair.group("value")
                if value is not None and _credential(value):
                    found.append(pair.span("value"))
            # (the rest on shape alone, in one comprehension: a pair without a value has none, (-1, -1))
            found += [span for pair in pairs for span in (pair.span("value"),) if span[0] != -1]
            return found
        last = sign.end()
        named = name(text, at - _NAME_REACH if at > _NAME_REACH else 0, at)
        if named is None:
            continue
        checked += 1
        value = value_of(text, sign.end())
        if value is not None and (checked > VALIDATION_BUDGET or _named_value(text, named, value.group("value"))):
            found.append(value.span("value"))
    return found


def _leftmost(
    firsts: str, searches: tuple[Callable[..., re.Match[str] | None], ...], text: str, pos: int = 0
) -> Iterator[re.Match[str]]:
    """The matches of patterns starting with different characters, as ``finditer`` of their alternation finds them.

    Each next match the leftmost of the patterns' from the last one's end (none is empty; at a position at most one
    pattern's first character matches): a pattern starting with a literal is searched for in sre's tight loop, one
    starting with a class of characters ("[Pp]") ~4x slower. ``firsts``: each pattern's first character, a literal (a
    pattern searched only in a text holding it). ``pos``: where the first search starts.
    """
    pending = [search(text, pos) if first in text else None for first, search in zip(firsts, searches, strict=True)]
    while True:
        best = None
        for match in pending:
            if match is not None and (best is None or match.start() < best.start()):
                best = match
        if best is None:
            return
        yield best
        end = best.end()
        pending = [
            match if match is None or match.start() >= end else search(text, end)
            for match, search in zip(pending, searches, strict=True)
        ]


# (a rule read around its events: the characters before an event a match's name may start at, and after it its value may
# end at; past _EVENT_BUDGET events the rest of the text is one window)
_EVENT_BEFORE = 256
_EVENT_AFTER = 256
_EVENT_BUDGET = 256
_EVENT_SAMPLE = 32  # (events read before a text whose events are dense, one per 256 characters or more, is read whole)


def _in_windows(
    finditer: Callable[..., Iterator[re.Match[str]]],
    rest: Callable[[str, int], Iterator[re.Match[str]]],
    events: Callable[[str, int], re.Match[str] | None],
    text: str,
    start: int = 0,
) -> Iterator[re.Match[str]]:
    """``finditer``'s matches of ``text``, read only in windows around its ``events`` (the same matches: see _values).

    A window from _EVENT_BEFORE characters before an event to _EVENT_AFTER after it, overlapping ones merged; each read
    from the last match's end (as one ``finditer`` of the whole text would); past _EVENT_BUDGET events, or at the
    _EVENT_SAMPLE-th when they are dense, the rest of the text by ``rest``. ``start``: no match starts before it (the events are searched from it).
    """
    size = len(text)
    end = start  # (the last match's end; none starts before ``start``)
    low = high = -1  # (the window being made)
    seen = 0
    event = events(text, start)
    while event is not None:
        at = event.start()
        seen += 1
        # (a text of events, past the budget or dense from its first ones on, their windows overlapping: its rest in
        # one read, from the window being made if this event's joins it)
        if seen > _EVENT_BUDGET or (seen == _EVENT_SAMPLE and at - start < _EVENT_SAMPLE * _EVENT_BEFORE):
            rest_from = at - _EVENT_BEFORE if at > _EVENT_BEFORE else 0
            if high >= 0:
                if rest_from <= high:
                    rest_from = low
                else:
                    for match in finditer(text, max(low, end), high):
                        end = match.end()
                        yield match
            yield from rest(text, max(rest_from, end))
            return
        if at - _EVENT_BEFORE > high:  # (a window of its own: the one before is complete)
            if high >= 0:
                for match in finditer(text, max(low, end), high):
                    end = match.end()
                    yield match
            low = at - _EVENT_BEFORE if at > _EVENT_BEFORE else 0
        high = at + _EVENT_AFTER if at + _EVENT_AFTER < size else size
        event = events(text, event.end())
    if high >= 0:
        yield from finditer(text, max(low, end), high)


def _first_of(
    firsts: str, searches: tuple[Callable[..., re.Match[str] | None], ...], text: str
) -> re.Match[str] | None:
    """The first match of patterns each starting with one of ``firsts``, a literal (see _leftmost), in ``text``."""
    best = None
    for first, search in zip(firsts, searches, strict=True):
        match = search(text) if first in text else None
        if match is not None and (best is None or match.start() < best.start()):
            best = match
    return best


def _values(
    pattern: str, validate: Callable[[str], bool], flags: int = 0, firsts: str = "", events: str = "", name: str = ""
) -> Callable[[str], list[tuple[int, int]]]:
    """The spans of ``pattern``'s ``value`` group that ``validate`` accepts (past VALIDATION_BUDGET: every one).

    ``firsts``: the pattern is ``[firsts]`` then ``pattern``; in a text of _SPLIT_FROM characters or more it is read as
    a search for each of those first characters, a literal (see _leftmost), the same matches. ``events``: a pattern
    every match needs an occurrence of, its name at most _EVENT_BEFORE characters before it and its value's end at most
    _EVENT_AFTER after it (a verb, a colon, a quote, a digit...): in a text of _SPLIT_FROM characters or more the
    pattern is read only around them (see _in_windows), the same matches (a hostile text of thousands of names without
    a value after them is left after one search of its events, not a try per name); ``name``: the pattern's start every
    match begins with (after ``firsts``), the events searched from its first.
    """
    single = re.compile(f"[{firsts}]{pattern}" if firsts else pattern, flags).finditer
    by_first = functools.partial(
        _leftmost, firsts, tuple(re.compile(first + pattern, flags).search for first in firsts)
    )
    split: Callable[[str], Iterator[re.Match[str]]] = by_first
    long = _SPLIT_FROM if firsts or events else 1 << 62  # (without either: the single pattern in every text)
    if events:
        rest = by_first if firsts else single
        events_of = re.compile(events).search
        names = (
            functools.partial(_first_of, firsts, tuple(re.compile(first + name, flags).search for first in firsts))
            if firsts
            else re.compile(name, flags).search
        )
        windows = functools.partial(_in_windows, single, rest, events_of)

        def windowed(text: str) -> Iterator[re.Match[str]]:
            first = names(text)  # (the events from the first name on: a text without one has no match)
            return windows(text, first.start()) if first is not None else iter(())

        split = windowed

    def spans(text: str) -> list[tuple[int, int]]:
        found = []
        matches = split(text) if len(text) >= long else single(text)
        checked = 0
        for match in matches:
            checked += 1
            if validate(match.group("value")):
                found.append(match.span("value"))
            if checked == VALIDATION_BUDGET:
                break
        else:
            return found
        # past VALIDATION_BUDGET (a hostile text): the rest on shape alone, read by the single pattern from the last
        # match's end (the same matches as the searches by first character, without a step in Python per match)
        found += [match.span("value") for match in single(text, match.end())]
        return found

    return spans


# a password given on a command line: curl's ``-u user:password`` / ``--user user:password`` (of any strength, as in a
# URL), ``sshpass -p ...`` and a registry login's ``-p ...`` (docker, podman, helm; of any strength too), PowerShell's
# ``ConvertTo-SecureString '...' -AsPlainText``
_CURL_USER = _values(
    r"curl(?<![\w\-]curl)(?![\w\-])[^\n]{0,300}? (?:-u|--user)[ =]{1,3}[\"']?[^\s:\"'$]{1,128}+:(?P<value>[^\s\"'@]{1,256}+)",
    _url_password,
)
_LOGIN_OPTION = _values(
    r"(?:sshpass|(?:docker|podman|helm(?:[ \t]+registry)?|buildah|skopeo|oras|(?<![\w\-])az)[ \t]+login)(?![\w\-])"
    r"[^\n]{0,200}? -p"
    r"[ \t]{1,3}+[\"']?(?P<value>[^\s\"'`\-][^\s\"'`]{0,255}+)",
    lambda value: _url_password(value) and not (value.isdigit() and len(value) <= 5),
)  # (of any strength, as curl's, but a port: "sshpass -f pw ssh host -p 2222" is ssh's port)
_ORACLE_SPANS = _values(_ORACLE_PASSWORD, _url_password)  # (of UrlPasswordDetector, defined above _values)
_SECURE_STRING = _values(
    r"ConvertTo-SecureString(?:[ \t]+-String)?[ \t]+[\"'](?P<value>[^\"'\n]{1,200}+)[\"']", _url_password, re.IGNORECASE
)
# --- a password's value in the shapes an assignment's first 8 characters miss (round secrets15) -------------------
# After a password's name (``password``, ``passwd``, ``passphrase``, ``pwd``, ``pw``, ``pass``, ``Passwort``,
# ``Kennwort``, ``mot de passe``, ``contraseña``; not a key's or a token's: those hold no blanks and no 6 characters),
# with a sign or in a sentence: a quoted value holding blanks, a passphrase (``password: "correct horse battery
# staple"``), is the credential whole; a value of 6 or 7 characters with a digit (``password: hunter2``) is one.

# (a label's, a message's, a prompt's, a schema's or a placeholder's words: a quoted value holding one is none)
_LABEL_WORDS = frozenset(
    """your yours you enter type required optional must should least min max minimum maximum characters character chars
    char digits digit letters field invalid incorrect wrong too short weak expired same set here below above
    example placeholder change changeme hidden redacted string null none tbd todo again show hide forgot forgotten reset
    sign login confirm confirmation stored vault provided empty unknown default masked value secret secrets
    token key credentials
    ihr ihre ihren dein deine deinen bitte eingeben erforderlich vergessen ungültig falsch zu kurz mindestens zeichen
    leer votre vos saisissez saisir entrez entrer requis obligatoire oublié invalide caractères moins trop su sus
    introduzca ingrese escriba obligatoria obligatorio requerida requerido inválida incorrecta caracteres olvidó
    olvidaste""".split()
)
_LABEL_PIECES = ("passw", "passe", "kennwort", "contrase", "senha")  # (a value naming a password labels one)
_SENTENCE_END = (".", "?", ":", "…")
_LETTER_WORDS = re.compile(r"[^\W\d_]+").findall
# a number, a quantity, a time, a date, a score, an amount (``8chars``, ``1500us``, ``118/120``, ``10:42``)
_QUANTITY = re.compile(r"[0-9]+(?:[.,][0-9]+)?[A-Za-z%]{1,5}|[0-9][0-9]*[.,/:%+\-][0-9.,/:%+\-]*").fullmatch


def _counted(digits: str) -> bool:
    """Digits no one picks as a secret: one repeated or counted up or down by one (``0000``, ``1234``, ``654321``)."""
    steps = {ord(second) - ord(first) for first, second in zip(digits, digits[1:], strict=False)}
    return len(steps) <= 1 and steps <= {-1, 0, 1}


def _short_password(value: str) -> bool:
    """A password of 6 or 7 characters: a digit, log2 of its length less 0.5 bits of entropy per character.

    Not a quantity, a time, a date or a score (``8chars``, ``1500us``, ``118/120``), not digits counted up or repeated
    (``123456``), no reference (``$TOKEN``).
    """
    return (
        6 <= len(value) <= 7
        and _has_digit(value)
        and _QUANTITY(value) is None
        and not (value.isdigit() and _counted(value))
        and shannon_entropy(value) >= log2(len(value)) - 0.5
        and _REFERENCE.match(value) is None
    )


def _passphrase(value: str) -> bool:
    """A quoted value holding blanks: 8..200 characters with a letter, not a label, a message or a placeholder.

    Not one ending as a sentence or a prompt does (``This field is required.``, ``Kennwort vergessen?``), naming a
    password (``Enter your password``, ``Mot de passe``), holding a label's or a schema's word (``too short``, ``min 8
    chars``, ``not set``, ``see below``), a reference or a mask (``{{ vault_pw }}``, ``xxxx xxxx``).
    """
    text = value.strip()
    if len(text) < 8 or text.endswith(_SENTENCE_END) or text[0] in "<{[($%" or masked(text):
        return False
    lower = text.lower()
    if any(piece in lower for piece in _LABEL_PIECES):
        return False
    words = _LETTER_WORDS(lower)
    return bool(words) and len(words) <= 12 and _LABEL_WORDS.isdisjoint(words)


def _password_shape(value: str) -> bool:
    """A passphrase or 6..7 characters (a value of 8 or more after a sign is the assignment rule's, :data:`DETECTOR`)."""
    if " " in value or "\t" in value:
        return _passphrase(value)
    return _short_password(value)


def _password_value(value: str) -> bool:
    """A password's value after its name: an assignment's or a person's (8+ characters, no blank), else a shape's.

    (:func:`_credential` or :func:`_human_password`; else :func:`_password_shape`.)
    """
    if len(value) >= 8 and " " not in value and "\t" not in value:
        return _credential(value) or _human_password(value)
    return _password_shape(value)


# a sign after a name (as an assignment's: after a closing quote, JSON-escaped or not, or a subscript's "]"), then a
# quoted value (up to its closing quote, JSON-escaped or not, on its line) or one of 6 or 7 characters
_SHAPED_VALUE = (
    r"(?:\\[\"']|[\"']|)\]?[ \t]{0,3}+(?:=[>=]?|:=?)[ \t]{0,3}+(?:\\[\"']|[\"']|)"
    r"(?P<value>(?<=[\"'])[^\"'\n\\`]{1,200}+(?=\\?[\"'])|[^\s\"'`,;\\]{6,7}+(?![^\s\"'`,;\\]))"
)
# a PIN's name (a sign or a blank, perhaps "is", after it) and 4..8 digits: not the start of a decimal, a time, a
# date, an amount or a grouped number ("PIN: 12:30", "Dial-in PIN 5521 8876")
_PIN_VALUE = (
    r"(?![A-Za-z])(?:\\[\"']|[\"']|)(?:[ \t]{0,3}+[=:][ \t]{0,3}+|[ \t]{1,3}+(?:(?i:is|ist|est|es|lautet|was)[ \t]{1,3}+)?)"
    r"\\?[\"']?(?P<pin>[0-9]{4,8}+)(?![0-9A-Za-z]|[.,:/\- \t][0-9]|[ \t]?%)"
)


# after a "p" or a "P" (each a literal the regex engine skips to; _P_WORDS' look-ahead first, then each rule's second
# letter before its look-behinds: a "p" starting none is left after one test, ~2x faster): a password's
# name ("password", "passwd", "passwort", "passphrase", also ending a longer name, "DB_PASSWORD", "adminPassword";
# "pass" as a word of its own; "mot de passe") or "pw" / "pwd" (a word of its own, or camelCase "adminPwd") and a
# quoted or short value; "pw", a blank and a value of 6..200 ("user bob pw Tr0ub4dor&3"); "PIN" / "pin" / "Pin" (a
# word of its own, perhaps "PIN code", "PIN-Code") and a PIN
# (a sign at most ``reach`` characters on, before any line's end, and a value's end, a blank, a quote, a stop or the
# text's, at most 15 characters after it (the value quoted or of 6..7 characters): what a shaped value needs after its
# name, in one look-ahead, a scan of a class; a name without one, most in a text, is left after it)
def _signed(reach: int) -> str:
    return rf"(?=[^=:\n]{{0,{reach}}}+[=:][^\s\"'`,;\\]{{0,15}}+(?:[\s\"'`,;\\]|\Z))"


_PASS_TAIL = r"(?:(?i:w(?:or)?d|wort|phrase)|(?<![A-Za-z0-9]....)|(?<=[Dd][Ee][ _\-.]....)[eE])"
# (the letter after the "p" dispatched as a literal: "ass", "ASS", "w"/"W", "IN"/"in"; the rest of each name at most 6
# characters, a quote, a "]" and blanks 6 more before its sign: 12 after "ass", 7 after "w")
_AFTER_P = (
    rf"(?:(?:ass{_signed(12)}{_PASS_TAIL}|ASS{_signed(12)}{_PASS_TAIL}"
    rf"|[Ww]{_signed(7)}(?:(?<![A-Za-z0-9]..)|(?<=[a-z]P.))[Dd]?)"
    + _SHAPED_VALUE
    + r"|[Ww](?<![A-Za-z0-9]..)(?![A-Za-z0-9])[ \t]{1,3}+(?P<bare>[^\s\"'`]{6,200}+)"
    r"|(?:IN|in)(?<![A-Za-z0-9]...)(?:[ \-](?:[Cc]ode|CODE))?" + _PIN_VALUE + ")"
)
_P_RULES = re.compile("p" + _AFTER_P).finditer
_CAPITAL_P_RULES = re.compile("P" + _AFTER_P).finditer
# the same after "Kennwort" (as German writes it), "contraseña" / "contrasena" (in small letters or capitals); a PIN
# after "Geheimzahl" (the names' first letters a class first: the engine skips ahead to those, not trying the pattern at
# every character, ~3 ms on 100 KB)
_OTHER_NAMES = re.compile(
    r"[KCcG](?:" + _signed(15) + r"(?:(?<=K)(?<![A-Za-z0-9]K)ennwort|(?<=[Cc])(?<![A-Za-z0-9][Cc])"
    r"(?:ontrase(?:ñ|n)a|ONTRASE(?:Ñ|N)A))" + _SHAPED_VALUE + r"|(?<=G)(?<![A-Za-z0-9]G)eheimzahl" + _PIN_VALUE + ")"
).finditer


# another country's postal code named before a PIN on its line ("Postcode SW1A 2AA; PLZ 80331; CEP 01310-100; PIN
# 400001"): the PIN is India's postal one
_POSTAL_WORDS = re.compile(r"(?i:post ?code|postal|zip|plz|cep|\bcp\b)")


def _pin(text: str, match: re.Match[str]) -> bool:
    """Not counted digits (0000, 1234), nor an Indian postal PIN code of an address's line ("Bengaluru, PIN 560001").

    (6 digits after a comma before the name on its line, or after another postal code's name on it, in the 80
    characters before it: an address.)
    """
    value = match.group("pin")
    if _counted(value):
        return False
    if len(value) == 6:
        start = match.start()
        low = start - 80 if start > 80 else 0
        line = text.rfind("\n", low, start) + 1 or low
        return text.rfind(",", line, start) == -1 and _POSTAL_WORDS.search(text, line, start) is None
    return True


# what a password's shape after its name needs (see _in_windows): a sign or a digit (a shaped value, a PIN); after "p"
# also "w" and blanks before 6 characters (a bare value after "pw"); the name at most 25 characters before it, the
# value's end at most 210 after it
_SHAPE_EVENTS = re.compile(r"[=:0-9]").search
_P_SHAPE_EVENTS = re.compile(r"[=:0-9Ww](?:(?<=[=:0-9])|(?=[ \t]{1,3}+[^\s\"'`]{6}))").search


def _around_shapes(
    finditer: Callable[..., Iterator[re.Match[str]]],
    text: str,
    start: int,
    events: Callable[[str, int], re.Match[str] | None] = _SHAPE_EVENTS,
) -> Iterator[re.Match[str]]:
    """``finditer(text, start)``'s matches, read around ``events`` only (the same matches)."""
    return _in_windows(finditer, finditer, events, text, start)


def _password_shapes(
    text: str, lower: re.Match[str] | None = None, upper: re.Match[str] | None = None, other: bool = True
) -> list[tuple[int, int]]:
    """A password's quoted or short value after its name, "pw" and a blank, a PIN after its name.

    The rules after "p" and "P" each searched from its gate's first match (``lower``, ``upper``: _P_WORDS',
    _CAPITAL_P_WORDS'; None: searched here), the others in a text holding their names' pieces (``other``: its gate in
    front of this call passed; see _context_spans). Past VALIDATION_BUDGET candidates: every one, on shape.
    """
    found: list[tuple[int, int]] = []
    searches: list[Iterator[re.Match[str]]] = []
    # (in a long text each rule read only around what a match needs: a sign, a digit, a blank before 6 characters, see
    # _in_windows; a hostile text of names without one is left after one search of those)
    short = len(text) < _SPLIT_FROM
    if lower is None:
        lower = _P_WORDS(text)
    if lower is not None:
        searches.append(
            _P_RULES(text, lower.start()) if short else _around_shapes(_P_RULES, text, lower.start(), _P_SHAPE_EVENTS)
        )
    if upper is None and "P" in text:
        upper = _CAPITAL_P_WORDS(text)
    if upper is not None:
        searches.append(
            _CAPITAL_P_RULES(text, upper.start())
            if short
            else _around_shapes(_CAPITAL_P_RULES, text, upper.start(), _P_SHAPE_EVENTS)
        )
    if other:
        searches.append(_OTHER_NAMES(text) if short else _around_shapes(_OTHER_NAMES, text, 0))
    budget = VALIDATION_BUDGET
    for search in searches:
        for match in islice(search, budget) if budget else ():
            budget -= 1
            kind = match.lastgroup
            if kind == "value":
                if _password_shape(match.group("value")):
                    found.append(match.span("value"))
            elif kind == "bare":
                if _password_value(match.group("bare")):
                    found.append(match.span("bare"))
            elif _pin(text, match):
                found.append(match.span("pin"))
        if not budget:  # a hostile text ("PIN 4931 " repeated): the rest on shape, in one comprehension
            found += [match.span(match.lastgroup or 0) for match in search]
    return found


# a password in a sentence ("Your new password is ...", "Das Passwort lautet ...", "Le mot de passe est ...", "A senha
# é ...", "La contraseña es: ...") or in a .netrc file ("machine host login user password ...": any strength but the
# field's own name); the value quoted, holding blanks ("the wifi password is 'correct horse battery staple'"), or of
# 6 characters or more (see _password_value)
# (words may stand between the name and its verb or a colon when they name whose or which password it is: a
# preposition, perhaps after one word, and up to 3 words, "the password for the staging DB is ...", "Le mot de passe du
# wifi est ...", "Passwort für den Router: ...", "mot de passe temporaire pour ton compte : ..."; not words about the
# password, "the password hashing cost is bcrypt-12", "Password last rotated on 2024-03-12T09:41:17Z"; a word starts
# with a letter and holds no sign or stop; right after the name a colon is the assignment rules'; without a verb or a
# colon, a quoted value or one of 8 characters or more with a digit, "log in with password 'Spring#2025'")
_PROSE_WORD = r"[ \t]{1,3}+[^\W\d_][^\s\"'`<>:=.,;!?]{0,24}+"
# (for, of, on, at, in, to, from, du, de, des, del, della, da, do, dla, für, zum, van, voor, ...: in small letters, as a
# sentence writes them after a noun; one case is ~2x faster to try than either)
_PROSE_PREPOSITION = (
    r"[ \t]{1,3}+(?:f(?:or|rom|[üuö]r)|o[fn]|a(?:t|l|ux?)|à|in|t(?:o|ill)|d(?:u|e(?:s|l(?:l[ao])?|i)?|a|as|os?|la)"
    r"|na|zu[mr]|v(?:o[mn]|an|oor)|bij|på|p(?:our|ara|er)|sur|en)(?![\w\-])"
)
_PROSE_GAP = rf"{_PROSE_PREPOSITION}(?:{_PROSE_WORD}){{0,3}}?"  # (a preposition and up to 3 words)
# (the verbs' first letters a class first, tried in C before the case-blind branches: ~1.5x faster on a text of names)
_VERB_WORD = r"(?=[iIwWlLeEéèÉÈtTäÄoOjJ])(?i:ist?|was|lautet|e(?:st?)?|[éè]|to|är|on|jest)"
_PROSE_VERB = r"[ \t]{1,3}+" + _VERB_WORD + r"(?::|[ \t]{1,3}+:?)"
# what a password in a sentence needs after its name (see _values' events): a verb after a blank, or a colon; with a (_PROSE_BARE) also a quote or a digit
# bare value (_PROSE_BARE) also a quote or a digit. A verb or a colon only when a value may follow it (_PROSE_TAIL: a
# quote, or 6 of a value's characters, after a colon and blanks)
_TAIL_START = r"(?=[: \t]{0,7}(?:[\"'“„«]|[^\s\"'`<>“”„«»]{6}))"
_SENTENCE_EVENTS = r"[: \t](?:(?<=:)|" + _VERB_WORD + r"(?=[: \t]))" + _TAIL_START
_SENTENCE_VALUE_EVENTS = r"[: \t\"'“„«0-9](?:(?<=[^ \t:])|(?:(?<=:)|" + _VERB_WORD + r"(?=[: \t]))" + _TAIL_START + ")"
_PROSE_TAIL = (
    r"[ \t]{0,3}+[\"'“„«]?(?P<value>(?<=[\"'“„«])[^\"'`<>“”„«»\n]{1,200}+(?=[\"'”“»])|[^\s\"'`<>“”„«»]{6,200}+)"
)
_PROSE_BARE = r"|[ \t]{1,3}+(?=[\"'“„«]|[^\s\"'`<>“”„«»]{8})(?=[\"'“„«]|[^\s\"'`<>“”„«»0-9]{0,200}+[0-9])"


def _prose_value(word_before: bool, bare: bool) -> str:
    """The rest of a sentence's password after its name: words, a verb or a colon, its value (see _PROSE_WORD).

    ``word_before``: a word may stand before the preposition (French, Spanish, Portuguese, Italian put an adjective
    after the noun: "mot de passe temporaire pour ..."); ``bare``: a value right after the name. Each left out where a
    language needs it not: fewer tries per name (a hostile text of names is read ~2x faster).
    """
    gap = (rf"(?:{_PROSE_WORD})??" if word_before else "") + _PROSE_GAP
    # (the words read once: a colon only after them, "(?(gap)...)"; the first verb or colon found is the sentence's,
    # atomic: its value is not looked for after more words. Words and verbs start with blanks and a letter: looked for
    # first, a name followed by a quote or a digit goes to its bare value at once)
    return (
        rf"(?:(?=[ \t]{{1,3}}+[^\W\d_])(?>(?P<gap>{gap})?(?:{_PROSE_VERB}|(?(gap)[ \t]{{0,3}}+:|(?!))))"
        + (_PROSE_BARE if bare else "")
        + ")"
    ) + _PROSE_TAIL


_PROSE_VALUE = _prose_value(word_before=True, bare=True)
# (in a long text a search for each case of the first letter: see _values)
_PROSE_NAME = r"(?:(?<![A-Za-z][Pp])(?i:assword|asswort|asscode)|(?<=[Dd][Ee] [Pp])(?i:asse))"
_PROSE = _values(
    _PROSE_NAME + _PROSE_VALUE, _password_value, firsts="pP", events=_SENTENCE_VALUE_EVENTS, name=_PROSE_NAME
)
# (a class of the word's first letter first: the engine skips ahead to it; a pattern starting under IGNORECASE is tried
# at every character, 25 ns a character)
_PT_ES_NAME = r"[SsCc](?<![A-Za-z][SsCc])(?:(?<=[Ss])(?i:enha)|(?<=[Cc])(?i:ontrase(?:ñ|n)a))"
_PROSE_PT_ES = _values(
    _PT_ES_NAME + _prose_value(True, False), _password_value, events=_SENTENCE_EVENTS, name=_PT_ES_NAME
)
# (Dutch "Het wachtwoord is ...", Swedish "Lösenordet är ...", Finnish "Salasana on ...", Polish "Hasło to ...": the
# word's first letter as a class first, as above)
_NORTH_NAME = (
    r"[WwLlSsHh](?<![A-Za-z][WwLlSsHh])(?:(?<=[Ww])(?i:achtwoord)|(?<=[Ll])(?i:(?:ö|o)senord(?:et)?)"
    r"|(?<=[Ss])(?i:alasana(?:si)?)|(?<=[Hh])(?i:as(?:ł|l)o))"
)
_PROSE_NORTH = _values(
    _NORTH_NAME + _prose_value(False, False), _password_value, events=_SENTENCE_EVENTS, name=_NORTH_NAME
)
# (German "Das Kennwort ist ...", Turkish "Şifre: ...", "Wi-Fi şifresi ..." as a sentence's name, a colon right after
# it too: these are no assignment's names; the first letter as a class first. Read in a text holding "Kennwort" or,
# of other characters than ASCII, "ş" / "Ş": "sifre" typed in ASCII and French "mdp" are not read, a string's test of
# every text, ~0.15 us on one of other characters than ASCII)
_MORE_NAME = r"[KkŞş](?<![^\W\d_][KkŞş])(?:(?<=[Kk])(?i:ennwort)|(?<=[Şş])ifre(?:si|niz|n|m)?)(?![^\W\d_])"
_PROSE_MORE = _values(
    _MORE_NAME + rf"(?:(?>(?:{_PROSE_GAP})?(?:{_PROSE_VERB}|[ \t]{{0,3}}+:)){_PROSE_BARE})" + _PROSE_TAIL,
    _password_value,
    events=_SENTENCE_VALUE_EVENTS,
    name=_MORE_NAME,
)
# the word for a password in languages of other scripts (Russian, Japanese, Chinese, Korean, Arabic, Persian, Hebrew,
# Hindi, Greek, Thai) and Hungarian's and Vietnamese's, then a sign (a full-width colon is one after normalisation) or
# a topic particle ("パスワードは", "密码是", "비밀번호는"), and a value without blanks, up to a CJK character
# ("パスワード：Adm1n2026!です"): a password's value (an assignment's or a person's, or 6..7 characters with a digit)
_NATIVE_NAME = (
    "(?:[Пп]ароль|ПАРОЛЬ|パスワード|密[码碼]|口令|비밀번호|암호|كلمة (?:المرور|السر)|رمز (?:العبور|عبور|المرور)"
    "|סיסמ[הא]|पासवर्ड|[Κκ]ωδικός(?: πρόσβασης)?|ΚΩΔΙΚΟΣ|รหัสผ่าน|[Mm]ật khẩu|MẬT KHẨU|[Jj]elszó|JELSZÓ)"
)
_NATIVE_PASSWORD = _values(
    _NATIVE_NAME
    + "[ \t]{0,3}+(?:[:=]|は|是|为|為|는|은)[ \t]{0,3}+[\"'「『]?"
    + "(?P<value>[^\\s\"'`,;」』、。\u3000-\u9fff\uac00-\ud7af\uff00-\uffef]{6,128}+)",
    _password_value,
)
# (a character of each name: a text holding none has no such password, one search of a class, in C)
_NATIVE_GATE = re.compile("[ьЬワ码碼令번암رסवωΩผẩẨóÓ]").search
_NETRC = _values(
    r"machine(?<![\w\-]machine)[ \t]{1,20}+[^\s]{1,256}+\s{1,20}+login\s{1,20}+[^\s]{1,256}+\s{1,20}+password[ \t]{1,20}+"
    r"(?P<value>[^\s]{1,256}+)",
    _url_password,
)


# the bind password of the OpenLDAP clients, ``ldapsearch ... -w secret`` (``-W`` asks for it), and redis-cli's ``-a``:
# of any strength, as curl's
_LDAP_PASSWORD = _values(
    r"ldap(?<![\w\-]ldap)(?:search|modify|add|delete|modrdn|passwd|compare|whoami|exop|url)(?![\w\-])[^\n]{0,300}? -w"
    r"[ \t]{1,3}+[\"']?(?P<value>[^\s\"']{1,256}+)",
    _url_password,
)
_REDIS_PASSWORD = _values(
    r"redis-cli(?![\w\-])[^\n]{0,300}? (?:-a|--pass)[ \t]{1,3}+[\"']?(?P<value>[^\s\"']{1,256}+)", _url_password
)


# (the gates below of a string in a text: a search of its least common character, the rest in look-arounds; sre scans
# for a literal first character in a tight loop, ~4x faster than a substring test of two or more characters)
_SPACE_DASH = re.compile("-(?<= -)").search  # " -"


# a password piped into ``sudo -S``, ``passwd --stdin``, ``chpasswd`` (``echo 'pw' | sudo -S ...``, ``echo 'user:pw' |
# chpasswd``): of any strength (its own field), as curl's
_PIPED_PASSWORD = _values(
    r"echo(?<![\w\-]echo)[ \t]+(?:-[neE]{1,3}[ \t]+)?[\"']?(?P<value>[^\s\"'|]{1,128}+)[\"']?[ \t]*\|[ \t]*"
    r"(?:sudo[ \t]+(?:-[A-Za-z]+[ \t]+){0,3}?-[A-Za-z]*S(?![\w\-])|passwd[ \t]+--stdin|chpasswd)",
    _url_password,
)


def _commands(text: str) -> list[tuple[int, int]]:
    """``curl -u``, a login's ``-p``, ``ConvertTo-SecureString``: each in a text holding its command's name."""
    found: list[tuple[int, int]] = []
    if _SPACE_DASH(text) is not None:  # (curl's -u and a login's -p are options)
        if "curl" in text:
            found += _CURL_USER(text)
        if " -p" in text:
            found += _LOGIN_OPTION(text)
        if " -w" in text and "ldap" in text:
            found += _LDAP_PASSWORD(text)
        if "redis-cli" in text:
            found += _REDIS_PASSWORD(text)
    if "SecureString" in text:
        found += _SECURE_STRING(text)
    return found


# a password in SQL: MySQL's and Oracle's ``IDENTIFIED BY '...'``, PostgreSQL's ``CREATE ROLE / ALTER USER name
# [WITH] [LOGIN ...] PASSWORD '...'`` (up to 6 option words before it); quoted, of any strength (a default such as
# 'guest' too), as a URL's password
# (the keywords' first letters a class first: the engine skips ahead to those, not trying both branches at every character)
_SQL_PASSWORD = re.compile(
    r"[IiCcAa](?:(?:(?<=I)DENTIFIED|(?<=i)dentified)(?:[ \t]+(?i:with)[ \t]+[A-Za-z_]{1,40}+)?[ \t]+(?i:by)[ \t]+"
    r"'(?P<quoted>[^'\n]{1,200}+)'"
    r"|(?<![\w\-].)(?:(?<=C)REATE|(?<=c)reate|(?<=A)LTER|(?<=a)lter)[ \t]+(?i:user|role)[ \t]+(?i:if[ \t]+(?:not[ \t]+)?exists[ \t]+)?"
    r"[\"`']?[\w.\-]{1,64}+[\"`']?(?:@[\"`']?[\w.%\-]{1,64}+[\"`']?)?(?:[ \t]+[A-Za-z]{2,20}+){0,6}?"
    r" (?:PASSWORD|password) '(?P<set>[^'\n]{1,200}+)')"
)


# Oracle's password unquoted or in double quotes (``CREATE USER scott IDENTIFIED BY Tiger2026x``, ``ALTER USER ...``,
# a database link's ``CONNECT TO scott IDENTIFIED BY ...``): after a user's, a role's name and ``IDENTIFIED BY``, a
# value as for an assignment (8..200 characters, 3+ bits of entropy per character, a digit); not a bind or substitution
# variable (``:pw``, ``?``, ``@p``, ``&pw``, ``$PW``), not ``IDENTIFIED BY VALUES '...'`` (a hash), nor EXTERNALLY /
# GLOBALLY (which take no BY). The user's keyword's first letter as a class first: the engine skips ahead to it. Read
# in a text holding "IDENTIFIED" (Oracle's own way; a lower-case statement's unquoted password is not read: its hint
# would be searched for alone in every text, ~0.16 us)
SQL_BARE = Detector(
    "GENERIC_SECRET",
    re.compile(
        r"[UuRrTt](?<![\w\-][UuRrTt])(?:(?<=[Uu])(?i:ser)|(?<=[Rr])(?i:ole)|(?<=[Tt])(?i:o))[ \t]+[\"`]?[\w.$#\-]{1,64}+"
        r"[\"`]?[ \t]+(?:IDENTIFIED|identified)[ \t]+(?i:by)[ \t]+\"?(?!(?i:values|externally|globally)(?![\w]))"
        r"(?P<value>[^\s'\";,:?@&$][^\s'\";,]{7,199}+)(?![^\s\";,])"
    ),
    _credential,
    score=0.8,
    hints=("IDENTIFIED",),  # (the registry tests "N" first; "identified" would be a search of its own, ~0.16 us a text)
    secret=True,
)


def _sql(text: str) -> list[tuple[int, int]]:
    """The password of a SQL statement creating or changing a user (see _SQL_PASSWORD)."""
    found = []
    matches = _SQL_PASSWORD.finditer(text)
    for match in islice(matches, VALIDATION_BUDGET):
        group = "quoted" if match.group("quoted") is not None else "set"
        if _url_password(match.group(group)):
            found.append(match.span(group))
    # (past VALIDATION_BUDGET, a hostile text: the rest on shape alone, in one comprehension)
    found += [match.span("quoted" if match.start("quoted") != -1 else "set") for match in matches]
    return found


# an environment variable as a name / value pair of fields (Kubernetes' and ECS's ``env``: ``- name: DB_PASSWORD``
# then ``value: "..."``, ``{"name": "DB_PASSWORD", "value": "..."}``; CloudFormation's ``Name`` / ``Value``, a tag's
# ``Key`` / ``Value``), its name a credential's: the value as for an assignment
_NAME_VALUE = re.compile(
    r"[NnKk](?<![A-Za-z][NnKk])(?:(?<=[Nn])(?:ame|AME)|(?<=[Kk])(?:ey|EY))[\"']?[ \t]{0,3}+[:=][ \t]{0,3}+[\"']?"
    r"(?P<name>[A-Za-z0-9_.\-]{1,64}+)[\"']?[ \t]{0,3}+(?:,[ \t]{0,3}+|\r?\n[ \t]{0,40}+)[\"']?[Vv]alue[\"']?"
    r"[ \t]{0,3}+[:=][ \t]{0,3}+[\"']?(?P<value>[^\s\"'`,;]{8,200}+)"
)


def _name_values(text: str) -> list[tuple[int, int]]:
    """The value of a name / value pair whose name is a credential's (see _NAME_VALUE), in a text of lines or braces."""
    if "\n" not in text and "{" not in text:
        return []
    return _named_credentials(text, _NAME_VALUE.finditer(text))


def _named_credentials(text: str, matches: Iterator[re.Match[str]]) -> list[tuple[int, int]]:
    """The ``value`` of each match whose ``name`` is a credential's, as an assignment's (3+ bits, a digit)."""
    found: list[tuple[int, int]] = []
    for match in islice(matches, VALIDATION_BUDGET):
        start, end = match.span("name")
        named = _NAME.search(text, start, end)
        if named is None or _NOT_CREDENTIAL.search(text, start, named.start()) is not None:  # (not "next_page_token")
            continue
        if _named_value(text, named, match.group("value")):
            found.append(match.span("value"))
    # past VALIDATION_BUDGET (a hostile text): every value named for a credential, on its shape; a name's verdict kept by
    # its text and the character before it (all its patterns read), a hostile text's thousands of one name read once
    known: dict[tuple[bool, str], bool] = {}
    for match in matches:
        start, end = match.span("name")
        key = (start == 0, text[start - 1 if start else 0 : end])
        verdict = known.get(key)
        if verdict is None:
            named = _NAME.search(text, start, end)
            verdict = known[key] = named is not None and _NOT_CREDENTIAL.search(text, start, named.start()) is None
        if verdict:
            found.append(match.span("value"))
    return found


# a table's column named for a credential (a CSV export's ``username,password,role`` header, a markdown table's ``|
# api_key |``): the cells below it, each as an assignment's value (3+ bits of entropy per character, a digit)
# (a header cell ends in the name: a piece of it, the rest of its letters, at most 3 quotes or blanks and the cell's end;
# one regex per piece, each starting with its literal, which the engine searches for at C speed, and only for the pieces
# a text holds: most texts with lines and commas hold none)
_COLUMN_PIECES = ("ass", "ASS", "wort", "WORT", "ecret", "ECRET", "oken", "OKEN", "pwd", "PWD", "key", "Key", "KEY")
_COLUMN_WORDS = {
    piece: re.compile(re.escape(piece) + r"[A-Za-z]{0,8}+[\"'`* \t]{0,3}(?=[,;\t|\r\n])") for piece in _COLUMN_PIECES
}
_CELL_STRIP = " \t\r\"'`*"
_CELL_STRIP_CLASS = " \\t\\r\"'`*"  # (the same in a pattern's class)


# a header cell's name read forward, in C, for the rest of a text past VALIDATION_BUDGET candidate words (a long CSV
# whose cells end in "monkey", "bypass", "token"...: none of them a name is read in Python); names as _NAMES (the first
# letter as a class of both cases, the engine skips to those; see _ASSIGNMENT), a blank where "_" or "-" may be ("API
# Key"), then the cell's end as for _COLUMN_WORDS
_HEADER_NAME = re.compile(
    f"[{_letters(_WORDS, 0)}](?=[{_letters(_WORDS, 1)}])(?:"
    + _by_first_letters(_WORDS.replace(r"[_\-]", r"[_\- ]"))
    + r")[\"'`* \t]{0,3}(?=[,;\t|\r\n])"
)

# a table's cell of 8..200 characters (a hostile text's rest, past the header cells read: each holding a digit a finding)
_CELL_SHAPE = re.compile(
    r"(?:^|(?<=[,;\t|]))[ \"'`*]{0,3}+(?=[^,;\t|\r\n\"'`]{0,199}?[0-9])(?P<value>[^,;\t|\r\n\"'`]{8,200}+)",
    re.MULTILINE,
)
_CELLS = 2 * VALIDATION_BUDGET  # header cells read (and rows, a cell for every 64 characters) before _CELL_SHAPE
_LINE_REACH = 4096  # characters a header line may hold
_TABLE_READERS: dict[tuple[str, int, int], tuple[Any, Any, Any]] = {}


def _times(piece: str, count: int) -> str:
    """``piece`` ``count`` times in a row: written out up to 8 (no repeated group, ~2x faster per row), else ``{count}``."""
    return piece * count if count <= 8 else f"(?:{piece}){{{count}}}"


def _table_readers(delimiter: str, column: int, count: int) -> tuple[Any, Any, Any]:
    """The readers of a table's rows: the run of rows, the cells of a column, those holding a digit.

    (The ``match`` of a run of rows of ``count`` delimiters each, the ``finditer`` of their cells in ``column``, the
    same of the cells holding a digit, each read from the newline before its row.) The cells are those that may hold a
    value of 8 characters (``value``); the run ends before the first line of another number of cells.
    """
    key = (delimiter, column, count)
    readers = _TABLE_READERS.get(key)
    if readers is None:
        if len(_TABLE_READERS) >= 256:
            _TABLE_READERS.clear()
        edge = re.escape(delimiter)
        cell = f"[^{edge}\\n]*+"
        rows = re.compile(f"(?:{_times(cell + edge, count)}{cell}(?:\\n|\\Z))*+")
        value = f"(?P<value>(?=[^{edge}\\n]{{8}}){{digit}}{cell})"
        # (a row from the line's end before it, a literal the engine skips to: searched from that newline, not tried at
        # every character as a line's start would be)
        row = f"\\n{_times(cell + edge, column)}{value}{_times(edge + cell, count - column)}(?=\\n|\\Z)"
        cells = re.compile(row.replace("{digit}", ""))
        # (the cells holding a digit, their value without the quotes, blanks and stars around it: each run of those
        # inside it only when a character of the value follows, possessive; the length checked by the caller)
        kept = f"[^{edge}\\n{_CELL_STRIP_CLASS}]"
        digit_cells = re.compile(
            row.replace(
                value,
                f"(?=[^{edge}\\n0-9]*+[0-9])[{_CELL_STRIP_CLASS}]*+(?P<value>(?:{kept}++|[{_CELL_STRIP_CLASS}]++(?={kept}))*+)"
                f"[{_CELL_STRIP_CLASS}]*+",
            )
        )
        readers = _TABLE_READERS[key] = (rows.match, cells.finditer, digit_cells.finditer)
    return readers


# (a CSV row's comma: followed by a cell's first character, or by a quoted cell's quote and its first character; not
# prose's ", " nor a closing quote's ',"' before a blank, nor a line's last comma in an address)
_CSV_COMMA = re.compile(",(?:[^\\s\"'\u201c\u201d\u2018\u2019]|[\"'][^\\s,])")


def _comma_table(text: str) -> bool:
    """``text`` holds a comma not followed by a blank (a CSV row's; prose writes ", ")."""
    return _CSV_COMMA.search(text) is not None


def _columns(text: str) -> list[tuple[int, int]]:
    """The values of a table's columns whose header is a credential's name (see _COLUMN_WORDS).

    Comma-separated tables only in a text holding a comma not followed by a blank (see _comma_table): a CSV row's.
    """
    found: list[tuple[int, int]] = []
    commas = "," in text and _comma_table(text)
    # (each piece's first VALIDATION_BUDGET + 1 words: the first of all that many among them; the rest of the text
    # past them read for a cell a name ends, in C: a long CSV's many "monkey," "bypass," are never read in Python)
    words = [
        word.start()
        for piece, pattern in _COLUMN_WORDS.items()
        if piece in text
        for word in islice(pattern.finditer(text), VALIDATION_BUDGET + 1)
    ]
    if not words:
        return found
    words.sort()
    done = 0  # (the end of the last table read: its rows are no header)

    def names_after(start: int) -> Iterator[int]:
        """The header names from ``start``, each searched from the end of the last table read (its rows skipped in C)."""
        while True:
            name = _HEADER_NAME.search(text, start if start > done else done)
            if name is None:
                return
            yield name.start()
            start = name.end()

    candidates: Iterable[int] = words
    if len(words) > VALIDATION_BUDGET:
        rest = words[VALIDATION_BUDGET] - 48 if words[VALIDATION_BUDGET] > 48 else 0
        candidates = merge(words[:VALIDATION_BUDGET], names_after(rest))
    # every candidate word is read, none left past a budget (a hostile text's many "monkey," "bypass," do not hide a
    # "password" column after them), each at O(1) amortised: its line's bounds found once and shared by the words on
    # it, per delimiter whether the line holds it, the delimiters before and after a word found by searches that start
    # where the last ones ended (each character searched once per delimiter), a cell shared by words read once
    line_start = line_end = -1  # (the line read: the words after its end start the next)
    held: tuple[str, ...] = ()  # the delimiters the line holds
    before: dict[str, int] = {}  # per delimiter its last one on the line before ``since`` (-1: none)
    since: dict[str, int] = {}
    after: dict[str, int] = {}  # per delimiter its first one at or after a word read (-1: none; -2: not searched)
    last_cell = (-1, -1)
    cells = 0  # (header cells read, and rows read a cell for every 64 characters: past _CELLS, see _CELL_SHAPE)
    validated = 0  # (cells of credential columns validated)
    for at in candidates:
        if at < done:
            continue
        if at > line_end:  # a new line: its bounds and delimiters, once
            line_start = text.rfind("\n", line_end if line_end > 0 else 0, at) + 1
            line_end = text.find("\n", at)
            if line_end == -1:  # (no row below this word, nor below any after it)
                break
            held = tuple(
                delimiter
                for delimiter in TABLE_DELIMITERS
                if (delimiter != "," or commas) and text.find(delimiter, line_start, line_end) != -1
            )
            before = dict.fromkeys(held, -1)
            since = dict.fromkeys(held, line_start)
            after = dict.fromkeys(held, -2)
        if line_end - at >= _LINE_REACH:  # (a header line holds at most _LINE_REACH characters after the word)
            continue
        reach = at - _LINE_REACH if at > _LINE_REACH else 0
        head = line_start if line_start > reach else reach  # (as far back as a header's cell is read)
        for delimiter in held:
            previous = text.rfind(delimiter, since[delimiter], at)
            since[delimiter] = at
            if previous != -1:
                before[delimiter] = previous
            cell_end = after[delimiter]
            if -1 != cell_end < at:
                cell_end = after[delimiter] = text.find(delimiter, at, line_end)
            cell_start = before[delimiter] + 1 if before[delimiter] >= head else head
            if cell_start != head or cell_end != -1:
                break
        else:
            continue
        if cell_end == -1:
            cell_end = line_end
        if (cell_start, cell_end) == last_cell:  # (a cell already read, for a word before this one)
            continue
        last_cell = (cell_start, cell_end)
        cells += 1
        if cells > _CELLS:  # a hostile text ("password,a\n\n" repeated): its rest on shape alone
            found += [
                cell.span("value") for cell in _CELL_SHAPE.finditer(text, line_start) if _has_digit(cell.group("value"))
            ]
            return found
        cell = text[cell_start:cell_end].strip(_CELL_STRIP).replace(" ", "_")  # ("API Key", "New Password")
        named = _NAME.search(cell) if len(cell) <= 40 else None
        if named is None or _NOT_CREDENTIAL.search(cell, 0, named.start()) is not None:
            continue
        human = _PASSWORD_NAME(cell, named.start(), named.end()) is not None  # (a password column: people's too)
        column = text.count(delimiter, head, cell_start)
        count = text.count(delimiter, head, line_end)
        # every row of the table, each read once (a long export's later rows are no less secret): its end found by
        # one C call, then only the rows whose cell in the column may hold a value of 8 characters
        table, cells_of, digit_cells_of = _table_readers(delimiter, column, count)
        row = table(text, line_end + 1).end()
        start = line_end  # (the newline before the first row)
        while start < row:
            if validated >= VALIDATION_BUDGET:  # (a hostile table: its rest's cells holding a digit, on shape, at once)
                found += [
                    span
                    for cell_match in digit_cells_of(text, start, row)
                    for span in (cell_match.span("value"),)
                    if 8 <= span[1] - span[0] <= 200
                ]
                break
            for cell_match in cells_of(text, start, row):
                value = cell_match.group("value")
                stripped = value.strip(_CELL_STRIP)
                if 8 <= len(stripped) <= 200:
                    validated += 1
                    if _credential(stripped) or (human and _human_password(stripped)):
                        first = cell_match.start("value") + value.index(stripped)
                        found.append((first, first + len(stripped)))
                    if validated == VALIDATION_BUDGET:
                        start = cell_match.end()
                        break
            else:
                break
        row += 1
        cells += (row - line_end) >> 6  # (rows read: a cell for every 64 characters)
        done = row
    return found


# an HTTP cookie header's session cookie (``Cookie: sessionid=...``, ``Set-Cookie: PHPSESSID=...``, ``connect.sid``): a
# session id is a bearer credential whatever the cookie's name; its value as an assignment's (8+ characters, 3+ bits of
# entropy per character, a digit); other cookies' names ("theme", "_ga") are read by the assignment rule, if at all
_COOKIE_HEADER = re.compile(r"(?<![\w\-])(?:[Ss]et-)?[Cc]ookie:[ \t]{0,3}+(?P<line>[^\n]{1,4096}+)")
_COOKIE = re.compile(r"(?:^|;)[ \t]{0,3}+(?P<name>[^=;\s]{1,64}+)=(?P<value>[^;\s]{8,512}+)")


def _cookies(text: str) -> list[tuple[int, int]]:
    """The values of the session cookies of ``text``'s cookie headers (see _COOKIE_HEADER)."""
    found: list[tuple[int, int]] = []
    checked = 0
    for header in _COOKIE_HEADER.finditer(text):
        start, end = header.span("line")
        for cookie in _COOKIE.finditer(text[start:end]):
            name = cookie.group("name").lower()
            if "sess" in name or name.endswith("sid"):
                checked += 1
                if checked > VALIDATION_BUDGET or _credential(cookie.group("value")):
                    found.append((start + cookie.start("value"), start + cookie.end("value")))
    return found


def _passwords(text: str) -> list[tuple[int, int]]:
    """A password in a sentence; in a text holding "machine" too, a .netrc file's."""
    found = _PROSE(text)
    if "machine" in text:
        found += _NETRC(text)
    return found


_SHORTEST_CONTEXT = 8  # the shortest text a rule finds in: "PIN 4931", "pw: abc123"; (others: 'a", "' and 8 characters)


# a Terraform variable block named for a credential and its default (``variable "db_password" { default = "..." }``):
# "variable", a blank, its quoted name, the block up to its "default" (a nested block of one level allowed)
_TF_VARIABLE = re.compile(
    r"variable(?<![\w\-]variable)[ \t]{1,3}+\"(?P<name>[A-Za-z0-9_\-]{1,64}+)\"[ \t]{0,3}+\{"
    r"(?:[^{}]|\{[^{}]{0,500}+\}){0,1000}?(?<![\w\-])default[ \t]{0,3}+=[ \t]{0,3}+\"(?P<value>[^\"\n]{1,200}+)\""
)


def _terraform(text: str) -> list[tuple[int, int]]:
    """The default of a Terraform variable named for a credential, as an assignment's value (3+ bits, a digit)."""
    return _named_credentials(text, _TF_VARIABLE.finditer(text))


# (the gates below are substring tests of the longest piece of a word its forms share: a longer one is skipped through
# faster, ~100 ns for 200 characters; an "é", "ñ", "ö" or "ł" only in a text of other characters than ASCII)


_PT_ES_CAPITALS = re.compile("N(?:(?<=EN)(?=HA E)|(?<=ON)(?=TRASENA))").search  # "ENHA E", "ONTRASENA"
_NORTH_CAPITALS = re.compile("A(?:CHTWOORD|LASANA)").search  # "ACHTWOORD", "ALASANA"
# (both: "ACHTWOORD", "ALASANA", "ENHA E", "ONTRASENA")
_CAPITALS = re.compile("A(?:CHTWOORD|LASANA|(?<=ENHA)(?= E)|(?<=ONTRA)(?=SENA))").search


def _pt_es(text: str) -> list[tuple[int, int]]:
    """A password in a Portuguese or Spanish sentence, accented or not.

    Read in a text holding "enha e" ("senha e") or "ontrasena"; in a text of other characters than ASCII also "senha é",
    "contraseña" ("ñ" and "ntrase").
    """
    if (
        "enha e" in text
        or "ontrasena" in text
        or ("N" in text and _PT_ES_CAPITALS(text) is not None)
        or (
            not text.isascii()
            and (
                (("ñ" in text or "Ñ" in text) and "ntrase" in text.lower())
                or (("é" in text or "É" in text) and ("enha" in text or "ENHA" in text))
            )
        )
    ):
        return _PROSE_PT_ES(text)
    return []


def _north(text: str) -> list[tuple[int, int]]:
    """A password in a Dutch, Swedish, Finnish or Polish sentence.

    Read in a text holding "achtwoord" ("wachtwoord") or "alasana" ("salasana"); in a text of other characters than
    ASCII also "senord" ("lösenord") or "asło" ("hasło").
    """
    if (
        "achtwoord" in text
        or "alasana" in text
        or ("A" in text and _NORTH_CAPITALS(text) is not None)
        or (
            not text.isascii()
            and (
                "senord" in text
                or ("ł" in text and "asło" in text)
                or "SENORD" in text
                or ("Ł" in text and "ASŁO" in text)
            )
        )
    ):
        return _PROSE_NORTH(text)
    return []


_SENORD = re.compile("D(?<=SENORD)").search  # "SENORD"


def _other_languages(text: str) -> bool:
    """The pieces of the gates of _pt_es and _north read in a text of other characters than ASCII only."""
    return (
        "senord" in text
        or ("ł" in text and "asło" in text)
        or ("Ł" in text and "ASŁO" in text)
        or ("D" in text and _SENORD(text) is not None)
        or "ñ" in text
        or "Ñ" in text
        or (("é" in text or "É" in text) and ("enha" in text or "ENHA" in text))
    )


_QUOTE_COMMA = re.compile(",(?<=[\"'],)").search  # '",' or "',"
_P_WORDS = re.compile("p(?=ass|ASS|in|IN|w|W)").search  # "pass", "pin", "pw", in a name's case
_CAPITAL_P_WORDS = re.compile("P(?=ass|ASS|in|IN|w|W)").search  # "Pass", "PASS", "PIN", "Pin", "PW"
_IDENTIFIED = re.compile("F(?<=IDENTIF)(?=IED)").search  # "IDENTIFIED"
_QUOTED_PASSWORD = re.compile("'(?<=[dD] ')(?<=assword '|ASSWORD ')").search  # "assword '" or "ASSWORD '"


def _context_spans(text: str) -> list[tuple[int, int]]:
    """The credentials of ``text`` named by their context: each rule only in a text passing its gate."""
    found: list[tuple[int, int]] = []
    # ('",' or "',": each search after a test of its characters, its first's last, a text of commas unsearched)
    if ('"' in text or "'" in text) and "," in text and _QUOTE_COMMA(text) is not None:
        found += _pairs(text)
    if "-" in text:  # (a command's options; "ConvertTo-SecureString", which may be the last word of a line)
        found += _commands(text)
    # (a "p" or "P" before "ass", "in" or "w" in either case: a password's name, "pw", "PIN"; one search each, a literal
    # first; "ass" alone, "class", never starts one)
    lower = _P_WORDS(text)
    upper = _CAPITAL_P_WORDS(text) if "P" in text else None
    if lower is not None or upper is not None:
        found += _passwords(text)
    # ("Kennwort", "Geheimzahl" as German writes them; "contraseña" below)
    kennwort = "K" in text and "ennwort" in text
    other = kennwort or ("G" in text and "eheimzahl" in text)
    # (a password in a sentence of more languages: one test of each piece of both rules' gates; the rules test them
    # again; the capitals, "WACHTWOORD IS ...", in one search)
    if (
        "enha e" in text
        or "ontrasena" in text
        or "achtwoord" in text
        or "alasana" in text
        or ("A" in text and _CAPITALS(text) is not None)
        or (not text.isascii() and _other_languages(text))
    ):
        found += _pt_es(text) + _north(text)
        other = True  # ("contraseña: ...")
    if lower is not None or upper is not None or other:
        found += _password_shapes(text, lower, upper, other)
    # (the gates of the rules below: a character's test, C memchr, before a string's where one fits)
    if "=" in text and "ookie:" in text:
        found += _cookies(text)
    if "|" in text and "echo" in text:
        found += _PIPED_PASSWORD(text)
    if kennwort or (not text.isascii() and ("ş" in text or "Ş" in text)):
        found += _PROSE_MORE(text)  # ("Das Kennwort ist ...", "Şifre: ...")
    if not text.isascii() and _NATIVE_GATE(text) is not None:
        found += _NATIVE_PASSWORD(text)  # ("Пароль: ...", "パスワード：...", "密码是 ...", "كلمة المرور: ...")
    if "'" in text and (  # (single characters first: 10 ns, not 100; one call: a statement may hold both forms)
        ("F" in text and _IDENTIFIED(text) is not None) or "identified" in text or _QUOTED_PASSWORD(text) is not None
    ):
        found += _sql(text)
    if (
        ("\n" in text or "{" in text)
        and "alue" in text
        and ("ame" in text or "ey" in text or "AME" in text or "EY" in text)
    ):
        found += _name_values(text)
    if "\n" in text and (
        ("|" in text and ROWS_OF["|"](text) is not None)
        or ("\t" in text and ROWS_OF["\t"](text) is not None)
        or (";" in text and ROWS_OF[";"](text) is not None)
        or ("," in text and _comma_table(text) and ROWS_OF[","](text) is not None)
    ):
        found += _columns(text)
    if "{" in text and 'variable "' in text and "default" in text:  # (a block's default: no default, no finding)
        found += _terraform(text)
    if "$" in text or ("{" in text and ("{SS" in text or "{SHA}" in text)) or ("=" in text and "ig" in text):
        found += service_keys.hash_spans(text)
    if len(found) > 1:
        found.sort()
    return found


class ContextDetector(Detector):
    """Credentials named by their context (:func:`_context_spans`).

    A call's name and value, a command's password, a password in a sentence or a .netrc file, a password hash, a
    signed URL's signature.

    One detector for the rules (not one each: a detector costs a call and its hint test on every text); no ``hints``:
    each rule's gate, a test or two of characters (C memchr) and strings, stands in for them.
    """

    def findings(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[float, int, int]]:
        """``(score, start, end)`` of every credential of ``text`` (none in a text too short to hold a rule's)."""
        if len(text) < _SHORTEST_CONTEXT:  # (a tool argument's id, name or amount)
            return []
        spans = _context_spans(text)
        if not spans:  # (most texts: no list built)
            return []
        score = self.score
        return [(score, start, end) for start, end in spans]

    def spans(self, text: str, runs: list[tuple[int, int]] | None = None) -> list[tuple[int, int]]:
        """The credentials of ``text`` named by their context."""
        return _context_spans(text)


CONTEXTS = ContextDetector("GENERIC_SECRET", _PAIR, score=0.8, secret=True)
