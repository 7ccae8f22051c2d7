"""The default pack's large-refund-review fails closed: a refund whose amount is missing or not a number is reviewed."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT
from spine_project import run_cli

from gatekit.governance import load_policy

DEFAULT = REPO_ROOT / "policies" / "default.yaml"
_MISSING = object()

REVIEWED = {
    "missing": _MISSING,
    "null": None,
    "dollars": "$900",
    "small dollars": "$120",
    "thousands comma": "1,249.00",
    "list": [900],
    "object": {"value": 900},
    "true": True,
    "nan": math.nan,
    "negative": -900,
    "minus infinity": -math.inf,
    "empty string": "",
    "over 500": 900,
    "over 500 as text": "900",
}
ALLOWED = {"small": 120, "at the limit": 500, "small as text": "120", "zero": 0}


def _decide(amount: Any, env: str = "production") -> Any:
    arguments: dict[str, Any] = {"order_id": "#W1"}
    if amount is not _MISSING:
        arguments["amount"] = amount
    response = {"output": "Done.", "tool_calls": [{"name": "return_delivered_order_items", "arguments": arguments}]}
    return load_policy(DEFAULT).evaluate({"id": "r", "context": {"env": env}}, response)


@pytest.mark.parametrize("form", sorted(REVIEWED))
def test_a_refund_whose_amount_is_not_a_small_number_is_reviewed(form: str) -> None:
    decision = _decide(REVIEWED[form])
    assert decision.outcome.value == "require_review"
    assert [r["id"] for r in decision.rules] == ["large-refund-review"]


@pytest.mark.parametrize("form", sorted(ALLOWED))
def test_a_small_refund_is_allowed(form: str) -> None:
    assert _decide(ALLOWED[form]).outcome.value == "allow"


def test_outside_production_a_refund_without_an_amount_is_allowed() -> None:
    assert _decide(_MISSING, env="staging").outcome.value == "allow"


def test_the_shipped_policy_tests_pass() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "policy", "test", str(REPO_ROOT / "policies" / "tests")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "a refund in production without an amount needs review" in proc.stdout


AGENT = """
def run(case_input, context=None):
    call = {"name": "return_delivered_order_items", "arguments": {"order_id": "#W1"}}
    return {"output": "Your return is started.", "tool_calls": [call], "usage": {"input_tokens": 5, "output_tokens": 5},
            "cost_usd": 0.0}
"""


def test_the_gate_sends_a_refund_without_an_amount_to_review(tmp_path: Path) -> None:
    (tmp_path / "agent_refund.py").write_text(AGENT, encoding="utf-8")
    row = {"id": "r1", "input": "Refund my order #W1", "context": {"env": "production", "user": "u1"}}
    (tmp_path / "cases.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  governance.review_rate: {max: 0%}\n", encoding="utf-8")
    proc = run_cli(
        tmp_path,
        "eval",
        "--dataset",
        "cases.jsonl",
        "--agent",
        "python:agent_refund:run",
        "--policy",
        str(DEFAULT),
        "--thresholds",
        "th.yaml",
        "--out",
        "out",
        "--no-mlflow",
        seed_mlflow=False,
    )
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["governance"]["outcomes"]["require_review"] == 1, verdict["governance"]["outcomes"]
    assert [r["case_id"] for r in verdict["governance"]["reviewed_cases"]] == ["r1"]
    assert verdict["verdict"] == "fail" and proc.returncode == 1
