"""fix18d: zone-less times are UTC on the Spark engine whatever the caller's session time zone.

Text without a zone, a Parquet ``TIMESTAMP_NTZ`` column and a ``DATE`` column are read as UTC wall clocks; text with
a zone (``Z``, ``+01:00``) keeps its instant. The expected epoch seconds come from Python's ``datetime`` (naive = UTC),
and the session's time zone is the caller's again afterwards.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from gatekit.production.engine import FeatureColumn, FileSource
from gatekit.production.spark_engine import SparkEngine

TEXTS = [
    "2026-12-01T12:00:00",
    "2026-12-01 12:00:00.250",
    "2026-12-01",
    "2026-03-08T02:30:00",  # a wall clock New York skips (DST): still a plain UTC time here
    "2026-12-01T12:00:00Z",
    "2026-12-01T12:00:00+01:00",
    "2026-12-01T12:00:00-05:00",
]


def _expected(text: str) -> float:
    stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()


def _newest_per_row(spark: Any, source: FileSource) -> list[float]:
    engine = SparkEngine(session=spark)
    table = engine.open_files(source, [FeatureColumn("x", "numeric")])
    return [float(row[0]) for row in table.handle.df.select("__ts").collect()]


def test_zone_less_times_are_utc_in_a_new_york_session(spark: Any, tmp_path: Path) -> None:
    text_file = tmp_path / "text.parquet"
    pq.write_table(pa.table({"x": [1.0] * len(TEXTS), "timestamp": TEXTS}), text_file)
    walls = [datetime(2026, 12, 1, 12, 0, 0, 250_000), datetime(2026, 3, 8, 2, 30)]
    ntz_file = tmp_path / "ntz.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0], "timestamp": pa.array(walls, pa.timestamp("us"))}), ntz_file)
    date_file = tmp_path / "date.parquet"
    pq.write_table(pa.table({"x": [1.0], "timestamp": pa.array([date(2026, 12, 1)], pa.date32())}), date_file)
    before = spark.conf.get("spark.sql.session.timeZone")
    spark.conf.set("spark.sql.session.timeZone", "America/New_York")
    try:
        got_text = _newest_per_row(spark, FileSource((str(text_file),), "parquet", {}))
        got_ntz = _newest_per_row(spark, FileSource((str(ntz_file),), "parquet", {}))
        got_date = _newest_per_row(spark, FileSource((str(date_file),), "parquet", {}))
        assert spark.conf.get("spark.sql.session.timeZone") == "America/New_York"  # the caller's setting, untouched
    finally:
        spark.conf.set("spark.sql.session.timeZone", before)
    assert got_text == [_expected(t) for t in TEXTS]
    assert got_ntz == [w.replace(tzinfo=UTC).timestamp() for w in walls]
    assert got_date == [datetime(2026, 12, 1, tzinfo=UTC).timestamp()]
