"""fix18g: ``gatekit drift --timestamp-field <unknown>`` on production-log files fell back to ``timestamp`` silently.

The ``--since`` window was then cut on another column than the one named. An unknown field is refused: one line
naming it and the production-log columns, exit 2. The real column (``timestamp``) still works.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, one_line_exit_2

from gatekit.production.schema import make_row


def _log(path: Path, shift: float) -> Path:
    rows = [
        make_row(timestamp=f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z", request_id=f"r{i}", latency_ms=i % 50 + shift)
        for i in range(120)
    ]
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _drift(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_") or k == "GATEKIT_SHARED_DATA"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", "ref.jsonl", "--production", "prod.jsonl"]
    command += ["--numeric", "latency_ms", "--no-mlflow", "--out", "out", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("extra", [[], ["--since", "30m"]])
def test_an_unknown_timestamp_field_of_production_logs_is_exit_2(tmp_path: Path, extra: list[str]) -> None:
    _log(tmp_path / "ref.jsonl", 0.0)
    _log(tmp_path / "prod.jsonl", 0.0)
    line = one_line_exit_2(_drift(tmp_path, "--timestamp-field", "context.ts", *extra))
    assert "--timestamp-field" in line and "'context.ts'" in line, line
    assert "timestamp" in line.split("'context.ts'", 1)[1] and "latency_ms" in line, line  # the columns there are
    assert not (tmp_path / "out" / "drift.json").exists()


def test_the_real_timestamp_column_still_cuts_the_window(tmp_path: Path) -> None:
    _log(tmp_path / "ref.jsonl", 0.0)
    _log(tmp_path / "prod.jsonl", 0.0)
    proc = _drift(tmp_path, "--timestamp-field", "timestamp", "--since", "30s")
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    report = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    assert report["production"]["rows_read"] == 120
    assert report["production"]["rows_in_window"] == 31  # 01:29 back to 01:59 inclusive: 31 rows of one a second
