"""Plain data that flows between the pipeline stages.

Nothing here imports pandas, scipy or mlflow. Every record can be turned into a
JSON-ready dict with ``to_dict`` so stages can be joined by files as well as calls.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any


class Outcome(enum.StrEnum):
    """A governance decision; the order of ``RANK`` is the precedence."""

    ALLOW = "allow"
    ALLOW_WITH_REDACTION = "allow_with_redaction"
    REQUIRE_REVIEW = "require_review"
    DENY = "deny"

    @property
    def rank(self) -> int:
        """Strength of the outcome: DENY > REQUIRE_REVIEW > ALLOW_WITH_REDACTION > ALLOW."""
        return _RANK[self]

    @classmethod
    def strongest(cls, outcomes: list[Outcome]) -> Outcome:
        """Return the strongest outcome of ``outcomes`` (ALLOW when empty)."""
        best = cls.ALLOW
        for outcome in outcomes:
            if _RANK[outcome] > _RANK[best]:
                best = outcome
        return best


_RANK = {
    Outcome.ALLOW: 0,
    Outcome.ALLOW_WITH_REDACTION: 1,
    Outcome.REQUIRE_REVIEW: 2,
    Outcome.DENY: 3,
}


class CheckStatus(enum.StrEnum):
    """Result of one threshold check."""

    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"


class ErrorType(enum.StrEnum):
    """Why a case (or one attempt of it) failed."""

    TIMEOUT = "timeout"
    RATE_LIMITED = "rate_limited"
    HTTP_5XX = "http_5xx"
    HTTP_4XX = "http_4xx"
    CONNECTION = "connection"
    INVALID_RESPONSE = "invalid_response"
    EXCEPTION = "exception"


@dataclass
class Case:
    """One golden-dataset row."""

    id: str
    input: Any
    expected: dict[str, Any] | None = None
    context: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    timestamp: str | None = None
    line: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the row as it would appear in a JSONL dataset."""
        return {
            "id": self.id,
            "input": self.input,
            "expected": self.expected,
            "context": self.context,
            "tags": self.tags,
            "timestamp": self.timestamp,
        }


# what a tool returned, attached to its call: kept by the response check (agents/base), read and redacted by the rules
# (rules/base ``Evaluation.tool_texts``, rules/injection), judged by the guard for calls checked before they ran
TOOL_RESULT_KEYS = ("output", "result", "content")


@dataclass
class AgentResponse:
    """A normalised agent response (DESIGN.md, "Candidate agent")."""

    output: str = ""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    # None = the agent did not report it (unknown is never 0)
    usage: dict[str, int | None] = field(default_factory=lambda: {"input_tokens": None, "output_tokens": None})
    model: str | None = None
    cost_usd: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass
class Attempt:
    """One call of the agent for one case."""

    attempt: int
    latency_ms: float
    ok: bool
    error_type: str | None = None
    error_message: str | None = None
    # what the attempt spent: the answer's cost on the successful attempt; on a failed one what its exception
    # reported (``usage`` / ``cost_usd`` / ``model`` attributes), priced; None: unknown (not reported), never 0
    cost_usd: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)


@dataclass(slots=True)
class Decision:
    """A governance decision for one case."""

    outcome: Outcome
    rules: list[dict[str, Any]] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    redacted_output: str = ""
    redacted_tool_calls: list[dict[str, Any]] = field(default_factory=list)
    redactions: dict[str, int] = field(default_factory=dict)
    decision_latency_us: float = 0.0
    # checks a rule could not make on this case, and why (e.g. a per-minute budget without a timestamp)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (without the redacted payload, kept on the response)."""
        return {
            "outcome": self.outcome.value,
            "rules": self.rules,
            "reasons": self.reasons,
            "redactions": self.redactions,
            "decision_latency_us": round(self.decision_latency_us, 2),
            "notes": self.notes,
        }


@dataclass
class CaseResult:
    """Everything gatekit knows about one finished case (one row of results.jsonl)."""

    case_id: str
    ok: bool
    attempts: list[Attempt]
    response: AgentResponse | None = None
    latency_ms: float | None = None
    error_type: str | None = None
    error_message: str | None = None
    cost_usd: float | None = None
    repeat: int = 0
    decision: Decision | None = None
    # as delivered: expectations met on what governance let out, and not denied / held for review (None: not scored)
    passed: bool | None = None
    started_at: str | None = None
    # the expectations alone, on the response as governance redacted it, whatever the outcome (None: not scored)
    expectations_met: bool | None = None
    # which expected tool call or substring was not met (gatekit.metrics.check_expectations), redacted
    expectation_misses: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """Return the results.jsonl row."""
        return {
            "case_id": self.case_id,
            "repeat": self.repeat,
            "ok": self.ok,
            "passed": self.passed,
            "expectations_met": self.expectations_met,
            "latency_ms": None if self.latency_ms is None else round(self.latency_ms, 3),
            "error_type": self.error_type,
            "error_message": self.error_message,
            "cost_usd": self.cost_usd,
            "attempts": [a.to_dict() for a in self.attempts],
            "response": None if self.response is None else self.response.to_dict(),
            "decision": None if self.decision is None else self.decision.to_dict(),
            "started_at": self.started_at,
            "expectation_misses": self.expectation_misses,
        }


@dataclass
class Check:
    """One threshold check: a value against a limit, with an optional interval."""

    name: str
    value: float | None
    limit: float | None
    op: str
    status: CheckStatus
    interval: tuple[float, float] | None = None
    message: str = ""
    unit: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return {
            "name": self.name,
            "value": self.value,
            "limit": self.limit,
            "op": self.op,
            "interval": None if self.interval is None else list(self.interval),
            "status": self.status.value,
            "message": self.message,
            "unit": self.unit,
        }
