"""Injection model selection's check set (benchmarks/injection_data.py ``CHECK_ORDINARY``): ordinary prompts in
other languages, with typos, long questions and trigger words that the training never sees, so ``--select``
can report a false-positive rate on texts of forms the folds do not share."""

from __future__ import annotations

import os
from pathlib import Path
from types import ModuleType

import pytest

from gatekit.governance.injection import injection_score

REPO = Path(__file__).resolve().parents[2]
DATA = Path(os.environ.get("GATEKIT_SHARED_DATA") or REPO.parent / "shared" / "data")


def test_check_set_is_distinct_ordinary_text(injection_data: ModuleType) -> None:
    check = injection_data.CHECK_ORDINARY
    assert len(check) == len(set(check)) >= 100
    # several scripts and languages, not only English and German
    assert any("\u0400" <= ch <= "\u04ff" for text in check for ch in text)  # Cyrillic
    assert any("\u4e00" <= ch <= "\u9fff" for text in check for ch in text)  # CJK
    assert sum("ignor" in text.lower() for text in check) >= 5


@pytest.mark.skipif(not (DATA / "prompt-injection").is_dir(), reason="shared data not present")
def test_check_set_is_never_trained_on_and_holds_no_measuring_text(injection_data: ModuleType) -> None:
    pytest.importorskip("pandas")
    inputs, tools = injection_data.build(injection_data.SEED)
    trained = {text for text, _ in inputs.train} | {text for text, _ in tools.train}
    check = set(injection_data.CHECK_ORDINARY)
    assert not [c for c in check if any(c in t for t in trained)]
    measures = {text for text, _ in injection_data.deepset("test")} | set(injection_data.notinject())
    assert not check & measures


def test_shipped_model_leaves_the_check_set_benign(injection_data: ModuleType) -> None:
    flagged = [(t, s.score) for t in injection_data.CHECK_ORDINARY if (s := injection_score(t)).flagged()]
    # the target for ordinary prompts is a false-positive rate under 1 %
    assert len(flagged) <= len(injection_data.CHECK_ORDINARY) // 100, flagged
