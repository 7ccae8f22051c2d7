"""fix19f: the larger side's quantiles and ECDF were read off the smaller side's values.

5 reference rows with latency 2 against 3 production rows with latency 30 (production is the small side): the
reference's p50 was reported as 30 with max 2, and drift.html's ECDF plotted it at 30. D was right. Each side's
quantiles are now its own, on DuckDB and on Spark (the same numbers), in the small-side and merged KS shapes.
Real files, real DuckDB, a real local Spark session.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatekit.drift.core import compute_drift, drift_config


def _write(tmp_path: Path, ref: list[float], prod: list[float]) -> tuple[Path, Path]:
    reference, production = tmp_path / "reference.jsonl", tmp_path / "production.jsonl"
    reference.write_text("".join(json.dumps({"latency_ms": v}) + "\n" for v in ref), encoding="utf-8")
    production.write_text("".join(json.dumps({"latency_ms": v}) + "\n" for v in prod), encoding="utf-8")
    return reference, production


def _latency(tmp_path: Path, ref: list[float], prod: list[float], engine: str) -> dict:
    reference, production = _write(tmp_path, ref, prod)
    cfg = drift_config(reference=reference, production=production, numeric=["latency_ms"], engine=engine)
    (latency,) = [f for f in compute_drift(cfg).report["features"] if f["name"] == "latency_ms"]
    return latency


def _check_own(latency: dict) -> None:
    for side, value in (("reference", 2.0), ("production", 30.0)):
        stats = latency[f"{side}_stats"]
        assert stats["min"] == stats["max"] == value, stats
        assert stats["p05"] == stats["p50"] == stats["p95"] == value, (side, stats)
        assert {x for x, _ in latency["plot"][f"ecdf_{side}"]} == {value}, latency["plot"][f"ecdf_{side}"]
    assert latency["statistic"] == 1.0


def test_the_larger_side_s_quantiles_are_its_own_on_duckdb(tmp_path: Path) -> None:
    latency = _latency(tmp_path, [2.0] * 5, [30.0] * 3, "duckdb")
    assert latency["ks_shape"] == "small_side"
    _check_own(latency)


def test_quantiles_within_the_range_match_the_small_side_s_exact_ones(tmp_path: Path) -> None:
    """A larger side interleaved with the smaller: its p50 is its own median, not the next small-side value."""
    ref = [float(v) for v in range(1, 102)]  # median 51
    prod = [0.5 + 20 * k for k in range(11)]  # 0.5 .. 200.5, median 100.5 (10 a side: enough to judge, attack21d)
    latency = _latency(tmp_path, ref, prod, "duckdb")
    assert latency["reference_stats"]["p50"] == 51.0
    assert latency["reference_stats"]["p05"] == pytest.approx(6.0)
    assert latency["production_stats"]["p50"] == 100.5


@pytest.mark.usefixtures("spark")
def test_spark_reports_the_same_quantiles(tmp_path: Path) -> None:
    spark_side = _latency(tmp_path, [2.0] * 5, [30.0] * 3, "spark")
    _check_own(spark_side)
    duck = _latency(tmp_path, [2.0] * 5, [30.0] * 3, "duckdb")
    for key in ("reference_stats", "production_stats"):
        assert spark_side[key] == duck[key]
    assert spark_side["plot"]["ecdf_reference"] == duck["plot"]["ecdf_reference"]
