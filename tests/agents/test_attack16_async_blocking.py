"""attack16: an async ``python:`` agent that blocks (a sync call inside ``async def``) still meets the timeout.

The coroutine ran on the gate's own event loop, so ``time.sleep(8)`` inside it stopped the loop: the attempt
timeout (``--timeout 1``) never fired, every case "succeeded" after 8 s with 0 errors, cases ran one after
another, and an agent that blocks forever hung the gate with no verdict. Async agents now run on an event
loop of their own (one daemon thread): the gate's loop times the attempt out and the run ends.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

AGENTS = """
import asyncio
import time

async def blocks(case_input, context=None):
    time.sleep(float(case_input))  # a blocking call inside a coroutine
    return {"output": "late", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}

async def awaits(case_input, context=None):
    await asyncio.sleep(0.5)
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}

class Bot:
    async def __call__(self, case_input, context=None):
        await asyncio.sleep(0)
        return "ok from " + str(context.get("user"))

bot = Bot()

def returns_a_coroutine(case_input):
    return blocks(case_input)
"""


def _run(
    tmp_path: Path, agent: str, seconds: str, cases: int, *flags: str
) -> tuple[subprocess.CompletedProcess[str], float]:
    (tmp_path / "agents16.py").write_text(AGENTS, encoding="utf-8")
    rows = "".join(
        json.dumps({"id": f"c{i}", "input": seconds, "context": {"user": "u1"}}) + "\n" for i in range(cases)
    )
    (tmp_path / "ds.jsonl").write_text(rows, encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{tmp_path}"}
    command = [sys.executable, "-m", "gatekit", "eval", "--no-mlflow", "--dataset", "ds.jsonl", "--agent",
               f"python:agents16:{agent}", "--thresholds", "th.yaml", "--policy", str(ROOT / "policies" / "default.yaml"),
               "--concurrency", "8", *flags]  # fmt: skip
    started = time.monotonic()
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    return proc, time.monotonic() - started


def _rows(tmp_path: Path) -> list[dict]:
    lines = (tmp_path / "reports" / "latest" / "results.jsonl").read_text().splitlines()
    return [json.loads(line) for line in lines]


def test_a_blocking_coroutine_is_timed_out_not_measured_as_a_success(tmp_path: Path) -> None:
    proc, took = _run(tmp_path, "blocks", "6", 3, "--timeout", "1", "--retries", "0")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # every case errored: a fail, not a pass
    assert [r["error_type"] for r in _rows(tmp_path)] == ["timeout"] * 3
    assert took < 15, took  # not 3 x 6 s one after another


def test_an_agent_that_blocks_forever_does_not_hang_the_gate(tmp_path: Path) -> None:
    proc, took = _run(tmp_path, "blocks", "3600", 2, "--timeout", "1", "--retries", "0")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert (tmp_path / "reports" / "latest" / "verdict.json").exists()
    assert took < 60, took


def test_a_sync_function_returning_a_blocking_coroutine_is_timed_out_too(tmp_path: Path) -> None:
    proc, _ = _run(tmp_path, "returns_a_coroutine", "6", 2, "--timeout", "1", "--retries", "0")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert [r["error_type"] for r in _rows(tmp_path)] == ["timeout"] * 2


def test_well_behaved_async_agents_still_run_concurrently(tmp_path: Path) -> None:
    proc, took = _run(tmp_path, "awaits", "0", 8)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = _rows(tmp_path)
    assert all(r["ok"] for r in rows) and len(rows) == 8
    assert max(r["latency_ms"] for r in rows) < 2000  # 8 x 0.5 s at concurrency 8: about 0.5 s each
    proc, _ = _run(tmp_path, "bot", "0", 2)  # an instance with an async __call__, given the context
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert {r["response"]["output"] for r in _rows(tmp_path)} == {"ok from u1"}
