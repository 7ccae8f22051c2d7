"""Prompt-injection classifier: logistic regression over words, word bigrams and word prefixes, in plain Python.

Two models share one feature function and one weights file (``injection_model.json.gz`` next to this
module, written by ``benchmarks/train_injection.py`` from public labelled data; docs/governance.md
lists the data, the held-out measures and the limits):

* ``input``: what a user typed. Trained on direct injections (deepset train, composed examples)
  against ordinary user prompts (tau2-bench, BFCL, presidio-research texts, deepset's benign ones,
  composed role-play requests, questions about sensitive topics and requests to write or generate).
* ``tool_output``: text an agent read from a tool. Trained on indirect injections (InjecAgent,
  BIPIA, deepset injections planted in tool responses) against tool responses filled with ordinary
  text. A request to *do* something ("transfer $500 to ...") is an attack there, not in ``input``.

Features of a text: its lowercased words (letters only), word bigrams and a five-letter prefix of
each longer word (German and Romance inflections share it), each present or absent (a repeated
sentence does not add up). The score is ``sigmoid(bias + sum of the weights of the present
features)``, a probability. Texts longer than ``WINDOW``
characters are cut into chunks of half that; each window of two consecutive chunks is scored as the
sum of its chunks' sums (each computed once, so cost is linear in the length, capped by
``MAX_CHARS``, 16 MiB; a feature present in both chunks counts twice) and a text's score is its highest
window's. Tool outputs are first cut at their JSON-like structure and line breaks, so keys, ids
and the other items of a listing are not mixed into the prose that carries an injection. (Character n-grams were tried: no better on the held-out sets, and 2-4x
slower in plain Python; docs/governance-notes.md lists what else was measured.)
The weights load lazily on the first score; scores are cached by text.
"""

from __future__ import annotations

import functools
import gzip
import json
import math
import re
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

Place = Literal["input", "tool_output"]
PLACES: tuple[Place, ...] = ("input", "tool_output")
WEIGHTS_FILE = Path(__file__).with_name("injection_model.json.gz")
FORMAT = 1
DEFAULT_THRESHOLD = 0.5  # a probability; the rule's ``threshold`` overrides it
WINDOW = 1000  # characters per scoring window (two chunks of half that); most messages fit in one
# of one text; the rest is not scored. As long as the longest text gatekit takes in (the proxy's 16 MiB answer, its
# 4 MiB request): a lower bound let an injection padded past it go unscored (100,000 did: the scorer reads ~10 MB/s)
MAX_CHARS = 16 * 1024 * 1024
_CACHED_CHARS = 64 * 1024  # longer texts are scored uncached: a cache of 4,096 such texts would hold gigabytes
PREFIX = 5
# word splitting by one str.translate (2-3x faster than a regex in CPython): ASCII punctuation, digits
# and common Unicode punctuation become spaces; letters of every script stay
_SEPARATORS = str.maketrans(
    dict.fromkeys(
        string.punctuation + string.digits + "\u00a0\u200b\u2018\u2019\u201a\u201c\u201d\u201e«»‹›–—…¿¡·•", " "
    )
)
# boundaries of JSON / Python-literal structure: a quote next to : , { } [ ] (a comma after a quote only when
# a quote or bracket follows: ``f(to="x", amount=5)`` in prose is no structure), and line breaks (items of
# YAML, logs, listings and the paragraphs of a file). Every branch starts with one of a few characters, which
# lets the regex engine skip ahead (a look-behind branch made the split 1.7x slower).
_STRUCTURE = re.compile(r"""[,:{\[]\s*["']|["']\s*(?::|[}\]]+,?|,(?=\s*["'{\[]))\s*["'{\[]?|\n\s*""")
# JSON string escapes: an escaped quote is inside a string (no boundary), an escaped line break is one
_ESCAPES = (("\\n", "\n"), ('\\"', "\u201d"), ("\\'", "\u2019"), ("\\t", " "))
_MIN_SEGMENT = 12  # characters: shorter pieces of structured output (ids, dates, keys) are not prose
# a ReAct-style tool call written into a tool output ("Action: send_email" then "Action Input: {...}", its
# arguments' JSON on one or more lines, nested one level): one piece, taken out before the structure cut
# (cut at its quotes, the call's name, recipient and text were pieces too small to read as a request)
_REACT_CALL = re.compile(
    r"Action\s*:[^\n]{1,80}\n[ \t]*Action[ _]Input\s*:[ \t]*(?:\{[^{}]{0,2000}(?:\{[^{}]{0,2000}\}[^{}]{0,2000}){0,20}\}|[^\n]+)",
    re.IGNORECASE,
)


def feature_set(text: str) -> set[str]:
    """The distinct features of ``text``: what scoring sums the weights of and training marks present."""
    words = text.lower().translate(_SEPARATORS).split()
    present = set(words)
    present.update(map(" ".join, zip(words, words[1:], strict=False)))
    present.update([w[:PREFIX] + "~" for w in words if len(w) > PREFIX])
    return present


def features(text: str) -> list[str]:
    """The distinct features of ``text`` as a list (the training script's analyzer; each is present or absent)."""
    return list(feature_set(text))


