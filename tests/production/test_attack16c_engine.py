"""Attack round 16c on the production engines: odd timestamps read alike on every machine and engine."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

_NEWEST = """
import sys
from gatekit.production.engine import FeatureColumn, FileSource, get_engine
path, fmt = sys.argv[1], sys.argv[2]
with get_engine("duckdb") as engine:
    table = engine.open_files(
        FileSource((path,), fmt, {"latency_ms": "latency_ms"}), [FeatureColumn("latency_ms", "numeric")]
    )
    print(engine.newest_timestamp(table))
"""


def _newest_in_zone(path: Path, fmt: str, zone: str) -> float:
    env = {**os.environ, "TZ": zone, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-c", _NEWEST, str(path), fmt], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return float(done.stdout.strip())


@pytest.mark.parametrize("zone", ["UTC", "Asia/Tokyo", "America/New_York"])
def test_duckdb_reads_a_zone_less_parquet_text_timestamp_as_utc_whatever_the_machine_zone(
    tmp_path: Path, zone: str
) -> None:
    """A timestamp without a zone is UTC (docs/production-log.md; Spark's session is UTC), not the machine's zone."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "logs.parquet"
    table = {"schema_version": [1], "timestamp": ["2026-01-01T00:00:00"], "request_id": ["a"], "latency_ms": [1.0]}
    pq.write_table(pa.table(table), path)
    expected = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
    assert _newest_in_zone(path, "parquet", zone) == expected


def test_duckdb_reads_zone_less_jsonl_timestamps_as_utc_in_another_zone(tmp_path: Path) -> None:
    """The same for JSON Lines, next to a row with an explicit offset."""
    path = tmp_path / "logs.jsonl"
    rows = [
        {"schema_version": 1, "timestamp": "2026-01-01T00:00:00", "request_id": "a", "latency_ms": 1.0},
        {"schema_version": 1, "timestamp": "2025-12-31T23:00:00-02:00", "request_id": "b", "latency_ms": 1.0},
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    expected = datetime(2026, 1, 1, 1, tzinfo=UTC).timestamp()
    assert _newest_in_zone(path, "jsonl", "Asia/Tokyo") == expected
