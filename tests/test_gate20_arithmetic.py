"""The gate's arithmetic fails closed: a metric over nothing is unknown (a failing check), never 0."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from conftest import REPO_ROOT
from spine_project import run_cli

from gatekit.metrics import MetricInputs, compute_metrics

FAILING_AGENT = """
def run(case_input, context=None):
    raise RuntimeError("the model endpoint is down")
"""


def _gate(root: Path, agent: str, cases: list[dict[str, Any]], checks: str, *args: str) -> tuple[Any, dict[str, Any]]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "agent_g20a.py").write_text(agent, encoding="utf-8")
    (root / "cases.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    (root / "th.yaml").write_text(f"min_cases: 1\nchecks:\n{checks}", encoding="utf-8")
    proc = run_cli(
        root,
        "eval",
        "--dataset",
        "cases.jsonl",
        "--agent",
        "python:agent_g20a:run",
        "--policy",
        str(REPO_ROOT / "policies" / "default.yaml"),
        "--thresholds",
        "th.yaml",
        "--out",
        "out",
        "--retries",
        "0",
        "--no-mlflow",
        *args,
        seed_mlflow=False,
    )
    return proc, json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))


def test_cost_and_governance_rates_of_a_run_where_every_call_failed_are_unknown(tmp_path: Path) -> None:
    cases = [{"id": f"c{i}", "input": "question"} for i in range(4)]
    checks = (
        "  cost_total_usd: {max: 1}\n  governance.deny_rate: {max: 5%}\n  governance.review_rate: {max: 5%}\n"
        "  tokens_input: {max: 1000}\n"
    )
    proc, verdict = _gate(tmp_path / "p", FAILING_AGENT, cases, checks)
    assert proc.returncode == 1
    by_name = {c["name"]: c for c in verdict["checks"]}
    # old code: cost_total_usd 0.0 and both rates 0.0, three passing checks over no cost and no decision
    for name in ("cost_total_usd", "governance.deny_rate", "governance.review_rate", "tokens_input"):
        assert by_name[name]["status"] == "fail" and by_name[name]["value"] is None, by_name[name]
        assert "no case" in by_name[name]["message"], by_name[name]
    assert verdict["metrics"]["cost_total_usd"] is None
    assert verdict["governance"]["deny_rate"] is None and verdict["governance"]["review_rate"] is None


SLOW_AGENT = """
import time


def run(case_input, context=None):
    if case_input == "slow":
        time.sleep(1.5)
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_cases_that_timed_out_are_not_left_out_of_the_latency_percentiles(tmp_path: Path) -> None:
    """3 of 40 cases time out: the p95 of the time to an answer is above the timeout, not the fast answers' p95."""
    cases = [{"id": f"c{i}", "input": "slow" if i < 3 else "fast"} for i in range(40)]
    checks = "  latency_p95_ms: {max: 2000ms}\n  latency_p50_ms: {max: 2000ms}\n  error_rate: {max: 10%}\n"
    proc, verdict = _gate(tmp_path / "p", SLOW_AGENT, cases, checks, "--timeout", "0.3")
    by_name = {c["name"]: c for c in verdict["checks"]}
    # old code: p95 of the 37 fast answers (a few ms), a pass, and the gate passed
    assert by_name["latency_p95_ms"]["status"] == "fail" and by_name["latency_p95_ms"]["value"] is None
    assert verdict["errors"]["by_type"] == {"timeout": 3}
    assert "3 of 40 cases timed out" in by_name["latency_p95_ms"]["message"]
    assert verdict["metrics"]["latency_max_ms"] is None and verdict["metrics"]["latency_mean_ms"] is None
    # the median does not reach them: it is measured
    assert by_name["latency_p50_ms"]["status"] == "pass" and by_name["latency_p50_ms"]["value"] < 2000
    assert verdict["verdict"] == "fail" and proc.returncode == 1


