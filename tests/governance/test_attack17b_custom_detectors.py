"""attack17b: a policy author's custom detector pattern cannot make a run slow, and is refused when it cannot run.

Custom detectors run on every text of every case, in the gate, the in-process guard and the proxy. A pattern with
nested unbounded repetition (``(a+)+b``) backtracked exponentially on Python's ``re``: 24 characters took 1.5 s,
30 would take minutes. Custom patterns now run on RE2 (linear in the text, as ``matches()`` already did).
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT

from gatekit.errors import PolicyError
from gatekit.governance import policy_from_dict
from gatekit.models import Outcome


def _policy(pattern: str, **detector: Any) -> Any:
    rule = {
        "id": "codes",
        "kind": "sensitive_data",
        "outcomes": {"CODE": "deny"},
        "detectors": [{"type": "CODE", "pattern": pattern, **detector}],
    }
    return policy_from_dict({"id": "t", "version": "1", "rules": [rule]})


def _decide(policy: Any, output: str, arguments: Any = None) -> Any:
    response = {"output": output, "tool_calls": [{"name": "t", "arguments": arguments or {}}]}
    return policy.evaluate({"id": "c", "input": "hi", "context": {}}, response)


@pytest.mark.parametrize("pattern", [r"(a+)+b", r"(a|aa)+b", r"(\w+\s?)+!x", r"(x*)*y"])
def test_a_catastrophic_custom_pattern_runs_in_linear_time(pattern: str) -> None:
    policy = _policy(pattern)
    hostile = "a" * 40 + "!" if "a" in pattern or "w" in pattern else "x" * 40 + "!"
    started = time.thread_time()  # this thread's CPU time: the cost, not the wait for a core on a busy machine
    decision = _decide(policy, hostile, {"note": hostile})
    assert time.thread_time() - started < 2.0  # (Python's re: 2**40 steps)
    assert decision.outcome is Outcome.ALLOW
    long_started = time.thread_time()
    _decide(policy, hostile * 2000)
    assert time.thread_time() - long_started < 2.0


def test_a_linear_custom_pattern_still_finds_and_redacts_with_its_value_group_and_unicode_offsets() -> None:
    policy = _policy(r"ref[:=](?P<value>(a+)+b)\b")
    decision = _decide(policy, "é ü ref:aaab and ref=ab, not refaab", {"note": "€ ref:aab"})
    assert decision.outcome is Outcome.DENY
    assert decision.redacted_output == "é ü ref:[CODE] and ref=[CODE], not refaab"
    assert decision.redacted_tool_calls[0]["arguments"]["note"] == "€ ref:[CODE]"


def test_a_custom_pattern_with_a_validator_and_context_runs_on_re2_too() -> None:
    policy = _policy(r"\bL\d{11}\b", validator="luhn", score=0.4, context=["loyalty"])
    assert _decide(policy, "loyalty card L49927398716").outcome is Outcome.DENY
    assert _decide(policy, "loyalty card L49927398715").outcome is Outcome.ALLOW
    assert _decide(policy, "card L49927398716").outcome is Outcome.ALLOW


@pytest.mark.parametrize(
    ("pattern", "message"),
    [(r"(?<=id:)\d+", "RE2"), (r"(a)\1", "RE2"), (r"x(?=y)", "RE2"), ("(", "does not compile")],
)
def test_a_custom_pattern_that_cannot_run_linearly_is_a_policy_error(pattern: str, message: str) -> None:
    with pytest.raises(PolicyError, match=message):
        _policy(pattern)


def test_policy_check_refuses_a_lookbehind_pattern_with_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(
        "id: p\nversion: '1'\nrules:\n  - id: codes\n    kind: sensitive_data\n    outcomes: {CODE: deny}\n"
        "    detectors:\n      - type: CODE\n        pattern: '(?<=id:)\\d+'\n",
        encoding="utf-8",
    )
    done = subprocess.run(
        [sys.executable, "-m", "gatekit", "policy", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    assert "p.yaml" in done.stderr and "pattern" in done.stderr and "RE2" in done.stderr


def test_a_custom_detector_its_rule_does_not_act_on_is_a_policy_error() -> None:
    """``secret: true`` and ``outcomes: {secrets: deny}`` let the custom secret out unredacted (the groups are the
    built-in types): a detector no outcome names is now refused, naming what to write."""
    rule = {
        "id": "r",
        "kind": "sensitive_data",
        "outcomes": {"secrets": "deny", "pii": "allow_with_redaction"},
        "detectors": [{"type": "INTERNAL_TOKEN", "pattern": r"\bitk_[a-z0-9]{20}\b", "secret": True}],
    }
    with pytest.raises(PolicyError, match=r"INTERNAL_TOKEN is declared but outcomes does not name it.*deny"):
        policy_from_dict({"id": "t", "version": "1", "rules": [rule]})
    rule["outcomes"] = {"secrets": "deny", "INTERNAL_TOKEN": "deny"}
    decision = _decide(policy_from_dict({"id": "t", "version": "1", "rules": [rule]}), "t itk_abcdefghij0123456789")
    assert decision.outcome is Outcome.DENY
    assert decision.redacted_output == "t [INTERNAL_TOKEN]"
