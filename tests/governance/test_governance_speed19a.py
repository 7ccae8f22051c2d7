"""Round speed19a: hostile 100 KB texts cost what ordinary text does, and grow linearly (issue 13's bound).

Timed only against each other on the same machine (a hostile text against ordinary text of its size, 400 KB against
100 KB: best thread CPU of a few runs), never against an absolute threshold: a slow or loaded machine scales both.
The rewritten readers are checked against what they replace: the Discord tokens a character-by-character reference
grows, the windows' matches a plain ``finditer`` of the whole text finds.
"""

from __future__ import annotations

import base64
import random
import re

import pytest
from conftest import best_thread_time

from gatekit.governance.detectors import generic, tokens
from gatekit.governance.normalise import normalise

# ordinary text: prose, a JSON record, a CSV table, a config file, credentials in their usual places
_ORDINARY = (
    "Hi team, the quarterly report is attached; the password for the shared drive is Tr0ub4dor&3 until Friday.\n"
    '{"user": "jane.doe@example.com", "id": 48213, "token": "sk-live-4eC39HqLyjWDarjtT1zdp7dc", "note": "ok"}\n'
    "username,password,role\nalice,Summer2024!,admin\nbob,xyz,viewer\n"
    "db:\n  host: db.internal\n  port: 5432\n  password: s3cr3t-Passw0rd\n"
    "Call me at +1 415 555 2671 or write to support@example.org; the order #W2378156 ships on 2024-03-12.\n"
    "Das Passwort lautet Geheim123 und die PIN ist 4931. La contraseña es: hunter22.\n"
)


