"""Thresholds -> checks -> verdict, including the inconclusive rule."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from gatekit.errors import ConfigError
from gatekit.models import CheckStatus
from gatekit.verdict import CheckSpec, Thresholds, decide, load_thresholds, overall


def spec(**kw: object) -> CheckSpec:
    return CheckSpec.model_validate(kw)


def test_plain_max_and_min() -> None:
    t = Thresholds(checks={"latency_p95_ms": spec(max=2000), "pass_rate": spec(min=0.9)})
    checks = decide(t, {"cases": 10, "successes": 10, "latency_p95_ms": 2000.0, "pass_rate": 0.85})
    assert [(c.name, c.status) for c in checks] == [
        ("latency_p95_ms", CheckStatus.PASS),
        ("pass_rate", CheckStatus.FAIL),
        ("cases_succeeded", CheckStatus.PASS),
    ]
    assert overall(checks) == "fail"


def test_confidence_pass_fail_inconclusive() -> None:
    t = Thresholds(checks={"error_rate": spec(max=0.05, confidence=0.95)})
    assert (
        decide(t, {"cases": 9, "successes": 9, "error_rate": 0.01, "error_rate_ci": (0.0, 0.04)})[0].status
        is CheckStatus.PASS
    )
    assert (
        decide(t, {"cases": 9, "successes": 9, "error_rate": 0.2, "error_rate_ci": (0.06, 0.3)})[0].status
        is CheckStatus.FAIL
    )
    straddle = decide(t, {"cases": 9, "successes": 9, "error_rate": 0.01, "error_rate_ci": (0.0, 0.09)})
    assert straddle[0].status is CheckStatus.INCONCLUSIVE
    assert overall(straddle) == "inconclusive"


def test_unmeasured_metric_fails_closed_with_reason() -> None:
    t = Thresholds(checks={"cost_per_1k_tokens_usd": spec(max=0.05)})
    checks = decide(t, {"cases": 3, "cost_per_1k_tokens_usd": None}, {"cost_per_1k_tokens_usd": "no price for 'x'"})
    assert checks[0].status is CheckStatus.FAIL
    assert "no price for 'x'" in checks[0].message


def test_too_few_cases_is_inconclusive_and_fail_wins() -> None:
    t = Thresholds(min_cases=20, checks={"latency_p95_ms": spec(max=1)})
    checks = decide(t, {"cases": 5, "successes": 5, "latency_p95_ms": 0.5})
    assert overall(checks) == "inconclusive"
    checks = decide(t, {"cases": 5, "successes": 5, "latency_p95_ms": 5})
    assert overall(checks) == "fail"


def test_no_checks_is_a_fail_not_a_pass() -> None:
    assert overall([]) == "fail"


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"cases": 20, "successes": 0}, "all 20 cases ended in an error"),
        ({"cases": 0, "successes": 0}, "no case finished"),
        ({"cases": 3}, "unknown"),
    ],
)
def test_a_run_in_which_no_case_succeeded_fails_with_a_visible_check(values: dict, reason: str) -> None:
    # thresholds blind to errors (a deny count of 0 holds when nothing ran)
    t = Thresholds(min_cases=0, checks={"governance.deny_count": spec(max=0)})
    checks = decide(t, {**values, "governance.deny_count": 0})
    failed = [c for c in checks if c.status is CheckStatus.FAIL]
    assert [c.name for c in failed] == ["cases_succeeded"]
    assert reason in failed[0].message
    assert overall(checks) == "fail"


def test_load_thresholds_parses_units_and_names_unknown_keys(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text("checks:\n  latency_p95_ms: {max: 2s}\n  error_rate: {max: 1%, confidence: true}\n")
    t = load_thresholds(path)
    assert t.checks["latency_p95_ms"].max == 2000.0
    assert t.checks["error_rate"].max == 0.01 and t.checks["error_rate"].confidence == 0.95
    path.write_text("checks:\n  latency_p95_ms: {max: 2s}\n  latency_p96_ms: {max: 1}\n")
    with pytest.raises(ConfigError, match=r"t.yaml:3: unknown check 'latency_p96_ms'"):
        load_thresholds(path)
    path.write_text("min_cases: 3\nchecks:\n  error_rate: {max: 1%, maxx: 2}\n")
    with pytest.raises(ConfigError, match=r"t.yaml:3: unknown key 'checks.error_rate.maxx'"):
        load_thresholds(path)
    path.write_text("checks: [\n")
    with pytest.raises(ConfigError, match=r"invalid YAML"):
        load_thresholds(path)


def test_verdict_json_text_is_strict_json_with_non_finite_numbers_as_null() -> None:
    import json

    import numpy as np

    from gatekit.jsonio import to_json

    text = to_json({"cost": math.nan, "ci": (math.inf, -math.inf), "np": np.float32("nan"), "ok": [1, 0.5, "x"]})

    def refuse(constant: str) -> object:
        raise ValueError(constant)

    assert json.loads(text, parse_constant=refuse) == {
        "cost": None,
        "ci": [None, None],
        "np": None,
        "ok": [1, 0.5, "x"],
    }
