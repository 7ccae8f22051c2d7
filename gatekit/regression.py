"""Regression checks against a baseline run: ``max_regression`` limits and one check per limit.

``parse_limits`` reads the ``max_regression`` block of the thresholds file;
``regression_checks`` pairs candidate and baseline results by ``case_id`` and judges each
limit with the paired statistics of ``gatekit.paired``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from gatekit.errors import ConfigError
from gatekit.fmt import noun
from gatekit.metrics import NOT_DELIVERED
from gatekit.models import CaseResult, Check, CheckStatus
from gatekit.paired import agresti_min_interval, mcnemar_exact_p, paired_bootstrap
from gatekit.units import parse_quantity

# per-case binary "bad" indicators: metric -> description of a bad case
_BINARY = {
    "error_rate": "errored",
    "pass_rate": "did not pass",
    "governance.deny_rate": "denied",
}
# continuous metrics: metric -> (per-case field, statistic, absolute unit, unit kind for literals)
_CONTINUOUS = {
    "latency_p50_ms": ("latency", "p50", "ms", "duration_ms"),
    "latency_p95_ms": ("latency", "p95", "ms", "duration_ms"),
    "latency_p99_ms": ("latency", "p99", "ms", "duration_ms"),
    "latency_mean_ms": ("latency", "mean", "ms", "duration_ms"),
    "cost_per_case_usd": ("cost", "mean", "USD", "number"),
    "cost_total_usd": ("cost", "sum", "USD", "number"),
}
REGRESSION_METRICS = tuple(_BINARY) + tuple(_CONTINUOUS)


@dataclass
class _CaseSummary:
    errored: bool
    passed: bool | None
    denied: bool
    latency: float | None
    cost: float | None
    cost_unknown: bool = False  # a repeat that succeeded has no cost (no price, no cost_usd): unknown, never 0
    timed_out: bool = False  # a repeat timed out: no answer within the timeout, its latency is unknown (above it)


def _rows(results: Iterable[Mapping[str, Any] | CaseResult]) -> Iterator[Mapping[str, Any]]:
    return (r.to_dict() if isinstance(r, CaseResult) else r for r in results)


def _delivered_pass(row: Mapping[str, Any]) -> bool:
    """A row's ``passed`` as delivered (``gatekit.metrics.delivered_result``).

    A row written before ``expectations_met`` existed (a baseline logged by an older gatekit) counted a denied or
    reviewed response that met its expectations as passed; it was not delivered, so it did not pass.
    """
    passed = bool(row.get("passed"))
    if passed and "expectations_met" not in row:
        return str((row.get("decision") or {}).get("outcome")) not in NOT_DELIVERED
    return passed


@dataclass
class _CaseRepeats:
    """What a case's repeats add up to, row by row (the rows themselves are not kept)."""

    errored: bool = False
    passes: int = 0  # repeats with a ``passed`` value
    all_passed: bool = True
    denied: bool = False
    latencies: list[float] = field(default_factory=list)
    costs: list[float] = field(default_factory=list)
    cost_unknown: bool = False
    timed_out: bool = False

    def add(self, r: Mapping[str, Any]) -> None:
        from gatekit.replay import answer_latency_ms, legacy_row

        if r.get("passed") is not None:
            self.passes += 1
            self.all_passed = self.all_passed and _delivered_pass(r)
        # the time to the answer (every attempt and backoff wait) and what every attempt spent, as the metrics
        if r.get("ok") and r.get("latency_ms") is not None:
            self.latencies.append(float(answer_latency_ms(r)))
        if r.get("cost_usd") is not None:
            self.costs.append(float(r["cost_usd"]))
        self.errored = self.errored or not r.get("ok", False)
        self.denied = self.denied or str((r.get("decision") or {}).get("outcome")) == "deny"
        # a row without its cost: an answer with no cost_usd and no price, or a failed attempt that reported none
        # (a row an older gatekit wrote kept no failed attempt's cost: left out, as it was measured then)
        self.cost_unknown = self.cost_unknown or (r.get("cost_usd") is None and (r.get("ok") or not legacy_row(r)))
        self.timed_out = self.timed_out or (not r.get("ok") and r.get("error_type") == "timeout")

    def summary(self) -> _CaseSummary:
        return _CaseSummary(
            errored=self.errored,
            passed=self.all_passed if self.passes else None,
            denied=self.denied,
            latency=sum(self.latencies) / len(self.latencies) if self.latencies else None,
            cost=sum(self.costs) / len(self.costs) if self.costs else None,
            cost_unknown=self.cost_unknown,
            timed_out=self.timed_out,
        )


@dataclass
class CaseSummaries:
    """A run's results as the comparison needs them: one summary per case, and how many rows there were."""

    cases: dict[str, _CaseSummary]
    rows: int


