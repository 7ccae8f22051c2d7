"""YAML models (pydantic) of policy files and of the rule kinds whose logic modules may be compiled.

mypyc (``setup.py``) cannot compile pydantic models, so the models of the compiled modules live here, in plain
Python; each rule module re-exports its own (``from gatekit.governance.rules.condition import ConditionConfig``
keeps working).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from gatekit.governance.injection import DEFAULT_THRESHOLD
from gatekit.governance.rules.interface import RuleConfig

OutcomeName = Literal["deny", "require_review", "allow_with_redaction", "allow"]


class PolicyFile(BaseModel):
    """Top level of a policy YAML file."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,63}$")
    version: str
    description: str = ""
    rules: list[dict[str, Any]] = Field(default_factory=list)


class ConditionConfig(RuleConfig):
    """YAML of a ``condition`` rule."""

    kind: Literal["condition"] = "condition"
    when: str
    outcome: Literal["deny", "require_review", "allow_with_redaction", "allow"] = "require_review"
    reason: str = ""


class PromptInjectionConfig(RuleConfig):
    """YAML of a ``prompt_injection`` rule."""

    kind: Literal["prompt_injection"] = "prompt_injection"
    scan: list[Literal["input", "tool_outputs", "output"]] = Field(
        default_factory=lambda: ["input", "tool_outputs"]  # type: ignore[arg-type]
    )
    threshold: float = Field(default=DEFAULT_THRESHOLD, gt=0)
    outcome: OutcomeName = "require_review"
    escalate_outcome: OutcomeName = "deny"
    high_risk_tools: list[str] = Field(default_factory=list)


class SensitiveTermsConfig(RuleConfig):
    """YAML of a ``sensitive_terms`` rule."""

    kind: Literal["sensitive_terms"] = "sensitive_terms"
    terms: list[str] = Field(min_length=1)
    scan: list[Literal["output", "tool_arguments", "input"]] = Field(
        default_factory=lambda: ["output", "tool_arguments"]  # type: ignore[arg-type]
    )
    action: Literal["redact", "deny", "review"] = "deny"
    placeholder: str = "[SENSITIVE_TERM]"


class EmergencyStopConfig(RuleConfig):
    """YAML of an ``emergency_stop`` rule."""

    kind: Literal["emergency_stop"] = "emergency_stop"
    when: str
    min_cases: int = Field(default=1, ge=1)
    reason: str = ""
