"""attack17: the numbers behind the verdict at tiny n, checked against scipy.stats."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project
from scipy.stats import binom

from gatekit.metrics import quantile_interval
from gatekit.pipeline.model import CheckResult, Verdict
from gatekit.verdict import CheckSpec, evaluate_check


@pytest.mark.parametrize("n", [1, 2, 3, 5, 10, 59, 71, 72, 100])
@pytest.mark.parametrize("q", [0.5, 0.95, 0.99])
def test_a_quantile_interval_has_an_open_end_where_the_binomial_rank_leaves_the_sample(n: int, q: float) -> None:
    values = [float(k) for k in range(1, n + 1)]  # the k-th order statistic is k
    lo, hi = quantile_interval(values, q, 0.95)
    lo_rank = int(binom.ppf(0.025, n, q))  # scipy, independently of gatekit's bisection
    hi_rank = int(binom.ppf(0.975, n, q)) + 1
    assert lo == (float(lo_rank) if lo_rank >= 1 else -math.inf), (n, q, lo)
    assert hi == (float(hi_rank) if hi_rank <= n else math.inf), (n, q, hi)


def test_the_upper_bound_of_p95_opens_below_72_cases() -> None:
    # P(max of n values < p95) = 0.95**n must be <= 2.5 % for the maximum to bound the p95 at 95 %
    assert 0.95**71 > 0.025 >= 0.95**72
    assert quantile_interval([10.0] * 71, 0.95)[1] == math.inf
    assert quantile_interval([10.0] * 72, 0.95)[1] == 10.0
    assert quantile_interval([7.0], 0.5) == (-math.inf, math.inf)


def test_a_confidence_check_on_three_cases_is_inconclusive_never_a_pass() -> None:
    spec = CheckSpec(max=1000.0, confidence=0.95)
    values = [50.0, 51.0, 52.0]
    check = evaluate_check("latency_p95_ms", spec, 51.9, quantile_interval(values, 0.95), "")
    assert check.status.value == "inconclusive", check
    assert "inf" in check.message
    # the whole interval beyond the limit still fails, with an open upper end
    check = evaluate_check("latency_p95_ms", CheckSpec(max=10.0, confidence=0.95), 51.9, (50.0, math.inf), "")
    assert check.status.value == "fail"


def test_an_open_end_is_null_in_verdict_json_and_reads_back() -> None:
    result = CheckResult(
        name="latency_p95_ms",
        value=51.9,
        limit=1000.0,
        op="<=",
        interval=(50.0, math.inf),
        status="inconclusive",
        unit="ms",
    )
    assert result.interval == (50.0, None)
    assert result.straddles
    assert result.to_check().interval == (50.0, math.inf)
    assert CheckResult.model_validate_json(result.model_dump_json()).interval == (50.0, None)


def test_three_fast_cases_do_not_pass_a_p95_confidence_check_end_to_end(tmp_path: Path) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)])
    (project / "th.yaml").write_text(
        "min_cases: 1\nchecks:\n  latency_p95_ms: {max: 60s, confidence: 0.95}\n", encoding="utf-8"
    )
    proc = attack_gate(project, "--no-mlflow", "--out", "out")
    assert proc.returncode == 4, (
        proc.returncode,
        proc.stdout,
        proc.stderr,
    )  # was 0: PASS on a [x, max] "95 %" interval
    raw = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    check = next(c for c in raw["checks"] if c["name"] == "latency_p95_ms")
    assert check["status"] == "inconclusive"
    assert check["interval"][1] is None and isinstance(check["interval"][0], float)
    assert raw["metrics"]["latency_p95_ms_ci"][1] is None
    verdict = Verdict.from_file(project / "out" / "verdict.json")
    assert verdict.verdict == "inconclusive"
    html = (project / "out" / "report.html").read_text(encoding="utf-8")
    assert "∞]" in html
