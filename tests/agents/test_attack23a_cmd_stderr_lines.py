"""attack23a: a ``cmd:`` worker writing stderr lines as fast as it can does not stall the gate's event loop.

The stderr drain walked each 64 KiB read line by line in Python to keep the last 40 lines: a worker writing empty
lines nonstop (64 Ki lines a read) kept the loop busy ~0.5 s at a time. Five cases took 3.5 s (0.5 ms each without
the flood), every case's latency was the drain's, and a gate timing a chatty agent measured the gate. The drain now
cuts a read with ``find`` / ``count`` / ``rfind`` and keeps the same tail.
"""

from __future__ import annotations

import asyncio
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from gatekit.agents import AgentOptions
from gatekit.agents.cmd import _STDERR_LINE_BYTES, _STDERR_TAIL, CmdAgent, _Worker

pytestmark = pytest.mark.slow

FLOOD = """
import json, os, sys, threading

def flood():
    blob = b"\\n" * (1 << 20)
    while True:
        os.write(2, blob)

threading.Thread(target=flood, daemon=True).start()
for line in sys.stdin:
    request = json.loads(line)
    print(json.dumps({"id": request["id"], "output": "ok"}), flush=True)
"""


def test_a_worker_flooding_stderr_with_line_breaks_leaves_the_loop_responsive(tmp_path: Path) -> None:
    (tmp_path / "flood.py").write_text(FLOOD, encoding="utf-8")

    async def scenario() -> tuple[list[float], list[str]]:
        agent = CmdAgent(f"cmd:{sys.executable} {tmp_path / 'flood.py'}", AgentOptions(concurrency=2))
        await agent.start()
        stalls: list[float] = []

        async def ticker() -> None:
            while True:
                before = time.perf_counter()
                await asyncio.sleep(0.005)
                stalls.append(time.perf_counter() - before - 0.005)

        ticking = asyncio.create_task(ticker())
        try:
            answers = [(await asyncio.wait_for(agent.call(f"q{i}", {}), 30)).output for i in range(20)]
            await asyncio.sleep(0.5)  # the flood goes on between cases too
        finally:
            ticking.cancel()
            await agent.close()
        return stalls, answers

    stalls, answers = asyncio.run(scenario())
    assert answers == ["ok"] * 20
    stalls.sort()
    # old: the median stall was ~560 ms (so ~10 ticks in the whole run); now a few ms, even on a loaded machine
    assert stalls[len(stalls) // 2] < 0.1, f"median stall {stalls[len(stalls) // 2]:.3f} s over {len(stalls)} ticks"


WRITER = """
import os, sys
data = open(sys.argv[1], "rb").read()
sizes = [int(n) for n in sys.argv[2].split(",")]
at = 0
for size in sizes:
    os.write(2, data[at : at + size])
    at += size
os.write(2, data[at:])
"""


def _expected(data: bytes) -> tuple[list[str], int]:
    """The tail the drain keeps (the last 40 lines, each cut at 4096 bytes) and how many lines it counted."""
    pieces = data.split(b"\n")
    lines = pieces if pieces[-1] else pieces[:-1]  # a last line without its break counts once the pipe ends
    kept = [_kept(line) for line in lines]
    return kept[-_STDERR_TAIL:], len(lines)


def _kept(line: bytes) -> str:
    """One line as kept: whole, or cut at 4096 bytes less its last word (a key the cut halved), marked with '…'."""
    text = line[:_STDERR_LINE_BYTES].decode("utf-8", "replace").rstrip("\r")
    return text if len(line) <= _STDERR_LINE_BYTES else re.sub(r"\S*$", "", text) + "…"


@pytest.mark.parametrize("seed", range(6))
def test_the_kept_tail_is_the_same_whatever_the_reads(tmp_path: Path, seed: int) -> None:
    rng = random.Random(seed)
    lines = []
    for _ in range(rng.choice([3, 45, 300])):
        kind = rng.random()
        if kind < 0.3:
            lines.append(b"")
        elif kind < 0.4:
            lines.append(b"x" * rng.randint(4000, 70_000))  # longer than a kept line, across reads
        else:
            lines.append(f"line {len(lines)} {'é' * rng.randint(0, 30)}\r".encode())
    data = b"\n".join(lines) + rng.choice([b"", b"\n", b"tail without a break"])
    (tmp_path / "data").write_bytes(data)
    (tmp_path / "writer.py").write_text(WRITER, encoding="utf-8")
    sizes = ",".join(str(rng.choice([1, 7, 4096, 65_536, 100_000])) for _ in range(40))

    async def scenario() -> Any:
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            str(tmp_path / "writer.py"),
            str(tmp_path / "data"),
            sizes,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        worker = _Worker(proc)
        await asyncio.wait_for(worker.drain, 30)
        await proc.wait()
        return list(worker.stderr), worker.stderr_seq

    kept, counted = asyncio.run(scenario())
    assert (kept, counted) == _expected(data)
