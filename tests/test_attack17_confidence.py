"""attack17: a check's ``confidence`` is the level of the interval that decides it (it was always 95%)."""

from __future__ import annotations

import json
import math
from pathlib import Path

from conftest import attack_gate, attack_project, one_line_exit_2
from scipy.stats import binomtest


def _run(tmp_path: Path, cases: int, check: str) -> dict:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(cases)])
    (project / "th.yaml").write_text(f"min_cases: 1\nchecks:\n  {check}\n", encoding="utf-8")
    proc = attack_gate(project, "--no-mlflow", "--out", "out")
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    verdict["exit"] = proc.returncode
    return verdict


def test_a_99_percent_error_rate_check_is_judged_on_the_99_percent_wilson_interval(tmp_path: Path) -> None:
    verdict = _run(tmp_path, 45, "error_rate: {max: 10%, confidence: 0.99}")
    check = next(c for c in verdict["checks"] if c["name"] == "error_rate")
    upper99 = binomtest(0, 45).proportion_ci(0.99, method="wilson").high  # 0.1285: above the 10 % limit
    upper95 = binomtest(0, 45).proportion_ci(0.95, method="wilson").high  # 0.0786: the interval that was used
    assert upper95 < 0.10 < upper99
    assert math.isclose(check["interval"][1], upper99, rel_tol=1e-9), check
    assert check["status"] == "inconclusive" and verdict["verdict"] == "inconclusive", check  # was PASS
    assert verdict["exit"] == 4
    assert "99% interval" in check["message"]
    # the metrics block keeps its 95 % interval
    assert math.isclose(verdict["metrics"]["error_rate_ci"][1], upper95, rel_tol=1e-9)


def test_a_90_percent_p95_check_takes_its_ranks_at_90_percent(tmp_path: Path) -> None:
    # 60 values bound a p95 at 90 % (P(max < p95) = 0.95**60 = 4.6 % <= 5 %) but not at 95 % (needs 72)
    verdict = _run(tmp_path, 60, "latency_p95_ms: {max: 60s, confidence: 0.90}")
    check = next(c for c in verdict["checks"] if c["name"] == "latency_p95_ms")
    assert check["status"] == "pass" and verdict["exit"] == 0, check
    assert check["interval"][1] is not None and check["interval"][1] <= 60_000
    assert verdict["metrics"]["latency_p95_ms_ci"][1] is None  # the 95 % interval is open above


def test_confidence_on_a_metric_without_an_interval_is_refused_not_decided_by_its_value(tmp_path: Path) -> None:
    # cost_per_case_usd has no interval: with confidence it passed on its value, as if 95 % sure
    project = attack_project(tmp_path, [json.dumps({"id": "c0", "input": "hi"})])
    (project / "th.yaml").write_text(
        "min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n  cost_per_case_usd:\n    max: 0.01\n    confidence: 0.95\n",
        encoding="utf-8",
    )
    line = one_line_exit_2(attack_gate(project, "--no-mlflow", "--out", "out"))
    assert "th.yaml:6" in line and "cost_per_case_usd has no interval" in line and "remove 'confidence'" in line
    assert not (project / "out" / "verdict.json").exists()
