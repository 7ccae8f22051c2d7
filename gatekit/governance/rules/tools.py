"""Tool allow-list / deny-list with per-tool limits (calls per case, calls per minute, argument size, conditions).

``max_calls_per_minute`` counts the calls of a tool (or a glob) in a sliding minute across the run: on the case
timestamps in the gate (a case without one is not counted, and its decision says so), on the real clock in the
runtime guard (``gatekit.runtime``). Every call counts, refused ones included.

The gate judges a case once: its calls are added. The runtime judges one request several times (each tool call,
each response, the calls together) and names it with an :class:`Account` (``Policy.evaluate(..., account=...)``):
the calls of one response add up, a request counts as its largest response, calls judged again are not added again.
"""

from __future__ import annotations

import bisect
import fnmatch
import json
import re
from collections.abc import Hashable
from typing import Any, ClassVar, NamedTuple

from gatekit.governance.expressions import Expression
from gatekit.governance.rules.base import (
    CACHE_ENTRIES,
    ENV_NAMES,
    MAX_CACHED_NAME,
    BaseRule,
    Evaluation,
    Fired,
    RuleConfig,
    check_fields,
)
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


def name_literals(tree: Any) -> dict[str, str]:
    """Each text literal of an expression by its folded form (:func:`_fold`; the first of those that fold alike)."""
    import ast

    literals: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and type(node.value) is str:
            literals.setdefault(_fold(node.value), node.value)
    return literals


_GLOB_TOKEN = re.compile(r"\*|\?|\[[^\]]*\]")


def _fold_pattern(pattern: str) -> str:
    """A name or glob as :func:`_fold` reads a name, its ``*``, ``?`` and ``[...]`` kept.

    Folding a glob whole dropped a ``*`` after a letter (``delete*`` read as ``delete``): ``deny: [delete*]`` then
    let ``DELETE_USER`` through. The text between the glob's tokens is folded piece by piece.
    """
    if not any(ch in pattern for ch in "*?["):
        return _fold(pattern)
    from gatekit.governance.normalise import normalise

    parts: list[str] = []
    last = 0
    for token in _GLOB_TOKEN.finditer(pattern):
        parts.append(normalise(pattern[last : token.start()], confusables=True).text.casefold())
        parts.append(token.group().casefold())
        last = token.end()
    parts.append(normalise(pattern[last:], confusables=True).text.casefold())
    return "".join(parts).strip()


class Canonical:
    """Tool names as a reader sees them, for an expression that compares names: ``REFUND`` read as ``refund``.

    A name's canonical form is the expression's own text literal that folds to the same name (``issueRefund`` for
    ``ISSUEREFUND`` when the expression says ``"issueRefund"``), else the folded name. An expression that does not
    hold for the names as written is judged again on the canonical ones (see :func:`_fold`): a name written in
    capitals, full-width or with a zero-width space is not a way past a condition on it.
    """

    def __init__(self, trees: list[Any]) -> None:
        self.literals: dict[str, str] = {}
        for tree in trees:
            for folded, literal in name_literals(tree).items():
                self.literals.setdefault(folded, literal)
        self._seen: dict[str, str] = {}

    def name(self, name: str) -> str:
        """``name``'s canonical form."""
        canonical = self._seen.get(name)
        if canonical is None:
            folded = _fold(name)
            canonical = self.literals.get(folded, folded)
            if len(self._seen) < CACHE_ENTRIES and len(name) <= MAX_CACHED_NAME:
                self._seen[name] = canonical
        return canonical

    def names(self, calls: list[dict[str, Any]]) -> list[Any] | None:
        """Each call's name in its canonical form; None when every name already is."""
        seen = self._seen
        for call in calls:  # (the usual case first: every name is its own canonical form, known already)
            name = call.get("name")
            if type(name) is str and seen.get(name, None) != name and self.name(name) != name:
                break
        else:
            return None
        names = [call.get("name") for call in calls]
        return [self.name(name) if type(name) is str else name for name in names]

    @staticmethod
    def rename(env: dict[str, Any], calls: list[dict[str, Any]], canonical: list[Any]) -> None:
        """Put the canonical names into ``env``'s ``tool_names`` and ``tool_calls`` (those it holds)."""
        if "tool_names" in env:
            env["tool_names"] = [str(name or "") for name in canonical]
        if "tool_calls" in env:
            env["tool_calls"] = [
                {**call, "name": name} if isinstance(call, dict) else call
                for call, name in zip(calls, canonical, strict=False)
            ]


