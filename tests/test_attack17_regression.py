"""attack17: a paired cost regression with unknown costs is not judged over the known cases only."""

from __future__ import annotations

from gatekit.regression import regression_checks


def _rows(costs: list[float | None], ok: bool = True) -> list[dict[str, object]]:
    return [{"case_id": f"c{i}", "ok": ok, "latency_ms": 100.0, "cost_usd": c} for i, c in enumerate(costs)]


def test_unknown_candidate_costs_make_a_cost_regression_inconclusive_not_a_pass() -> None:
    baseline = _rows([0.01] * 10)
    candidate = _rows([0.01] * 5 + [None] * 5)  # 5 successful calls of a model with no price
    checks = regression_checks(candidate, baseline, {"cost_total_usd": "$0.01", "cost_per_case_usd": "10%"})
    assert [c.status.value for c in checks] == ["inconclusive", "inconclusive"]  # both passed over the 5 known
    assert all(c.value is None and "cost unknown on 5 of 10 paired cases" in c.message for c in checks)


def test_unknown_baseline_costs_are_inconclusive_too() -> None:
    checks = regression_checks(_rows([0.01] * 10), _rows([None] + [0.01] * 9), {"cost_total_usd": "$0.01"})
    assert checks[0].status.value == "inconclusive" and "1 of 10" in checks[0].message


def test_known_costs_and_errored_cases_without_cost_are_still_compared() -> None:
    baseline = _rows([0.01] * 10)
    candidate = _rows([0.03] * 8) + [{"case_id": f"c{i}", "ok": False, "cost_usd": None} for i in (8, 9)]
    (check,) = regression_checks(candidate, baseline, {"cost_total_usd": "$0.01"})
    # an errored call has no response to price: left out, as in the cost metrics; 8 pairs at +$0.02 each
    assert check.status.value == "fail" and abs(check.value - 0.16) < 1e-12, check
    latency = regression_checks(_rows([None] * 10), baseline, {"latency_p95_ms": "10%"})[0]
    assert latency.status.value == "pass"  # latency does not need the cost


def test_a_latency_regression_says_how_many_paired_cases_had_no_latency() -> None:
    baseline = _rows([0.01] * 10)
    candidate = _rows([0.01] * 7) + [{"case_id": f"c{i}", "ok": False, "cost_usd": None} for i in (7, 8, 9)]
    (check,) = regression_checks(candidate, baseline, {"latency_p95_ms": "10%"})
    # three timeouts are not "as fast as before": the comparison over the other 7 says what it left out
    assert "paired bootstrap over 7 cases" in check.message
    assert "3 paired cases without latency on one side (errored) left out" in check.message
