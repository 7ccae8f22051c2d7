"""attack21d: every input of ``gatekit drift`` is bounded, or refused in one line (exit 2) naming its file and line.

A JSON Lines or CSV line was read whole however long it was (a 300 MB line took 1.1 GB; a 2 GB log without a newline
would take several times that), a chunk of 20,000 rows was cut by count only (rows of 1 MB: 20 GB), and a row nested
100,000 objects deep crashed the process (orjson segfault, exit 139) or, as a list in a categorical column, ended in an
internal error (exit 3). Real files, real DuckDB, a real local Spark session, a real ``gatekit drift`` subprocess.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from conftest import REPO_ROOT, one_line_exit_2

from gatekit.drift.core import compute_drift, drift_config
from gatekit.drift.sources import JSONL_CHUNK_CHARS, MAX_LINE_CHARS, MAX_NESTING, iter_batches
from gatekit.errors import DatasetError
from gatekit.production.schema import make_row


def _legacy(path: Path, rows: int = 60, last: str | None = None) -> Path:
    """A legacy JSON Lines file (no schema_version): numeric ``x``, categorical ``c``; ``last`` appended as is."""
    lines = [json.dumps({"x": i % 7, "c": "ab"[i % 2]}) for i in range(rows)]
    if last is not None:
        lines.append(last)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _native(path: Path, last: str | None = None) -> Path:
    """A production-log JSON Lines file of 60 rows; ``last`` appended as is."""
    rows = [
        make_row(timestamp=f"2026-01-01T00:00:{i:02d}Z", request_id=f"r{i}", latency_ms=float(i % 7), role="ab"[i % 2])
        for i in range(60)
    ]
    lines = [json.dumps(r) for r in rows] + ([last] if last is not None else [])
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _drift(reference: Path, production: Path, engine: str = "duckdb", **features: list[str]) -> dict:
    features = features or {"numeric": ["x"], "categorical": ["c"]}
    return compute_drift(drift_config(reference=reference, production=production, engine=engine, **features)).report


def _command(tmp_path: Path, production: Path) -> subprocess.CompletedProcess[str]:
    _legacy(tmp_path / "reference.jsonl")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_") or k == "GATEKIT_SHARED_DATA"}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", "reference.jsonl", "--production"]
    command += [production.name, "--numeric", "x", "--categorical", "c", "--no-mlflow", "--out", "out"]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


# --- long lines -----------------------------------------------------------------------------------------------


def test_a_jsonl_line_over_16_mib_is_refused_naming_its_line(tmp_path: Path) -> None:
    production = _legacy(tmp_path / "p.jsonl", last=json.dumps({"x": 1, "c": "a", "pad": "y" * MAX_LINE_CHARS}))
    with pytest.raises(DatasetError, match=rf"^{tmp_path / 'p.jsonl'}:61: a line longer than 16,777,216 characters"):
        _drift(_legacy(tmp_path / "r.jsonl"), production)


def test_a_long_line_is_refused_without_being_held_whole(tmp_path: Path) -> None:
    """A 64 MiB line: the reader holds at most 16 MiB of it (it took the whole line, and more, before)."""
    path = _legacy(tmp_path / "p.jsonl", rows=3, last='{"pad": "' + "y" * (64 << 20) + '"}')
    tracemalloc.start()
    try:
        with pytest.raises(DatasetError, match=r"p.jsonl:4: a line longer than"):
            for _ in iter_batches(path, None):
                pass
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 40 << 20, peak


def test_a_line_of_exactly_the_limit_is_read(tmp_path: Path) -> None:
    pad = MAX_LINE_CHARS - len('{"x": 1, "c": "a", "pad": ""}')
    production = _legacy(tmp_path / "p.jsonl", last=json.dumps({"x": 1, "c": "a", "pad": "y" * pad}))
    assert _drift(_legacy(tmp_path / "r.jsonl"), production)["production"]["rows_read"] == 61


def test_jsonl_chunks_are_cut_by_size_too(tmp_path: Path) -> None:
    """40 rows of 1 MiB: more than one chunk (20,000 rows a chunk let 1 MB rows make a 20 GB chunk)."""
    row = json.dumps({"x": 1, "c": "a", "pad": "y" * (1 << 20)})
    path = tmp_path / "p.jsonl"
    path.write_text((row + "\n") * 40, encoding="utf-8")
    sizes = [batch.num_rows for batch in iter_batches(path, None)]
    assert sum(sizes) == 40 and len(sizes) >= 2
    assert max(sizes) * len(row) <= JSONL_CHUNK_CHARS + len(row)


def test_a_csv_line_over_16_mib_is_refused_naming_its_line(tmp_path: Path) -> None:
    production = tmp_path / "p.csv"
    production.write_text("x,c\n1,a\n2,b\n3," + "y" * (40 << 20) + "\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=rf"^{tmp_path / 'p.csv'}:4: a line longer than 16,777,216 characters"):
        _drift(_legacy(tmp_path / "r.jsonl"), production)


def test_a_production_log_line_over_16_mib_is_named_on_duckdb(tmp_path: Path) -> None:
    """DuckDB refuses it (maximum_object_size); the message named no line and told to raise a DuckDB option."""
    big = json.dumps({**make_row(timestamp="2026-01-01T00:01:00Z", request_id="big"), "model": "m" * (40 << 20)})
    production = _native(tmp_path / "p.jsonl", last=big)
    with pytest.raises(DatasetError, match=rf"^{tmp_path / 'p.jsonl'}:61: a line longer than 16,777,216 characters"):
        _drift(_native(tmp_path / "r.jsonl"), production, numeric=["latency_ms"])


def test_a_long_line_duckdb_read_is_not_blamed_for_another_line(tmp_path: Path) -> None:
    """DuckDB reads a 20 MiB line (its limit is checked lazily); a bad value further down is the line named."""
    long = json.dumps({**make_row(timestamp="2026-01-01T00:01:00Z", request_id="long"), "model": "m" * (20 << 20)})
    bad = json.dumps({**make_row(timestamp="2026-01-01T00:01:01Z", request_id="bad"), "latency_ms": "slow"})
    production = _native(tmp_path / "p.jsonl", last=long + "\n" + bad)
    with pytest.raises(DatasetError, match=rf"^{tmp_path / 'p.jsonl'}:62: field 'latency_ms' must be a number"):
        _drift(_native(tmp_path / "r.jsonl"), production, numeric=["latency_ms"])


def test_a_production_log_line_over_16_mib_is_named_on_spark(tmp_path: Path, spark) -> None:
    """Spark set the line aside as corrupt and the message said "a line is not a JSON object" (it is one)."""
    big = json.dumps({**make_row(timestamp="2026-01-01T00:01:00Z", request_id="big"), "model": "m" * (40 << 20)})
    production = _native(tmp_path / "p.jsonl", last=big)
    with pytest.raises(DatasetError, match=rf"^{tmp_path / 'p.jsonl'}:61: a line longer than 16,777,216 characters"):
        _drift(_native(tmp_path / "r.jsonl"), production, "spark", numeric=["latency_ms"])


# --- deep nesting ---------------------------------------------------------------------------------------------


def test_objects_nested_100000_deep_are_refused_not_a_crash(tmp_path: Path) -> None:
    """orjson crashed the process on it (segfault, exit 139): no verdict, no message."""
    deep = '{"x": 1, "c": ' + '{"a":' * 100_000 + "1" + "}" * 100_000 + "}"
    proc = _command(tmp_path, _legacy(tmp_path / "production.jsonl", last=deep))
    line = one_line_exit_2(proc)
    assert f"production.jsonl:61: invalid JSON (nested too deeply: past {MAX_NESTING} levels)" in line, line


def test_a_category_nested_100000_deep_is_refused_not_an_internal_error(tmp_path: Path) -> None:
    """Read, then written as a category's JSON text: RecursionError, "internal error", exit 3."""
    deep = '{"x": 1, "c": ' + "[" * 100_000 + "]" * 100_000 + "}"
    proc = _command(tmp_path, _legacy(tmp_path / "production.jsonl", last=deep))
    line = one_line_exit_2(proc)
    assert "production.jsonl:61: invalid JSON (nested too deeply: past" in line, line


