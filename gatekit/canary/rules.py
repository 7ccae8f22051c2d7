"""The rollout rules file (``thresholds/rollout.yaml``): windows, rollback rules, stages, comparisons.

Strict like every gatekit config file: an unknown key, a bad unit or a malformed one-line rule is a
``ConfigError`` naming the file and line (exit 2). A rollback rule is written either as fields::

    - {metric: error_rate, op: ">", threshold: 1%, for: 5, bound: wilson_lower}

or as one line::

    - "error_rate > 1% for 5 consecutive windows"
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from gatekit.errors import ConfigError
from gatekit.units import parse_quantity
from gatekit.yamlio import pydantic_message, read_yaml, refuse_bool

# metric name -> (unit kind for parse_quantity, description)
RULE_METRICS: dict[str, tuple[str, str]] = {
    "error_rate": ("fraction", "failed requests / requests"),
    "latency_p50_ms": ("duration_ms", "median latency"),
    "latency_p95_ms": ("duration_ms", "95th percentile latency"),
    "latency_p99_ms": ("duration_ms", "99th percentile latency"),
    "deny_rate": ("fraction", "deny outcomes / requests with a governance outcome"),
    "review_rate": ("fraction", "require_review outcomes / requests with a governance outcome"),
    "cost_per_request_usd": ("number", "mean cost of the requests whose cost is known"),
}
RATE_METRICS = ("error_rate", "deny_rate", "review_rate")

# comparison metric -> kind: "continuous" (Mann-Whitney + Hodges-Lehmann) or "proportion"
COMPARE_METRICS: dict[str, str] = {
    "latency_ms": "continuous",
    "cost_usd": "continuous",
    "error_rate": "proportion",
    "deny_rate": "proportion",
    "review_rate": "proportion",
}

_ONE_LINE = re.compile(
    r"^\s*(?P<metric>[a-z0-9_]+)\s*(?P<op>>=|<=|>|<)\s*(?P<value>\S+)\s+for\s+(?P<n>\d+)"
    r"\s+(?:consecutive\s+)?windows?\s*$"
)


def _refuse_never_met(metric: str, kind: str, written: Any, value: float, field: str, unit: str = "%") -> None:
    """A limit no window or stage can cross is refused (``ValueError``): the rule or comparison would never act.

    ``threshold: .nan`` (every comparison with NaN is false), ``.inf``, ``error_rate > 5`` (meant as 5%: a rate is at
    most 1) and ``error_rate > 1`` (meant as 1%) promoted a canary failing half its requests, exit 0.
    """
    if not math.isfinite(value):
        raise ValueError(f"{field}: {value} is not a finite number, so it is never crossed; give a real limit")
    if value < 0:
        raise ValueError(f"{field}: {value:g} is negative; {metric} is never negative, give a limit >= 0")
    if kind != "fraction":
        return
    if value > 1:
        raise ValueError(
            f"{field}: {value:g} is above 1 (100%), which {metric} never reaches (it is a fraction); write e.g. 5{unit} "
            "or 0.05"
        )
    if value == 1 and not (isinstance(written, str) and written.strip().endswith(("%", "pp"))):
        raise ValueError(
            f"{field}: {written} is read as a fraction, 100%, which {metric} never exceeds; for one "
            f"{'percent' if unit == '%' else 'percentage point'} write 1{unit}"
        )


class RollbackRule(BaseModel):
    """One rollback rule: ``metric op threshold`` for ``for_windows`` consecutive windows."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str = ""
    metric: str
    op: Literal[">", ">=", "<", "<="] = ">"
    threshold: float
    for_windows: int = Field(1, alias="for", ge=1, le=10_000)
    variant: str | None = None  # default: the canary variant
    bound: Literal["point", "wilson_lower"] = "point"
    no_data: Literal["ignore", "reset", "bad"] | None = None  # default: the file's no_data
    min_requests: int | None = Field(None, ge=1)  # default: the file's min_requests

    _no_bool = field_validator("for_windows", "min_requests", mode="before")(refuse_bool)

    @field_validator("variant")
    @classmethod
    def _plain(cls, value: str | None) -> str | None:
        return None if value is None else _plain_variant(value)

    @model_validator(mode="before")
    @classmethod
    def _one_line(cls, data: Any) -> Any:  # one validator: pydantic runs 'before' ones last-defined first
        if isinstance(data, str):
            data = {"rule": data}
        if isinstance(data, dict) and "rule" in data:
            data = dict(data)
            text = str(data.pop("rule"))
            match = _ONE_LINE.match(text)
            if not match:
                raise ValueError(
                    f"cannot read rule {text!r}; write it as 'METRIC > VALUE for N consecutive windows' "
                    "(e.g. 'error_rate > 1% for 5 consecutive windows')"
                )
            data.setdefault("metric", match["metric"])
            data.setdefault("op", match["op"])
            data.setdefault("threshold", match["value"])
            data.setdefault("for", int(match["n"]))
        if isinstance(data, dict) and "metric" in data and "threshold" in data:
            metric = str(data["metric"])
            if metric not in RULE_METRICS:
                raise ValueError(f"unknown metric {metric!r}; known: {', '.join(RULE_METRICS)}")
            data = dict(data)
            kind = RULE_METRICS[metric][0]
            written = data["threshold"]
            data["threshold"] = parse_quantity(written, kind=kind, where="threshold")
            _refuse_never_met(metric, kind, written, data["threshold"], "threshold")
        return data

    @model_validator(mode="after")
    def _check(self) -> RollbackRule:
        if self.bound == "wilson_lower" and self.metric not in RATE_METRICS:
            raise ValueError(f"bound: wilson_lower applies to rates ({', '.join(RATE_METRICS)}), not {self.metric}")
        if self.bound == "wilson_lower" and self.op not in (">", ">="):
            raise ValueError("bound: wilson_lower needs op '>' or '>=' (the lower bound must cross the limit)")
        if not self.name:
            self.name = f"{self.metric} {self.op} {self.threshold:g} for {self.for_windows}"
        return self

    def describe(self) -> str:
        """The rule in words, e.g. ``error_rate > 0.01 for 5 consecutive windows``."""
        bound = " (Wilson lower bound)" if self.bound == "wilson_lower" else ""
        return f"{self.metric}{bound} {self.op} {self.threshold:g} for {self.for_windows} consecutive window(s)"


