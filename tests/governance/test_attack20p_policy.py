"""attack20p: the policy file as untrusted, hand-written input, and ``gatekit policy check`` / ``test``.

Each test names the defect it pins: a policy that loaded although part of it could never act (a stop rule
reading a rule id the policy does not run, a blank sensitive term), a policy test file whose expectations could
pass on nothing, and numbers written as text that the condition language did not read as the tool does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gatekit.errors import PolicyError
from gatekit.governance import load_policy, policy_from_dict
from gatekit.models import Outcome

ROOT = Path(__file__).resolve().parents[2]


def _gatekit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


_TOOLS = "  - id: tools\n    kind: tools\n    allow: [get_order]\n"


# --- emergency stops reading rules.<id> ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "problem"),
    [
        ("rules.tool >= 3", "the policy has no rule 'tool'"),
        ("rules['tool'] >= 3", "the policy has no rule 'tool'"),
        ("cases > 5 and rules.spare >= 1", "rule 'spare' is disabled"),
    ],
)
def test_a_stop_reading_a_rule_the_policy_does_not_run_is_refused(tmp_path: Path, when: str, problem: str) -> None:
    # old: loaded, and rules.tool was null for ever: the stop never held
    policy = _write(
        tmp_path / "p.yaml",
        f'id: p\nversion: "1"\nrules:\n{_TOOLS}  - id: spare\n    kind: sensitive_terms\n    terms: [x]\n'
        f'    enabled: false\n  - id: stop\n    kind: emergency_stop\n    when: "{when}"\n',
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    message = str(caught.value)
    assert message.startswith(f"{policy}:11: rules[2] (stop): when reads rules.")
    assert problem in message and "name one of the policy's rules: tools" in message


def test_a_rule_that_has_not_fired_counts_zero() -> None:
    policy = policy_from_dict(
        {
            "id": "p",
            "version": "1",
            "rules": [
                {"id": "tools", "kind": "tools", "allow": ["get_order"]},
                {"id": "stop", "kind": "emergency_stop", "when": "cases >= 2 and rules.tools == 0"},
            ],
        }
    )
    run = policy.new_run()
    for _ in range(2):
        policy.evaluate({"id": "c", "input": "", "context": {}}, {"output": "ok", "tool_calls": []}, run=run)
    # old: rules.tools was null (never fired), so "== 0" never held
    assert run.stop_reason is not None and "stop" in run.stop_reason
