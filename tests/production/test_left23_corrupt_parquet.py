"""left23: a Parquet file whose data pages were overwritten is refused (exit 2 naming the file), not read as NaN.

Bytes overwritten inside a plain-encoded data page decode as other values: 0xFF... is a NaN double (drift counted the
NaN as missing and reported drift in latency_ms.missing_rate), flipped bits a number of another sign and size. Now
the page's checksum (where the writer wrote one: Spark, gatekit's own files), the footer's min / max / null count and
NaN payloads no writer makes are checked as the file is read: drift (both engines' inputs, DuckDB's included) and a
gate's golden dataset. Real files written by pyarrow, bytes changed in place, a real ``gatekit drift`` subprocess.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from conftest import REPO_ROOT, one_line_exit_2

from gatekit.dataset import load_dataset
from gatekit.errors import DatasetError
from gatekit.parquet_integrity import verify_parquet


def _log(path: Path, *, checksums: bool = False, seed: int = 3) -> Path:
    """400 production rows (timestamp, latency_ms, model), plain-encoded, uncompressed: as pandas / pyarrow write."""
    rng = random.Random(seed)
    rows = 400
    table = pa.table(
        {
            "timestamp": [f"2026-01-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z" for i in range(rows)],
            "latency_ms": [rng.uniform(1, 100) for _ in range(rows)],
            "model": [f"m{i % 3}" for i in range(rows)],
        }
    )
    pq.write_table(table, path, compression="none", use_dictionary=False, write_page_checksum=checksums)
    return path


def _damage(path: Path, column: str, how: str) -> Path:
    """Change 64 bytes in the middle of ``column``'s data page: overwrite with 0xFF, flip every bit, or swap two
    values (numbers that stay inside the column's range)."""
    meta = pq.ParquetFile(path).metadata
    index = meta.schema.names.index(column)
    chunk = meta.row_group(0).column(index)
    data = bytearray(path.read_bytes())
    middle = chunk.data_page_offset + chunk.total_compressed_size // 2
    if how == "overwrite":
        data[middle : middle + 64] = b"\xff" * 64
    elif how == "flip":
        data[middle : middle + 64] = bytes(b ^ 0xFF for b in data[middle : middle + 64])
    else:  # swap two aligned 8-byte values (the page's values start 8-byte aligned after its header)
        end = chunk.data_page_offset + chunk.total_compressed_size
        first, second = end - 80, end - 40
        data[first : first + 8], data[second : second + 8] = data[second : second + 8], data[first : first + 8]
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize("how", ["overwrite", "flip"])
def test_overwritten_numbers_without_checksums_are_refused(tmp_path: Path, how: str) -> None:
    good = _log(tmp_path / "good.parquet")
    bad = _damage(_log(tmp_path / "bad.parquet"), "latency_ms", how)
    assert pq.read_table(bad).num_rows == 400  # every reader takes it: the values are simply others
    verify_parquet(good)
    with pytest.raises(DatasetError, match=rf"^{bad}: corrupt Parquet data \(row group 0, column 'latency_ms': "):
        verify_parquet(bad)


def test_a_page_with_its_checksum_is_verified(tmp_path: Path) -> None:
    """Two values swapped stay inside min / max: only the page's CRC (Spark writes one by default) tells."""
    bad = _damage(_log(tmp_path / "bad.parquet", checksums=True), "latency_ms", "swap")
    plain = _damage(_log(tmp_path / "plain.parquet"), "latency_ms", "swap")
    with pytest.raises(DatasetError, match=r"corrupt Parquet data .*column 'latency_ms'.*(CRC|checksum)"):
        verify_parquet(bad)
    verify_parquet(plain)  # without a checksum, values in range are data: nothing can tell


@pytest.mark.parametrize("side", ["reference", "production"])
def test_drift_refuses_a_corrupt_parquet_file_in_one_line(tmp_path: Path, side: str) -> None:
    good = _log(tmp_path / "good.parquet", seed=4)
    bad = _damage(_log(tmp_path / "bad.parquet"), "latency_ms", "overwrite")
    files = {"reference": good, "production": good, side: bad}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GATEKIT_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", str(files["reference"])]
    command += ["--production", str(files["production"]), "--no-mlflow", "--out", str(tmp_path / "out")]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    line = one_line_exit_2(proc)  # it was exit 1: "1 of 2 features drifted: latency_ms.missing_rate"
    assert f"{bad}: corrupt Parquet data (row group 0, column 'latency_ms'" in line, line
    assert not (tmp_path / "out" / "drift.json").exists()


def test_a_corrupt_golden_dataset_is_refused(tmp_path: Path) -> None:
    """A golden dataset in Parquet (written by Spark, with page checksums) whose input text was overwritten."""
    rows = 50
    table = pa.table({"id": [f"c{i}" for i in range(rows)], "input": [f"where is order {i}?" * 3 for i in range(rows)]})
    path = tmp_path / "golden.parquet"
    pq.write_table(table, path, compression="none", use_dictionary=False, write_page_checksum=True)
    assert len(load_dataset(path).cases) == rows
    data = bytearray(path.read_bytes())
    spot = data.index(b"where is order 25?")
    data[spot + 15 : spot + 17] = b"99"  # inside a text: case c25's input would silently change
    path.write_bytes(bytes(data))
    assert "where is order 99?" in pq.read_table(path).column("input")[25].as_py()  # as every reader reads it
    with pytest.raises(DatasetError, match=rf"^{path}: corrupt Parquet data \(row group 0, column 'input'"):
        load_dataset(path)
