"""attack16: a results.jsonl row whose fields have the wrong type is a bad line (exit 2 naming it).

``"ok": "false"`` read as a success (``bool("false")``), and ``"latency_ms": "abc"`` ended a ``--resume`` in an
internal error (exit 3: "bad operand type for unary -: 'str'") instead of the one rule every reader of
results.jsonl follows: a bad line names ``results.jsonl:<line>``, exit 2.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gatekit.errors import DatasetError
from gatekit.results import parse_results

ROOT = Path(__file__).resolve().parents[1]
GOOD = {"case_id": "c1", "repeat": 0, "ok": True, "passed": None, "latency_ms": 1.5, "cost_usd": None}


@pytest.mark.parametrize(
    "change",
    [
        {"ok": "false"},
        {"ok": 1},
        {"passed": "yes"},
        {"latency_ms": "abc"},
        {"latency_ms": -3.0},
        {"cost_usd": "free"},
        {"error_type": 7},
        {"decision": "deny"},
        {"attempts": "3"},
    ],
    ids=lambda c: next(iter(c)),
)
def test_a_field_of_the_wrong_type_is_a_bad_line(change: dict) -> None:
    text = json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "case_id": "c2", **change}) + "\n" + json.dumps(GOOD) + "\n"
    with pytest.raises(DatasetError) as caught:
        parse_results(text, "out/results.jsonl")
    assert "out/results.jsonl:2" in str(caught.value) and next(iter(change)) in str(caught.value)


def test_an_edited_last_line_is_not_dropped_as_torn() -> None:
    text = json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "case_id": "c2", "ok": "true"}) + "\n"
    with pytest.raises(DatasetError, match="results.jsonl:2"):
        parse_results(text)
    torn = json.dumps(GOOD) + "\n" + json.dumps({**GOOD, "case_id": "c2"})[:20]
    assert len(parse_results(torn).rows) == 1  # a line cut off by a kill is still dropped and counted


def test_rows_as_gatekit_writes_them_still_parse() -> None:
    rows = [GOOD, {**GOOD, "ok": False, "latency_ms": None, "error_type": "timeout", "decision": None}]
    rows.append({**GOOD, "passed": True, "decision": {"outcome": "allow"}, "attempts": [], "cost_usd": 0})
    parsed = parse_results("".join(json.dumps(r) + "\n" for r in rows))
    assert len(parsed.rows) == 3


AGENT = """
def run(case_input, context=None):
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_resume_over_an_edited_row_is_exit_2_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "agent16.py").write_text(AGENT, encoding="utf-8")
    (tmp_path / "ds.jsonl").write_text("".join(f'{{"id": "c{i}", "input": "x"}}\n' for i in range(4)))
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    command = [
        sys.executable,
        "-m",
        "gatekit",
        "eval",
        "--no-mlflow",
        "--dataset",
        "ds.jsonl",
        "--agent",
        "python:agent16:run",
        "--thresholds",
        "th.yaml",
        "--policy",
        str(ROOT / "policies" / "default.yaml"),
    ]
    first = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    results = tmp_path / "reports" / "latest" / "results.jsonl"
    rows = [json.loads(line) for line in results.read_text().splitlines()][:2]
    rows[0]["latency_ms"] = "abc"
    results.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    proc = subprocess.run([*command, "--resume"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "results.jsonl:1" in proc.stderr and "latency_ms" in proc.stderr and "Traceback" not in proc.stderr
