"""attack21a: a ``cmd:`` worker whose child left its session (and so outlives the kill) does not hold the run's end.

Such a grandchild keeps the worker's stdout and stderr open. Closing the pool waited ``proc.wait()`` (which, on
Python 3.11, also waits for the pipes to close) up to 2 s, then killed the workers one after another, each waiting
up to 1 s for its stderr drain to reach an end of file that never came: 16 workers held ``gatekit eval`` 21.8 s
(5.6 s with workers that leave nothing behind). Exits are now seen on ``returncode``, the workers are killed
together and a drain gets a short grace.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

from gatekit.agents import AgentOptions
from gatekit.agents.cmd import CmdAgent

ESCAPING_WORKER = """
import json, os, sys, time
if os.fork() == 0:  # a helper that leaves the worker's session, keeping its stdout and stderr
    os.setsid()
    with open(sys.argv[1], "a") as pids:
        pids.write(f"{os.getpid()}\\n")
    time.sleep(120)
    os._exit(0)
for line in sys.stdin:
    request = json.loads(line)
    print(json.dumps({"id": request["id"], "output": "ok"}), flush=True)
"""
WORKERS = 12


def _zombie_children() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        state, parent = stat.rsplit(")", 1)[1].split()[:2]
        if state == "Z" and int(parent) == os.getpid():
            found.append(int(entry))
    return found


def test_closing_workers_whose_grandchildren_hold_the_pipes_is_quick(tmp_path: Path) -> None:
    worker, pids = tmp_path / "escaping_worker.py", tmp_path / "grandchildren.txt"
    worker.write_text(ESCAPING_WORKER, encoding="utf-8")

    async def run() -> tuple[list[str], float, list[int | None]]:
        agent = CmdAgent(f"cmd:{sys.executable} {worker} {pids}", AgentOptions(concurrency=WORKERS))
        await agent.start()
        procs = [w.proc for w in agent._all]
        try:
            outputs = await asyncio.wait_for(asyncio.gather(*(agent.call(f"q{i}", {}) for i in range(WORKERS))), 30)
        finally:
            started = time.monotonic()
            await agent.close()
            took = time.monotonic() - started
        return [o.output for o in outputs], took, [p.returncode for p in procs]

    try:
        outputs, took, codes = asyncio.run(run())
        assert outputs == ["ok"] * WORKERS
        # the old close waited 2 s for the pipes, then 1 s per worker for its drain, one after another: at least
        # WORKERS + 2 s (14 s), never less. Half that tells the two apart on any machine (this close takes ~0.4 s
        # idle; a loaded CI machine took over 2 s)
        assert took < (WORKERS + 2) / 2, f"closing {WORKERS} workers took {took:.1f} s"
        assert None not in codes and _zombie_children() == [], codes  # every worker ended and reaped
    finally:
        for line in pids.read_text().split() if pids.exists() else []:
            with contextlib.suppress(ProcessLookupError):
                os.kill(int(line), signal.SIGKILL)
