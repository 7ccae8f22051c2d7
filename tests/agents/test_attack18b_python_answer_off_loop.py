"""attack18b: what a ``python:`` agent returns is read on the agent's thread, never on the gate's event loop.

``normalise_response`` ran on the gate's loop after the call: an answer whose ``tool_calls`` is a list subclass
with an ``__iter__`` that never ends (or any hostile dunder that blocks) kept the loop busy for good, where the
attempt timeout cannot reach; the loop's SIGTERM handler never ran either: ``gatekit eval --timeout 1`` was still
running after 10 minutes and a ``timeout 40`` around it (SIGTERM) did not end it. Now the answer is normalised on
the agent's thread (or its own loop): the attempt timeout abandons it like any stuck call and the gate fails.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project

AGENTS = """
import time

class Endless(list):
    def __iter__(self):
        while True:
            time.sleep(0.01)
            yield {"name": "lookup", "arguments": {}}

def endless_calls(case_input, context=None):
    return {"output": "ok", "tool_calls": Endless([{"name": "lookup", "arguments": {}}])}

async def endless_calls_async(case_input, context=None):
    return endless_calls(case_input, context)

def awaitable_endless(case_input, context=None):
    async def later():
        return endless_calls(case_input, context)
    return later()
"""


@pytest.mark.parametrize("function", ["endless_calls", "endless_calls_async", "awaitable_endless"])
def test_an_answer_that_never_ends_iterating_times_out_and_the_gate_fails(tmp_path: Path, function: str) -> None:
    root = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"q{i}"}) for i in range(2)])
    (root / "endless18b.py").write_text(AGENTS, encoding="utf-8")
    args = ("--no-mlflow", "--out", "out", "--timeout", "1", "--retries", "0")
    try:
        proc = attack_gate(root, *args, agent=f"python:endless18b:{function}")
    except subprocess.TimeoutExpired:
        pytest.fail("gatekit eval did not end within 120 s (the answer was read on the gate's loop)")
    assert proc.returncode == 1, proc.stderr[-2000:]
    verdict = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail" and verdict["errors"]["by_type"] == {"timeout": 2}
