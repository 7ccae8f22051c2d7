"""fix19f: a stop (Ctrl-C, SIGTERM) of ``gatekit drift`` / ``gatekit watch`` ends with exit 130 and no result.

DuckDB turns the interrupt of a running query into its own ``RuntimeError: Query interrupted``: ``gatekit drift``
stopped by Ctrl-C mid-query printed "internal error (drift fails closed)" and exited 3; SIGTERM killed drift and
watch silently (exit -15). The gate had its own handler (attack19c); now one mechanism (``gatekit.interrupts``)
serves the gate, drift, canary and watch: exit 130 (SIGTERM as Ctrl-C, the gate's convention), one line saying
nothing was published, no drift.json. Real subprocesses, real DuckDB, real files.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from canary.traffic import minute_rows, write_jsonl
from conftest import REPO_ROOT

ROWS = 2_000_000  # ~6 CPU seconds of DuckDB work: the stop lands inside a query
_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("fix19f-stops")
    rng = np.random.default_rng(19)
    for side in ("reference", "production"):
        pq.write_table(pa.table({"latency_ms": rng.normal(100, 10, ROWS)}), folder / f"{side}.parquet")
    return folder


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_stopped_drift_exits_130_without_drift_json(big: Path, tmp_path: Path, signum: int) -> None:
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", str(big / "reference.parquet"),
               "--production", str(big / "production.parquet"), "--numeric", "latency_ms", "--no-mlflow",
               "--out", str(out)]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and _cpu_s(proc.pid) < 3.0 and time.monotonic() < deadline:
            time.sleep(0.05)  # imports take ~1.5 CPU seconds; past 3 the queries run
        assert proc.poll() is None, "drift finished before the stop: make the data larger"
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, stdout + stderr
    assert "interrupted: no drift result was published" in stderr, stderr
    assert "internal error" not in stderr and "Traceback" not in stderr, stderr
    assert not (out / "drift.json").exists() and not (out / "drift.html").exists()


def test_a_stopped_watch_exits_130(tmp_path: Path) -> None:
    start = datetime.fromtimestamp((time.time() // 60 - 3) * 60, UTC)
    rows = [r for m in range(3) for v in ("baseline", "canary") for r in minute_rows(m, v, 40, start=start)]
    log = write_jsonl(tmp_path / "production.jsonl", rows)
    since = start.isoformat().replace("+00:00", "Z")
    command = [sys.executable, "-m", "gatekit", "watch", "--logs", str(log), "--since", since,
               "--interval", "0.2", "--timeout", "60"]  # fmt: skip
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stderr is not None
        first = proc.stderr.readline()
        assert first.startswith("watching"), first
        time.sleep(1.0)
        proc.send_signal(signal.SIGTERM)
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, first + rest
    assert "interrupted: the watch ended without a decision" in rest and "Traceback" not in rest, rest