def segments(text: str) -> list[str]:
    """Prose pieces of a tool output: split at JSON-like structure and line breaks, tiny pieces (keys, ids) dropped.

    A ReAct-style call ("Action: ..." then "Action Input: {...}") stays one piece.
    """
    if "\\" in text:
        for escape, char in _ESCAPES:
            text = text.replace(escape, char)
    if "'" not in text and '"' not in text and "\n" not in text:
        return [text]
    calls: list[str] = []
    if "nput" in text and _REACT_CALL.search(text):
        calls = _REACT_CALL.findall(text)
        text = _REACT_CALL.sub("\n", text)
    pieces = [p for p in _STRUCTURE.split(text) if len(p) >= _MIN_SEGMENT]
    pieces += (" ".join(call.split()) for call in calls)
    return pieces or [text]


def chunks(text: str) -> list[str]:
    """Consecutive pieces of about ``WINDOW / 2`` characters, cut at a space where one is near."""
    if len(text) <= WINDOW:
        return [text]
    half = WINDOW // 2
    out, start = [], 0
    while start < len(text):
        end = start + half
        if end < len(text):
            space = text.find(" ", end, end + 40)
            end = space + 1 if space != -1 else end
        out.append(text[start:end])
        start = end
    return out


@dataclass(frozen=True, slots=True)
class Model:
    """One logistic regression: bias and the weight of each feature (absent features weigh 0)."""

    bias: float
    weights: dict[str, float]

    def logit(self, text: str) -> float:
        """``bias`` plus the weights of the features of ``text`` (the score before the sigmoid)."""
        return self.bias + self.partial(text)

    def partial(self, text: str) -> float:
        """The sum of the weights of the distinct features of ``text`` (no bias)."""
        return sum(filter(None, map(self.weights.get, feature_set(text))))

    def evidence(self, text: str, top: int = 3) -> tuple[str, ...]:
        """The features of ``text`` that pushed its score up most (for a reason a reviewer can read)."""
        weighted = sorted(((self.weights.get(f, 0.0), f) for f in feature_set(text)), reverse=True)
        return tuple(f.strip() for w, f in weighted[:top] if w > 0)


@functools.cache
def models() -> dict[str, Model]:
    """The shipped models, read once from ``WEIGHTS_FILE``."""
    return load(WEIGHTS_FILE)


def load(path: Path) -> dict[str, Model]:
    """Read a weights file written by ``benchmarks/train_injection.py``."""
    data = json.loads(gzip.decompress(path.read_bytes()))
    if data.get("format") != FORMAT:
        raise ValueError(f"{path}: injection weights format {data.get('format')!r}, expected {FORMAT}")
    return {place: Model(float(m["bias"]), dict(m["weights"])) for place, m in data["models"].items()}


@dataclass(frozen=True, slots=True)
class InjectionSignal:
    """The result of scoring one text: the probability of injection and the features behind it."""

    score: float
    window: str = ""  # the highest-scoring window (kept to explain the score on demand)
    place: Place = "input"

    def evidence(self, top: int = 3) -> tuple[str, ...]:
        """The features that pushed the score up most, for a reason a reviewer can read."""
        return models()[self.place].evidence(self.window, top) if self.window else ()

    def flagged(self, threshold: float = DEFAULT_THRESHOLD) -> bool:
        """True when the score reaches ``threshold``."""
        return self.score >= threshold


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x)) if x >= 0 else math.exp(x) / (1.0 + math.exp(x))


def injection_score(text: str, place: Place = "input") -> InjectionSignal:
    """Score ``text`` read at ``place``: the highest window's probability of injection.

    Pure and deterministic, so results are cached: a golden dataset's inputs are scanned once per
    process however many repeats, candidates or policies evaluate them. Only texts up to 64 KiB are
    cached: a long-running guard sees many distinct long inputs, and the cache keeps each text it holds.
    """
    if len(text) > _CACHED_CHARS:
        return _score(text, place)
    return _cached_score(text, place)


@functools.lru_cache(maxsize=4096)
def _cached_score(text: str, place: Place) -> InjectionSignal:
    return _score(text, place)


injection_score.cache_clear = _cached_score.cache_clear  # type: ignore[attr-defined]


def _score(text: str, place: Place) -> InjectionSignal:
    if not text or text.isspace():
        return InjectionSignal(0.0)
    model = models()[place]
    text = text[:MAX_CHARS]
    pieces = segments(text) if place == "tool_output" else [text]
    best, best_window = -math.inf, ""
    for piece in dict.fromkeys(pieces) if len(pieces) > 1 else pieces:  # a repeated piece (a key, a date) once
        parts = chunks(piece)
        if len(parts) == 1:
            logit, window = model.logit(piece), piece
        else:  # windows are pairs of consecutive chunks: each chunk's features are summed once
            sums = [model.partial(part) for part in parts]
            pair = max(range(len(parts) - 1), key=lambda i: sums[i] + sums[i + 1])
            logit, window = model.bias + sums[pair] + sums[pair + 1], parts[pair] + parts[pair + 1]
        if logit > best:
            best, best_window = logit, window
    return InjectionSignal(round(_sigmoid(best), 4), best_window, place)


__all__ = [
    "DEFAULT_THRESHOLD",
    "PLACES",
    "WEIGHTS_FILE",
    "InjectionSignal",
    "Model",
    "features",
    "injection_score",
    "load",
    "models",
    "segments",
    "chunks",
]
