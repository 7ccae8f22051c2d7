"""attack18a: "too few values to detect drift" holds at every alpha, not only at 0.05.

The rule (attack17) skipped a numeric feature when even completely separated samples give KS p > alpha, but
only looked when both sides together had at most 64 values, a bound right for alpha 0.05 alone. With
``alpha: 0.01`` one production value against 150 reference values (best possible p = 2/151 = 0.013) was
tested and passed as "no drift".
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scipy.stats import ks_2samp

from gatekit.drift.config import DriftConfig
from gatekit.drift.core import _ks_powerless, compute_drift, drift_config
from gatekit.errors import DatasetError


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.001])
@pytest.mark.parametrize(("n", "m"), [(1, 39), (1, 40), (1, 150), (1, 2500), (2, 30), (2, 60), (3, 20), (5, 5)])
def test_powerless_exactly_when_complete_separation_is_not_significant(n: int, m: int, alpha: float) -> None:
    separated = ks_2samp([float(i) for i in range(n)], [1e6 + i for i in range(m)], method="exact").pvalue
    assert _ks_powerless(n, m, alpha) == (separated > alpha), (n, m, alpha, separated)


def test_one_production_value_at_alpha_one_percent_is_no_pass(tmp_path: Path) -> None:
    (tmp_path / "ref.jsonl").write_text("".join(json.dumps({"x": float(i)}) + "\n" for i in range(150)))
    (tmp_path / "prod.jsonl").write_text(json.dumps({"x": 75.0}) + "\n")
    cfg = drift_config(DriftConfig(alpha=0.01), reference=tmp_path / "ref.jsonl", production=tmp_path / "prod.jsonl",
                       numeric=["x"])  # fmt: skip
    with pytest.raises(DatasetError, match=r"too few values to detect drift \(150 reference, 1 production\)"):
        compute_drift(cfg)  # was: NO DRIFT, exit 0
