"""The production-log row format: one definition, checked rows, JSON Schema that accepts what the writer writes."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import jsonschema
import pyarrow as pa
import pytest

from gatekit.production.schema import COLUMN_NAMES, RowError, arrow_schema, input_features, json_schema, make_row
from gatekit.production.writer import ProductionLogWriter


def test_a_row_holds_every_column_and_validates_against_the_json_schema():
    row = make_row(
        timestamp=datetime(2026, 12, 6, 8, 0, tzinfo=UTC),
        request_id="r1",
        variant="canary",
        latency_ms=12.5,
        input_tokens=None,
        tool_names=["lookup"],
        tool_calls=1,
        outcome="allow_with_redaction",
        redactions={"EMAIL_ADDRESS": 2},
        **input_features([{"role": "user", "content": "hi there, where is my order?"}]),
    )
    assert list(row) == list(COLUMN_NAMES)
    assert row["timestamp"] == "2026-12-06T08:00:00.000Z"
    assert row["schema_version"] == 1
    assert row["input_tokens"] is None  # unknown stays null, never 0
    assert (row["input_chars"], row["turns"]) == (len("hi there, where is my order?"), 1)
    jsonschema.validate(row, json_schema())


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        ({"latency_ms": -1.0}, "latency_ms"),
        ({"cost_usd": float("nan")}, "cost_usd"),
        ({"input_tokens": 1.5}, "input_tokens"),
        ({"input_tokens": True}, "input_tokens"),
        ({"outcome": "maybe"}, "outcome"),
        ({"tool_names": "lookup"}, "tool_names"),
        ({"redactions": {"EMAIL": -1}}, "redactions"),
        ({"prompt": "raw text"}, "prompt"),
    ],
)
def test_bad_fields_are_refused_naming_the_field(fields, named):
    with pytest.raises(RowError, match=named):
        make_row(request_id="r", **fields)


def test_a_request_id_is_required_and_naive_datetimes_are_refused():
    with pytest.raises(RowError, match="request_id"):
        make_row()
    with pytest.raises(RowError, match="naive"):
        make_row(request_id="r", timestamp=datetime(2026, 1, 1))  # noqa: DTZ001 - the case under test


def test_arrow_schema_matches_the_columns_and_takes_written_rows(tmp_path):
    schema = arrow_schema()
    assert schema.names == list(COLUMN_NAMES)
    row = make_row(request_id="r", redactions={"IP_ADDRESS": 1}, tool_names=["a", "b"])
    row["timestamp"] = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00"))
    row["redactions"] = list(row["redactions"].items())
    table = pa.Table.from_pylist([row], schema=schema)
    assert table.num_rows == 1


def test_writer_appends_checked_rows_from_many_threads_and_counts_failures(tmp_path):
    path = tmp_path / "logs" / "prod.jsonl"
    writer = ProductionLogWriter(path)

    def work(n):
        for i in range(200):
            writer.write(request_id=f"{n}-{i}", latency_ms=float(i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert writer.write(request_id="bad", latency_ms=-5) is False
    writer.close()
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 800 == writer.rows_written
    assert writer.failures == 1 and "latency_ms" in (writer.last_error or "")
    ids = {json.loads(line)["request_id"] for line in lines}
    assert len(ids) == 800
    assert (path.stat().st_mode & 0o777) == 0o600


def test_the_documented_table_lists_every_column_with_its_type():
    from pathlib import Path

    from gatekit.production.schema import COLUMNS

    doc = (Path(__file__).parents[2] / "docs" / "production-log.md").read_text(encoding="utf-8")
    for col in COLUMNS:
        assert f"| `{col.name}` | {col.type} |" in doc


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "parquet"])
def test_rows_of_a_newer_format_version_are_refused_naming_the_file(tmp_path, fmt):
    from gatekit.errors import DatasetError
    from gatekit.production.sources import sniff

    row = make_row(request_id="r1", latency_ms=5.0)
    row["schema_version"] = 2
    path = tmp_path / f"rows.{fmt}"
    if fmt == "jsonl":
        path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    elif fmt == "csv":
        path.write_text("schema_version,request_id,latency_ms\n2,r1,5.0\n", encoding="utf-8")
    else:
        import pyarrow.parquet as pq

        pq.write_table(pa.table({"schema_version": [1, 2], "request_id": ["a", "b"]}), path)
    with pytest.raises(DatasetError, match=r"rows\.\w+.*schema_version 2 is newer"):
        sniff(path)
    row["schema_version"] = 1
    path.write_text(json.dumps(row) + "\n", encoding="utf-8")
    if fmt == "jsonl":
        assert sniff(path) == "production-log"
