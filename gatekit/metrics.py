"""Latency, error and cost statistics with confidence intervals.

Pure functions over plain numbers so each can be checked against hand-computed values.
Percentiles use linear interpolation between order statistics (numpy's default,
R's type 7); the percentile interval is the distribution-free order-statistic
interval (binomial ranks); the error-rate interval is Wilson's score interval.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from statistics import NormalDist
from typing import Any, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from gatekit.dataset import expected_problems, fold_text
from gatekit.errors import ConfigError
from gatekit.yamlio import pydantic_message, read_yaml, refuse_bool


def percentile(values: Sequence[float], q: float) -> float | None:
    """Return the ``q`` quantile (0..1) of ``values`` by linear interpolation, None when empty."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = math.ceil(position)
    if low == high or ordered[high] == math.inf:  # (inf - inf is NaN: a quantile among infinite values is inf)
        return float(ordered[high])
    return float(ordered[low] + (ordered[high] - ordered[low]) * (position - low))


def binom_ppf(prob: float, n: int, p: float) -> int:
    """The ``prob`` quantile of Binomial(n, p): the least k with P(X <= k) >= prob (``scipy.stats.binom.ppf``).

    A bisection over k on the binomial CDF (``scipy.special.bdtr``): scipy.special loads in a quarter of the
    time scipy.stats takes, which a gate run would otherwise pay for three order-statistic intervals. Equal to
    scipy's value except where P(X <= k) is exactly ``prob`` (e.g. n=99, p=0.5, prob=0.5), a float tie the two
    CDF implementations may resolve one step apart.
    """
    from scipy.special import bdtr

    if prob <= 0.0:
        return -1  # as scipy: the 0 quantile is one below the support 0..n
    if prob >= 1.0:
        return n
    lo, hi = 0, n  # P(X <= n) = 1 >= prob
    while lo < hi:
        mid = (lo + hi) // 2
        if bdtr(mid, n, p) >= prob:
            hi = mid
        else:
            lo = mid + 1
    return lo


def quantile_interval(values: Sequence[float], q: float, level: float = 0.95) -> tuple[float, float] | None:
    """Distribution-free interval for the ``q`` quantile from order statistics.

    Ranks come from Binomial(n, q): the lower bound is the order statistic at the
    ``(1 - level) / 2`` binomial quantile, the upper at the ``(1 + level) / 2`` one
    (+1). A rank outside the sample is an open end: ``-inf`` below the minimum, ``inf``
    above the maximum. With few samples there is no upper bound (p95 needs 72 values at
    95%): the maximum of 3 values is above the p95 with probability 1 - 0.95**3 = 14%,
    so an interval ending there would claim a confidence it does not have.
    """
    n = len(values)
    if n == 0:
        return None
    ordered = sorted(values)
    alpha = 1.0 - level
    lo_rank = binom_ppf(alpha / 2, n, q)  # 1-based rank of the lower bound
    hi_rank = binom_ppf(1 - alpha / 2, n, q) + 1
    lo = float(ordered[lo_rank - 1]) if 1 <= lo_rank <= n else -math.inf
    hi = float(ordered[hi_rank - 1]) if 1 <= hi_rank <= n else math.inf
    return lo, hi


