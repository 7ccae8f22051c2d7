"""Conditions in the safe expression language over case, response, context and time.

When the expression mentions ``tool`` it is evaluated once per tool call (``tool.name``,
``tool.arguments.*``) and fires if any call matches; otherwise once per case.
"""

from __future__ import annotations

import ast
from typing import Any, ClassVar

from gatekit.governance.expressions import Expression
from gatekit.governance.rules.base import (
    ENV_NAMES,
    ENV_READERS,
    BaseRule,
    Evaluation,
    Fired,
    RuleConfig,
    check_fields,
)
from gatekit.governance.rules.tools import Canonical
from gatekit.governance.schema import ConditionConfig
from gatekit.models import Outcome

CASE_NAMES = ENV_NAMES


def _name_filter(part: Expression) -> frozenset[str] | None:
    """The names of ``tool.name in [<string literals>]`` (None when ``part`` has another form)."""
    node = part.tree
    if not (
        isinstance(node, ast.Compare)
        and len(node.ops) == 1
        and isinstance(node.ops[0], ast.In)
        and isinstance(node.left, ast.Attribute)
        and node.left.attr == "name"
        and isinstance(node.left.value, ast.Name)
        and node.left.value.id == "tool"
        and isinstance(node.comparators[0], ast.List | ast.Tuple)
    ):
        return None
    items = node.comparators[0].elts
    if not all(isinstance(item, ast.Constant) and type(item.value) is str for item in items):
        return None
    return frozenset(item.value for item in items)  # type: ignore[attr-defined]


_SAFE_COMPARE = (ast.Eq, ast.NotEq, ast.In, ast.NotIn)

# names whose value may be unknown (not measured, not reported): a condition that reads one as null says so
_UNKNOWABLE = frozenset({"latency_ms", "cost_usd", "usage", "model", "time"})


def _unknowable_paths(tree: ast.AST) -> tuple[tuple[str, ...], ...]:
    """The reads of :data:`_UNKNOWABLE` names in ``tree``, as paths: ``("cost_usd",)``, ``("usage", "output_tokens")``.

    Only the longest read of a chain is kept (``usage.output_tokens``, not ``usage`` as well).
    """
    paths: set[tuple[str, ...]] = set()
    for node in ast.walk(tree):
        chain: list[str] = []
        current: ast.AST = node
        while True:
            if isinstance(current, ast.Attribute):
                chain.append(current.attr)
                current = current.value
            elif (
                isinstance(current, ast.Subscript)
                and isinstance(current.slice, ast.Constant)
                and type(current.slice.value) is str
            ):
                chain.append(current.slice.value)
                current = current.value
            else:
                break
        if isinstance(current, ast.Name) and current.id in _UNKNOWABLE:
            paths.add((current.id, *reversed(chain)))
    longest = [
        path for path in paths if not any(len(other) > len(path) and other[: len(path)] == path for other in paths)
    ]
    return tuple(sorted(longest))


def _unknown(value: Any, path: tuple[str, ...]) -> bool:
    """True when ``path`` (after its name) leads to nothing in ``value``: a missing key or null on the way."""
    for key in path[1:]:
        if not isinstance(value, dict):
            return True
        value = value.get(key)
    return value is None or (isinstance(value, dict) and not value)


def _cannot_raise(node: ast.AST) -> bool:
    """True for an operand that cannot raise and reads nothing but the environment.

    Names, attribute reads, constants, ``not``/``and``/``or`` and ``==``/``!=``/``in``/``not in``
    comparisons: over a case's JSON values, whether such an operand is evaluated cannot change a decision.
    """
    if isinstance(node, ast.Name | ast.Constant):
        return True
    if isinstance(node, ast.Attribute):
        return _cannot_raise(node.value)
    if isinstance(node, ast.List | ast.Tuple):
        return all(isinstance(item, ast.Constant) for item in node.elts)
    if isinstance(node, ast.BoolOp):
        return all(_cannot_raise(value) for value in node.values)
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.Not) and _cannot_raise(node.operand)
    if isinstance(node, ast.Compare):
        return all(isinstance(op, _SAFE_COMPARE) for op in node.ops) and all(
            _cannot_raise(operand) for operand in (node.left, *node.comparators)
        )
    return False


