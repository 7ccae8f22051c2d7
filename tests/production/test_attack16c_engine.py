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


# one row per file: the timestamp value as written in JSON Lines -> epoch seconds (independent: datetime), or None
# (no time), or "refused" (the file is exit 2 on both engines)
_JAN1 = datetime(2026, 1, 1, tzinfo=UTC).timestamp()
TIMESTAMPS: dict[str, tuple[object, float | str | None]] = {
    "zone-less": ("2026-01-01T00:00:00", _JAN1),
    "space and Z": ("2026-01-01 00:00:00Z", _JAN1),
    "offset": ("2026-01-01T02:00:00+02:00", _JAN1),
    "date only": ("2026-01-01", _JAN1),
    "fraction": ("2026-01-01T00:00:00.250Z", _JAN1 + 0.25),
    "epoch ms number": (int(_JAN1 * 1000), _JAN1),
    "epoch s number": (int(_JAN1), _JAN1),
    "epoch s fraction": (_JAN1 + 0.5, _JAN1 + 0.5),
    "epoch s text": (str(int(_JAN1)), _JAN1),
    "epoch ms text, padded": (f" {int(_JAN1 * 1000)} ", _JAN1),
    "blank": ("", None),
    "null": (None, None),
    "words": ("yesterday", "refused"),
    "boolean": (True, "refused"),
    "nan text": ("nan", "refused"),
    "US date": ("01/01/2026", "refused"),
}


def _write_one(folder: Path, name: str, value: object) -> Path:
    path = folder / (name.replace(" ", "_").replace(",", "") + ".jsonl")
    row = {"schema_version": 1, "timestamp": value, "request_id": "a", "latency_ms": 1.0}
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    return path


def _newest(engine, path: Path) -> float | str | None:
    from gatekit.errors import DatasetError
    from gatekit.production.engine import FeatureColumn, FileSource

    try:
        table = engine.open_files(
            FileSource((str(path),), "jsonl", {"latency_ms": "latency_ms"}, label=str(path)),
            [FeatureColumn("latency_ms", "numeric")],
        )
        return engine.newest_timestamp(table)
    except DatasetError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return "refused"


def test_duckdb_reads_every_timestamp_form_the_spark_engine_reads(tmp_path: Path) -> None:
    """Epoch s / ms (numbers or their text) as Spark reads them; text that is no time is refused, naming the line."""
    from gatekit.errors import DatasetError
    from gatekit.production.engine import FeatureColumn, FileSource, get_engine

    with get_engine("duckdb") as engine:
        got = {name: _newest(engine, _write_one(tmp_path, name, value)) for name, (value, _) in TIMESTAMPS.items()}
        assert got == {name: expected for name, (_, expected) in TIMESTAMPS.items()}
        # the line named is the one with the bad time, not a line whose numeric text DuckDB reads fine
        mixed = tmp_path / "mixed.jsonl"
        rows = [
            {"schema_version": 1, "timestamp": "2026-01-01T00:00:00Z", "request_id": "a", "latency_ms": "12"},
            {"schema_version": 1, "timestamp": "yesterday", "request_id": "b", "latency_ms": 1.0},
        ]
        mixed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        source = FileSource((str(mixed),), "jsonl", {"latency_ms": "latency_ms"}, label=str(mixed))
        with pytest.raises(DatasetError, match=r"mixed\.jsonl:2: field 'timestamp'"):
            table = engine.open_files(source, [FeatureColumn("latency_ms", "numeric")])
            engine.newest_timestamp(table)


def test_spark_and_duckdb_agree_on_every_timestamp_form(tmp_path: Path, spark) -> None:
    """The same files on the local Spark session: the same epoch seconds, the same refusals (no silent null time)."""
    from gatekit.production.engine import get_engine
    from gatekit.production.spark_engine import SparkEngine

    paths = {name: _write_one(tmp_path, name, value) for name, (value, _) in TIMESTAMPS.items()}
    with get_engine("duckdb") as duck:
        on_duckdb = {name: _newest(duck, path) for name, path in paths.items()}
    with SparkEngine(session=spark) as engine:
        on_spark = {name: _newest(engine, path) for name, path in paths.items()}
    assert on_spark == on_duckdb == {name: expected for name, (_, expected) in TIMESTAMPS.items()}


