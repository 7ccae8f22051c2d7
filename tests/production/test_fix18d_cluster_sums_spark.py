"""fix18d: the Rao-Scott corrected ``tool_names`` chi-square is the same on DuckDB (JSON Lines, Parquet) and Spark.

Rare tool names are pooled into ``(other)``, so the per-request sums map names to the tested table's columns; the
engines' sums are also compared directly (with the pooled column merged into the last kept one) against numpy.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gatekit.drift.core import compute_drift, drift_config
from gatekit.production.duckdb_engine import DuckDBEngine
from gatekit.production.engine import FeatureColumn, FileSource
from gatekit.production.spark_engine import SparkEngine

COMMON = ["search", "lookup", "calc"]
RARE = [f"rare{i}" for i in range(40)]


def _lists(rng: np.random.Generator, requests: int, share: list[float]) -> list[list[str]]:
    """Per request a tool mix of its own, 1 to 12 calls; now and then a rare tool."""
    out = []
    for _ in range(requests):
        mix = rng.dirichlet(np.array(share) * 2.0)
        calls = [str(rng.choice(COMMON, p=mix)) for _ in range(int(rng.integers(1, 13)))]
        if rng.random() < 0.3:
            calls.append(str(rng.choice(RARE)))
        out.append(calls)
    return out


def _rows(lists: list[list[str]]) -> list[dict[str, Any]]:
    return [
        {"schema_version": 1, "timestamp": "2026-12-01T00:00:00Z", "request_id": f"r{i}", "tool_names": tools}
        for i, tools in enumerate(lists)
    ]


def _write(folder: Path, name: str, lists: list[list[str]]) -> dict[str, Path]:
    jsonl = folder / f"{name}.jsonl"
    jsonl.write_text("".join(json.dumps(row) + "\n" for row in _rows(lists)), encoding="utf-8")
    parquet = folder / f"{name}.parquet"
    pq.write_table(pa.Table.from_pylist(_rows(lists)), parquet)
    return {"jsonl": jsonl, "parquet": parquet}


def test_corrected_tool_names_test_is_the_same_on_every_engine(spark: Any, tmp_path: Path) -> None:
    rng = np.random.default_rng(12)
    ref_lists, prod_lists = _lists(rng, 150, [0.5, 0.3, 0.2]), _lists(rng, 120, [0.45, 0.3, 0.25])
    ref, prod = _write(tmp_path, "ref", ref_lists), _write(tmp_path, "prod", prod_lists)
    got = {}
    for engine, kind in (("duckdb", "jsonl"), ("duckdb", "parquet"), ("spark", "jsonl")):
        cfg = drift_config(reference=ref[kind], production=prod[kind], engine=engine)
        (feature,) = [f for f in compute_drift(cfg).report["features"] if f["name"] == "tool_names"]
        got[(engine, kind)] = feature
    first = got[("duckdb", "jsonl")]
    seen_rare = {c for calls in ref_lists + prod_lists for c in calls if c in RARE}
    assert first["pooled_categories"] == len(seen_rare) and first["dof"] == 3  # three tools and (other)
    assert first["design_effect"] > 1.5 and first["statistic"] < first["statistic_uncorrected"]
    keys = ("statistic", "statistic_uncorrected", "design_effect", "p_value", "dof", "effect_size", "n_reference")
    for where, feature in got.items():
        assert {k: feature[k] for k in keys} == pytest.approx({k: first[k] for k in keys}, rel=1e-12), where

    # the sums themselves, with the rare names merged into the last kept column (2): numpy over the lists
    columns = {"search": 0, "lookup": 1, "calc": 2}
    counts = np.array([[sum(c == name for c in calls) for name in COMMON] for calls in ref_lists])
    counts[:, 2] += np.array([sum(c in RARE for c in calls) for calls in ref_lists])
    expected = (
        (counts**2).sum(axis=0).tolist(),
        (counts * counts.sum(axis=1, keepdims=True)).sum(axis=0).tolist(),
        int((counts.sum(axis=1) ** 2).sum()),
    )
    feature = [FeatureColumn("tool_names", "categorical", True)]
    source = FileSource((str(ref["jsonl"]),), "jsonl", {"tool_names": "tool_names"})
    with DuckDBEngine() as duck:
        sums = duck.cluster_sums(duck.open_files(source, feature), "tool_names", columns, 2, 3)
        assert (sums.yy, sums.ym, sums.mm) == expected
    sparked = SparkEngine(session=spark)
    sums = sparked.cluster_sums(sparked.open_files(source, feature), "tool_names", columns, 2, 3)
    assert (sums.yy, sums.ym, sums.mm) == expected
