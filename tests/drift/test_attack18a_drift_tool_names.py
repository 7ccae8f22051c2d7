"""attack18a: the chi-square of ``tool_names`` counts every tool call as an independent observation.

Calls of one request are not independent (an agent that searches once tends to search again). With 30
requests a side drawn from ONE distribution (each request makes 20 calls of one tool, search or lookup at
50 %), ``tool_names`` was flagged as drifted in 19 of 40 samples, where a valid test at alpha 0.05
(with the effect floor on top) flags at most about 1 in 20. fix18d: the engines return per-request sums
(``cluster_sums``) and the chi-square gets the Rao-Scott first-order (design-effect) correction: 0 of 40.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from gatekit.drift.core import compute_drift, drift_config

RUNS = 40


def test_tool_names_of_one_distribution_are_rarely_called_drifted(tmp_path: Path) -> None:
    rng = np.random.default_rng(5)
    drifted = 0
    for _ in range(RUNS):
        for side in ("ref", "prod"):
            rows = [
                {"id": f"{side}{i}", "input": "q", "tool_calls": [{"name": str(rng.choice(["search", "lookup"]))}] * 20}
                for i in range(30)
            ]
            (tmp_path / f"{side}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        report = compute_drift(drift_config(reference=tmp_path / "ref.jsonl", production=tmp_path / "prod.jsonl")).report
        (tools,) = [f for f in report["features"] if f["name"] == "tool_names"]
        assert tools["n_reference"] == tools["n_production"] == 600  # calls, not requests
        drifted += tools["drifted"]
    # a valid test (requests as the units) flags about 1 % here (D >= 0.35 needed): binomial(40, 0.05): P(X >= 6)
    # = 0.014; measured with calls as the units: 19 of 40
    assert drifted <= 5, f"tool_names drifted in {drifted} of {RUNS} samples of one distribution"
