"""attack17e on the production-log writer: a row it writes is a row the readers read.

``ProductionLogWriter.write(timestamp="yesterday")`` wrote the text as given; DuckDB (and Spark) then refused
the whole file (exit 2), so one bad row from a caller took every other row out of drift and canary.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest


def _read_back(path: Path) -> list[float | None]:
    from gatekit.production.engine import FeatureColumn, FileSource, get_engine

    with get_engine("duckdb") as engine:
        source = FileSource((str(path),), "jsonl", {"latency_ms": "latency_ms"}, label=str(path))
        table = engine.open_files(source, [FeatureColumn("latency_ms", "numeric")])
        return [engine.newest_timestamp(table), float(engine.count_rows(table)[0])]


def test_a_timestamp_text_the_readers_refuse_is_refused_by_the_writer(tmp_path: Path) -> None:
    from gatekit.production.writer import ProductionLogWriter

    path = tmp_path / "rows.jsonl"
    with ProductionLogWriter(path) as log:
        assert log.write(request_id="ok-1", timestamp="2026-12-06T08:00:00Z", latency_ms=1.0)
        assert not log.write(request_id="bad", timestamp="yesterday", latency_ms=2.0)
        assert log.write(request_id="ok-2", timestamp="2026-12-06T10:00:00+05:00", latency_ms=3.0)
        assert log.write(request_id="ok-3", timestamp="2026-12-06T06:00:00", latency_ms=4.0)  # no zone: UTC
    assert log.failures == 1 and log.rows_written == 3
    assert "yesterday" not in (log.last_error or "") and "timestamp" in (log.last_error or "")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    # written as UTC text with its Z, whatever offset the caller gave
    assert [r["timestamp"] for r in rows] == [
        "2026-12-06T08:00:00.000Z",
        "2026-12-06T05:00:00.000Z",
        "2026-12-06T06:00:00.000Z",
    ]
    newest, count = _read_back(path)  # the real DuckDB reader takes the file whole
    assert count == 3
    assert newest == pytest.approx(1796544000.0)  # 2026-12-06T08:00:00Z, date -d ... +%s


@pytest.mark.parametrize(
    ("given", "written"),
    [
        ("2026-12-06t08:00:00z", "2026-12-06T08:00:00.000Z"),  # RFC 3339 allows lower-case t and z
        ("2026-12-06 08:00:00.123456789Z", "2026-12-06T08:00:00.123Z"),
        ("1796544000", "2026-12-06T08:00:00.000Z"),  # epoch seconds as text, as the readers take it
        ("1796544000000", "2026-12-06T08:00:00.000Z"),  # above 1e11: milliseconds
        ("", ""),  # blank is no time for the readers: written as given, as before
    ],
)
def test_every_time_form_the_readers_take_is_still_written(tmp_path: Path, given: str, written: str) -> None:
    from gatekit.production.writer import ProductionLogWriter

    path = tmp_path / "rows.jsonl"
    with ProductionLogWriter(path) as log:
        assert log.write(request_id="r", timestamp=given)
    assert json.loads(path.read_text(encoding="utf-8"))["timestamp"] == written


@pytest.mark.parametrize("given", ["yesterday", "nan", "-5", "1e30", "9999-12-31T23:59:59-05:00"])
def test_a_time_out_of_range_or_no_time_is_a_row_error(given: str) -> None:
    from gatekit.production.schema import RowError, make_row

    with pytest.raises(RowError, match="'timestamp'") as caught:
        make_row(request_id="r", timestamp=given)
    assert given not in str(caught.value)
