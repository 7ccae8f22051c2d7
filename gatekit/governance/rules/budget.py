"""Token budgets per case, and per user / per run per minute on a virtual clock.

The clock is the case ``timestamp`` (ISO 8601), so a replay of the same dataset gives the same
decisions however fast it runs. Windows slide: a case at time t counts the tokens of the cases in
(t - window, t], its own included.

A rate over time needs time: a case without a readable timestamp is not checked against (nor
counted in) the per-minute budgets. The decision carries a note saying so
(``token-budget: per_user_per_minute not evaluated: no timestamp``), and the governance summary
and the report count those cases; the per-case budget is checked as usual. A case whose context names no user
is not checked against (nor counted in) ``per_user_per_minute`` either, and its decision says so
(``token-budget: per_user_per_minute not evaluated: no context.user``).

Unknown is not zero. A response that reports no usage (none at all, ``null``, ``{}``, a count missing, or a value
that is no token count: negative, NaN, a boolean, ``"12k"``) has the counts it lacks ESTIMATED from the text the rule
sees (:func:`estimate_tokens`: the input messages for ``input_tokens``, the output and the tool calls for
``output_tokens``), and the decision carries a note (``token-budget: tokens estimated: usage not reported``) that the
trace records and the summary and the report count. A reported count is used as it is; one above 10^12 (or infinite)
counts as 10^12: it is over every budget, never under one.
"""

from __future__ import annotations

import bisect
import json
import math
import operator
import re
from typing import Any, ClassVar

from gatekit.governance.rules.base import BaseRule, Evaluation, Fired, RuleConfig
from gatekit.governance.schema import TokenBudgetConfig
from gatekit.models import Outcome

MAX_TOKENS = 10**12  # a reported count above this (or infinite) counts as this: over every budget (agents.base)
_MAX_DIGITS = 15  # a count given as text: at most this many digits are read as the number; more is MAX_TOKENS

# the pieces a BPE tokenizer (OpenAI's cl100k / o200k) makes at most of a text, approximately: a run of up to six
# ASCII letters, up to three digits, or one other character that is not a space (punctuation, CJK, other scripts)
_PIECE = re.compile(r"[A-Za-z]{1,6}|[0-9]{1,3}|[^\sA-Za-z0-9]")
_SAMPLE_CHARS = 262_144  # longer texts: pieces counted in the first 256 Ki characters, the rest at that density


