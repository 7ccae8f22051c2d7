"""fix18d: the chi-square of ``tool_names`` treats a request's calls as one cluster (Rao-Scott first-order correction).

Checked independently: the design effect against its closed form (every call of a request the same tool: δ = m) and
against a plain numpy transcription of the textbook formula; the false-drift rate of a seeded simulation under no
change (1 and 20 calls per request, real per-request tool mixes) within a binomial margin of alpha; the power on a
real change in the tool mix; with one call per request, the engine's statistic and p-value equal scipy's
``chi2_contingency`` on the raw counts; the engine's per-request sums (DuckDB, JSON Lines and Parquet) equal numpy's.
"""

from __future__ import annotations

import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy.stats import chi2_contingency

from gatekit.drift import stats
from gatekit.drift.core import compute_drift, drift_config
from gatekit.production.duckdb_engine import DuckDBEngine
from gatekit.production.engine import FeatureColumn, FileSource

ALPHA = 0.05
BASE = np.array([0.5, 0.3, 0.2])


def _sums(per_request: list[np.ndarray]) -> tuple[list[list[int]], list[list[int]], list[list[int]], list[int]]:
    """(table, Σ y², Σ y m, Σ m²) of two sides' per-request count matrices (requests x columns), by numpy."""
    table = [y.sum(axis=0).tolist() for y in per_request]
    yy = [(y**2).sum(axis=0).tolist() for y in per_request]
    ym = [(y * y.sum(axis=1, keepdims=True)).sum(axis=0).tolist() for y in per_request]
    mm = [int((y.sum(axis=1) ** 2).sum()) for y in per_request]
    return table, yy, ym, mm


def _numpy_delta(per_request: list[np.ndarray]) -> float:
    """Rao & Scott (1987) δ = Σ_s Σ_j (1 - M_s/M)(1 - p_j) d_sj / (k - 1), written out with numpy variances."""
    sides = [y.sum() for y in per_request]
    pooled = (per_request[0].sum(axis=0) + per_request[1].sum(axis=0)) / sum(sides)
    total = 0.0
    for y, m_s in zip(per_request, sides, strict=True):
        share = y.sum(axis=0) / m_s
        m = y.sum(axis=1, keepdims=True)
        cluster_var = ((y - share * m) ** 2).sum(axis=0) / m_s**2
        srs_var = share * (1 - share) / m_s
        design = np.where(srs_var > 0, cluster_var / np.where(srs_var > 0, srs_var, 1), 1.0)
        total += float(((1 - m_s / sum(sides)) * (1 - pooled) * design).sum())
    return total / (y.shape[1] - 1)


def _side(rng: np.random.Generator, requests: int, calls: int, concentration: float, base: np.ndarray) -> np.ndarray:
    """Per-request tool counts: each request draws its own mix (Dirichlet around ``base``), then its calls."""
    if calls == 1 or concentration == 0:
        return rng.multinomial(calls, base, size=requests)
    mixes = rng.dirichlet(concentration * base, size=requests)
    return np.array([rng.multinomial(calls, mix) for mix in mixes])


def _p_value(per_request: list[np.ndarray]) -> tuple[float, float]:
    """(Rao-Scott p, plain Pearson p) of two sides, from scipy's statistic and the corrected one."""
    keep = (per_request[0].sum(axis=0) + per_request[1].sum(axis=0)) > 0
    per_request = [y[:, keep] for y in per_request]
    table, yy, ym, mm = _sums(per_request)
    plain = chi2_contingency(table, correction=False)
    delta = stats.rao_scott_first_order(table, yy, ym, mm)
    return stats.rao_scott_chi2(float(plain.statistic), int(plain.dof), delta)[1], float(plain.pvalue)


