"""attack18b: with fewer ``cmd:`` workers than ``--concurrency`` a case's time waiting for a worker is not its latency.

The replay ran ``concurrency`` cases at once and each attempt's timer (latency and timeout) started before the
adapter waited for an idle worker: with ``workers: 1``, ``--concurrency 8`` and a 0.3 s agent, the cases measured
0.3, 0.6, 0.9 ... s and those queued past ``--timeout`` failed as timeouts without ever reaching the agent. The
replay now runs at most ``workers`` cases at once for a ``cmd:`` agent.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import attack_gate

WORKER = """
import json, sys, time
for line in sys.stdin:
    time.sleep(0.3)
    print(json.dumps({"output": "ok"}), flush=True)
"""


def test_cases_queued_for_the_one_worker_are_neither_slower_nor_timed_out(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text(WORKER, encoding="utf-8")
    rows = [{"id": f"c{i}", "input": f"q{i}"} for i in range(8)]
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    (tmp_path / "gatekit.yaml").write_text("agent_options:\n  extra: {workers: 1}\n", encoding="utf-8")
    agent = f"cmd:{sys.executable} {tmp_path / 'worker.py'}"
    args = ("-c", "gatekit.yaml", "--no-mlflow", "--out", "out", "--concurrency", "8", "--timeout", "1.5")
    proc = attack_gate(tmp_path, *args, "--retries", "0", agent=agent)
    assert proc.returncode == 0, proc.stderr[-2000:]
    rows_out = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert all(row["ok"] for row in rows_out), [row.get("error_type") for row in rows_out]
    latencies = sorted(row["latency_ms"] for row in rows_out)
    assert latencies[-1] < 1000, latencies  # each ~300 ms (the first also pays the worker's start), never 0.3 s x queue
