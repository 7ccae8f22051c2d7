"""attack18c: ``gatekit report`` over an edited results.jsonl ended in "internal error", exit 3.

The reader of results.jsonl refuses a corrupted row with a precise message (``results.jsonl:1: latency_ms must be a
number >= 0 or null ...``), but ``gatekit report`` did not catch gatekit's own bad-input error, so the message came
out as ``internal error: DatasetError: ...`` with exit 3 (infrastructure). It is bad input: one line, exit 2.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, attack_gate, attack_project, one_line_exit_2


def test_report_over_a_corrupted_results_file_is_bad_input(tmp_path: Path) -> None:
    attack_project(tmp_path, ['{"id": "c1", "input": "x"}', '{"id": "c2", "input": "y"}'])
    gate = attack_gate(tmp_path, "--no-mlflow", "--out", "out")
    assert gate.returncode == 0, gate.stdout + gate.stderr
    results = tmp_path / "out" / "results.jsonl"
    lines = results.read_text(encoding="utf-8").splitlines()
    results.write_text("\n".join([lines[0].replace('"latency_ms": ', '"latency_ms": -1, "x": '), *lines[1:]]) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", "report", str(tmp_path / "out" / "verdict.json")]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    line = one_line_exit_2(proc)
    assert "internal error" not in line and "results.jsonl:1" in line and "latency_ms" in line, line
