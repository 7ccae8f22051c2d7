"""The scanner's gates never skip a finding (speed round 12): the scan equals an ungated reference.

The reference runs every detector on every text: no per-text mask of hinted detectors, no digit-run length skip, the
service families and the context rules each on their own pattern without the gates in front of them (a rule's
documented condition stays: the hint of a family, "SecureString" of ConvertTo-SecureString, a part of
the word of a password in Portuguese, Spanish, Dutch, Swedish, Finnish or Polish), then the same overlap resolution. Compared over the red-team corpora, the presidio
texts and 5,000 seeded random strings built from the detectors' hint literals, separators, digits and credential-like
values, so a gate that skips a detector which would have found something fails here.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from gatekit.governance.detectors import DEFAULT_SCANNER, generic, registry, service_keys
from gatekit.governance.detectors.base import MIN_SCORE, Finding, digit_runs
from gatekit.governance.normalise import normalise


def _services(text: str) -> list[tuple[int, int]]:
    """Every service family's pattern on the text (each pattern holds its family's hint), no gate."""
    found: list[tuple[int, int]] = []
    for _gate, hint, pattern in service_keys._COMPILED:
        assert hint in pattern.pattern.replace("\\", ""), hint  # (the hint is implied by the pattern)
        found += [match.span() for match in pattern.finditer(text) if service_keys._token(match.group())]
    return sorted(found)


def _contexts(text: str) -> list[tuple[int, int]]:
    """Every context rule on the text; only the rules' documented conditions, none of the gates in front of them."""
    found = generic._pairs(text) + generic._CURL_USER(text) + generic._LOGIN_OPTION(text)
    if "SecureString" in text:
        found += generic._SECURE_STRING(text)
    found += generic._PROSE(text) + generic._NETRC(text) + generic._pt_es(text) + service_keys.hash_spans(text)
    found += generic._north(text) + generic._terraform(text)
    # (round 14: SQL users' passwords, env name / value pairs, credential columns, ldap -w, redis-cli -a)
    found += generic._sql(text) + generic._name_values(text) + generic._columns(text)
    found += generic._LDAP_PASSWORD(text) + generic._REDIS_PASSWORD(text)
    # (round secrets15: a password's quoted or short value, "pw" and a blank, a PIN after its name)
    found += generic._password_shapes(text) if len(text) >= generic._SHORTEST_CONTEXT else []
    return sorted(found)


def _generic(text: str) -> list[tuple[int, int]]:
    """GENERIC_SECRET's assignments, the first sign found by _SIGN itself."""
    assert (generic._first_sign(text) or _NO).span() == (generic._SIGN.search(text) or _NO).span(), text
    return [span for span in generic.DETECTOR.spans(text) if span[0] != span[1]]


class _NoMatch:
    def span(self) -> tuple[int, int]:
        return (-1, -1)


_NO = _NoMatch()


def reference_scan(text: str) -> list[Finding]:
    """The default scanner's findings computed without any of its gates."""
    normal = normalise(text)
    subject = normal.text
    runs = digit_runs(subject)
    candidates: list[tuple[float, int, int, str]] = []
    for detector in registry.DEFAULT_DETECTORS:
        if detector is service_keys.SERVICES:
            found = [(detector.score, start, end) for start, end in _services(subject)]
        elif detector is generic.CONTEXTS:
            found = [(detector.score, start, end) for start, end in _contexts(subject)]
        elif detector is generic.DETECTOR:
            found = [(detector.score, start, end) for start, end in _generic(subject)]
        elif detector.candidates_from == "digit_runs":
            found = detector.findings(subject, runs)
        else:
            found = detector.findings(subject)
        assert all(score >= MIN_SCORE for score, _, _ in found)
        candidates += [(score, start, end, detector.type) for score, start, end in found]
    if len(candidates) > 1:
        candidates = registry._resolve(candidates)
    findings = []
    for _, start, end, kind in candidates:
        start, end = normal.start(start), normal.end(end)
        findings.append(Finding(kind, start, end, text[start:end]))
    return findings if len(text) >= registry.MIN_FINDING else []


def _corpus(name: str) -> list[str]:
    data = json.loads((REPO_ROOT / "tests" / "data" / name).read_text())
    texts = [row["text"] for row in data["positives"]]
    texts += [row if isinstance(row, str) else row["text"] for row in data["negatives"]]
    texts += [row if isinstance(row, str) else row["text"] for row in data.get("left", [])]
    return texts


