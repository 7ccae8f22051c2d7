"""Tool allow-list / deny-list with per-tool limits (calls per case, calls per minute, argument size, conditions).

``max_calls_per_minute`` counts the calls of a tool (or a glob) in a sliding minute across the run: on the case
timestamps in the gate (a case without one is not counted, and its decision says so), on the real clock in the
runtime guard (``gatekit.runtime``). Every call counts, refused ones included.
"""

from __future__ import annotations

import bisect
import fnmatch
import json
from typing import Any, ClassVar

from gatekit.governance.expressions import Expression
from gatekit.governance.rules.base import ENV_NAMES, BaseRule, Evaluation, Fired, RuleConfig
from gatekit.governance.schema import ToolLimit, ToolsConfig
from gatekit.models import Outcome


def _matcher(patterns: list[str]) -> tuple[frozenset[str], list[str]]:
    exact = frozenset(p for p in patterns if not any(ch in p for ch in "*?["))
    globs = [p for p in patterns if p not in exact]
    return exact, globs


def _matches(name: str, exact: frozenset[str], globs: list[str]) -> bool:
    if name in exact:
        return True
    return bool(globs) and any(fnmatch.fnmatchcase(name, g) for g in globs)


def _fold(name: str) -> str:
    """``name`` as a reader sees it (``Delete_User ``, full-width or with a Cyrillic ``е``: ``delete_user``).

    Format characters (zero-width) removed, NFKC, look-alike letters mapped, blanks around it dropped, case folded.
    """
    from gatekit.governance.normalise import normalise

    return normalise(name, confusables=True).text.strip().casefold()


class _Listed:
    """A deny-list or high-risk list: a name is on it as written or folded (:func:`_fold`, both sides).

    An allow-list stays exact (a look-alike is not on it: refused); a list that refuses or escalates must not be
    slipped past by writing its name in capitals, full-width or with a zero-width space.
    """

    def __init__(self, patterns: list[str]) -> None:
        self.exact, self.globs = _matcher(patterns)
        self.folded = _matcher([_fold(pattern) for pattern in patterns])
        self._seen: dict[str, bool] = {}

    def __contains__(self, name: str) -> bool:
        if not self.exact and not self.globs:
            return False
        if _matches(name, self.exact, self.globs):
            return True
        listed = self._seen.get(name)
        if listed is None:
            listed = _matches(_fold(name), *self.folded)
            if len(self._seen) < 4096:
                self._seen[name] = listed
        return listed