def _latency_file(folder: Path, name: str, fmt: str, values: list[object]) -> Path:
    import csv

    path = folder / f"{name}.{fmt}"
    rows = [
        {"schema_version": 1, "timestamp": f"2026-01-01T00:00:0{i}Z", "request_id": str(i), "latency_ms": v}
        for i, v in enumerate(values)
    ]
    if fmt == "jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    else:
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows({**r, "latency_ms": "" if r["latency_ms"] is None else r["latency_ms"]} for r in rows)
    return path


def _latency(engine, path: Path, fmt: str) -> tuple[int, int, float | None] | str:
    from gatekit.errors import DatasetError
    from gatekit.production.engine import FeatureColumn, FileSource

    try:
        table = engine.open_files(
            FileSource((str(path),), fmt, {"latency_ms": "latency_ms"}, label=str(path)),
            [FeatureColumn("latency_ms", "numeric")],
        )
        summary = engine.numeric_summaries(table, ["latency_ms"], 5)["latency_ms"]
        return summary.n, summary.missing, summary.mean
    except DatasetError as exc:
        assert str(path) in str(exc) and "\n" not in str(exc)
        return "refused"


NUMBERS: dict[str, tuple[list[object], tuple[int, int, float] | str]] = {
    "numbers and a null": ([10, 20.5, None], (2, 1, 15.25)),
    "numeric text": (["10", "1e1", None], (2, 1, 10.0)),
    "a word": ([10, "oops", 30], "refused"),
}


def test_spark_and_duckdb_agree_on_text_in_a_numeric_column(tmp_path: Path, spark) -> None:
    """A word in latency_ms: DuckDB refused the file, Spark counted it as a missing value; now both refuse."""
    from gatekit.production.engine import get_engine
    from gatekit.production.spark_engine import SparkEngine

    files = {
        (name, fmt): _latency_file(tmp_path, f"{fmt}-{name.replace(' ', '_')}", fmt, values)
        for name, (values, _) in NUMBERS.items()
        for fmt in ("jsonl", "csv")
    }
    expected = {(name, fmt): NUMBERS[name][1] for name, fmt in files}
    with get_engine("duckdb") as duck:
        on_duckdb = {key: _latency(duck, path, key[1]) for key, path in files.items()}
    with SparkEngine(session=spark) as engine:
        on_spark = {key: _latency(engine, path, key[1]) for key, path in files.items()}
    assert on_duckdb == expected
    assert on_spark == expected


def test_a_long_cell_in_a_csv_log_is_read_like_the_same_jsonl_row_on_both_engines(tmp_path: Path, spark) -> None:
    """A 5 MB model name in one row (a column no feature reads): DuckDB's CSV reader refused the file, Spark read it."""
    import csv

    from gatekit.production.engine import get_engine
    from gatekit.production.spark_engine import SparkEngine

    rows = [
        {"schema_version": 1, "timestamp": "2026-01-01T00:00:00Z", "request_id": "a", "latency_ms": 1.0, "model": "m"},
        {"schema_version": 1, "timestamp": "2026-01-01T00:00:01Z", "request_id": "b", "latency_ms": 3.0, "model": "x"},
    ]
    rows[0]["model"] = "x" * 5_000_000
    jsonl, table = tmp_path / "long.jsonl", tmp_path / "long.csv"
    jsonl.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    with table.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    with get_engine("duckdb") as duck:
        on_duckdb = [_latency(duck, jsonl, "jsonl"), _latency(duck, table, "csv")]
    with SparkEngine(session=spark) as engine:
        on_spark = [_latency(engine, jsonl, "jsonl"), _latency(engine, table, "csv")]
    assert on_duckdb == on_spark == [(2, 0, 2.0), (2, 0, 2.0)]
