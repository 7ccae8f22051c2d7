"""Train gatekit's prompt-injection models and write gatekit/governance/injection_model.json.gz.

Reproducible: the data splits are fixed by ``injection_data.SEED`` and the solver (lbfgs) is
deterministic, so the same data gives the same file byte for byte (gzip without a timestamp, keys
sorted, weights rounded to 4 decimals). scikit-learn is needed here only (the ``dev`` extra); gatekit
scores with the plain-Python ``Model`` in gatekit/governance/injection.py.

The ``tool_output`` model learns from the pieces ``segments()`` cuts a tool output into, as it scores
them: a positive tool output's injected piece is the one no benign tool output of the same carriers
contains; its other pieces (names, dates, product descriptions) are negatives.

Run: ``python benchmarks/train_injection.py`` (a few seconds); ``--out PATH`` writes elsewhere; ``--select`` prints
the cross-validated model selection (about a minute, training data only; see the comment at ``C_GRID``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import random
import re
import sys
import time
from pathlib import Path
from typing import TextIO

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from injection_data import SEED, build  # noqa: E402

from gatekit.governance.injection import FORMAT, WEIGHTS_FILE, features, segments  # noqa: E402

# regularisation (inverse strength) per model and the minimum number of training texts a feature needs
C = {"input": 1.0, "tool_output": 0.125}
MIN_DF = 2
# features the tool_output model is not given (round toolfp14 candidates; empty: every feature)
TOOL_DROP: frozenset[str] = frozenset()
# features the input model is not given (round benign15's candidate E dropped "nur"; empty: every feature)
INPUT_DROP: frozenset[str] = frozenset()
# added to the tool_output model's fitted bias (round toolfp14 candidates, chosen on the tool_output folds; 0: none)
TOOL_BIAS_SHIFT = 0.0
# Model selection for the input model (``--select`` prints it; seeded, training data only): FOLDS-fold
# cross-validation (``cross_validate``) for each C of C_GRID, and for each the operating point where the held-out
# benign texts of the folds have a TARGET_FPR false-positive rate (and, second, also the tau2-bench turns at most
# TAU2_FPR). Measured in session 3 (docs/governance-notes.md, "Injection model: the record"): C matters little (0.5-2); the
# TARGET_FPR point sits near a probability of 0.2 with a held-out deepset-train recall of ~0.84, but those
# thresholds did not carry over to the test sets (a model shipped at such a point flagged 16 % of NotInject and
# 8 % of the held-out tau2 turns): the composed benign texts are templated, so random folds share their forms
# and the held-out false-positive rate is optimistic. The shipped model therefore keeps C["input"] and the
# class-balanced probability 0.5 as its threshold; ``--select`` shows where that sits.
C_GRID = (0.5, 1.0, 2.0)
FOLDS = 3
TARGET_FPR = 0.025
TAU2_FPR = 0.01


def tool_examples(rows: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """Segment-level examples from whole tool outputs (see the module docstring)."""
    benign = {piece for text, label in rows if label == 0 for piece in segments(text)}
    out: dict[str, int] = {piece: 0 for piece in benign}
    for text, label in rows:
        if label == 1:
            for piece in segments(text):
                if piece not in benign:
                    out[piece] = 1
    return sorted(out.items())


def fit(rows: list[tuple[str, int]], c: float, drop: frozenset[str] = frozenset()) -> dict[str, object]:
    """One logistic regression over binary ``features`` (less ``drop``); returns the bias and non-zero weights.

    A dropped feature gets no weight, so scoring ignores it (``Model`` sums only the weights it holds)."""
    from sklearn.feature_extraction.text import CountVectorizer
    from sklearn.linear_model import LogisticRegression

    analyzer = features if not drop else lambda text: [f for f in features(text) if f not in drop]
    vectorizer = CountVectorizer(analyzer=analyzer, binary=True, min_df=MIN_DF)
    matrix = vectorizer.fit_transform([text for text, _ in rows])
    labels = [label for _, label in rows]
    model = LogisticRegression(C=c, class_weight="balanced", max_iter=5000, random_state=SEED)
    model.fit(matrix, labels)
    names = vectorizer.get_feature_names_out()
    weights = {str(name): round(float(w), 4) for name, w in zip(names, model.coef_[0], strict=True)}
    return {
        "bias": round(float(model.intercept_[0]), 4),
        "weights": {k: v for k, v in sorted(weights.items()) if v != 0.0},
        "examples": len(rows),
        "positives": sum(labels),
    }


def near_duplicate_groups(texts: list[str]) -> list[int]:
    """A group id per text: texts sharing a run of five words are one group (deepset holds the same prompt
    alone and behind ordinary questions), so a validation fold never holds a copy of a training prompt."""
    parent = list(range(len(texts)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, text in enumerate(texts):
        words = re.findall(r"\w+", text.lower())
        for j in range(len(words) - 4):
            gram = " ".join(words[j : j + 5])
            if gram in owner:
                parent[root(i)] = root(owner[gram])
            else:
                owner[gram] = i
    first: dict[int, int] = {}
    return [first.setdefault(root(i), i) for i in range(len(texts))]


def cross_validate(c: float, folds: int = FOLDS) -> list[tuple[float, int, str]]:
    """Held-out (probability, label, source) of the input model retrained ``folds`` times at ``c``.

    Each fold leaves out one part of deepset *train* (groups of near-duplicates, so no copy of a left-out
    prompt is trained on, as with the test split), of the tau2-bench training turns and of the composed
    ordinary prompts and training requests; the model is fitted on the rest (plus the ``prefixed`` copies
    built from the rest) and scores what was left out. Test sets (deepset test, NotInject, the held-out
    tau2 turns and requests) are never used. Seeded: the same data gives the same scores.
    """
    from injection_data import (
        CHECK_ORDINARY,
        RESIDUAL_QUESTIONS,
        composed,
        deepset,
        everyday,
        prefixed,
        requests,
        residual_questions,
        roleplay,
        synthetic,
        tau2_turns,
        written15,
    )

    from gatekit.governance.injection import Model

    inputs, _ = build(SEED, augment=False)
    ds_rows = deepset("train")
    group_of = near_duplicate_groups([t for t, _ in ds_rows])
    groups = sorted(set(group_of))
    rng = random.Random(SEED)
    rng.shuffle(groups)
    held_tau2 = {t for t, _ in inputs.tests["tau2 user turns (held-out 40%)"]}
    tau2_train = sorted({t for turns in tau2_turns().values() for t in turns} - held_tau2)
    rng.shuffle(tau2_train)
    train_roleplay, held_roleplay = roleplay(random.Random(SEED + 8))
    ordinary = sorted(
        set(synthetic(random.Random(SEED + 2))[1])
        | set(composed(random.Random(SEED + 3))[1])
        | set(requests(random.Random(SEED + 7))[0])
        | set(train_roleplay)
    )
    rng.shuffle(ordinary)
    # round 10's opinion questions and questions about attacks, training part: never trained on, a check here
    opinions = everyday(random.Random(SEED + 11))[0]
    # round benign15's composed prompts, training part: a check when not trained on, folded like the rest when trained
    written = written15(random.Random(SEED + 21))[0]
    rng.shuffle(written)
    scored: list[tuple[float, int, str]] = []
    for k in range(folds):
        left_groups = set(groups[k::folds])
        left_ds = [(t, y) for (t, y), g in zip(ds_rows, group_of, strict=True) if g in left_groups]
        left = [(t, y, "deepset") for t, y in left_ds] + [(t, 0, "tau2") for t in tau2_train[k::folds]]
        left += [(t, 0, "ordinary") for t in ordinary[k::folds]]
        left += [(t, 0, "check") for t in CHECK_ORDINARY[k::folds]]  # never in training: a check of other texts
        left += [(t, 0, "role-play") for t in held_roleplay[k::folds]]  # held-out forms, roles, tasks: never trained
        left += [(t, 0, "opinions") for t in opinions[k::folds]]
        left += [(t, 0, "written15") for t in written[k::folds]]
        left_out = {t for t, _, _ in left}
        rows = [(t, y) for t, y in inputs.train if t not in left_out]
        if RESIDUAL_QUESTIONS:
            rows += [(t, y) for t, y in residual_questions(rows) if t not in left_out]
        fitted = fit(rows + prefixed(rows, SEED), c, INPUT_DROP)
        model = Model(float(fitted["bias"]), dict(fitted["weights"]))  # type: ignore[call-overload]
        scored.extend((1.0 / (1.0 + math.exp(-model.logit(t))), y, src) for t, y, src in left)
    return scored


def _lowest(benign: list[float], target: float) -> float:
    """The lowest threshold at which at most ``target`` of the ``benign`` scores reach it: just above the
    highest score that may not (``math.nextafter``, so no rounding lets that score through)."""
    ranked = sorted(benign, reverse=True)
    return math.nextafter(ranked[int(len(ranked) * target)], math.inf)


def _rates(scored: list[tuple[float, int, str]], threshold: float) -> str:
    positives = [s for s, y, _ in scored if y == 1]
    parts = [f"deepset-train recall {sum(s >= threshold for s in positives) / len(positives):.3f}"]
    for src in ("deepset", "tau2", "ordinary", "check", "role-play", "opinions", "written15"):
        benign = [s for s, y, sc in scored if sc == src and y == 0]
        parts.append(f"{src} FPR {sum(s >= threshold for s in benign) / len(benign):.3f}")
    return ", ".join(parts)


def select(out: TextIO = sys.stdout) -> dict[float, list[tuple[float, int, str]]]:
    """Cross-validate each C of ``C_GRID`` and print the operating points (see the comment at ``C_GRID``)."""
    results = {}
    for c in C_GRID:
        scored = results[c] = cross_validate(c)
        checks = ("check", "role-play", "opinions", "written15")
        pooled = _lowest([s for s, y, src in scored if y == 0 and src not in checks], TARGET_FPR)
        with_tau2 = max(pooled, _lowest([s for s, y, src in scored if src == "tau2"], TAU2_FPR))
        mark = " (shipped)" if c == C["input"] else ""
        print(f"  C {c}{mark}", file=out)
        for name, threshold in (
            (f"benign FPR {TARGET_FPR}", pooled),
            (f"and tau2 FPR {TAU2_FPR}", with_tau2),
            ("default", 0.5),
        ):
            print(f"    {name:<22} threshold {threshold:.3f}: {_rates(scored, threshold)}", file=out)
    return results


def train() -> bytes:
    """The weights file's bytes."""
    inputs, tools = build(SEED)
    tool_model = fit(tool_examples(tools.train), C["tool_output"], TOOL_DROP)
    if TOOL_BIAS_SHIFT:
        tool_model["bias"] = round(float(tool_model["bias"]) + TOOL_BIAS_SHIFT, 4)  # type: ignore[arg-type]
    payload = {
        "format": FORMAT,
        "seed": SEED,
        "trained_by": "benchmarks/train_injection.py",
        "models": {
            "input": fit(inputs.train, C["input"], INPUT_DROP),
            "tool_output": tool_model,
        },
    }
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return gzip.compress(text.encode("utf-8"), compresslevel=9, mtime=0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=WEIGHTS_FILE)
    parser.add_argument("--select", action="store_true", help="cross-validate C and the threshold (about a minute)")
    args = parser.parse_args()
    if args.select:
        print(f"input model, {FOLDS}-fold cross-validation on training data (deepset train, tau2, composed):")
        select()
        return
    started = time.perf_counter()
    data = train()
    args.out.write_bytes(data)
    print(f"wrote {args.out} ({len(data) / 1024:.0f} KiB) in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
