"""attack21d: drift's statistics against scipy on inputs a double cannot hold, and the report saying so.

Values are compared as doubles. An integer beyond 2^53 is read as the nearest double, so two integers that differ
only below a double's precision compare as equal: ``scipy.stats.ks_2samp`` on the int64 values finds D = 1 where
drift finds D = 0, and the report said nothing. It now warns, naming the side, the feature and the count. Real files,
real DuckDB.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.stats import ks_2samp

from gatekit.drift.core import compute_drift, drift_config

BIG = 2**53


def _report(reference: Path, production: Path) -> dict:
    return compute_drift(drift_config(reference=reference, production=production, numeric=["x"])).report


def _write(path: Path, values: list) -> Path:
    if path.suffix == ".jsonl":
        path.write_text("".join(json.dumps({"x": v}) + "\n" for v in values), encoding="utf-8")
    elif path.suffix == ".csv":
        path.write_text("x\n" + "".join(f"{v}\n" for v in values), encoding="utf-8")
    else:
        pq.write_table(pa.table({"x": pa.array(values, pa.int64())}), path)
    return path


@pytest.mark.parametrize("suffix", [".jsonl", ".csv", ".parquet"])
def test_integers_beyond_2_53_are_compared_as_doubles_and_the_report_says_so(tmp_path: Path, suffix: str) -> None:
    odd, even = [BIG + 1] * 50, [BIG] * 50
    exact = ks_2samp(np.array(odd, np.int64), np.array(even, np.int64))
    assert exact.statistic == 1.0  # the integers themselves are completely separated
    report = _report(_write(tmp_path / f"r{suffix}", odd), _write(tmp_path / f"p{suffix}", even))
    feature = report["features"][0]
    assert feature["statistic"] == ks_2samp(np.array(odd, float), np.array(even, float)).statistic == 0.0
    rounded = [w for w in report["warnings"] if "beyond 2^53" in w]
    assert rounded == [
        "reference: x: 50 integer(s) beyond 2^53 (9,007,199,254,740,992) read as the nearest double: integers that "
        "differ only below a double's precision compare as equal"
    ], report["warnings"]


def test_integers_a_double_holds_exactly_give_no_warning(tmp_path: Path) -> None:
    """2^54 and 2^53 + 2 are doubles; text integers too: no warning, and D is scipy's on the integers."""
    reference = _write(tmp_path / "r.jsonl", [2**54] * 30 + [BIG + 2] * 30)
    production = _write(tmp_path / "p.jsonl", [str(2**54)] * 10 + [BIG + 2] * 50)
    report = _report(reference, production)
    assert not [w for w in report["warnings"] if "beyond 2^53" in w], report["warnings"]
    exact = ks_2samp(np.array([2**54] * 30 + [BIG + 2] * 30), np.array([2**54] * 10 + [BIG + 2] * 50))
    assert report["features"][0]["statistic"] == pytest.approx(exact.statistic, abs=1e-15)
    assert report["features"][0]["p_value"] == pytest.approx(exact.pvalue, rel=1e-9)
