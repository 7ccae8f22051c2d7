"""attack17: a token sum over only the cases that reported usage is unknown to thresholds and MLflow.

``tokens_input: {max: 100}`` passed on 10 tokens when 2 of 3 successful cases reported no usage at all.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from conftest import attack_gate, attack_project

PARTIAL = """
def run(case_input, context=None):
    if case_input.endswith("0"):
        return {"output": "ok", "usage": {"input_tokens": 10, "output_tokens": 5}, "cost_usd": 0.0}
    return {"output": "ok", "cost_usd": 0.0}
"""


def _project(tmp_path: Path, agent: str | None) -> Path:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)])
    if agent is not None:
        (project / "agent16.py").write_text(agent, encoding="utf-8")
    (project / "th.yaml").write_text("min_cases: 1\nchecks:\n  tokens_input: {max: 100}\n", encoding="utf-8")
    return project


def test_tokens_reported_by_one_case_of_three_do_not_pass_a_token_limit(tmp_path: Path) -> None:
    project = _project(tmp_path, PARTIAL)
    proc = attack_gate(project, "--out", "out", "--tracking-uri", f"sqlite:///{project / 'mlflow.db'}")
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)  # was 0: PASS on 10 tokens
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    check = next(c for c in verdict["checks"] if c["name"] == "tokens_input")
    assert check["status"] == "fail" and check["value"] is None
    assert "2 of 3 successful cases reported no token usage" in check["message"]
    # the metrics block keeps its documented partial sum, with how many cases reported
    assert (verdict["metrics"]["tokens_input"], verdict["metrics"]["tokens_reported_cases"]) == (10, 1)
    with sqlite3.connect(project / "mlflow.db") as db:
        logged = {key for (key,) in db.execute("select key from latest_metrics")}
    assert "cases" in logged and "tokens_input" not in logged  # a partial sum is no metric value


def test_tokens_reported_by_every_case_are_judged(tmp_path: Path) -> None:
    proc = attack_gate(_project(tmp_path, None), "--no-mlflow", "--out", "out")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)  # 3 cases x 1 input token
