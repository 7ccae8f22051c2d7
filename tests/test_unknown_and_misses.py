"""Unknown token usage stays unknown (never 0); every missed expectation says what was missed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spine_project import make_project, run_cli

from gatekit.agents.base import normalise_response
from gatekit.metrics import MetricInputs, PriceTable, check_expectations, compute_metrics
from gatekit.models import CaseResult
from gatekit.replay import result_from_row

PRICES = PriceTable.model_validate({"models": {"m": {"input_per_1m": 1.0, "output_per_1m": 3.0}}})


@pytest.mark.parametrize("raw", ["plain text", {"output": "x"}, {"output": "x", "usage": {}}])
def test_absent_usage_is_none_not_zero(raw: object) -> None:
    assert normalise_response(raw).usage == {"input_tokens": None, "output_tokens": None}


def test_reported_zero_stays_zero() -> None:
    usage = normalise_response({"output": "x", "usage": {"prompt_tokens": 0, "completion_tokens": 7}}).usage
    assert usage == {"input_tokens": 0, "output_tokens": 7}


def test_price_of_unknown_tokens_is_unknown() -> None:
    assert PRICES.cost("m", None, 10) is None and PRICES.cost("m", 10, None) is None
    assert PRICES.cost("m", 0, 0) == 0.0


def _add(inputs: MetricInputs, tokens_in: int | None, tokens_out: int | None, ok: bool = True) -> None:
    inputs.add(
        ok=ok,
        latency_ms=10.0,
        attempts_ok=[ok],
        error_type=None if ok else "timeout",
        model="m",
        input_tokens=tokens_in,
        output_tokens=tokens_out,
        cost_usd=0.001,
        passed=None,
    )


def test_metrics_count_tokens_only_over_cases_that_reported_them() -> None:
    inputs = MetricInputs()
    _add(inputs, 100, 50)
    _add(inputs, None, None)
    _add(inputs, 30, None)
    m = compute_metrics(inputs)
    assert m["tokens_input"] == 130 and m["tokens_output"] == 50
    assert m["tokens_reported_cases"] == 1
    # not every success reported its tokens: a cost per token would be made up
    assert m["cost_per_1k_tokens_usd"] is None
    assert m["cost_total_usd"] == pytest.approx(0.003)


def test_metrics_with_no_reported_tokens_are_unknown() -> None:
    inputs = MetricInputs()
    _add(inputs, None, None)
    _add(inputs, None, None)
    m = compute_metrics(inputs)
    assert m["tokens_input"] is None and m["tokens_output"] is None
    assert m["tokens_reported_cases"] == 0


def test_misses_name_the_expected_call_and_what_the_agent_did() -> None:
    calls = [{"name": "get_order", "arguments": {"order_id": "W1"}}]
    expected = {
        "tool_calls": [
            {"name": "get_order", "arguments": {"order_id": "W2"}},
            {"name": "refund", "arguments": {"order_id": "W2"}},
        ],
        "output_contains": ["refund"],
        "output_not_contains": ["sorry"],
    }
    result = check_expectations(expected, "Sorry, no.", calls)
    assert result.passed is False
    assert result.misses == [
        'expected tool call "get_order" with {"order_id": "W2"}; called it with {"order_id": "W1"}',
        'expected tool call "refund" with {"order_id": "W2"}; not called (called: ["get_order"])',
        'output does not contain "refund"',
        'output contains "sorry" (expected not to)',
    ]
    assert check_expectations({"output_contains": ["no"]}, "Sorry, no.", []).misses == []
    assert check_expectations(None, "x", []).passed is None


def test_misses_survive_a_results_row_round_trip() -> None:
    result = CaseResult(
        case_id="c1", ok=True, attempts=[], passed=False, expectation_misses=['output does not contain "x"']
    )
    row = json.loads(json.dumps(result.to_dict()))
    assert row["expectation_misses"] == ['output does not contain "x"']
    assert result_from_row(row).expectation_misses == result.expectation_misses


@pytest.mark.slow
def test_gate_records_unknown_tokens_and_misses_end_to_end(tmp_path: Path) -> None:
    rows = [
        {
            "id": f"c{i}",
            "input": f"question {i}",
            "expected": {"tool_calls": [{"name": "get_order", "arguments": {"order_id": f"W{i}"}}]},
        }
        for i in range(3)
    ]
    root = make_project(tmp_path / "p", agent="python:spine_agents:plain_string", rows=rows)
    proc = run_cli(root, "eval", "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}")
    assert proc.returncode in (0, 1, 4), proc.stdout + proc.stderr
    out = root / "out"
    results = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert all(r["response"]["usage"] == {"input_tokens": None, "output_tokens": None} for r in results)
    assert results[0]["expectation_misses"] == [
        'expected tool call "get_order" with {"order_id": "W0"}; not called (no tool calls)'
    ]
    verdict = json.loads((out / "verdict.json").read_text())
    metrics = verdict["metrics"]
    assert metrics["tokens_input"] is None and metrics["tokens_output"] is None
    assert metrics["tokens_reported_cases"] == 0
    assert [r["expectation_misses"] for r in verdict["unpassed_cases"]] == [
        [m]
        for m in (
            f'expected tool call "get_order" with {{"order_id": "W{i}"}}; not called (no tool calls)' for i in range(3)
        )
    ]
    html = (out / "report.html").read_text()
    assert "tokens in / out<b>unknown / unknown</b>" in html
    assert "expected tool call &#34;get_order&#34; with {&#34;order_id&#34;: &#34;W1&#34;}" in html


def test_drift_skips_unknown_tokens_instead_of_finding_zeros(tmp_path: Path) -> None:
    # a ResponsesAgent reports no usage: its results rows carry null tokens, which must not
    # become a reference sample of zeros that "drifts" (D = 1.0) from production
    from gatekit.drift import check_drift

    golden = [{"id": f"c{i}", "input": f"question {'x' * (i % 17)}"} for i in range(60)]
    results = [
        CaseResult(case_id=g["id"], ok=True, attempts=[], latency_ms=100.0 + i, response=normalise_response("ok"))
        for i, g in enumerate(golden)
    ]
    production = [
        {"input": f"question {'x' * (i % 17)}", "latency_ms": 100.0 + i % 60, "usage": {"output_tokens": 40 + i % 9}}
        for i in range(300)
    ]
    ref = tmp_path / "golden.jsonl"
    ref.write_text("".join(json.dumps(g) + "\n" for g in golden), encoding="utf-8")
    res = tmp_path / "results.jsonl"
    res.write_text("".join(json.dumps(r.to_dict()) + "\n" for r in results), encoding="utf-8")
    prod = tmp_path / "prod.jsonl"
    prod.write_text("".join(json.dumps(p) + "\n" for p in production), encoding="utf-8")
    report = check_drift(ref, prod, reference_results=res, out=tmp_path / "out", log_to_mlflow=False).report
    tokens = [f for f in report["features"] if f["name"] == "output_tokens"]
    assert not tokens or not tokens[0]["drifted"]
    assert not any(f["name"] == "output_tokens" and f.get("n_reference") for f in report["features"])