# the literals the detectors look for, the words their rules read, and their values' pieces
_HINTS = sorted(
    {hint for detector in registry.DEFAULT_DETECTORS for hint in detector.hints}
    | {hint for _, hint, _ in service_keys._COMPILED}
    | {hint for hint, _ in service_keys.HASHES}
)
_WORDS = [
    "password", "Password", "PASSWORD", "passwd", "pass", "token", "Token", "TOKEN", "Bearer", "BEARER", "Basic",
    "api_key", "API_KEY", "secret", "client_secret", "access_token", "Passwort", "mot de passe", "contraseña",
    "senha", "senha é", "La contraseña es:", "is", "was", "lautet", "est", "curl", "curl -u", "--user", "sshpass -p",
    "docker login", "docker login -p", "ConvertTo-SecureString", "-AsPlainText", "machine", "login", "mysql",
    "mysql -u root -p", "-storepass", "--password", "--db-password", "<password>", "</password>", 'key="ApiKey"',
    'value="', "os.Setenv(", "config.set(", "$2y$10$", "$6$", "$apr1$", "{SSHA}", "{SHA}", "X-Amz-Signature=",
    "&sig=", "?sig=", "postgres://", "redis://:", "user:", "@", "://", "ya29.", "hvs.", "dp.pt.", "dp.st.dev.",
    "123456789:AA", "ATATT3", "ATCTT3", "GOCSPX-", "key-", "NRAK-", "sq0atp-", "glrt-", "glsa_", "whsec_",
    "access_token$production$", "AKIA", "ASIA", "AIza", "eyJ", "ghp_", "github_pat_", "xoxb-", "sk-", "sk_live_",
    "pk_test_", "rk-", "glpat-", "hf_", "npm_", "SG.", "shpat_", "dop_v1_", "https://hooks.slack.com/services/T",
    "-----BEGIN RSA PRIVATE KEY-----", "-----END RSA PRIVATE KEY-----", "AGE-SECRET-KEY-1", "PuTTY-User-Key-File-2:",
    "\nPrivate-MAC: ", "SSWS", "ASIC", "OKEN", "EARER", "jane.doe@example.com", "2001:db8::1", "10.0.0.1",
]  # fmt: skip
_SEPARATORS = [" ", " ", "", "=", ": ", ":", "=>", ":=", '"', "'", '", "', "', '", ",", "-", "_", ".", "/", "\n", "\t"]
_ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_HEX = "0123456789abcdef"


def _value(rng: random.Random) -> str:
    kind = rng.randrange(11)
    if kind == 10:  # (a Telegram bot's id and token)
        return str(rng.randrange(10**7, 10**10)) + ":AA" + "".join(rng.choice(_ALNUM + "_-") for _ in range(33))
    if kind == 8:  # (Braintree's after "$production$")
        return "".join(rng.choice(_HEX + "xyz") for _ in range(16)) + "$" + "".join(rng.choice(_HEX) for _ in range(32))
    if kind == 9:  # (Atlassian's after "ATATT3")
        return "".join(rng.choice(_ALNUM) for _ in range(rng.randrange(100, 140)))
    if kind == 5:  # (AWS key ids, New Relic keys: upper-case letters and digits)
        return "".join(rng.choice(_ALNUM[:26] + "0123456789") for _ in range(rng.choice((16, 27, 32))))
    if kind == 6:  # (a JWT's three segments)
        return ".".join("eyJ" * (i < 2) + "".join(rng.choice(_ALNUM) for _ in range(12)) for i in range(3))
    if kind == 7:  # (Google keys, GitHub tokens: 35, 36 characters with "_" and "-")
        return "".join(rng.choice(_ALNUM + "_-") for _ in range(rng.choice((35, 36, 40, 60))))
    if kind == 0:  # a token of letters and digits, of a length many families take
        return "".join(rng.choice(_ALNUM) for _ in range(rng.choice((8, 12, 16, 20, 22, 24, 27, 32, 33, 35, 36, 40))))
    if kind == 1:
        return "".join(rng.choice(_HEX) for _ in range(rng.choice((16, 19, 24, 32, 34, 40, 64))))
    if kind == 2:
        return "".join(rng.choice("0123456789") for _ in range(rng.randrange(2, 20)))
    if kind == 3:
        return "".join(rng.choice(_ALNUM + "_-./+=") for _ in range(rng.randrange(8, 120)))
    return "".join(rng.choice(_ALNUM + "!#%") for _ in range(rng.randrange(8, 20)))


