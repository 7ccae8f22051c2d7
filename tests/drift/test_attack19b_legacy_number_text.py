"""attack19b: a legacy log (no ``schema_version``, converted in Python) reads numeric text by the engines' rule.

The production-log readers (DuckDB, Spark) take number text by ``NUMBER_TEXT``; the legacy conversion used
Python's ``float()``, which also reads "1_000" (1000), digits of other scripts ("١٢" is 12) and, as a time, "1_772_366_400".
The same values gave a latency of 1000 ms through one path and a refusal through the other. Now the legacy path
counts such text as non-numeric (missing, counted in ``production_non_numeric``), as its docs say of text that is no
number. Real files, real DuckDB.
"""

from __future__ import annotations

import json
from pathlib import Path

from gatekit.drift.core import compute_drift, drift_config


def test_legacy_number_text_follows_the_engines_rule(tmp_path: Path) -> None:
    reference = tmp_path / "reference.jsonl"
    production = tmp_path / "production.jsonl"
    values = [float(v) for v in range(100, 400)]
    reference.write_text("".join(json.dumps({"latency_ms": v}) + "\n" for v in values), encoding="utf-8")
    odd = ["1_000", "\u0661\u0662", "2_5"] * 10  # Python's float() read these as 1000, 12 and 25
    rows = [{"latency_ms": v} for v in values] + [{"latency_ms": v} for v in odd] + [{"latency_ms": " 250 "}]
    production.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    report = compute_drift(drift_config(reference=reference, production=production, numeric=["latency_ms"])).report
    (latency,) = [f for f in report["features"] if f["name"] == "latency_ms"]
    assert latency["production_non_numeric"] == 30
    assert latency["n_production"] == 301  # the 300 numbers and " 250 "; none of the 30 entered the KS test
