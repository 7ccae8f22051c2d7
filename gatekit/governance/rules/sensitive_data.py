"""Sensitive data (PII and secrets) in outputs, tool-call arguments and, optionally, inputs.

``scan: tool_arguments`` also reads the results attached to the tool calls (``output`` / ``result`` / ``content``
of a call): untrusted text the agent read, redacted (or denied) exactly as the arguments are, so it is never written
raw.

Each detected type has an outcome: ``allow_with_redaction`` (typed placeholder such as ``[EMAIL_ADDRESS]``, or a
keyed HMAC token ``[EMAIL_ADDRESS:1f2e3d4c5b6a]`` when joinability matters), ``deny``, ``require_review``
or ``allow``. Values are redacted from what gatekit writes whatever the outcome, except ``allow``
(a secret is masked in what the gate writes even then: ``gatekit.pipeline.judge.written_secrets_policy``).

Tool arguments are read in context: a string under an argument key that names an identifier
(``identifier_keys``, by default ``id``, ``ids``, ``*_id``, ``*_ids``, camelCase ``itemId`` included)
that is a bare run of digits is an id, not a phone number (tau2-bench's ``item_ids``, ``product_id``).
Every other type is still detected there, and free text (the output, the input) is read as before.
A value under a key that names a credential (``credential_keys``, by default ``password``, ``*_secret``,
``api_key``, ``access_token``... see ``schema.DEFAULT_CREDENTIAL_KEYS``) is a ``GENERIC_SECRET`` whole,
however it looks (``{"password": "hunter2"}``), unless it is only mask characters (``********``).

``phone_regions`` sets the regions of numbers written without a country code (default: see
``gatekit.governance.detectors.phone.DEFAULT_REGIONS``); ``detectors`` adds custom detectors (a regex, a
named validator such as ``luhn`` or ``mod97``, context words), whose types the ``actions`` may name.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import operator
import os
from typing import Any, ClassVar

from gatekit.errors import PolicyError
from gatekit.governance.custom_patterns import LinearPattern
from gatekit.governance.detectors import custom_detector, scanner_for
from gatekit.governance.normalise import normalise
from gatekit.governance.rules.base import BaseRule, Evaluation, Fired, RuleConfig, Span, argument_keys
from gatekit.governance.schema import DATA_GROUPS, SensitiveDataConfig
from gatekit.models import Outcome

_ACTION_OUTCOME = {outcome.value: outcome for outcome in Outcome}  # the ``outcomes`` words
_VERB = {
    Outcome.ALLOW_WITH_REDACTION: "redacted",
    Outcome.DENY: "denied",
    Outcome.REQUIRE_REVIEW: "needs review",
}
_ACTION_VERB = {action: _VERB[outcome] for action, outcome in _ACTION_OUTCOME.items() if outcome in _VERB}
_TYPE = operator.itemgetter(0)  # a finding's type
_WHERE = tuple(f"arguments of tool call {index}" for index in range(32))


def _tool_where(key: tuple[Any, ...]) -> str:
    index = key[1]
    if key[0] == "result":  # (a result attached to the call: read under tool_arguments, see Evaluation.tool_texts)
        return f"result of tool call {index}"
    return _WHERE[index] if type(index) is int and 0 <= index < 32 else f"arguments of tool call {index}"


class SensitiveDataRule(BaseRule):
    """Finds PII and secrets; redacts or denies per type."""

    kind: ClassVar[str] = "sensitive_data"
    default_owasp: ClassVar[tuple[str, ...]] = ("LLM02:2025",)
    Config: ClassVar[type[RuleConfig]] = SensitiveDataConfig
    redacts: ClassVar[bool] = True

    def __init__(self, config: RuleConfig) -> None:
        BaseRule.__init__(self, config)  # (explicit: super() in a compiled module does not see BaseRule)
        assert isinstance(config, SensitiveDataConfig)
        self.cfg = config
        actions: dict[str, str] = {}
        for key, action in config.outcomes.items():  # groups first, then explicit types override
            if key in DATA_GROUPS:
                for kind in DATA_GROUPS[key]:
                    actions.setdefault(kind, action)
        for key, action in config.outcomes.items():
            if key not in DATA_GROUPS:
                actions[key] = action
        self.actions = actions
        self.acting = frozenset(kind for kind, action in actions.items() if action != "allow")  # types acted on
        self.scan_output = "output" in config.scan
        self.scan_tools = "tool_arguments" in config.scan
        self.scan_input = "input" in config.scan
        self.ids = argument_keys(tuple(config.identifier_keys)) if config.identifier_keys else None
        self.credentials = argument_keys(tuple(config.credential_keys)) if config.credential_keys else None
        self.key: bytes | None = None
        if config.redaction == "hmac":
            key = os.environ.get(config.hmac_key_env, "")
            if not key:
                raise PolicyError(
                    f"rule {config.id!r}: redaction 'hmac' needs a key in the environment variable "
                    f"{config.hmac_key_env}; set it (or use redaction: placeholder)"
                )
            self.key = key.encode()
        # (each custom pattern on RE2: linear in the text, whatever the author wrote)
        custom = [
            dataclasses.replace(detector, pattern=LinearPattern(detector.pattern.pattern))  # type: ignore[arg-type]
            for detector in (custom_detector(spec.model_dump()) for spec in config.detectors)
        ]
        self.scanner = scanner_for(config.phone_regions, custom)
        self.placeholders = {kind: f"[{kind}]" for kind in self.scanner.types}
        # every type the scanner finds is acted on (a PII rule): no finding needs sorting out before the loop
        self.acts_on_all = self.acting.issuperset(self.scanner.types)
        self._fired: dict[tuple[tuple[str, str, str], int], Fired] = {}  # (outcome, type, where), count -> Fired

    def _replacement(self, kind: str, value: str) -> str:
        if self.key is None:
            return self.placeholders[kind]
        # (the value as detectors read it: one token for "jane.doe@example.com" and "jane.doe&#64;example.com")
        digest = hmac.new(self.key, normalise(value).text.encode(), hashlib.sha256).hexdigest()[:12]
        return f"[{kind}:{digest}]"

    def evaluate(self, ev: Evaluation) -> list[Fired]:
        """Act on the findings of every configured text (the texts are scanned once per case, together)."""
        hits = ev.scan_hits(
            self.scan_output, self.scan_tools, self.scan_input, self.ids, self.scanner, self.credentials
        )
        if not hits:
            return []
        if not self.acts_on_all:
            acting = self.acting
            for _, found in hits:  # (most hits of the secrets rule are PII it does not act on: decided here)
                if not acting.isdisjoint(map(_TYPE, found)):  # (a type acted on: C iterators, no generator)
                    break
            else:
                return []
        per_outcome: dict[tuple[str, str, str], int] = {}
        actions = self.actions
        placeholders = self.placeholders if self.key is None else None
        redactions = ev.redactions
        for key, found in hits:
            where: str | None = None
            spans: dict[tuple[int, int], Span] | None = None
            redactable = key != "input"
            for kind, start, end, value in found:
                action = actions.get(kind)
                if action is None or action == "allow":
                    continue
                if redactable:
                    if spans is None:
                        spans = redactions.get(key)
                        if spans is None:
                            spans = redactions[key] = {}
                    span = (start, end)
                    if span not in spans:  # the first request for a span wins
                        replacement = placeholders[kind] if placeholders is not None else self._replacement(kind, value)
                        spans[span] = (start, end, kind, replacement)
                if where is None:
                    if type(key) is str:
                        where = key
                    else:
                        index = key[1]
                        if key[0] == "tool" and type(index) is int and 0 <= index < 32:
                            where = _WHERE[index]
                        else:
                            where = _tool_where(key)
                bucket = (action, kind, where)
                per_outcome[bucket] = per_outcome.get(bucket, 0) + 1
        if not per_outcome:
            return []
        # (the same few ways to fire recur from case to case: each Fired, an immutable tuple, is built once)
        known = self._fired
        fired: list[Fired] = []
        for bucket, count in per_outcome.items():
            way = known.get((bucket, count))
            if way is None:
                action, kind, where = bucket
                way = Fired(_ACTION_OUTCOME[action], f"{count} {kind} in {where} ({_ACTION_VERB[action]})")
                if len(known) < 4096:
                    known[(bucket, count)] = way
            fired.append(way)
        return fired
