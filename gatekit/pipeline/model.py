"""The typed verdict of a gate run: what ``run_gate`` returns and ``verdict.json`` serialises.

Every part is a pydantic model built with keywords only. ``verdict.json`` is
``Verdict.to_json()``; ``Verdict.from_file`` reads it back, and both directions give the
same JSON (``tests/test_verdict_model.py``). Open-ended parts (metrics, per-rule
governance counts, drift feature tables, case rows that other stages may extend) keep
their extra keys, so a newer writer's fields survive a round trip.
``gatekit schema verdict`` prints :func:`verdict_json_schema`.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gatekit.models import Check, CheckStatus

VERDICT_SCHEMA_VERSION = 1
VerdictWord = Literal["pass", "fail", "inconclusive"]


def _ends(interval: tuple[float | None, float | None]) -> tuple[float, float]:
    """An interval with its open (null) ends as -inf / inf."""
    lo, hi = interval
    return (-math.inf if lo is None else lo, math.inf if hi is None else hi)


class _Part(BaseModel):
    """A fixed part of the verdict: unknown keys are refused."""

    model_config = ConfigDict(extra="forbid")


class _OpenPart(BaseModel):
    """A part other stages may extend: unknown keys are kept as they are."""

    model_config = ConfigDict(extra="allow")


class CheckResult(_Part):
    """One check: a measured value against a limit (``op`` ``<=`` or ``>=``), with its interval."""

    name: str
    value: float | None = None
    limit: float | None = None
    op: str = ""
    interval: tuple[float | None, float | None] | None = None  # a null end is open (-inf below, inf above)
    status: Literal["pass", "fail", "inconclusive"]
    message: str = ""
    unit: str = ""

    @field_validator("interval", mode="before")
    @classmethod
    def _open_ends(cls, value: Any) -> Any:
        """An infinite end (a quantile interval from too few cases) is null, as verdict.json writes it."""
        if isinstance(value, list | tuple):
            return tuple(None if isinstance(v, float) and not math.isfinite(v) else v for v in value)
        return value

    @classmethod
    def from_check(cls, check: Check) -> CheckResult:
        """The serialisable form of a ``gatekit.models.Check``."""
        return cls(
            name=check.name,
            value=check.value,
            limit=check.limit,
            op=check.op,
            interval=check.interval,
            status=check.status.value,
            message=check.message,
            unit=check.unit,
        )

    def to_check(self) -> Check:
        """Back to the ``Check`` the verdict logic (``gatekit.verdict.describe``) works on."""
        return Check(
            self.name,
            self.value,
            self.limit,
            self.op,
            CheckStatus(self.status),
            None if self.interval is None else _ends(self.interval),
            self.message,
            self.unit,
        )

    @property
    def straddles(self) -> bool:
        """True when the interval has values on both sides of the limit (the point estimate alone decided)."""
        if self.interval is None or self.limit is None or self.op not in ("<=", ">="):
            return False
        lo = -math.inf if self.interval[0] is None else self.interval[0]
        hi = math.inf if self.interval[1] is None else self.interval[1]
        good = (lambda x: x <= self.limit) if self.op == "<=" else (lambda x: x >= self.limit)  # noqa: E731
        return good(lo) != good(hi)


class CaseRow(_OpenPart):
    """A case shown in the verdict (failed, slowest, unpassed, denied or reviewed); the full row is in results.jsonl."""

    case_id: str
    repeat: int = 0
    latency_ms: float | None = None
    error_type: str | None = None
    error_message: str | None = None
    attempts: int = 0
    outcome: str = ""
    reasons: list[str] = Field(default_factory=list)
    output_preview: str = ""
    tools: list[Any] = Field(default_factory=list)


class DominantError(_Part):
    """The error most failed cases share (same type and message), e.g. ``30/30 http_4xx: model 'x' not found``."""

    error_type: str
    message: str
    count: int
    of: int

    def describe(self) -> str:
        """``30/30 http_4xx: model 'x' not found``."""
        text = f"{self.count}/{self.of} {self.error_type}"
        return f"{text}: {self.message}" if self.message else text


class ErrorsPart(_Part):
    """Errors by type and rates before / after retries."""

    by_type: dict[str, int] = Field(default_factory=dict)
    first_attempt_error_rate: float | None = None
    final_error_rate: float | None = None
    retried_cases: int = 0
    dominant: DominantError | None = None


class PolicyRef(_Part):
    """Which policy judged the run."""

    id: str
    version: str
    sha256: str


class LabelledRate(_Part):
    """A rate over labelled cases: ``hits`` of ``n``, its Wilson interval; ``rate`` is null when ``n`` is 0."""

    hits: int
    n: int
    rate: float | None = None
    ci: list[float] | None = None


class LabelledRuleQuality(_Part):
    """One rule's block rate on violations and false-positive rate on benign labelled cases."""

    violation_block_rate: LabelledRate
    false_positive_rate: LabelledRate


