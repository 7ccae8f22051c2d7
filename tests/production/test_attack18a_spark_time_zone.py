"""attack18a: naive production-log time stamps are UTC on every engine, whatever the caller's Spark time zone.

docs/drift.md: "naive times are UTC". DuckDB sets its session to UTC, and gatekit's own local Spark session
is UTC, but a session the caller already has (Databricks, a notebook) is used as it is: with
``spark.sql.session.timeZone = America/New_York`` the Spark engine read ``2026-12-01T12:00:00`` as 17:00 UTC,
so the ``--since`` window (and its newest time in the report) moved by five hours against DuckDB's. fix18d: the
Spark engine reads zone-less times field by field as UTC, whatever the session's zone.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gatekit.drift.core import compute_drift, drift_config


def _write(path: Path, rows: list[dict[str, Any]]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def test_naive_timestamps_are_utc_in_a_callers_spark_session(spark: Any, tmp_path: Path) -> None:
    def row(i: int, stamp: str) -> dict[str, Any]:
        return {"schema_version": 1, "timestamp": stamp, "request_id": f"r{i}", "latency_ms": float(i % 50)}

    reference = _write(tmp_path / "ref.jsonl", [row(i, "2026-11-01T00:00:00Z") for i in range(100)])
    production = _write(tmp_path / "prod.jsonl", [row(i, f"2026-12-01T{12 - i % 13:02d}:00:00") for i in range(260)])
    windows = {}
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        for engine in ("duckdb", "spark"):
            cfg = drift_config(reference=reference, production=production, numeric=["latency_ms"], since="4h",
                               engine=engine)  # fmt: skip
            windows[engine] = compute_drift(cfg).report["production"]["window"]
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)
    assert windows["duckdb"]["newest"] == "2026-12-01T12:00:00+00:00"
    assert windows["spark"] == windows["duckdb"]  # Spark said newest 2026-12-01T17:00:00+00:00
