"""Judge one canary stage: windows from the engine, rollback rules over consecutive windows, canary vs baseline.

``analyse`` is a short sequence of named stages: find the period, compute the windows (one SQL
group-by), run every rollback rule's state machine over them, compare the variants over the whole
period (Mann-Whitney / Hodges-Lehmann from engine rank sums and a bounded sample; two-proportion
intervals from engine counts), then decide promote / hold / rollback.

No-data is explicit everywhere: a window with fewer than ``min_requests`` requests of the variant a
rule watches is ``no_data`` (never a zero and never a pass); by default it neither counts as bad nor
resets a streak. A canary without enough traffic is ``hold``, with how many more requests are needed.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from gatekit.canary import sql as q
from gatekit.canary.engine import TABLE, Engine
from gatekit.canary.rules import COMPARE_METRICS, CompareMetric, RollbackRule, RolloutRules
from gatekit.canary.stats import hodges_lehmann, hodges_lehmann_ratio, mann_whitney, proportion_difference, wilson
from gatekit.errors import ConfigError, DatasetError
from gatekit.fmt import noun
from gatekit.production.mlflow_traces import in_progress_note
from gatekit.production.schema import SCHEMA_VERSION as LOG_SCHEMA_VERSION
from gatekit.production.schema import newer_format_error
from gatekit.rfc3339 import from_rfc3339

SCHEMA_VERSION = 1
MAX_WINDOWS = 200_000
EXIT_BY_DECISION = {"promote": 0, "rollback": 1, "hold": 4}
_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le}


def iso(us: int) -> str:
    """RFC 3339 UTC text of epoch microseconds (second precision when whole)."""
    moment = datetime.fromtimestamp(us / 1e6, UTC)
    spec = "seconds" if us % 1_000_000 == 0 else "milliseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")


def parse_time(text: str, where: str) -> int:
    """Epoch microseconds of an RFC 3339 timestamp (``Z`` or an offset; a naive one is refused)."""
    try:
        moment = from_rfc3339(text.strip())
    except ValueError:
        raise ConfigError(
            f"{where}: cannot read {text!r}; write an RFC 3339 time such as 2026-01-31T12:00:00Z"
        ) from None
    if moment.tzinfo is None:
        raise ConfigError(f"{where}: {text!r} has no time zone; add Z (UTC) or an offset such as +02:00")
    return int(round(moment.timestamp() * 1_000_000))


@dataclass
class Window:
    """One window of one variant, as the engine computed it (metrics None when the window has no such data)."""

    index: int
    requests: int = 0
    errors: int = 0
    latency_n: int = 0
    latency_p50_ms: float | None = None
    latency_p95_ms: float | None = None
    latency_p99_ms: float | None = None
    cost_n: int = 0
    cost_sum_usd: float | None = None
    governed: int = 0
    denies: int = 0
    reviews: int = 0

    def metric(self, name: str) -> float | None:
        """The value of a rule metric in this window; None when unknown."""
        if name == "error_rate":
            return self.errors / self.requests if self.requests else None
        if name == "deny_rate":
            return self.denies / self.governed if self.governed else None
        if name == "review_rate":
            return self.reviews / self.governed if self.governed else None
        if name == "cost_per_request_usd":
            return self.cost_sum_usd / self.cost_n if self.cost_n and self.cost_sum_usd is not None else None
        value = getattr(self, name)
        return None if value is None else float(value)

    def judged(self, name: str) -> int:
        """How many of the window's requests a metric is computed from (its denominator, or the values it orders).

        ``requests`` would count rows no metric but the error rate reads: 48 of 50 rows without an outcome (no
        policy ran) made a deny rate of 2 requests a judged window, and 2 latencies a p95.
        """
        if name in ("deny_rate", "review_rate"):
            return self.governed
        if name.startswith("latency_"):
            return self.latency_n
        if name == "cost_per_request_usd":
            return self.cost_n
        return self.requests

    def counts(self, name: str) -> tuple[int, int] | None:
        """``(events, trials)`` of a rate metric."""
        if name == "error_rate":
            return self.errors, self.requests
        if name == "deny_rate":
            return self.denies, self.governed
        if name == "review_rate":
            return self.reviews, self.governed
        return None

    def to_dict(self, confidence: float) -> dict[str, Any]:
        """JSON form: counts, rates with Wilson intervals, latency percentiles, cost."""
        out: dict[str, Any] = {"requests": self.requests, "errors": self.errors}
        for name in ("error_rate", "deny_rate", "review_rate"):
            events, trials = self.counts(name) or (0, 0)
            out[name] = self.metric(name)
            interval = wilson(events, trials, confidence)
            out[f"{name}_interval"] = list(interval) if interval else None
        for name in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "cost_per_request_usd"):
            out[name] = self.metric(name)
        out["cost_usd"] = self.cost_sum_usd
        out["governed"] = self.governed
        return out


@dataclass
class RuleState:
    """The result of one rollback rule's state machine over the windows."""

    rule: RollbackRule
    variant: str
    min_requests: int
    no_data_policy: str
    states: list[str] = field(default_factory=list)  # per window: ok / bad / no_data
    streak: int = 0
    longest: int = 0
    fired: bool = False
    since: int | None = None  # window index where the firing streak began
    fired_at: int | None = None
    triggering: list[int] = field(default_factory=list)
    _run: list[int] = field(default_factory=list)

    def step(self, index: int, window: Window, confidence: float) -> None:
        """Advance the state machine by one window."""
        rule = self.rule
        value = window.metric(rule.metric)
        enough = window.judged(rule.metric) >= self.min_requests  # the requests the metric is computed from
        if not enough or value is None:
            self.states.append("no_data")
            if self.no_data_policy == "reset":
                self.streak, self._run = 0, []
                return
            if self.no_data_policy == "ignore":
                return
            bad = True
        else:
            if rule.bound == "wilson_lower":
                events, trials = window.counts(rule.metric) or (0, 0)
                interval = wilson(events, trials, confidence)
                value = interval[0] if interval else None
            bad = value is not None and _OPS[rule.op](value, rule.threshold)
            self.states.append("bad" if bad else "ok")
        if not bad:
            self.streak, self._run = 0, []
            return
        self.streak += 1
        self._run.append(index)
        self.longest = max(self.longest, self.streak)
        if self.streak >= rule.for_windows and not self.fired:
            self.fired = True
            self.since = self._run[0]
            self.fired_at = index
            self.triggering = list(self._run)

    def to_dict(self, start_us: int, window_us: int) -> dict[str, Any]:
        """JSON form (window indices as the windows' start times)."""

        def at(i: int | None) -> str | None:
            return None if i is None else iso(i * window_us)

        return {
            "name": self.rule.name,
            "rule": self.rule.describe(),
            "metric": self.rule.metric,
            "op": self.rule.op,
            "threshold": self.rule.threshold,
            "for_windows": self.rule.for_windows,
            "bound": self.rule.bound,
            "variant": self.variant,
            "min_requests": self.min_requests,
            "no_data": self.no_data_policy,
            "fired": self.fired,
            "since": at(self.since),
            "fired_at": at(self.fired_at),
            "triggering_windows": [at(i) for i in self.triggering],
            "current_streak": self.streak,
            "longest_streak": self.longest,
            "bad_windows": self.states.count("bad"),
            "no_data_windows": self.states.count("no_data"),
            "ok_windows": self.states.count("ok"),
        }


