"""fix18b: a JSON ``true`` / ``false`` in a numeric production column (``latency_ms``, ``cost_usd``) was read as
1.0 / 0.0 — a made-up latency of 1 ms entered the percentiles and the rank test. A boolean is no number: the log is
refused like text that is no number (exit 2, one line naming the file, line and column), on the canary and on the
engine drift uses; a Parquet column of booleans is refused naming the column. Real files, real DuckDB, real CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from canary.guarded_traffic import gatekit_cli
from canary.traffic import traffic, write_jsonl
from gatekit.errors import DatasetError
from gatekit.production.engine import FeatureColumn, FileSource, get_engine


@pytest.mark.parametrize(("column", "value"), [("latency_ms", True), ("cost_usd", False)])
def test_canary_refuses_a_boolean_number_naming_file_line_and_column(tmp_path: Path, column: str, value: bool) -> None:
    rows = traffic(10)
    rows[123][column] = value
    logs = write_jsonl(tmp_path / "prod.jsonl", rows)
    proc = gatekit_cli("canary", "--logs", str(logs), "--now", "2026-03-01T12:10:00Z", "--out", str(tmp_path / "o"),
                       "--no-mlflow")  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{logs}:124" in lines[0] and repr(column) in lines[0] and "number" in lines[0], lines[0]
    assert not (tmp_path / "o" / "canary.json").exists()


def test_numbers_and_numeric_text_are_still_read_exactly(tmp_path: Path) -> None:
    """The reader now takes the JSON text of a number; every value comes back as the same double."""
    values = [812.5, 0.1, 0.30000000000000004, 1e-7, 12345678901234567890, 5e-324, 3, "42.25"]
    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"latency_ms": v, "timestamp": "2026-03-01T12:00:00Z"}) + "\n"
                            for v in [*values, None]), encoding="utf-8")  # fmt: skip
    with get_engine("duckdb") as engine:
        source = FileSource((str(path),), "jsonl", {"latency_ms": "latency_ms"}, label=str(path))
        table = engine.open_files(source, [FeatureColumn("latency_ms", "numeric")])
        got = [r[0] for r in engine.connection.execute(f"SELECT latency_ms FROM {table.handle}").fetchall()]
    assert got == [float(v) for v in values] + [None]


def test_the_drift_engine_refuses_it_too(tmp_path: Path) -> None:
    path = tmp_path / "rows.jsonl"
    path.write_text('{"latency_ms": 5.0}\n{"latency_ms": false}\n', encoding="utf-8")
    with get_engine("duckdb") as engine:
        source = FileSource((str(path),), "jsonl", {"latency_ms": "latency_ms"}, label=str(path))
        table = engine.open_files(source, [FeatureColumn("latency_ms", "numeric")])
        with pytest.raises(DatasetError, match=rf"{path}:2: field 'latency_ms' must be a number"):
            engine.count_rows(table)
            engine.numeric_summaries(table, ["latency_ms"], 10)


def test_a_parquet_column_of_booleans_is_refused(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "rows.parquet"
    pq.write_table(pa.table({"latency_ms": pa.array([True, False]), "request_id": ["a", "b"]}), path)
    with get_engine("duckdb") as engine:
        source = FileSource((str(path),), "parquet", {"latency_ms": "latency_ms"}, label=str(path))
        with pytest.raises(DatasetError, match=r"latency_ms.*boolean"):
            engine.open_files(source, [FeatureColumn("latency_ms", "numeric")])


@pytest.mark.parametrize("values", [[True, False], [5.0, True]], ids=["all-booleans", "mixed"])
def test_spark_refuses_booleans_in_a_number_column_too(tmp_path: Path, spark, values: list) -> None:
    """Spark infers a column of only booleans as boolean (cast to 1.0 / 0.0 before), a mixed one as text."""
    from gatekit.production.spark_engine import SparkEngine

    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"latency_ms": v}) + "\n" for v in values), encoding="utf-8")
    with SparkEngine(session=spark) as engine, pytest.raises(DatasetError, match="latency_ms"):
        source = FileSource((str(path),), "jsonl", {"latency_ms": "latency_ms"}, label=str(path))
        table = engine.open_files(source, [FeatureColumn("latency_ms", "numeric")])
        engine.numeric_summaries(table, ["latency_ms"], 10)
