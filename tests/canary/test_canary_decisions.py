"""Canary decisions on generated minute-level traffic with known truth, on real DuckDB (and a local Spark session)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from canary.traffic import now_after, traffic, write_jsonl
from gatekit.canary.core import CanaryResult, analyse, parse_time
from gatekit.canary.engine import open_engine
from gatekit.canary.rules import RolloutRules, default_rules

MINUTES = 30


def judge(
    path: Path, rules: RolloutRules | None = None, *, engine: str = "duckdb", minutes: int = MINUTES, **kw: Any
) -> CanaryResult:
    eng = open_engine(str(path), engine, **kw)
    try:
        return analyse(eng, rules or default_rules(), stage=10, now_us=parse_time(now_after(minutes), "now"))
    finally:
        eng.close()


def spike(first: int, length: int, rate: float = 0.02) -> Any:
    return lambda m: {"error_rate": rate if first <= m < first + length else 0.0}


SCENARIOS: dict[str, dict[str, Any]] = {
    "healthy": {},
    "spike_6_minutes": {"canary": spike(10, 6)},
    "spike_4_minutes": {"canary": spike(10, 4)},
    "canary_30pct_slower": {"canary": lambda m: {"latency_scale": 1.30}},
    "canary_3pct_slower": {"canary": lambda m: {"latency_scale": 1.03}},
    "too_little_traffic": {"canary": lambda m: {"requests": 5}},
}


@pytest.fixture(scope="module")
def scenario_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("traffic")
    return {name: write_jsonl(root / f"{name}.jsonl", traffic(MINUTES, **opts)) for name, opts in SCENARIOS.items()}


def comparison(result: CanaryResult, metric: str) -> dict[str, Any]:
    return next(c for c in result.data["comparisons"] if c["metric"] == metric)


def test_healthy_canary_promotes_to_the_next_stage(scenario_files: dict[str, Path]) -> None:
    result = judge(scenario_files["healthy"])
    assert result.decision == "promote" and result.exit_code == 0
    assert result.data["next_stage"] == 50
    assert result.data["windows_total"] == MINUTES == result.data["windows_with_data"]
    assert all(c["status"] == "pass" for c in result.data["comparisons"])
    assert all(not r["fired"] and r["ok_windows"] == MINUTES for r in result.data["rules"])


def test_error_spike_for_six_minutes_rolls_back_naming_rule_and_first_window(scenario_files: dict[str, Path]) -> None:
    result = judge(scenario_files["spike_6_minutes"])
    assert result.decision == "rollback" and result.exit_code == 1
    block = result.data["rollback"]
    assert block["rule"] == "error_rate > 0.01 for 5"
    assert block["since"] == "2026-03-01T12:10:00Z"  # the first bad minute
    assert block["fired_at"] == "2026-03-01T12:14:00Z"  # the fifth
    assert block["windows"] == [f"2026-03-01T12:{m}:00Z" for m in range(10, 15)]
    rule = result.data["rules"][0]
    assert rule["longest_streak"] == 6 and rule["bad_windows"] == 6
    assert "since 2026-03-01T12:10:00Z" in result.data["reasons"][0]
    # the per-window error rate is the engine's count: exactly 4 errors of 200 in a spike minute
    spiked = result.data["windows"][10]["canary"]
    assert spiked["errors"] == 4 and spiked["error_rate"] == pytest.approx(0.02)


def test_same_spike_for_four_minutes_does_not_roll_back(scenario_files: dict[str, Path]) -> None:
    result = judge(scenario_files["spike_4_minutes"])
    assert result.decision == "promote", result.data["reasons"]
    rule = result.data["rules"][0]
    assert not rule["fired"] and rule["longest_streak"] == 4 and rule["current_streak"] == 0


def test_canary_30pct_slower_fails_the_comparison(scenario_files: dict[str, Path]) -> None:
    result = judge(scenario_files["canary_30pct_slower"])
    latency = comparison(result, "latency_ms")
    assert latency["status"] == "fail"
    low, high = latency["interval"]
    assert 0.1 < low < 0.30 < high  # the interval of the ratio minus one covers the true +30 %
    assert latency["p_value"] < 1e-10
    assert result.decision == "rollback" and "latency_ms" in result.data["reasons"][0]


def test_canary_3pct_slower_passes_the_comparison(scenario_files: dict[str, Path]) -> None:
    result = judge(scenario_files["canary_3pct_slower"])
    latency = comparison(result, "latency_ms")
    assert latency["status"] == "pass"
    assert latency["interval"][0] < 0.03 < latency["interval"][1] < 0.10
    assert result.decision == "promote"


def test_too_little_traffic_holds_and_says_how_much_more(scenario_files: dict[str, Path]) -> None:
    result = judge(scenario_files["too_little_traffic"])
    assert result.decision == "hold" and result.exit_code == 4
    assert result.data["windows_with_data"] == 0
    # every window has 5 canary requests (< min_requests 20): no-data for every rule, never 0 or ok
    assert all(r["no_data_windows"] == MINUTES and r["ok_windows"] == 0 for r in result.data["rules"][:2])
    needed = result.data["needed_requests"]
    assert needed["canary_windows"] == 5 and needed["canary"] == 500 - 5 * MINUTES
    assert any("350 more canary requests" in r for r in result.data["reasons"])


def test_windows_without_traffic_are_no_data_not_zeros(tmp_path: Path) -> None:
    # bad minutes 8-10, no traffic at all in 11-13, bad again 14-15: 5 bad windows with a gap of no data
    rows = traffic(
        MINUTES, canary=lambda m: {"error_rate": 0.05 if m in (8, 9, 10, 14, 15) else 0.0}, skip=range(11, 14)
    )
    path = write_jsonl(tmp_path / "gap.jsonl", rows)
    result = judge(path)
    gap = result.data["windows"][11]
    assert gap["start"] == "2026-03-01T12:11:00Z"
    assert gap["canary"]["requests"] == 0 and gap["baseline"]["requests"] == 0
    assert gap["canary"]["error_rate"] is None and gap["canary"]["latency_p95_ms"] is None  # unknown, not 0
    assert gap["canary"]["error_rate_interval"] is None
    assert gap["rule_states"]["error_rate > 0.01 for 5"] == "no_data"
    # by default no-data neither counts as bad nor resets: the streak runs across the gap
    assert result.decision == "rollback"
    assert result.data["rollback"]["since"] == "2026-03-01T12:08:00Z"
    assert result.data["rollback"]["fired_at"] == "2026-03-01T12:15:00Z"
    assert result.data["rules"][0]["no_data_windows"] == 3

    reset = RolloutRules.model_validate({**default_rules().model_dump(by_alias=True), "no_data": "reset"})
    assert judge(path, reset).data["rules"][0]["fired"] is False
    as_bad = RolloutRules.model_validate({**default_rules().model_dump(by_alias=True), "no_data": "bad"})
    strict = judge(path, as_bad).data  # Flagger's behaviour, as an option: a window without data is bad
    assert strict["rules"][0]["since"] == "2026-03-01T12:08:00Z"
    assert strict["rules"][0]["fired_at"] == "2026-03-01T12:12:00Z"
    assert strict["rollback"]["rule"] == "deny_rate > 0 for 1"  # the first window without traffic fires it
    assert strict["rollback"]["since"] == "2026-03-01T12:11:00Z"


def test_wilson_lower_bound_rule_needs_the_whole_interval_over_the_limit(tmp_path: Path) -> None:
    rules = RolloutRules.model_validate(
        {"rollback": [{"metric": "error_rate", "op": ">", "threshold": "1%", "for": 5, "bound": "wilson_lower"}]}
    )
    mild = write_jsonl(tmp_path / "mild.jsonl", traffic(MINUTES, canary=spike(10, 8, 0.02)))
    assert not judge(mild, rules).data["rules"][0]["fired"]  # 4/200: Wilson lower bound 0.78 % < 1 %
    heavy = write_jsonl(tmp_path / "heavy.jsonl", traffic(MINUTES, canary=spike(10, 8, 0.05)))
    fired = judge(heavy, rules).data["rollback"]
    assert fired is not None and fired["since"] == "2026-03-01T12:10:00Z"  # 10/200: lower bound 2.7 %


def test_one_deny_rolls_back_at_once(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "deny.jsonl", traffic(MINUTES, canary=lambda m: {"deny": 1 if m == 7 else 0}))
    result = judge(path)
    assert result.decision == "rollback"
    assert result.data["rollback"]["rule"] == "deny_rate > 0 for 1"
    assert result.data["rollback"]["windows"] == ["2026-03-01T12:07:00Z"]


def test_critical_metric_fails_the_stage_before_other_data_is_in(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "errors.jsonl", traffic(MINUTES, canary=lambda m: {"error_rate": 0.03}))
    base = {"rollback": [], "min_windows": 1000}
    critical = RolloutRules.model_validate(
        {**base, "compare": {"metrics": {"error_rate": {"allowed_increase": "0.5pp", "critical": True}}}}
    )
    result = judge(path, critical)
    assert result.decision == "rollback" and "critical metric error_rate" in result.data["reasons"][0]
    plain = RolloutRules.model_validate({**base, "compare": {"metrics": {"error_rate": "0.5pp"}}})
    assert judge(path, plain).decision == "hold"  # a non-critical failure waits for min_windows


def test_windows_after_now_and_the_partial_window_are_not_judged(scenario_files: dict[str, Path]) -> None:
    result = judge(scenario_files["spike_6_minutes"], minutes=12)  # now = 12:12: spike minutes 10, 11 only
    assert result.data["windows_total"] == 12 and result.data["rollback"] is None
    assert result.decision == "hold"  # two bad windows in a row: the rule may still fire
    assert any("2 bad window(s) in a row" in r for r in result.data["reasons"])


@pytest.mark.slow
def test_spark_reaches_the_same_decisions_as_duckdb(scenario_files: dict[str, Path], spark: Any) -> None:
    session = spark
    # the SQL text is the same on both engines; these scenarios take every path (promote, rollback, comparison
    # failure, hold on thin traffic); the other two repeat them with other numbers
    for name in ("healthy", "spike_6_minutes", "canary_30pct_slower", "too_little_traffic"):
        path = scenario_files[name]
        duck = judge(path).data
        spark = judge(path, engine="spark", spark=session).data
        assert spark["engine"] == "spark"
        assert (spark["decision"], spark["next_stage"], spark["rollback"]) == (
            duck["decision"], duck["next_stage"], duck["rollback"],
        ), name  # fmt: skip
        assert len(spark["windows"]) == len(duck["windows"]), name
        for a_w, b_w in zip(spark["windows"], duck["windows"], strict=True):
            assert a_w["start"] == b_w["start"] and a_w["rule_states"] == b_w["rule_states"], name
            for side in ("baseline", "canary"):  # sums of floats may differ in the last bits between engines
                for key, value in b_w[side].items():
                    assert a_w[side][key] == (value if value is None else pytest.approx(value, rel=1e-9)), (name, key)
        for a, b in zip(spark["comparisons"], duck["comparisons"], strict=True):
            assert (a["metric"], a["status"], a["n_canary"], a["n_baseline"]) == (
                b["metric"], b["status"], b["n_canary"], b["n_baseline"],
            ), name  # fmt: skip
            assert a.get("p_value") == pytest.approx(b.get("p_value"), rel=1e-9, abs=1e-300), name
            if a["status"] != "insufficient":
                assert a["interval"] == pytest.approx(b["interval"], rel=1e-9, abs=1e-12), name


def test_large_samples_are_hashed_down_to_the_limit_with_mann_whitney_over_every_row(
    scenario_files: dict[str, Path],
) -> None:
    rules = default_rules()
    rules.compare.sample_limit = 1000
    result = judge(scenario_files["canary_30pct_slower"], rules)
    full = judge(scenario_files["canary_30pct_slower"])
    small, exact = comparison(result, "latency_ms"), comparison(full, "latency_ms")
    assert small["sampled"] and not exact["sampled"]
    assert max(small["sample_sizes"]) <= 1000 and min(small["sample_sizes"]) >= 800
    assert small["p_value"] == exact["p_value"] and small["n_canary"] == 6000  # the rank test saw every row
    assert small["status"] == "fail" and small["interval"][0] > 0.1  # the wider sampled interval still decides
    assert exact["interval"][1] - exact["interval"][0] < small["interval"][1] - small["interval"][0]
    assert "hash sample of" in small["reason"]


def test_a_canary_that_stops_receiving_traffic_holds(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "stopped.jsonl", traffic(MINUTES, canary=lambda m: {"requests": 200 if m < 20 else 0})
    )
    result = judge(path)
    assert result.decision == "hold" and result.data["trailing_no_data_windows"] == 10
    assert any("stopped receiving traffic" in r for r in result.data["reasons"])
    short = write_jsonl(tmp_path / "short.jsonl", traffic(MINUTES, canary=lambda m: {"requests": 200 if m < 27 else 0}))
    assert judge(short).decision == "promote"  # three quiet minutes (< min_windows) do not block