@dataclass
class CanaryResult:
    """Everything canary.json holds, plus the per-window series the HTML report draws."""

    data: dict[str, Any]

    @property
    def decision(self) -> str:
        """promote, hold or rollback."""
        return str(self.data["decision"])

    @property
    def exit_code(self) -> int:
        """0 promote, 1 rollback, 4 hold."""
        return int(self.data["exit_code"])


def analyse(
    engine: Engine,
    rules: RolloutRules,
    *,
    stage: float,
    now_us: int | None = None,
    since_us: int | None = None,
    source: str = "",
    with_comparisons: bool = True,
    ahead_us: int | None = None,
) -> CanaryResult:
    """Judge stage ``stage`` from the rows the engine holds; see the module docstring.

    ``ahead_us`` (when ``now_us`` is the wall clock: it plus ``AHEAD_TOLERANCE_S``): rows of the variants stamped at or
    after it were written by a clock that is ahead; the stage is not promoted while they exist.
    """
    if stage not in rules.stages:
        raise ConfigError(f"--stage {stage:g}: not one of the stages in the rules file ({_stages(rules)})")
    dialect = engine.dialect
    variants = (rules.baseline, rules.canary)
    window_us = rules.window_seconds * 1_000_000
    now_us = now_us if now_us is not None else int(datetime.now(UTC).timestamp() * 1_000_000)

    end_w = now_us // window_us  # windows before ``end_w`` are complete at ``now``
    start_w = None if since_us is None else int(since_us) // window_us
    if start_w is not None and end_w - start_w > MAX_WINDOWS:
        raise ConfigError(f"--since: {end_w - start_w:,} windows before --now; keep it under {MAX_WINDOWS:,}")
    # one scan: the period starts at --since, else at the first row's window (found by the same query)
    series: dict[str, dict[int, Window]] = {v: {} for v in variants}
    table = q.judged_table(TABLE, rules.versions)  # only the named agent_version of a label that names one
    # rows from --since exactly (not from the start of its window): its window is judged from that instant on
    sql = q.windows_sql(
        dialect, table, variants, rules.window_seconds, None if since_us is None else int(since_us), end_w * window_us,
        ahead_us,
    )  # fmt: skip
    ahead: dict[str, tuple[int, int]] = {}  # variant -> (rows stamped after the wall clock, the earliest of them)
    unjudgeable: dict[str, tuple[int, int]] = {}  # column -> (rows, first window) of values no metric can use
    ids: dict[str, list[int]] = {v: [0, 0] for v in variants}  # variant -> [rows with an id, ~distinct ids]
    seen_versions: dict[str, list[Any]] = {v: [0, None, None] for v in variants}  # [rows with one, min, max]
    untimed: dict[str, int] = {}  # variant -> rows without a time stamp (they fit no window)
    newer: list[tuple[float, int | None]] = []  # (schema_version above the one this gatekit reads, window)
    overflowed: dict[str, list[int]] = {}  # variant -> windows whose cost sum overflows (cost unknown there)
    for row in engine.rows(sql):
        if row[21] is not None and float(row[21]) > LOG_SCHEMA_VERSION:  # a newer format, anywhere in the file
            newer.append((float(row[21]), None if row[0] is None else int(row[0])))
        if len(row) > 22 and row[22]:  # stamped ahead of the wall clock: a writer's clock is ahead
            rows_before, earliest = ahead.get(str(row[1]), (0, int(row[23])))
            ahead[str(row[1])] = (rows_before + int(row[2]), min(earliest, int(row[23])))
            continue
        if row[0] is None:
            untimed[str(row[1])] = int(row[2])
            continue
        for column, count in zip(("outcome", "latency_ms", "cost_usd"), row[13:16], strict=False):
            if count:
                rows_before, earliest = unjudgeable.get(column, (0, int(row[0])))
                unjudgeable[column] = (rows_before + int(count), min(earliest, int(row[0])))
        w = Window(
            int(row[0]), int(row[2]), int(row[3] or 0), int(row[4] or 0),
            _digits(row[5]), _digits(row[6]), _digits(row[7]), int(row[8] or 0), _digits(row[9]),
            int(row[10] or 0), int(row[11] or 0), int(row[12] or 0),
        )  # fmt: skip
        series[str(row[1])][w.index] = w
        if w.cost_n and row[9] is not None and not math.isfinite(float(row[9])):
            overflowed.setdefault(str(row[1]), []).append(w.index)  # finite costs, a sum past the float range
        counted = ids[str(row[1])]
        counted[0] += int(row[16] or 0)
        counted[1] += int(row[17] or 0)
        _merge_versions(seen_versions[str(row[1])], row[18:21])
    if newer:
        _refuse_newer_format(source, newer, window_us)
    if untimed:
        _refuse_untimed(source, untimed)
    if unjudgeable:
        _refuse_unjudgeable(source, unjudgeable, window_us)
    seen = [i for side in series.values() for i in side]
    if not seen:
        _check_variants(engine, rules)
    first_w = start_w if start_w is not None else (min(seen) if seen else None)
    if first_w is not None and end_w - first_w > MAX_WINDOWS:  # (counts grouped: 10 bare digits read as a phone)
        raise ConfigError(
            f"--logs: {end_w - first_w:,} windows between {iso(first_w * window_us)} and --now; "
            f"pass --since (or a longer window) to keep it under {MAX_WINDOWS:,}"
        )
    indices = [] if first_w is None or end_w <= first_w else list(range(first_w, end_w))
    start_us, end_us = (indices[0] * window_us, (indices[-1] + 1) * window_us) if indices else (0, 0)
    if indices and since_us is not None:
        start_us = max(start_us, int(since_us))  # the comparisons start at --since too
    total_rows = sum(w.requests for side in series.values() for w in side.values())

    confidence = rules.compare.confidence
    states = []
    for rule in rules.rollback:
        variant = rule.variant or rules.canary
        if variant not in series:
            raise ConfigError(f"rollback rule {rule.name!r}: variant {variant!r} is neither baseline nor canary")
        state = RuleState(rule, variant, rule.min_requests or rules.min_requests, rule.no_data or rules.no_data)
        for i in indices:
            state.step(i, series[variant].get(i, Window(i)), confidence)
        states.append(state)

    comparisons = (
        compare_variants(engine, rules, series, start_us, end_us, table) if with_comparisons and indices else []
    )
    has_data = [series[rules.canary].get(i, Window(i)).requests >= rules.min_requests for i in indices]
    data_windows = sum(has_data)
    # windows at the end of the period without canary traffic: the canary may have stopped answering
    silent = next((k for k, ok in enumerate(reversed(has_data)) if ok), len(has_data)) if data_windows else 0
    decision, reasons, needed = _decide(rules, stage, states, comparisons, data_windows, with_comparisons, silent)
    if decision == "hold" and not series[rules.canary] and series[rules.baseline]:
        reasons.append(_other_variants(engine, rules))  # the canary's rows may carry another label (or none)
    versions = _versions(
        engine, rules, series, seen_versions, None if since_us is None else int(since_us), end_w * window_us
    )
    if versions["mixed"] and decision == "promote":  # rows of two versions under one label: never a promotion
        decision, reasons, needed = "hold", [], {}
    if versions["mixed"] and decision == "hold":
        reasons.insert(0, versions["reason"])
    if decision == "hold" and versions["reason"] and not versions["mixed"]:
        reasons.append(versions["reason"])  # the version named has no row (the rows carry others)
    duplicates = _duplicates(ids, {v: sum(w.requests for w in series[v].values()) for v in variants})
    if duplicates["evident"] and decision == "promote":
        decision, reasons, needed = "hold", [], {}
    if duplicates["evident"] and decision == "hold":
        reasons.insert(0, duplicates["reason"])
    skewed = _ahead_reason(ahead, now_us)
    if skewed and decision == "promote":  # requests no window holds: inconclusive, and inconclusive is no pass
        decision, reasons, needed = "hold", [], {}
    if skewed and decision == "hold":
        reasons.insert(0, skewed)
    for variant, overflow in sorted(overflowed.items()):  # unknown, not zero: say why the cost is missing
        reasons.append(
            f"{variant}: cost sum overflows in {len(overflow)} window(s) (cost_usd values near 1.8e308), the first "
            f"starting {iso(min(overflow) * window_us)}: cost_per_request_usd is unknown there"
        )
    # (a canary run checks them before a promotion; a watch's poll whenever nothing fired, for its --timeout)
    looked = decision == "promote" or (not with_comparisons and decision != "rollback")
    lookalikes = _lookalike_variants(engine, rules, start_us, end_us) if looked and indices else None
    if lookalikes and decision == "promote":  # rows of a variant written otherwise (CANARY) could hide its failures
        decision, reasons, needed = "hold", [lookalikes], {}
    in_progress = int(getattr(engine, "in_progress", 0) or 0)
    hung = _hung_requests(rules, in_progress, getattr(engine, "oldest_in_progress_ms", None), total_rows, now_us)
    if hung and decision == "promote":  # requests with no outcome yet: inconclusive, and inconclusive is no pass
        decision, reasons, needed = "hold", [], {}
    if hung and decision == "hold":
        reasons.insert(0, hung)
    elif in_progress:  # hung requests have no outcome: never silently out of the judgement
        reasons.append(in_progress_note(in_progress, f"--logs {source}" if source else "--logs"))
    exit_code = EXIT_BY_DECISION[decision]
    next_stage = rules.next_stage(stage) if decision == "promote" else None
    fired = [s for s in states if s.fired]
    rollback_block = None
    if fired:
        first = min(fired, key=lambda s: (s.fired_at or 0, s.since or 0))
        rollback_block = {
            "rule": first.rule.name,
            "since": iso((first.since or 0) * window_us),
            "fired_at": iso((first.fired_at or 0) * window_us),
            "windows": [iso(i * window_us) for i in first.triggering],
        }
    data: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": "canary",
        "decision": decision,
        "exit_code": exit_code,
        "stage": stage,
        "next_stage": next_stage,
        "stages": rules.stages,
        "reasons": reasons,
        "needed_requests": needed,
        "rollback": rollback_block,
        "source": source,
        "engine": dialect,
        "now": iso(now_us),
        "since": iso(start_us) if indices else None,
        "until": iso(end_us) if indices else None,
        "window_seconds": rules.window_seconds,
        "windows_total": len(indices),
        "windows_with_data": data_windows,
        "trailing_no_data_windows": silent,
        "rows_seen": int(total_rows or 0),
        "traces_in_progress": in_progress,
        "canary_share": _share(series, rules),
        "duplicates": duplicates,
        "rows_ahead_of_now": {v: ahead.get(v, (0, 0))[0] for v in variants} if ahead_us is not None else None,
        "versions": versions,
        "variants": {"baseline": rules.baseline, "canary": rules.canary},
        "lookalike_variants": lookalikes,
        "rules": [s.to_dict(start_us, window_us) for s in states],
        "comparisons": comparisons,
        "windows": [
            {
                "start": iso(i * window_us),
                "baseline": series[rules.baseline].get(i, Window(i)).to_dict(confidence),
                "canary": series[rules.canary].get(i, Window(i)).to_dict(confidence),
                "rule_states": {s.rule.name: s.states[k] for s in states},
            }
            for k, i in enumerate(indices)
        ],
        "config": rules.model_dump(mode="json", by_alias=True),
    }
    return CanaryResult(data)


