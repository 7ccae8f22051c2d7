"""Thresholds -> checks -> verdict.

A check compares one metric with a limit (``max``: value must be <= limit;
``min``: value must be >= limit). With ``confidence`` the metric's interval
decides instead: pass only if the whole interval is on the good side, fail if the
whole interval is on the bad side, otherwise inconclusive. A metric that could
not be measured fails the check (fail closed). A run in which no case succeeded
fails (the ``cases_succeeded`` check), whatever the thresholds say. Verdict: fail if
any check fails, else inconclusive if any is inconclusive, else pass; no checks at
all is a fail, never a pass.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gatekit.errors import ConfigError
from gatekit.fmt import noun
from gatekit.models import Check, CheckStatus
from gatekit.units import parse_quantity
from gatekit.yamlio import did_you_mean, pydantic_message, read_yaml, refuse_bool

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
    # on cases that state expected.governance (gatekit.governance.labelled); Wilson intervals
    "governance.violation_block_rate": ("fraction", ""),
    "governance.false_positive_rate": ("fraction", ""),
    "governance.agreement_rate": ("fraction", ""),
    "drift.drifted_features": ("number", ""),
}


# the metrics that have an interval a ``confidence`` check can be judged on (the others have only a value)
WITH_INTERVAL = (
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "error_rate",
    "pass_rate",
    "governance.violation_block_rate",
    "governance.false_positive_rate",
    "governance.agreement_rate",
)

# k-of-n: share of cases that passed at least K of their --repeat runs, e.g. pass_k_of_n.2
_K_OF_N = re.compile(r"pass_k_of_n\.[1-9][0-9]*")
# per rule, on labelled cases: governance.rule.<rule id>.violation_block_rate / .false_positive_rate
_PER_RULE = re.compile(
    r"governance\.rule\.[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}\.(violation_block_rate|false_positive_rate)"
)


class CheckSpec(BaseModel):
    """One entry under ``checks:`` in a thresholds file."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

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

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    min_cases: int = Field(default=1, ge=0, description="Fewer finished cases than this is inconclusive.")
    checks: dict[str, CheckSpec] = Field(default_factory=dict)
    max_regression: dict[str, Any] | None = None
    drift: dict[str, Any] | None = None

    _no_bool = field_validator("min_cases", mode="before")(refuse_bool)

    @field_validator("drift", mode="before")
    @classmethod
    def _drift_elsewhere(cls, value: Any) -> Any:
        if value is not None:  # (read by nothing: a drift setting here was silently ignored)
            raise ValueError(
                "drift settings are read from the drift: section of gatekit.yaml (docs/drift.md); move them"
            )
        return value


# a limit as a thresholds file may write it: a number, or a unit literal that gatekit.units.parse_quantity reads
_QUANTITY_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0},
        {
            "type": "string",
            "pattern": r"^\s*\$?\s*\+?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*(ms|s|m|min|h|us|µs|%|pp|k|K|M)?\s*$",
        },
    ]
}


# a rate's limit as a literal: a percentage or percentage points up to 100 (the loader refuses more), or a plain
# fraction; a literal with an exponent (1e1%) is not described (write 10%)
_PERCENT = r"(0*100(\.0*)?|0*\d{1,2}(\.\d*)?|\.\d+)\s*(%|pp)"
_BELOW_ONE = r"0+(\.\d*)?|0*\.\d+"
_RATE_LIMIT_TEXT = {
    "max": "a rate, up to 100%: 1% or 0.01; a bare 1 (read as 100%, a limit every run meets) is refused: write 1% or 100%",
    "min": "a rate, up to 100%: 90% or 0.9",
}


def _rate_schema(upper: str) -> dict[str, Any]:
    """A rate's limit: a fraction in [0, 1] or a percentage up to 100%.

    For an upper limit (``upper`` is ``exclusiveMaximum``) the bare number 1 is refused as the loader refuses it
    (``_refuse_bare_one``).
    """
    fraction = _BELOW_ONE if upper == "exclusiveMaximum" else _BELOW_ONE + r"|0*1(\.0*)?"
    return {
        "anyOf": [
            {"type": "number", "minimum": 0, upper: 1},
            {"type": "string", "pattern": rf"^\s*\+?({_PERCENT}|{fraction})\s*$"},
        ]
    }


