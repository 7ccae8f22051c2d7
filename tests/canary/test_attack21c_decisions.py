"""Red team 21c: canary decisions on little evidence, checked against statistics computed here (real DuckDB)."""

from __future__ import annotations

import math
from pathlib import Path
from statistics import NormalDist

from canary.traffic import minute_rows, now_after, traffic, write_jsonl
from gatekit.canary.core import analyse, parse_time
from gatekit.canary.engine import open_engine
from gatekit.canary.rules import load_rules


def _wilson(x: int, n: int, z: float) -> tuple[float, float]:
    centre = (x + z * z / 2) / (n + z * z)
    half = z / (n + z * z) * math.sqrt(x * (n - x) / n + z * z / 4)
    return max(0.0, centre - half), min(1.0, centre + half)


def _newcombe(x1: int, n1: int, x2: int, n2: int, confidence: float = 0.95) -> tuple[float, float, float]:
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    (l1, u1), (l2, u2) = _wilson(x1, n1, z), _wilson(x2, n2, z)
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    return d, d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def _judge(tmp_path: Path, rules: str, rows: list[dict[str, object]], minutes: int) -> dict[str, object]:
    path = write_jsonl(tmp_path / "production.jsonl", rows)
    rules_file = tmp_path / "rollout.yaml"
    rules_file.write_text(rules, encoding="utf-8")
    engine = open_engine(str(path))
    try:
        result = analyse(engine, load_rules(rules_file), stage=10, now_us=parse_time(now_after(minutes), "now"))
    finally:
        engine.close()
    return result.data


def test_an_estimate_above_the_allowance_is_inconclusive_not_a_pass(tmp_path: Path) -> None:
    """4 canary requests a minute for 5 minutes, 2 of 20 failed (baseline 0 of 20), 40 % slower: was promoted.

    Neither interval lies wholly above its allowance (too few requests to be sure), but both estimates do: the
    evidence leans to "worse than allowed", so the stage holds for more data (it was "within allowance; promote").
    """
    rules = (
        "min_requests: 4\nmin_windows: 5\ncompare:\n  min_requests: 10\n"
        "  metrics:\n    error_rate: 0.5pp\n    latency_ms: 10%\n"
    )
    rows = traffic(5, per_minute=4, canary=lambda m: {"error_rate": 0.25 if m < 2 else 0.0, "latency_scale": 1.4})
    data = _judge(tmp_path, rules, rows, 5)
    assert data["decision"] == "hold" and data["exit_code"] == 4 and data["next_stage"] is None
    errors = next(c for c in data["comparisons"] if c["metric"] == "error_rate")
    d, low, high = _newcombe(2, 20, 0, 20)  # computed here, independently of gatekit.canary.stats
    assert errors["difference"] == d == 0.1
    assert math.isclose(errors["interval"][0], low, abs_tol=1e-12) and math.isclose(errors["interval"][1], high)
    assert low < 0.005 < d  # the interval straddles the allowance, the estimate is above it
    assert errors["status"] == "insufficient" and errors["needed"]["canary"] > 0 and errors["needed"]["baseline"] > 0
    latency = next(c for c in data["comparisons"] if c["metric"] == "latency_ms")
    assert latency["status"] == "insufficient" and latency["interval"][0] < 0.10 < latency["difference"]
    reasons = " ".join(data["reasons"])
    assert "error_rate: " in reasons and "latency_ms: " in reasons and "inconclusive" in reasons
    assert data["needed_requests"]["canary"] >= errors["needed"]["canary"]


def test_a_clear_pass_and_a_clear_failure_are_still_decided(tmp_path: Path) -> None:
    """The estimate within the allowance passes (promote); the whole interval above it fails (rollback)."""
    rules = "min_requests: 20\nmin_windows: 5\ncompare:\n  min_requests: 100\n  metrics:\n    error_rate: 0.5pp\n"
    healthy = _judge(tmp_path, rules, traffic(10, per_minute=50), 10)
    assert healthy["decision"] == "promote"
    assert healthy["comparisons"][0]["status"] == "pass" and healthy["comparisons"][0]["difference"] == 0
    failing = _judge(tmp_path, rules, traffic(10, per_minute=50, canary=lambda m: {"error_rate": 0.2}), 10)
    d, low, _high = _newcombe(100, 500, 0, 500)
    assert failing["decision"] == "rollback" and failing["comparisons"][0]["status"] == "fail"
    assert math.isclose(failing["comparisons"][0]["interval"][0], low, abs_tol=1e-12) and low > 0.005


def test_a_rule_counts_only_the_requests_its_metric_is_computed_from(tmp_path: Path) -> None:
    """50 canary requests a minute, 48 with no governance outcome and no latency (no policy ran, not measured).

    The deny rate of the 2 governed requests and the p95 of 2 latencies were judged windows ("ok": min_requests 20
    counted every row), and the stage was promoted on them; those windows are no-data for those rules now.
    """
    rules = (
        "min_requests: 20\nmin_windows: 5\nrollback:\n  - 'deny_rate > 5% for 2 windows'\n"
        "  - 'latency_p95_ms > 2000 for 2 windows'\n  - 'error_rate > 5% for 2 windows'\n"
    )
    rows = []
    for m in range(6):
        rows += minute_rows(m, "baseline", 50)
        for k, row in enumerate(minute_rows(m, "canary", 50)):
            if k >= 2:
                row.update(outcome=None, enforced=None, latency_ms=None)
            rows.append(row)
    data = _judge(tmp_path, rules, rows, 6)
    assert data["decision"] == "hold" and data["exit_code"] == 4
    by_name = {r["metric"]: r for r in data["rules"]}
    assert by_name["deny_rate"]["no_data_windows"] == 6 and by_name["deny_rate"]["ok_windows"] == 0
    assert by_name["latency_p95_ms"]["no_data_windows"] == 6
    assert by_name["error_rate"]["ok_windows"] == 6  # every request counts for the error rate
    reasons = " ".join(data["reasons"])
    assert "requests with a governance outcome" in reasons and "requests with a latency_ms" in reasons
    # the same windows with every request governed and timed are judged (and promoted), as before
    timed = traffic(6, per_minute=50)
    assert _judge(tmp_path, rules, timed, 6)["decision"] == "promote"


def test_rows_without_a_request_id_copied_four_times_are_not_promoted(tmp_path: Path) -> None:
    """A log whose rows carry no request_id, the canary's shipped four times: copies could not be found (promote)."""
    rules = "min_requests: 20\nmin_windows: 5\nrollback:\n  - 'error_rate > 5% for 2 windows'\n"
    rows = traffic(10, per_minute=60)
    rows += [r for r in rows if r["variant"] == "canary"] * 3
    data = _judge(tmp_path, rules, [{**r, "request_id": None} for r in rows], 10)
    assert data["decision"] == "hold" and data["exit_code"] == 4
    assert data["duplicates"]["evident"] and data["duplicates"]["without_request_id"] == {
        "baseline": 600,
        "canary": 2400,
    }
    assert data["reasons"][0].startswith("inconclusive: rows without a request_id (600 of 600 'baseline', 2400 of 2400")
    # a few rows without an id (under the 20 % copies cannot be told from noise either) do not hold the stage
    some = [{**r, "request_id": None} if k % 20 == 0 else r for k, r in enumerate(traffic(10, per_minute=60))]
    judged = _judge(tmp_path, rules, some, 10)
    assert judged["decision"] == "promote" and not judged["duplicates"]["evident"]
    assert sum(judged["duplicates"]["without_request_id"].values()) == 60
