"""Governance summary of a run: outcome counts, rates, decision latency, counts by rule and OWASP id."""

from __future__ import annotations

import math
from typing import Any

from gatekit.fmt import noun
from gatekit.models import Decision, Outcome


def _percentile(sorted_values: list[float], q: float) -> float | None:
    """Linear-interpolated percentile (numpy's default method) of already sorted values."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * q
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return sorted_values[low]
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low)


def summarise(decisions: list[Decision], total_cases: int) -> dict[str, Any]:
    """Summarise ``decisions`` of a run of ``total_cases`` cases (rates are over evaluated cases)."""
    outcomes = {outcome.value: 0 for outcome in Outcome}
    by_rule: dict[str, dict[str, int]] = {}
    by_owasp: dict[str, int] = {}
    latencies: list[float] = []
    redactions: dict[str, int] = {}
    notes: dict[str, int] = {}
    for decision in decisions:
        for note in dict.fromkeys(decision.notes):
            notes[note] = notes.get(note, 0) + 1
        outcomes[decision.outcome.value] += 1
        latencies.append(float(decision.decision_latency_us))
        for kind, count in decision.redactions.items():
            redactions[kind] = redactions.get(kind, 0) + count
        seen_owasp: set[str] = set()
        seen_rules: set[tuple[str, str]] = set()  # a rule that fires twice in one case counts once
        for rule in decision.rules:
            seen_rules.add((str(rule["id"]), str(rule["outcome"])))
            seen_owasp.update(rule.get("owasp") or [])
        for rule_id, rule_outcome in seen_rules:
            per_rule = by_rule.setdefault(rule_id, {})
            per_rule[rule_outcome] = per_rule.get(rule_outcome, 0) + 1
        for category in seen_owasp:  # cases per OWASP category, not rule firings
            by_owasp[category] = by_owasp.get(category, 0) + 1
    evaluated = len(decisions)
    latencies.sort()
    p50 = _percentile(latencies, 0.50)
    p99 = _percentile(latencies, 0.99)
    return {
        "outcomes": outcomes,
        "evaluated": evaluated,
        "coverage": evaluated / total_cases if total_cases else 0.0,
        "deny_count": outcomes[Outcome.DENY.value],
        "deny_rate": outcomes[Outcome.DENY.value] / evaluated if evaluated else 0.0,
        "review_rate": outcomes[Outcome.REQUIRE_REVIEW.value] / evaluated if evaluated else 0.0,
        "redaction_rate": outcomes[Outcome.ALLOW_WITH_REDACTION.value] / evaluated if evaluated else 0.0,
        "decision_latency_p50_us": None if p50 is None else round(p50, 2),
        "decision_latency_p99_us": None if p99 is None else round(p99, 2),
        "redactions": dict(sorted(redactions.items())),
        "by_rule": {rule: dict(sorted(counts.items())) for rule, counts in sorted(by_rule.items())},
        "by_owasp": dict(sorted(by_owasp.items())),
        # checks not made, e.g. "token-budget: per_user_per_minute not evaluated: no timestamp" on N cases
        "notes": [
            {"note": note, "cases": count, "text": f"{note} ({_share(count, evaluated)})"}
            for note, count in sorted(notes.items())
        ],
    }


def _share(count: int, evaluated: int) -> str:
    cases = noun(evaluated, "case")
    return f"all {evaluated:,} {cases}" if count == evaluated else f"{count:,} of {evaluated:,} {cases}"
