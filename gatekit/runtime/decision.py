"""What a runtime check point decided, and the exceptions that carry it to the agent's caller."""

from __future__ import annotations

import operator
from dataclasses import dataclass, field
from typing import Any

# the check points of one request; the OpenTelemetry ``gen_ai.security.target.type`` of each
STAGES = ("request", "tool_call", "response")
TARGET_TYPE = {"request": "llm_input", "tool_call": "tool_call", "response": "llm_output"}
_RULE_ID = operator.methodcaller("get", "id")  # a fired rule's id


@dataclass(slots=True)
class GuardDecision:
    """One decision of the runtime guard at one check point.

    ``outcome`` is the policy's verdict (``allow``, ``allow_with_redaction``, ``require_review``,
    ``deny``); ``enforced`` is what the guard actually did (the same in enforce mode, except that a
    review the hook approved proceeds; always ``allow`` in evaluate-only mode). ``rules`` are the rules
    that fired (``id``, ``kind``, ``outcome``, ``reason``, ``owasp``); ``redactions`` counts redacted
    values by type — never the values.
    """

    stage: str
    outcome: str
    enforced: str
    request_id: str
    rules: tuple[dict[str, Any], ...] = ()
    reasons: tuple[str, ...] = ()
    redactions: dict[str, int] = field(default_factory=dict)
    policy_id: str = ""
    policy_version: str = ""
    policy_sha256: str = ""
    decision_latency_us: float = 0.0
    tool_name: str | None = None

    @property
    def rule_ids(self) -> list[str]:
        """Ids of the rules that fired, each once, in firing order."""
        return list(dict.fromkeys(map(str, map(_RULE_ID, self.rules))))  # (C iterators: once per decision)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (no content: rule ids, reasons, counts)."""
        return {
            "stage": self.stage,
            "outcome": self.outcome,
            "enforced": self.enforced,
            "request_id": self.request_id,
            "rules": [dict(rule) for rule in self.rules],
            "reasons": list(self.reasons),
            "redactions": dict(self.redactions),
            "policy": {"id": self.policy_id, "version": self.policy_version, "sha256": self.policy_sha256},
            "decision_latency_us": round(self.decision_latency_us, 2),
            "tool_name": self.tool_name,
        }


class PolicyViolation(Exception):  # noqa: N818 - the name says what happened, as the issue names it
    """The policy denied a request, a tool call or a response; ``decision`` says which rules and why.

    ``str()`` (what an application logs) is one line with secrets and PII scrubbed and controls shown escaped, as
    the guard's traces show reasons: a reason quotes the tool name the agent chose and a request id the caller gave.
    ``decision`` keeps them as they were.
    """

    def __init__(self, decision: GuardDecision, message: str | None = None) -> None:
        self.decision = decision
        if message is None:
            from gatekit.redact import scrub
            from gatekit.report.text import one_line

            reasons = "; ".join(decision.reasons) or "no reason given"
            text = f"{decision.outcome} at {decision.stage} (request {decision.request_id}): {reasons}"
            message = one_line(scrub(text) or text)
        super().__init__(message)

    @property
    def outcome(self) -> str:
        """The policy's verdict (``deny`` or ``require_review``)."""
        return self.decision.outcome

    @property
    def rules(self) -> list[str]:
        """Ids of the rules that fired."""
        return self.decision.rule_ids

    @property
    def reasons(self) -> list[str]:
        """Why, one line per fired rule (``rule-id: reason``)."""
        return list(self.decision.reasons)


class ReviewRequired(PolicyViolation):
    """The policy sent the call to human review and no review hook approved it (the default hook raises this)."""
