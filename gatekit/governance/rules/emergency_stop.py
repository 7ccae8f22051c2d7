"""Run-level emergency stops: end the replay early when the run as a whole goes wrong.

The expression sees run counters: ``cases``, ``violation_count`` (cases decided DENY),
``deny_count``, ``review_count``, ``redaction_count``, ``error_count``, ``deny_rate``,
``review_rate``, ``error_rate`` and ``rules.<rule_id>`` (cases on which that rule fired).
"""

from __future__ import annotations

import ast
from typing import Any, ClassVar

from gatekit.fmt import noun
from gatekit.governance.expressions import Expression
from gatekit.governance.rules.base import BaseRule, Evaluation, Fired, RuleConfig
from gatekit.governance.schema import EmergencyStopConfig

RUN_NAMES = frozenset(
    {
        "cases",
        "violation_count",
        "deny_count",
        "review_count",
        "redaction_count",
        "error_count",
        "deny_rate",
        "review_rate",
        "error_rate",
        "rules",
    }
)


class EmergencyStopRule(BaseRule):
    """Checked after every decided case; sets ``run.stop_reason`` when ``when`` holds."""

    kind: ClassVar[str] = "emergency_stop"
    default_owasp: ClassVar[tuple[str, ...]] = ("ASI08:2026", "LLM10:2025")
    Config: ClassVar[type[RuleConfig]] = EmergencyStopConfig
    run_level: ClassVar[bool] = True

    def __init__(self, config: RuleConfig) -> None:
        BaseRule.__init__(self, config)  # (explicit: super() in a compiled module does not see BaseRule)
        assert isinstance(config, EmergencyStopConfig)
        self.cfg = config
        self.expression = Expression(config.when, names=RUN_NAMES)
        self.holds = self.expression.evaluator()
        self.min_cases = config.min_cases
        self.names = self.expression.names
        self.rule_ids: tuple[str, ...] = ()  # the policy's case rules (:meth:`bind`): a rule that never fired is 0

    def referenced_rules(self) -> list[str]:
        """The rule ids ``when`` reads as ``rules.<id>`` or ``rules["<id>"]``, in the order written."""
        named: list[str] = []
        for node in ast.walk(self.expression.tree):
            base = node.value if isinstance(node, ast.Attribute | ast.Subscript) else None
            if not (isinstance(base, ast.Name) and base.id == "rules"):
                continue
            if isinstance(node, ast.Attribute):
                named.append(node.attr)
            elif isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):  # (constant keys only)
                named.append(str(node.slice.value))
        return named

    def bind(self, rules: list[Any]) -> None:
        """Count every case rule of the policy: ``rules.<id>`` of a rule that has not fired yet is 0, not null."""
        self.rule_ids = tuple(r.id for r in rules if not getattr(r, "run_level", False))

    def check_run(self, run: Any) -> str | None:
        """Return why the run must stop, or None."""
        if run.cases < self.min_cases:
            return None
        metrics = run.metrics(self.names)
        if "rules" in metrics:  # (``rules.pii < 1`` holds before pii fires: a known count of 0 is no unknown)
            metrics["rules"] = {**dict.fromkeys(self.rule_ids, 0), **metrics["rules"]}
        if not self.holds(metrics):
            return None
        shown = ", ".join(
            f"{name}={metrics[name]:.3g}" if isinstance(metrics[name], float) else f"{name}={metrics[name]}"
            for name in sorted(self.expression.names)
            if name in metrics and name != "rules"
        )
        reason = self.cfg.reason or self.cfg.when
        return f"{reason} ({shown} after {run.cases} {noun(run.cases, 'case')})"

    def evaluate(self, ev: Evaluation) -> list[Fired]:
        """Run-level rules do not judge single cases."""
        return []