class _Listed:
    """A deny-list or high-risk list: a name is on it as written or folded (:func:`_fold`, both sides).

    An allow-list stays exact (a look-alike is not on it: refused); a list that refuses or escalates must not be
    slipped past by writing its name in capitals, full-width or with a zero-width space.
    """

    def __init__(self, patterns: list[str]) -> None:
        self.exact, self.globs = _matcher(patterns)
        self.folded = _matcher([_fold_pattern(pattern) for pattern in patterns])
        self._seen: dict[str, bool] = {}

    def __contains__(self, name: str) -> bool:
        if not self.exact and not self.globs:
            return False
        if _matches(name, self.exact, self.globs):
            return True
        listed = self._seen.get(name)
        if listed is None:
            listed = _matches(_fold(name), *self.folded)
            if len(self._seen) < CACHE_ENTRIES and len(name) <= MAX_CACHED_NAME:
                self._seen[name] = listed
        return listed


class Account(NamedTuple):
    """Whose tool calls an evaluation counts in the per-minute windows (``Policy.evaluate(..., account=...)``).

    ``request``: one request judged several times (unique per request: never an id a caller chose, or two requests
    would share a count); ``response``: which of its responses (the proxy's ``n`` choices, a response checked again
    or retried): the calls of one response add up, a request counts as its largest response. ``again``: every call
    of the evaluation was counted before (the calls judged together again): judged, not added. ``counted``: the
    positions of the calls counted before in this response (a call refused at its check that the agent went on with).
    """

    request: Hashable
    response: int = 0
    again: bool = False
    counted: frozenset[int] = frozenset()


WINDOW_S = 60.0


def _remove(times: list[float], at: float) -> None:
    """Remove one entry ``at`` from the sorted ``times`` (gone already, out of the window: nothing to do)."""
    index = bisect.bisect_left(times, at)
    if index < len(times) and times[index] == at:
        del times[index]


class _Held:
    """What one request (an :class:`Account`) holds in a rule's windows, per limit pattern."""

    __slots__ = ("response", "current", "earlier", "most", "last_s")

    def __init__(self, response: int) -> None:
        self.response = response
        self.current: dict[str, list[float]] = {}  # the current response's call times (in the window)
        self.earlier: dict[str, list[float]] = {}  # earlier responses' call times still in the window
        self.most: dict[str, int] = {}  # the most calls one earlier response made
        self.last_s = -float("inf")  # the latest time it counted a call at

    def next_response(self, response: int) -> None:
        """Another response of the request: the current one's calls are held as an earlier response's."""
        for pattern, times in self.current.items():
            self.most[pattern] = max(self.most.get(pattern, 0), len(times))
            self.earlier[pattern] = times + self.earlier.get(pattern, [])
        self.current = {}
        self.response = response


