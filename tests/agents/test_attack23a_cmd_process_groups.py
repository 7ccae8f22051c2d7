"""attack23a: what a ``cmd:`` worker started in a process group of its own dies with the worker.

A worker runs in its own session and was killed with ``killpg`` — its process group. A child the worker put in a
group of its own (``os.setpgrp()``, ``subprocess.Popen(process_group=0)``, a shell with job control) stays in the
worker's session but was out of that reach: it outlived the run, at the end and on a timeout. Every process of the
worker's session is killed now (only one that left the session with ``setsid`` is still out of reach, as documented).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import time
from pathlib import Path

import pytest

from gatekit.agents import AgentOptions
from gatekit.agents.cmd import CmdAgent

pytestmark = pytest.mark.slow

WORKER = """
import json, os, subprocess, sys, time
pids = sys.argv[1]
for line in sys.stdin:
    request = json.loads(line)
    helper = subprocess.Popen(  # a helper in a process group of its own, in the worker's session
        [sys.executable, "-c", "import os, time; os.setpgrp(); time.sleep(120)"], stdin=subprocess.DEVNULL,
    )
    with open(pids, "a") as out:
        out.write(f"{helper.pid}\\n")
    time.sleep(0.3)  # (its setpgrp done)
    if request["input"] == "hang":
        time.sleep(60)
    print(json.dumps({"id": request["id"], "output": "ok"}), flush=True)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _wait_dead(pids: list[int], timeout_s: float = 10) -> list[int]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    return [pid for pid in pids if _alive(pid)]


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="reads /proc")
def test_helpers_in_their_own_process_group_die_with_the_worker(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text(WORKER, encoding="utf-8")
    pids_file = tmp_path / "helpers.txt"

    async def scenario() -> list[int]:
        agent = CmdAgent(f"cmd:{sys.executable} {tmp_path / 'worker.py'} {pids_file}", AgentOptions(concurrency=2))
        await agent.start()
        try:
            assert (await agent.call("fine", {})).output == "ok"
            with contextlib.suppress(TimeoutError):  # the attempt timeout: the worker is killed and replaced
                await asyncio.wait_for(agent.call("hang", {}), 2)
            await asyncio.sleep(0.5)
            on_timeout = [int(line) for line in pids_file.read_text().split()]
            assert _wait_dead(on_timeout[1:]) == [], "the timed-out worker's helper outlived it"
        finally:
            await agent.close()
        return [int(line) for line in pids_file.read_text().split()]

    try:
        helpers = asyncio.run(scenario())
        assert len(helpers) == 2
        assert _wait_dead(helpers) == [], "a helper outlived the run"  # was: both alive, for 120 s
    finally:
        for pid in [int(line) for line in pids_file.read_text().split()] if pids_file.exists() else []:
            if _alive(pid):  # (never left behind by a failing run)
                with contextlib.suppress(OSError):
                    os.kill(pid, 9)
