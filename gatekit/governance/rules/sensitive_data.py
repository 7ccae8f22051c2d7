"""Sensitive data (PII and secrets) in outputs, tool-call arguments and, optionally, inputs.

Each detected type has an action: ``redact`` (typed placeholder such as ``[EMAIL_ADDRESS]``, or a
keyed HMAC token ``[EMAIL_ADDRESS:1f2e3d4c5b6a]`` when joinability matters), ``deny``, ``review``
or ``allow``. Values are redacted from what gatekit writes whatever the action, except ``allow``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator

from gatekit.errors import PolicyError
from gatekit.governance.detectors import ALL_TYPES, PII_TYPES, SECRET_TYPES
from gatekit.governance.rules.base import BaseRule, Evaluation, Fired, RuleConfig
from gatekit.models import Outcome

Action = Literal["redact", "deny", "review", "allow"]
_ACTION_OUTCOME = {
    "redact": Outcome.ALLOW_WITH_REDACTION,
    "deny": Outcome.DENY,
    "review": Outcome.REQUIRE_REVIEW,
    "allow": Outcome.ALLOW,
}
_VERB = {
    Outcome.ALLOW_WITH_REDACTION: "redacted",
    Outcome.DENY: "denied",
    Outcome.REQUIRE_REVIEW: "needs review",
}
_GROUPS = {"pii": PII_TYPES, "secrets": SECRET_TYPES}
_SHARED_KEY = "sensitive_data.group"


class SensitiveDataConfig(RuleConfig):
    """YAML of a ``sensitive_data`` rule."""

    kind: Literal["sensitive_data"] = "sensitive_data"
    scan: list[Literal["output", "tool_arguments", "input"]] = Field(
        default_factory=lambda: ["output", "tool_arguments"]  # type: ignore[arg-type]
    )
    actions: dict[str, Action]
    redaction: Literal["placeholder", "hmac"] = "placeholder"
    hmac_key_env: str = "GATEKIT_REDACTION_KEY"

    @field_validator("actions")
    @classmethod
    def _known_types(cls, value: dict[str, Action]) -> dict[str, Action]:
        valid = set(ALL_TYPES) | set(_GROUPS)
        for key in value:
            if key not in valid:
                raise ValueError(f"unknown data type {key!r}; valid: {', '.join(sorted(valid))}")
        return value


class SensitiveDataRule(BaseRule):
    """Finds PII and secrets; redacts or denies per type."""

    kind: ClassVar[str] = "sensitive_data"
    default_owasp: ClassVar[tuple[str, ...]] = ("LLM02:2025",)
    Config: ClassVar[type[RuleConfig]] = SensitiveDataConfig
    redacts: ClassVar[bool] = True

    def __init__(self, config: RuleConfig) -> None:
        super().__init__(config)
        assert isinstance(config, SensitiveDataConfig)
        self.cfg = config
        actions: dict[str, str] = {}
        for key, action in config.actions.items():  # groups first, then explicit types override
            if key in _GROUPS:
                for kind in _GROUPS[key]:
                    actions.setdefault(kind, action)
        for key, action in config.actions.items():
            if key not in _GROUPS:
                actions[key] = action
        self.actions = actions
        self.scan_output = "output" in config.scan
        self.scan_tools = "tool_arguments" in config.scan
        self.scan_input = "input" in config.scan
        self.key: bytes | None = None
        if config.redaction == "hmac":
            key = os.environ.get(config.hmac_key_env, "")
            if not key:
                raise PolicyError(
                    f"rule {config.id!r}: redaction 'hmac' needs a key in the environment variable "
                    f"{config.hmac_key_env}; set it (or use redaction: placeholder)"
                )
            self.key = key.encode()
        self.placeholders = {kind: f"[{kind}]" for kind in ALL_TYPES}
        self.group: list[SensitiveDataRule] | None = None

    def _replacement(self, kind: str, value: str) -> str:
        if self.key is None:
            return self.placeholders[kind]
        digest = hmac.new(self.key, value.encode(), hashlib.sha256).hexdigest()[:12]
        return f"[{kind}:{digest}]"

    def bind(self, rules: list[Any]) -> None:
        """Group this policy's plain ``sensitive_data`` rules: the first one scans for all of them."""
        group = [r for r in rules if type(r) is SensitiveDataRule]
        self.group = group if len(group) > 1 and group[0] is self else None

    def evaluate(self, ev: Evaluation) -> list[Fired]:
        """Act on the findings of every configured text (each text is scanned once per case).

        The first rule of a group walks the texts once for every rule of the group and leaves each
        rule's result in ``ev.shared``; every rule still asks for its redactions at its own place in
        the policy, so the outcome is the same as each rule walking the texts itself. If the shared
        walk fails, each rule falls back to its own walk (and fails, or not, exactly as it would alone).
        """
        shared = ev.shared
        result = None
        if self.group is not None:
            try:
                shared[_SHARED_KEY] = self._evaluate_group(ev, self.group)
            except Exception:  # noqa: BLE001 - every rule redoes its own part and fails on its own
                shared.pop(_SHARED_KEY, None)
        results = shared.get(_SHARED_KEY)
        if results is not None:
            result = results.get(id(self))
        if result is None:
            return self._evaluate_alone(ev)
        requests, fired = result
        redact = ev.redact
        for key, start, end, kind, replacement in requests:
            redact(key, start, end, kind, replacement)
        return fired

    def _evaluate_group(
        self, ev: Evaluation, group: list[SensitiveDataRule]
    ) -> dict[int, tuple[list[tuple[Any, int, int, str, str]], list[Fired]]]:
        texts: list[tuple[Any, str]] = []
        if ev.output and any(rule.scan_output for rule in group):
            texts.append(("output", ev.output))
        if any(rule.scan_tools for rule in group):
            texts.extend(ev.tool_texts())
        if any(rule.scan_input for rule in group):
            texts.append(("input", ev.input_text))
        requests: list[list[tuple[Any, int, int, str, str]]] = [[] for _ in group]
        buckets: list[dict[tuple[Outcome, str, str], int]] = [{} for _ in group]
        findings = ev.findings
        for key, text in texts:
            if not text:
                continue
            found = findings(key, text)
            if not found:
                continue
            if key == "output":
                where, field = "output", "scan_output"
            elif key == "input":
                where, field = "input", "scan_input"
            else:
                where, field = f"arguments of tool call {key[1]}", "scan_tools"
            for index, rule in enumerate(group):
                if not getattr(rule, field):
                    continue
                actions = rule.actions
                for finding in found:
                    kind = finding.type
                    action = actions.get(kind)
                    if action is None or action == "allow":
                        continue
                    if key != "input":
                        requests[index].append(
                            (key, finding.start, finding.end, kind, rule._replacement(kind, finding.value))
                        )
                    bucket = (_ACTION_OUTCOME[action], kind, where)
                    counts = buckets[index]
                    counts[bucket] = counts.get(bucket, 0) + 1
        return {
            id(rule): (
                requests[index],
                [
                    Fired(outcome, f"{count} {kind} in {where} ({_VERB[outcome]})")
                    for (outcome, kind, where), count in buckets[index].items()
                ],
            )
            for index, rule in enumerate(group)
        }

    def _evaluate_alone(self, ev: Evaluation) -> list[Fired]:
        """This rule's own walk over its texts."""
        per_outcome: dict[tuple[Outcome, str, str], int] | None = None
        actions = self.actions
        findings = ev.findings
        texts: list[tuple[Any, str]] = []
        if self.scan_output and ev.output:
            texts.append(("output", ev.output))
        if self.scan_tools:
            texts.extend(ev.tool_texts())
        if self.scan_input:
            texts.append(("input", ev.input_text))
        for key, text in texts:
            if not text:
                continue
            found = findings(key, text)
            if not found:
                continue
            for finding in found:
                kind = finding.type
                action = actions.get(kind)
                if action is None or action == "allow":
                    continue
                if key != "input":
                    ev.redact(key, finding.start, finding.end, kind, self._replacement(kind, finding.value))
                where = key if isinstance(key, str) else f"arguments of tool call {key[1]}"
                bucket = (_ACTION_OUTCOME[action], kind, where)
                if per_outcome is None:
                    per_outcome = {}
                per_outcome[bucket] = per_outcome.get(bucket, 0) + 1
        if per_outcome is None:
            return []
        return [
            Fired(outcome, f"{count} {kind} in {where} ({_VERB[outcome]})")
            for (outcome, kind, where), count in per_outcome.items()
        ]