def summarise(results: Iterable[Mapping[str, Any] | CaseResult]) -> CaseSummaries:
    """Collapse repeats: a case errored if any repeat did, passed only if every repeat did.

    ``results`` may be a stream (``gatekit.results.iter_result_rows``): each row is summed up as it comes and let go,
    so a results.jsonl of 100,000 rows of 4 kB is not held (it was: read whole, then the rows grouped by case).
    """
    grouped: dict[str, _CaseRepeats] = {}
    rows = 0
    for row in _rows(results):
        rows += 1
        grouped.setdefault(str(row.get("case_id")), _CaseRepeats()).add(row)
    return CaseSummaries({case_id: repeats.summary() for case_id, repeats in grouped.items()}, rows)


def _per_case(results: Iterable[Mapping[str, Any] | CaseResult] | CaseSummaries) -> dict[str, _CaseSummary]:
    return results.cases if isinstance(results, CaseSummaries) else summarise(results).cases


@dataclass(frozen=True)
class RegressionLimit:
    """How much worse than the baseline a metric may get."""

    metric: str
    limit: float
    relative: bool


def parse_limits(
    limits: Mapping[str, Any] | None, where: str = "max_regression"
) -> tuple[list[RegressionLimit], float]:
    """Parse ``max_regression`` (thresholds file) into limits and a confidence level.

    Rates (``error_rate``, ``pass_rate``, ``governance.deny_rate``) take an absolute change
    in percentage points (``0.5pp``; ``0.5%`` means the same). Latency and cost take ``10%``
    (relative to the baseline) or an absolute amount (``200ms``, ``$0.001``). An optional
    ``confidence`` key sets the interval level (default 0.95).
    """
    parsed: list[RegressionLimit] = []
    level = 0.95
    for metric, raw in (limits or {}).items():
        if metric == "confidence":
            # a number only: 95%, text, a list or null were an internal error (exit 3) instead of this line
            if isinstance(raw, bool) or not isinstance(raw, int | float):
                raise ConfigError(f"{where}.confidence: must be a number between 0.5 and 1 (e.g. 0.95), got {raw!r}")
            level = float(raw)
            if not 0.5 <= level < 1:
                raise ConfigError(f"{where}.confidence: must be between 0.5 and 1 (e.g. 0.95), got {raw!r}")
            continue
        if metric not in REGRESSION_METRICS:
            raise ConfigError(f"{where}.{metric}: unknown regression metric; known: {', '.join(REGRESSION_METRICS)}")
        try:
            if metric in _BINARY:
                parsed.append(
                    RegressionLimit(metric, parse_quantity(raw, kind="fraction", where=f"{where}.{metric}"), False)
                )
            elif isinstance(raw, str) and raw.strip().endswith("%"):
                parsed.append(
                    RegressionLimit(metric, parse_quantity(raw, kind="fraction", where=f"{where}.{metric}"), True)
                )
            else:
                kind = _CONTINUOUS[metric][3]
                parsed.append(RegressionLimit(metric, parse_quantity(raw, kind=kind, where=f"{where}.{metric}"), False))
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
    return parsed, level


def _unmeasured(name: str, limit: float, message: str, unit: str) -> Check:
    """An inconclusive baseline check: too few paired cases to compare."""
    return Check(name, None, limit, "<=", CheckStatus.INCONCLUSIVE, None, message, unit)


def _judge(value: float, interval: tuple[float, float], limit: float) -> CheckStatus:
    """Fail when the whole interval is beyond the limit; inconclusive when only the estimate is (or is not a number)."""
    if any(math.isnan(x) for x in (value, *interval)):
        return CheckStatus.INCONCLUSIVE  # NaN compares false with everything: it read as a pass
    if interval[0] > limit:
        return CheckStatus.FAIL
    if value > limit:
        return CheckStatus.INCONCLUSIVE
    return CheckStatus.PASS


def _pp(x: float) -> str:
    return f"{x * 100:+.2f}pp"


