"""attack23d: a list column named with ``--categorical`` gets the same cluster correction as the derived tool_names.

fix18d gave ``tool_names``' chi-square the Rao-Scott correction (a request's calls are one cluster), but only to the
derived feature. Named as docs/drift.md shows it (``--categorical tool_names`` on production-log files, or any list
column such as ``rules``), the engine counted every item and the test was plain Pearson on call counts: 31 of 40
seeded samples of ONE distribution (30 requests a side, 20 calls each, per-request tool mixes) drifted at q <= 0.05.
The design effect is checked against fix18d's numpy transcription of Rao & Scott (1987); real files, real DuckDB.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from scipy.stats import chi2, chi2_contingency

from drift.test_fix18d_tool_names_clusters import BASE, _numpy_delta, _side
from gatekit.drift.core import compute_drift, drift_config

NAMES = ["search", "lookup", "calc"]


def _write(path: Path, counts: np.ndarray, rng: np.random.Generator) -> Path:
    rows = []
    for i, row in enumerate(counts):
        calls = [name for name, k in zip(NAMES, row, strict=True) for _ in range(int(k))]
        rng.shuffle(calls)
        rows.append({"schema_version": 1, "request_id": f"{path.stem}{i}", "tool_names": calls})
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _named(tmp_path: Path, sides: list[np.ndarray], rng: np.random.Generator) -> dict:
    reference, production = (
        _write(tmp_path / f"{s}.jsonl", c, rng) for s, c in zip(("ref", "prod"), sides, strict=True)
    )
    report = compute_drift(drift_config(reference=reference, production=production, categorical=["tool_names"]))
    (feature,) = report.report["features"]
    return feature


def test_a_named_list_column_is_cluster_corrected(tmp_path: Path) -> None:
    rng = np.random.default_rng(11)
    same = [_side(rng, 60, 12, 1.0, BASE) for _ in range(2)]
    feature = _named(tmp_path, same, rng)
    delta = _numpy_delta(same)
    plain = chi2_contingency([side.sum(axis=0).tolist() for side in same], correction=False)
    assert feature["design_effect"] == pytest.approx(delta, rel=1e-9) and delta > 2  # was: no design effect at all
    assert feature["statistic_uncorrected"] == pytest.approx(float(plain.statistic), rel=1e-12)
    assert feature["statistic"] == pytest.approx(float(plain.statistic) / delta, rel=1e-9)
    assert feature["p_value"] == pytest.approx(float(chi2.sf(plain.statistic / delta, 2)), rel=1e-9)


def test_samples_of_one_distribution_rarely_drift_when_named(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    flagged = 0
    for _ in range(20):
        same = [_side(rng, 30, 20, 1.0, BASE) for _ in range(2)]
        flagged += _named(tmp_path, same, rng)["q_value"] <= 0.05
    # Binomial(20, 0.05): P(X >= 5) = 0.3 %; uncorrected, 15 or so of 20 were flagged
    assert flagged <= 4, flagged


def test_a_real_change_of_the_tool_mix_still_drifts_when_named(tmp_path: Path) -> None:
    rng = np.random.default_rng(6)
    changed = [_side(rng, 150, 12, 1.0, BASE), _side(rng, 150, 12, 1.0, np.array([0.2, 0.3, 0.5]))]
    feature = _named(tmp_path, changed, rng)
    assert feature["design_effect"] > 2 and feature["p_value"] < 1e-6 and feature["drifted"] is True


def test_spark_corrects_a_named_list_column_as_duckdb_does(tmp_path: Path, spark: Any) -> None:
    rng = np.random.default_rng(11)
    same = [_side(rng, 60, 12, 1.0, BASE) for _ in range(2)]
    reference, production = (
        _write(tmp_path / f"{s}.jsonl", c, rng) for s, c in zip(("ref", "prod"), same, strict=True)
    )
    got = {}
    for engine in ("duckdb", "spark"):
        cfg = drift_config(reference=reference, production=production, categorical=["tool_names"], engine=engine)
        (got[engine],) = compute_drift(cfg).report["features"]
    assert got["spark"]["design_effect"] == pytest.approx(_numpy_delta(same), rel=1e-9)
    for key in ("design_effect", "statistic", "p_value", "statistic_uncorrected"):
        assert got["spark"][key] == got["duckdb"][key], key