class _Rates:
    """The per-minute windows of one rule (``run.rule_state[rule.id]``) and the requests counted in them.

    A window is the sorted call times of a limit pattern; entries older than a minute before its latest are dropped.
    The requests (:class:`Account` keys) are kept while they counted a call in the last minute, at most
    :attr:`MAX_REQUESTS` (the least recently counted dropped first): a request dropped while it still answers only
    counts more (its earlier responses' calls stay in the window and add to the next one's), never less.
    """

    MAX_REQUESTS = 16_384
    __slots__ = ("windows", "requests")

    def __init__(self) -> None:
        self.windows: dict[str, list[float]] = {}
        self.requests: dict[Hashable, _Held] = {}

    def held(self, account: Account, now_s: float) -> _Held | None:
        """The request's record (made, unless its calls were all counted before), at its current response."""
        requests = self.requests
        held = requests.pop(account.request, None)  # (put back last: the dict is in the order they counted)
        while requests:  # requests that counted nothing in the last minute hold nothing a window still counts
            oldest = next(iter(requests))
            if requests[oldest].last_s > now_s - WINDOW_S and len(requests) < self.MAX_REQUESTS:
                break
            del requests[oldest]
        if held is None:
            if account.again:
                return None
            held = _Held(account.response)
        elif held.response != account.response:
            held.next_response(account.response)
        held.last_s = max(held.last_s, now_s)
        requests[account.request] = held
        return held

    def count(self, pattern: str, calls: int, now_s: float, held: _Held | None) -> int:
        """Add ``calls`` at ``now_s`` to ``pattern``'s window; return the calls in the window ``(now_s - 60 s, now_s]``.

        With ``held`` (a request judged again): its earlier responses' calls are out of the window while it is judged
        (the response counts as itself), then as many are put back as the largest earlier response made beyond this
        one (the request counts as its largest response).
        """
        times = self.windows.get(pattern)
        if times is None:
            times = self.windows[pattern] = []
        earlier = held.earlier.get(pattern) if held is not None else None
        if earlier:
            for at in earlier:
                _remove(times, at)
        if calls:
            at = bisect.bisect_right(times, now_s)
            times[at:at] = [now_s] * calls
            del times[: bisect.bisect_right(times, times[-1] - WINDOW_S)]  # out of every future window
            if held is not None:
                current = held.current.get(pattern)
                if current is None:
                    current = held.current[pattern] = []
                current.extend([now_s] * calls)
        used = bisect.bisect_right(times, now_s) - bisect.bisect_right(times, now_s - WINDOW_S)
        if earlier and held is not None:
            need = held.most.get(pattern, 0) - len(held.current.get(pattern, ()))
            oldest = times[-1] - WINDOW_S if times else now_s - WINDOW_S
            back = [at for at in earlier[: max(0, need)] if at > oldest]
            for at in back:
                bisect.insort(times, at)
            held.earlier[pattern] = back
        return used


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
            for expression, _, _ in conditions:
                check_fields(expression)
            self.limits.append((pattern, limit, conditions))
        # exact names compare with ==; only glob patterns pay for fnmatch
        self.limit_globs = {pattern: any(ch in pattern for ch in "*?[") for pattern in config.limits}
        self.condition_names = frozenset(
            name for _, _, conditions in self.limits for expr, _, _ in conditions for name in expr.names
        )
        # a condition over tool names is judged again on the names as a reader sees them (:class:`Canonical`)
        self.canonical = (
            Canonical([expr.tree for _, _, conditions in self.limits for expr, _, _ in conditions])
            if {"tool", "tool_names", "tool_calls"} & self.condition_names
            else None
        )
        # per tool name: why it is refused (or None) and the limits that apply; names repeat, so the
        # list matching is done once per name (bounded: 4,096 names of at most 256 characters; a longer name is
        # judged every time, so odd names cannot make it hold huge keys)
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
        self._folded_limits = {pattern: _fold_pattern(pattern) for pattern in config.limits}
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
            if len(self._plans) < CACHE_ENTRIES and len(name) <= MAX_CACHED_NAME:  # (a longer name: judged each time)
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
                    again: dict[str, Any] | None = None  # (the environment on the canonical names, made once)
                    for expr, outcome, reason in conditions:
                        holds = expr(env)
                        if not holds and self.canonical is not None:
                            if again is None:
                                again = self._canonical_env(ev, env, index)
                            holds = bool(again) and expr(again)
                        if holds:
                            fired.append(Fired(outcome, f"tool {name!r} call {index}: {reason}"))
        for pattern, _, max_calls in self.call_limits:
            total = counts.get(pattern, 0)
            if total > max_calls:
                fired.append(Fired(self.outcome, f"tool {pattern!r} called {total} times, limit {max_calls}"))
        if self.rate_limits:
            fired.extend(self._rates(ev, counts))
        return fired

    def _canonical_env(self, ev: Evaluation, env: dict[str, Any], index: int) -> dict[str, Any]:
        """``env`` with the calls' names canonical (:class:`Canonical`); ``{}`` when every name already is."""
        assert self.canonical is not None
        canonical = self.canonical.names(ev.tool_calls)
        if canonical is None:
            return {}
        again = dict(env)
        if "tool" in again:
            again["tool"] = {**again["tool"], "name": canonical[index]}
        Canonical.rename(again, ev.tool_calls, canonical)
        return again

    def _rates(self, ev: Evaluation, counts: dict[str, int]) -> list[Fired]:
        """Count this case's calls in each per-minute window (``(t - 60 s, t]``) and fire above the limit.

        ``ev.account`` (the runtime): the calls are counted for that request (:class:`Account`), not added again.
        """
        now_s = ev.epoch_s()
        if now_s is None:  # no time, no rate: skipped and said so, never a guess
            ev.run.note(self.rate_note)
            return []
        state = ev.run.rule_state.get(self.id)
        if state is None:
            state = ev.run.rule_state[self.id] = _Rates()
        account: Account | None = ev.account
        held = None
        added = counts
        if account is not None:
            if not any(counts.get(pattern) for pattern, _, _ in self.rate_limits):
                return []
            held = state.held(account, now_s)
            if account.again:
                added = {}
            elif account.counted:  # judged again here, counted at their check: not added
                added = dict(counts)
                for index in account.counted:
                    if not 0 <= index < len(ev.tool_calls):
                        continue
                    name = ev.tool_calls[index].get("name")
                    for pattern in self.limited(name if type(name) is str else str(name or "")):
                        added[pattern] = added.get(pattern, 0) - 1
        fired: list[Fired] = []
        for pattern, _, limit in self.rate_limits:
            if not counts.get(pattern, 0):
                continue
            used = state.count(pattern, max(0, added.get(pattern, 0)), now_s, held)
            if used > limit:
                fired.append(
                    Fired(self.outcome, f"tool {pattern!r}: {used} calls in a minute, limit {limit} per minute")
                )
        return fired
