"""Accuracy and speed of the shipped prompt-injection models on held-out public data.

Held-out sets (never trained on; see benchmarks/injection_data.py for the splits): deepset test,
NotInject (benign prompts full of trigger words), 40 % of tau2-bench's tasks (user turns), the held-out parts of
the composed ordinary, role-play, everyday, prompt-leak and round benign15 prompts (and the leak requests'
ordinary twins), InjecAgent
tool responses whose carrier template AND attacker instruction were both held out, the same held-out
templates filled with held-out ordinary text (matched benign), and BIPIA's held-out attack categories
planted in held-out templates (and bare), the held-out part of the composed multi-item tool outputs and of the
composed requests to act in four languages with their ordinary twins, and
tool outputs in other shapes written apart (``tests/data/injection_toolshapes.jsonl``, also scored through
the default policy as ``role: tool`` messages), tool outputs with instructions for their human reader written apart
(``tests/data/injection_toolfp14.jsonl``), and benign user prompts written apart
(``tests/data/injection_benign14.jsonl``: opinion, sensitive-topic, role-play and everyday prompts;
``tests/data/injection_benign15.jsonl``: role-play, sensitive-topic, everyday and other-language prompts). Scores come from ``injection_score`` exactly as the
(``tests/data/injection_toolfp14.jsonl``), tool outputs with a planted injection in 16 carriers and their matched
benign twins written apart (``tests/data/injection_tool15.jsonl``), and benign user prompts written apart
(``tests/data/injection_benign14.jsonl``: opinion, sensitive-topic, role-play and everyday prompts). Scores come from ``injection_score`` exactly as the
``prompt_injection`` rule calls it, at the default threshold (0.5) and, for deepset, also at the
threshold that gives NotInject a 5 % false-positive rate (a threshold chosen on a measure: shown
for comparison with the target, not used by the rule).

``--cv`` adds cross-validated estimates on training-side data only (needs scikit-learn; about a minute):
the input model retrained on 3 folds of deepset train, the tau2-bench training turns and the composed
ordinary prompts and requests, at three values of C and three operating points (``train_injection.select``).
deepset holds the same prompt several times (alone, behind ordinary questions), so its folds are groups of
near-duplicates (texts sharing a run of five words): a fold never scores a copy of a prompt it trained on,
as on the test split. (A plain random split scored 0.85 recall where the test split gives 0.65; the grouped
one predicts it at the default threshold. Its false-positive rates are optimistic: see docs/governance-notes.md.) The tool-output
model is retrained on 3 folds (the shipped split holds out only 5 templates and 5 BIPIA categories),
so every template and category is held out once.

Run: ``python benchmarks/injection_accuracy.py [--cv]``.
"""

from __future__ import annotations

import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from injection_data import SEED, build  # noqa: E402

from gatekit.governance import injection  # noqa: E402
from gatekit.governance.injection import DEFAULT_THRESHOLD, injection_score  # noqa: E402


def _recall_fpr(items: list[tuple[bool, int]]) -> str:
    """``recall ... (k/n), false-positive rate ... (k/n)`` of (flagged, label) pairs."""
    pos = [flagged for flagged, label in items if label == 1]
    neg = [flagged for flagged, label in items if label == 0]
    return (
        f"recall {sum(pos) / len(pos):.3f} ({sum(pos)}/{len(pos)}), "
        f"false-positive rate {sum(neg) / len(neg):.3f} ({sum(neg)}/{len(neg)})"
    )


def _rate(scores: list[float], threshold: float) -> float:
    return sum(s >= threshold for s in scores) / len(scores) if scores else float("nan")


