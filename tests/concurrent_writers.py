"""Processes appending to one log file at once (rounds fix18b, fix18c): a writer script, running several, reading back.

``WRITER`` is the in-process guard's production-log writer as a child process's script (``path name count width``:
``count`` rows of ``width`` long tool names, then ``rows_written failures`` on stdout).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

WRITER = textwrap.dedent(
    """
    import sys
    from gatekit.production.writer import ProductionLogWriter

    path, name, count, width = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    log = ProductionLogWriter(path)
    for k in range(count):
        tools = [f"{name}-tool-{k}-{j}-" + "x" * 400 for j in range(width)]
        log.write(request_id=f"{name}-{k}", variant=name, latency_ms=float(k), tool_names=tools,
                  timestamp="2026-03-01T12:00:00Z")
    log.close()
    print(log.rows_written, log.failures)
    """
)


def read_lines(path: Path) -> tuple[list[dict], list[int]]:
    """The rows of a JSONL file, and the numbers of the lines that are not JSON (torn)."""
    rows, torn = [], []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except ValueError:
            torn.append(number)
    return rows, torn


def run_together(jobs: list[tuple[str, str, str, int]], path: Path) -> None:
    """Run ``(script, name, count, width)`` jobs at once on ``path``; each must write its ``count`` rows, no failure."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, str(path), name, count, str(width)],
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for script, name, count, width in jobs
    ]
    for proc, (_, _, count, _) in zip(procs, jobs, strict=True):
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        assert out.split() == [count, "0"], out