def test_nesting_up_to_the_bound_is_read(tmp_path: Path) -> None:
    shallow = '{"x": 1, "c": "a", "meta": ' + "[" * (MAX_NESTING - 1) + "]" * (MAX_NESTING - 1) + "}"
    production = _legacy(tmp_path / "p.jsonl", last=shallow)
    assert _drift(_legacy(tmp_path / "r.jsonl"), production)["production"]["rows_read"] == 61
    deeper = '{"x": 1, "c": "a", "meta": ' + "[" * MAX_NESTING + "]" * MAX_NESTING + "}"
    with pytest.raises(DatasetError, match=rf"p.jsonl:61: invalid JSON \(nested too deeply: past {MAX_NESTING} levels\)"):
        _drift(_legacy(tmp_path / "r.jsonl"), _legacy(tmp_path / "p.jsonl", last=deeper))


def test_a_csv_cell_of_json_nested_too_deep_is_no_value(tmp_path: Path) -> None:
    """A dotted path into a CSV cell holding JSON text: parsed with ``json.loads``, RecursionError escaped."""
    reference = tmp_path / "r.csv"
    reference.write_text("meta\n" + "".join(f'"{{""x"": {i % 7}}}"\n' for i in range(60)), encoding="utf-8")
    production = tmp_path / "p.csv"
    deep = "[" * 5000 + "]" * 5000
    production.write_text(reference.read_text() + deep + "\n", encoding="utf-8")
    report = _drift(reference, production, numeric=["meta.x"])
    feature = next(f for f in report["features"] if f["name"] == "meta.x")
    assert feature["n_production"] == 60 and feature["production_missing"] == 1


