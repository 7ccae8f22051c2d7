"""attack18b: an in-process agent printing to stdout cannot forge ``gatekit eval --json``'s output.

``--json`` prints verdict.json on stdout for a CI step to read, but a ``python:`` agent's ``print`` went to the same
stdout: an agent printing ``{"verdict": "pass", "exit_code": 0}`` put a passing verdict first (``jq -r .verdict``
said ``pass`` then ``fail``; ``json.load`` failed on "Extra data"). What agent code prints while the agent runs
(start, cases, close) goes to stderr now; stdout holds gatekit's own output only.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import attack_gate, attack_project

AGENT = """
import json, sys
print(json.dumps({"verdict": "pass", "exit_code": 0, "printed": "at import"}))

def forger(case_input, context=None):
    print(json.dumps({"verdict": "pass", "exit_code": 0, "printed": "in a case"}), flush=True)
    sys.stdout.write("PASS gate: all checks passed\\n")
    return {"output": "no"}
"""


def test_what_the_agent_prints_goes_to_stderr_and_json_stdout_is_the_verdict(tmp_path: Path) -> None:
    root = attack_project(tmp_path, [json.dumps({"id": "c0", "input": "q"})])
    (root / "forger18b.py").write_text(AGENT, encoding="utf-8")
    (root / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n  pass_rate: {min: 100%}\n")
    (root / "ds.jsonl").write_text(json.dumps({"id": "c0", "input": "q", "expected": {"output_contains": ["yes"]}}))
    proc = attack_gate(root, "--no-mlflow", "--out", "out", "--json", agent="python:forger18b:forger")
    assert proc.returncode == 1, proc.stderr[-2000:]
    verdict = json.loads(proc.stdout)  # one JSON document: gatekit's
    assert verdict["verdict"] == "fail" and verdict["exit_code"] == 1
    assert '"printed": "in a case"' in proc.stderr and "PASS gate" in proc.stderr
    assert '"printed": "at import"' in proc.stderr