def thresholds_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of a thresholds file as ``load_thresholds`` reads it (`gatekit schema thresholds`).

    The model's own schema describes the file after loading: limits as numbers only (``2000ms`` and ``1%``, the
    bundled and scaffolded files' limits, failed it), no check required, and a ``drift`` key the loader refuses.
    """
    schema = Thresholds.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    props = schema["properties"]
    del props["drift"]  # refused by the loader: drift settings live in gatekit.yaml's drift: section
    schema["required"] = ["checks"]
    props["checks"].update(
        minProperties=1, description="At least one check (a gate without checks cannot pass), by metric name."
    )
    props["max_regression"] = {
        "anyOf": [{"type": "object", "additionalProperties": _QUANTITY_SCHEMA}, {"type": "null"}],
        "default": None,
        "description": "With --baseline: how much worse than the baseline each metric may be (0.5pp, 10%, 200ms).",
        "title": "Max Regression",
    }
    spec = schema["$defs"]["CheckSpec"]
    for bound, meaning in (("max", "value <= limit"), ("min", "value >= limit")):
        spec["properties"][bound] = {**_QUANTITY_SCHEMA, "description": f"{meaning}; a number or 2000ms, 1%, 1.5k"}
    spec["properties"]["confidence"]["anyOf"].insert(0, {"type": "boolean"})
    spec["oneOf"] = [{"required": ["max"]}, {"required": ["min"]}]  # exactly one of them
    # a rate (a fraction metric): its limits as load_thresholds reads them — at most 100%, and no bare 1 as a max
    rate = schema["$defs"]["RateCheckSpec"] = {
        **spec,
        "properties": dict(spec["properties"]),
        "title": "RateCheckSpec",
        "description": "A check on a rate (a fraction): max/min as 1%, 0.5pp or 0.01, at most 100%.",
    }
    for bound, meaning, upper in (("max", "value <= limit", "exclusiveMaximum"), ("min", "value >= limit", "maximum")):
        rate["properties"][bound] = {**_rate_schema(upper), "description": f"{meaning}; {_RATE_LIMIT_TEXT[bound]}"}
    checks = props["checks"]
    del checks["additionalProperties"]  # an unknown metric name is refused by the loader
    checks["properties"] = {
        name: {"$ref": "#/$defs/RateCheckSpec" if kind == "fraction" else "#/$defs/CheckSpec"}
        for name, (kind, _unit) in KNOWN_METRICS.items()
    }
    checks["patternProperties"] = {f"^{p.pattern}$": {"$ref": "#/$defs/RateCheckSpec"} for p in (_K_OF_N, _PER_RULE)}
    checks["additionalProperties"] = False
    # max_regression: the metrics parse_limits knows; a rate takes an absolute change (0.5pp), never a bare 1
    from gatekit.regression import REGRESSION_METRICS

    change = {**_rate_schema("exclusiveMaximum"), "description": "an absolute change: 0.5pp; a bare 1 is refused"}
    regression: dict[str, Any] = {
        "type": "object",
        "properties": {
            metric: change if KNOWN_METRICS[metric][0] == "fraction" else _QUANTITY_SCHEMA
            for metric in REGRESSION_METRICS
        },
        "additionalProperties": False,
    }
    regression["properties"]["confidence"] = {"type": "number", "minimum": 0.5, "exclusiveMaximum": 1}
    props["max_regression"]["anyOf"][0] = regression
    return schema


def _where(path: Path, lines: dict[tuple[str, ...], int], *key: str) -> str:
    for cut in range(len(key), 0, -1):
        if key[:cut] in lines:
            return f"{path}:{lines[key[:cut]]}"
    return str(path)


def _check_limit(path: Path, lines: dict[tuple[str, ...], int], key: tuple[str, ...], value: float, kind: str) -> None:
    """Refuse limits no metric can meaningfully be compared with: non-finite, negative, a fraction above 1."""
    field = ".".join(key)
    where = _where(path, lines, *key)
    if not math.isfinite(value):
        raise ConfigError(f"{where}: {field}: {value} is not a finite number; give a real limit")
    if value < 0:
        raise ConfigError(
            f"{where}: {field}: {value:g} is negative; give a limit >= 0 (metrics and allowed regressions are never negative)"
        )
    if kind == "fraction" and value > 1:
        raise ConfigError(
            f"{where}: {field}: {value:g} is above 1 (100%), but this metric is a fraction; write e.g. 5% or 0.05"
        )


_RATE_MEANT = "for one percent write 1%, to allow any rate write 100%"
_CHANGE_MEANT = "for one percentage point write 1pp, to allow any change write 100pp"


def _refuse_bare_one(
    path: Path, lines: dict[tuple[str, ...], int], key: tuple[str, ...], written: Any, meant: str = _RATE_MEANT
) -> None:
    """A rate's upper limit written as the bare number 1: read as 100%, a limit every run meets; refused.

    ``error_rate: {max: 5}`` is refused as above 100%, but ``{max: 1}`` meant as one percent passed every run (a
    candidate failing 60% of its cases included). ``1%`` and ``100%`` say which is meant.
    """
    if isinstance(written, str):  # quoted, "1" is the same bare number (the schema refuses it too)
        try:
            written = float(written)
        except ValueError:
            return  # a literal with a unit (1%, 1pp) says what is meant
    if isinstance(written, int | float) and not isinstance(written, bool) and written == 1:
        field = ".".join(key)
        raise ConfigError(
            f"{_where(path, lines, *key)}: {field}: {written:g} is read as a fraction, 100%, a limit every run meets; "
            + meant
        )


def load_thresholds(path: Path) -> Thresholds:
    """Load and validate a thresholds file; unit literals (2000ms, 1%) become numbers.

    Refuses a file without checks (no checks is not a pass), non-finite, negative or
    (for fractions) above-100% limits, and a malformed ``max_regression`` block, naming
    the file, line and key.
    """
    data, lines = read_yaml(path, ConfigError, "thresholds")
    for key in data:  # before "no checks": a misspelt 'checks:' is named as such
        if str(key) not in Thresholds.model_fields:
            raise ConfigError(
                f"{_where(path, lines, str(key))}: unknown key '{key}'; {did_you_mean(Thresholds, (str(key),))}"
            )
    checks = data.get("checks")
    if not checks:
        raise ConfigError(
            f"{_where(path, lines, 'checks')}: no checks in the thresholds file; a gate without checks cannot pass. "
            "Add e.g. checks: {error_rate: {max: 1%}, latency_p95_ms: {max: 2000ms}}"
        )
    if isinstance(checks, dict):
        for name, spec in checks.items():
            if name not in KNOWN_METRICS and not _K_OF_N.fullmatch(str(name)) and not _PER_RULE.fullmatch(str(name)):
                import difflib

                line = lines.get(("checks", str(name)))
                where = f"{path}:{line}" if line else str(path)
                close = difflib.get_close_matches(str(name), sorted(KNOWN_METRICS), n=1, cutoff=0.75)
                meant = f" (did you mean '{close[0]}'?)" if close else ""
                raise ConfigError(
                    f"{where}: unknown check '{name}'{meant}; known checks: {', '.join(sorted(KNOWN_METRICS))}, "
                    "pass_k_of_n.K, "
                    "governance.rule.<rule id>.violation_block_rate, governance.rule.<rule id>.false_positive_rate"
                )
            if isinstance(spec, dict) and spec.get("confidence") not in (None, False):
                if name not in WITH_INTERVAL and not _PER_RULE.fullmatch(str(name)):
                    raise ConfigError(
                        f"{_where(path, lines, 'checks', str(name), 'confidence')}: checks.{name}.confidence: "
                        f"{name} has no interval, so its value alone would decide; remove 'confidence' or use a "
                        f"metric with an interval: {', '.join(WITH_INTERVAL)}, governance.rule.<rule id>.<rate>"
                    )
            if isinstance(spec, dict):
                kind = KNOWN_METRICS.get(name, ("fraction", ""))[0]
                for bound in ("max", "min"):
                    if bound in spec and spec[bound] is not None:
                        written = spec[bound]
                        try:
                            spec[bound] = parse_quantity(spec[bound], kind=kind, where=f"checks.{name}.{bound}")
                        except ValueError as exc:
                            raise ConfigError(f"{_where(path, lines, 'checks', str(name), bound)}: {exc}") from None
                        _check_limit(path, lines, ("checks", str(name), bound), spec[bound], kind or "number")
                        if bound == "max" and kind == "fraction":
                            _refuse_bare_one(path, lines, ("checks", str(name), bound), written)
    try:
        thresholds = Thresholds.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(path, exc, lines, Thresholds)) from None
    if thresholds.max_regression is not None:
        _validate_regression(path, lines, thresholds.max_regression)
    return thresholds


def _validate_regression(path: Path, lines: dict[tuple[str, ...], int], limits: dict[str, Any]) -> None:
    """Parse ``max_regression`` now, not only when ``--baseline`` is given."""
    from gatekit.regression import parse_limits

    for metric in limits:
        try:
            parsed, _level = parse_limits({metric: limits[metric]})
        except ConfigError as exc:
            raise ConfigError(f"{_where(path, lines, 'max_regression', str(metric))}: {exc}") from None
        for limit in parsed:
            # a relative limit (latency 20%) may exceed 100%; an absolute rate change may not
            if limit.relative:
                kind = ""
            else:
                kind = "fraction" if KNOWN_METRICS.get(limit.metric, ("number", ""))[0] == "fraction" else "number"
            _check_limit(path, lines, ("max_regression", str(metric)), limit.limit, kind)
            if kind == "fraction":  # (an absolute change of a rate: 1 is +100 percentage points, never exceeded)
                _refuse_bare_one(path, lines, ("max_regression", str(metric)), limits[metric], _CHANGE_MEANT)


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
    if spec.confidence is not None and ci is None:  # the value alone would decide a check that asked for an interval
        message = f"no {spec.confidence:.0%} interval for {name}, so the check cannot be judged at that confidence"
        return Check(name, float(value), limit, op, CheckStatus.INCONCLUSIVE, None, message, unit)
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
    # distinct cases: 40 repeats of 3 cases are 3 cases, not 120 (``--repeat``)
    cases = values.get("distinct_cases", values.get("cases")) or 0
    if cases < thresholds.min_cases:
        checks.append(
            Check(
                "min_cases",
                float(cases),
                float(thresholds.min_cases),
                ">=",
                CheckStatus.INCONCLUSIVE,
                None,
                f"only {cases} {noun(cases, 'case')} finished; at least {thresholds.min_cases} are needed to judge",
            )
        )
    for name, spec in thresholds.checks.items():
        checks.append(
            evaluate_check(name, spec, _lookup(values, name), values.get(name + "_ci"), missing_reasons.get(name, ""))
        )
    checks.append(succeeded_check(values))
    return checks


def succeeded_check(values: dict[str, Any]) -> Check:
    """``cases_succeeded``: at least one case must have succeeded, or the run fails.

    Thresholds can be blind to a run where everything errored (a governance count
    of 0, tokens under a limit); this rule is not.
    """
    cases = values.get("cases") or 0
    successes = values.get("successes")
    if successes is None:
        status, message = CheckStatus.FAIL, "the number of successful cases is unknown"
    elif successes >= 1:
        status, message = CheckStatus.PASS, ""
    elif cases:
        status, message = CheckStatus.FAIL, f"no case succeeded: all {cases} {noun(cases, 'case')} ended in an error"
    else:
        status, message = CheckStatus.FAIL, "no case finished, so nothing succeeded"
    return Check("cases_succeeded", None if successes is None else float(successes), 1.0, ">=", status, None, message)


def overall(checks: list[Check]) -> str:
    """``fail`` if any check fails (or there are no checks), else ``inconclusive`` if any is, else ``pass``."""
    statuses = {c.status for c in checks}
    if not checks or CheckStatus.FAIL in statuses:
        return "fail"
    if CheckStatus.INCONCLUSIVE in statuses:
        return "inconclusive"
    return "pass"


def _within(value: float, op: str, limit: float) -> bool:
    if op == "<=":
        return value <= limit
    if op == ">=":
        return value >= limit
    if op == "<":
        return value < limit
    if op == ">":
        return value > limit
    return True


def describe(check: Check) -> str:
    """One human line for a check: ``latency_p95_ms 2300 ms > limit 2000 ms (…)``."""
    from gatekit.fmt import digits_apart

    unit = f" {check.unit}" if check.unit else ""
    digits = digits_apart(check.value, check.limit)  # a value just over its limit is not shown equal to it
    value = "unknown" if check.value is None else f"{check.value:.{digits}g}{unit}"
    limit = "?" if check.limit is None else f"{check.limit:.{digits}g}{unit}"
    bad_op = {"<=": ">", ">=": "<", "<": ">=", ">": "<="}.get(check.op, check.op)
    beyond = check.value is not None and check.limit is not None and not _within(check.value, check.op, check.limit)
    # the relation the value has: an inconclusive check whose estimate is beyond its limit (a regression's
    # estimate above the allowed change) read "0.63 <= limit 0.5"
    relation = bad_op if (check.status is CheckStatus.FAIL and check.value is not None) or beyond else check.op
    # a check with no limit at all (drift that could not be computed, an emergency stop): no "unknown  limit ?"
    text = (
        f"{check.name} {value}"
        if not check.op and check.limit is None
        else f"{check.name} {value} {relation} limit {limit}"
    )
    if check.message:
        text += f" ({check.message})"
    return text
