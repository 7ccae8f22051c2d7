"""attack18a: what the KS p-value is on tied data, as docs/drift.md now says.

The p-value is scipy's exact one (continuous data). On heavily tied data it is conservative: never below the
exact permutation p-value given the ties, here about 6 times above it. Checked on the real engine, against
scipy and against the hypergeometric permutation distribution computed independently.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy.stats import hypergeom, ks_2samp

from gatekit.drift.core import compute_drift, drift_config

REF = [0.0] * 50 + [1.0] * 50
PROD = [0.0] * 30 + [1.0] * 70


def _permutation_p(ref: list[float], prod: list[float], d_obs: float) -> float:
    """P(D >= d_obs) over all splits of these 0/1 values into the two sample sizes (D = |share of 1s apart|)."""
    n, m, ones = len(ref), len(prod), int(sum(ref) + sum(prod))
    return float(
        sum(hypergeom.pmf(k, n + m, ones, n) for k in range(n + 1) if abs(k / n - (ones - k) / m) >= d_obs - 1e-12)
    )


def test_tied_binary_feature_p_is_scipys_and_conservative(tmp_path: Path) -> None:
    for name, values in (("ref", REF), ("prod", PROD)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps({"n": v}) + "\n" for v in values))
    report = compute_drift(
        drift_config(reference=tmp_path / "ref.jsonl", production=tmp_path / "prod.jsonl", numeric=["n"])
    ).report
    (feature,) = report["features"]
    scipy_p = ks_2samp(REF, PROD, method="exact").pvalue
    exact_with_ties = _permutation_p(REF, PROD, 0.2)
    assert feature["statistic"] == pytest.approx(0.2, abs=1e-15) and feature["method"] == "exact"
    assert feature["p_value"] == pytest.approx(scipy_p, rel=1e-12) == pytest.approx(0.0363842878749, rel=1e-9)
    assert exact_with_ties == pytest.approx(0.0059373411660, rel=1e-9)  # the value docs/drift.md quotes
    assert feature["p_value"] >= exact_with_ties  # conservative: too little drift is flagged, never too much
