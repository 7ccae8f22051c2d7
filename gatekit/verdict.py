"""Thresholds -> checks -> verdict.

A check compares one metric with a limit (``max``: value must be <= limit;
``min``: value must be >= limit). With ``confidence`` the metric's interval
decides instead: pass only if the whole interval is on the good side, fail if the
whole interval is on the bad side, otherwise inconclusive. A metric that could
not be measured fails the check (fail closed). Verdict: fail if any check fails,
else inconclusive if any is inconclusive, else pass.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gatekit.errors import ConfigError
from gatekit.models import Check, CheckStatus
from gatekit.units import parse_quantity
from gatekit.yamlio import pydantic_message, read_yaml

# metric name -> (unit kind for literals, display unit)
KNOWN_METRICS: dict[str, tuple[str | None, str]] = {
    "latency_p50_ms": ("duration_ms", "ms"),
    "latency_p95_ms": ("duration_ms", "ms"),
    "latency_p99_ms": ("duration_ms", "ms"),
    "latency_mean_ms": ("duration_ms", "ms"),
    "latency_max_ms": ("duration_ms", "ms"),
    "error_rate": ("fraction", ""),
    "first_attempt_error_rate": ("fraction", ""),
    "pass_rate": ("fraction", ""),
    "pass_all_repeats_rate": ("fraction", ""),
    "pass_any_repeat_rate": ("fraction", ""),
    "cost_total_usd": ("number", "USD"),
    "cost_per_case_usd": ("number", "USD"),
    "cost_per_1k_tokens_usd": ("number", "USD"),
    "tokens_input": ("number", "tokens"),
    "tokens_output": ("number", "tokens"),
    "governance.deny_count": ("number", ""),
    "governance.deny_rate": ("fraction", ""),
    "governance.review_rate": ("fraction", ""),
    "governance.coverage": ("fraction", ""),
    "governance.decision_latency_p99_us": ("number", "µs"),
    "drift.drifted_features": ("number", ""),
}


# k-of-n: share of cases that passed at least K of their --repeat runs, e.g. pass_k_of_n.2
_K_OF_N = re.compile(r"pass_k_of_n\.[1-9][0-9]*")


class CheckSpec(BaseModel):
    """One entry under ``checks:`` in a thresholds file."""

    model_config = ConfigDict(extra="forbid")

    max: float | None = None
    min: float | None = None
    confidence: float | None = Field(default=None, description="Interval level, e.g. 0.95; true means 0.95.")

    @field_validator("confidence", mode="before")
    @classmethod
    def _confidence(cls, value: Any) -> Any:
        if value is True:
            return 0.95
        if value is False:
            return None
        return value

    @model_validator(mode="after")
    def _one_bound(self) -> CheckSpec:
        if (self.max is None) == (self.min is None):
            raise ValueError("give exactly one of 'max' or 'min'")
        if self.confidence is not None and not 0.5 <= self.confidence < 1:
            raise ValueError("'confidence' must be between 0.5 and 1 (e.g. 0.95)")
        return self


class Thresholds(BaseModel):
    """A thresholds file (``thresholds/*.yaml``)."""

    model_config = ConfigDict(extra="forbid")

    min_cases: int = Field(default=1, ge=0, description="Fewer finished cases than this is inconclusive.")
    checks: dict[str, CheckSpec] = Field(default_factory=dict)
    max_regression: dict[str, Any] | None = None
    drift: dict[str, Any] | None = None


def load_thresholds(path: Path) -> Thresholds:
    """Load and validate a thresholds file; unit literals (2000ms, 1%) become numbers."""
    data, lines = read_yaml(path, ConfigError, "thresholds")
    checks = data.get("checks")
    if isinstance(checks, dict):
        for name, spec in checks.items():
            if name not in KNOWN_METRICS and not _K_OF_N.fullmatch(str(name)):
                line = lines.get(("checks", str(name)))
                where = f"{path}:{line}" if line else str(path)
                raise ConfigError(
                    f"{where}: unknown check '{name}'; known checks: {', '.join(sorted(KNOWN_METRICS))}, pass_k_of_n.K"
                )
            if isinstance(spec, dict):
                kind = KNOWN_METRICS.get(name, ("fraction", ""))[0]
                for bound in ("max", "min"):
                    if bound in spec and spec[bound] is not None:
                        try:
                            spec[bound] = parse_quantity(spec[bound], kind=kind, where=f"checks.{name}.{bound}")
                        except ValueError as exc:
                            line = lines.get(("checks", str(name), bound))
                            raise ConfigError(f"{path}:{line or '?'}: {exc}") from None
    try:
        return Thresholds.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(path, exc, lines)) from None


def _lookup(values: dict[str, Any], name: str) -> Any:
    return values.get(name)


def evaluate_check(name: str, spec: CheckSpec, value: float | None, interval: Any, reason_if_missing: str) -> Check:
    """Decide one check."""
    unit = KNOWN_METRICS.get(name, (None, ""))[1]
    bound = spec.max if spec.max is not None else spec.min
    op = "<=" if spec.max is not None else ">="
    assert bound is not None
    limit: float = bound
    if value is None:
        return Check(
            name, None, limit, op, CheckStatus.FAIL, None, reason_if_missing or "metric could not be measured", unit
        )

    def good(x: float) -> bool:
        return x <= limit if op == "<=" else x >= limit

    ci = tuple(interval) if interval is not None else None
    if spec.confidence is not None and ci is not None:
        lo, hi = float(ci[0]), float(ci[1])
        if good(lo) and good(hi):
            status, message = CheckStatus.PASS, f"{spec.confidence:.0%} interval [{lo:.4g}, {hi:.4g}] within limit"
        elif not good(lo) and not good(hi):
            status, message = CheckStatus.FAIL, f"{spec.confidence:.0%} interval [{lo:.4g}, {hi:.4g}] beyond limit"
        else:
            status = CheckStatus.INCONCLUSIVE
            message = f"{spec.confidence:.0%} interval [{lo:.4g}, {hi:.4g}] straddles the limit; more cases needed"
        return Check(name, float(value), limit, op, status, (lo, hi), message, unit)
    status = CheckStatus.PASS if good(float(value)) else CheckStatus.FAIL
    return Check(name, float(value), limit, op, status, ci and (float(ci[0]), float(ci[1])), "", unit)


def decide(
    thresholds: Thresholds, values: dict[str, Any], missing_reasons: dict[str, str] | None = None
) -> list[Check]:
    """Evaluate every configured check against ``values`` (flat metric names -> numbers).

    ``values[name + "_ci"]`` holds an interval where there is one; ``missing_reasons``
    explains why a metric is None (e.g. the cost of a model with no price).
    """
    missing_reasons = missing_reasons or {}
    checks: list[Check] = []
    cases = values.get("cases") or 0
    if cases < thresholds.min_cases:
        checks.append(
            Check(
                "min_cases",
                float(cases),
                float(thresholds.min_cases),
                ">=",
                CheckStatus.INCONCLUSIVE,
                None,
                f"only {cases} cases finished; at least {thresholds.min_cases} are needed to judge",
            )
        )
    for name, spec in thresholds.checks.items():
        checks.append(
            evaluate_check(name, spec, _lookup(values, name), values.get(name + "_ci"), missing_reasons.get(name, ""))
        )
    return checks


def overall(checks: list[Check]) -> str:
    """``fail`` if any check fails, else ``inconclusive`` if any is, else ``pass``."""
    statuses = {c.status for c in checks}
    if CheckStatus.FAIL in statuses:
        return "fail"
    if CheckStatus.INCONCLUSIVE in statuses:
        return "inconclusive"
    return "pass"


def describe(check: Check) -> str:
    """One human line for a check: ``latency_p95_ms 2300 ms > limit 2000 ms (…)``."""
    unit = f" {check.unit}" if check.unit else ""
    value = "unknown" if check.value is None else f"{check.value:.4g}{unit}"
    limit = "?" if check.limit is None else f"{check.limit:.4g}{unit}"
    bad_op = {"<=": ">", ">=": "<"}.get(check.op, check.op)
    relation = bad_op if check.status is CheckStatus.FAIL and check.value is not None else check.op
    text = f"{check.name} {value} {relation} limit {limit}"
    if check.message:
        text += f" ({check.message})"
    return text