def estimate_tokens(text: str) -> int:
    """An estimate of the tokens of ``text``: the larger of ``ceil(chars / 4)`` and its pieces (:data:`_PIECE`).

    Measured against OpenAI's o200k_base and cl100k_base tokenizers on seven shared data sets (docs/governance.md,
    "Unknown usage"): over each set the estimate is 0.99-1.54 times the true count; per text it is under 0.75 times
    it for at most 8.3 % of a set's texts (short English texts full of names, digits and symbols) and over 1.75 times
    it for at most 5 %: a budget is kept roughly (erring high), never skipped.
    """
    size = len(text)
    if not size:
        return 0
    if size <= _SAMPLE_CHARS:
        pieces = _PIECE.subn("", text)[1]
    else:  # (bounded work: the rest at the sample's density, never under a token per four characters)
        sampled = _PIECE.subn("", text[:_SAMPLE_CHARS])[1]
        pieces = sampled + math.ceil((size - _SAMPLE_CHARS) * max(0.25, sampled / _SAMPLE_CHARS))
    return max(-(-size // 4), pieces)


def reported_tokens(value: Any) -> int | None:
    """A reported token count as a whole number, or None when there is none to read (then it is estimated).

    An int >= 0 (or an integer type of another library), a finite float >= 0 (rounded up) or a text of ASCII digits; above :data:`MAX_TOKENS` (or an infinite
    float, or a digit text longer than 15) it is :data:`MAX_TOKENS`. None, booleans, negatives, NaN and any other value
    or text (``"12k"``) are no count.
    """
    kind = type(value)
    if kind is int:
        number = value
    elif value is None or kind is bool:
        return None
    elif isinstance(value, int):  # (a subclass: its integer value)
        number = int.__int__(value)
    elif isinstance(value, float):
        number_f = float(value)
        if math.isnan(number_f) or number_f < 0:
            return None
        return MAX_TOKENS if number_f > MAX_TOKENS else math.ceil(number_f)
    elif isinstance(value, str):
        digits = value.strip()
        if not digits or not digits.isascii() or not digits.isdigit():
            return None
        if len(digits) > _MAX_DIGITS:
            return MAX_TOKENS
        number = int(digits)
    elif hasattr(kind, "__index__"):  # (an integer of another library: numpy.int64...)
        try:
            number = operator.index(value)
        except Exception:  # noqa: BLE001 - a count that cannot be read is no count (estimated), never an error
            return None
    else:
        return None
    if number < 0:
        return None
    return MAX_TOKENS if number > MAX_TOKENS else number


def _output_text(ev: Evaluation) -> str:
    """What the model wrote: the output, then each tool call's name and arguments (as JSON)."""
    calls = ev.tool_calls
    if not calls:
        return ev.output
    parts = [ev.output]
    for call in calls:
        name = call.get("name")
        parts.append(name if type(name) is str else str(name or ""))
        arguments = call.get("arguments")
        if arguments is not None:
            parts.append(
                arguments if type(arguments) is str else json.dumps(arguments, ensure_ascii=False, default=str)
            )
    return "\n".join(parts)


_ESTIMATED = " (estimated: usage not reported)"
_CASE_ESTIMATED = " (this case's tokens estimated: usage not reported)"


class _Window:
    """Token events (time_s, tokens) of one key, sorted by time, with a running total.

    Cases normally arrive in time order (an append); an out-of-order case is inserted in place, and its
    window is summed over the slice that bisection finds (C-level ``sum``, no Python loop per event).
    """

    __slots__ = ("times", "tokens", "total")

    def __init__(self) -> None:
        self.times: list[float] = []
        self.tokens: list[int] = []
        self.total = 0

    def add_and_sum(self, now_s: float, tokens: int, window_s: float) -> int:
        """Record ``tokens`` at ``now_s``; return the tokens in (now_s - window_s, now_s]."""
        times = self.times
        if not times or now_s >= times[-1]:
            times.append(now_s)
            self.tokens.append(tokens)
        else:
            index = bisect.bisect_right(times, now_s)
            times.insert(index, now_s)
            self.tokens.insert(index, tokens)
        self.total += tokens
        latest = times[-1]
        oldest = latest - window_s
        if times[0] <= oldest:  # drop the events that left the window of the latest time
            cut = bisect.bisect_right(times, oldest)
            self.total -= sum(self.tokens[:cut])
            del times[:cut]
            del self.tokens[:cut]
        if now_s == latest:
            return self.total
        return sum(self.tokens[bisect.bisect_right(times, now_s - window_s) : bisect.bisect_right(times, now_s)])


_SWEEP_EVERY = 4096  # new users between sweeps of the users whose window is long empty
_SWEEP_SLACK_S = 3600.0  # kept this long past their window: a case up to an hour out of order still sees them


class _BudgetState:
    """Per-run state of one budget rule: the sliding windows (per user, whole run)."""

    __slots__ = ("users", "run", "new_users")

    def __init__(self) -> None:
        self.users: dict[str, _Window] = {}
        self.run = _Window()
        self.new_users = 0

    def sweep(self, now_s: float, window_s: float) -> None:
        """Forget the users with no event for the window and an hour (their windows are empty when next asked).

        A long-running guard meets users without end (a client may send a new ``user`` every request): without
        this, every user it ever saw would keep a window.
        """
        cutoff = now_s - window_s - _SWEEP_SLACK_S
        stale = [key for key, window in self.users.items() if not window.times or window.times[-1] < cutoff]
        for key in stale:
            del self.users[key]


class TokenBudgetRule(BaseRule):
    """Fires when a case, a user or the run uses more tokens than the budget allows."""

    kind: ClassVar[str] = "token_budget"
    default_owasp: ClassVar[tuple[str, ...]] = ("LLM10:2025",)
    Config: ClassVar[type[RuleConfig]] = TokenBudgetConfig
    stateful: ClassVar[bool] = True  # keeps windows in the run state: --resume replays finished cases into it

    def __init__(self, config: RuleConfig) -> None:
        BaseRule.__init__(self, config)  # (explicit: super() in a compiled module does not see BaseRule)
        assert isinstance(config, TokenBudgetConfig)
        self.cfg = config
        self.outcome = Outcome(config.outcome)
        self.window_s = config.window / 1000.0
        minutes = self.window_s / 60.0
        self.per = "minute" if minutes == 1 else f"{minutes:g} minutes"
        per_case = config.per_case
        # (name, index into (input, output, total), limit) of the per-case limits that are set
        self.case_limits: tuple[tuple[str, int, int], ...] = (
            ()
            if per_case is None
            else tuple(
                (name, index, limit)
                for index, (name, limit) in enumerate(
                    (
                        ("input_tokens", per_case.input_tokens),
                        ("output_tokens", per_case.output_tokens),
                        ("total_tokens", per_case.total_tokens),
                    )
                )
                if limit is not None
            )
        )
        # no use of the case is over any per-case limit when none is over the lowest
        self.lowest_case_limit = min((limit for _, _, limit in self.case_limits), default=0)
        self.windowed = config.per_user_per_minute is not None or config.per_run_per_minute is not None
        self.per_user = config.per_user_per_minute
        self.per_run = config.per_run_per_minute
        self.user_field = config.user_field
        windows = [name for name in ("per_user_per_minute", "per_run_per_minute") if getattr(config, name) is not None]
        self.case_names = frozenset(name for name, _, _ in self.case_limits)
        self.no_clock_note = f"{config.id}: {' and '.join(windows)} not evaluated: no timestamp"
        # a case that names no user is not counted against any user's budget: said, as a missing timestamp is
        self.no_user_note = f"{config.id}: per_user_per_minute not evaluated: no context.{config.user_field}"

    def _counts(self, ev: Evaluation, input_tokens: int | None, output_tokens: int | None) -> tuple[int, int, str]:
        """The counts to judge and what of them is estimated (``""``, ``input_tokens``, ``output_tokens``, ``tokens``).

        A count not reported (None) is estimated from the text (:func:`estimate_tokens`) and the decision notes it.
        Only the counts a check needs are estimated (the others, unknown, count 0 in no check).
        """
        windows = self.windowed and ev.epoch_s() is not None
        names = self.case_names
        need_total = windows or "total_tokens" in names
        estimated = []
        if input_tokens is None:
            if need_total or "input_tokens" in names:
                input_tokens = estimate_tokens(ev.input_text)
                estimated.append("input_tokens")
            else:
                input_tokens = 0
        if output_tokens is None:
            if need_total or "output_tokens" in names:
                output_tokens = estimate_tokens(_output_text(ev))
                estimated.append("output_tokens")
            else:
                output_tokens = 0
        what = ""
        if estimated:
            what = "tokens" if len(estimated) == 2 else estimated[0]
            ev.run.note(f"{self.id}: {what} estimated: usage not reported")
        return input_tokens, output_tokens, what

    def evaluate(self, ev: Evaluation) -> list[Fired]:
        """Check the per-case budget, then the sliding windows kept in the run state."""
        usage = ev.response.get("usage")
        input_tokens: Any = None
        output_tokens: Any = None
        if isinstance(usage, dict):
            input_tokens = usage.get("input_tokens")
            output_tokens = usage.get("output_tokens")
        # (the usual: two whole counts in range, read as they are)
        if not (
            type(input_tokens) is int
            and type(output_tokens) is int
            and 0 <= input_tokens <= MAX_TOKENS
            and 0 <= output_tokens <= MAX_TOKENS
        ):
            input_tokens, output_tokens, estimated = self._counts(
                ev, reported_tokens(input_tokens), reported_tokens(output_tokens)
            )
        else:
            estimated = ""
        total = input_tokens + output_tokens
        fired: list[Fired] = []
        if self.case_limits and max(input_tokens, output_tokens, total) > self.lowest_case_limit:
            used_by_index = (input_tokens, output_tokens, total)
            for name, index, limit in self.case_limits:
                used = used_by_index[index]
                if used > limit:
                    how = _ESTIMATED if estimated and (index == 2 or estimated in ("tokens", name)) else ""
                    fired.append(Fired(self.outcome, f"{name} {used}{how} > per-case budget {limit}"))
        if not self.windowed:
            return fired
        rule_state = ev.run.rule_state
        state = rule_state.get(self.id)
        if state is None:
            state = rule_state[self.id] = _BudgetState()
        now_s = ev.epoch_s()
        if now_s is None:  # no time, no rate: skipped and said so, never a guess
            ev.run.note(self.no_clock_note)
            return fired
        per_user = self.per_user
        if per_user is not None:
            user = ev.context.get(self.user_field)
            if user is not None:
                users = state.users
                key = user if type(user) is str else str(user)
                window = users.get(key)
                if window is None:
                    state.new_users += 1
                    if state.new_users % _SWEEP_EVERY == 0:
                        state.sweep(now_s, self.window_s)
                    window = users[key] = _Window()
                used = window.add_and_sum(now_s, total, self.window_s)
                if used > per_user:
                    how = _CASE_ESTIMATED if estimated else ""
                    fired.append(Fired(self.outcome, f"user {user}: {used} tokens per {self.per} > {per_user}{how}"))
            else:
                ev.run.note(self.no_user_note)
        per_run = self.per_run
        if per_run is not None:
            used = state.run.add_and_sum(now_s, total, self.window_s)
            if used > per_run:
                how = _CASE_ESTIMATED if estimated else ""
                fired.append(Fired(self.outcome, f"run: {used} tokens per {self.per} > {per_run}{how}"))
        return fired
