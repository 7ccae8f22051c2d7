"""Prompt injection in inputs and tool outputs, scored by gatekit's trained classifier.

The user input is scored with the ``input`` model, tool outputs with the ``tool_output`` model (a
request to act is an attack inside a tool output, not from the user); each score is a probability.
REQUIRE_REVIEW at ``threshold``; ``escalate_outcome`` (DENY) when the score reaches ``deny_threshold``
or when the agent, after seeing the flagged text, calls a tool outside the allow-list of the policy's
``tools`` rules or one they (or ``high_risk_tools``) mark high-risk.
"""

from __future__ import annotations

import functools
from typing import Any, ClassVar

from gatekit.governance.injection import WEIGHTS_FILE, InjectionSignal, injection_score, models
from gatekit.governance.rules.base import BaseRule, Evaluation, Fired, RuleConfig
from gatekit.governance.rules.tools import _Listed
from gatekit.governance.schema import PromptInjectionConfig
from gatekit.models import TOOL_RESULT_KEYS, Outcome

_RESULT_KEYS = frozenset(TOOL_RESULT_KEYS)
_TOOL_ROLES = ("tool", "function")


def _tool_outputs(ev: Evaluation, messages: list[Any] | None) -> list[str]:
    """Texts the agent read from tools: ``role: tool`` messages and results attached to tool calls."""
    texts: list[str] = []
    if messages is not None:
        for message in messages:
            if isinstance(message, dict) and message.get("role") in _TOOL_ROLES:
                content = message.get("content")
                texts.append(content if isinstance(content, str) else str(content))
    for call in ev.tool_calls:
        if _RESULT_KEYS.isdisjoint(call):
            continue
        for key in TOOL_RESULT_KEYS:
            value = call.get(key)
            if isinstance(value, str):
                texts.append(value)
    return texts


def _name_text(message: dict[str, Any]) -> str | None:
    """A message's ``name`` (the participant's name: the caller sets it, the model reads it) as words, or None.

    Names are identifiers (``ignore_all_previous_instructions``): ``_`` and ``-`` read as spaces.
    """
    name = message.get("name")
    if not isinstance(name, str) or not name.strip():
        return None
    return name.replace("_", " ").replace("-", " ")


def _user_input(ev: Evaluation, messages: list[Any] | None) -> str:
    """The text of the input's messages (tool results aside), each message's ``name`` with it.

    A ``name`` was skipped: a caller (a chat app passing its user's display name, any client of the guard) writes
    it, and the model reads it beside the message, so an injection there went unscored.
    """
    if messages is None:
        return ev.input_text
    if len(messages) == 1:  # the usual case: one user message with text content
        message = messages[0]
        if isinstance(message, dict):
            content = message.get("content")
            named = _name_text(message)
            if message.get("role") in _TOOL_ROLES or (content is None and named is None):
                return ""
            text = "" if content is None else content if isinstance(content, str) else str(content)
            return text if named is None else f"{named}\n{text}"
    parts: list[Any] = []
    for m in messages:
        if isinstance(m, dict) and m.get("role") not in _TOOL_ROLES:
            parts.extend((_name_text(m), m.get("content")))
    return "\n".join(p if isinstance(p, str) else str(p) for p in parts if p is not None)


class PromptInjectionRule(BaseRule):
    """Flags inputs and tool outputs that look like prompt injection."""

    kind: ClassVar[str] = "prompt_injection"
    default_owasp: ClassVar[tuple[str, ...]] = ("LLM01:2025", "ASI01:2026")
    Config: ClassVar[type[RuleConfig]] = PromptInjectionConfig

    def __init__(self, config: RuleConfig) -> None:
        BaseRule.__init__(self, config)  # (explicit: super() in a compiled module does not see BaseRule)
        assert isinstance(config, PromptInjectionConfig)
        self.cfg = config
        self.outcome = Outcome(config.outcome)
        self.escalate = Outcome(config.escalate_outcome)
        self.tool_rules: list[Any] = []
        self.scan_input = "input" in config.scan
        self.scan_tool_outputs = "tool_outputs" in config.scan
        self.scan_output = "output" in config.scan
        self.threshold = config.threshold
        # matched as a tools rule's ``high_risk`` is (written otherwise too: ``Issue_Refund``, ``issue_refund<ZWSP>``)
        self.high_risk_tools = _Listed(config.high_risk_tools)
        try:  # load the weights now: a broken install fails when the policy loads, not on every case
            models()
        except (OSError, ValueError, KeyError) as exc:
            raise RuntimeError(
                f"prompt-injection weights {WEIGHTS_FILE} unreadable ({exc}); reinstall gatekit"
            ) from exc

    def bind(self, rules: list[Any]) -> None:
        """Use the allow-lists and high-risk lists of the policy's ``tools`` rules."""
        self.tool_rules = [r for r in rules if getattr(r, "kind", "") == "tools"]

    def _risky_call(self, ev: Evaluation) -> str | None:
        for call in ev.tool_calls:
            name = str(call.get("name") or "")
            if name in self.high_risk_tools:
                return f"high-risk tool {name!r}"
            for rule in self.tool_rules:
                if not rule.is_allowed(name):
                    return f"tool {name!r} outside the allow-list"
                if rule.is_high_risk(name):
                    return f"high-risk tool {name!r}"
        return None

    def evaluate(self, ev: Evaluation) -> list[Fired]:
        """Score each configured text; fire once per place where the score reaches the threshold."""
        raw = ev.case.get("input")  # the case's messages, when it has a list of them
        messages = raw.get("messages") if isinstance(raw, dict) else raw if isinstance(raw, list) else None
        if messages is not None and not isinstance(messages, list):
            messages = None
        # the texts are read first, in order (input, tool outputs, output), then scored
        user = _user_input(ev, messages) if self.scan_input else None
        tool_texts = _tool_outputs(ev, messages) if self.scan_tool_outputs else None
        fired: list[Fired] = []
        threshold = self.threshold
        if user is not None:
            signal = injection_score(user, "input")
            if signal.score >= threshold:
                self._fire(ev, "input", signal, fired)
        if tool_texts:
            for text in tool_texts:
                signal = injection_score(text, "tool_output")
                if signal.score >= threshold:
                    self._fire(ev, "tool output", signal, fired)
        if self.scan_output:
            signal = injection_score(ev.output, "input")
            if signal.score >= threshold:
                self._fire(ev, "output", signal, fired)
        return fired

    def _fire(self, ev: Evaluation, where: str, signal: InjectionSignal, fired: list[Fired]) -> None:
        """Append how the rule fires on a text of ``where`` scored at or above the threshold."""
        what = f"injection in {where} ({_explain(signal)})"
        deny_at = self.cfg.deny_threshold
        if deny_at is not None and signal.score >= deny_at:
            fired.append(Fired(self.escalate, f"{what} at or above deny_threshold {deny_at}"))
            return
        risky = self._risky_call(ev)
        if risky is not None:
            fired.append(Fired(self.escalate, f"{what} followed by a call of {risky}"))
        else:
            fired.append(Fired(self.outcome, what))


@functools.lru_cache(maxsize=1024)
def _explain(signal: InjectionSignal) -> str:
    """``score 0.97: ignor*, instr*, your`` (the features that weighed most; ``*`` marks a prefix).

    Cached per signal (scores are cached per text): a replay flags the same inputs on every repeat.
    """
    words = ", ".join(f.replace("~", "*") for f in signal.evidence())
    return f"score {signal.score:.2f}" + (f": {words}" if words else "")
