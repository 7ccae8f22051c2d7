"""Aggregate governance decisions into the ``governance`` block of verdict.json."""

from __future__ import annotations

from typing import Any

from gatekit.metrics import percentile
from gatekit.models import Decision, Outcome


def summarise(decisions: list[Decision], total_cases: int) -> dict[str, Any]:
    """Count outcomes overall, by rule and by OWASP category; coverage and decision latency."""
    outcomes = {o.value: 0 for o in Outcome}
    by_rule: dict[str, dict[str, int]] = {}
    by_owasp: dict[str, int] = {}
    latencies = []
    for decision in decisions:
        outcomes[decision.outcome.value] += 1
        latencies.append(decision.decision_latency_us)
        for rule in decision.rules:
            rule_id = str(rule.get("id", "?"))
            outcome = str(rule.get("outcome", "?"))
            counts = by_rule.setdefault(rule_id, {})
            counts[outcome] = counts.get(outcome, 0) + 1
            for category in rule.get("owasp") or []:
                by_owasp[str(category)] = by_owasp.get(str(category), 0) + 1
    evaluated = len(decisions)
    return {
        "outcomes": outcomes,
        "evaluated": evaluated,
        "coverage": (evaluated / total_cases) if total_cases else None,
        "deny_count": outcomes[Outcome.DENY.value],
        "deny_rate": (outcomes[Outcome.DENY.value] / evaluated) if evaluated else None,
        "review_rate": (outcomes[Outcome.REQUIRE_REVIEW.value] / evaluated) if evaluated else None,
        "decision_latency_p50_us": percentile(latencies, 0.5),
        "decision_latency_p99_us": percentile(latencies, 0.99),
        "by_rule": by_rule,
        "by_owasp": by_owasp,
    }
