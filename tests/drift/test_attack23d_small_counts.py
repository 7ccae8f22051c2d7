"""attack23d: small counts get Fisher's exact p-value, not a chi-square's: missing rates and a 2 x 2 pooled table.

The missing-rate feature (``<feature>.missing_rate``) was a 2 x 2 Pearson chi-square whatever the counts. Its normal
approximation fails when an expected count is small: ONE null in 12 production rows against none in 100 reference
rows gave p = 0.0037 and a drift (exit 1), where the exact p-value is 12/112 = 0.107 (only two tables have these
margins: the one null is in production with probability 12/112). Under Cochran's rule (an expected count under
``rare_min_expected``, 5) the test is now Fisher's exact test; above it the chi-square is unchanged. Checked against
hand-computed hypergeometric probabilities and R's ``fisher.test`` documentation example; real files, real DuckDB.
The same holds for a categorical feature whose pooled ``(other)`` column is kept under the rule beside one common
label (a 2 x 2 table): five rows of a new label against 100 of a common one drifted at p = 0.027; exact p = 0.0598.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from gatekit.drift.core import compute_drift, drift_config
from gatekit.drift.stats import missing_rate_test


def _jsonl(path: Path, values: list[float | None]) -> Path:
    path.write_text("".join(json.dumps({"x": v}) + "\n" for v in values), encoding="utf-8")
    return path


def test_one_null_in_a_small_window_is_not_a_drift(tmp_path: Path) -> None:
    reference = _jsonl(tmp_path / "r.jsonl", [float(i) for i in range(100)])  # no null
    production = _jsonl(tmp_path / "p.jsonl", [float(i) for i in range(5, 100, 9)] + [None])  # 11 values, 1 null
    report = compute_drift(drift_config(reference=reference, production=production, numeric=["x"])).report
    missing = next(f for f in report["features"] if f["name"] == "x.missing_rate")
    # the one null is in production with probability 12/112 (hypergeometric); the other table, 100/112, is likelier
    assert missing["p_value"] == pytest.approx(12 / 112, rel=1e-12)
    assert missing["test"] == "fisher_exact"
    assert report["drift"] is False, report["reason"]  # was DRIFT: x.missing_rate at p = 0.0037


def test_fisher_matches_r_fisher_test_tea_tasting() -> None:
    """R's ``fisher.test`` help page, Agresti's tea tasting: matrix(c(3, 1, 1, 3)), two-sided p-value 0.4857."""
    result = missing_rate_test(3, 4, 1, 4)
    assert result["test"] == "fisher_exact"
    assert result["p_value"] == pytest.approx(34 / 70, rel=1e-12)  # (1 + 16 + 16 + 1) / C(8, 4)
    assert f"{result['p_value']:.4f}" == "0.4857"


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        # two-sided: the sum of the hypergeometric probabilities of tables no likelier than the one seen
        (((0, 100), (1, 11)), 12 / 112),
        (((0, 20), (2, 8)), 45 / 435),  # both nulls in production: C(10, 2) / C(30, 2); one a side 200/435, both ref 190/435
        (((1, 999), (1, 9)), None),
    ],
)
def test_fisher_p_values_are_hypergeometric(table: tuple[tuple[int, int], ...], expected: float | None) -> None:
    (a, b), (c, d) = table
    n_missing, n_rows, n_ref = a + c, a + b + c + d, a + b
    probs = {k: math.comb(n_ref, k) * math.comb(n_rows - n_ref, n_missing - k) / math.comb(n_rows, n_missing)
             for k in range(n_missing + 1)}  # fmt: skip
    exact = sum(p for p in probs.values() if p <= probs[a] * (1 + 1e-7))
    if expected is not None:
        assert exact == pytest.approx(expected, rel=1e-12)
    result = missing_rate_test(a, a + b, c, c + d)
    assert result["test"] == "fisher_exact"
    assert result["p_value"] == pytest.approx(exact, rel=1e-9)


def test_the_chi_square_stays_where_every_expected_count_reaches_five() -> None:
    result = missing_rate_test(0, 1000, 100, 1000)  # smallest expected count 50
    assert result["test"] == "chi2"
    expected = 2000 * (0 * 900 - 1000 * 100) ** 2 / (1000 * 1000 * 100 * 1900)
    assert result["statistic"] == pytest.approx(expected)


def test_five_rows_of_a_new_label_beside_one_common_label_are_not_a_drift(tmp_path: Path) -> None:
    """The pooled column kept under the rule (one common label): a 2 x 2 table tested by Fisher's exact test.

    Its chi-square p was 0.027 (DRIFT, V = 0.156 over the floor); R's ``fisher.test(matrix(c(100, 100, 0, 5), 2))``
    and the hypergeometric sum below give 0.0598.
    """
    reference, production = tmp_path / "r.jsonl", tmp_path / "p.jsonl"
    reference.write_text("".join(json.dumps({"c": "a"}) + "\n" for _ in range(100)), encoding="utf-8")
    production.write_text("".join(json.dumps({"c": v}) + "\n" for v in ["a"] * 100 + ["b"] * 5), encoding="utf-8")
    report = compute_drift(drift_config(reference=reference, production=production, categorical=["c"])).report
    (feature,) = report["features"]
    # 5 "b" rows among 205, 105 of them production: the tables no likelier than "all 5 in production"
    probs = [math.comb(105, k) * math.comb(100, 5 - k) / math.comb(205, 5) for k in range(6)]
    exact = sum(p for p in probs if p <= probs[5] * (1 + 1e-9))
    assert feature["test"] == "fisher_exact" and feature["p_value"] == pytest.approx(exact, rel=1e-9)
    assert f"{exact:.4f}" == "0.0598"
    assert report["drift"] is False, report["reason"]  # was: DRIFT 1 of 1 features drifted: c (p = 0.027)
