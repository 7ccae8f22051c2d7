"""attack21a: a ``cmd:`` answer line is capped by ``extra.max_response_bytes`` (default 8 MiB, as an HTTP body).

The line limit was a fixed 64 MiB per worker, and asyncio's reader buffers up to twice its limit before it stops
reading: 16 workers writing without a line break held 1,001 MB of gatekit's memory (8: 521 MB) before each answer
was refused, so the default ``concurrency: 64`` could take ~4 GB. Now 141 MB for 16 workers; a larger answer is
still possible by raising the setting.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project, one_line_exit_2

from gatekit.agents import AgentOptions
from gatekit.agents.base import AgentCallError
from gatekit.agents.cmd import CmdAgent
from gatekit.models import ErrorType

ROOT = Path(__file__).resolve().parents[2]
WORKERS = 8

FLOOD = """
import os, sys
for request in sys.stdin:
    block = b"x" * (1024 * 1024)
    for _ in range(150):
        os.write(1, block)  # 150 MiB on stdout without a line break
"""
LONG_ANSWER = """
import json, sys
for request in sys.stdin:
    print(json.dumps({"output": "y" * (10 * 1024 * 1024)}), flush=True)
"""
HARNESS = textwrap.dedent(
    """
    import asyncio, json, sys
    from gatekit.agents import AgentOptions
    from gatekit.agents.cmd import CmdAgent

    async def main():
        workers = int(sys.argv[2])
        agent = CmdAgent("cmd:" + sys.argv[1], AgentOptions(concurrency=workers, timeout_s=60))
        await agent.start()
        async def one(i):
            try:
                return (await asyncio.wait_for(agent.call(f"q{i}", {}), 60)).output[:10]
            except Exception as exc:
                return f"{type(exc).__name__}: {exc}"
        try:
            answers = await asyncio.gather(*(one(i) for i in range(workers)))
        finally:
            await agent.close()
        hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
        print(json.dumps({"answers": answers, "peak_mb": int(hwm.split()[1]) / 1024}))

    asyncio.run(main())
    """
)


def test_workers_writing_without_a_line_break_cost_bounded_memory(tmp_path: Path) -> None:
    (tmp_path / "flood.py").write_text(FLOOD, encoding="utf-8")
    (tmp_path / "harness.py").write_text(HARNESS, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, str(tmp_path / "harness.py"), f"{sys.executable} {tmp_path / 'flood.py'}", str(WORKERS)]
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["peak_mb"] < 250, result["peak_mb"]  # was 521 MB for 8 workers (~65 MB each)
    for answer in result["answers"]:
        assert "longer than 8388608 bytes" in answer and "max_response_bytes" in answer, answer


def test_a_longer_answer_is_read_when_the_cap_is_raised(tmp_path: Path) -> None:
    worker = tmp_path / "long_answer.py"
    worker.write_text(LONG_ANSWER, encoding="utf-8")

    async def ask(extra: dict[str, object]) -> str:
        agent = CmdAgent(f"cmd:{sys.executable} {worker}", AgentOptions(concurrency=1, extra=extra))
        await agent.start()
        try:
            return (await asyncio.wait_for(agent.call("q", {}), 60)).output
        finally:
            await agent.close()

    with pytest.raises(AgentCallError) as caught:
        asyncio.run(ask({}))
    assert caught.value.error_type is ErrorType.INVALID_RESPONSE and "8388608" in str(caught.value)
    assert len(asyncio.run(ask({"max_response_bytes": 16 * 1024 * 1024}))) == 10 * 1024 * 1024


def test_a_bad_cap_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "long_answer.py").write_text(LONG_ANSWER, encoding="utf-8")
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    (project / "gatekit.yaml").write_text("agent_options:\n  extra: {max_response_bytes: 12}\n", encoding="utf-8")
    proc = attack_gate(project, "--out", "out", "--no-mlflow", agent=f"cmd:{sys.executable} long_answer.py")
    line = one_line_exit_2(proc)
    assert "agent_options.extra.max_response_bytes" in line and ">= 1024" in line, line