class ToolsRule(BaseRule):
    """Fires when the agent calls a tool it may not call, too often, or with forbidden arguments."""

    kind: ClassVar[str] = "tools"
    default_owasp: ClassVar[tuple[str, ...]] = ("LLM06:2025", "ASI02:2026")
    Config: ClassVar[type[RuleConfig]] = ToolsConfig

    def __init__(self, config: RuleConfig) -> None:
        BaseRule.__init__(self, config)  # (explicit: super() in a compiled module does not see BaseRule)
        assert isinstance(config, ToolsConfig)
        self.cfg = config
        self.allow = None if config.allow is None else _matcher(config.allow)
        self.deny = _Listed(config.deny)
        self.high_risk = _Listed(config.high_risk)
        self.outcome = Outcome(config.outcome)
        self.limits: list[tuple[str, ToolLimit, list[tuple[Expression, Outcome, str]]]] = []
        for pattern, limit in config.limits.items():
            conditions = [
                (Expression(c.when, names=ENV_NAMES), Outcome(c.outcome), c.reason or f"condition {c.when!r} holds")
                for c in limit.conditions
            ]
            self.limits.append((pattern, limit, conditions))
        # exact names compare with ==; only glob patterns pay for fnmatch
        self.limit_globs = {pattern: any(ch in pattern for ch in "*?[") for pattern in config.limits}
        self.condition_names = frozenset(
            name for _, _, conditions in self.limits for expr, _, _ in conditions for name in expr.names
        )
        # per tool name: why it is refused (or None) and the limits that apply; names repeat, so the
        # list matching is done once per name (bounded, so odd names cannot grow it without limit)
        self._plans: dict[str, tuple[str | None, list[tuple[str, ToolLimit, list[Any]]]]] = {}
        self.max_calls_per_case = config.max_calls_per_case
        # the limits that count calls: (pattern, is a glob, max calls)
        self.call_limits = [
            (pattern, self.limit_globs[pattern], limit.max_calls)
            for pattern, limit, _ in self.limits
            if limit.max_calls is not None
        ]
        # the limits that count calls per minute (kept in the run state: stateful, replayed on --resume)
        self.rate_limits = [
            (pattern, self.limit_globs[pattern], limit.max_calls_per_minute)
            for pattern, limit, _ in self.limits
            if limit.max_calls_per_minute is not None
        ]
        self.stateful = bool(self.rate_limits)
        # a limit applies to a name as written or folded (:func:`_fold`, both sides), as the deny-list does: a limit
        # on ``refund`` is not slipped past by calling ``REFUND`` or ``refund<ZWSP>``
        self._folded_limits = {pattern: _fold(pattern) for pattern in config.limits}
        self.rate_note = f"{config.id}: max_calls_per_minute not evaluated: no timestamp"

    def _plan(self, name: str) -> tuple[str | None, list[tuple[str, ToolLimit, list[Any]]]]:
        plan = self._plans.get(name)
        if plan is None:
            refused = None
            if name in self.deny:
                refused = f"tool {name!r} is on the deny-list"
            elif self.allow is not None and not _matches(name, *self.allow):
                refused = f"tool {name!r} is not on the allow-list"
            folded = _fold(name) if self.limits else name
            limits = [item for item in self.limits if self._limit_applies(name, folded, item[0])]
            plan = (refused, limits)
            if len(self._plans) < 4096:
                self._plans[name] = plan
        return plan

    def _limit_applies(self, name: str, folded: str, pattern: str) -> bool:
        is_glob = self.limit_globs[pattern]
        if name == pattern or (is_glob and fnmatch.fnmatchcase(name, pattern)):
            return True
        folded_pattern = self._folded_limits[pattern]
        return folded == folded_pattern or (is_glob and fnmatch.fnmatchcase(folded, folded_pattern))

    def limited(self, name: str) -> frozenset[str]:
        """The ``limits`` patterns that apply to tool ``name`` (as written or folded); gate, guard and proxy count by it."""
        plan = self._plans.get(name)
        _, limits = plan if plan is not None else self._plan(name)
        return frozenset(item[0] for item in limits)

    def is_allowed(self, name: str) -> bool:
        """True when ``name`` is on the allow-list (or there is none) and not on the deny-list."""
        if name in self.deny:
            return False
        return self.allow is None or _matches(name, *self.allow)

    def is_high_risk(self, name: str) -> bool:
        """True when ``name`` is listed as high-risk."""
        return name in self.high_risk

    def evaluate(self, ev: Evaluation) -> list[Fired]:
        """Check every tool call of the response."""
        calls = ev.tool_calls
        if not calls:
            return []
        fired: list[Fired] = []
        max_calls_per_case = self.max_calls_per_case
        if max_calls_per_case is not None and len(calls) > max_calls_per_case:
            fired.append(Fired(self.outcome, f"{len(calls)} tool calls, more than {max_calls_per_case} per case"))
        counts: dict[str, int] = {}  # per limit pattern: the calls it applies to
        plans = self._plans
        for index, call in enumerate(calls):
            name = call.get("name")
            if type(name) is not str:
                name = str(name or "")
            plan = plans.get(name)
            refused, limits = plan if plan is not None else self._plan(name)
            for item in limits:
                counts[item[0]] = counts.get(item[0], 0) + 1
            if refused is not None:
                fired.append(Fired(self.outcome, refused))
            for _, limit, conditions in limits:
                if limit.max_argument_chars is not None:
                    size = len(json.dumps(call.get("arguments"), ensure_ascii=False, default=str))
                    if size > limit.max_argument_chars:
                        fired.append(
                            Fired(
                                self.outcome,
                                f"tool {name!r} call {index}: arguments are {size} chars, "
                                f"limit {limit.max_argument_chars}",
                            )
                        )
                if conditions:
                    env = ev.env(call, names=self.condition_names)
                    for expr, outcome, reason in conditions:
                        if expr(env):
                            fired.append(Fired(outcome, f"tool {name!r} call {index}: {reason}"))
        for pattern, _, max_calls in self.call_limits:
            total = counts.get(pattern, 0)
            if total > max_calls:
                fired.append(Fired(self.outcome, f"tool {pattern!r} called {total} times, limit {max_calls}"))
        if self.rate_limits:
            fired.extend(self._rates(ev, counts))
        return fired

    def _rates(self, ev: Evaluation, counts: dict[str, int]) -> list[Fired]:
        """Count this case's calls in each per-minute window (``(t - 60 s, t]``) and fire above the limit."""
        now_s = ev.epoch_s()
        if now_s is None:  # no time, no rate: skipped and said so, never a guess
            ev.run.note(self.rate_note)
            return []
        state = ev.run.rule_state.get(self.id)
        if state is None:
            state = ev.run.rule_state[self.id] = {}
        fired: list[Fired] = []
        for pattern, _, limit in self.rate_limits:
            calls = counts.get(pattern, 0)
            if not calls:
                continue
            times: list[float] = state.setdefault(pattern, [])
            at = bisect.bisect_right(times, now_s)
            times[at:at] = [now_s] * calls
            del times[: bisect.bisect_right(times, times[-1] - 60.0)]  # out of every future window
            used = bisect.bisect_right(times, now_s) - bisect.bisect_right(times, now_s - 60.0)
            if used > limit:
                fired.append(
                    Fired(self.outcome, f"tool {pattern!r}: {used} calls in a minute, limit {limit} per minute")
                )
        return fired