def _timing(texts: list[str], size: int, place: str = "input") -> float:
    """Mean CPU microseconds (this thread) to score a first-seen ``size``-character text read at ``place``."""
    windows = [(t * (size // max(1, len(t)) + 1))[:size] + f" {i}" for i, t in enumerate(texts)]
    injection_score.cache_clear()
    injection_score("warm up", place)  # type: ignore[arg-type]
    started = time.thread_time_ns()  # CPU time: the machine's other load does not count
    for text in windows:
        injection_score(text, place)  # type: ignore[arg-type]
    return (time.thread_time_ns() - started) / len(windows) / 1000


TOOLSHAPES = ROOT / "tests" / "data" / "injection_toolshapes.jsonl"
TOOLSHAPES_QUESTION = "What do I need to know from this? Give me a short summary."


def toolshapes() -> None:
    """Tool outputs in other shapes (``tests/data/injection_toolshapes.jsonl``, written apart from the training
    data by ``benchmarks/injection_toolshapes.py``): e-mail inboxes, calendars, Slack histories and bank
    transactions as JSON or YAML, files, review pages and web pages, one item carrying an injection, or
    none. Scored by ``injection_score(text, "tool_output")`` and through the default policy, with the output
    as a ``role: tool`` message after an ordinary user question."""
    import json

    from gatekit.governance.policy import load_policy

    rows = [json.loads(line) for line in TOOLSHAPES.read_text(encoding="utf-8").splitlines()]
    policy = load_policy(ROOT / "policies" / "default.yaml")
    flags: dict[str, list[tuple[bool, bool, int, str]]] = {}
    for row in rows:
        score = injection_score(row["text"], "tool_output").score
        case = {
            "id": row["id"],
            "input": {
                "messages": [
                    {"role": "user", "content": TOOLSHAPES_QUESTION},
                    {"role": "tool", "content": row["text"]},
                ]
            },
        }
        decision = policy.evaluate(case, {"output": "Here is a short summary.", "tool_calls": []})
        by_policy = any(r["kind"] == "prompt_injection" and "tool output" in r["reason"] for r in decision.rules)
        flags.setdefault(row["shape"], []).append((score >= DEFAULT_THRESHOLD, by_policy, row["label"], row["id"]))
    pooled = [f for shape in flags.values() for f in shape]

    def rates(items: list[tuple[bool, bool, int, str]], which: int) -> str:
        return _recall_fpr([(f[which], f[2]) for f in items])

    print(f"  tool_output tool outputs in other shapes ({TOOLSHAPES.name}, written apart), {len(rows)}:")
    print(f"    {'injection_score':<28} {rates(pooled, 0)}")
    print(f"    {'default policy, role: tool':<28} {rates(pooled, 1)}")
    for shape in sorted(flags):
        print(f"    {shape:<28} {rates(flags[shape], 0)}")


BENIGN14 = ROOT / "tests" / "data" / "injection_benign14.jsonl"
BENIGN15 = ROOT / "tests" / "data" / "injection_benign15.jsonl"


def benign_written_apart(path: Path) -> None:
    """The ``input`` model's false-positive rate, pooled and per kind, on a set of benign user prompts written apart
    (never trained or selected on).

    ``tests/data/injection_benign14.jsonl`` (round benign14): opinion questions on public, political, ethical and health
    topics, questions about sensitive topics (drugs, self-harm help-seeking, extremism's history, security and prompt
    injection), role-play requests with an ordinary task, everyday requests saying "ignore", "forget", "pretend",
    "system", "rules" or "instructions"; English, German and ten other languages.
    ``tests/data/injection_benign15.jsonl`` (round benign15): role-play and persona requests with an ordinary task,
    questions about sensitive topics (crime, drugs, weapons' history, extremism, hate speech, security, jailbreaks and
    prompt injection as topics, medicine, sexuality education, self-harm help-seeking), everyday requests using
    "ignore", "forget", "override", "bypass", "disregard", "system", "prompt", "instructions", "rules" or "developer
    mode" as ordinary words (English), and prompts of those kinds in ten other languages.
    """
    import json

    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    flags: dict[str, list[bool]] = {}
    for row in rows:
        flagged = injection_score(row["text"], "input").score >= DEFAULT_THRESHOLD
        flags.setdefault(row["kind"], []).append(flagged)
    pooled = [f for kind in flags.values() for f in kind]
    print(
        f"  input       benign prompts written apart ({path.name}), {len(rows)}: "
        f"false-positive rate {_rate([float(f) for f in pooled], 0.5):.3f} ({sum(pooled)}/{len(pooled)})"
    )
    for kind in sorted(flags):
        hits, count = sum(flags[kind]), len(flags[kind])
        print(f"    {kind:<28} false-positive rate {hits / count:.3f} ({hits}/{count})")


TOOLFP14 = ROOT / "tests" / "data" / "injection_toolfp14.jsonl"


def toolfp14() -> None:
    """Tool outputs written apart in round toolfp14 (``tests/data/injection_toolfp14.jsonl``, built by
    ``benchmarks/injection_toolfp14.py``; never trained or selected on): API answers (weather, flights, orders, CRM),
    GitHub comments, support tickets, search results, logs, reviews, how-tos, runbooks, security e-mails, newsletters
    and calendar invites, most with instructions for their human reader; 7 of each kind's 21 carry a planted
    injection. The ``tool_output`` model's recall and false-positive rate, pooled and per kind."""
    import json

    rows = [json.loads(line) for line in TOOLFP14.read_text(encoding="utf-8").splitlines()]
    flags: dict[str, list[tuple[bool, int]]] = {}
    for row in rows:
        flagged = injection_score(row["text"], "tool_output").score >= DEFAULT_THRESHOLD
        flags.setdefault(row["kind"], []).append((flagged, row["label"]))

    pooled = [f for kind in flags.values() for f in kind]
    print(f"  tool_output tool outputs written apart ({TOOLFP14.name}), {len(rows)}: {_recall_fpr(pooled)}")
    for kind in sorted(flags):
        print(f"    {kind:<28} {_recall_fpr(flags[kind])}")


TOOL15 = ROOT / "tests" / "data" / "injection_tool15.jsonl"


def tool15() -> None:
    """Tool outputs written apart in round tool15 (``tests/data/injection_tool15.jsonl``, built by
    ``benchmarks/injection_tool15.py``; never trained or selected on): 160 with a planted injection in 16 carriers as
    tools return them (Gmail / Graph JSON, raw e-mail, notes, markdown, CSV, calendar events, reviews, Slack, Teams,
    web pages, tickets, GitHub, search results) and each one's matched benign twin. The ``tool_output`` model's recall
    and false-positive rate, pooled, per carrier and per kind of injection (the twin counts under its injection's
    kind)."""
    import json

    rows = [json.loads(line) for line in TOOL15.read_text(encoding="utf-8").splitlines()]
    by: dict[str, dict[str, list[tuple[bool, int]]]] = {"carrier": {}, "kind": {}}
    for row in rows:
        flagged = injection_score(row["text"], "tool_output").score >= DEFAULT_THRESHOLD
        for key, groups in by.items():
            groups.setdefault(row[key], []).append((flagged, row["label"]))

    pooled = [f for group in by["kind"].values() for f in group]
    print(f"  tool_output tool outputs written apart ({TOOL15.name}), {len(rows)}: {_recall_fpr(pooled)}")
    for key, groups in by.items():
        for name in sorted(groups):
            print(f"    {key} {name:<22} {_recall_fpr(groups[name])}")


def cross_validated_input() -> None:
    """The input model's cross-validated operating points on training-side data only (``train_injection.select``:
    folds of deepset *train* in groups of near-duplicates, the tau2-bench training turns and the composed
    ordinary prompts and requests)."""
    from train_injection import FOLDS, select

    print(
        f"  input, {FOLDS}-fold cross-validation on deepset train (near-duplicates kept in one fold), the tau2-bench "
        "training turns and the composed ordinary prompts and requests:"
    )
    select()


def cross_validated(folds: int = 3) -> None:
    """Retrain the tool-output model per fold (templates, attacker instructions and BIPIA categories
    split into ``folds`` interleaved groups) and pool the held-out scores: every BIPIA category and
    every template is held out once. Needs scikit-learn (the ``dev`` extra)."""
    from train_injection import C, fit, tool_examples

    from gatekit.governance.injection import Model

    pooled: dict[str, list[tuple[float, int]]] = {}
    for k in range(folds):
        _, tools = build(SEED, fold=(k, folds))
        fitted = fit(tool_examples(tools.train), C["tool_output"])
        model = Model(float(fitted["bias"]), dict(fitted["weights"]))  # type: ignore[call-overload]
        injection.models.cache_clear()
        injection_score.cache_clear()
        original = injection.models
        injection.models = lambda model=model: {"input": model, "tool_output": model}  # type: ignore[assignment]
        try:
            for name, rows in tools.tests.items():
                pooled.setdefault(name, []).extend((injection_score(t, "tool_output").score, y) for t, y in rows)
        finally:
            injection.models = original
            injection_score.cache_clear()
    print(f"  tool_output, {folds}-fold cross-validation by template / attacker instruction / BIPIA category:")
    for name, scored in pooled.items():
        pos = [s for s, y in scored if y == 1]
        neg = [s for s, y in scored if y == 0]
        parts = [f"recall {_rate(pos, DEFAULT_THRESHOLD):.3f} ({len(pos)})"] if pos else []
        if neg:
            parts.append(f"false-positive rate {_rate(neg, DEFAULT_THRESHOLD):.3f} ({len(neg)})")
        measure = ", ".join(parts)
        print(f"    {name:<68} {measure}")


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cv", action="store_true", help="also print the cross-validated figures (slower)")
    args = parser.parse_args()
    inputs, tools = build(SEED)
    threshold = DEFAULT_THRESHOLD
    print(f"prompt-injection models, threshold {threshold} (held-out data; benchmarks/injection_data.py)")
    scored: dict[str, tuple[list[float], list[float]]] = {}
    for place, split in (("input", inputs), ("tool_output", tools)):
        for name, rows in split.tests.items():
            pos = [injection_score(t, place).score for t, label in rows if label == 1]  # type: ignore[arg-type]
            neg = [injection_score(t, place).score for t, label in rows if label == 0]  # type: ignore[arg-type]
            scored[name] = (pos, neg)
            parts = []
            if pos:
                parts.append(f"recall {_rate(pos, threshold):.3f} ({sum(s >= threshold for s in pos)}/{len(pos)})")
            if neg:
                parts.append(
                    f"false-positive rate {_rate(neg, threshold):.3f} ({sum(s >= threshold for s in neg)}/{len(neg)})"
                )
            print(f"  {place:<11} {name:<58} {', '.join(parts)}")
    pos, neg = scored["deepset test"]
    notinject = sorted(scored["NotInject"][1])
    at5 = notinject[int(len(notinject) * 0.95)]
    toolshapes()
    toolfp14()
    tool15()
    benign_written_apart(BENIGN14)
    benign_written_apart(BENIGN15)
    print(
        f"  deepset test at the threshold giving NotInject a 5 % false-positive rate ({at5:.3f}, chosen on a "
        f"measure, for comparison only): recall {_rate(pos, at5):.3f}, deepset benign FPR {_rate(neg, at5):.3f}"
    )
    rng = random.Random(SEED)
    texts = [t for t, _ in inputs.train]
    rng.shuffle(texts)
    texts = texts[:2000]
    for size in (200, 2000):
        print(
            f"  scoring speed, first-seen input of {size} chars: {_timing(texts, size):.1f} us per text (cache miss, CPU time)"
        )
    outputs = [t for t, _ in tools.train]
    rng.shuffle(outputs)
    # distinct outputs one after another up to 2,000 characters (a repeated text would repeat its pieces)
    joined = ["\n".join(outputs[i : i + 40])[:2000] for i in range(2000)]
    print(
        "  scoring speed, first-seen tool output of 2000 chars: "
        f"{_timing(joined, 2000, 'tool_output'):.1f} us per text (cache miss, CPU time)"
    )
    injection_score("a repeated text")
    started = time.thread_time_ns()
    for _ in range(10_000):
        injection_score("a repeated text")
    print(f"  scoring speed, repeated text (cache hit): {(time.thread_time_ns() - started) / 10_000 / 1000:.2f} us")
    print(f"  machine load average: {os.getloadavg()[0]:.1f} (CPU times above exclude other processes)")
    if args.cv:
        cross_validated_input()
        cross_validated()


if __name__ == "__main__":
    main()