def wilson_interval(successes: float, n: int, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson score interval for a binomial proportion; None when ``n`` is 0.

    ``successes`` may be fractional: :func:`rate_interval` scales a count to fewer independent units.
    """
    if n == 0:
        return None
    z = NormalDist().inv_cdf(0.5 + level / 2)
    p = successes / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    lo = 0.0 if successes == 0 else max(0.0, centre - half)
    hi = 1.0 if successes == n else min(1.0, centre + half)
    return lo, hi


def rate_interval(hits: int, n: int, clusters: int | None, level: float = 0.95) -> tuple[float, float] | None:
    """Wilson interval of ``hits / n`` when the ``n`` rows come from only ``clusters`` cases (``--repeat``).

    Repeats of a case are not independent (a case that fails, fails every time), so 40 repeats of 3
    cases are not 120 observations: the proportion is kept and the interval is taken as if from
    ``clusters`` units (the worst-case design effect, ``n / clusters``). ``clusters`` None or >= ``n``:
    the plain Wilson interval.
    """
    if clusters is None or clusters >= n or n == 0:
        return wilson_interval(hits, n, level)
    if clusters <= 0:
        return None
    return wilson_interval(hits * clusters / n, clusters, level)


def clustered_quantile_interval(
    values: Sequence[float], q: float, clusters: int | None, level: float = 0.95
) -> tuple[float, float] | None:
    """:func:`quantile_interval` when ``values`` come from only ``clusters`` cases (``--repeat``).

    The binomial ranks are taken for ``clusters`` values and scaled to the sample, the same
    worst-case design effect as :func:`rate_interval`; a rank beyond the cases is an open end.
    """
    n = len(values)
    if clusters is None or clusters >= n or n == 0:
        return quantile_interval(values, q, level)
    if clusters <= 0:
        return None
    ordered = sorted(values)
    alpha = 1.0 - level
    lo_rank = binom_ppf(alpha / 2, clusters, q)
    hi_rank = binom_ppf(1 - alpha / 2, clusters, q) + 1
    lo = float(ordered[max(1, math.floor(lo_rank * n / clusters)) - 1]) if lo_rank >= 1 else -math.inf
    hi = float(ordered[min(n, math.ceil(hi_rank * n / clusters)) - 1]) if hi_rank <= clusters else math.inf
    return lo, hi


class ModelPrice(BaseModel):
    """Price of one model in USD per 1M tokens."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    input_per_1m: float = Field(ge=0)
    output_per_1m: float = Field(ge=0)

    _no_bool = field_validator("input_per_1m", "output_per_1m", mode="before")(refuse_bool)


class PriceTable(BaseModel):
    """``thresholds/pricing.yaml``: ``models: {name: {input_per_1m, output_per_1m}}``."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    currency: str = "USD"
    models: dict[str, ModelPrice] = Field(default_factory=dict)

    def cost(self, model: str | None, input_tokens: int | None, output_tokens: int | None) -> float | None:
        """Cost of one call, or None when the model has no price or the tokens are unknown."""
        if model is None or model not in self.models or input_tokens is None or output_tokens is None:
            return None
        price = self.models[model]
        return (input_tokens * price.input_per_1m + output_tokens * price.output_per_1m) / 1_000_000


def load_pricing(path: Path | None) -> PriceTable:
    """Load a price table; ``None`` means an empty table (agents must report cost_usd)."""
    if path is None:
        return PriceTable()
    data, lines = read_yaml(path, ConfigError, "pricing")
    try:
        return PriceTable.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(pydantic_message(path, exc, lines, PriceTable)) from None


class AttemptSpend(NamedTuple):
    """What one failed attempt of a case spent, as reported (None: not reported, unknown)."""

    cost_usd: float | None
    model: str | None
    input_tokens: int | None
    output_tokens: int | None


@dataclass
class MetricInputs:
    """Per-case numbers the metrics need; filled as cases finish (no responses kept)."""

    cases: int = 0
    # successful cases' latencies, and math.inf for each case that timed out: no answer came within the timeout, so
    # it is slower than any answer (left out, 6% of cases cut at a 10 s timeout hid from a p95 of 200 ms)
    latencies_ms: list[float] = field(default_factory=list)
    timeouts: int = 0
    errors: int = 0
    first_attempt_errors: int = 0
    retried_cases: int = 0
    errors_by_type: dict[str, int] = field(default_factory=dict)
    # sums over what was spent: the successful cases and the failed attempts (of every case) that reported the
    # count; unknown counts are never added as 0
    input_tokens: int = 0
    output_tokens: int = 0
    input_tokens_cases: int = 0
    output_tokens_cases: int = 0
    tokens_reported_cases: int = 0  # successful cases that reported both counts
    cost_usd: float = 0.0  # every attempt's: the answers and the failed attempts (retried or not) that were billed
    cost_known_tokens: int = 0
    unknown_cost_models: set[str] = field(default_factory=set)
    failed_attempts: int = 0
    unknown_cost_attempts: int = 0  # failed attempts that reported no cost, no priced usage and no model: unknown
    untokened_attempts: int = 0  # failed attempts with a cost (or unknown one) but not both token counts
    passed: int = 0
    scored: int = 0
    by_model: dict[str, dict[str, float]] = field(default_factory=dict)
    # distinct case ids (``--repeat`` runs a case several times); empty when callers give no case_id
    case_ids: set[str] = field(default_factory=set)
    scored_case_ids: set[str] = field(default_factory=set)
    latency_case_ids: set[str] = field(default_factory=set)

    def clusters(self, ids: set[str]) -> int | None:
        """How many distinct cases the rows of ``ids`` come from; None when case ids were not given."""
        return len(ids) if self.case_ids else None

    def add(
        self,
        *,
        ok: bool,
        latency_ms: float | None,
        attempts_ok: list[bool],
        error_type: str | None,
        model: str | None,
        input_tokens: int | None,
        output_tokens: int | None,
        cost_usd: float | None,
        passed: bool | None,
        case_id: str | None = None,
        failed_attempts: Sequence[AttemptSpend] = (),
    ) -> None:
        """Account for one finished case (one repeat of it: ``case_id`` tells repeats apart).

        ``cost_usd`` and the token counts are the answer's (a successful case's); ``failed_attempts`` are what each
        failed attempt of the case (retried, or the last of a failed case) reported it spent. ``latency_ms`` is the
        time to the answer: every attempt and backoff wait before it.
        """
        self.cases += 1
        for spend in failed_attempts:
            self._add_failed_attempt(spend)
        if case_id is not None:
            self.case_ids.add(case_id)
            if passed is not None:
                self.scored_case_ids.add(case_id)
            if (ok and latency_ms is not None) or (not ok and error_type == "timeout"):
                self.latency_case_ids.add(case_id)
        if attempts_ok and not attempts_ok[0]:
            self.first_attempt_errors += 1
        if len(attempts_ok) > 1:
            self.retried_cases += 1
        if not ok:
            self.errors += 1
            key = error_type or "exception"
            self.errors_by_type[key] = self.errors_by_type.get(key, 0) + 1
        if ok and latency_ms is not None:
            self.latencies_ms.append(latency_ms)
        if not ok and error_type == "timeout":
            self.timeouts += 1
            self.latencies_ms.append(math.inf)
        if ok:
            name = model or "(unknown)"
            entry = self.by_model.setdefault(
                name, {"cases": 0, "input_tokens": 0, "output_tokens": 0, "tokens_reported_cases": 0, "cost_usd": 0.0}
            )
            entry["cases"] += 1
            if input_tokens is not None:
                self.input_tokens += input_tokens
                self.input_tokens_cases += 1
                entry["input_tokens"] += input_tokens
            if output_tokens is not None:
                self.output_tokens += output_tokens
                self.output_tokens_cases += 1
                entry["output_tokens"] += output_tokens
            if input_tokens is not None and output_tokens is not None:
                self.tokens_reported_cases += 1
                entry["tokens_reported_cases"] += 1
            if not isinstance(cost_usd, int | float) or not math.isfinite(cost_usd) or cost_usd < 0:
                self.unknown_cost_models.add(name)  # NaN / inf / negative cost: unknown, never a number
            else:
                self.cost_usd += cost_usd
                entry["cost_usd"] += cost_usd
        if passed is not None:
            self.scored += 1
            self.passed += int(passed)

    def _add_failed_attempt(self, spend: AttemptSpend) -> None:
        """Count what a failed attempt spent: its cost when reported or priced, else unknown (never 0)."""
        self.failed_attempts += 1
        entry = None
        if spend.model is not None:
            entry = self.by_model.setdefault(
                spend.model,
                {"cases": 0, "input_tokens": 0, "output_tokens": 0, "tokens_reported_cases": 0, "cost_usd": 0.0},
            )
            entry["failed_attempts"] = entry.get("failed_attempts", 0) + 1
        if spend.input_tokens is not None:
            self.input_tokens += spend.input_tokens
            self.input_tokens_cases += 1
            if entry is not None:
                entry["input_tokens"] += spend.input_tokens
        if spend.output_tokens is not None:
            self.output_tokens += spend.output_tokens
            self.output_tokens_cases += 1
            if entry is not None:
                entry["output_tokens"] += spend.output_tokens
        if spend.input_tokens is None or spend.output_tokens is None:
            self.untokened_attempts += 1
        cost = spend.cost_usd
        if not isinstance(cost, int | float) or not math.isfinite(cost) or cost < 0:
            if spend.model is not None:
                self.unknown_cost_models.add(spend.model)  # a model with no price: named, as for an answer
            else:
                self.unknown_cost_attempts += 1
        else:
            self.cost_usd += cost
            if entry is not None:
                entry["cost_usd"] += cost


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def compute_metrics(inputs: MetricInputs, level: float = 0.95) -> dict[str, Any]:
    """Turn per-case numbers into the ``metrics`` block of verdict.json."""
    lat = inputs.latencies_ms
    n = inputs.cases
    tokens = inputs.input_tokens + inputs.output_tokens
    # every successful case and failed attempt reported its tokens: only then is a cost per token meaningful
    all_tokens = inputs.tokens_reported_cases == n - inputs.errors and not inputs.untokened_attempts
    cost_known = not inputs.unknown_cost_models and not inputs.unknown_cost_attempts
    successes = n - inputs.errors
    lat_clusters = inputs.clusters(inputs.latency_case_ids)
    metrics: dict[str, Any] = {
        "cases": n,
        "distinct_cases": len(inputs.case_ids) if inputs.case_ids else n,
        # a statistic that reaches a timed-out case (inf) is unknown: above the timeout, by how much nobody knows
        "latency_p50_ms": _finite(percentile(lat, 0.50)),
        "latency_p95_ms": _finite(percentile(lat, 0.95)),
        "latency_p99_ms": _finite(percentile(lat, 0.99)),
        "latency_mean_ms": _finite(sum(lat) / len(lat)) if lat else None,
        "latency_max_ms": _finite(max(lat)) if lat else None,
        "latency_p50_ms_ci": clustered_quantile_interval(lat, 0.50, lat_clusters, level),
        "latency_p95_ms_ci": clustered_quantile_interval(lat, 0.95, lat_clusters, level),
        "latency_p99_ms_ci": clustered_quantile_interval(lat, 0.99, lat_clusters, level),
        "error_rate": (inputs.errors / n) if n else None,
        "error_rate_ci": rate_interval(inputs.errors, n, inputs.clusters(inputs.case_ids), level),
        "first_attempt_error_rate": (inputs.first_attempt_errors / n) if n else None,
        "retried_cases": inputs.retried_cases,
        "errors": inputs.errors,
        "successes": successes,
        "tokens_input": inputs.input_tokens if inputs.input_tokens_cases else None,
        "tokens_output": inputs.output_tokens if inputs.output_tokens_cases else None,
        "tokens_reported_cases": inputs.tokens_reported_cases,
        # what the run spent: every attempt (a retried or failed one is billed too), unknown when any attempt's cost
        # is; no case succeeded: no cost was reported or priced, so the total is unknown (it summed to 0 and passed)
        "cost_total_usd": inputs.cost_usd if cost_known and successes else None,
        # what one answer costs a buyer: the money spent over the answers received (not over the answered cases' own)
        "cost_per_case_usd": (inputs.cost_usd / successes) if cost_known and successes else None,
        "cost_per_1k_tokens_usd": ((inputs.cost_usd / tokens * 1000) if cost_known and all_tokens and tokens else None),
        "cost_unknown_models": sorted(inputs.unknown_cost_models),
        "failed_attempts": inputs.failed_attempts,
        "cost_unknown_attempts": inputs.unknown_cost_attempts,
        "pass_rate": (inputs.passed / inputs.scored) if inputs.scored else None,
        "pass_rate_ci": rate_interval(inputs.passed, inputs.scored, inputs.clusters(inputs.scored_case_ids), level),
        "scored_cases": inputs.scored,
    }
    return metrics


MAX_MISSES = 20  # misses kept per case
_MISS_VALUE_CHARS = 120


@dataclass
class ExpectationResult:
    """Whether a response met its case's ``expected`` block, and what it missed.

    ``passed`` is None when there was nothing to check. ``misses`` says, one line each,
    which expected tool call or substring was not met, next to what the agent did.
    """

    passed: bool | None
    misses: list[str] = field(default_factory=list)


def _short(value: Any) -> str:
    """``value`` as a miss quotes it: JSON, scrubbed, then (never before: no half secret) cut with ``…``.

    An expected string or argument is the dataset's, an actual argument the agent's: a key across the cut left its
    first characters, which no detector recognises, raw in results.jsonl, verdict.json and report.html.
    """
    from gatekit.redact import scrub, scrub_cut

    text = json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    if len(text) <= _MISS_VALUE_CHARS:
        return scrub(text) or text
    shown = scrub_cut(text, _MISS_VALUE_CHARS + 1) or ""
    return shown if len(shown) <= _MISS_VALUE_CHARS else shown[: _MISS_VALUE_CHARS - 1] + "…"


def _same_json(got: Any, want: Any) -> bool:
    """JSON equality: ``true`` is not ``1`` nor ``false`` ``0`` (Python's ``True == 1`` matched them); ``1`` is ``1.0``."""
    if isinstance(got, bool) or isinstance(want, bool):
        return isinstance(got, bool) and isinstance(want, bool) and got is want
    if isinstance(got, int | float) and isinstance(want, int | float):
        return got == want
    if isinstance(got, dict) and isinstance(want, dict):
        return got.keys() == want.keys() and all(_same_json(got[key], want[key]) for key in want)
    if isinstance(got, list) and isinstance(want, list):
        return len(got) == len(want) and all(_same_json(g, w) for g, w in zip(got, want, strict=True))
    return type(got) is type(want) and bool(got == want)


def _call_matches(call: Any, name: Any, want_args: dict[str, Any]) -> bool:
    if not isinstance(call, dict) or call.get("name") != name or not isinstance(call.get("arguments") or {}, dict):
        return False
    args = call.get("arguments") or {}
    # an expected argument the call did not pass is a miss, also one expected as null (``args.get`` read it as null)
    return all(key in args and _same_json(args[key], value) for key, value in want_args.items())


def _tool_call_miss(want: dict[str, Any], tool_calls: list[dict[str, Any]]) -> str:
    name = want.get("name")
    want_args = want.get("arguments") or {}
    miss = f"expected tool call {_short(name)}" + (f" with {_short(want_args)}" if want_args else "")
    same_name = [c for c in tool_calls if isinstance(c, dict) and c.get("name") == name]
    if same_name:
        return f"{miss}; called it with {_short(same_name[0].get('arguments'))}"
    called = [str(c.get("name")) for c in tool_calls if isinstance(c, dict)]
    return f"{miss}; not called" + (f" (called: {_short(called)})" if called else " (no tool calls)")


def check_expectations(
    expected: dict[str, Any] | None, output: str, tool_calls: list[dict[str, Any]]
) -> ExpectationResult:
    """Check a response against the case's ``expected`` block; list every miss.

    ``tool_calls``: every expected call must match an actual call with the same name whose
    arguments contain the expected ones (JSON equality: ``true`` is not ``1``; an argument expected as ``null`` must be
    passed). ``output_contains`` / ``output_not_contains``: case-insensitive substrings of the Unicode-normalised text
    (:func:`gatekit.dataset.fold_text`). A malformed block (``load_dataset`` refuses those; this
    guards library callers) never passes: a string where a list belongs would otherwise be
    checked character by character.
    """
    if not expected:
        return ExpectationResult(None)
    problems = expected_problems(expected)
    if problems:
        return ExpectationResult(False, [f"malformed expected block: {p}" for p in problems][:MAX_MISSES])
    checked = False
    misses: list[str] = []
    lowered = fold_text(output)
    for call in expected.get("tool_calls") or []:
        checked = True
        want_args = call.get("arguments") or {}
        if not any(_call_matches(c, call.get("name"), want_args) for c in tool_calls):
            misses.append(_tool_call_miss(call, tool_calls))
    for text in expected.get("output_contains") or []:
        checked = True
        if fold_text(text) not in lowered:
            misses.append(f"output does not contain {_short(text)}")
    for text in expected.get("output_not_contains") or []:
        checked = True
        if fold_text(text) in lowered:
            misses.append(f"output contains {_short(text)} (expected not to)")
    if not checked:
        return ExpectationResult(None)
    return ExpectationResult(not misses, misses[:MAX_MISSES])


# outcomes after which governance delivers nothing to the user: a denied response is dropped, a reviewed one is
# held (the runtime guard raises ReviewRequired by default; the proxy answers a review as a deny)
NOT_DELIVERED = ("deny", "require_review")


def delivered_result(expected: dict[str, Any] | None, met: ExpectationResult, outcome: str) -> ExpectationResult:
    """Whether the case passed *as delivered*: ``met`` (checked on what governance lets out) and not blocked.

    A response that met its expectations but was denied or held for review never reached the user, so it did not
    pass; the miss says so first. The exception is a case whose ``expected.governance`` names that very outcome:
    the block is what the case asks for, and the expectations (on the held, redacted response) decide.
    """
    if met.passed is None or outcome not in NOT_DELIVERED:
        return met
    if isinstance(expected, dict) and expected.get("governance") == outcome:
        return met
    what = "denied" if outcome == "deny" else "held for review (require_review)"
    miss = f"{what} by governance: the response was not delivered"
    return ExpectationResult(False, [miss, *met.misses][:MAX_MISSES])


def score_expectations(expected: dict[str, Any] | None, output: str, tool_calls: list[dict[str, Any]]) -> bool | None:
    """Whether a response meets the case's ``expected`` block; None when there is nothing to check.

    See :func:`check_expectations`, which also says what was missed.
    """
    return check_expectations(expected, output, tool_calls).passed
