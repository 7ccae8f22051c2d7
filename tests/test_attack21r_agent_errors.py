"""attack21r: an AgentCallError a python: agent raises itself is classified like any other failure of its case.

A ``python:`` agent may raise gatekit's own ``AgentCallError``; its ``error_type`` outside ``ErrorType`` (a string
of its own) ended the whole run after no case with ``internal error ...: AttributeError: 'str' object has no
attribute 'value'`` (exit 3, every finished case's verdict lost). It is now the case's ``exception``, naming the
type it gave; a known type (``"http_4xx"``) is kept, and a ``retry_after_s`` that is no finite number is ignored.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import attack_gate, attack_project

AGENT = """
from gatekit.agents.base import AgentCallError

def run(case_input, context=None):
    if case_input == "odd":
        raise AgentCallError("quota_\\x1b[31mexceeded", "the upstream refused", retryable=False)
    if case_input == "known":
        raise AgentCallError("http_4xx", "bad request", retryable="no", retry_after_s=float("inf"))
    return {"output": "ok"}
"""


def test_an_unknown_error_type_fails_its_case_not_the_run(tmp_path: Path) -> None:
    rows = ['{"id": "a", "input": "odd"}', '{"id": "b", "input": "known"}', '{"id": "c", "input": "fine"}']
    project = attack_project(tmp_path, rows)
    (project / "raiser21.py").write_text(AGENT, encoding="utf-8")
    proc = attack_gate(project, "--out", "out", "--no-mlflow", "--retries", "1", agent="python:raiser21:run")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # 2 of 3 failed: over the 10% error-rate limit
    assert "internal error" not in proc.stderr
    results = {}
    for line in (project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        results[row["case_id"]] = row
    assert (results["a"]["error_type"], results["b"]["error_type"], results["c"]["ok"]) == (
        "exception",
        "http_4xx",
        True,
    )
    assert "unknown error_type 'quota_\\x1b[31mexceeded'" in results["a"]["error_message"]
    assert results["b"]["error_message"] == "bad request"
    assert len(results["b"]["attempts"]) == 1  # retryable "no" is not True: not retried
