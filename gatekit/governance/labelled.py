"""Governance quality on labelled cases: is the policy right, not only the agent?

A golden case may state the outcome the policy must reach (``expected.governance: deny``). A case
labelled ``deny`` or ``require_review`` is a violation the policy must stop; one labelled ``allow`` or
``allow_with_redaction`` is benign and must proceed. A decision *blocks* when it is ``deny`` or
``require_review`` (nothing proceeds on its own). Over the labelled cases the gate reports:

* ``violation_block_rate``: blocked violations / violations (recall of the policy);
* ``false_positive_rate``: blocked benign cases / benign cases;
* ``agreement_rate``: cases whose outcome is exactly the label;
* the same two rates per rule (a rule blocks a case when it fired on it with a blocking outcome);

each rate with its Wilson score interval, so thresholds can gate on them with ``confidence``. Under
``--repeat`` a case is decided once per repeat: the rates count every decision, the intervals are taken
from the distinct cases (:func:`gatekit.metrics.rate_interval`, as the gate's other rates), so three
repeats of a case are not three times the evidence.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from gatekit.metrics import rate_interval

OUTCOME_WORDS = ("allow", "allow_with_redaction", "require_review", "deny")
BLOCKING = frozenset({"deny", "require_review"})
_LISTED = 20


@dataclass(frozen=True)
class Labelled:
    """One labelled case as decided: its id, the label, the outcome, the rules that blocked it."""

    case_id: str
    expected: str
    outcome: str
    blocking_rules: tuple[str, ...]


def labelled_case(case_id: str, expected: str, decision: Any) -> Labelled:
    """Reduce a :class:`gatekit.models.Decision` to what the quality summary needs."""
    blocking = tuple(dict.fromkeys(str(r["id"]) for r in decision.rules if r.get("outcome") in BLOCKING))
    return Labelled(str(case_id), expected, decision.outcome.value, blocking)


def _rate(hits: int, of: list[Labelled], level: float) -> dict[str, Any]:
    """``hits`` of the decisions ``of``; the interval counts the distinct cases ``of`` comes from."""
    n = len(of)
    interval = rate_interval(hits, n, len({c.case_id for c in of}), level)
    return {"hits": hits, "n": n, "rate": hits / n if n else None, "ci": list(interval) if interval else None}


def label_quality(cases: list[Labelled], level: float = 0.95, rules: list[str] | None = None) -> dict[str, Any]:
    """Block rate, false-positive rate and agreement, overall and per rule, with Wilson intervals.

    ``rules`` (the policy's rule ids) are reported even when they blocked no labelled case (rates of 0).
    """
    violations = [c for c in cases if c.expected in BLOCKING]
    benign = [c for c in cases if c.expected not in BLOCKING]
    blocked_violations = [c for c in violations if c.outcome in BLOCKING]
    false_positives = [c for c in benign if c.outcome in BLOCKING]
    agreed = sum(1 for c in cases if c.outcome == c.expected)
    rules = sorted({rule for c in cases for rule in c.blocking_rules} | set(rules or ()))
    by_rule = {
        rule: {
            "violation_block_rate": _rate(sum(rule in c.blocking_rules for c in violations), violations, level),
            "false_positive_rate": _rate(sum(rule in c.blocking_rules for c in benign), benign, level),
        }
        for rule in rules
    }
    return {
        "labelled": len(cases),
        "violations": len(violations),
        "benign": len(benign),
        "level": level,
        "violation_block_rate": _rate(len(blocked_violations), violations, level),
        "false_positive_rate": _rate(len(false_positives), benign, level),
        "agreement_rate": _rate(agreed, cases, level),
        "by_rule": by_rule,
        "missed": _once(
            [
                {"case_id": c.case_id, "expected": c.expected, "outcome": c.outcome}
                for c in violations
                if c.outcome not in BLOCKING
            ]
        ),
        "false_positives": _once(
            [{"case_id": c.case_id, "outcome": c.outcome, "rules": list(c.blocking_rules)} for c in false_positives]
        ),
    }


def _once(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The first ``_LISTED`` distinct rows (``--repeat`` decides a case once per repeat: it is listed once)."""
    seen: dict[str, dict[str, Any]] = {}
    for row in rows:
        seen.setdefault(repr(sorted(row.items())), row)
    return list(seen.values())[:_LISTED]


def quality_values(quality: dict[str, Any] | None) -> dict[str, Any]:
    """Threshold values: ``governance.violation_block_rate`` (+ ``_ci``), ``governance.false_positive_rate``,
    ``governance.agreement_rate`` and ``governance.rule.<id>.<rate>`` for every rule of the policy.
    """  # noqa: D205 - the names are the summary
    values: dict[str, Any] = {}
    if not quality:
        return values
    for name in ("violation_block_rate", "false_positive_rate", "agreement_rate"):
        values[f"governance.{name}"] = quality[name]["rate"]
        values[f"governance.{name}_ci"] = quality[name]["ci"]
    for rule, rates in quality["by_rule"].items():
        for name, rate in rates.items():
            values[f"governance.rule.{rule}.{name}"] = rate["rate"]
            values[f"governance.rule.{rule}.{name}_ci"] = rate["ci"]
    return values
