"""Token budgets per case, and per user / per run per minute on a virtual clock.

The clock is the case ``timestamp`` (ISO 8601), so a replay of the same dataset gives the same
decisions however fast it runs. Windows slide: a case at time t counts the tokens of the cases in
(t - window, t], its own included.

A rate over time needs time: a case without a readable timestamp is not checked against (nor
counted in) the per-minute budgets. The decision carries a note saying so
(``token-budget: per_user_per_minute not evaluated: no timestamp``), and the governance summary
and the report count those cases; the per-case budget is checked as usual.
"""

from __future__ import annotations

import bisect
from typing import ClassVar

from gatekit.governance.rules.base import BaseRule, Evaluation, Fired, RuleConfig
from gatekit.governance.schema import TokenBudgetConfig
from gatekit.models import Outcome


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
        self.no_clock_note = f"{config.id}: {' and '.join(windows)} not evaluated: no timestamp"

    def evaluate(self, ev: Evaluation) -> list[Fired]:
        """Check the per-case budget, then the sliding windows kept in the run state."""
        usage = ev.response.get("usage") or {}
        input_tokens = usage.get("input_tokens") or 0
        output_tokens = usage.get("output_tokens") or 0
        if type(input_tokens) is not int:
            input_tokens = int(input_tokens)
        if type(output_tokens) is not int:
            output_tokens = int(output_tokens)
        total = input_tokens + output_tokens
        fired: list[Fired] = []
        if self.case_limits and max(input_tokens, output_tokens, total) > self.lowest_case_limit:
            used_by_index = (input_tokens, output_tokens, total)
            for name, index, limit in self.case_limits:
                used = used_by_index[index]
                if used > limit:
                    fired.append(Fired(self.outcome, f"{name} {used} > per-case budget {limit}"))
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
                    fired.append(Fired(self.outcome, f"user {user}: {used} tokens per {self.per} > {per_user}"))
        per_run = self.per_run
        if per_run is not None:
            used = state.run.add_and_sum(now_s, total, self.window_s)
            if used > per_run:
                fired.append(Fired(self.outcome, f"run: {used} tokens per {self.per} > {per_run}"))
        return fired
