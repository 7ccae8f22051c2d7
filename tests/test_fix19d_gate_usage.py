"""fix19d: a gate whose agent reports no token usage holds it to the token budget and says how many cases were estimated.

A python agent returning a plain string reports no usage: its cases counted 0 tokens and every budget passed them.
Now each case's tokens are estimated, the trace notes it, the verdict's governance notes and the report count the
cases, and the cost stays unknown (an estimate is never priced). Real parts: the CLI in process, real files.
"""

from __future__ import annotations

import json
from pathlib import Path

from spine_project import make_project, run_cli

POLICY = """\
id: budget
version: "1"
rules:
  - id: token-budget
    kind: token_budget
    per_case: {output_tokens: 4k}
"""
NOTE = "token-budget: output_tokens estimated: usage not reported"  # (only the output has a limit here)


def test_the_gate_counts_the_cases_whose_tokens_were_estimated_and_leaves_their_cost_unknown(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", agent="python:spine_agents:plain_string", cases=4)
    (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
    proc = run_cli(root, "eval", "--no-mlflow")
    assert proc.returncode in (0, 1), proc.stderr  # (the cost check cannot pass: the cost is unknown)
    verdict = json.loads((root / "out" / "verdict.json").read_text())
    notes = {entry["note"]: entry for entry in verdict["governance"]["notes"]}
    assert notes[NOTE]["cases"] == 4 and notes[NOTE]["text"] == f"{NOTE} (all 4 cases)"
    assert f"{NOTE} (all 4 cases)" in (root / "out" / "report.html").read_text()
    traces = [json.loads(line) for line in (root / "out" / "governance_traces.jsonl").read_text().splitlines()]
    assert [trace["notes"] for trace in traces] == [[NOTE]] * 4
    rows = [json.loads(line) for line in (root / "out" / "results.jsonl").read_text().splitlines()]
    assert all(row["cost_usd"] is None for row in rows)
    assert all(row["response"]["usage"] == {"input_tokens": None, "output_tokens": None} for row in rows)
    assert verdict["metrics"]["cost_total_usd"] is None and verdict["metrics"]["tokens_output"] is None
