"""A folder the guard writes (production log and decision traces side by side, as the README's example) is read as
its production log: the traces file is not a data file. A folder mixing production-log rows with another kind of
data names one file of each kind."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

from gatekit.production.sources import NATIVE, TRACES, sniff
from gatekit.production.writer import ProductionLogWriter
from gatekit.runtime import Enforcer

REPO = Path(__file__).resolve().parents[2]


def _gatekit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def _guarded_folder(folder: Path, requests: int) -> None:
    """The README's guard, writing its trace and its production log into one folder."""
    guard = Enforcer.from_file(
        REPO / "policies" / "default.yaml",
        trace_to=folder / "governance_traces.jsonl",
        log_to=folder / "production.jsonl",
        variant="canary",
    )

    @guard.guard
    async def agent(question: str, context: dict[str, str]) -> dict[str, object]:
        return {"output": f"Your order {question[-4:]} was delivered.", "usage": {"input_tokens": 40, "output_tokens": 9}}

    async def run() -> None:
        for index in range(requests):
            await agent(f"Where is my order #W{1000 + index}?", {"user": f"u-{index % 7}", "role": "customer"})

    asyncio.run(run())
    guard.close()


def test_the_guards_folder_is_read_as_its_production_log(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    _guarded_folder(logs, 60)
    assert sniff(logs / "governance_traces.jsonl") == TRACES and sniff(logs / "production.jsonl") == NATIVE
    reference = tmp_path / "golden.jsonl"
    reference.write_text((REPO / "datasets" / "retail_golden.jsonl").read_text())
    done = _gatekit("drift", "--reference", str(reference), "--production", "logs/", "--json", cwd=tmp_path)
    assert done.returncode in (0, 1), done.stderr  # drift or no drift: the folder was read
    report = json.loads(done.stdout)
    assert report["production_rows"] == 60 and report["features_tested"] > 0, report


def test_a_mixed_folder_names_a_file_of_each_kind(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    with ProductionLogWriter(logs / "production.jsonl") as log:
        for index in range(5):
            log.write(request_id=f"r{index}", latency_ms=100.0 + index)
    (logs / "old_app.jsonl").write_text(json.dumps({"timestamp": "2026-11-01T00:00:00Z", "input": "hi"}) + "\n")
    done = _gatekit("drift", "--reference", str(REPO / "datasets" / "retail_golden.jsonl"), "--production", "logs/",
                    cwd=tmp_path)  # fmt: skip
    assert done.returncode == 2 and "Traceback" not in done.stderr
    line = done.stderr.strip().splitlines()[-1]
    assert "mixes production-log files with other files" in line
    assert "legacy (" in line and "old_app.jsonl" in line and "production.jsonl" in line
