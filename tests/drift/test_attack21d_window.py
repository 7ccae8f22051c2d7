"""attack21d: a production window too small to show no drift is no verdict (exit 2), never "no drift" (exit 0).

k values give a distribution function (or shares) in steps of 1/k. With one production row, KS D is about 0.5 whatever
production is like, and only a value in the reference's far tails could be significant: "no feature drifted (1
tested)", exit 0, was a pass on nothing. A feature that did not drift on a side with fewer values than 1 / its effect
floor (10 at the default 0.1) is now skipped with the reason; a drift it shows still counts. Real files, real DuckDB.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatekit.drift.core import compute_drift, drift_config
from gatekit.errors import DatasetError


def _drift(reference: Path, production: Path, **features: list[str]) -> dict:
    return compute_drift(drift_config(reference=reference, production=production, **features)).report
def _gauss(path: Path, n: int, mean: float = 0.0, missing: int = 0) -> Path:
    import random  # (a fixed seed per size)

    rng = random.Random(n)
    rows = [{"x": rng.gauss(mean, 1.0)} for _ in range(n)] + [{"x": None}] * missing
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_a_one_row_window_is_no_verdict_not_no_drift(tmp_path: Path) -> None:
    """One production value against 300: D is about 0.5 whatever production is like, and only a value in the far tails
    could be significant; "no feature drifted (1 tested)", exit 0, was a pass on nothing."""
    with pytest.raises(DatasetError, match=r"x: too few values to show no drift \(1 in production\).*needs 10 a side"):
        _drift(_gauss(tmp_path / "r.jsonl", 300), _gauss(tmp_path / "p.jsonl", 1), numeric=["x"])


def test_a_small_window_with_missing_values_is_no_verdict_either(tmp_path: Path) -> None:
    """Its missing-rate test on 3 rows was the "tested" feature that let the window pass."""
    reference = _gauss(tmp_path / "r.jsonl", 300, missing=30)
    with pytest.raises(DatasetError, match=r"x.missing_rate: too few rows to show no drift \(3 in production\)"):
        _drift(reference, _gauss(tmp_path / "p.jsonl", 3), numeric=["x"])


def test_a_small_window_still_shows_a_drift(tmp_path: Path) -> None:
    """A drift is evidence whatever the size: 5 values far beyond the reference drift (exit 1), as before."""
    report = _drift(_gauss(tmp_path / "r.jsonl", 300), _gauss(tmp_path / "p.jsonl", 5, mean=50.0), numeric=["x"])
    assert report["drift"] is True and report["drifted"] == ["x"]


def test_ten_values_a_side_resolve_the_default_floor(tmp_path: Path) -> None:
    """Ten production values spread like the reference (every 30th of it): tested, no drift, exit 0."""
    reference = _gauss(tmp_path / "r.jsonl", 300)
    values = sorted(json.loads(line)["x"] for line in reference.read_text().splitlines())[15::30]
    production = tmp_path / "p.jsonl"
    production.write_text("".join(json.dumps({"x": v}) + "\n" for v in values), encoding="utf-8")
    report = _drift(reference, production, numeric=["x"])
    assert report["drift"] is False and [f["name"] for f in report["features"]] == ["x"]
    assert report["features"][0]["n_production"] == 10
    nine = tmp_path / "p9.jsonl"
    nine.write_text("".join(json.dumps({"x": v}) + "\n" for v in values[:9]), encoding="utf-8")
    with pytest.raises(DatasetError, match=r"too few values to show no drift \(9 in production\)"):
        _drift(reference, nine, numeric=["x"])
