"""fix18f: a ``cmd:`` worker's start-up is not measured as the first cases' latency when it writes a ready line.

Before: gatekit checked a worker for 0.5 s after starting it, then sent cases; a worker taking 1.5 s to start made
the first case ~1 s slower than its answer. With ``agent_options.extra.ready_line: true`` each worker writes one line
``{"ready": true}`` once started; gatekit waits for it (bounded by ``start_timeout``) before any case is timed.
Without the key the protocol is unchanged (backward compatible) and the first cases carry the start beyond 0.5 s.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project

from gatekit.agents import AgentOptions
from gatekit.agents.cmd import CmdAgent
from gatekit.errors import AgentError
from gatekit.models import Case, CaseResult
from gatekit.replay import ReplaySettings, run_case

WORKER = """
import json, sys, time
time.sleep(1.5)  # a slow start: loading weights, warming a cache
if "--ready" in sys.argv:
    print(json.dumps({"ready": True}), flush=True)
if "--bad" in sys.argv:
    print("starting...", flush=True)
if "--never" in sys.argv:
    time.sleep(3600)
for line in sys.stdin:
    request = json.loads(line)
    print(json.dumps({"id": request["id"], "output": "ok"}), flush=True)
"""


def _worker(tmp_path: Path) -> Path:
    path = tmp_path / "worker18f.py"
    path.write_text(WORKER, encoding="utf-8")
    return path


def _first_case(tmp_path: Path, *flags: str, ready_line: bool) -> CaseResult:
    spec = f"cmd:{sys.executable} {_worker(tmp_path)} {' '.join(flags)}"

    async def go() -> CaseResult:
        agent = CmdAgent(spec, AgentOptions(concurrency=1, extra={"ready_line": ready_line}))
        await agent.start()
        try:
            return await run_case(agent, Case(id="c1", input="hi"), ReplaySettings(timeout_s=10.0, retries=0))
        finally:
            await agent.close()

    return asyncio.run(go())


def test_with_a_ready_line_the_first_case_measures_the_answer_not_the_start(tmp_path: Path) -> None:
    result = _first_case(tmp_path, "--ready", ready_line=True)
    assert result.ok and result.latency_ms is not None, result
    assert result.latency_ms < 400, result.latency_ms  # the answer takes ~1 ms; the start (1.5 s) is not in it


def test_without_a_ready_line_the_protocol_is_unchanged(tmp_path: Path) -> None:
    result = _first_case(tmp_path, ready_line=False)
    assert result.ok and result.latency_ms is not None, result
    assert result.latency_ms > 700, result.latency_ms  # documented: the start beyond the 0.5 s check is in it


def test_a_worker_whose_first_line_is_not_the_ready_line_fails_the_start(tmp_path: Path) -> None:
    spec = f"cmd:{sys.executable} {_worker(tmp_path)} --bad"

    async def go() -> None:
        agent = CmdAgent(spec, AgentOptions(concurrency=2, extra={"ready_line": True}))
        await agent.start()

    with pytest.raises(AgentError, match=r"first line is not \{\"ready\": true\}.*starting\.\.\."):
        asyncio.run(go())


def test_ready_line_must_be_a_boolean() -> None:
    with pytest.raises(AgentError, match="extra.ready_line: expected true or false"):
        CmdAgent("cmd:true", AgentOptions(extra={"ready_line": "yes"}))


def test_a_worker_that_never_gets_ready_is_bounded_by_start_timeout(tmp_path: Path) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    _worker(project)
    (project / "gatekit.yaml").write_text("agent_options:\n  extra: {ready_line: true}\n", encoding="utf-8")
    t0 = time.monotonic()
    proc = attack_gate(
        project,
        "--no-mlflow",
        "--out",
        "out",
        "--config",
        "gatekit.yaml",
        agent=f"cmd:{sys.executable} worker18f.py --never",
        env={"GATEKIT_START_TIMEOUT": "3"},
    )
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "did not start within 3 s" in proc.stderr and "Traceback" not in proc.stderr
    assert time.monotonic() - t0 < 60
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail" and verdict["exit_code"] == 2
