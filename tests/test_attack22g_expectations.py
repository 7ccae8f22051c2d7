"""attack22g: dataset expectations that passed a case they should have failed.

``output_not_contains`` compared ``.lower()`` text, so a forbidden phrase written decomposed (``e`` and a combining
accent), full-width, with a zero-width space inside or in another case mapping (``ß`` / ``SS``) was delivered and the
case passed; tool-call arguments were compared with Python's ``==`` (``true == 1``, ``false == 0``) and
``args.get(key)``, so an argument expected as ``null`` matched a call that never passed it.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT
from spine_project import run_cli

from gatekit.dataset import expected_problems, load_dataset
from gatekit.errors import DatasetError
from gatekit.metrics import check_expectations

CAFE_NFD = unicodedata.normalize("NFD", "Le café")
assert CAFE_NFD != "Le café"  # (the decomposed spelling: 'e' then U+0301)

SLIPPED_PAST = {
    "decomposed accent": ("café", CAFE_NFD),
    "zero-width space inside": ("password", "your pass\u200bword is hunter2"),
    "soft hyphen inside": ("password", "your pass\u00adword is hunter2"),
    "full-width letters": ("refund", "ＲＥＦＵＮＤ issued"),
    "sharp s upper case": ("STRASSE", "Hauptstraße 5"),
    "ligature": ("file", "the ﬁle is attached"),
}


@pytest.mark.parametrize("form", sorted(SLIPPED_PAST))
def test_a_forbidden_phrase_in_another_unicode_spelling_is_caught(form: str) -> None:
    phrase, output = SLIPPED_PAST[form]
    result = check_expectations({"output_not_contains": [phrase]}, output, [])
    assert result.passed is False, result
    assert result.misses == [f"output contains {json.dumps(phrase, ensure_ascii=False)} (expected not to)"]
    # and the same phrase, required, is found
    assert check_expectations({"output_contains": [phrase]}, output, []).passed is True


def test_plain_text_still_compares_case_insensitively() -> None:
    assert check_expectations({"output_contains": ["Refund"]}, "REFUND issued", []).passed is True
    assert check_expectations({"output_not_contains": ["refund"]}, "no money back", []).passed is True
    assert check_expectations({"output_contains": ["café"]}, "Le CAFÉ", []).passed is True


MISMATCHED_ARGUMENTS = {
    "true for 1": ({"amount": 1}, {"amount": True}),
    "1 for true": ({"confirm": True}, {"confirm": 1}),
    "0 for false": ({"confirm": False}, {"confirm": 0}),
    "false for 0": ({"amount": 0}, {"amount": False}),
    "missing for null": ({"note": None}, {}),
    "nested true for 1": ({"items": [1, 2]}, {"items": [True, 2]}),
    "nested object true for 1": ({"opts": {"n": 1}}, {"opts": {"n": True}}),
    "string for number": ({"amount": 100}, {"amount": "100"}),
}


@pytest.mark.parametrize("form", sorted(MISMATCHED_ARGUMENTS))
def test_a_tool_call_argument_of_another_json_type_is_a_miss(form: str) -> None:
    want, got = MISMATCHED_ARGUMENTS[form]
    expected = {"tool_calls": [{"name": "refund", "arguments": want}]}
    result = check_expectations(expected, "", [{"name": "refund", "arguments": got}])
    assert result.passed is False, result
    assert result.misses[0].startswith('expected tool call "refund" with ')


MATCHING_ARGUMENTS = {
    "1 and 1.0": ({"amount": 1}, {"amount": 1.0}),
    "null and null": ({"note": None}, {"note": None}),
    "true and true": ({"confirm": True}, {"confirm": True}),
    "subset of the arguments": ({"order_id": "#W1"}, {"order_id": "#W1", "amount": 5}),
    "nested equal": ({"items": [{"id": 1, "ok": False}]}, {"items": [{"id": 1.0, "ok": False}]}),
}


@pytest.mark.parametrize("form", sorted(MATCHING_ARGUMENTS))
def test_equal_json_arguments_still_match(form: str) -> None:
    want, got = MATCHING_ARGUMENTS[form]
    expected = {"tool_calls": [{"name": "refund", "arguments": want}]}
    assert check_expectations(expected, "", [{"name": "refund", "arguments": got}]).passed is True


@pytest.mark.parametrize("text", ["\u200b", "\u200b\u200d", " \ufeff ", "\u00ad"])
def test_an_expected_string_of_invisible_characters_is_refused(tmp_path: Path, text: str) -> None:
    """It folds to nothing, which every output contains: as vacuous as the empty string, refused the same way."""
    assert expected_problems({"output_contains": [text]}) == [
        "'expected.output_contains' holds an empty string, which matches every output; remove it"
    ]
    path = tmp_path / "cases.jsonl"
    path.write_text(json.dumps({"id": "c", "input": "hi", "expected": {"output_contains": [text]}}) + "\n")
    with pytest.raises(DatasetError, match=r"cases\.jsonl.*line 1.*holds an empty string"):
        load_dataset(path)


AGENT = """
def run(case_input, context=None):
    text = str(case_input)
    usage = {"input_tokens": 5, "output_tokens": 5}
    if "refund" in text:
        return {"output": "Done.", "tool_calls": [{"name": "get_order_details", "arguments": {"order_id": "#W1", "notify": 1}}],
                "usage": usage, "cost_usd": 0.0}
    return {"output": "We guaran\\u200btee it, says the CAFE\\u0301", "usage": usage, "cost_usd": 0.0}
"""


def test_the_gate_fails_a_candidate_that_delivered_what_the_cases_forbid(tmp_path: Path) -> None:
    """End to end: each case's expectation is broken; pass_rate {min: 100%} passed (exit 0) before."""
    (tmp_path / "agent22g.py").write_text(AGENT, encoding="utf-8")
    rows = [
        {"id": "promise", "input": "will it work", "expected": {"output_not_contains": ["guarantee"]}},
        {"id": "cafe", "input": "where", "expected": {"output_not_contains": ["café"]}},
        {
            "id": "refund",
            "input": "refund my order",
            "expected": {
                "tool_calls": [{"name": "get_order_details", "arguments": {"order_id": "#W1", "notify": True}}]
            },
        },
    ]
    (tmp_path / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  pass_rate: {min: 100%}\n", encoding="utf-8")
    proc = run_cli(
        tmp_path,
        "eval",
        "--dataset",
        "cases.jsonl",
        "--agent",
        "python:agent22g:run",
        "--policy",
        str(REPO_ROOT / "policies" / "default.yaml"),
        "--thresholds",
        "th.yaml",
        "--out",
        "out",
        "--no-mlflow",
        seed_mlflow=False,
    )
    verdict: dict[str, Any] = json.loads((tmp_path / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["metrics"]["pass_rate"] == 0.0, verdict["metrics"]
    assert verdict["verdict"] == "fail" and proc.returncode == 1, proc.stdout + proc.stderr
    rows_out = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    misses = {r["case_id"]: r["expectation_misses"] for r in rows_out}
    assert misses["promise"] == ['output contains "guarantee" (expected not to)']
    assert misses["cafe"] == ['output contains "café" (expected not to)']
    assert misses["refund"][0].startswith('expected tool call "get_order_details" with {"notify": true')
