"""attack19b: numeric text in a production-log column is read by one rule on DuckDB and Spark, and a refused row is
named by file and line on both.

DuckDB's own cast read "1_000" as 1000 (Spark refused the file); Spark read "1.5d" / "2F" as numbers (Java's
parseDouble; DuckDB refused); a JSON Lines "" was refused by DuckDB and read as null by Spark. Now both read numeric
text by ``gatekit.production.schema.NUMBER_TEXT`` (blank is null) and refuse the rest. Spark's refusal named no file
or line, nor did either engine's for CSV: now ``file:line: field ...`` on both. Real files, real DuckDB, a real
local Spark session.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from gatekit.errors import DatasetError
from gatekit.production.engine import FeatureColumn, FileSource, get_engine

ENGINES = ("duckdb", "spark")


def write(tmp_path: Path, fmt: str, values: list[Any]) -> Path:
    stamps = [f"2026-03-01T12:00:{i:02d}Z" for i in range(len(values))]
    if fmt == "jsonl":
        path = tmp_path / "rows.jsonl"
        path.write_text("".join(json.dumps({"timestamp": t, "latency_ms": v}) + "\n" for t, v in zip(stamps, values, strict=True)), encoding="utf-8")  # fmt: skip
        return path
    path = tmp_path / "rows.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(["timestamp", "latency_ms"])
        out.writerows([t, "" if v is None else v] for t, v in zip(stamps, values, strict=True))
    return path


def read(engine_name: str, spark: Any, path: Path, fmt: str, column: str = "latency_ms") -> list[float | None]:
    engine = get_engine(engine_name, session=spark) if engine_name == "spark" else get_engine("duckdb")
    try:
        source = FileSource((str(path),), fmt, {"latency_ms": column}, label=str(path))
        table = engine.open_files(source, [FeatureColumn("latency_ms", "numeric")])
        summary = engine.numeric_summaries(table, ["latency_ms"], 10)["latency_ms"]
        return [summary.n, summary.missing, summary.min, summary.max]
    finally:
        engine.close()


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_numeric_text_reads_the_same_on_both_engines(tmp_path: Path, spark: Any, fmt: str) -> None:
    path = write(tmp_path, fmt, [12.5, "7", " 8 ", "+.5", "1E+3", "", None, "007"])
    got = {name: read(name, spark, path, fmt) for name in ENGINES}
    assert got["duckdb"] == got["spark"] == [6, 2, 0.5, 1000.0], got  # "" (JSON Lines too) is missing, as null


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
@pytest.mark.parametrize("value", ["1_000", "1.5d", "2F", "1 000", "\u0661\u0662", "-nan"])
def test_text_one_engine_read_and_the_other_refused_is_refused_by_both_naming_the_line(
    tmp_path: Path, spark: Any, fmt: str, value: str
) -> None:
    path = write(tmp_path, fmt, [1.0, 2.0, value, 4.0])
    line = 3 if fmt == "jsonl" else 4  # (the CSV header is line 1)
    for name in ENGINES:
        with pytest.raises(DatasetError) as caught:
            read(name, spark, path, fmt)
        message = str(caught.value)
        assert message.startswith(f"{path}:{line}: field 'latency_ms' must be a number"), (name, message)
        assert value not in message and "\n" not in message, (name, message)


@pytest.mark.parametrize("stamp", ["1772366400d", "1_772_366_400"])
def test_epoch_text_follows_the_same_rule(tmp_path: Path, spark: Any, stamp: str) -> None:
    path = tmp_path / "rows.jsonl"
    rows = [{"timestamp": "1772366400", "latency_ms": 1.0}, {"timestamp": stamp, "latency_ms": 2.0}]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    for name in ENGINES:
        engine = get_engine(name, session=spark) if name == "spark" else get_engine("duckdb")
        try:
            source = FileSource((str(path),), "jsonl", {"latency_ms": "latency_ms"}, label=str(path))
            table = engine.open_files(source, [FeatureColumn("latency_ms", "numeric")])
            with pytest.raises(DatasetError, match=rf"^{path}:2: field 'timestamp' must be an RFC 3339 timestamp"):
                engine.newest_timestamp(table)
        finally:
            engine.close()


def test_drift_on_spark_refuses_a_torn_line_naming_it(tmp_path: Path, spark: Any) -> None:
    path = tmp_path / "rows.jsonl"
    good = [json.dumps({"timestamp": f"2026-03-01T12:00:{i:02d}Z", "latency_ms": float(i)}) for i in range(20)]
    path.write_text("\n".join([*good[:7], good[7][:25], *good[8:]]) + "\n", encoding="utf-8")
    for name in ENGINES:
        with pytest.raises(DatasetError, match=rf"^{path}:8: not valid JSON"):
            read(name, spark, path, "jsonl")


@pytest.mark.parametrize("cells", [7, 3])
def test_a_csv_row_of_another_width_is_named_on_duckdb(tmp_path: Path, cells: int) -> None:
    """DuckDB's sniffer, thrown by one such row, read the file as ONE column: "no request_id column", "not in production"."""
    header = ["schema_version", "timestamp", "request_id", "variant", "latency_ms", "error"]
    lines = [",".join(header)] + [f"1,2026-03-01T12:00:{i:02d}Z,r{i},canary,{i}.5," for i in range(40)]
    lines[21] = ",".join((lines[21].split(",") + ["x", "y"])[:cells])
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(
        DatasetError, match=rf"^{path}:22: {cells} cells where the header has 6; fix or remove that line"
    ):
        read("duckdb", None, path, "csv")
