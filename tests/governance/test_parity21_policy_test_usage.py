"""``gatekit policy test`` judges a response that reports no usage as the gate judges an agent's answer without it:
unknown is not zero, the token budgets estimate the tokens from the text (docs/governance.md, Unknown usage)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT

from gatekit.agents.base import normalise_response
from gatekit.governance import load_policy
from gatekit.governance.testing import run_policy_tests

POLICY = {"id": "budget", "version": "1", "rules": [
    {"id": "budget", "kind": "token_budget", "per_case": {"output_tokens": 100}}]}  # fmt: skip
LONG = "The order ships tomorrow. " * 100  # ~500 tokens of output however counted


def _write(folder: Path, response: dict) -> Path:
    (folder / "policy.yaml").write_text(json.dumps(POLICY))
    test = {"policy": "policy.yaml", "tests": [{"name": "no usage", "case": {"input": "write a lot"},
            "response": response, "expect": {"outcome": "deny", "rules": ["budget"]}}]}  # fmt: skip
    path = folder / "budget_test.yaml"
    path.write_text(json.dumps(test))
    return path


def test_a_response_without_usage_is_held_to_the_budget_on_an_estimate_as_in_the_gate(tmp_path):
    path = _write(tmp_path, {"output": LONG})
    gate = load_policy(tmp_path / "policy.yaml").evaluate(
        {"id": "c", "input": "write a lot", "context": {}}, normalise_response({"output": LONG}).to_dict()
    )
    assert gate.outcome.value == "deny"  # what the gate decides on an agent answering this without usage
    (result,) = run_policy_tests(path)
    assert result.passed, result.failures  # was judged on 0 tokens: allow
    proc = subprocess.run([sys.executable, "-m", "gatekit", "policy", "test", str(path)], capture_output=True,
                          text=True, cwd=REPO_ROOT, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_reported_usage_is_still_used_as_reported(tmp_path):
    path = _write(tmp_path, {"output": LONG, "usage": {"input_tokens": 5, "output_tokens": 50}})
    (result,) = run_policy_tests(path)
    assert not result.passed and "outcome 'allow', expected 'deny'" in result.failures[0]