class CompareMetric(BaseModel):
    """Allowed increase of one metric, canary vs baseline, and whether failing it fails the stage at once."""

    model_config = ConfigDict(extra="forbid")

    allowed_increase: float
    relative: bool = False  # True when written as a percentage of the baseline (latency_ms: 10%)
    critical: bool = False

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str | int | float) and not isinstance(data, bool):
            data = {"allowed_increase": data}
        return data


class Compare(BaseModel):
    """Canary-vs-baseline comparisons over the stage."""

    model_config = ConfigDict(extra="forbid")

    confidence: float = Field(0.95, gt=0.5, lt=1)
    min_requests: int = Field(500, ge=10)
    sample_limit: int = Field(50_000, ge=1_000, le=5_000_000)
    metrics: dict[str, CompareMetric] = Field(default_factory=dict)

    _no_bool = field_validator("confidence", "min_requests", "sample_limit", mode="before")(refuse_bool)

    @field_validator("metrics", mode="before")
    @classmethod
    def _metrics(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for name, spec in value.items():
            kind = COMPARE_METRICS.get(str(name))
            if kind is None:
                raise ValueError(f"unknown comparison metric {name!r}; known: {', '.join(COMPARE_METRICS)}")
            spec = {"allowed_increase": spec} if not isinstance(spec, dict) else dict(spec)
            raw = spec.get("allowed_increase")
            relative = isinstance(raw, str) and raw.strip().endswith("%")
            if kind == "proportion":
                if relative:
                    raise ValueError(f"{name}: write the allowed increase of a rate in percentage points (0.5pp)")
                spec["allowed_increase"] = parse_quantity(raw, kind="fraction", where=f"{name}.allowed_increase")
            elif relative:
                spec["allowed_increase"] = parse_quantity(raw, kind="fraction", where=f"{name}.allowed_increase")
            else:
                unit = "duration_ms" if name == "latency_ms" else "number"
                spec["allowed_increase"] = parse_quantity(raw, kind=unit, where=f"{name}.allowed_increase")
            spec["relative"] = relative
            if spec["allowed_increase"] < 0:
                raise ValueError(f"{name}: allowed_increase must be ≥ 0")
            # (relative: a percentage of the baseline, which may exceed 100%; a rate's change in points may not)
            kind_written = "fraction" if kind == "proportion" else "number"
            where = f"{name}.allowed_increase"
            _refuse_never_met(str(name), kind_written, raw, spec["allowed_increase"], where, unit="pp")
            out[str(name)] = spec
        return out


class InProgress(BaseModel):
    """How many MLflow traces still in progress (hung requests, no outcome) a stage may have and still be promoted.

    They are no rows (no outcome to judge): past either bound the stage holds, naming the count and the oldest.
    """

    model_config = ConfigDict(extra="forbid")

    max_share: float = Field(0.01, ge=0, le=1)  # of the requests read (finished + in progress)
    max_age: float = Field(300_000.0, gt=0)  # ms: a trace in progress longer than this is a hung request

    @field_validator("max_share", mode="before")
    @classmethod
    def _share(cls, value: Any) -> float:
        return parse_quantity(value, kind="fraction", where="in_progress.max_share")

    @field_validator("max_age", mode="before")
    @classmethod
    def _age(cls, value: Any) -> float:
        return parse_quantity(value, kind="duration_ms", where="in_progress.max_age")


def _plain_variant(name: str) -> str:
    """A variant name holding a credential or personal data is refused (named by its type, never quoted).

    Production rows are written with such a value scrubbed, so it would match no row; and the name is shown in
    every report and written to MLflow.
    """
    from gatekit.governance import scan

    found = scan(name)
    if found:
        raise ValueError(
            f"the variant name holds {found[0].type.lower().replace('_', ' ')}; "
            "name variants without credentials or personal data (e.g. canary, v2-blue)"
        )
    return name


class RolloutRules(BaseModel):
    """The whole rules file."""

    model_config = ConfigDict(extra="forbid")

    window: float = 60_000.0  # milliseconds
    baseline: str = Field("baseline", pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")
    canary: str = Field("canary", pattern=r"^[A-Za-z0-9_.:\-]{1,64}$")
    # the agent_version judged under each label (rows of other versions under it are left out); None: every version,
    # and a label whose rows carry more than one version is never promoted (hold, naming the versions)
    baseline_version: str | None = Field(None, pattern=r"^[A-Za-z0-9_.:+@/\-]{1,128}$")
    canary_version: str | None = Field(None, pattern=r"^[A-Za-z0-9_.:+@/\-]{1,128}$")
    stages: list[float] = Field(default_factory=lambda: [10.0, 50.0, 100.0])
    min_requests: int = Field(20, ge=1)
    no_data: Literal["ignore", "reset", "bad"] = "ignore"
    min_windows: int = Field(5, ge=1)
    rollback: list[RollbackRule] = Field(default_factory=list)
    compare: Compare = Field(default_factory=lambda: Compare.model_validate({}))
    in_progress: InProgress = Field(default_factory=lambda: InProgress.model_validate({}))

    _no_bool = field_validator("min_requests", "min_windows", mode="before")(refuse_bool)

    @field_validator("baseline", "canary")
    @classmethod
    def _plain(cls, value: str) -> str:
        return _plain_variant(value)

    @field_validator("window", mode="before")
    @classmethod
    def _window(cls, value: Any) -> float:
        ms = parse_quantity(value, kind="duration_ms", where="window")
        if ms < 1000 or ms % 1000:
            raise ValueError("window must be whole seconds, at least 1s (e.g. 1m, 30s)")
        return ms

    @field_validator("stages", mode="before")
    @classmethod
    def _stages(cls, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise ValueError("stages must be a non-empty list of traffic percentages, e.g. [10, 50, 100]")
        out = [parse_quantity(v, where="stages") * (100.0 if isinstance(v, str) and "%" in v else 1.0) for v in value]
        if any(not 0 < s <= 100 for s in out) or out != sorted(set(out)):
            raise ValueError("stages must be increasing percentages in (0, 100], e.g. [10, 50, 100]")
        return out

    @model_validator(mode="after")
    def _unique_names(self) -> RolloutRules:
        names = [r.name for r in self.rollback]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"rollback rule names must be unique; give a different name: to {twice[0]!r}")
        return self

    @property
    def versions(self) -> dict[str, str]:
        """Variant label -> the agent_version judged under it, for the labels that name one."""
        named = {self.baseline: self.baseline_version, self.canary: self.canary_version}
        return {label: version for label, version in named.items() if version is not None}

    def with_versions(self, baseline: str | None, canary: str | None) -> RolloutRules:
        """These rules with ``--baseline-version`` / ``--canary-version`` given on the command line (checked)."""
        update: dict[str, Any] = {}
        for flag, key, value in (("--baseline-version", "baseline_version", baseline),
                                 ("--canary-version", "canary_version", canary)):  # fmt: skip
            if value is None:
                continue
            if not re.fullmatch(r"[A-Za-z0-9_.:+@/\-]{1,128}", value):
                raise ConfigError(
                    f"{flag}: an agent_version of 1-128 letters, digits, '.', '_', ':', '+', '@', '/' or '-' "
                    "(e.g. v2, 1.4.0, a git sha); write it as the rows carry it"
                )
            update[key] = value
        return self.model_copy(update=update) if update else self

    @property
    def window_seconds(self) -> int:
        """The window length in whole seconds."""
        return int(self.window // 1000)

    def next_stage(self, stage: float) -> float | None:
        """The stage after ``stage``, or None when it is the last one."""
        later = [s for s in self.stages if s > stage]
        return later[0] if later else None


def default_rules() -> RolloutRules:
    """The rules used without ``--rules``: the design's defaults (1-minute windows, 5 bad minutes roll back)."""
    return RolloutRules.model_validate(
        {
            "rollback": [
                {"rule": "error_rate > 1% for 5 consecutive windows"},
                {"rule": "latency_p95_ms > 3000ms for 5 consecutive windows"},
                {"rule": "deny_rate > 0 for 1 window", "min_requests": 1},
            ],
            "compare": {
                "metrics": {
                    "latency_ms": "10%",
                    "error_rate": {"allowed_increase": "0.5pp", "critical": True},
                    "deny_rate": {"allowed_increase": "0pp", "critical": True},
                }
            },
        }
    )


def load_rules(path: str | Path | None) -> RolloutRules:
    """Read and check a rules file; None gives ``default_rules()``. Raises ``ConfigError`` (exit 2)."""
    if path is None:
        return default_rules()
    path = Path(path)
    data, lines = read_yaml(path, ConfigError, "rollout rules")
    try:
        rules = RolloutRules.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(path, exc, lines, RolloutRules)) from None
    if rules.baseline == rules.canary:  # the canary compared with itself always looks like the baseline
        line = lines.get(("canary",)) or lines.get(("baseline",))
        raise ConfigError(
            f"{path}{f':{line}' if line else ''}: baseline and canary are the same variant {rules.canary!r}; "
            "name the production-log variant of each version"
        )
    if not rules.rollback and not rules.compare.metrics:  # no check is never a promotion
        raise ConfigError(
            f"{path}: no rollback rule and no compare metric: nothing to judge, so every stage would be promoted; "
            "add rollback: rules and/or compare: metrics (see docs/canary.md)"
        )
    return rules
