"""Prompt-injection heuristics: literal phrase patterns matched on a normalised word sequence.

A text is lowercased and split into words (letters only, so punctuation, digits and line breaks
never split a phrase differently). Patterns are sequences of slots; a slot is a literal word or a
``@CONCEPT`` (a word class such as "verbs meaning ignore" in English, German and other languages),
and ``~N`` between slots allows up to N other words in between. Patterns are indexed by the words
their first slot accepts, so checking a text is one dictionary lookup per word plus a short walk
for the few patterns that start there: no case-insensitive regular expressions.

Patterns belong to weighted families; a text's score is the sum of the weights of the families it
matches (each family once); ``DEFAULT_THRESHOLD`` is 1.0, so one strong family or two weak ones flag
a text. The vocabulary targets the blunt attack styles (instruction overrides, prompt-leak requests,
persona switches, forced outputs, fake context) written generally, not the wording of particular
examples; it was tuned on ``deepset_train.parquet`` only and is scored on the held-out
``deepset_test.parquet`` by ``benchmarks/pii_accuracy.py``. A signal for review, not a classifier.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

# --- word classes --------------------------------------------------------------------------------
# English, German (many injections in the wild are German), and the most common words of a few
# other languages. Every word is lowercase and letters only (the tokeniser drops everything else).
CONCEPTS: dict[str, str] = {
    # verbs that throw earlier instructions away
    "IGNORE": (
        "ignore ignoring ignores disregard disregarding forget forgetting neglect overlook bypass overwrite "
        "ignoriere ignorieren ignoriert ignorier vergiss vergesst vergessen missachte missachten verwirf verwerfe "
        "verwerfen übergehe übergehen überschreibe "
        "olvida olvide olviden olvidar olvidate olvídate ignora ignorar ignoren oublie oubliez oublier ignorez "
        "dimentica dimenticate esqueça esqueca esquece vergeet negeer zaboravi zaboravite забудь забудьте "
        "игнорируй игнорируйте"
    ),
    # weaker verbs: only count in front of instruction words ("drop all your instructions")
    "DROP": (
        "drop skip abandon discard dismiss erase delete remove leave clear reset scrap "
        "lösche löschen streiche streichen entferne entfernen lasse lassen verlasse"
    ),
    "PRIOR": (
        "previous prior preceding above earlier former foregoing before original initial aforementioned "
        "vorherigen vorherige vorheriges vorhergehenden vorhergehende bisherigen bisherige obigen obige oben "
        "vorangegangenen vorangegangene vorangehenden vorangehende vorigen vorige davor zuvor vorher früheren "
        "frühere ursprünglichen ursprüngliche gesagte gesagten "
        "anteriores anterior previas previos antes précédentes précédents précédent antérieures precedenti"
    ),
    "ALL": "all everything any every alles alle allen todo todas todos toutes tout tutte tutto sve все",
    "YOUR": "your you deine deiner deinen dein ihre ihren ihrer tus vos tes tue tuoi",
    # what is thrown away (broad) and the narrow subset safe after a weak verb
    "THING": (
        "instructions instruction rules prompt prompts directives directions guidelines guidance commands "
        "orders tasks task assignments assignment constraints restrictions programming training context "
        "information documents document articles texts text input conversation thoughts said told "
        "anweisungen anweisung instruktionen befehle aufgaben aufgabe aufträge informationen angaben regeln "
        "vorgaben richtlinien kontext dokumente artikel texte ausführungen einschränkungen programmierung "
        "instrucciones reglas consignes règles istruzioni regole instrukcije upute инструкции"
    ),
    "INSTR": (
        "instructions instruction rules prompt prompts directives guidelines commands tasks assignments "
        "constraints restrictions programming anweisungen anweisung instruktionen befehle aufgaben aufträge "
        "regeln vorgaben richtlinien einschränkungen instrucciones consignes istruzioni instrukcije"
    ),
    "LEAK": (
        "show print reveal display output repeat tell give write list spell share expose leak dump "
        "zeige zeig zeigen gib geben nenne nennen verrate verraten wiederhole wiederholen schreibe ausgeben "
        "muestra muestrame dime montre affiche"
    ),
    "LEAKED": (
        "prompt prompts systemprompt instructions instruction anweisungen instruktionen vorgaben "
        "instrucciones consignes"
    ),
    "PRAISE": (
        "done good great excellent fantastic wonderful perfect awesome brilliant congratulations outdone "
        "gemacht gut ausgezeichnet ausgezeichnete hervorragend hervorragende fantastisch großartig toll super "
        "prima klasse glückwunsch übertroffen"
    ),
    "PIVOT": "now nun jetzt but aber",
    "NEWTASK": (
        "task tasks challenge instructions instruction assignment assignments aufgabe aufgaben herausforderung "
        "anweisungen anweisung forget vergiss ignore ignoriere"
    ),
    "NEW": "new neue neuen neuer further more additional updated another weitere weiteren nächste",
    "INFO": "information informationen angaben",
    "SAY": "say write print output reply respond answer antworte schreibe schreib sag sage sagen gib",
    "ONLY": "just only simply nur einfach ausschließlich lediglich solo seulement",
    "CONTEXT": "context kontext document documents dokument dokumente artikel article articles",
    "QUESTION": "question frage",
    "BE": "be sein",
    "ROLE": "role rolle roles rollen character",
}

# family -> (weight, patterns). Strong families weigh 1.0 (flag alone), weak ones 0.5.
FAMILIES: dict[str, tuple[float, tuple[str, ...]]] = {
    "override": (
        1.0,
        (
            "@IGNORE ~4 @PRIOR",
            "@IGNORE ~2 @ALL",
            "@IGNORE ~4 @THING",
            "@PRIOR ~3 @THING ~3 @IGNORE",  # German verb-final: "die obigen Ausführungen ignorieren"
            "@ALL ~1 @PRIOR ~3 @IGNORE",
            "@DROP ~3 @ALL ~3 @INSTR",
            "@DROP ~3 @PRIOR ~3 @INSTR",
            "@DROP ~2 @YOUR ~2 @INSTR",
            "despite what you ~2 told",
            "change your instructions",
            "your instructions are",
            "your new instructions",
            "abweichend zu",
            "abweichend von",
            "entgegen ~2 @PRIOR",
            "@ALL ~1 @PRIOR ~1 @INSTR",
            "@ALL ~1 @PRIOR ~1 @INFO",
            "@PRIOR ~6 irrelevant",
            "start over",
            "von vorne",
            "von neu",
            "neu anfangen",
            "neu beginnen",
        ),
    ),
    "new_task": (
        1.0,
        (
            "@NEW ~1 @NEWTASK ~2 follow",
            "@NEW ~1 @NEWTASK ~2 folgen",
            "@NEW tasks follow",
            "now @NEW @NEWTASK",
            "nun folgen",
            "jetzt folgen",
            "now follow @NEW",
            "@NEW @NEWTASK",
            "new task",
            "new tasks",
            "new instructions",
            "new instruction",
            "new assignment",
            "additional instruction",
            "additional instructions",
            "updated instructions",
            "neue aufgabe",
            "neue aufgaben",
            "neuen aufgabe",
            "neue anweisungen",
            "neue anweisung",
            "neuen anweisungen",
            "now focus on",
            "now concentrate on",
            "konzentriere dich ~2 auf",
            "konzentrieren sie sich ~2 auf",
            "that is enough",
            "that s enough",
            "that is done",
            "das genügt",
            "das reicht",
            "das ist erledigt",
        ),
    ),
    "praise_pivot": (
        1.0,
        (
            "@PRAISE ~10 @PIVOT ~6 @NEWTASK",
            "@PRAISE ~10 @PIVOT ~6 @IGNORE",
        ),
    ),
    "prompt_leak": (
        1.0,
        (
            "@LEAK ~3 @YOUR ~3 @LEAKED",
            "@LEAK ~3 @ALL ~3 @LEAKED",
            "@LEAK ~3 @PRIOR ~3 @LEAKED",
            "@LEAK ~4 prompt",
            "what was written ~3 beginning",
            "what was written above",
            "what is written above",
            "what was written before",
            "what is written before",
            "what are your instructions",
            "what were your instructions",
            "what is your prompt",
            "was steht oben",
            "was stand oben",
            "was wurde ~3 anfang",
            "wie lauten deine anweisungen",
            "wie lauten ihre anweisungen",
            "was sind deine anweisungen",
            "was sind ihre anweisungen",
            "in the prompt",
            "im prompt",
            "before the text",
            "vor dem text",
            "system message",
            "systemnachricht",
            "systemprompt",
            "system prompt",
            "initial prompt",
        ),
    ),
    "persona": (
        1.0,
        (
            "act as",
            "acting as",
            "behave as",
            "behave like",
            "pretend",
            "imagine you are",
            "imagine that you are",
            "you are now",
            "now you are",
            "now you act",
            "from now on you",
            "roleplay",
            "role play",
            "role playing",
            "play the role",
            "take on the role",
            "@YOUR role",
            "in @YOUR ~1 @ROLE",
            "stay in character",
            "break character",
            "breaking character",
            "acting characters",
            "actors",
            "jailbreak",
            "jailbroken",
            "dan mode",
            "du bist jetzt",
            "jetzt bist du",
            "nun bist du",
            "ab jetzt bist du",
            "stell dir vor",
            "stellen sie sich vor",
            "tu so als",
            "tue so als",
            "tun sie so als",
            "verhalte dich wie",
            "verhalte dich als",
            "agiere als",
            "fungiere als",
            "als ~6 fungieren",
            "als ~6 fungierst",
            "spiele die rolle",
            "spielen die rolle",
            "spielen die hauptrollen",
            "in die rolle",
            "in der rolle",
            "schauspieler",
            "du bist kein",
            "du bist keine",
            "du bist ein",
            "du bist eine",
            "actúa como",
            "actua como",
            "finge que",
            "ahora eres",
            "agis comme",
            "fais semblant",
            "tu es maintenant",
            "you are the ~2 now",
            "as the ~2 tell me",
            "from now known as",
            "known as ~6 you are",
        ),
    ),
    "forced_output": (
        1.0,
        (
            "@ONLY ~1 @SAY",
            "@SAY ~1 @ONLY",
            "@SAY that you",
            "@SAY the following",
            "@SAY folgendes",
            "say yes",
            "sag ja",
            "repeat after me",
            "sprich mir nach",
            "include that you",
            "state that",
            "make something up",
            "erfinde etwas",
            "do not answer",
            "don t answer",
            "dont answer",
            "don nt answer",
            "do not look",
            "don t look",
            "nicht beantworten",
            "beantworte ~2 nicht",
            "antworte ~2 nicht",
            "instead @SAY",
            "i command you",
            "ich befehle dir",
            "or you die",
            "oder du stirbst",
            "sonst stirbst du",
            "untrue",
            "unwahre",
            "unwahr",
            "false headline",
            "fake headline",
            "not by the articles",
            "by your own knowledge",
            "not according to",
            "execute the following",
            "führe ~2 folgenden ~1 aus",
            "pwned",
            "di lo siguiente",
            "dites ce qui suit",
            "@SAY dass",
            "sagen sie dass",
            "sag mir dass",
            "tell me that you",
            "tell me you",
            "antworte im stil",
            "musst du ~3 reden",
        ),
    ),
    "jailbreak": (
        1.0,
        (
            "developer mode",
            "do anything now",
            "unfiltered",
            "uncensored",
            "unrestricted",
            "without ~1 restrictions",
            "without ~1 filters",
            "without ~1 censorship",
            "without ~1 guidelines",
            "no ethical",
            "no moral",
            "no morals",
            "ohne ~1 einschränkungen",
            "ohne ~1 zensur",
            "ohne ~1 filter",
            "unzensiert",
            "ungefiltert",
            "evil ai",
            "evil assistant",
            "böse ki",
            "hate speech",
            "hassrede",
            "swearwords",
            "swear words",
            "schimpfwörter",
        ),
    ),
    # checked only at the first word of a text
    "fake_context": (1.0, ("@CONTEXT",)),  # "Context: {planted claim} Question: ..."
    "persona_start": (1.0, ("you are", "you re", "du bist", "be a", "be an", "sei ein", "sei eine")),
    # weak signals: each alone is below the threshold, two of them reach it
    "weak_imperative": (
        0.5,
        (
            "i want you to",
            "i need you to",
            "ich möchte dass du",
            "ich möchte dass sie",
            "ich will dass du",
            "your task is",
            "your job is",
            "your role is",
            "deine aufgabe ist",
            "ihre aufgabe ist",
            "deine neue aufgabe",
            "from now on",
            "von nun an",
            "ab jetzt",
            "ab sofort",
            "you must",
            "du musst",
            "you have to",
            "you will now",
            "in the style of",
            "im stil",
            "im stile",
            "no restrictions",
            "no rules",
            "no filters",
            "keine regeln",
            "override",
        ),
    ),
    "weak_override": (
        0.5,
        (
            "ignore",
            "forget",
            "disregard",
            "ignoriere",
            "ignorieren",
            "vergiss",
            "instructions",
            "instruction",
            "anweisungen",
            "instruktionen",
            "prompt",
        ),
    ),
    "weak_output": (
        0.5,
        (
            "@SAY ~3 that you",
            "hypothetical",
            "hypothetically",
            "hypothetisch",
            "theoretical",
            "theoretisch",
            "hate",
            "hasse",
            "hasst",
            "hass",
            "print",
            "output",
            "ausgabe",
        ),
    ),
}

DEFAULT_THRESHOLD = 1.0

# families whose patterns must start at the very first word of the text
_ANCHORED_AT_START = frozenset({"fake_context", "persona_start"})


@dataclass(frozen=True, slots=True)
class InjectionSignal:
    """The result of checking one text: its score and which families matched."""

    score: float
    families: tuple[str, ...]

    def flagged(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """True when the score reaches ``threshold``."""
        return self.score >= threshold


# --- compiled form ------------------------------------------------------------------------------------

# one pattern: (family, ((words of slot 0, 0), (words of slot 1, max gap before it), ...))
Slot = tuple[frozenset[str], int]
Pattern = tuple[str, tuple[Slot, ...]]


def _compile(spec: str) -> tuple[Slot, ...]:
    slots: list[Slot] = []
    gap = 0
    for part in spec.split():
        if part.startswith("~"):
            gap = int(part[1:])
            continue
        words = frozenset(CONCEPTS[part[1:]].split()) if part.startswith("@") else frozenset((part,))
        slots.append((words, gap))
        gap = 0
    return tuple(slots)


def _index() -> dict[str, list[Pattern]]:
    index: dict[str, list[Pattern]] = {}
    for family, (_, specs) in FAMILIES.items():
        for spec in specs:
            slots = _compile(spec)
            for word in slots[0][0]:
                index.setdefault(word, []).append((family, slots))
    return index


_INDEX = _index()
_WEIGHTS = {family: weight for family, (weight, _) in FAMILIES.items()} | {"escaped_break": 0.5}
_WORDS = re.compile(r"[^\W\d_]+")
# structural signals read on the raw text: "STOP:" style breaks, runs of escaped line breaks
_ATTENTION = re.compile(
    r"(?i:\b(?:attention|achtung)\b[\s\-–:!]{1,5}(?:stop|stopp)\b|^\s*stopp?\b\s*[:,\-!]|[.!?]\s*stopp?\s*[:,\-!])"
    r"|(?:\\\s?n\s*){4,}"
)
# one typed-out "\n" (users do not type escapes; pasted payloads do): a weak signal
_ESCAPED_BREAK = re.compile(r"\\\s?n")


def _follows(words: list[str], slots: tuple[Slot, ...], slot: int, after: int) -> bool:
    """True when slots[slot:] match in order, each within its gap of the previous word at ``after``."""
    if slot == len(slots):
        return True
    accepted, gap = slots[slot]
    for position in range(after + 1, min(len(words), after + gap + 2)):
        if words[position] in accepted and _follows(words, slots, slot + 1, position):
            return True
    return False


def _spaced_letters(words: list[str]) -> bool:
    """True for text written with spaces between letters ("S a y t h a t ...")."""
    streak = 0
    for word in words:
        streak = streak + 1 if len(word) == 1 else 0
        if streak >= 7:
            return True
    return False


@functools.lru_cache(maxsize=4096)
def injection_score(text: str) -> InjectionSignal:
    """Score ``text`` for prompt-injection signals; each family counts once.

    Pure and deterministic, so results are cached: a golden dataset's inputs are scanned once per
    process however many repeats, candidates or policies evaluate them.
    """
    if not text:
        return InjectionSignal(0.0, ())
    words = _WORDS.findall(text.lower())
    found: set[str] = set()
    index = _INDEX
    size = len(words)
    for position, word in enumerate(words):
        patterns = index.get(word)
        if patterns is None:
            continue
        for family, slots in patterns:
            if family in found or (position and family in _ANCHORED_AT_START):
                continue
            if len(slots) > 1:
                accepted, gap = slots[1]
                if gap == 0:  # the common case: the next word, checked inline
                    if position + 1 >= size or words[position + 1] not in accepted:
                        continue
                    if len(slots) > 2 and not _follows(words, slots, 2, position + 1):
                        continue
                elif not _follows(words, slots, 1, position):
                    continue
            found.add(family)
    if (
        ("\\" in text or "stop" in words or "stopp" in words) and _ATTENTION.search(text) is not None
    ) or _spaced_letters(words):
        found.add("attention")
    elif "\\" in text and _ESCAPED_BREAK.search(text) is not None:
        found.add("escaped_break")
    score = sum(_WEIGHTS.get(family, 1.0) for family in found)
    return InjectionSignal(round(score, 3), tuple(sorted(found)))


__all__ = ["CONCEPTS", "DEFAULT_THRESHOLD", "FAMILIES", "InjectionSignal", "injection_score"]