AHEAD_TOLERANCE_S = 60  # rows stamped this far past the wall clock were written by a clock that is ahead


def _ahead_reason(ahead: dict[str, tuple[int, int]], now_us: int) -> str:
    """Why rows stamped after the wall clock hold the stage (a writer's clock is ahead), or ""."""
    if not ahead:
        return ""
    first = min(earliest for _, earliest in ahead.values())
    counts = ", ".join(f"{count} {variant!r}" for variant, (count, _) in sorted(ahead.items()))
    return (
        f"inconclusive: rows stamped after the current time ({counts}; the first {iso(first)}, "
        f"{(first - now_us) / 60e6:.1f} min ahead of {iso(now_us)}): a writer's clock is ahead, and its requests fit "
        "no window of the period; fix the clock (NTP) and judge again, or pass --now to judge a finished period"
    )


_UNJUDGEABLE = {
    "outcome": f"an outcome that is not one of {', '.join(q.OUTCOMES)} (deny_rate and review_rate count on it)",
    "latency_ms": "a negative, NaN or infinite latency_ms",
    "cost_usd": "a negative, NaN or infinite cost_usd",
}


def _refuse_unjudgeable(source: str, found: dict[str, tuple[int, int]], window_us: int) -> None:
    """Rows whose values the canary cannot judge: an error naming the column and the first window, never a guess.

    An unknown outcome read as "not denied", or a NaN latency sorted above every other, would decide a stage
    on values the production-log format does not allow (the row writer refuses them).
    """
    column, (count, first) = next(iter(found.items()))
    noun = "row has" if count == 1 else "rows have"
    where = f"--logs {source}" if source else "--logs"
    raise DatasetError(
        f"{where}: {count} {noun} {_UNJUDGEABLE[column]}, the first in the window starting "
        f"{iso(first * window_us)}; fix or drop those rows (docs/production-log.md)"
    )