# --- CSV cells with line breaks -------------------------------------------------------------------------------


def test_a_large_csv_with_line_breaks_in_quoted_cells_is_read(tmp_path: Path) -> None:
    """17 MiB of RFC 4180 CSV whose cells hold line breaks: pyarrow's chunker cut a block inside such a cell and the
    file was refused ("CSV parser got out of sync with chunker"), whatever the block size, by chance of where it fell.
    """
    import csv

    production = tmp_path / "p.csv"
    with production.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(["x", "c", "input"])
        for i in range(40_000):
            out.writerow([i % 7, "ab"[i % 2], "line one\nline two " * 40 if i % 3 == 0 else "plain" * 60])
    assert production.stat().st_size > MAX_LINE_CHARS
    report = _drift(_legacy(tmp_path / "r.jsonl"), production)
    assert report["production"]["rows_read"] == 40_000 and report["drift"] is False


def _native_csv(path: Path) -> Path:
    import csv

    columns = ["schema_version", "timestamp", "request_id", "latency_ms", "role"]
    with path.open("w", newline="", encoding="utf-8") as handle:
        out = csv.writer(handle)
        out.writerow(columns)
        for i in range(60):
            role = "second\\nline" if i % 4 == 0 else "ab"[i % 2]
            out.writerow([1, f"2026-01-01T00:00:{i:02d}Z", f"r{i}", float(i % 7), role.replace("\\n", "\n")])
    return path


def test_a_production_log_csv_cell_with_a_line_break_is_read_on_duckdb(tmp_path: Path) -> None:
    _check_line_break_csv(tmp_path, "duckdb")


def test_a_production_log_csv_cell_with_a_line_break_is_read_on_spark(tmp_path: Path, spark) -> None:
    """Spark split the row at the break and failed the read ("Spark failed in count_rows"); DuckDB read it."""
    _check_line_break_csv(tmp_path, "spark")


def _check_line_break_csv(tmp_path: Path, engine: str) -> None:
    reference = _native_csv(tmp_path / "r.csv")
    production = _native_csv(tmp_path / "p.csv")
    report = _drift(reference, production, engine, numeric=["latency_ms"], categorical=["context.role"])
    assert report["production"]["rows_read"] == 60 and report["drift"] is False
    role = next(f for f in report["features"] if f["name"] == "context.role")
    assert role["n_production"] == 60 and role["p_value"] == 1.0