def _random_texts(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    texts = []
    for _ in range(count):
        parts = []
        for _ in range(rng.randrange(1, 10)):
            draw = rng.random()
            if draw < 0.3:
                parts.append(rng.choice(_HINTS))
            elif draw < 0.6:
                parts.append(rng.choice(_WORDS))
            else:
                parts.append(_value(rng))
            if draw < 0.6 and rng.random() < 0.5:  # (a literal and a value glued, as a prefix and its token are)
                parts.append(_value(rng))
            parts.append(rng.choice(_SEPARATORS))
        texts.append("".join(parts))
    return texts


def _differences(texts: list[str]) -> list[tuple[str, list[Finding], list[Finding]]]:
    out = []
    for text in texts:
        got, want = DEFAULT_SCANNER.scan(text), reference_scan(text)
        if got != want:
            out.append((text, got, want))
    return out


@pytest.mark.parametrize("name", ["pii_redteam9.json", "secrets_redteam10.json"])
def test_the_red_team_corpora_scan_as_without_gates(name: str) -> None:
    texts = _corpus(name)
    assert len(texts) > 300
    assert _differences(texts) == []
    # (and in a longer text of all of them: every gate passes, most detectors find something)
    assert _differences(["\n".join(texts[i : i + 20]) for i in range(0, len(texts), 20)]) == []


def test_random_strings_of_the_detectors_literals_scan_as_without_gates() -> None:
    texts = _random_texts(5_000, seed=11)
    assert _differences(texts) == []
    # the strings exercise the gated detectors: many hold a secret finding, of many kinds and detectors
    kinds = [finding.type for text in texts for finding in DEFAULT_SCANNER.scan(text) if finding.is_secret]
    assert len(kinds) > 1_500
    assert set(registry.SECRET_TYPES) <= set(kinds)
    # and the per-text mask leaves detectors out of most of them (the gates are tested, not bypassed)
    masks = [DEFAULT_SCANNER._mask(normalise(text).text) for text in texts]
    every = sum(DEFAULT_SCANNER._bits.values())
    assert sum(mask != every for mask in masks) > 4_000


def test_presidio_texts_scan_as_without_gates(shared_data: Path) -> None:
    rows = json.loads((shared_data / "presidio-synth" / "synth_dataset_v2.json").read_text())
    assert _differences([row["full_text"] for row in rows]) == []


def test_the_mask_is_each_detectors_hint_test() -> None:
    """A detector's bit is set exactly when one of its hints is in the text (a keyed hint: with its pattern's lead)."""
    pairs = ("".join(pair) for pair in zip(_HINTS, _HINTS[1:], strict=False))
    texts = [*_HINTS, *_random_texts(3_000, seed=12), *pairs, "-storepass", "storepass", "-pass"]
    keys = {hint: key for key, hint, _ in DEFAULT_SCANNER._singles if hint}
    assert keys.get("pass") == "-"  # (SHORT_OPTION's matches start with "-")
    for text in texts:
        mask = DEFAULT_SCANNER._mask(text)
        for detector, bit in DEFAULT_SCANNER._bits.items():
            want = any(hint in text and keys.get(hint, "") in text for hint in detector.hints)
            assert bool(mask & bit) == want, (detector.type, text)


def test_every_service_familys_credential_holds_one_of_the_detectors_hints() -> None:
    """SERVICES runs only on a text holding one of its hints: each family's matches hold one (a family's every form)."""
    texts = _corpus("secrets_redteam10.json") + _random_texts(5_000, seed=13)
    matched = set()
    for _gate, hint, pattern in service_keys._COMPILED:
        for text in texts:
            for match in pattern.finditer(text):
                matched.add(hint)
                assert any(literal in match.group() for literal in service_keys.HINTS), match.group()
    assert len(matched) > 20  # (most families are met)


@pytest.mark.parametrize(
    ("pattern", "lead"),
    [
        ("-(?:x|y)z", "-"),  # (alternatives inside a group: every match starts with "-")
        ("ab", "a"),
        ("a[|]b", "a"),
        ("a|b", ""),  # (alternatives at the top level: "b" alone matches)
        ("-x|y", ""),
        ("a?b", ""),  # (an optional first character)
        ("a{0,2}b", ""),
        ("[ab]c", ""),
        ("(?i)ab", ""),
        ("a[]]|b", ""),
    ],
)
def test_a_patterns_lead_is_a_character_every_match_starts_with(pattern: str, lead: str) -> None:
    import re

    from gatekit.governance.detectors.base import Detector

    assert registry._lead(Detector("X_TEST", re.compile(pattern))) == lead
    if lead:  # (and matches start with it)
        assert all(match.group().startswith(lead) for match in re.finditer(pattern, "ab -xz -yz b a aab x"))