def test_design_effect_has_its_closed_form_and_the_textbook_value() -> None:
    rng = np.random.default_rng(11)
    # every call of a request is the same tool: y_ij in {0, m}, so d_sj = m exactly, and δ = m
    for calls in (1, 3, 20):
        per_request = [np.array([[calls, 0], [0, calls]] * 15) for _ in range(2)]
        per_request[1] = np.vstack([per_request[1], [[calls, 0]]])
        assert stats.rao_scott_first_order(*_sums(per_request)) == pytest.approx(calls, rel=1e-12)
    # one call per request: δ = 1 exactly (the plain test), whatever the table
    for _ in range(20):
        per_request = [rng.multinomial(1, [0.2, 0.3, 0.5], size=n) for n in (37, 91)]
        assert stats.rao_scott_first_order(*_sums(per_request)) == 1.0
    # mixed per-request mixes: the exact-fraction value equals a plain numpy transcription of the formula
    for _ in range(20):
        per_request = [_side(rng, n, 7, 1.5, BASE) for n in (40, 25)]
        assert stats.rao_scott_first_order(*_sums(per_request)) == pytest.approx(_numpy_delta(per_request), rel=1e-9)
    # every request alike on both sides: no spread, δ = 0; a difference is then certain, no difference is none
    assert stats.rao_scott_chi2(4.0, 1, 0.0) == (math.inf, 0.0)
    assert stats.rao_scott_chi2(0.0, 1, 0.0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("requests", "calls", "concentration"),
    [(30, 1, 0.0), (30, 20, 0.5), (200, 20, 2.0)],
)
def test_false_drift_rate_under_no_change_is_within_alpha(requests: int, calls: int, concentration: float) -> None:
    runs = 1000
    rng = np.random.default_rng(18_000 + requests + calls)
    results = [_p_value([_side(rng, requests, calls, concentration, BASE) for _ in range(2)]) for _ in range(runs)]
    corrected = sum(p <= ALPHA for p, _ in results) / runs
    plain = sum(p <= ALPHA for _, p in results) / runs
    margin = 3 * math.sqrt(ALPHA * (1 - ALPHA) / runs)  # 3 binomial standard errors: 0.021
    assert corrected <= ALPHA + margin, f"corrected false-drift rate {corrected:.3f} (plain {plain:.3f})"
    if calls == 1:
        assert corrected == plain  # one call per request: the plain test itself
    else:
        assert plain > 0.3  # the simulation is clustered: calls as units flag most samples


def test_a_real_change_in_the_tool_mix_keeps_its_power() -> None:
    rng = np.random.default_rng(7)
    shifted = np.array([0.3, 0.35, 0.35])
    runs = 300
    results = [_p_value([_side(rng, 200, 20, 2.0, BASE), _side(rng, 200, 20, 2.0, shifted)]) for _ in range(runs)]
    assert sum(p <= ALPHA for p, _ in results) / runs >= 0.9


def _legacy_rows(rng: np.random.Generator, counts: np.ndarray, names: list[str], side: str) -> list[dict[str, Any]]:
    rows = []
    for i, row in enumerate(counts):
        calls = [name for name, n in zip(names, row, strict=True) for _ in range(int(n))]
        rng.shuffle(calls)
        rows.append({"id": f"{side}{i}", "input": "q", "tool_calls": [{"name": str(c)} for c in calls]})
    return rows


def _write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _write_sides(
    folder: Path, prefix: str, rng: np.random.Generator, sides: list[np.ndarray], names: list[str]
) -> list[Path]:
    """The reference and production JSON Lines files of two sides' per-request counts."""
    return [
        _write_jsonl(folder / f"{prefix}{side}.jsonl", _legacy_rows(rng, counts, names, side))
        for side, counts in (("ref", sides[0]), ("prod", sides[1]))
    ]


def _tool_feature(reference: Path, production: Path) -> dict[str, Any]:
    report = compute_drift(drift_config(reference=reference, production=production)).report
    (feature,) = [f for f in report["features"] if f["name"] == "tool_names"]
    return feature