def regression_checks(
    candidate_results: Iterable[Mapping[str, Any] | CaseResult] | CaseSummaries,
    baseline_results: Iterable[Mapping[str, Any] | CaseResult] | CaseSummaries,
    limits: Mapping[str, Any] | None,
    *,
    n_boot: int = 2000,
    seed: int = 0,
) -> list[Check]:
    """One check per ``max_regression`` entry: candidate minus baseline, paired by ``case_id``.

    Either side: rows (a list, or a stream read once) or their :func:`summarise`.

    Values are "how much worse": for ``pass_rate`` a drop counts as positive. Rates use
    McNemar's exact test (p-value in the message) with an Agresti-Min interval; latency and
    cost use a paired bootstrap (``n_boot`` resamples, fixed ``seed``). A check fails when its
    whole interval is beyond the limit, is inconclusive when only the estimate is, and
    passes otherwise. Check names are ``regression.<metric>``.
    """
    parsed, level = parse_limits(limits)
    cand = _per_case(candidate_results)
    base = _per_case(baseline_results)
    shared = sorted(set(cand) & set(base))
    coverage = f"{len(shared)} paired cases"
    if len(shared) < len(cand):
        coverage += f", {len(cand) - len(shared)} candidate cases not in the baseline"
    unpaired = f"; {len(cand) - len(shared)} candidate cases not in the baseline" if len(shared) < len(cand) else ""
    checks: list[Check] = []
    for item in parsed:
        name = f"regression.{item.metric}"
        if item.metric in _BINARY:
            pairs = [(cand[k], base[k]) for k in shared]
            if item.metric == "pass_rate":
                pairs = [(c, b) for c, b in pairs if c.passed is not None and b.passed is not None]

            def bad(s: _CaseSummary, metric: str = item.metric) -> bool:
                if metric == "error_rate":
                    return s.errored
                if metric == "pass_rate":
                    return s.passed is False
                return s.denied

            n = len(pairs)
            if n == 0:
                checks.append(_unmeasured(name, item.limit, f"no cases to pair with the baseline ({coverage})", ""))
                continue
            regressions = sum(1 for c, b in pairs if bad(c) and not bad(b))
            fixes = sum(1 for c, b in pairs if not bad(c) and bad(b))
            value = (regressions - fixes) / n
            interval = agresti_min_interval(regressions, fixes, n, level)
            p_value = mcnemar_exact_p(regressions, fixes)
            status = _judge(value, interval, item.limit)
            message = (
                f"{item.metric} {_pp(value)} vs baseline "
                f"({level:.0%} CI [{_pp(interval[0])}, {_pp(interval[1])}]; "
                f"{regressions} newly {_BINARY[item.metric]}, {fixes} fixed; McNemar exact p={p_value:.3g}; "
                f"{n} paired cases{unpaired}); limit {_pp(item.limit)}"
            )
            checks.append(Check(name, value, item.limit, "<=", status, interval, message, ""))
            continue

        field_name, statistic, abs_unit, _kind = _CONTINUOUS[item.metric]
        if field_name == "cost":
            unknown = [k for k in shared if cand[k].cost_unknown or base[k].cost_unknown]
            if unknown:
                message = (
                    f"cost unknown on {len(unknown)} of {len(shared)} paired cases (a successful call with no cost_usd "
                    "and no price, or a failed call that reported no cost); a comparison over the others would count "
                    "them as absent"
                )
                checks.append(_unmeasured(name, item.limit, message, "" if item.relative else abs_unit))
                continue
        if field_name == "latency":
            slow = [k for k in shared if cand[k].timed_out]
            if slow:  # left out, they were the candidate's slowest cases: its latency looked better than it was
                message = (
                    f"{len(slow)} of {len(shared)} paired cases timed out on the candidate (no answer within the "
                    "timeout): their latency is above the timeout by an unknown amount, so the change is unknown"
                )
                checks.append(_unmeasured(name, item.limit, message, "" if item.relative else abs_unit))
                continue
        pairs_f = [
            (getattr(cand[k], field_name), getattr(base[k], field_name))
            for k in shared
            if getattr(cand[k], field_name) is not None and getattr(base[k], field_name) is not None
        ]
        if len(pairs_f) < 2:
            message = f"fewer than 2 cases with {field_name} on both sides ({coverage})"
            checks.append(_unmeasured(name, item.limit, message, "" if item.relative else abs_unit))
            continue
        value, interval = paired_bootstrap(
            [c for c, _ in pairs_f],
            [b for _, b in pairs_f],
            statistic,
            relative=item.relative,
            level=level,
            n_boot=n_boot,
            seed=seed,
        )
        status = _judge(value, interval, item.limit)
        if item.relative:
            text = f"{value:+.1%} ({level:.0%} CI [{interval[0]:+.1%}, {interval[1]:+.1%}]); limit {item.limit:+.1%}"
        else:
            text = (
                f"{value:+.4g} {abs_unit} ({level:.0%} CI [{interval[0]:+.4g}, {interval[1]:+.4g}]); "
                f"limit {item.limit:+.4g} {abs_unit}"
            )
        left_out = len(shared) - len(pairs_f)
        without = f"; {left_out} paired cases without {field_name} on one side (errored) left out" if left_out else ""
        message = f"{item.metric} {text} vs baseline, paired bootstrap over {len(pairs_f)} {noun(len(pairs_f), 'case')}{unpaired}{without}"
        checks.append(
            Check(name, value, item.limit, "<=", status, interval, message, "" if item.relative else abs_unit)
        )
    return checks
