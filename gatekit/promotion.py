"""Promotion in the MLflow Model Registry and regression checks against a baseline run.

Two jobs that both happen around the verdict:

* ``load_baseline`` + ``regression_checks``: before the verdict, find the baseline gate run
  (a registered-model alias, a run id or ``last-pass``), load its per-case results and
  compare the candidate with it case by case (paired by ``case_id``): McNemar's exact test
  with an Agresti-Min interval for per-case rates, a paired bootstrap for latency and cost.
* ``promote``: after a passing verdict has been logged, point a registered-model alias
  (``production`` by default) at the candidate version and record the previous holder.

Every MLflow call goes through ``gatekit.sinks.mlflow``; numpy and scipy are imported inside
the functions that need them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from gatekit.errors import ConfigError
from gatekit.models import CaseResult, Check, CheckStatus
from gatekit.units import parse_quantity

if TYPE_CHECKING:
    from gatekit.pipeline.model import Verdict

DEFAULT_ALIAS = "production"
LAST_PASS = "last-pass"
TAG_GATE_RUN = "gatekit.gate_run_id"
TAG_MODEL_NAME = "gatekit.model_name"
TAG_MODEL_VERSION = "gatekit.model_version"

_RUN_ID = re.compile(r"^[0-9a-f]{32}$")
_MODEL_SPEC = re.compile(r"^models:/(?P<name>[^/@]+)(?:/(?P<version>[^/@]+)|@(?P<alias>[^/@]+))$")

# ---------------------------------------------------------------------------------------------
# model specs
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ModelRef:
    """A registered-model candidate: ``models:/name/version`` or ``models:/name@alias``."""

    name: str
    version: str | None = None
    alias: str | None = None


def parse_model_spec(spec: str | None) -> ModelRef | None:
    """Return the registered model a candidate spec names, or None for any other kind of agent."""
    if not spec:
        return None
    match = _MODEL_SPEC.match(spec.strip())
    if not match:
        return None
    version = match["version"]
    if version is not None and not version.isdigit():
        return None  # models:/name/latest or a stage: not a fixed version we could promote
    return ModelRef(match["name"], version, match["alias"])


def resolve_model_version(ref: ModelRef, tracking_uri: str | None) -> str | None:
    """The concrete version number of ``ref`` (an alias is looked up in the registry)."""
    if ref.version is not None:
        return ref.version
    from gatekit.sinks.mlflow import registry_alias_version

    return registry_alias_version(tracking_uri, ref.name, str(ref.alias))


def model_tags(candidate_spec: str | None, tracking_uri: str | None) -> dict[str, str]:
    """Run tags naming the registered model version under test (empty for other agents).

    They let ``--baseline <alias>`` find the gate run of a model version later.
    """
    ref = parse_model_spec(candidate_spec)
    if ref is None:
        return {}
    version = resolve_model_version(ref, tracking_uri)
    tags = {TAG_MODEL_NAME: ref.name}
    if version is not None:
        tags[TAG_MODEL_VERSION] = version
    return tags


# ---------------------------------------------------------------------------------------------
# baseline
# ---------------------------------------------------------------------------------------------


@dataclass
class Baseline:
    """A baseline gate run and its per-case results."""

    run_id: str
    description: str
    rows: list[dict[str, Any]]
    dataset_sha256: str

    def to_dict(self) -> dict[str, Any]:
        """The ``baseline`` block of verdict.json."""
        return {
            "run_id": self.run_id,
            "source": self.description,
            "cases": len({str(r.get("case_id")) for r in self.rows}),
            "dataset_sha256": self.dataset_sha256,
        }


def parse_results_jsonl(text: str) -> list[dict[str, Any]]:
    """Rows of a results.jsonl text; a torn last line (interrupted run) is ignored."""
    from gatekit.results import parse_result_lines

    return list(parse_result_lines(text.splitlines()))


def _gate_run_for_version(tracking_uri: str | None, experiment: str, name: str, version: str) -> str | None:
    from gatekit.sinks.mlflow import registry_model_version, search_runs

    info = registry_model_version(tracking_uri, name, version)
    if info and info["tags"].get(TAG_GATE_RUN):
        return str(info["tags"][TAG_GATE_RUN])
    filter_string = (
        f"tags.`gatekit.kind` = 'gate' and tags.`{TAG_MODEL_NAME}` = '{_quote(name)}' "
        f"and tags.`{TAG_MODEL_VERSION}` = '{_quote(version)}'"
    )
    runs = search_runs(tracking_uri, experiment, filter_string, max_results=50)
    passing = [r for r in runs if r["tags"].get("gatekit.verdict") == "pass"]
    chosen = (passing or runs)[:1]
    return chosen[0]["run_id"] if chosen else None


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")


def load_baseline(
    baseline: str,
    *,
    tracking_uri: str | None,
    experiment: str,
    candidate_spec: str | None,
    dataset_sha256: str,
) -> Baseline:
    """Find the baseline gate run named by ``baseline`` and load its results.jsonl.

    ``baseline`` is ``last-pass`` (newest passing gate run on this dataset in
    ``experiment``), a 32-hex MLflow run id, ``name@alias`` or a bare alias of the
    candidate's registered model. Raises ``ConfigError`` (exit 2) when it cannot be
    found, is not a gate run, was measured on another dataset, or has no results;
    ``SinkError`` (exit 3) when MLflow fails.
    """
    from gatekit.sinks.mlflow import get_run, read_run_artifact, registry_alias_version, search_runs

    spec = baseline.strip()
    if spec == LAST_PASS:
        filter_string = (
            "tags.`gatekit.kind` = 'gate' and tags.`gatekit.verdict` = 'pass' "
            f"and tags.`gatekit.dataset_sha256` = '{_quote(dataset_sha256)}'"
        )
        runs = search_runs(tracking_uri, experiment, filter_string, max_results=1)
        if not runs:
            raise ConfigError(
                f"--baseline last-pass: no passing gate run on dataset sha256 {dataset_sha256[:12]} "
                f"in experiment '{experiment}'; run a passing gate on this dataset first or pass a run id"
            )
        run_id, description = runs[0]["run_id"], f"last passing gate run {runs[0]['run_id']}"
    elif _RUN_ID.match(spec):
        run_id, description = spec, f"run {spec}"
    else:
        if "@" in spec:
            name, alias = spec.split("@", 1)
            name = name.removeprefix("models:/")
        else:
            ref = parse_model_spec(candidate_spec)
            if ref is None:
                raise ConfigError(
                    f"--baseline {spec}: an alias needs a registered model; the candidate "
                    f"{candidate_spec!r} is not one, so write --baseline <model name>@{spec}, a run id, "
                    "or last-pass"
                )
            name, alias = ref.name, spec
        version = registry_alias_version(tracking_uri, name, alias)
        if version is None:
            raise ConfigError(
                f"--baseline {spec}: registered model '{name}' has no alias '{alias}'; "
                "set it (gatekit promote --alias) or pass a run id / last-pass"
            )
        found = _gate_run_for_version(tracking_uri, experiment, name, version)
        if found is None:
            raise ConfigError(
                f"--baseline {spec}: no gatekit gate run found for models:/{name}/{version} "
                f"(alias '{alias}') in experiment '{experiment}'; run `gatekit eval` on that version first"
            )
        run_id, description = found, f"alias {name}@{alias} -> version {version} -> gate run {found}"

    run = get_run(tracking_uri, run_id)
    if run is None:
        raise ConfigError(f"--baseline {spec}: MLflow has no run {run_id}; check the id and the tracking URI")
    tags = run["tags"]
    if tags.get("gatekit.kind", "gate") != "gate":
        raise ConfigError(
            f"--baseline {spec}: run {run_id} is a gatekit {tags.get('gatekit.kind')} run, not a gate run"
        )
    baseline_sha = tags.get("gatekit.dataset_sha256")
    if not baseline_sha:
        raise ConfigError(
            f"--baseline {spec}: run {run_id} has no gatekit.dataset_sha256 tag, so it is not a gatekit gate run"
        )
    if baseline_sha != dataset_sha256:
        raise ConfigError(
            f"--baseline {spec}: run {run_id} was measured on dataset sha256 {baseline_sha[:12]}, "
            f"this gate replays {dataset_sha256[:12]}; a baseline must use the same golden dataset: "
            "re-run the baseline on this dataset or choose another --baseline"
        )
    text = read_run_artifact(tracking_uri, run_id, "results.jsonl")
    rows = parse_results_jsonl(text or "")
    if not rows:
        raise ConfigError(
            f"--baseline {spec}: run {run_id} has no results.jsonl artifact with cases; pick a finished gate run"
        )
    return Baseline(run_id=run_id, description=description, rows=rows, dataset_sha256=baseline_sha)


# ---------------------------------------------------------------------------------------------
# statistics (independent of MLflow; checked against hand-computed values in the tests)
# ---------------------------------------------------------------------------------------------


def mcnemar_exact_p(regressions: int, fixes: int) -> float:
    """Two-sided exact McNemar p-value: binomial test of ``regressions`` of the discordant pairs at 1/2."""
    m = regressions + fixes
    if m == 0:
        return 1.0
    k = min(regressions, fixes)
    # P(X <= k) for X ~ Binomial(m, 1/2), in log space so large m cannot overflow.
    log_half_m = -m * math.log(2.0)
    tail = sum(
        math.exp(math.lgamma(m + 1) - math.lgamma(i + 1) - math.lgamma(m - i + 1) + log_half_m) for i in range(k + 1)
    )
    return min(1.0, 2.0 * tail)


def _z(level: float) -> float:
    from statistics import NormalDist

    return NormalDist().inv_cdf(0.5 + level / 2.0)


def agresti_min_interval(regressions: int, fixes: int, n: int, level: float = 0.95) -> tuple[float, float]:
    """Agresti-Min (2005) interval for a paired difference of proportions.

    The difference is ``(regressions - fixes) / n``; the interval adds 1/2 to every cell of
    the 2x2 table (n + 2 pairs) and uses the Wald form, which keeps good coverage for small
    counts and does not collapse to a point when no pair is discordant.
    """
    b, c, nn = regressions + 0.5, fixes + 0.5, n + 2.0
    diff = (b - c) / nn
    var = ((b + c) - (b - c) ** 2 / nn) / nn**2
    half = _z(level) * math.sqrt(max(var, 0.0))
    return max(-1.0, diff - half), min(1.0, diff + half)


def paired_bootstrap(
    candidate: list[float],
    baseline: list[float],
    statistic: str,
    *,
    relative: bool,
    level: float = 0.95,
    n_boot: int = 2000,
    seed: int = 0,
) -> tuple[float, tuple[float, float]]:
    """Point estimate and percentile interval of ``stat(candidate) - stat(baseline)`` (or ratio - 1).

    Pairs are resampled together (same case indices for both sides), so the interval
    reflects the case-to-case correlation. ``statistic`` is ``mean``, ``sum`` or ``p<q>``
    (e.g. ``p95``: linear-interpolation quantile, R type 7).
    """
    import numpy as np

    cand = np.asarray(candidate, dtype=float)
    base = np.asarray(baseline, dtype=float)
    if cand.shape != base.shape or cand.size == 0:
        raise ValueError("paired_bootstrap needs two non-empty samples of the same length")

    def stat(values: Any) -> Any:
        if statistic == "mean":
            return values.mean(axis=-1)
        if statistic == "sum":
            return values.sum(axis=-1)
        if statistic.startswith("p"):
            return np.quantile(values, float(statistic[1:]) / 100.0, axis=-1)
        raise ValueError(f"unknown statistic {statistic!r}")

    def effect(c: Any, b: Any) -> Any:
        if not relative:
            return c - b
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(b > 0, c / np.where(b > 0, b, 1.0) - 1.0, np.where(c > 0, np.inf, 0.0))

    point = float(effect(stat(cand), stat(base)))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, cand.size, size=(n_boot, cand.size))
    boots = effect(stat(cand[idx]), stat(base[idx]))
    alpha = (1.0 - level) / 2.0
    lo, hi = np.quantile(boots, [alpha, 1.0 - alpha])
    return point, (float(lo), float(hi))


# ---------------------------------------------------------------------------------------------
# regression checks
# ---------------------------------------------------------------------------------------------

# per-case binary "bad" indicators: metric -> description of a bad case
_BINARY = {
    "error_rate": "errored",
    "pass_rate": "did not pass",
    "governance.deny_rate": "was denied",
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


def _rows(results: Iterable[Mapping[str, Any] | CaseResult]) -> list[Mapping[str, Any]]:
    return [r.to_dict() if isinstance(r, CaseResult) else r for r in results]


def _per_case(results: Iterable[Mapping[str, Any] | CaseResult]) -> dict[str, _CaseSummary]:
    """Collapse repeats: a case errored if any repeat did, passed only if every repeat did."""
    grouped: dict[str, list[Mapping[str, Any]]] = {}
    for row in _rows(results):
        grouped.setdefault(str(row.get("case_id")), []).append(row)
    out: dict[str, _CaseSummary] = {}
    for case_id, rows in grouped.items():
        passes = [r.get("passed") for r in rows if r.get("passed") is not None]
        latencies = [float(r["latency_ms"]) for r in rows if r.get("ok") and r.get("latency_ms") is not None]
        costs = [float(r["cost_usd"]) for r in rows if r.get("cost_usd") is not None]
        out[case_id] = _CaseSummary(
            errored=any(not r.get("ok", False) for r in rows),
            passed=all(bool(p) for p in passes) if passes else None,
            denied=any(str((r.get("decision") or {}).get("outcome")) == "deny" for r in rows),
            latency=sum(latencies) / len(latencies) if latencies else None,
            cost=sum(costs) / len(costs) if costs else None,
        )
    return out


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
    """Fail when the whole interval is beyond the limit; inconclusive when only the estimate is."""
    if interval[0] > limit:
        return CheckStatus.FAIL
    if value > limit:
        return CheckStatus.INCONCLUSIVE
    return CheckStatus.PASS


def _pp(x: float) -> str:
    return f"{x * 100:+.2f}pp"


def regression_checks(
    candidate_results: Iterable[Mapping[str, Any] | CaseResult],
    baseline_results: Iterable[Mapping[str, Any] | CaseResult],
    limits: Mapping[str, Any] | None,
    *,
    n_boot: int = 2000,
    seed: int = 0,
) -> list[Check]:
    """One check per ``max_regression`` entry: candidate minus baseline, paired by ``case_id``.

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
        message = f"{item.metric} {text} vs baseline, paired bootstrap over {len(pairs_f)} cases{unpaired}"
        checks.append(
            Check(name, value, item.limit, "<=", status, interval, message, "" if item.relative else abs_unit)
        )
    return checks