def test_one_call_per_request_is_scipys_chi_square(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    names = ["search", "lookup", "calc", "mail"]
    sides = [rng.multinomial(1, [0.4, 0.3, 0.2, 0.1], size=n) for n in (300, 500)]
    paths = _write_sides(tmp_path, "", rng, sides, names)
    feature = _tool_feature(*paths)
    table = [[int(c) for c in side.sum(axis=0)] for side in sides]
    expected = chi2_contingency(table, correction=False)
    assert feature["design_effect"] == 1.0
    assert feature["statistic"] == pytest.approx(float(expected.statistic), rel=1e-12)
    assert feature["p_value"] == pytest.approx(float(expected.pvalue), rel=1e-12)
    assert feature["dof"] == 3


def test_repeated_calls_are_corrected_end_to_end_and_a_real_change_still_drifts(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    names = ["search", "lookup", "calc"]
    same = [_side(rng, 60, 12, 1.0, BASE) for _ in range(2)]
    paths = _write_sides(tmp_path, "same-", rng, same, names)
    feature = _tool_feature(*paths)
    table, yy, ym, mm = _sums(same)
    delta = _numpy_delta(same)
    assert feature["design_effect"] == pytest.approx(delta, rel=1e-9) and delta > 2
    plain = chi2_contingency(table, correction=False)
    assert feature["statistic_uncorrected"] == pytest.approx(float(plain.statistic), rel=1e-12)
    assert feature["statistic"] == pytest.approx(float(plain.statistic) / delta, rel=1e-9)
    changed = [_side(rng, 150, 12, 1.0, BASE), _side(rng, 150, 12, 1.0, np.array([0.2, 0.3, 0.5]))]
    paths = _write_sides(tmp_path, "new-", rng, changed, names)
    feature = _tool_feature(*paths)
    assert feature["design_effect"] > 2
    assert feature["p_value"] < 1e-6 and feature["drifted"] is True


def _native_rows(lists: list[list[str] | None]) -> list[dict[str, Any]]:
    return [
        {"schema_version": 1, "timestamp": "2026-12-01T00:00:00Z", "request_id": f"r{i}", "tool_names": tools}
        for i, tools in enumerate(lists)
    ]


def test_duckdb_cluster_sums_equal_numpy_on_jsonl_and_parquet(tmp_path: Path) -> None:
    lists: list[list[str] | None] = [
        ["a", "a", "b"],
        ["c", "", "a"],  # an empty name is no call
        None,  # no list: no request in the sums
        [],
        ["d", "e", "d", "d"],  # d, e pooled into the rest column 2
        ["b"],
    ]
    jsonl = _write_jsonl(tmp_path / "t.jsonl", _native_rows(lists))
    parquet = tmp_path / "t.parquet"
    pq.write_table(pa.Table.from_pylist(_native_rows(lists)), parquet)
    columns = {"a": 0, "b": 1, "c": 1}  # c merged into column 1, everything else to column 2
    counts = np.array([[2, 1, 0], [1, 1, 0], [0, 0, 4], [0, 1, 0]])  # the non-empty requests, by hand
    expected_yy = (counts**2).sum(axis=0).tolist()
    expected_ym = (counts * counts.sum(axis=1, keepdims=True)).sum(axis=0).tolist()
    for path, kind in ((jsonl, "jsonl"), (parquet, "parquet")):
        with DuckDBEngine() as engine:
            source = FileSource((str(path),), kind, {"tool_names": "tool_names"})
            table = engine.open_files(source, [FeatureColumn("tool_names", "categorical", True)])
            sums = engine.cluster_sums(table, "tool_names", columns, 2, 3)
            dropped = engine.cluster_sums(table, "tool_names", columns, None, 3)
        assert (sums.yy, sums.ym, sums.mm) == (expected_yy, expected_ym, int((counts.sum(axis=1) ** 2).sum())), kind
        kept = counts[:, :2][counts[:, :2].sum(axis=1) > 0]  # rest left out: d, e are no calls
        assert dropped.yy == [*(kept**2).sum(axis=0).tolist(), 0], kind
        assert dropped.mm == int((kept.sum(axis=1) ** 2).sum()), kind


def test_counts_per_category_match_the_table(tmp_path: Path) -> None:
    rng = np.random.default_rng(9)
    names = ["search", "lookup", "calc"]
    sides = [_side(rng, 80, 6, 1.0, BASE) for _ in range(2)]
    paths = _write_sides(tmp_path, "", rng, sides, names)
    feature = _tool_feature(*paths)
    assert feature["n_reference"] == int(sides[0].sum()) and feature["n_production"] == int(sides[1].sum())
    counted = Counter({name: int(n) for name, n in zip(names, sides[0].sum(axis=0), strict=True)})
    shares = {row["category"]: row["reference"] for row in feature["plot"]["categories"]}
    assert shares == pytest.approx({name: counted[name] / sides[0].sum() for name in names})
