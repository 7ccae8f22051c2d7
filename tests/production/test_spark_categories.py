"""The Spark engine's category counts (one Spark job for all features) equal the DuckDB engine's on the edge cases:
rare categories pooled, ties in the plot order, more one-sided names than are listed, lists with nulls and
empty strings, a feature with no value at all on one side.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from gatekit.production.engine import CATEGORICAL, FeatureColumn, FileSource
from gatekit.production.stats_sql import NEW_NAMES_SHOWN

FEATURES = [
    FeatureColumn("role", CATEGORICAL),
    FeatureColumn("tools", CATEGORICAL, multi=True),
    FeatureColumn("region", CATEGORICAL),
]


def _write(path: Path, role: list[str | None], tools: list[list[str | None] | None], region: list[str | None]) -> None:
    table = {
        "role": pa.array(role, pa.string()),
        "tools": pa.array(tools, pa.list_(pa.string())),
        "region": pa.array(region, pa.string()),
    }
    pq.write_table(pa.table(table), path)


def _sides(folder: Path) -> tuple[FileSource, FileSource]:
    # reference: four common roles (two tied), rare ones that pool, one that vanishes; no region at all
    ref_role = ["a"] * 40 + ["b"] * 25 + ["c"] * 25 + ["d"] * 12 + ["rare1", "rare2", "gone", "", None]
    n_ref = len(ref_role)
    ref_tools: list[list[str | None] | None] = [
        [["search"], ["search", "refund"], None, [], ["", None, "x"]][i % 5] for i in range(n_ref)
    ]
    _write(folder / "ref.parquet", ref_role, ref_tools, [None] * n_ref)
    # production: the same roles in other shares, more new names than the report lists
    new = [f"new{k:03d}" for k in range(NEW_NAMES_SHOWN + 20)]
    prod_role = ["a"] * 30 + ["b"] * 30 + ["c"] * 30 + ["d"] * 5 + ["rare1"] + new + [None] * 3
    n_prod = len(prod_role)
    prod_tools: list[list[str | None] | None] = [
        [["search"], ["refund", "refund"], ["y"], None][i % 4] for i in range(n_prod)
    ]
    _write(folder / "prod.parquet", prod_role, prod_tools, [["eu", "us", ""][i % 3] for i in range(n_prod)])
    ref = FileSource(paths=(str(folder / "ref.parquet"),), format="parquet", columns={}, label="ref")
    prod = FileSource(paths=(str(folder / "prod.parquet"),), format="parquet", columns={}, label="prod")
    return ref, prod


def test_categories_equal_the_duckdb_engines_on_edge_cases(spark: Any, tmp_path: Path) -> None:
    from gatekit.production.duckdb_engine import DuckDBEngine
    from gatekit.production.spark_engine import SparkEngine

    ref_source, prod_source = _sides(tmp_path)
    names = [f.name for f in FEATURES]
    with DuckDBEngine() as duck:
        want = duck.categories(
            duck.open_files(ref_source, FEATURES), duck.open_files(prod_source, FEATURES), names, 5.0, 3
        )
    engine = SparkEngine(session=spark)
    ref, prod = engine.open_files(ref_source, FEATURES), engine.open_files(prod_source, FEATURES)
    engine.count_rows(ref), engine.count_rows(prod)
    counted = len(spark.sparkContext.statusTracker().getJobIdsForGroup())
    got = engine.categories(ref, prod, names, 5.0, 3)
    assert len(spark.sparkContext.statusTracker().getJobIdsForGroup()) - counted == 1  # one job for every feature
    assert got == want
    role = got["role"]  # the cases above are really there
    assert role.pooled_count >= 3 and role.new_count == NEW_NAMES_SHOWN + 20 and len(role.new) == NEW_NAMES_SHOWN
    assert role.vanished == ["gone", "rare2"] and role.plot[-1]["category"].startswith("(rest: ")
    assert got["region"].n_reference == 0 and got["region"].categories == [] and got["region"].new == ["eu", "us"]
    assert got["tools"].new == ["y"] and got["tools"].vanished == ["x"]