def _flood(unit: str, size: int) -> str:
    return normalise((unit * (size // len(unit) + 1))[:size]).text


# (detector, hostile unit): each ~10 ms on 100 KB before this round on an idle core, ~3-5x ordinary text's cost
_FLOODS = [
    (generic.CONTEXTS, "password "),
    (generic.CONTEXTS, "wachtwoord van "),
    (generic.CONTEXTS, "contraseña de a "),
    (generic.CONTEXTS, "pw "),
    (generic.CONTEXTS, "password="),
    (generic.CONTEXTS, "id,password\n1,Ab3dEf9hQ\n2,xyz\n"),
    (generic.CONTEXTS, '"api_key", "bcdefgh1", '),
    (generic.DETECTOR, "password=a1"),
    (generic.DETECTOR, "+ :secret="),
    (tokens.DISCORD, "Mz.aaaaaa.aaaaaaaaaaaaaaaaaaaaaaaaaaa"),
]


@pytest.mark.parametrize(("detector", "unit"), _FLOODS)
def test_a_hostile_flood_costs_about_what_ordinary_text_does(detector: object, unit: str) -> None:
    hostile = _flood(unit, 100_000)
    ordinary = _flood(_ORDINARY, 100_000)
    hostile_s = best_thread_time(lambda: detector.findings(hostile), runs=5)  # type: ignore[attr-defined]
    ordinary_s = best_thread_time(lambda: detector.findings(ordinary), runs=5)  # type: ignore[attr-defined]
    # (main: 3-13x ordinary text's cost; now 0.2-2.5x: a name, a sign or a dot without a value is left in C)
    assert hostile_s < 4 * ordinary_s + 0.002, (unit, hostile_s, ordinary_s)


@pytest.mark.parametrize(("detector", "unit"), _FLOODS)
def test_a_hostile_flood_grows_linearly(detector: object, unit: str) -> None:
    small, large = _flood(unit, 100_000), _flood(unit, 400_000)
    small_s = best_thread_time(lambda: detector.findings(small))  # type: ignore[attr-defined]
    large_s = best_thread_time(lambda: detector.findings(large))  # type: ignore[attr-defined]
    assert large_s < 6 * small_s + 0.002, (unit, small_s, large_s)  # 4x the text: ~4x the time, never ~16x


def test_a_flood_of_names_without_a_value_reads_no_window() -> None:
    """The sentence rules read a text only around a verb, a colon, a quote or a digit after a name: none here."""
    read: list[tuple[int, int]] = []
    pattern = re.compile("p" + generic._PROSE_NAME + generic._PROSE_VALUE)

    def finditer(text: str, pos: int = 0, endpos: int = 1 << 62) -> object:
        read.append((pos, min(endpos, len(text))))
        return pattern.finditer(text, pos, endpos)

    events = re.compile(generic._SENTENCE_VALUE_EVENTS).search
    text = _flood("password password x ", 100_000)
    assert list(generic._in_windows(finditer, finditer, events, text)) == []
    assert read == []
    # (one value after them: one window around it, the same match a whole read finds)
    text += " password is Tr0ub4dor99"
    found = [match.span("value") for match in generic._in_windows(finditer, finditer, events, text)]
    assert found == [match.span("value") for match in pattern.finditer(text)] == [(len(text) - 11, len(text))]
    assert len(read) == 1 and read[0][1] - read[0][0] < 600


def _sentences(rng: random.Random, words: int) -> str:
    names = ["password", "Password", "passwort", "mot de passe", "wachtwoord", "contraseña", "senha", "Kennwort"]
    fill = ["the", "wifi", "of", "for", "van", "de", "do", "router", "lorem", "ipsum", "staging"]
    verbs = ["is", "ist", "lautet", "est", "é", "to", "on", ":"]
    values = ["hunter22", "'correct horse battery'", "Tr0ub4dor&3", "abcdef", "x9y8z7", "12345"]
    pieces = []
    for _ in range(words):
        roll = rng.random()
        pool = names if roll < 0.1 else verbs if roll < 0.18 else values if roll < 0.24 else fill
        pieces.append(rng.choice(pool) + rng.choice([" ", " ", "  ", "\n", ", "]))
    return "".join(pieces)


@pytest.mark.parametrize("seed", range(6))
def test_the_sentence_rules_read_in_windows_find_what_a_whole_read_finds(seed: int) -> None:
    rng = random.Random(seed)
    for _ in range(20):
        text = _sentences(rng, rng.choice([80, 400, 4000]))
        for rule in (generic._PROSE, generic._PROSE_PT_ES, generic._PROSE_NORTH, generic._PROSE_MORE):
            whole = rule.__closure__  # (the rule's single pattern, read over the whole text as a reference)
            assert whole is not None
            single = next(cell.cell_contents for cell in whole if getattr(cell.cell_contents, "__name__", "") == "finditer")
            validate = next(
                cell.cell_contents
                for cell in whole
                if callable(cell.cell_contents) and getattr(cell.cell_contents, "__name__", "") == "_password_value"
            )
            expected, checked = [], 0
            for match in single(text):
                checked += 1
                if checked > generic.VALIDATION_BUDGET or validate(match.group("value")):
                    expected.append(match.span("value"))
            assert rule(text) == expected


def _discord_by_growing(text: str) -> list[tuple[int, int]]:
    """The reference: each middle's token grown character by character (main's reader), decoded or named."""
    chars = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
    found, named, shaped = [], [], 0
    middle = tokens._DISCORD_MIDDLE.search(text)
    while middle is not None:
        first_dot = start = middle.start()
        while start > 0 and first_dot - start < 28 and text[start - 1] in chars:
            start -= 1
        end, size = middle.end(), len(text)
        while end < size and end - first_dot < 47 and text[end] in chars:
            end += 1
        if (
            23 <= first_dot - start <= 27
            and text[start] in "MNO"
            and end - first_dot - 8 <= 38
            and (start == 0 or (text[start - 1] not in chars and text[start - 1] != "."))
            and (end == size or text[end] not in chars)
            and not (text[end : end + 1] == "." and text[end + 1 : end + 2] in chars)
        ):
            shaped += 1
            if shaped > generic.VALIDATION_BUDGET or tokens._discord(text, start, first_dot, end, named):
                found.append((start, end))
        middle = tokens._DISCORD_MIDDLE.search(text, max(middle.end(), end))
    return found


@pytest.mark.parametrize("seed", range(4))
def test_discord_tokens_read_whole_are_those_grown_around_each_middle(seed: int) -> None:
    rng = random.Random(seed)
    token_chars = "ABCMNOabc019_-"
    snowflake = base64.urlsafe_b64encode(b"198622483471925248").rstrip(b"=").decode()
    for _ in range(300):
        parts = []
        for _ in range(rng.randint(1, 8)):
            if rng.random() < 0.5:
                first = snowflake if rng.random() < 0.3 else rng.choice("MNOA") + "".join(
                    rng.choice(token_chars) for _ in range(rng.randint(19, 29))
                )
                middle = "".join(rng.choice(token_chars) for _ in range(rng.choice([5, 6, 6, 7])))
                third = "".join(rng.choice(token_chars) for _ in range(rng.randint(25, 41)))
                parts.append(f"{first}.{middle}.{third}" + ("." + rng.choice(["", "x", "ab"]) if rng.random() < 0.2 else ""))
            else:
                parts.append("".join(rng.choice("MNOab01_-.. \n") for _ in range(rng.randint(0, 12))))
        text = "".join(parts) + rng.choice(["", " discord", ".run('"])
        assert [(start, end) for _, start, end in tokens.DISCORD.findings(text)] == _discord_by_growing(text)
    flood = f"{snowflake}.Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs " * 300  # (past the budget: on shape alone)
    assert [(start, end) for _, start, end in tokens.DISCORD.findings(flood)] == _discord_by_growing(flood)