class ConditionRule(BaseRule):
    """Fires with ``outcome`` when ``when`` is true."""

    kind: ClassVar[str] = "condition"
    default_owasp: ClassVar[tuple[str, ...]] = ("LLM06:2025", "ASI02:2026")
    Config: ClassVar[type[RuleConfig]] = ConditionConfig

    def __init__(self, config: RuleConfig) -> None:
        BaseRule.__init__(self, config)  # (explicit: super() in a compiled module does not see BaseRule)
        assert isinstance(config, ConditionConfig)
        self.expression = Expression(config.when, names=CASE_NAMES)
        check_fields(self.expression)
        self.per_tool = "tool" in self.expression.names
        self.outcome = Outcome(config.outcome)
        self.reason = config.reason or f"{config.when}"
        # ``a and b and tool.x``: the leading operands that do not read ``tool`` are checked once per case
        # (in the same order as before, so the result and any error are the same), the rest per call
        self.case_prefix: list[Expression] = []
        self.per_call: list[Expression] = []
        if self.per_tool:
            parts = self.expression.conjuncts()
            while parts and "tool" not in parts[0].names:
                self.case_prefix.append(parts.pop(0))
            self.per_call = parts
        # the case-level names the expression reads (``tool`` is bound per call)
        self.case_names = tuple(sorted(self.expression.names - {"tool"}))
        # how the one case-level name is read when there is one (as Evaluation.values reads it)
        self.case_getter = ENV_READERS.get(self.case_names[0]) if len(self.case_names) == 1 else None
        self.holds = self.expression.evaluator()
        # ``tool.name in ["a", "b"]`` as the first per-call operand: calls of other tools are skipped without
        # building their environment (the operand is false for them, so the expression is too)
        self.name_filter: frozenset[str] | None = _name_filter(self.per_call[0]) if self.per_call else None
        self.prefix_fns = [part.evaluator() for part in self.case_prefix]
        # with a name filter and a prefix that cannot raise, a case without a call of a filtered tool is
        # decided (not matched) before the prefix and its environment are built
        self.filter_first = self.name_filter is not None and all(_cannot_raise(p.tree) for p in self.case_prefix)
        self.per_call_fns = [part.evaluator() for part in self.per_call]
        self.after_filter_fns = self.per_call_fns[1:]  # the per-call operands after a name filter
        # the reads of values that may be unknown (cost_usd, latency_ms, usage.*, model, time.*): when the rule does
        # not fire and one of them was null, the decision says the condition read it as null (never a silent pass)
        self.unknowable = _unknowable_paths(self.expression.tree)
        if "time" in self.expression.names and not any(path[0] == "time" for path in self.unknowable):
            self.unknowable += (("time",),)  # (time_between(...) reads the clock without naming it)
        self.unknown_notes = {path: f"{config.id}: {'.'.join(path)} unknown: read as null" for path in self.unknowable}
        # tool names written otherwise (``Delete_User``, full-width, with a zero-width space) are the name a reader
        # sees, as a tools rule's deny-list reads them: when the expression does not hold for the names as written, it
        # is judged again on each name's canonical form (the expression's own text literal that folds to the same, else
        # the folded name), so ``tool.name == "refund"`` is not slipped past by calling ``REFUND``
        self.reads_names = bool({"tool", "tool_names", "tool_calls"} & self.expression.names)
        self.canonical = Canonical([self.expression.tree])
        if not self.unknowable:  # (nothing to say: the plain evaluation, without a call around it)
            self.evaluate = self._evaluate  # type: ignore[method-assign]

    def evaluate(self, ev: Evaluation) -> list[Fired]:
        """Evaluate the expression (per tool call when it mentions ``tool``); say which unknown values it read."""
        fired = self._evaluate(ev)
        if not fired and self.unknowable:
            for path in self.unknowable:
                name = path[0]
                if name == "time" and len(path) == 1:  # (time_between(...): the whole clock)
                    unknown = ev.epoch_s() is None
                else:
                    getter = ENV_READERS.get(name)
                    unknown = _unknown(getter(ev) if getter is not None else ev.response.get(name), path)
                if unknown:
                    ev.run.note(self.unknown_notes[path])
        return fired

    def _evaluate(self, ev: Evaluation) -> list[Fired]:
        fired = self._judge(ev, None)
        if fired or not self.reads_names or not ev.tool_calls:
            return fired
        canonical = self.canonical.names(ev.tool_calls)
        return fired if canonical is None else self._judge(ev, canonical)

    def _judge(self, ev: Evaluation, canonical: list[Any] | None) -> list[Fired]:
        """The expression on the case; ``canonical``: the calls' names to judge them by (None: as written)."""
        if not self.per_tool:  # (only the names the expression reads are built)
            values = ev.values(self.case_names)
            if canonical is not None:
                Canonical.rename(values, ev.tool_calls, canonical)
            return [Fired(self.outcome, self.reason)] if self.holds(values) else []
        calls = ev.tool_calls
        if not calls:
            return []
        # the case-level names are built once (reading them has no effect); only ``tool`` changes per call.
        # With filter_first they are built (and the prefix checked) at the first call the name filter lets
        # through, and not at all when there is none: the per-call part is false for every call then
        env = None
        if not self.filter_first:
            env = self._case_env(ev, canonical)
            if env is None:
                return []
        name_filter = self.name_filter
        per_call = self.per_call_fns
        after_filter = self.after_filter_fns
        matched = []
        for index, call in enumerate(calls):
            parts = per_call
            name = call.get("name") if canonical is None else canonical[index]
            if name_filter is not None and type(name) is str:
                if name not in name_filter:
                    continue
                parts = after_filter  # the filter operand is known to be true for this call
            if env is None:
                env = self._case_env(ev, canonical)
                if env is None:
                    return []
            env["tool"] = {"name": name, "arguments": call.get("arguments") or {}}
            for part in parts:
                if not part(env):
                    break
            else:
                matched.append(str(call.get("name") or ""))
        if not matched:
            return []
        return [Fired(self.outcome, f"{self.reason} (tool call: {', '.join(matched)})")]

    def _case_env(self, ev: Evaluation, canonical: list[Any] | None = None) -> dict[str, Any] | None:
        """The case-level environment, or None when an operand of the case prefix is false."""
        if len(self.case_names) == 1 and self.case_getter is not None:  # (``context``, say: one read, no call)
            env = {self.case_names[0]: self.case_getter(ev)}
        else:
            env = ev.values(self.case_names)
        if canonical is not None:
            Canonical.rename(env, ev.tool_calls, canonical)
        for part in self.prefix_fns:
            if not part(env):
                return None
        return env
