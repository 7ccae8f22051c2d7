"""Drift statistics pushed down to DuckDB: the same D, p and chi-square as scipy, on real DuckDB."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.stats import chi2_contingency, ks_2samp

from gatekit.drift import stats
from gatekit.production.duckdb_engine import DuckDBEngine
from gatekit.production.engine import FeatureColumn, FileSource


def pool_rare(
    reference: Counter[str], production: Counter[str], min_expected: float
) -> tuple[list[str], list[list[float]], list[str]]:
    """The pooling rule written out on Python counts (the oracle for the engine): build the 2 x k table over the union of categories, pooling rare ones into ``(other)``.

    A category is rare when its expected count in either row under "same distribution"
    is below ``min_expected`` (Cochran's rule). Returns (categories, table, pooled names).
    """
    n_ref, n_prod = sum(reference.values()), sum(production.values())
    total = n_ref + n_prod
    categories = sorted(set(reference) | set(production), key=lambda c: (-(reference[c] + production[c]), c))
    kept: list[str] = []
    pooled: list[str] = []
    for cat in categories:
        column_total = reference[cat] + production[cat]
        expected_min = column_total * min(n_ref, n_prod) / total
        (kept if expected_min >= min_expected else pooled).append(cat)
    table = [[float(reference[c]) for c in kept], [float(production[c]) for c in kept]]
    if pooled:
        other = [float(sum(reference[c] for c in pooled)), float(sum(production[c] for c in pooled))]
        other_expected = (other[0] + other[1]) * min(n_ref, n_prod) / total
        if other_expected < min_expected and len(kept) >= 2:
            # still too small on its own: merge into the least frequent kept category (never
            # down to a single category, which would hide a complete shift such as prod -> staging)
            table[0][-1] += other[0]
            table[1][-1] += other[1]
            pooled = [*pooled, kept[-1]]
            kept[-1] = stats.OTHER
        else:
            kept.append(stats.OTHER)
            table[0].append(other[0])
            table[1].append(other[1])
    return kept, table, pooled


SHAPES = {"small_side": 50_000, "merged": 1}  # small_side_max_distinct=1 forces the merged shape


def _tables(engine: DuckDBEngine, tmp: Path, ref: dict, prod: dict, features: list[FeatureColumn]):
    opened = []
    for name, data in (("ref", ref), ("prod", prod)):
        path = tmp / f"{name}.parquet"
        pq.write_table(pa.table(data), path)
        source = FileSource((str(path),), "parquet", {f.name: f.name for f in features}, None)
        opened.append(engine.open_files(source, features))
    return opened


def _ks(tmp: Path, a, b, shape: str) -> dict:
    x = [FeatureColumn("x", "numeric")]
    with DuckDBEngine(small_side_max_distinct=SHAPES[shape]) as engine:
        ref, prod = _tables(engine, tmp, {"x": np.asarray(a, float)}, {"x": np.asarray(b, float)}, x)
        got = engine.compare_numeric(ref, prod, ["x"], 50, 10)["x"].ks
    assert got.shape == shape
    return stats.ks_from_statistic(got.d, got.numerator, got.n_reference, got.n_production, sign=got.sign)


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_r_reference_values(tmp_path: Path, shape: str) -> None:
    # R's ks.test (exact), from apache/commons-math KolmogorovSmirnovTestTest
    x = [6, 7, 9, 13, 19, 21, 22, 23, 24]
    y = [10, 11, 12, 16, 20, 27, 28, 32, 44, 54]
    result = _ks(tmp_path, x, y, shape)
    assert result["statistic"] == 0.5
    assert result["p_value"] == pytest.approx(0.105577085453247, abs=1e-12)
    assert result["method"] == "exact"


def _samples(seed: int):
    rng = np.random.default_rng(seed)
    kind = seed % 4
    n_ref = int(rng.integers(1, 400))
    n_prod = int(rng.integers(1, 4000)) if seed % 3 else int(rng.integers(10_001, 25_000))  # exact and asymp
    if kind == 0:  # heavy ties on both sides
        return rng.integers(0, 6, n_ref).astype(float), rng.integers(0, 8, n_prod).astype(float)
    if kind == 1:  # continuous, shifted
        return rng.normal(0, 1, n_ref), rng.normal(0.3, 1.2, n_prod)
    if kind == 2:  # ties across sides, half-steps, a -0.0 / 0.0 pair
        a = np.round(rng.normal(0, 2, n_ref) * 2) / 2
        b = np.round(rng.normal(0.2, 2, n_prod) * 2) / 2
        a[0], b[0] = -0.0, 0.0
        return a, b
    return rng.lognormal(3, 1, n_ref).round(), rng.lognormal(3.1, 1, n_prod).round()


@pytest.mark.parametrize("shape", sorted(SHAPES))
@pytest.mark.parametrize("seed", range(12))
def test_ks_d_and_p_equal_scipy_ties_included(tmp_path: Path, shape: str, seed: int) -> None:
    a, b = _samples(seed)
    expected = ks_2samp(a, b)  # method="auto"
    result = _ks(tmp_path, a, b, shape)
    assert result["statistic"] == float(expected.statistic)  # bit-equal, not approximately
    assert result["p_value"] == float(expected.pvalue)
    assert result["d_sign"] == int(expected.statistic_sign)


def test_production_side_small_is_exact_too(tmp_path: Path) -> None:
    # the smaller side (here production) supplies the boundaries; D and its sign stay scipy's
    rng = np.random.default_rng(7)
    a, b = rng.normal(0, 1, 20_000).round(2), rng.integers(-1, 2, 300).astype(float)
    expected = ks_2samp(a, b)
    result = _ks(tmp_path, a, b, "small_side")
    assert (result["statistic"], result["p_value"], result["d_sign"]) == (
        float(expected.statistic),
        float(expected.pvalue),
        int(expected.statistic_sign),
    )


def test_chi_square_equals_scipy_on_the_pooled_table(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    ref = rng.choice(["a", "b", "c", "d", "rare1"], 800, p=[0.5, 0.3, 0.15, 0.045, 0.005]).tolist()
    prod = rng.choice(["a", "b", "c", "d", ""], 30_000, p=[0.4, 0.3, 0.2, 0.099, 1e-3]).tolist()
    prod += ["rare2"] * 2 + ["rare3"] * 9
    feature = [FeatureColumn("c", "categorical")]
    with DuckDBEngine() as engine:
        r, p = _tables(engine, tmp_path, {"c": ref}, {"c": prod}, feature)
        summary = engine.categories(r, p, ["c"], 5.0, 15)["c"]
    got = stats.chi2_pooled(
        summary.categories, summary.reference_counts, summary.production_counts,
        summary.pooled_reference, summary.pooled_production, summary.pooled_count, 5.0,
    )  # fmt: skip
    ref_counts = Counter(v for v in ref if v)
    prod_counts = Counter(v for v in prod if v)
    categories, table, pooled = pool_rare(ref_counts, prod_counts, 5.0)
    expected = chi2_contingency(table, correction=False)
    assert got["categories_tested"] == categories and got["table"] == table
    assert got["statistic"] == pytest.approx(float(expected.statistic), rel=1e-12)
    assert got["p_value"] == pytest.approx(float(expected.pvalue), rel=1e-9)
    assert got["dof"] == int(expected.dof)
    assert summary.production_missing == prod.count("") and summary.reference_missing == 0
    assert summary.new == ["rare2", "rare3"] and summary.new_count == 2 and summary.vanished == ["rare1"]
    assert {"rare1", "rare2", "rare3"} <= set(pooled) and summary.pooled_count == 3


def test_multi_valued_categories_count_each_name(tmp_path: Path) -> None:
    feature = [FeatureColumn("tools", "categorical", multi=True)]
    ref = {"tools": [["a"], ["a", "b"], None, []] * 50}
    prod = {"tools": [["a", "c"], ["b"], ["c"], None] * 50}
    with DuckDBEngine() as engine:
        r, p = _tables(engine, tmp_path, ref, prod, feature)
        summary = engine.categories(r, p, ["tools"], 5.0, 15)["tools"]
    assert summary.n_reference == 150 and summary.n_production == 200
    pairs = zip(summary.reference_counts, summary.production_counts, strict=True)
    counts = dict(zip(summary.categories, pairs, strict=True))
    assert counts == {"a": (100, 50), "b": (50, 50), "c": (0, 100)}


def test_numeric_summary_counts_missing_and_non_finite(tmp_path: Path) -> None:
    feature = [FeatureColumn("x", "numeric")]
    values = [1.0, 2.0, None, float("nan"), float("inf"), 3.0, 4.0]
    with DuckDBEngine() as engine:
        r, _ = _tables(engine, tmp_path, {"x": values}, {"x": [1.0]}, feature)
        summary = engine.numeric_summaries(r, ["x"], 20)["x"]
    assert (summary.rows, summary.n, summary.missing, summary.non_finite) == (7, 4, 3, 2)
    assert summary.min == 1.0 and summary.max == 4.0 and summary.mean == 2.5
    assert summary.quantiles[0.5] == pytest.approx(np.quantile([1, 2, 3, 4], 0.5))
    assert summary.ecdf[0][0] == 1.0 and summary.ecdf[-1] == [4.0, 1.0]


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_plot_histograms_count_every_value_once(tmp_path: Path, shape: str) -> None:
    rng = np.random.default_rng(11)
    a, b = rng.normal(0, 1, 500).round(2), rng.normal(0.5, 1, 5000).round(3)
    x = [FeatureColumn("x", "numeric")]
    with DuckDBEngine(small_side_max_distinct=SHAPES[shape]) as engine:
        ref, prod = _tables(engine, tmp_path, {"x": a}, {"x": b}, x)
        got = engine.compare_numeric(ref, prod, ["x"], 50, 20)["x"]
    assert sum(got.reference_bins) == 500 and sum(got.production_bins) == 5000
    inner = np.asarray(got.edges[1:-1])
    for values, counted in ((a, got.reference_bins), (b, got.production_bins)):
        below = np.searchsorted(np.sort(values), inner, side="left")
        assert counted == np.diff(np.concatenate(([0], below, [len(values)]))).tolist()
    assert got.reference.n == 500 and got.production.n == 5000
    assert got.production.ecdf[-1][1] <= 1.0 and got.reference.min == a.min() and got.production.max == b.max()


def _category_test(tmp: Path, ref: list[str], prod: list[str]):
    feature = [FeatureColumn("c", "categorical")]
    with DuckDBEngine() as engine:
        r, p = _tables(engine, tmp, {"c": ref}, {"c": prod}, feature)
        summary = engine.categories(r, p, ["c"], 5.0, 15)["c"]
    result = stats.chi2_pooled(
        summary.categories, summary.reference_counts, summary.production_counts,
        summary.pooled_reference, summary.pooled_production, summary.pooled_count, 5.0,
    )  # fmt: skip
    return summary, result


def test_new_categories_listed_and_rare_pooled(tmp_path: Path) -> None:
    ref = ["a"] * 500 + ["b"] * 480 + ["c"] * 20
    prod = ["a"] * 450 + ["b"] * 430 + ["c"] * 25 + ["tool_x"] * 90 + ["tool_y"] * 2 + ["tool_z"] * 3
    summary, result = _category_test(tmp_path, ref, prod)
    assert summary.new == ["tool_x", "tool_y", "tool_z"] and summary.vanished == []
    assert stats.OTHER in result["categories_tested"] and "tool_x" in result["categories_tested"]
    assert summary.pooled_count == 2  # tool_y and tool_z
    assert result["p_value"] < 1e-10


def test_complete_category_shift_with_a_small_reference_is_not_pooled_away(tmp_path: Path) -> None:
    summary, result = _category_test(tmp_path, ["prod"] * 30, ["staging"] * 300)
    assert result["cramers_v"] == 1.0
    assert result["p_value"] < 1e-10
    assert summary.new == ["staging"]