def _refuse_newer_format(source: str, newer: list[tuple[float, int | None]], window_us: int) -> None:
    """Rows written in a newer production-log format than this gatekit reads: exit 2, "upgrade gatekit".

    The readers check the first row of a file; a guard upgraded while it appends to the same log writes its newer rows
    further down, and read as this version they could be misread (a column retyped in a newer version).
    """
    version = max(v for v, _ in newer)
    windows = [w for _, w in newer if w is not None]
    where = f"--logs {source}" if source else "--logs"
    at = f", the first in the window starting {iso(min(windows) * window_us)}" if windows else ""
    raise newer_format_error(where, version, at)


def _refuse_untimed(source: str, untimed: dict[str, int]) -> None:
    """Rows of the judged variants without a time stamp: an error, never rows left out of every window.

    Such rows (a blank or null ``timestamp``, which the production-log format requires) fit no window: left out,
    the errors of a canary that writes its failures without a time would vanish and the stage be promoted.
    """
    where = f"--logs {source}" if source else "--logs"
    counts = ", ".join(f"{count} {variant!r}" for variant, count in sorted(untimed.items()))
    raise DatasetError(
        f"{where}: rows without a timestamp ({counts}): they fit no window, and the canary judges every request of "
        "its variants; write the timestamp in every row, or drop those rows (docs/production-log.md)"
    )


# copies are "evident" when a variant's rows exceed its distinct request ids by this share (and DUPLICATE_MIN rows):
# HyperLogLog's error per window is within ±10 % (DuckDB, Spark's default rsd 0.05 at 2 sigma) and averages out
# over the windows' sum; copies of every row (a log shipped twice) are +100 %, a retried batch of a few rows is not
DUPLICATE_SHARE = 0.2
DUPLICATE_MIN = 10


