"""attack21r: a case listed in the verdict shows a bounded number of tools, reasons and misses.

An agent answering with 1,000 tool calls of 1,000-character names made every listed row (slowest, unpassed,
denied) carry 1,000 names and 1,000 "not on the allow-list" reasons: 200 such cases wrote a 51 MB report.html and a
31 MB verdict.json. A row now lists the first 20 (each cut to 300 characters) and ``… N more``; results.jsonl keeps
every call.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import attack_gate, attack_project

AGENT = """
def run(case_input, context=None):
    calls = [{"name": f"t{i:04d}" + "n" * 990, "arguments": {}} for i in range(200)]
    return {"output": "an answer", "tool_calls": calls, "usage": {"input_tokens": 1, "output_tokens": 1}}
"""


def test_hundreds_of_long_tool_names_keep_the_report_small(tmp_path: Path) -> None:
    rows = [json.dumps({"id": f"c{i}", "input": "hi", "expected": {"output_contains": ["zzz"]}}) for i in range(12)]
    project = attack_project(tmp_path, rows)
    (project / "many21.py").write_text(AGENT, encoding="utf-8")
    proc = attack_gate(project, "--out", "out", "--no-mlflow", agent="python:many21:run")
    # every case is denied (the tools are not on the default policy's allow-list): its emergency stop ends the run
    assert proc.returncode == 1 and "emergency stop" in proc.stdout, proc.stdout + proc.stderr
    out = project / "out"
    verdict = json.loads((out / "verdict.json").read_text(encoding="utf-8"))
    row = verdict["unpassed_cases"][0]
    assert row["tools"][0].startswith("t0000") and len(row["tools"][0]) == 300
    assert row["tools"][20:] == ["… 180 more"] and len(row["tools"]) == 21
    denied = verdict["governance"]["denied_cases"][0]
    assert len(denied["reasons"]) == 21 and denied["reasons"][-1].startswith("… ")
    first = json.loads((out / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert len(first["response"]["tool_calls"]) == 200  # the full answer stays in results.jsonl
    assert (out / "report.html").stat().st_size < 1_000_000
    assert (out / "verdict.json").stat().st_size < 1_000_000
