"""attack17: ``--repeat K`` does not multiply the evidence: min_cases and intervals count distinct cases.

40 repeats of 3 cases passed ``min_cases: 20`` and ``error_rate {max: 10%, confidence: 0.95}`` (Wilson over
120 rows: upper 3.1 %), though a case that errs may err every time: 3 cases bound an error rate at 56 %.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from conftest import attack_gate, attack_project
from scipy.stats import binomtest

from gatekit.metrics import clustered_quantile_interval, quantile_interval, rate_interval, wilson_interval


def _wilson(k: int, n: int, level: float = 0.95) -> tuple[float, float]:
    ci = binomtest(k, n).proportion_ci(level, method="wilson")
    return ci.low, ci.high


def test_a_rate_over_repeats_takes_its_interval_from_the_distinct_cases() -> None:
    assert rate_interval(0, 120, 3) == wilson_interval(0, 3)
    assert all(math.isclose(a, b, abs_tol=1e-12) for a, b in zip(rate_interval(0, 120, 3), _wilson(0, 3), strict=True))
    assert all(math.isclose(a, b, abs_tol=1e-12) for a, b in zip(rate_interval(40, 120, 3), _wilson(1, 3), strict=True))
    assert rate_interval(7, 50, None) == wilson_interval(7, 50) == rate_interval(7, 50, 50)  # no repeats: unchanged
    assert rate_interval(0, 0, 0) is None


def test_a_quantile_over_repeats_takes_its_ranks_from_the_distinct_cases() -> None:
    values = [float(v) for v in range(1, 101)]
    assert clustered_quantile_interval(values, 0.95, None) == quantile_interval(values, 0.95)
    assert clustered_quantile_interval(values, 0.95, 100) == quantile_interval(values, 0.95)
    assert clustered_quantile_interval(values, 0.95, 10)[1] == math.inf  # 10 cases give a p95 no upper bound
    lo, hi = clustered_quantile_interval(values, 0.5, 20)  # ranks of 20 cases (6, 15) scaled by 5: 30 and 75
    assert (lo, hi) == (5.0 * 6, 5.0 * 15)
    assert lo <= quantile_interval(values, 0.5)[0] and hi >= quantile_interval(values, 0.5)[1]


def test_repeats_of_three_cases_do_not_pass_min_cases_or_a_confidence_check(tmp_path: Path) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)])
    (project / "th.yaml").write_text(
        "min_cases: 20\nchecks:\n  error_rate: {max: 10%, confidence: 0.95}\n", encoding="utf-8"
    )
    proc = attack_gate(project, "--no-mlflow", "--out", "out", "--repeat", "40", "--concurrency", "16")
    assert proc.returncode == 4, (proc.returncode, proc.stdout, proc.stderr)  # was 0: PASS
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert (verdict["metrics"]["cases"], verdict["metrics"]["distinct_cases"]) == (120, 3)
    checks = {c["name"]: c for c in verdict["checks"]}
    assert checks["min_cases"]["status"] == "inconclusive" and checks["min_cases"]["value"] == 3
    assert checks["error_rate"]["status"] == "inconclusive"
    assert math.isclose(checks["error_rate"]["interval"][1], _wilson(0, 3)[1], rel_tol=1e-9)
