"""left22: RFC 3339 times with a lowercase ``t`` / ``z`` (RFC 3339 §5.6, NOTE) are read, the same instant everywhere.

``2026-12-01t10:00:00z`` made DuckDB's and Spark's casts fail (the whole production log refused, exit 2), Python's
``fromisoformat`` refused the ``z`` (a gate case's clock unread, ``--now`` / ``--since`` of canary aside). Now every
reader takes them; the engines read the same epoch seconds as for the uppercase text, in a Spark session of any zone.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from gatekit.drift.core import compute_drift, drift_config
from gatekit.drift.sources import to_epoch_seconds
from gatekit.governance.rules.base import _read_clock_fields
from gatekit.production.duckdb_engine import DuckDBEngine
from gatekit.production.engine import FeatureColumn, FileSource
from gatekit.production.schema import make_row
from gatekit.report.view import utc_seconds

TEXTS = [
    "2026-12-01t10:00:00z",
    "2026-12-01T10:00:00z",
    "2026-12-01t10:00:00Z",
    "2026-12-01t10:00:00.250z",
    "2026-12-01t10:00:00+01:00",
    "2026-12-01t10:00:00",  # no zone: UTC, as the uppercase text
]
# (a zone name, "2026-12-01 10:00:00 Europe/Paris", was read by DuckDB only; now refused on both engines:
# tests/canary/test_attack23c_hostile_logs.py)
UPPER: dict[str, str] = {}


def _expected(text: str) -> float:
    stamp = datetime.fromisoformat(UPPER.get(text, text.upper()).replace("Z", "+00:00"))
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _write(path: Path, texts: list[str]) -> FileSource:
    rows = [{"schema_version": 1, "timestamp": t, "request_id": f"r{i}", "x": 1.0} for i, t in enumerate(texts)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return FileSource((str(path),), "jsonl", {})


def test_duckdb_reads_lowercase_t_and_z(tmp_path: Path) -> None:
    engine = DuckDBEngine()
    table = engine.open_files(_write(tmp_path / "p.jsonl", TEXTS), [FeatureColumn("x", "numeric")])
    got = [row[0] for row in engine._con.execute(f"SELECT __ts FROM {table.handle}").fetchall()]
    assert got == [_expected(t) for t in TEXTS]


def test_spark_reads_the_same_instants_in_a_new_york_session(spark: Any, tmp_path: Path) -> None:
    from gatekit.production.spark_engine import SparkEngine

    texts = TEXTS
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        table = SparkEngine(session=spark).open_files(
            _write(tmp_path / "p.jsonl", texts), [FeatureColumn("x", "numeric")]
        )
        got = [float(row[0]) for row in table.handle.df.select("__ts").collect()]
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)
    assert got == [_expected(t) for t in texts]


@pytest.mark.parametrize("engine", ["duckdb", "spark"])
def test_drift_since_window_over_lowercase_times(engine: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if engine == "spark":
        request.getfixturevalue("spark")

    def rows(path: Path, stamps: list[str]) -> str:
        lines = [{"schema_version": 1, "timestamp": s, "request_id": f"r{i}", "latency_ms": float(i % 50)}
                 for i, s in enumerate(stamps)]  # fmt: skip
        path.write_text("".join(json.dumps(r) + "\n" for r in lines), encoding="utf-8")
        return str(path)

    reference = rows(tmp_path / "ref.jsonl", ["2026-11-01t00:00:00z"] * 100)
    production = rows(tmp_path / "prod.jsonl", [f"2026-12-01t{12 - i % 13:02d}:00:00z" for i in range(260)])
    cfg = drift_config(reference=reference, production=production, numeric=["latency_ms"], since="4h", engine=engine)
    window = compute_drift(cfg).report["production"]["window"]
    assert window["newest"] == "2026-12-01T12:00:00+00:00"


def test_the_python_readers_take_lowercase_t_and_z() -> None:
    instant = _expected("2026-12-01T10:00:00Z")
    assert to_epoch_seconds("2026-12-01t10:00:00z") == instant  # drift's own reader (traces, legacy files)
    assert _read_clock_fields("2026-12-01t10:00:00z")[:3] == (instant, 10, 0)  # a gate case's clock (rate rules)
    assert utc_seconds("2026-12-01t10:00:00z") == "2026-12-01 10:00:00 UTC"
    assert make_row(timestamp="2026-12-01t10:00:00z", request_id="r")["timestamp"] == "2026-12-01T10:00:00.000Z"
