"""The rollout rules file: strict YAML (unknown key, bad unit, bad one-line rule -> exit 2 naming file and line)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gatekit.canary.rules import default_rules, load_rules
from gatekit.errors import ConfigError

SCAFFOLD = Path(__file__).resolve().parents[2] / "gatekit" / "scaffold" / "thresholds" / "rollout.yaml"


def test_scaffold_rules_file_reads_with_both_rule_forms() -> None:
    rules = load_rules(SCAFFOLD)
    assert rules.window_seconds == 60 and rules.stages == [10, 50, 100]
    first, latency, deny, certain = rules.rollback
    assert (first.metric, first.op, first.threshold, first.for_windows) == ("error_rate", ">", 0.01, 5)
    assert (latency.metric, latency.threshold, latency.for_windows) == ("latency_p95_ms", 3000.0, 5)
    assert (deny.metric, deny.threshold, deny.for_windows, deny.min_requests) == ("deny_rate", 0.0, 1, 1)
    assert (certain.name, certain.bound, certain.threshold) == ("errors-certain", "wilson_lower", 0.05)
    metrics = rules.compare.metrics
    assert (metrics["latency_ms"].allowed_increase, metrics["latency_ms"].relative) == (0.1, True)
    assert (metrics["error_rate"].allowed_increase, metrics["error_rate"].critical) == (0.005, True)
    assert rules.next_stage(10) == 50 and rules.next_stage(100) is None


def test_default_rules_are_the_designs() -> None:
    names = [r.describe() for r in default_rules().rollback]
    assert names[0] == "error_rate > 0.01 for 5 consecutive window(s)"
    assert names[1] == "latency_p95_ms > 3000 for 5 consecutive window(s)"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("window: 1m\nwindwo: 2m\n", ":2: unknown key 'windwo'"),
        (
            "rollback:\n  - {metric: error_rate, threshold: 1%, for: 5, severity: high}\n",
            ":2: unknown key 'rollback.0.severity'",
        ),
        (
            "rollback:\n  - 'error_rate > 1% during 5 windows'\n",
            "write it as 'METRIC > VALUE for N consecutive windows'",
        ),
        ("rollback:\n  - 'errors > 1% for 5 windows'\n", "unknown metric 'errors'"),
        ("rollback:\n  - {metric: latency_p95_ms, threshold: 5%, for: 5}\n", "is a fraction, expected a duration"),
        (
            "rollback:\n  - {metric: latency_p95_ms, threshold: 3s, bound: wilson_lower}\n",
            "wilson_lower applies to rates",
        ),
        ("compare:\n  metrics:\n    error_rate: 10%\n", "percentage points"),
        ("compare:\n  metrics:\n    throughput: 10%\n", "unknown comparison metric 'throughput'"),
        ("stages: [50, 10]\n", "increasing percentages"),
        ("window: 1500ms\n", "whole seconds"),
        ('canary: "c\'; DROP TABLE x; --"\n', "canary"),
        ("window: 1m\nwindow: 2m\n", ":2: invalid YAML: duplicate key 'window'"),
        (
            "rollback:\n  - 'error_rate > 1% for 5 windows'\n  - 'error_rate > 1% for 5 windows'\n",
            "names must be unique",
        ),
    ],
)
def test_bad_rules_name_file_line_and_fix(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "rollout.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(path)
    message = str(info.value)
    assert message.startswith(str(path)) and expected in message and "\n" not in message


def test_missing_rules_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="rollout rules file not found"):
        load_rules(tmp_path / "nope.yaml")
