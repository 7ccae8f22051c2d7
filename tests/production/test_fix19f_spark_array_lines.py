"""fix19f: Spark read a JSON Lines line holding an array (``[{...}]``, ``[]``) as rows (or none); DuckDB refuses it.

Now the Spark engine refuses the file too, naming file:line (the DuckDB engine's locator), exit 2 in the CLI.
Real files, a real local Spark session.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatekit.errors import DatasetError
from gatekit.production.engine import NUMERIC, FeatureColumn, FileSource


def _source(path: Path) -> FileSource:
    return FileSource(paths=(str(path),), format="jsonl", columns={}, timestamp=None, label=path.name)


@pytest.mark.parametrize("odd", ["[]", '[{"latency_ms": 5}, {"latency_ms": 6}]', ' [{"latency_ms": 5}]'])
def test_spark_refuses_an_array_line_naming_it(spark, tmp_path: Path, odd: str) -> None:
    from gatekit.production import spark_engine as se

    path = tmp_path / "rows.jsonl"
    lines = [json.dumps({"latency_ms": v}) for v in (1, 2, 3)]
    lines.insert(1, odd)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with se.SparkEngine(session=spark) as engine, pytest.raises(DatasetError) as caught:
        engine.open_files(_source(path), [FeatureColumn("latency_ms", NUMERIC)])
    assert f"{path}:2: not a JSON object" in str(caught.value)


def test_spark_still_reads_object_lines(spark, tmp_path: Path) -> None:
    from gatekit.production import spark_engine as se

    path = tmp_path / "rows.jsonl"
    path.write_text("".join(json.dumps({"latency_ms": v, "note": "[x]"}) + "\n" for v in (1, 2, 3)), encoding="utf-8")
    with se.SparkEngine(session=spark) as engine:
        table = engine.open_files(_source(path), [FeatureColumn("latency_ms", NUMERIC)])
        assert engine.count_rows(table)[0] == 3
