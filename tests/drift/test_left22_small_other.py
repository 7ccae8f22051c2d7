"""left22: a pooled ``(other)`` column kept under the expected-count rule is warned about.

The pooling rule keeps the ``(other)`` column when no other category is common enough to merge it into: with one
common category, a 2 x 2 table with an expected count of 2 was tested and reported (here p = 0.046, drifted at
alpha 0.05) with no word that Cochran's rule (expected count >= 5, ``rare_min_expected``) did not hold.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import chi2_contingency

from gatekit.drift.core import compute_drift, drift_config


def _write(path: Path, values: list[str]) -> str:
    rows = [{"schema_version": 1, "request_id": f"r{i}", "role": v} for i, v in enumerate(values)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return str(path)


def _drift(tmp_path: Path, reference: list[str], production: list[str]) -> Any:
    cfg = drift_config(
        reference=_write(tmp_path / "ref.jsonl", reference),
        production=_write(tmp_path / "prod.jsonl", production),
        categorical=["role"],
    )
    return compute_drift(cfg)


def test_a_small_pooled_column_beside_one_category_is_warned_about(tmp_path: Path) -> None:
    """A list feature (its chi-square gets the cluster correction) is still tested by chi-square there, and warned."""
    rows = [{"schema_version": 1, "request_id": f"r{i}", "tool_names": ["search"]} for i in range(1000)]
    (tmp_path / "ref.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    rows += [{"schema_version": 1, "request_id": f"x{k}", "tool_names": [f"rare-{k}"]} for k in "bcde"]
    (tmp_path / "prod.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    cfg = drift_config(
        reference=str(tmp_path / "ref.jsonl"), production=str(tmp_path / "prod.jsonl"), categorical=["tool_names"]
    )
    result = compute_drift(cfg)
    feature = next(f for f in result.report["features"] if f["name"] == "tool_names")
    table = [[1000.0, 0.0], [1000.0, 4.0]]  # search, (other)
    scipy = chi2_contingency(table, correction=False)
    assert feature["test"] == "chi2" and feature["design_effect"] == 1.0  # one call per request: Pearson's test
    assert feature["p_value"] == float(scipy.pvalue) and feature["statistic"] == float(scipy.statistic)
    assert float(scipy.expected_freq.min()) < 5 and feature["p_value"] < 0.05  # significant, on a table breaking the rule
    warned = [w for w in result.warnings if w.startswith("tool_names:")]
    assert len(warned) == 1, result.warnings
    assert "(other) column (4 rare categories pooled)" in warned[0] and "expected count of 2," in warned[0]
    assert "under 5" in warned[0] and warned[0] in result.report["warnings"]


def test_a_small_pooled_column_beside_one_label_gets_fishers_exact_p(tmp_path: Path) -> None:
    """attack23d: a single-valued feature's 2 x 2 table under the rule is tested exactly: p = 0.046 was 0.124."""
    reference = ["customer"] * 1000
    production = ["customer"] * 1000 + ["rare-b", "rare-c", "rare-d", "rare-e"]
    result = _drift(tmp_path, reference, production)
    feature = next(f for f in result.report["features"] if f["name"] == "role")
    # hypergeometric: 4 rare rows among 2004, 1004 of them production; tables no likelier than "all 4 in production"
    total = math.comb(2004, 4)
    probs = [math.comb(1004, k) * math.comb(1000, 4 - k) / total for k in range(5)]
    exact = sum(q for q in probs if q <= probs[4] * (1 + 1e-9))
    assert feature["test"] == "fisher_exact"
    assert feature["p_value"] == pytest.approx(exact, rel=1e-9) and 0.12 < exact < 0.13
    assert feature["statistic"] == float(chi2_contingency([[1000.0, 0.0], [1000.0, 4.0]], correction=False).statistic)
    assert not [w for w in result.warnings if w.startswith("role:")], result.warnings  # the p-value is exact now


def test_no_warning_when_every_tested_column_meets_the_rule(tmp_path: Path) -> None:
    reference = ["customer"] * 500 + ["agent"] * 500 + ["rare-a"]
    production = ["customer"] * 480 + ["agent"] * 520 + ["rare-b"]
    result = _drift(tmp_path, reference, production)
    assert not [w for w in result.warnings if w.startswith("role:")], result.warnings