def _duplicates(ids: dict[str, list[int]], requests: dict[str, int] | None = None) -> dict[str, Any]:
    """The estimated duplicate ``request_id`` rows per variant and whether they are evident (then no promote).

    Rows without a ``request_id`` (the format requires one) cannot be told from their copies: when they are more than
    ``DUPLICATE_SHARE`` of a variant's rows (and ``DUPLICATE_MIN``), copies cannot be ruled out, and that counts as
    evident too (a log of such rows shipped four times was promoted on four times its traffic).
    """
    per_variant = {v: max(0, rows - distinct) for v, (rows, distinct) in ids.items()}
    evident = [
        v for v, (rows, distinct) in ids.items()
        if rows - distinct >= DUPLICATE_MIN and rows > (1 + DUPLICATE_SHARE) * distinct
    ]  # fmt: skip
    without = {v: max(0, (requests or {}).get(v, 0) - ids[v][0]) for v in ids}
    unchecked = [
        v for v in ids
        if v not in evident and without[v] >= DUPLICATE_MIN and without[v] > DUPLICATE_SHARE * (requests or {})[v]
    ]  # fmt: skip
    total = sum(per_variant[v] for v in evident)
    reasons = []
    if evident:
        reasons.append(
            f"inconclusive: about {total} duplicate request_id rows ("
            + ", ".join(f"{v} ~{per_variant[v]} of {ids[v][0]}" for v in evident)
            + "): the same requests counted more than once; remove the copies (docs/canary.md#duplicate-rows)"
        )
    if unchecked:
        reasons.append(
            "inconclusive: rows without a request_id ("
            + ", ".join(f"{without[v]} of {(requests or {})[v]} {v!r}" for v in unchecked)
            + "): copies of them cannot be found, and the format requires one; write request_id in every row "
            "(docs/canary.md#duplicate-rows)"
        )
    return {
        "evident": bool(evident or unchecked),
        "rows": total,
        "by_variant": per_variant,
        "without_request_id": without,
        "method": "rows with a request_id minus approx_count_distinct(request_id), summed over the windows",
        "reason": "; ".join(reasons),
    }


def _merge_versions(acc: list[Any], row: Any) -> None:
    """Add one window's ``(rows with an agent_version, min, max)`` to a variant's running ``[rows, min, max]``."""
    rows, low, high = row
    acc[0] += int(rows or 0)
    if low is not None:
        acc[1] = str(low) if acc[1] is None else min(acc[1], str(low))
    if high is not None:
        acc[2] = str(high) if acc[2] is None else max(acc[2], str(high))


def _versions(
    engine: Engine, rules: RolloutRules, series: dict[str, dict[int, Window]], seen: dict[str, list[Any]],
    start_us: int | None, end_us: int,
) -> dict[str, Any]:  # fmt: skip
    """Which agent_version each variant's judged rows carry; ``mixed`` when a label's rows carry more than one.

    A label whose rows carry two versions (or a version and none) mixes an earlier deployment into the stage: the
    stage is not promoted until the rules name the version to judge (``canary_version:`` / ``--canary-version``).
    A label that names one: ``reason`` says so when no judged row carries it.
    """
    from gatekit.redact import scrub

    out: dict[str, Any] = {"mixed": False, "reason": "", "by_variant": {}}
    mixed, missing = [], []
    for role, label in (("baseline", rules.baseline), ("canary", rules.canary)):
        rows = sum(w.requests for w in series[label].values())
        with_version, low, high = seen[label]
        named = rules.versions.get(label)
        is_mixed = named is None and ((low is not None and low != high) or 0 < with_version < rows)
        out["by_variant"][label] = {"role": role, "judged_version": named, "rows": rows, "mixed": is_mixed}
        if is_mixed:
            mixed.append(label)
        elif named is not None and rows == 0:
            missing.append(label)
    if not mixed and not missing:
        return out
    found = engine.rows(q.versions_sql(engine.dialect, TABLE, (rules.baseline, rules.canary), start_us, end_us))

    def carried(label: str) -> str:
        shown = [f"{'null' if v is None else repr((scrub(str(v)) or '')[:40])} ({int(n)} {noun(int(n), 'row')})"
                 for name, v, n in found if name == label]  # fmt: skip
        return ", ".join(shown[:8]) or "none"

    if mixed:
        out["mixed"] = True
        out["reason"] = (
            "inconclusive: "
            + "; ".join(f"the {label!r} rows carry more than one agent_version ({carried(label)})" for label in mixed)
            + (
                ": rows of another deployment under the same label; name the version to judge with canary_version: / "
                "baseline_version: in the rules file (or --canary-version / --baseline-version) (docs/canary.md)"
            )
        )
    else:
        out["reason"] = "; ".join(
            f"no {label!r} row in the period has agent_version {rules.versions[label]!r} (the {label!r} rows have: "
            f"{carried(label)}); check canary_version: / baseline_version: or the guard's agent_version"
            for label in missing
        )
    return out


def _share(series: dict[str, dict[int, Window]], rules: RolloutRules) -> float | None:
    """Observed canary share of the two variants' requests (to compare with the stage); None without traffic."""
    canary = sum(w.requests for w in series[rules.canary].values())
    total = canary + sum(w.requests for w in series[rules.baseline].values())
    return canary / total if total else None


def _check_variants(engine: Engine, rules: RolloutRules) -> None:
    """No row of either variant in the whole log, but other rows: a configuration error, not a hold.

    Rows of the variants outside the judged period (after ``--now``, before ``--since``) or an empty log hold.
    """
    counted = engine.rows(q.variant_rows_sql(engine.dialect, TABLE, (rules.baseline, rules.canary)))
    if counted and int(counted[0][0] or 0) > 0:
        return
    found = engine.rows(q.variants_sql(engine.dialect, TABLE))
    if not found:
        return  # an empty log: hold, nothing has arrived yet
    from gatekit.redact import scrub

    # values of the production rows: scrubbed before they are cut and shown
    seen = ", ".join(
        f"{'null' if v is None else repr((scrub(str(v)) or '')[:40])} ({int(n)} {noun(int(n), 'row')})"
        for v, n in found
    )
    raise ConfigError(
        f"--logs: no row has variant {rules.baseline!r} or {rules.canary!r} (the rows have: {seen}); "
        "name the variants with baseline:/canary: in the rules file, or write `variant` in the production rows"
    )


