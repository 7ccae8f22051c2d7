"""Stage 4, checks: metrics and the governance summary from the judged cases, then every check.

Threshold checks (``gatekit.verdict.decide``), the drift check, paired regression checks
against a baseline, and the run-level checks: emergency stop, identical failures at the
start, a deadline cut, a sample run. Each check that cannot pass says why.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatekit.dataset import scores_output
from gatekit.fmt import noun
from gatekit.models import Check, CheckStatus
from gatekit.pipeline.judge import Judged
from gatekit.pipeline.prepare import Prepared
from gatekit.redact import display_path, scrub_message
from gatekit.verdict import decide

log = logging.getLogger(__name__)

_LISTED_CASES = 50


@dataclass
class Assessment:
    """Measured values and the checks decided on them."""

    metrics: dict[str, Any]
    governance: dict[str, Any]
    drift: dict[str, Any] | None
    values: dict[str, Any]  # flat metric name -> value, what thresholds and MLflow see
    checks: list[Check]
    dominant_error: dict[str, Any] | None


def assess(prep: Prepared, judged: Judged) -> Assessment:
    """Compute metrics, summarise governance, run drift (with ``--production``) and decide every check."""
    from gatekit.metrics import compute_metrics

    metrics = compute_metrics(judged.inputs)
    governance = summarise_governance(prep.policy, judged, prep.total_cases)
    drift = drift_summary(prep) if prep.config.production else None
    values = flat_values(metrics, governance, drift)
    values.update(pass_count_values(judged.pass_counts.metrics()))
    values.update(intervals_at_check_levels(prep.thresholds, judged.inputs, governance, judged.labelled))
    reasons = missing_reasons(prep, metrics, governance_decided=bool(judged.decisions), timeouts=judged.inputs.timeouts)
    if drift is not None and values.get("drift.drifted_features") is None:
        reasons["drift.drifted_features"] = (
            f"drift could not be computed: {drift['error']}" if drift.get("error") else "drift check gave no verdict"
        )
    elif drift is None:
        reasons["drift.drifted_features"] = "no production data given (--production), so drift was not measured"
    reasons.update(partial_token_sums(values, judged.inputs, metrics))
    checks = decide(prep.thresholds, values, reasons)
    if drift is not None:
        checks.append(drift_check(drift))
    if prep.baseline is not None:
        from gatekit.regression import regression_checks
        from gatekit.results import iter_result_rows

        candidate_rows = iter_result_rows(prep.out / "results.jsonl")  # streamed: summed up row by row
        checks.extend(regression_checks(candidate_rows, prep.baseline.summaries, prep.thresholds.max_regression))
    checks.extend(run_checks(prep, judged))
    dominant = dominant_error(judged)
    log.debug("%d checks decided", len(checks))
    return Assessment(
        metrics=metrics, governance=governance, drift=drift, values=values, checks=checks, dominant_error=dominant
    )


def summarise_governance(policy: Any, judged: Judged, planned: int) -> dict[str, Any]:
    """Outcome counts over the cases that got a response; errored cases are counted apart (``errored``).

    ``coverage`` is the share of the run's ``planned`` judgements (cases x repeats) that got a decision: an
    errored case governance did not deny, or a case the run never reached, was not judged (over the decisions
    alone coverage was 1.0 whenever any decision existed, and ``coverage: {min: 100%}`` checked nothing).
    """
    from gatekit.governance.summary import summarise

    summary: dict[str, Any] = summarise(judged.decisions, planned)
    if not judged.decisions:  # a rate over no decision is unknown, not 0 (a deny_rate of 0 passed every limit)
        for key in ("deny_rate", "review_rate", "redaction_rate", "coverage"):
            summary[key] = None
    summary["errored"] = judged.errored
    summary["policy"] = {"id": policy.id, "version": policy.version, "sha256": policy.sha256}
    summary["denied_cases"] = [r for r in judged.governed if r["outcome"] == "deny"][:_LISTED_CASES]
    summary["reviewed_cases"] = [r for r in judged.governed if r["outcome"] == "require_review"][:_LISTED_CASES]
    summary["stop_reason"] = judged.stop_reason
    if judged.labelled or judged.labelled_unjudged:
        from gatekit.governance.labelled import label_quality

        quality = label_quality(judged.labelled, rules=[rule.id for rule in getattr(policy, "rules", [])])
        quality["unjudged"] = judged.labelled_unjudged  # the agent failed: no decision on a response
        summary["labelled"] = quality
    return summary


def dominant_error(judged: Judged) -> dict[str, Any] | None:
    """The error (type and message) shared by at least half of the cases, when there is one."""
    if not judged.error_signatures:
        return None
    (error_type, message), count = judged.error_signatures.most_common(1)[0]
    total = judged.inputs.cases
    if count < 2 or count * 2 < total:
        return None
    return {"error_type": error_type, "message": message, "count": count, "of": total}


def run_checks(prep: Prepared, judged: Judged) -> list[Check]:
    """Checks about the run itself: emergency stop, identical failures, deadline, sample."""
    checks: list[Check] = []
    total = prep.total_cases
    if judged.stop_reason:
        checks.append(
            Check(
                "governance.emergency_stop",
                None,
                None,
                "",
                CheckStatus.FAIL,
                None,
                f"replay stopped early: {judged.stop_reason}",
            )
        )
    if judged.identical_failures is not None:
        error_type, message, count = judged.identical_failures
        what = f"{error_type}: {message}" if message else error_type
        checks.append(
            Check(
                "replay.identical_failures",
                float(count),
                float(prep.config.stop_after_identical_failures),
                "<",
                CheckStatus.FAIL,
                None,
                f"stopped after the first {count} cases all failed the same way ({what}); fix the agent "
                "or its configuration (model name, API key, endpoint) and rerun; "
                "stop_after_identical_failures: 0 disables this stop",
            )
        )
    stats = judged.stats
    if stats is not None and stats.deadline_hit:
        done = judged.inputs.cases
        checks.append(
            Check(
                "replay.completed",
                float(done),
                float(total),
                ">=",
                CheckStatus.INCONCLUSIVE,
                None,
                f"{stats.stop_reason}: {done} of {total} {noun(total, 'case')} finished; rerun with --resume (same --out) to finish them",
            )
        )
    if prep.sample is not None:
        of = len(prep.dataset.cases)
        checks.append(
            Check(
                "sample_run",
                float(len(prep.cases)),
                float(of),
                ">=",
                CheckStatus.INCONCLUSIVE,
                None,
                f"sample of {len(prep.cases)} of {of} {noun(of, 'case')} (seed {prep.config.seed}); a sample never promotes",
            )
        )
    return checks


def flat_values(metrics: dict[str, Any], governance: dict[str, Any], drift: dict[str, Any] | None) -> dict[str, Any]:
    """Metric name -> value as thresholds name them (``governance.deny_count``, ``drift.drifted_features``)."""
    values = dict(metrics)
    for key in ("deny_count", "deny_rate", "review_rate", "coverage", "decision_latency_p99_us"):
        values[f"governance.{key}"] = governance.get(key)
    if governance.get("labelled"):
        from gatekit.governance.labelled import quality_values

        values.update(quality_values(governance["labelled"]))
    if drift is not None:
        # drift that could not be computed drifted by an unknown number of features: None, never 0 (its threshold
        # passed at 0 and MLflow logged 0 beside a failing drift check)
        unknown = drift.get("error") or drift.get("drift") is None
        values["drift.drifted_features"] = None if unknown else len(drift.get("drifted") or [])
    return values


_QUANTILES = {"latency_p50_ms": 0.50, "latency_p95_ms": 0.95, "latency_p99_ms": 0.99}


def intervals_at_check_levels(
    thresholds: Any, inputs: Any, governance: dict[str, Any], labelled_cases: list[Any] | None = None
) -> dict[str, Any]:
    """``<metric>_ci`` at each check's own ``confidence``: a 99% check is judged on a 99% interval.

    ``compute_metrics`` and the labelled governance rates give 95% intervals; a check with
    ``confidence: 0.99`` judged on one of those passed on an interval too narrow for what it claimed.
    The labelled rates are taken again at the check's level from ``labelled_cases`` (the judged decisions), so their
    intervals count distinct cases under ``--repeat`` as verdict.json's do (fix18e): recomputed from hits and
    decisions, 5 repeats of 6 blocked cases had the interval of 30 independent ones, and a ``min: 70%`` check at
    95% passed on [0.886, 1] where the 6 cases give [0.610, 1].
    """
    from gatekit.metrics import clustered_quantile_interval, rate_interval, wilson_interval

    out: dict[str, Any] = {}
    labelled = governance.get("labelled") or {}
    qualities: dict[float, dict[str, Any]] = {}
    for name, spec in thresholds.checks.items():
        level = spec.confidence
        if level is None:
            continue
        interval: Any = None
        if name in _QUANTILES:
            clusters = inputs.clusters(inputs.latency_case_ids)
            interval = clustered_quantile_interval(inputs.latencies_ms, _QUANTILES[name], clusters, level)
        elif name == "error_rate":
            interval = rate_interval(inputs.errors, inputs.cases, inputs.clusters(inputs.case_ids), level)
        elif name == "pass_rate":
            interval = rate_interval(inputs.passed, inputs.scored, inputs.clusters(inputs.scored_case_ids), level)
        elif name.startswith("governance.") and labelled:
            quality = labelled
            if labelled_cases is not None:
                from gatekit.governance.labelled import label_quality

                if level not in qualities:
                    qualities[level] = label_quality(labelled_cases, level, rules=list(labelled.get("by_rule") or {}))
                quality = qualities[level]
            parts = name.split(".")
            rate = quality.get(parts[1]) if len(parts) == 2 else None
            if parts[1] == "rule" and len(parts) >= 4:
                rate = (quality.get("by_rule") or {}).get(".".join(parts[2:-1]), {}).get(parts[-1])
            if isinstance(rate, dict) and labelled_cases is not None:
                interval = rate.get("ci")
            elif isinstance(rate, dict) and isinstance(rate.get("n"), int):
                interval = wilson_interval(int(rate["hits"]), rate["n"], level)
        else:
            continue
        out[f"{name}_ci"] = interval
    return out


def partial_token_sums(values: dict[str, Any], inputs: Any, metrics: dict[str, Any]) -> dict[str, str]:
    """Make a token sum over only some successful cases unknown to thresholds and MLflow; return why.

    ``metrics.tokens_input`` sums the cases that reported usage (``tokens_reported_cases`` says how many);
    as a threshold value that partial sum passed ``tokens_input <= limit`` when most cases reported nothing.
    """
    reasons: dict[str, str] = {}
    successes = metrics.get("successes") or 0
    for key, counted in (("tokens_input", inputs.input_tokens_cases), ("tokens_output", inputs.output_tokens_cases)):
        if values.get(key) is not None and counted < successes:
            values[key] = None
            reasons[key] = (
                f"{key} unknown: {successes - counted} of {successes} successful cases reported no token usage "
                "(unknown is never 0); have the agent report usage"
            )
    return reasons


def pass_count_values(counts: dict[str, Any]) -> dict[str, Any]:
    """k-of-n metrics for thresholds: pass_all_repeats_rate, pass_any_repeat_rate, pass_k_of_n.K."""
    values = {
        "pass_all_repeats_rate": counts.get("pass_all_repeats_rate"),
        "pass_any_repeat_rate": counts.get("pass_any_repeat_rate"),
    }
    for k, rate in (counts.get("pass_k_of_n") or {}).items():
        values[f"pass_k_of_n.{k}"] = rate
    return values


def missing_reasons(
    prep: Prepared, metrics: dict[str, Any], governance_decided: bool = True, timeouts: int = 0
) -> dict[str, str]:
    """Why a metric is unknown, and what to do about it, for each metric that is None.

    ``governance_decided``: some case got a governance decision; ``timeouts``: cases that timed out (their latency
    is above the timeout, so a latency statistic that reaches them is unknown).
    """
    reasons: dict[str, str] = {}
    unknown = metrics.get("cost_unknown_models") or []
    if unknown:
        pricing_path: Path | None = prep.config.pricing
        where = str(pricing_path) if pricing_path else "a pricing file (pricing: in gatekit.yaml)"
        msg = (
            f"cost unknown: no price for model(s) {', '.join(repr(m) for m in unknown)} in {where}; "
            "add them or have the agent report cost_usd"
        )
        for key in ("cost_total_usd", "cost_per_case_usd", "cost_per_1k_tokens_usd"):
            reasons[key] = msg
    unknown_attempts = metrics.get("cost_unknown_attempts") or 0
    if unknown_attempts and metrics.get("successes"):  # (none succeeded: that is said below)
        msg = (
            f"cost unknown: {unknown_attempts} failed agent call(s) reported no cost (a failed call may have been "
            "billed: unknown, not 0); a python: agent can attach usage, cost_usd and model to the exception it "
            "raises (docs/agents.md, What a failed call spent)"
        )
        for key in ("cost_total_usd", "cost_per_case_usd", "cost_per_1k_tokens_usd"):
            reasons.setdefault(key, msg)
    for key in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "latency_mean_ms", "latency_max_ms"):
        if timeouts and metrics.get(key) is None:
            reasons[key] = (
                f"{timeouts} of {metrics.get('cases')} {noun(metrics.get('cases'), 'case')} timed out (no answer within the timeout): this statistic "
                "reaches them, so it is above the timeout by an unknown amount"
            )
        elif not metrics.get("successes"):
            reasons[key] = "no case succeeded, so latency could not be measured"
    if not metrics.get("successes"):
        for key in ("cost_total_usd", "cost_per_case_usd", "cost_per_1k_tokens_usd"):
            reasons.setdefault(key, "no case succeeded, so cost could not be measured")
        for key in ("tokens_input", "tokens_output"):
            reasons.setdefault(key, "no case succeeded, so token usage could not be measured")
    if not governance_decided:
        for key in ("governance.deny_rate", "governance.review_rate", "governance.coverage"):
            reasons[key] = "no case got a governance decision (every agent call failed), so the rate is unknown"
    labelled = sum(1 for case in prep.cases if isinstance(case.expected, dict) and "governance" in case.expected)
    labels_msg = (
        f"none of the {len(prep.cases)} {noun(len(prep.cases), 'case')} states `expected.governance` (the outcome the policy must reach); "
        f"label some cases in {display_path(prep.dataset.path)}, or remove the check from the thresholds file"
        if not labelled
        else f"no labelled case of that kind was judged ({labelled} {noun(labelled, 'case states', 'cases state')} `expected.governance`)"
    )
    per_rule = [key for key in prep.thresholds.checks if key.startswith("governance.rule.")]
    for key in ("governance.violation_block_rate", "governance.false_positive_rate", "governance.agreement_rate"):
        reasons[key] = labels_msg
    for key in per_rule:  # (said "metric could not be measured")
        reasons[key] = labels_msg
    if metrics.get("pass_rate") is None:
        with_expected = sum(1 for case in prep.cases if scores_output(case.expected))
        if not with_expected:
            msg = (
                f"none of the {len(prep.cases)} {noun(len(prep.cases), 'case')} has `expected`, so nothing was scored; add "
                f"`expected:` (e.g. {{output_contains: [...]}}) to the cases in {display_path(prep.dataset.path)}, "
                "or remove the check from the thresholds file"
            )
        else:
            msg = f"no case with `expected` finished ({with_expected} of {len(prep.cases)} {noun(len(prep.cases), 'case')} {noun(with_expected, 'has', 'have')} one)"
        for key in ("pass_rate", "pass_all_repeats_rate", "pass_any_repeat_rate"):
            reasons[key] = msg
    return reasons


def drift_summary(prep: Prepared) -> dict[str, Any]:
    """Drift of production vs the golden dataset; an error becomes a failing drift summary (fail closed)."""
    from gatekit.drift import drift_check_for_gate
    from gatekit.errors import GatekitError

    try:
        summary: dict[str, Any] = drift_check_for_gate(
            prep.config.dataset or prep.dataset.path,
            str(prep.config.production),
            config=prep.config.drift,
            out=prep.out,
            reference_results=prep.out / "results.jsonl",
        )
    except GatekitError as exc:
        return {"drift": None, "error": scrub_message(str(exc)), "drifted": [], "features": []}
    changed = _dataset_changed(prep)
    if changed:  # drift read the file again: it compared production with another dataset than the one replayed
        return {"drift": None, "error": changed, "drifted": [], "features": []}
    return summary


def _dataset_changed(prep: Prepared) -> str | None:
    """Why the dataset file is no longer the one replayed (its sha256 changed, or it is gone), else None."""
    import hashlib

    from gatekit.fsio import MAX_DATASET_BYTES, read_input_bytes

    path = prep.dataset.path
    try:
        now = hashlib.sha256(read_input_bytes(path, MAX_DATASET_BYTES)).hexdigest()
    except OSError as exc:
        return f"{display_path(path)} cannot be read again ({exc.strerror or exc}); keep the dataset in place during the run"
    if now == prep.dataset.sha256:
        return None
    return (
        f"{display_path(path)} changed during the run (sha256 {prep.dataset.sha256[:12]} replayed, {now[:12]} now): "
        "the drift check would compare production with another dataset; keep the dataset unchanged and rerun"
    )


def drift_check(drift: dict[str, Any]) -> Check:
    """The ``drift`` check: fails when production drifted from the golden dataset (or drift could not be computed).

    Value and message agree with the drift verdict rule: under the default rule (``any``) the value is
    the number of drifted features against a limit of 0; under the share rule it is the share of
    drifted features against ``max_drift_share`` (a critical feature's drift fails either way). The
    message names the drifted features.
    """
    if drift.get("error"):
        return Check("drift", None, None, "", CheckStatus.FAIL, None, f"drift check failed: {drift['error']}")
    drifted = [str(name) for name in drift.get("drifted") or []]
    reason = str(drift.get("reason") or (f"drifted features: {', '.join(drifted)}" if drifted else "no drift"))
    if drift.get("verdict") == "share":
        value, limit = float(drift.get("drift_share") or 0.0), float(drift.get("max_drift_share") or 0.0)
    else:
        value, limit = float(len(drifted)), 0.0
    if drift.get("drift"):
        return Check("drift", value, limit, "<=", CheckStatus.FAIL, None, reason)
    if drift.get("drift") is None:
        return Check("drift", None, None, "", CheckStatus.FAIL, None, "drift check gave no verdict")
    message = "production matches the golden dataset" if not drifted else reason
    skipped = [str(s.get("name")) for s in drift.get("skipped") or [] if isinstance(s, dict)]
    if skipped:  # an untested feature is unknown, not a match: say which ones the pass does not speak for
        shown = ", ".join(skipped[:10]) + (f" and {len(skipped) - 10} more" if len(skipped) > 10 else "")
        message += f" ({len(skipped)} {noun(len(skipped), 'feature')} not tested: {shown}; see drift.json)"
    return Check("drift", value, limit, "<=", CheckStatus.PASS, None, message)