class LabelledQuality(_OpenPart):
    """Policy quality on cases that state ``expected.governance`` (gatekit.governance.labelled)."""

    labelled: int
    violations: int
    benign: int
    level: float
    violation_block_rate: LabelledRate
    false_positive_rate: LabelledRate
    agreement_rate: LabelledRate
    by_rule: dict[str, LabelledRuleQuality] = Field(default_factory=dict)
    unjudged: int = 0


class GovernancePart(_OpenPart):
    """Governance decisions over the run.

    ``outcomes`` counts the cases that got a response (and errored cases governance denied
    or sent to review); ``errored`` counts the other errored cases: never an allowed decision.
    """

    outcomes: dict[str, int] = Field(default_factory=dict)
    errored: int = 0
    evaluated: int = 0
    deny_count: int = 0
    deny_rate: float | None = None
    review_rate: float | None = None
    coverage: float | None = None
    policy: PolicyRef | None = None
    denied_cases: list[CaseRow] = Field(default_factory=list)
    reviewed_cases: list[CaseRow] = Field(default_factory=list)
    stop_reason: str | None = None
    labelled: LabelledQuality | None = None


class DatasetPart(_OpenPart):
    """The golden dataset: where, which format, how many cases, its hash."""

    path: str
    format: str
    cases: int
    sha256: str


class CandidatePart(_Part):
    """The agent under test, in display form (no credentials)."""

    spec: str


class ReplayPart(_Part):
    """How the replay ran."""

    wall_s: float
    concurrency: int
    timeout_s: float
    retries: int
    repeat: int
    stopped_early: bool
    deadline_s: float | None = None
    deadline_hit: bool = False
    resumed_cases: int = 0
    torn_bytes_dropped: int = 0
    attempts: int = 0
    pass_counts: dict[str, Any] | None = None
    stop_after_identical_failures: int | None = None


class SamplePart(_Part):
    """A sample run: ``size`` cases of ``of`` drawn with ``seed``."""

    size: int
    seed: int
    of: int


class PromotionPart(_Part):
    """What ``gatekit promote`` did with the registry alias."""

    alias: str
    model: str | None = None
    version: str | None = None
    previous_version: str | None = None
    # unconfirmed: the registry failed while the alias was being moved and could not be read back (exit 3)
    action: Literal["promoted", "unchanged", "dry_run", "skipped", "unconfirmed"]
    dry_run: bool = False
    message: str = ""
    requested: bool = False  # --alias or --dry-run was given (a skip is then shown, not only recorded)


class MlflowPart(_Part):
    """Where the run was logged (or why it was not)."""

    run_id: str | None = None
    experiment_id: str | None = None
    tracking_uri: str | None = None
    error: str | None = None
    skipped: bool = False


class Verdict(BaseModel):
    """The outcome of one gate run (schema_version 1). Construct with keywords only."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # a verdict of another format version (a newer gatekit's, or a hand-edited one) is refused, not misread
    schema_version: int = Field(default=VERDICT_SCHEMA_VERSION, ge=1, le=VERDICT_SCHEMA_VERSION)
    kind: Literal["gate"] = "gate"
    command: Literal["eval", "promote"]
    verdict: VerdictWord
    exit_code: int | None = None
    reasons: list[str] = Field(default_factory=list)
    checks: list[CheckResult] = Field(default_factory=list)
    metrics: dict[str, Any] = Field(default_factory=dict)
    errors: ErrorsPart = Field(default_factory=ErrorsPart)
    governance: GovernancePart = Field(default_factory=GovernancePart)
    drift: dict[str, Any] | None = None
    dataset: DatasetPart
    candidate: CandidatePart
    gatekit_version: str
    started_at: str
    duration_s: float | None = None
    replay: ReplayPart
    sample: SamplePart | None = None
    promotion: PromotionPart | None = None
    out_dir: str
    failed_cases: list[CaseRow] = Field(default_factory=list)
    slowest_cases: list[CaseRow] = Field(default_factory=list)
    unpassed_cases: list[CaseRow] = Field(default_factory=list)
    mlflow: MlflowPart = Field(default_factory=MlflowPart)

    @property
    def passed(self) -> bool:
        """True only for a PASS with exit code 0."""
        return self.verdict == "pass" and self.exit_code in (None, 0)

    def to_dict(self) -> dict[str, Any]:
        """The JSON-shaped dict (what ``verdict.json`` holds and the HTML template reads)."""
        return self.model_dump(mode="json")

    def to_json(self) -> str:
        """``verdict.json`` text: strict JSON (non-finite numbers become null)."""
        from gatekit.jsonio import to_json

        return to_json(self.to_dict()) + "\n"

    @classmethod
    def from_file(cls, path: Path) -> Verdict:
        """Read a ``verdict.json``; raises ``pydantic.ValidationError`` / ``ValueError`` on a bad file."""
        from gatekit.fsio import MAX_JSON_FILE_BYTES, read_input_text

        return cls.model_validate_json(read_input_text(path, MAX_JSON_FILE_BYTES))


def verdict_json_schema() -> dict[str, Any]:
    """JSON Schema of ``verdict.json`` (``gatekit schema verdict``)."""
    schema = Verdict.model_json_schema(mode="serialization")
    schema["title"] = "gatekit verdict.json"
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