def _lookalike_variants(engine: Engine, rules: RolloutRules, start_us: int, end_us: int) -> str | None:
    """Why rows labelled like a judged variant but for case or spaces (``CANARY``) hold a promotion, or None.

    Such rows are no variant's and are left out of every window: a canary pod started with ``--variant Canary`` had its
    failed requests left out, and the stage was promoted on the healthy pods' rows.
    """
    found = engine.rows(
        q.lookalike_variants_sql(engine.dialect, TABLE, (rules.baseline, rules.canary), start_us, end_us)
    )
    if not found:
        return None
    seen = ", ".join(f"{str(v)[:80]!r} ({int(n)} {noun(int(n), 'row')})" for v, n in found)  # (label-shaped)
    return (
        f"inconclusive: rows labelled like the judged variants {rules.baseline!r} / {rules.canary!r} but written "
        f"otherwise ({seen}) are in no window; relabel the guard or proxy that writes them (variant=, guard serve "
        "--variant), or fix those rows"
    )


def _other_variants(engine: Engine, rules: RolloutRules) -> str:
    """Which variant values the rows carry, when the canary's label has no row in the period."""
    from gatekit.redact import scrub

    found = engine.rows(q.variants_sql(engine.dialect, TABLE))
    seen = ", ".join(
        f"{'null' if v is None else repr((scrub(str(v)) or '')[:40])} ({int(n)} {noun(int(n), 'row')})"
        for v, n in found
    )
    return (
        f"no row in the period has variant {rules.canary!r} (the rows have: {seen}); if the canary's guard or proxy "
        "labels its rows otherwise, set canary: in the rules file or the guard's variant= (guard serve --variant)"
    )


def _digits(value: Any) -> float | None:
    """An engine's percentile or sum, finite, to 12 significant digits (None when unknown or not finite).

    DuckDB's and Spark's ``percentile_cont`` interpolate, and their sums add, in another order: the same window's p99
    came as 3000.0000000000005 on one and 3000.0 on the other, and a rule `latency_p99_ms > 3000` judged the window
    bad on DuckDB and ok on Spark (a sum's last bits also vary with DuckDB's threads). Read to 12 digits, both are 3000.
    """
    number = _f(value)
    return None if number is None else float(f"{number:.12g}")


