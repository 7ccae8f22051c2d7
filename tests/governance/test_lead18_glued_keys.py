"""A provider's long key prefix glued after ``-`` or ``_`` is still a key; a bare ``sk-`` so glued is not.

attack18e found ``model-sk-proj-…`` (a key pasted into a model name) read as nothing, so it reached a production row.
"""

from __future__ import annotations

import pytest

from gatekit.governance.detectors import scan

KEY = "Abc123def456ghi789jkl012mno345pqr678stu901vw"


@pytest.mark.parametrize(
    ("text", "value"),
    [
        (f"model-sk-proj-{KEY}", f"sk-proj-{KEY}"),
        (f"claude_sk-ant-{KEY}", f"sk-ant-{KEY}"),
        (f"svc-sk-svcacct-{KEY}", f"sk-svcacct-{KEY}"),
        ("prod_sk_live_51Habcdefghijklmnopqrstuv0123", "sk_live_51Habcdefghijklmnopqrstuv0123"),
        ("stripe-rk_live_51Habcdefghijklmnopqrstuv0123", "rk_live_51Habcdefghijklmnopqrstuv0123"),
        (f"key=sk-proj-{KEY}", f"sk-proj-{KEY}"),
    ],
)
def test_long_prefixes_glued_after_a_joiner_are_keys(text: str, value: str) -> None:
    assert [(f.type, text[f.start : f.end]) for f in scan(text)] == [("API_TOKEN", value)]


@pytest.mark.parametrize(
    "text",
    [
        "opus-mt-en-sk-2023-model-checkpoint1",  # English-Slovak, a language pair in a model's name
        "helsinki_en-sk_translation_model_v12345",
        "task_sk_test_51Habcdefghijklmnopqrstuv0123",  # a bare sk_test_ glued to a word stays as before
        "risk-assessment-2024-q3-report-final",
    ],
)
def test_short_prefixes_glued_after_a_joiner_are_not(text: str) -> None:
    assert [f.type for f in scan(text)] == []
