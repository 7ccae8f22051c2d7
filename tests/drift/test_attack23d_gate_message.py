"""attack23d: the gate's passing drift check names the features it did not test.

A golden dataset has no latency or cost (without ``--reference-results``), so those features are skipped; the gate's
``drift`` check still read "production matches the golden dataset", a claim about features nobody compared. It now
says how many were not tested and which. Real files, real DuckDB, the gate's own summary.
"""

from __future__ import annotations

import json
from pathlib import Path

from gatekit.drift.publish import drift_check_for_gate
from gatekit.models import CheckStatus
from gatekit.pipeline.checks import drift_check


def test_a_passing_drift_check_says_what_was_not_tested(tmp_path: Path) -> None:
    golden = [{"id": f"c{i}", "input": "where is order " + "x" * (i % 30)} for i in range(200)]
    logs = [{"input": "where is order " + "x" * (i % 30), "latency_ms": 100 + i, "cost_usd": 0.001} for i in range(200)]
    reference, production = tmp_path / "golden.jsonl", tmp_path / "prod.jsonl"
    reference.write_text("".join(json.dumps(r) + "\n" for r in golden), encoding="utf-8")
    production.write_text("".join(json.dumps(r) + "\n" for r in logs), encoding="utf-8")
    summary = drift_check_for_gate(reference, production)
    skipped = [s["name"] for s in summary["skipped"]]
    assert summary["drift"] is False and {"latency_ms", "cost_usd"} <= set(skipped)
    check = drift_check(summary)
    assert check.status is CheckStatus.PASS
    assert check.message.startswith("production matches the golden dataset (")
    assert f"{len(skipped)} features not tested: " in check.message
    assert all(name in check.message for name in skipped), check.message