def _f(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _hung_requests(rules: RolloutRules, in_progress: int, oldest_ms: int | None, rows: int, now_us: int) -> str | None:
    """Why MLflow traces still in progress hold the stage (past ``in_progress.max_share`` / ``max_age``), or None."""
    if not in_progress:
        return None
    bound = rules.in_progress
    share = in_progress / (in_progress + max(rows, 0))
    age_s = None if oldest_ms is None else now_us / 1e6 - oldest_ms / 1e3
    why = []
    if share > bound.max_share:
        why.append(f"{share:.1%} of the requests, more than in_progress.max_share {bound.max_share:.1%}")
    if age_s is not None and age_s * 1000 > bound.max_age:
        why.append(
            f"the oldest started {iso(int(oldest_ms or 0) * 1000)}, {age_s / 60:.1f} min before --now, longer than "
            f"in_progress.max_age {bound.max_age / 60_000:g} min"
        )
    if not why:
        return None
    return (
        f"{in_progress} MLflow trace(s) still in progress ({'; '.join(why)}): hung requests have no outcome, and "
        "inconclusive is no pass; check them in MLflow (or raise in_progress: in the rules file)"
    )


def _judged_by(metric: str) -> str:
    """Which requests a rule metric counts toward ``min_requests`` (see ``Window.judged``), as words."""
    if metric in ("deny_rate", "review_rate"):
        return " with a governance outcome"
    if metric.startswith("latency_"):
        return " with a latency_ms"
    return " with a cost_usd" if metric == "cost_per_request_usd" else ""


def _stages(rules: RolloutRules) -> str:
    return ", ".join(f"{s:g}" for s in rules.stages)


def _decide(
    rules: RolloutRules,
    stage: float,
    states: list[RuleState],
    comparisons: list[dict[str, Any]],
    data_windows: int,
    with_comparisons: bool,
    silent_windows: int = 0,
) -> tuple[str, list[str], dict[str, int]]:
    window_us = rules.window_seconds * 1_000_000
    fired = [s for s in states if s.fired]
    if fired:
        fired_reasons = [
            f"rollback rule '{s.rule.name}' fired: {s.rule.describe()} on {s.variant}, "
            f"since {iso((s.since or 0) * window_us)} ({len(s.triggering)} bad window{'' if len(s.triggering) == 1 else 's'}, last {iso((s.fired_at or 0) * window_us)})"
            for s in sorted(fired, key=lambda s: (s.fired_at or 0, s.since or 0))
        ]
        return "rollback", fired_reasons, {}
    critical = [c for c in comparisons if c["status"] == "fail" and c["critical"]]
    if critical:
        return "rollback", [f"critical metric {c['metric']} failed: {c['reason']}" for c in critical], {}
    reasons: list[str] = []
    needed: dict[str, int] = {}
    if data_windows < rules.min_windows:
        more = rules.min_windows - data_windows
        needed["canary_windows"] = more
        needed["canary"] = max(needed.get("canary", 0), more * rules.min_requests)
        reasons.append(
            f"only {data_windows} window(s) with at least {rules.min_requests} canary requests; "
            f"need {more} more (about {more * rules.min_requests} more canary requests)"
        )
    # a rule with its own min_requests (or a metric the rows do not carry) may judge fewer windows than the
    # stage counted: a rule that could not judge min_windows windows has not passed (no-data is not a pass)
    for s in states:
        judged = len(s.states) - s.states.count("no_data")
        if data_windows >= rules.min_windows and judged < rules.min_windows:
            reasons.append(
                f"rule '{s.rule.name}' judged only {judged} window(s) (with at least {s.min_requests} {s.variant} "
                f"requests{_judged_by(s.rule.metric)} and a {s.rule.metric} value); need {rules.min_windows}"
            )
    for c in comparisons:
        if c["status"] == "insufficient":
            for side in ("canary", "baseline"):
                missing = int(c["needed"].get(side, 0))
                if missing:
                    needed[side] = max(needed.get(side, 0), missing)
            reasons.append(f"{c['metric']}: {c['reason']}")
    if silent_windows >= rules.min_windows:
        reasons.append(
            f"the last {silent_windows} window(s) had fewer than {rules.min_requests} canary requests: "
            "the canary stopped receiving traffic (or answering); no-data is not a pass"
        )
    open_streaks = [s for s in states if s.streak > 0]
    for s in open_streaks:
        reasons.append(
            f"rule '{s.rule.name}' has {s.streak} bad window(s) in a row (fires at {s.rule.for_windows}); "
            "waiting for it to recover or fire"
        )
    failed = [c for c in comparisons if c["status"] == "fail"]
    if reasons:
        return "hold", reasons, needed
    if failed:
        return "rollback", [f"metric {c['metric']} failed: {c['reason']}" for c in failed], {}
    if with_comparisons and not comparisons and rules.compare.metrics:
        return "hold", ["no traffic in the period; nothing to compare"], {"canary": rules.compare.min_requests}
    nxt = rules.next_stage(stage)
    where = f"next stage {nxt:g}%" if nxt is not None else "rollout complete (last stage)"
    passed = ", ".join(c["metric"] for c in comparisons) or "no comparisons configured"
    return "promote", [f"no rollback rule fired; comparisons within allowance ({passed}); {where}"], {}


def compare_variants(
    engine: Engine, rules: RolloutRules, series: dict[str, dict[int, Window]], start_us: int, end_us: int,
    table: str = TABLE,
) -> list[dict[str, Any]]:  # fmt: skip
    """Compare canary with baseline per configured metric over ``[start_us, end_us)``.

    The counts are the sums of the windows' engine counts; the continuous metrics add one rank-sum
    query and one sample query each.
    """
    keys = ("requests", "errors", "governed", "denies", "reviews", "latency_n", "cost_n")

    def totals(variant: str) -> dict[str, int]:
        return {k: sum(int(getattr(w, k)) for w in series[variant].values()) for k in keys}

    base, can = totals(rules.baseline), totals(rules.canary)
    out = []
    for metric, spec in rules.compare.metrics.items():
        if COMPARE_METRICS[metric] == "proportion":
            out.append(_compare_proportion(metric, spec, base, can, rules))
        else:
            out.append(_compare_continuous(engine, metric, spec, base, can, rules, start_us, end_us, table))
    return out


_PROPORTION = {"error_rate": ("errors", "requests"), "deny_rate": ("denies", "governed"), "review_rate": ("reviews", "governed")}  # fmt: skip


def _insufficient(metric: str, spec: CompareMetric, n_can: int, n_base: int, minimum: int, what: str) -> dict[str, Any]:
    needed = {"canary": max(0, minimum - n_can), "baseline": max(0, minimum - n_base)}
    parts = [f"{needed[s]} more {s} {what}" for s in ("canary", "baseline") if needed[s]]
    return {
        "metric": metric, "status": "insufficient", "critical": spec.critical, "n_canary": n_can,
        "n_baseline": n_base, "needed": needed, "allowed_increase": spec.allowed_increase, "relative": spec.relative,
        "reason": f"not enough data to compare ({n_can} canary, {n_base} baseline; need {minimum} each): "
        + " and ".join(parts),
    }  # fmt: skip


def _compare_proportion(
    metric: str, spec: CompareMetric, base: dict[str, int], can: dict[str, int], rules: RolloutRules
) -> dict[str, Any]:
    events, trials = _PROPORTION[metric]
    minimum = rules.compare.min_requests
    if can[trials] < minimum or base[trials] < minimum:
        return _insufficient(
            metric,
            spec,
            can[trials],
            base[trials],
            minimum,
            "requests" if trials == "requests" else "governed requests",
        )
    diff = proportion_difference(can[events], can[trials], base[events], base[trials], rules.compare.confidence)
    assert diff is not None  # both samples are non-empty here
    d, low, high, p_value = diff
    fail = low > spec.allowed_increase
    # the estimate above the allowance, the interval not wholly above it: inconclusive, so no pass (hold for more data)
    unsure = not fail and d > spec.allowed_increase
    needed = _more_needed(d, low, spec.allowed_increase, can[trials], base[trials]) if unsure else {}
    pct = f"{rules.compare.confidence:.0%}"
    if fail:
        verdict = "the whole interval lies above"
    elif unsure:
        verdict = "inconclusive: the estimate lies above, the interval not wholly above,"
    else:
        verdict = "the interval does not lie wholly above"
    return {
        "metric": metric, "test": "two-proportion (Newcombe hybrid score interval, pooled z-test)",
        "status": "fail" if fail else "insufficient" if unsure else "pass", "critical": spec.critical,
        "canary": can[events] / can[trials], "baseline": base[events] / base[trials],
        "n_canary": can[trials], "n_baseline": base[trials], "difference": d, "interval": [low, high],
        "p_value": p_value, "allowed_increase": spec.allowed_increase, "relative": False, "needed": needed,
        "reason": (
            f"canary - baseline = {d * 100:+.3f}pp, {pct} interval [{low * 100:+.3f}pp, {high * 100:+.3f}pp]; "
            + verdict
            + f" the allowed +{spec.allowed_increase * 100:g}pp"
            + (_more_text(needed, "requests" if trials == "requests" else "governed requests") if unsure else "")
        ),
    }  # fmt: skip


def _more_needed(estimate: float, low: float, allowed: float, n_can: int, n_base: int) -> dict[str, int]:
    """About how many more requests per variant would settle an estimate above ``allowed`` whose interval is not.

    An interval's half-width shrinks like ``1 / sqrt(n)``: the lower end reaches the allowance at about
    ``n * ((estimate - low) / (estimate - allowed)) ** 2`` (at least one more of each; at most 100 times as many).
    """
    gap = estimate - allowed
    factor = ((estimate - low) / gap) ** 2 if gap > 0 and math.isfinite(estimate - low) else 4.0
    factor = min(max(factor, 1.0), 100.0)
    return {side: max(1, math.ceil(n * (factor - 1))) for side, n in (("canary", n_can), ("baseline", n_base))}


def _log1p(value: float) -> float:
    """``log(1 + value)`` of a ratio minus one; -inf at -100 % (a 0 over a positive value), +inf for +inf."""
    return math.log1p(value) if value > -1 else -math.inf


def _more_text(needed: dict[str, int], what: str) -> str:
    return (
        f"; inconclusive is no pass: about {needed['canary']} more canary and {needed['baseline']} more baseline "
        f"{what} to decide"
    )


def _compare_continuous(
    engine: Engine, metric: str, spec: CompareMetric, base: dict[str, int], can: dict[str, int],
    rules: RolloutRules, start_us: int, end_us: int, table: str = TABLE,
) -> dict[str, Any]:  # fmt: skip
    column = "latency_ms" if metric == "latency_ms" else "cost_usd"
    count_key = "latency_n" if column == "latency_ms" else "cost_n"
    minimum = rules.compare.min_requests
    if can[count_key] < minimum or base[count_key] < minimum:
        return _insufficient(metric, spec, can[count_key], base[count_key], minimum, f"requests with {column}")
    dialect = engine.dialect
    rank_sum, n_can, n_base, ties = engine.rows(
        q.rank_sum_sql(dialect, table, column, rules.baseline, rules.canary, start_us, end_us)
    )[0]
    mw = mann_whitney(float(rank_sum), int(n_can), int(n_base), float(ties or 0))
    limit = rules.compare.sample_limit
    buckets = q.SAMPLE_BUCKETS  # keep a row when md5(request_id) falls in the first ``t`` of the buckets
    thresholds = {v: min(buckets, math.ceil(buckets * 1.1 * limit / max(n, 1))) for v, n in ((rules.canary, int(n_can)), (rules.baseline, int(n_base)))}  # fmt: skip
    drawn: dict[str, list[tuple[str, float]]] = {rules.canary: [], rules.baseline: []}
    sample = q.sample_sql(dialect, table, column, rules.baseline, rules.canary, start_us, end_us, thresholds)
    for variant, value, bucket in engine.rows(sample):
        drawn[str(variant)].append((str(bucket), float(value)))
    can_values = [v for _, v in sorted(drawn[rules.canary])[:limit]]
    base_values = [v for _, v in sorted(drawn[rules.baseline])[:limit]]
    sampled = len(can_values) < int(n_can) or len(base_values) < int(n_base)
    scale = "log ratio" if spec.relative else "difference"
    if spec.relative:  # the ratio canary / baseline (0 values included: a ratio over 0 is unbounded)
        hl = hodges_lehmann_ratio(can_values, base_values, rules.compare.confidence)
    else:
        hl = hodges_lehmann(can_values, base_values, rules.compare.confidence)
    assert hl is not None  # both samples hold at least ``minimum`` values here
    est: float = hl[0]
    low, high = hl[1], hl[2]
    unit = "%" if spec.relative else (" ms" if column == "latency_ms" else " USD")

    def show(v: float | None) -> str:
        if v is None:
            return "unbounded"
        if math.isinf(v):  # a ratio over a baseline value of 0
            return "+inf (over 0)" if v > 0 else "-inf"
        return f"{v * 100:+.2f}%" if spec.relative else f"{v:+.4g}{unit}"

    pct = f"{rules.compare.confidence:.0%}"
    allowed = f"+{spec.allowed_increase * 100:g}%" if spec.relative else f"+{spec.allowed_increase:g}{unit}"
    more: dict[str, int] = {}
    if low is None:
        status, verdict = "insufficient", "too few values for an interval"
        more = {"canary": minimum, "baseline": minimum}
    elif low > spec.allowed_increase:
        status, verdict = "fail", f"the whole interval lies above the allowed {allowed}"
    elif est > spec.allowed_increase:  # the estimate above the allowance: inconclusive, never a pass
        if spec.relative:  # the interval is symmetric-ish on the log scale
            more = _more_needed(_log1p(est), _log1p(low), _log1p(spec.allowed_increase), int(n_can), int(n_base))
        else:
            more = _more_needed(est, low, spec.allowed_increase, int(n_can), int(n_base))
        status = "insufficient"
        verdict = (
            f"inconclusive: the estimate lies above, the interval not wholly above, the allowed {allowed}"
            + _more_text(more, f"requests with {column}")
        )
    else:
        status, verdict = "pass", f"the interval does not lie wholly above the allowed {allowed}"
    return {
        "metric": metric, "test": f"Mann-Whitney U + Hodges-Lehmann shift ({scale}, Moses interval)",
        "status": status, "critical": spec.critical, "n_canary": int(n_can), "n_baseline": int(n_base),
        "difference": est, "interval": [low, high], "relative": spec.relative,
        "p_value": mw.p_value if mw else None, "u": mw.u if mw else None, "auc": mw.auc if mw else None,
        "allowed_increase": spec.allowed_increase, "needed": more,
        "sampled": sampled, "sample_sizes": [len(can_values), len(base_values)],
        "reason": f"Hodges-Lehmann shift {show(est)}, {pct} interval [{show(low)}, {show(high)}]; {verdict}"
        + (f" (interval from a hash sample of {len(can_values)} canary / {len(base_values)} baseline values;"
           " Mann-Whitney over all rows)" if sampled else ""),
    }  # fmt: skip
