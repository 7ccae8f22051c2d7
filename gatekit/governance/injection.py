# ruff: noqa: E501 - the signal table reads better with one alternative per line
"""Prompt-injection heuristics: weighted signal families found in one pass over a text.

Heuristics catch the common, blunt attacks (instruction overrides, prompt-leak requests,
persona switches, forced outputs) in English, German and a few other languages; they are
tuned on ``deepset_train.parquet`` only and scored on ``deepset_test.parquet`` by
``benchmarks/pii_accuracy.py``. They are a signal for review, not a classifier.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

_PREV_EN = r"(?:previous|prior|preceding|above|earlier|former|foregoing|before|old|original|initial|provided|given)"
_THING_EN = (
    r"(?:instructions?|tasks?|assignments?|orders?|commands?|directions?|directives?|rules?|prompts?|"
    r"information|context|guidelines|documents?|articles?|texts?|thoughts|everything|conversation)"
)
_IGNORE_EN = r"(?:ignore|forget|disregard|drop|skip|abandon|discard|delete|erase|remove|leave|overlook|bypass)"

# family -> (weight, pattern). A text's score is the sum of the weights of the families it matches.
SIGNALS: dict[str, tuple[float, str]] = {
    "override": (
        1.0,
        rf"\b{_IGNORE_EN}\b[^.!?\n]{{0,40}}?\b(?:{_PREV_EN}|all|any|your|the)\b[^.!?\n]{{0,30}}?\b{_THING_EN}"
        rf"|\b(?:forget|ignore|disregard)\s+(?:about\s+)?(?:everything|all)\b"
        rf"|\b{_IGNORE_EN}\s+(?:the\s+)?(?:above|everything)\b"
        r"|\bdisregarding\b|\bdespite what you(?:'ve| have) been told\b"
        r"|\b(?:change|new|updated?|additional)\s+(?:your\s+)?instructions?\b"
        r"|\byour (?:new )?instructions are\b",
    ),
    "override_de": (
        1.0,
        r"\b(?:vergiss|vergessen sie|ignoriere|ignorieren sie|ignorieren|missachte|verwirf)\b"
        r"|\babweichend zu vorherigen\b|\b(?:alle )?(?:vorherigen|bisherigen|obigen|vorangehenden|vorangegangenen)"
        r"\s+(?:informationen|anweisungen|aufgaben|befehle|ausführungen|instruktionen|angaben)"
        r"|\bneue (?:aufgabe|anweisungen)\b|\bnun folgen\b",
    ),
    "override_other": (
        1.0,
        r"\b(?:olvid[aeo]\w*|oubliez|oublie|ignora\w*|zaboravi|забудьте|забудь)\b",
    ),
    "new_task": (
        1.0,
        r"\bnew (?:task|challenge|assignment)s?\b|\b(?:further|more|new) tasks? (?:are |is )?follow"
        r"|\bnow (?:focus|concentrate) on\b|\bstart (?:over|from the front)\b"
        r"|\bthat (?:is|was) (?:enough|done)\b|\bnow (?:new|further) tasks?\b",
    ),
    "prompt_leak": (
        1.0,
        r"\b(?:show|print|reveal|display|output|repeat|tell)\b[^.!?\n]{0,30}\b(?:prompt|instructions|system message)"
        r"|\bwhat (?:was|is) written (?:at the beginning|above|before)\b|\bprompt[- ]?te(?:x|x)te?s?\b"
        r"|\bwhat are your instructions\b|\bsentences? before the text\b|\binformation in the prompt\b",
    ),
    "persona": (
        1.0,
        r"\b(?:act|acting|behave) as (?:an? |the )?(?!well\b|soon\b|if\b|though\b)\w+"
        r"|\byou are now\b|\bnow you (?:are|act)\b|\bpretend (?:you|to be|that you)\b|\bbe a dj\b"
        r"|\broles?[- ]play|\bstay (?:fully )?in (?:their|your|his|her) roles?\b|\bjailbreak"
        r"|\bimagine you are\b|\byou are (?:an? |the )?(?:evil|abandonment|electronic|three)\b|(?-i:\bDAN\b)"
        r"|\byou are (?:the )?(?-i:[A-Z])\w+(?:\s(?-i:[A-Z])\w+)?[.,:]\s|\bas the [a-z]+, tell me\b"
        r"|\bin (?:a|this) (?:completely )?theoretical world\b|\bfrom now known as\b"
        r"|\bjetzt bist du\b|\bnun bist du\b|\bstell dir vor\b|\bals\b[^.!?]{1,60}\bfungieren\b|\bin (?:ihren|deiner) rollen?\b"
        r"|\bdu bist (?:keine|eine|ein)\b|\b(?:excellent|good|great) actors\b|\bschauspieler\b"
        r"|\bacting characters\b|\b(?:break|breaking|falling out of) (?:character|the figure)\b|\bin the style of\b|\bim stil(?:e)? (?:eine[sr]?)\b",
    ),
    "forced_output": (
        1.0,
        r"\b(?:just|only)\s+(?:output|say|print|write)\b|\bsay (?:that you|yes\b|the following)|\bstate that\b"
        r"|\binclude that you\b|\brepeat after me\b|\bnot by the articles\b|\bdo not (?:answer|look)\b"
        r"|\bdon'?n?t answer\b|\bformul\w+ (?:an? )?(?:untrue|false|fake) \w+|\bunwahre\b"
        r"|\bantworte im stil\b|\bmusst du auch so reden\b|\bexecute the following command\b"
        r"|\binstead (?:output|print|say)\b|\bhaha pwned\b|\bmake something up\b"
        r"|\bsage?n? sie\b.{0,20}\bdeutsch|\bschreibe? nur\b|\b(?:or|oder) (?:you die|du stirbst)\b|\bdi lo siguiente\b",
    ),
    "attention": (
        1.0,
        r"\b(?:attention|achtung)\b[\s\-–:!]{1,5}(?:stop|stopp)\b|^\s*stop\b[:,\-]|\bstopp?,"
        r"|(?:\\n\s*){4,}|(?:\\\s+n\s*){4,}|\b(?:\w ){6,}\w\b|\bstop\s*[:\-]\s*write\b",
    ),
    "praise_pivot": (
        1.0,
        r"\b(?:well done|very good|very well done|excellent performance|simply great|great|fantastic|"
        r"gut gemacht|sehr gut|sehr gut gemacht|ausgezeichnete leistung|einfach großartig|fantastisch)\b[^.!?]{0,30}[.!]+\s+"
        r"(?:[\w']+\s+){0,6}(?:now|nun|jetzt|forget|vergiss)\b"
        r"|\b(?:das genügt|das ist erledigt|that is enough|that is done)\b",
    ),
    "jailbreak": (
        1.0,
        r"\bsystem prompt\b|\bdeveloper mode\b|\bdo anything now\b|\b(?:unfiltered|uncensored)\b"
        r"|\bwithout (?:any )?(?:restrictions|filters?|censorship|limits|guidelines)\b"
        r"|\bno (?:restrictions|filters|rules|limits|guidelines|ethics)\b|\bantworte (?:nur|ausschließlich)\b"
        r"|\b(?:respond|reply|answer) (?:only|exclusively) (?:with|in)\b|\boverride\b",
    ),
    # weak signals: each alone is below the threshold, two of them reach it
    "weak_imperative": (
        0.5,
        r"\bi want you to\b|\bich möchte, dass (?:du|sie)\b|\byour (?:new )?(?:task|job|role) is\b"
        r"|\bdeine (?:neue )?aufgabe\b|\bfrom now on\b|\bvon nun an\b|\bab (?:jetzt|sofort)\b",
    ),
    "weak_override": (
        0.5,
        r"\b(?:ignore|forget|disregard|ignoriere|vergiss)\b|\binstructions?\b|\banweisungen\b",
    ),
    "weak_output": (
        0.5,
        r"\b(?:say|write|print|output|tell me)\b[^.!?\n]{0,20}\bthat you\b|\bsag(?:e|en sie)?,? dass\b"
        r"|\bhypothetic|\btheoretical\b|\bhate\b|\bhasse?\b",
    ),
}

# Anchors make scanning cheap: a family's regex runs only when one of its anchor words (or
# anchor substrings) occurs in the text. Every alternative of a family contains an anchor.
ANCHORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "override": (
        "ignore forget disregard drop skip abandon discard delete erase remove leave overlook bypass "
        "disregarding despite instruction instructions",
        (),
    ),
    "override_de": (
        "vergiss vergessen ignoriere ignorieren missachte verwirf abweichend vorherigen bisherigen obigen "
        "vorangehenden vorangegangenen neue nun",
        (),
    ),
    "override_other": ("", ("olvid", "oubli", "ignora", "zaboravi", "забуд")),
    "new_task": (
        "task tasks challenge challenges assignment assignments focus concentrate front enough done further",
        (),
    ),
    "prompt_leak": ("written", ("prompt", "instruction", "system message", "before the text")),
    "persona": (
        "act acting behave pretend imagine theoretical jetzt nun stell fungieren rollen actors schauspieler "
        "breaking falling style stil dan jailbreak",
        ("role", "you are", "now you", "be a dj", "known as", "du bist", "break character", ", tell me"),
    ),
    "forced_output": (
        "output say print write state include repeat articles answer look untrue false fake unwahre antworte "
        "musst execute pwned something deutsch nur die stirbst siguiente",
        ("formul",),
    ),
    "attention": ("attention achtung stop stopp", ("\\n", "\\ n")),
    "praise_pivot": (
        "done good excellent simply great fantastic gut sehr ausgezeichnete einfach fantastisch genügt erledigt enough",
        (),
    ),
    "jailbreak": (
        "developer anything unfiltered uncensored restrictions filter filters censorship limits guidelines "
        "rules ethics antworte override",
        ("system prompt", "only with", "only in", "exclusively"),
    ),
    "weak_imperative": (
        "möchte deine task job role",
        ("want you to", "from now on", "von nun an", "ab jetzt", "ab sofort"),
    ),
    "weak_override": ("ignore forget disregard ignoriere vergiss instruction instructions anweisungen", ()),
    "weak_output": ("say write print output tell sag sage sagen theoretical hate hass hasse", ("hypothetic",)),
}

DEFAULT_THRESHOLD = 1.0


@dataclass(frozen=True, slots=True)
class InjectionSignal:
    """The result of checking one text: its score and which families matched."""

    score: float
    families: tuple[str, ...]

    def flagged(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """True when the score reaches ``threshold``."""
        return self.score >= threshold


_WORDS = re.compile(r"[^\W\d_]+")
_FAMILIES: list[tuple[str, float, frozenset[str], tuple[str, ...], re.Pattern[str]]] = [
    (
        name,
        weight,
        frozenset(ANCHORS[name][0].split()),
        ANCHORS[name][1],
        re.compile(pattern, re.IGNORECASE | re.MULTILINE),
    )
    for name, (weight, pattern) in SIGNALS.items()
]


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
    lowered = text.lower()
    word_list = _WORDS.findall(lowered)
    words = set(word_list)
    found: list[str] = []
    score = 0.0
    for name, weight, anchors, substrings, regex in _FAMILIES:
        if anchors.isdisjoint(words) and not any(sub in lowered for sub in substrings):
            if not (name == "attention" and _spaced_letters(word_list)):
                continue
        if regex.search(text) is not None:
            found.append(name)
            score += weight
    return InjectionSignal(round(score, 3), tuple(sorted(found)))


__all__ = ["DEFAULT_THRESHOLD", "SIGNALS", "InjectionSignal", "injection_score"]
