"""attack23d: what counts as one label, as docs/drift.md says: a boolean is its JSON text; case and spaces count.

``true`` and ``"true"`` are one category (no drift between logs that write either), ``true`` is not ``1``, and
``Admin`` / ``admin `` are other labels than ``admin`` (compared as written). Real files, real DuckDB; p-values
against scipy's chi-square on the table written out by hand.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import chi2_contingency

from gatekit.drift.core import compute_drift, drift_config


def _feature(tmp_path: Path, reference: list[Any], production: list[Any]) -> dict:
    paths = []
    for name, values in (("r", reference), ("p", production)):
        path = tmp_path / f"{name}.jsonl"
        path.write_text("".join(json.dumps({"c": v}) + "\n" for v in values), encoding="utf-8")
        paths.append(path)
    report = compute_drift(drift_config(reference=paths[0], production=paths[1], categorical=["c"])).report
    (feature,) = report["features"]
    return feature


def test_a_boolean_and_its_text_are_one_label(tmp_path: Path) -> None:
    feature = _feature(tmp_path, [True] * 60 + [False] * 40, ["true"] * 60 + ["false"] * 40)
    assert feature["statistic"] == 0.0 and feature["p_value"] == 1.0 and not feature["new_categories"]


def test_a_boolean_is_not_a_number(tmp_path: Path) -> None:
    feature = _feature(tmp_path, [True] * 60 + [False] * 40, [1] * 60 + [0] * 40)
    assert sorted(feature["new_categories"]) == ["0", "1"] and sorted(feature["vanished_categories"]) == [
        "false",
        "true",
    ]
    assert feature["drifted"] is True


@pytest.mark.parametrize("variant", ["Admin", "admin ", "ADMIN"])
def test_case_and_spaces_make_another_label(tmp_path: Path, variant: str) -> None:
    feature = _feature(tmp_path, ["admin"] * 50 + ["user"] * 50, [variant] * 50 + ["user"] * 50)
    assert feature["new_categories"] == [variant] and feature["vanished_categories"] == ["admin"]
    expected = chi2_contingency([[50, 50, 0], [0, 50, 50]], correction=False)
    assert feature["p_value"] == pytest.approx(float(expected.pvalue), rel=1e-9) and feature["drifted"] is True
