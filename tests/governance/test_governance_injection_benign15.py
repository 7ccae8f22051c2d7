"""Injection round benign15: benign prompts written apart (``tests/data/injection_benign15.jsonl``, written before
scoring, never trained or selected on): role-play and persona requests, questions about sensitive topics, everyday
requests using trigger words, and prompts in ten other languages."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import ModuleType

import pytest

from gatekit.governance.injection import DEFAULT_THRESHOLD, injection_score

REPO = Path(__file__).resolve().parents[2]
SET = REPO / "tests" / "data" / "injection_benign15.jsonl"
DATA = Path(os.environ.get("GATEKIT_SHARED_DATA") or REPO.parent / "shared" / "data")
needs_data = pytest.mark.skipif(not DATA.is_dir(), reason="needs $GATEKIT_SHARED_DATA or ../shared/data")


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


@needs_data
def test_set_is_not_in_the_training_data(injection_data: ModuleType) -> None:
    inputs, _ = injection_data.build(injection_data.SEED, train_everyday_prompts=True, train_leak_prompts=True)
    seen = {t.strip().lower() for t, _ in inputs.train}
    assert not [r["id"] for r in rows() if str(r["text"]).strip().lower() in seen]
