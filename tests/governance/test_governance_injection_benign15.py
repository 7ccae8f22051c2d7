"""Injection round benign15: benign prompts written apart (``tests/data/injection_benign15.jsonl``, written before
scoring, never trained or selected on): role-play and persona requests, questions about sensitive topics, everyday
requests using trigger words, and prompts in ten other languages; and the round's composed ordinary prompts
(``written15`` in ``benchmarks/injection_data.py``), not trained on by the shipped weights."""

from __future__ import annotations

import json
import random
from pathlib import Path
from types import ModuleType

from conftest import needs_shared_data

from gatekit.governance.injection import DEFAULT_THRESHOLD, injection_score

REPO = Path(__file__).resolve().parents[2]
SET = REPO / "tests" / "data" / "injection_benign15.jsonl"


def rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in SET.read_text(encoding="utf-8").splitlines()]


def test_set_is_benign_prompts_of_four_kinds() -> None:
    data = rows()
    assert len(data) == 300
    assert {r["label"] for r in data} == {0}
    assert len({r["id"] for r in data}) == len(data) and len({r["text"] for r in data}) == len(data)
    counts = {k: sum(r["kind"] == k for r in data) for k in {str(r["kind"]) for r in data}}
    assert counts == {"roleplay": 90, "sensitive": 90, "everyday": 60, "language": 60}
    assert {str(r["lang"]) for r in data if r["kind"] != "language"} == {"en"}
    languages = {str(r["lang"]) for r in data if r["kind"] == "language"}
    assert "en" not in languages and len(languages) == 10


def test_shipped_false_positive_rate_on_the_set_is_bounded_as_measured() -> None:
    # measured with the weights of round benign14 (main): 7 of 300 (role-play 3/90, sensitive 1/90, everyday 2/60,
    # other languages 1/60)
    flagged = {
        str(r["id"]): str(r["text"]) for r in rows() if injection_score(str(r["text"])).score >= DEFAULT_THRESHOLD
    }
    assert len(flagged) <= 7, flagged


@needs_shared_data
def test_set_is_not_in_the_training_data(injection_data: ModuleType) -> None:
    inputs, _ = injection_data.build(injection_data.SEED, train_everyday_prompts=True, train_leak_prompts=True)
    seen = {t.strip().lower() for t, _ in inputs.train}
    assert not [r["id"] for r in rows() if str(r["text"]).strip().lower() in seen]


@needs_shared_data
def test_written15_is_held_out_by_default_and_its_candidates_add_only_the_training_part(
    injection_data: ModuleType,
) -> None:
    train, held = injection_data.written15(random.Random(injection_data.SEED + 21))
    assert len(train) > 400 and len(held) > 100 and not set(train) & set(held)
    default, _ = injection_data.build(injection_data.SEED)
    assert not (set(train) | set(held)) & {t for t, _ in default.train}
    line = "in-character, ignore-own and German prompts, composed (held-out forms, values)"
    assert [t for t, _ in default.tests[line]] == held
    trained, _ = injection_data.build(injection_data.SEED, train_written15=True)
    texts = {t for t, y in trained.train if y == 0}
    assert set(train) <= texts and not set(held) & {t for t, _ in trained.train}
    # a subset of groups keeps the other groups' texts (each group draws its split either way)
    injection_data.WRITTEN15_GROUPS = frozenset({"persona-en"})
    try:
        persona_train, _ = injection_data.written15(random.Random(injection_data.SEED + 21))
    finally:
        injection_data.WRITTEN15_GROUPS = None
    assert persona_train and set(persona_train) < set(train)
    assert all(
        " you are " in f" {t.lower()} "
        or "you're" in t.lower()
        or "yourself" in t.lower()
        or t.startswith(("Act as", "Be ", "Play "))
        for t in persona_train
    )
