"""left22: a pooled ``(other)`` column kept under the expected-count rule is warned about.

The pooling rule keeps the ``(other)`` column when no other category is common enough to merge it into: with one
common category, a 2 x 2 table with an expected count of 2 was tested and reported (here p = 0.046, drifted at
alpha 0.05) with no word that Cochran's rule (expected count >= 5, ``rare_min_expected``) did not hold.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
    reference = ["customer"] * 1000
    production = ["customer"] * 1000 + ["rare-b", "rare-c", "rare-d", "rare-e"]
    result = _drift(tmp_path, reference, production)
    feature = next(f for f in result.report["features"] if f["name"] == "role")
    table = [[1000.0, 0.0], [1000.0, 4.0]]  # customer, (other)
    scipy = chi2_contingency(table, correction=False)
    assert feature["p_value"] == float(scipy.pvalue) and feature["statistic"] == float(scipy.statistic)
    assert float(scipy.expected_freq.min()) < 5 and feature["p_value"] < 0.05  # drifted, on a table breaking the rule
    warned = [w for w in result.warnings if w.startswith("role:")]
    assert len(warned) == 1, result.warnings
    assert "(other) column (4 rare categories pooled)" in warned[0] and "expected count of 2," in warned[0]
    assert "under 5" in warned[0] and warned[0] in result.report["warnings"]


def test_no_warning_when_every_tested_column_meets_the_rule(tmp_path: Path) -> None:
    reference = ["customer"] * 500 + ["agent"] * 500 + ["rare-a"]
    production = ["customer"] * 480 + ["agent"] * 520 + ["rare-b"]
    result = _drift(tmp_path, reference, production)
    assert not [w for w in result.warnings if w.startswith("role:")], result.warnings
