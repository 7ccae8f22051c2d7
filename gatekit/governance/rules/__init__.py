"""Rule kinds, in a registry keyed by ``kind``.

Built-in kinds register exactly like a plugin would: third-party kinds use the
``gatekit.rules`` entry-point group (name = kind, value = a :class:`BaseRule` subclass
with a ``Config`` pydantic model). Built-ins are imported lazily, one module per kind.
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points

from gatekit.governance.rules.base import BaseRule, Evaluation, Fired, Rule, RuleConfig

_BUILTINS: dict[str, str] = {
    "tools": "gatekit.governance.rules.tools:ToolsRule",
    "sensitive_data": "gatekit.governance.rules.sensitive_data:SensitiveDataRule",
    "sensitive_terms": "gatekit.governance.rules.terms:SensitiveTermsRule",
    "prompt_injection": "gatekit.governance.rules.injection:PromptInjectionRule",
    "condition": "gatekit.governance.rules.condition:ConditionRule",
    "token_budget": "gatekit.governance.rules.budget:TokenBudgetRule",
    "emergency_stop": "gatekit.governance.rules.emergency_stop:EmergencyStopRule",
}
_REGISTRY: dict[str, type[BaseRule]] = {}
_plugins_loaded = False


def register_rule(kind: str, cls: type[BaseRule]) -> None:
    """Register the rule class ``cls`` under ``kind`` (later registrations win)."""
    _REGISTRY[kind] = cls


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group="gatekit.rules"):
        register_rule(ep.name, ep.load())


def known_kinds() -> list[str]:
    """Every rule kind gatekit can build."""
    _load_plugins()
    return sorted(set(_BUILTINS) | set(_REGISTRY))


def rule_class(kind: str) -> type[BaseRule] | None:
    """The class registered for ``kind``, or None when the kind is unknown."""
    _load_plugins()
    if kind in _REGISTRY:
        return _REGISTRY[kind]
    target = _BUILTINS.get(kind)
    if target is None:
        return None
    module_name, _, attr = target.partition(":")
    cls: type[BaseRule] = getattr(importlib.import_module(module_name), attr)
    _REGISTRY[kind] = cls
    return cls


__all__ = [
    "BaseRule",
    "Evaluation",
    "Fired",
    "Rule",
    "RuleConfig",
    "known_kinds",
    "register_rule",
    "rule_class",
]