def test_a_timed_out_case_counts_as_slower_than_any_answer_by_hand() -> None:
    inputs = MetricInputs()
    for case_id, latency, ok in [("a", 100.0, True), ("b", 200.0, True), ("c", None, False), ("d", 400.0, True)]:
        inputs.add(
            ok=ok,
            latency_ms=latency,
            attempts_ok=[ok],
            error_type=None if ok else "timeout",
            model="m",
            input_tokens=1,
            output_tokens=1,
            cost_usd=0.0,
            passed=None,
            case_id=case_id,
        )
    m = compute_metrics(inputs)
    # sorted [100, 200, 400, inf]: p50 halfway between 200 and 400; p95 between 400 and inf (unknown)
    assert m["latency_p50_ms"] == 300.0
    assert m["latency_p95_ms"] is None and m["latency_mean_ms"] is None and m["latency_max_ms"] is None
    lo, hi = m["latency_p50_ms_ci"]
    assert lo == -math.inf and hi == math.inf  # 4 values: no 95% interval of the median either way


def test_a_check_that_asks_for_confidence_is_never_decided_by_the_value_alone() -> None:
    from gatekit.verdict import CheckSpec, evaluate_check

    check = evaluate_check("pass_rate", CheckSpec(min=0.75, confidence=0.95), 0.9, None, "")
    assert check.status.value == "inconclusive" and "no 95% interval" in check.message  # old: pass on 0.9


OK_AGENT = """
def run(case_input, context=None):
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_a_per_rule_rate_without_labelled_cases_says_why_it_is_unknown(tmp_path: Path) -> None:
    cases = [{"id": f"c{i}", "input": "question"} for i in range(3)]
    checks = "  governance.rule.retail-tools.false_positive_rate: {max: 5%}\n"
    proc, verdict = _gate(tmp_path / "p", OK_AGENT, cases, checks)
    (check,) = [c for c in verdict["checks"] if c["name"].startswith("governance.rule.")]
    assert check["status"] == "fail" and check["value"] is None
    assert "states `expected.governance`" in check["message"], check["message"]  # old: "metric could not be measured"
    assert proc.returncode == 1


def test_a_latency_regression_is_unknown_when_candidate_cases_timed_out() -> None:
    from gatekit.regression import regression_checks

    def row(case_id: str, latency: float | None, error_type: str | None = None) -> dict[str, Any]:
        return {"case_id": case_id, "ok": error_type is None, "latency_ms": latency, "error_type": error_type}

    baseline = [row(f"c{i}", 200.0 + i) for i in range(20)]
    # the candidate answers as fast, but 3 cases time out: left out, its p95 looked unchanged
    candidate = [row(f"c{i}", 200.0 + i) if i >= 3 else row(f"c{i}", None, "timeout") for i in range(20)]
    (check,) = regression_checks(candidate, baseline, {"latency_p95_ms": "10%"})
    assert check.status.value == "inconclusive" and check.value is None  # old: pass
    assert "3 of 20 paired cases timed out on the candidate" in check.message


SOMETIMES_FAILING_AGENT = """
def run(case_input, context=None):
    if case_input == "down":
        raise RuntimeError("the model endpoint is down")
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_governance_coverage_counts_the_cases_governance_never_judged(tmp_path: Path) -> None:
    """1 of 5 cases errored (not denied): governance judged 4 of the 5 planned, so coverage is 80 %, not 100 %."""
    cases = [{"id": f"c{i}", "input": "down" if i == 0 else "fine"} for i in range(5)]
    proc, verdict = _gate(tmp_path / "p", SOMETIMES_FAILING_AGENT, cases, "  governance.coverage: {min: 100%}\n")
    assert proc.returncode == 1, proc.stderr
    assert verdict["governance"]["coverage"] == 0.8  # old code: 1.0 (4 decisions over 4 decisions)
    (check,) = [c for c in verdict["checks"] if c["name"] == "governance.coverage"]
    assert check["status"] == "fail" and check["value"] == 0.8, check
    proc, verdict = _gate(tmp_path / "q", SLOW_AGENT, cases, "  governance.coverage: {min: 100%}\n")
    assert proc.returncode == 0 and verdict["governance"]["coverage"] == 1.0, proc.stderr


def test_a_regression_estimate_that_is_not_a_number_is_never_a_pass() -> None:
    from gatekit.models import CheckStatus
    from gatekit.regression import _judge

    nan = float("nan")
    assert _judge(nan, (nan, nan), 0.05) is CheckStatus.INCONCLUSIVE  # old code: PASS
    assert _judge(0.01, (nan, 0.02), 0.05) is CheckStatus.INCONCLUSIVE
    assert _judge(0.2, (0.1, math.inf), 0.05) is CheckStatus.FAIL  # a whole interval beyond the limit still fails
    assert _judge(0.01, (-0.01, 0.02), 0.05) is CheckStatus.PASS