# ---------------------------------------------------------------------------------------------
# promotion
# ---------------------------------------------------------------------------------------------


def promote(
    verdict: Verdict,
    *,
    alias: str = DEFAULT_ALIAS,
    tracking_uri: str | None = None,
    dry_run: bool = False,
) -> dict[str, Any]:
    """Set registered-model alias ``alias`` on the candidate version when the verdict allows it.

    Returns the ``promotion`` block of verdict.json: ``action`` is ``promoted``,
    ``unchanged`` (the alias already points there), ``dry_run`` (what would happen) or
    ``skipped`` (with the reason: not a registered model, verdict not pass, sample run,
    MLflow error). On promotion the previous holder is recorded on the gate run
    (``gatekit.promotion.previous_version``) and the version is tagged with the gate run id.
    Raises ``SinkError`` when the registry fails mid-way.
    """
    spec = verdict.candidate.spec
    run_id = verdict.mlflow.run_id
    uri = tracking_uri or verdict.mlflow.tracking_uri
    block: dict[str, Any] = {
        "alias": alias,
        "model": None,
        "version": None,
        "previous_version": None,
        "action": "skipped",
        "dry_run": dry_run,
        "message": "",
    }

    def skipped(reason: str) -> dict[str, Any]:
        block["message"] = f"not promoted: {reason}"
        return block

    ref = parse_model_spec(spec)
    if ref is None:
        return skipped(f"the candidate {spec!r} is not a registered MLflow model (models:/name/version or @alias)")
    block["model"] = ref.name
    if verdict.verdict != "pass":
        return skipped(f"the verdict is {verdict.verdict}")
    if verdict.sample is not None:
        return skipped("this was a sample run; a sample never promotes")
    if verdict.mlflow.error or not run_id:
        return skipped("the run was not logged to MLflow")
    if verdict.exit_code not in (None, 0):
        return skipped(f"gatekit exits {verdict.exit_code}")

    from gatekit.sinks.mlflow import (
        registry_alias_version,
        registry_set_alias,
        registry_set_version_tag,
        set_run_tags,
    )

    version = resolve_model_version(ref, uri)
    if version is None:
        return skipped(f"registered model '{ref.name}' has no alias '{ref.alias}' any more")
    block["version"] = version
    previous = registry_alias_version(uri, ref.name, alias)
    block["previous_version"] = previous
    now = f"version {previous}" if previous else "no version"
    if previous == version:
        block["action"] = "unchanged"
        block["message"] = f"alias '{alias}' of '{ref.name}' already points at version {version}"
        return block
    if dry_run:
        block["action"] = "dry_run"
        block["message"] = f"dry run: would set alias '{alias}' of '{ref.name}' to version {version} (now {now})"
        return block
    registry_set_alias(uri, ref.name, alias, version)
    registry_set_version_tag(uri, ref.name, version, TAG_GATE_RUN, str(run_id))
    set_run_tags(
        uri,
        str(run_id),
        {
            "gatekit.promotion.alias": alias,
            "gatekit.promotion.model": ref.name,
            "gatekit.promotion.version": version,
            "gatekit.promotion.previous_version": previous or "none",
        },
    )
    block["action"] = "promoted"
    block["message"] = f"set alias '{alias}' of '{ref.name}' to version {version} (was {now})"
    return block
