"""attack18b: an async agent that never finishes (it swallows the cancellation) ends the gate without tracebacks.

Its coroutines are still pending on the agent's loop when gatekit exits; the interpreter closes them (GeneratorExit
thrown in), and the wrapper that turns an agent's own ``GeneratorExit`` into an error of the case raised there:
"Exception ignored in: <coroutine object _awaited>" and a traceback per case on stderr after the verdict. A
coroutine being closed is not the agent raising: the close goes through now.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import attack_gate, attack_project

AGENTS = """
import asyncio

async def never_finishes(case_input, context=None):
    while True:
        try:
            await asyncio.sleep(10)
        except asyncio.CancelledError:
            pass

async def raises_generator_exit(case_input, context=None):
    raise GeneratorExit
"""


def test_a_coroutine_that_never_finishes_times_out_with_no_traceback(tmp_path: Path) -> None:
    root = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"q{i}"}) for i in range(3)])
    (root / "agents18b.py").write_text(AGENTS, encoding="utf-8")
    args = ("--no-mlflow", "--out", "out", "--timeout", "0.5", "--retries", "0")
    proc = attack_gate(root, *args, agent="python:agents18b:never_finishes")
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr[-3000:]
    verdict = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail" and verdict["errors"]["by_type"] == {"timeout": 3}


def test_an_async_agent_raising_generator_exit_is_still_an_error_of_the_case(tmp_path: Path) -> None:
    root = attack_project(tmp_path, [json.dumps({"id": "c0", "input": "q0"})])
    (root / "agents18b.py").write_text(AGENTS, encoding="utf-8")
    proc = attack_gate(root, "--no-mlflow", "--out", "out", agent="python:agents18b:raises_generator_exit")
    assert proc.returncode == 1, proc.stderr[-2000:]
    (line,) = (root / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    row = json.loads(line)
    assert row["error_type"] == "exception" and "GeneratorExit" in row["error_message"]
