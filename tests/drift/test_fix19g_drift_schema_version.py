"""fix19g: ``gatekit drift`` read ``schema_version`` on the FIRST row only of JSON Lines and CSV production logs.

A guard upgraded while it appends to the same log writes its newer-format rows further down: drift read them as
this version. Now the first row count of each side also takes max(schema_version) (the same scan, DuckDB and
Spark), and rows of a newer format anywhere are exit 2 naming the file and line and "upgrade gatekit", in the
canary's wording (one shared ``newer_format_error``). Real files, real DuckDB, a real local Spark session, a real
``gatekit drift`` subprocess.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, one_line_exit_2

from gatekit.drift.core import compute_drift, drift_config
from gatekit.errors import DatasetError
from gatekit.production.schema import make_row

NEWER_AT = 31  # the 1-based row of the first newer-format row (JSON Lines line 31; CSV line 32, after the header)


def _rows(newer_from: int | None) -> list[dict]:
    rows = [
        make_row(timestamp=f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z", request_id=f"r{i}", latency_ms=float(i % 7))
        for i in range(60)
    ]
    if newer_from is not None:
        for row in rows[newer_from - 1 :]:
            row["schema_version"] = 2
    return rows


def _write(path: Path, rows: list[dict]) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        return path
    columns = ["schema_version", "timestamp", "request_id", "latency_ms"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(columns)
        out.writerows([[r[c] for c in columns] for r in rows])
    return path


def _drift(tmp_path: Path, fmt: str, engine: str, since: str | None = None) -> None:
    reference = _write(tmp_path / f"reference.{fmt}", _rows(None))
    production = _write(tmp_path / f"production.{fmt}", _rows(NEWER_AT))
    cfg = drift_config(reference=reference, production=production, numeric=["latency_ms"], engine=engine, since=since)
    compute_drift(cfg)


def _expected(tmp_path: Path, fmt: str) -> str:
    line = NEWER_AT + (1 if fmt == "csv" else 0)
    return rf"^{tmp_path / f'production.{fmt}'}:{line}: rows of production-log schema_version 2: newer than .*upgrade gatekit$"


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_newer_rows_further_down_are_refused_on_duckdb(tmp_path: Path, fmt: str) -> None:
    with pytest.raises(DatasetError, match=_expected(tmp_path, fmt)):
        _drift(tmp_path, fmt, "duckdb")


def test_newer_rows_outside_the_since_window_are_refused_too(tmp_path: Path) -> None:
    """The whole file is checked, not only the rows the --since window keeps (rows 31.. are the last 30 s)."""
    with pytest.raises(DatasetError, match=_expected(tmp_path, "jsonl")):
        _drift(tmp_path, "jsonl", "duckdb", since="10s")


@pytest.mark.usefixtures("spark")
@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_newer_rows_further_down_are_refused_on_spark(tmp_path: Path, fmt: str) -> None:
    with pytest.raises(DatasetError, match=_expected(tmp_path, fmt)):
        _drift(tmp_path, fmt, "spark")


def test_rows_of_this_version_still_drift_normally(tmp_path: Path) -> None:
    reference = _write(tmp_path / "reference.jsonl", _rows(None))
    production = _write(tmp_path / "production.jsonl", _rows(None))
    report = compute_drift(drift_config(reference=reference, production=production, numeric=["latency_ms"])).report
    assert report["production"]["rows_read"] == 60 and report["drift"] is False


def test_the_command_exits_2_with_one_line(tmp_path: Path) -> None:
    _write(tmp_path / "reference.jsonl", _rows(None))
    _write(tmp_path / "production.jsonl", _rows(NEWER_AT))
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_") or k == "GATEKIT_SHARED_DATA"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", "reference.jsonl", "--production"]
    command += ["production.jsonl", "--numeric", "latency_ms", "--no-mlflow", "--out", "out"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    line = one_line_exit_2(proc)
    assert f"production.jsonl:{NEWER_AT}:" in line and "schema_version 2" in line and "upgrade gatekit" in line, line
    assert not (tmp_path / "out" / "drift.json").exists()


def test_newer_rows_of_a_spark_table_are_refused(tmp_path: Path, spark) -> None:
    """A ``spark-table:`` source is never sniffed: its rows' versions were not checked at all."""
    reference = _write(tmp_path / "reference.jsonl", _rows(None))
    rows = _rows(NEWER_AT)
    spark.createDataFrame([(r["schema_version"], r["timestamp"], r["request_id"], r["latency_ms"]) for r in rows],
                          "schema_version long, timestamp string, request_id string, latency_ms double",
                          ).createOrReplaceTempView("fix19g_requests")  # fmt: skip
    try:
        cfg = drift_config(
            reference=reference, production="spark-table:fix19g_requests", numeric=["latency_ms"], engine="spark"
        )
        with pytest.raises(
            DatasetError, match=r"^spark-table:fix19g_requests: rows of production-log schema_version 2: "
        ):
            compute_drift(cfg)
    finally:
        spark.catalog.dropTempView("fix19g_requests")
