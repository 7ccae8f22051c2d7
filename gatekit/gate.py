"""``run_gate``: the pipeline behind ``gatekit promote`` and ``gatekit eval``.

config -> dataset -> replay(agent) -> governance per case -> metrics -> thresholds
-> verdict -> report / MLflow. Every input is validated before the first case
runs; every finished case is on disk before the next stage looks at it.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from gatekit import __version__
from gatekit.agents import AgentOptions, resolve_agent
from gatekit.config import GateConfig, require
from gatekit.dataset import load_dataset
from gatekit.errors import EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_INFRA, EXIT_PASS, ConfigError, SinkError
from gatekit.metrics import MetricInputs, check_expectations, compute_metrics, load_pricing
from gatekit.models import AgentResponse, Case, CaseResult, Check, CheckStatus, Decision, Outcome
from gatekit.redact import ERROR_CHARS, display_spec, redact_urls, scrub_all, scrub_cut, url_host
from gatekit.replay import ReplaySettings, replay
from gatekit.verdict import decide, describe, load_thresholds, overall

VERDICT_SCHEMA_VERSION = 1
_WORST_CASES = 10
_PREVIEW_CHARS = 300


@dataclass
class GateResult:
    """What a gate run produced."""

    verdict: dict[str, Any]
    exit_code: int
    out_dir: Path
    messages: list[str] = field(default_factory=list)


class _Collector:
    """Accounts for each finished case: governance, scoring, streaming to disk, metrics."""

    keep: frozenset[str] = frozenset()  # values scrub leaves readable (the configured agent host)

    def __init__(self, policy: Any, run_state: Any, pricing: Any, results: TextIO, traces: TextIO, run_id: str):
        self.policy = policy
        self.run_state = run_state
        self.pricing = pricing
        self.results = results
        self.traces = traces
        self.run_id = run_id
        self.inputs = MetricInputs()
        self.decisions: list[Decision] = []
        self.failed_cases: list[dict[str, Any]] = []
        self.slowest: list[dict[str, Any]] = []
        self.unpassed: list[dict[str, Any]] = []
        self.governed: list[dict[str, Any]] = []
        self.stop_reason: str | None = None

    def __call__(self, case: Case, result: CaseResult) -> bool:
        response = result.response or AgentResponse()
        response_dict = response.to_dict()
        response_dict["latency_ms"] = result.latency_ms
        response_dict["error_type"] = result.error_type
        decision: Decision = self.policy.evaluate(case.to_dict(), response_dict, run=self.run_state)
        result.decision = decision
        # Only redacted text leaves this function: results.jsonl, traces, report, MLflow.
        # The decision was made on the raw tool names and model; what is written is scrubbed.
        _scrub_decision(decision, self.keep)
        if result.response is not None:
            result.response = AgentResponse(
                output=decision.redacted_output,
                tool_calls=decision.redacted_tool_calls,
                usage=response.usage,
                model=scrub(response.model, self.keep),
                cost_usd=response.cost_usd,
            )
            cost = response.cost_usd
            if cost is None:
                cost = self.pricing.cost(
                    response.model, response.usage.get("input_tokens"), response.usage.get("output_tokens")
                )
            result.cost_usd = cost
            met = check_expectations(case.expected, response.output, response.tool_calls)
            result.passed, result.expectation_misses = met.passed, scrub_all(met.misses, self.keep)
        else:
            result.passed = False if case.expected else None
            result.expectation_misses = ["no response (the agent call failed)"] if case.expected else []
        # Error messages and captured stderr are agent-controlled too: scrub them like outputs, then cut.
        result.error_message = scrub_cut(result.error_message, ERROR_CHARS, self.keep)
        for attempt in result.attempts:
            attempt.error_message = scrub_cut(attempt.error_message, ERROR_CHARS, self.keep)
        self.results.write(json.dumps(result.to_dict(), ensure_ascii=False, default=str) + "\n")
        self.results.flush()
        self.traces.write(
            json.dumps(self.policy.trace_record(decision, case.to_dict(), run_id=self.run_id), default=str) + "\n"
        )
        self.traces.flush()
        # Keep only what the summary needs; the payload is already on disk.
        decision.redacted_output = ""
        decision.redacted_tool_calls = []
        self.decisions.append(decision)
        self._count(result, result.response or response)
        self._remember(case, result, decision)
        stop = getattr(self.run_state, "stop_reason", None)
        if stop:
            self.stop_reason = scrub(str(stop), self.keep)
            return False
        return True

    def _count(self, result: CaseResult, response: AgentResponse) -> None:
        self.inputs.add(
            ok=result.ok,
            latency_ms=result.latency_ms,
            attempts_ok=[a.ok for a in result.attempts],
            error_type=result.error_type,
            model=response.model if result.ok else None,
            input_tokens=response.usage.get("input_tokens"),
            output_tokens=response.usage.get("output_tokens"),
            cost_usd=result.cost_usd,
            passed=result.passed,
        )

    def restore(self, result: CaseResult, case: Case | None = None) -> None:
        """--resume: account for a case finished by the interrupted run, from its row.

        The saved decision stands; its effect on the run state (token budgets, counters,
        emergency stops) is replayed so later cases are judged as in an uninterrupted run.
        """
        decision = result.decision or Decision(outcome=Outcome.DENY, reasons=["no saved decision (fail closed)"])
        response_dict = (result.response or AgentResponse()).to_dict()
        response_dict["latency_ms"] = result.latency_ms
        response_dict["error_type"] = result.error_type
        case_dict = (case or Case(id=result.case_id, input=None)).to_dict()
        self.policy.restore(case_dict, response_dict, decision, run=self.run_state)
        stop = getattr(self.run_state, "stop_reason", None)
        if stop:
            self.stop_reason = str(stop)
        self.decisions.append(decision)
        response = result.response or AgentResponse()
        self._count(result, response)
        self._remember(Case(id=result.case_id, input=None), result, decision)

    def _remember(self, case: Case, result: CaseResult, decision: Decision) -> None:
        preview = (result.response.output if result.response else "")[:_PREVIEW_CHARS]
        row = {
            "case_id": case.id,
            "repeat": result.repeat,
            "latency_ms": result.latency_ms,
            "error_type": result.error_type,
            "error_message": (result.error_message or "")[:_PREVIEW_CHARS] or None,
            "attempts": len(result.attempts),
            "outcome": decision.outcome.value,
            "reasons": decision.reasons,
            "output_preview": preview,
            "tools": [c.get("name") for c in (result.response.tool_calls if result.response else [])],
            "expectation_misses": result.expectation_misses,
        }
        if not result.ok:
            self.failed_cases.append(row)
        elif result.latency_ms is not None:
            self.slowest.append(row)
            self.slowest.sort(key=lambda r: -(r["latency_ms"] or 0))
            del self.slowest[_WORST_CASES:]
        if result.passed is False and result.ok:
            self.unpassed.append(row)
        if decision.outcome.value in ("deny", "require_review"):
            self.governed.append(row)


def scrub(text: str | None, keep: frozenset[str] = frozenset()) -> str | None:
    """Replace every PII value and secret the detectors find with a typed placeholder (``gatekit.redact``)."""
    from gatekit.redact import scrub as _scrub

    return _scrub(text, keep)


def _scrub_decision(decision: Decision, keep: frozenset[str]) -> None:
    """Scrub what a decision repeats from the agent: reasons (tool names, rule errors) and tool names."""
    decision.reasons = scrub_all(decision.reasons, keep)
    decision.rules = [{**r, "reason": scrub(str(r.get("reason") or ""), keep)} for r in decision.rules]
    decision.redacted_tool_calls = [
        {**c, "name": scrub(c["name"], keep)} if isinstance(c.get("name"), str) else c
        for c in decision.redacted_tool_calls
    ]


class _InDatasetOrder:
    """Hands finished cases to ``judge`` in dataset order, whatever order they finish in.

    Governance has stateful rules (token budgets per user per minute, emergency stops), so
    the order in which decisions are made must not depend on which agent call returned
    first: judging in dataset order makes two runs of the same candidate give identical
    decisions at any concurrency. A case that finishes early waits in memory until the
    cases before it are judged; results.jsonl therefore stays in dataset order, and an
    interrupted run always leaves a prefix of the dataset for ``--resume``.
    """

    def __init__(self, cases: list[Case], repeat: int, done: Any, judge: Callable[[Case, CaseResult], bool]) -> None:
        self._order = ((case.id, r) for r in range(repeat) for case in cases if (case.id, r) not in done)
        self._next = next(self._order, None)
        self._pending: dict[tuple[str, int], tuple[Case, CaseResult]] = {}
        self._judge = judge
        self.stopped = False  # a judgement asked to stop (emergency stop): judge nothing more

    def __call__(self, case: Case, result: CaseResult) -> bool:
        if self.stopped:
            return False
        self._pending[(case.id, result.repeat)] = (case, result)
        while self._next is not None and self._next in self._pending:
            ready_case, ready_result = self._pending.pop(self._next)
            self._next = next(self._order, None)
            if not self._judge(ready_case, ready_result):
                self.stopped = True
                return False
        return True


class _JudgeOffLoop:
    """Runs the judging of finished cases on one worker thread, never on the event loop.

    Governance of a large output can take seconds; on the loop it would stall every other
    case's agent call in flight and inflate their measured latency (a false latency FAIL).
    One thread keeps the judgements serial (``_InDatasetOrder`` still orders them); a
    judgement already handed over finishes even if its replay worker is cancelled, so a
    finished case is never lost, and :meth:`close` waits for all of them before the result
    files are closed.
    """

    def __init__(self, in_order: _InDatasetOrder) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._in_order = in_order
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gatekit-judge")

    async def __call__(self, case: Case, result: CaseResult) -> bool:
        loop = asyncio.get_running_loop()
        return await asyncio.shield(loop.run_in_executor(self._thread, self._in_order, case, result))

    def close(self) -> None:
        """Wait for the judgements in flight (bounded work) and stop the thread."""
        self._thread.shutdown(wait=True)


def _summarise_governance(policy: Any, decisions: list[Decision], total: int) -> dict[str, Any]:
    from gatekit.governance.summary import summarise

    summary: dict[str, Any] = summarise(decisions, total)
    summary["policy"] = {"id": policy.id, "version": policy.version, "sha256": policy.sha256}
    return summary


def _flat_values(metrics: dict[str, Any], governance: dict[str, Any], drift: dict[str, Any] | None) -> dict[str, Any]:
    values = dict(metrics)
    for key in ("deny_count", "deny_rate", "review_rate", "coverage", "decision_latency_p99_us"):
        values[f"governance.{key}"] = governance.get(key)
    if drift is not None:
        values["drift.drifted_features"] = len(drift.get("drifted") or [])
    return values


def _missing_reasons(metrics: dict[str, Any], pricing_path: Path | None) -> dict[str, str]:
    reasons: dict[str, str] = {}
    unknown = metrics.get("cost_unknown_models") or []
    if unknown:
        where = str(pricing_path) if pricing_path else "a pricing file (pricing: in gatekit.yaml)"
        msg = (
            f"cost unknown: no price for model(s) {', '.join(repr(m) for m in unknown)} in {where}; "
            "add them or have the agent report cost_usd"
        )
        for key in ("cost_total_usd", "cost_per_case_usd", "cost_per_1k_tokens_usd"):
            reasons[key] = msg
    if not metrics.get("successes"):
        for key in ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms", "latency_mean_ms", "latency_max_ms"):
            reasons[key] = "no case succeeded, so latency could not be measured"
    return reasons


def run_gate(
    config: GateConfig,
    *,
    command: str = "eval",
    emit: Callable[[str], None] | None = None,
) -> GateResult:
    """Run the whole gate and return the verdict with its exit code.

    Raises ``GatekitError`` subclasses for bad input (exit 2) before anything runs.
    An unreachable MLflow is reported in the verdict and gives exit code 3 after
    the local files are written. The output folder is locked for the whole run: a second
    gate on the same ``--out`` gets ``ConfigError`` naming the holder.
    """
    locks: list[Any] = []
    try:
        return _run_gate(config, command=command, emit=emit, locks=locks)
    finally:
        for lock in locks:
            lock.release()


def _run_gate(config: GateConfig, *, command: str, emit: Callable[[str], None] | None, locks: list[Any]) -> GateResult:
    say = emit or (lambda _msg: None)
    started = datetime.now(UTC)
    t0 = time.perf_counter()

    # 1. Validate every input before the first case runs.
    dataset_path = require(config, "dataset")
    agent_spec = require(config, "agent")
    thresholds = load_thresholds(require(config, "thresholds"))
    pricing = load_pricing(config.pricing)
    from gatekit.governance import load_policy

    policy = load_policy(require(config, "policy"))
    dataset = load_dataset(dataset_path)
    cases = dataset.cases
    sample_note = None
    if config.sample is not None and config.sample < len(cases):
        import random

        rng = random.Random(config.seed)
        cases = sorted(rng.sample(cases, config.sample), key=lambda c: c.line)
        sample_note = {"size": config.sample, "seed": config.seed, "of": len(dataset.cases)}
    options = AgentOptions(
        concurrency=config.concurrency,
        timeout_s=config.timeout,
        model=config.agent_options.model,
        api_key_env=config.agent_options.api_key_env,
        headers=dict(config.agent_options.headers),
        extra=dict(config.agent_options.extra),
    )
    agent = resolve_agent(agent_spec, options)
    if config.production:
        import glob

        if not glob.glob(config.production) and not Path(config.production).exists():
            raise ConfigError(
                f"--production {config.production}: no file or folder matches; pass production logs "
                "(.jsonl/.parquet/.csv, a folder or a glob)"
            )
    # Find the baseline run and its results before any case runs
    baseline = None
    if config.baseline:
        from gatekit.promotion import load_baseline, parse_limits

        if not thresholds.max_regression:
            raise ConfigError(
                f"--baseline {config.baseline}: {config.thresholds} has no 'max_regression:' limits; "
                "add e.g. max_regression: {error_rate: 0.5pp, latency_p95_ms: 10%}"
            )
        parse_limits(thresholds.max_regression)
        baseline = load_baseline(
            config.baseline,
            tracking_uri=config.tracking_uri,
            experiment=config.experiment,
            candidate_spec=agent_spec,
            dataset_sha256=dataset.sha256,
        )
        say(f"baseline: {baseline.description} ({len(baseline.rows)} result rows)")

    out = Path(config.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"--out {out}: cannot create the output folder ({exc.strerror}); choose a writable path"
        ) from None
    from gatekit.fsio import OutputLock

    locks.append(OutputLock(out).acquire())
    run_id = started.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}"
    # Results stream to disk; --resume continues from them
    from gatekit.progress import Progress
    from gatekit.replay import PassCounts, ReplayStats, prepare_results, result_from_row

    order = [(case.id, r) for r in range(config.repeat) for case in cases]
    resumed = prepare_results(
        out, resume=config.resume, run_id=run_id, identity=_run_identity(config, dataset.sha256, policy), order=order
    )
    run_id = resumed.run_id
    pass_counts = PassCounts(repeat=config.repeat)
    run_state = policy.new_run(run_id=run_id)
    settings = ReplaySettings(
        concurrency=config.concurrency,
        timeout_s=config.timeout,
        retries=config.retries,
        repeat=config.repeat,
        deadline_s=config.deadline,
        skip=resumed.finished,
        keep=frozenset(filter(None, [url_host(agent_spec)])),
    )
    # 2. Start the agent (import errors are user errors, before any file is touched), then
    #    replay, judging and streaming each case as it finishes.
    collector_box: list[_Collector] = []

    async def _run() -> Any:
        await agent.start()
        try:
            say(
                f"gatekit {command}: {len(cases) * config.repeat} cases from {dataset.path} "
                f"through {display_spec(agent_spec)}"
            )
            with (
                resumed.open() as results_file,
                open(out / "governance_traces.jsonl", "a" if resumed.rows else "w", encoding="utf-8") as traces_file,
            ):
                collector = _Collector(policy, run_state, pricing, results_file, traces_file, run_id)
                collector.keep = settings.keep
                collector_box.append(collector)
                # Account for the cases a resumed run finished before, in dataset order, replaying
                # their effect on the stateful rules (token budgets, emergency stops)
                by_id = {case.id: case for case in cases}
                for row in resumed.rows:
                    restored = result_from_row(row)
                    collector.restore(restored, by_id.get(restored.case_id))
                    pass_counts.add(restored.case_id, restored.passed)
                if resumed.rows:
                    say(f"resuming: {len(resumed.rows)} finished cases in {out / 'results.jsonl'} are kept")
                if collector.stop_reason:  # the earlier run ended with an emergency stop: so does this one
                    return ReplayStats(stopped_early=True)
                progress = Progress(
                    len(cases) * config.repeat, done=collector.inputs.cases, errors=collector.inputs.errors, emit=emit
                )

                def judge(case: Case, result: CaseResult) -> bool:
                    keep_going = collector(case, result)
                    pass_counts.add(case.id, result.passed)
                    return keep_going

                judging = _JudgeOffLoop(_InDatasetOrder(cases, config.repeat, resumed.finished, judge))

                def on_result(case: Case, result: CaseResult) -> Any:
                    progress.advance(result.ok)
                    return judging(case, result)

                try:
                    with progress:
                        replay_stats = await replay(cases, agent, settings, on_result)
                    # Cases still waiting behind one a deadline cut are not judged: judging them without
                    # it would decide differently from an uninterrupted run; --resume runs them again.
                finally:
                    judging.close()  # every case handed over is on disk before the files close
                return replay_stats
        finally:
            await agent.close()

    stats = asyncio.run(_run())
    collector = collector_box[0]

    # 3. Metrics, governance, checks, verdict.
    metrics = compute_metrics(collector.inputs)
    governance = _summarise_governance(policy, collector.decisions, len(cases) * config.repeat)
    governance["denied_cases"] = [r for r in collector.governed if r["outcome"] == "deny"][:50]
    governance["reviewed_cases"] = [r for r in collector.governed if r["outcome"] == "require_review"][:50]
    governance["stop_reason"] = collector.stop_reason
    drift = _drift_summary(config, dataset_path, out) if config.production else None
    values = _flat_values(metrics, governance, drift)
    values.update(_pass_count_values(pass_counts.metrics()))
    checks = decide(thresholds, values, _missing_reasons(metrics, config.pricing))
    if drift is not None:
        checks.append(_drift_check(drift))
    # Paired regression checks against the baseline run
    if baseline is not None:
        from gatekit.promotion import parse_results_jsonl, regression_checks

        candidate_rows = parse_results_jsonl((out / "results.jsonl").read_text(encoding="utf-8"))
        checks.extend(regression_checks(candidate_rows, baseline.rows, thresholds.max_regression))
    if collector.stop_reason:
        checks.append(
            Check(
                "governance.emergency_stop",
                None,
                None,
                "",
                CheckStatus.FAIL,
                None,
                f"replay stopped early: {collector.stop_reason}",
            )
        )
    # A replay cut short by its deadline cannot promote
    if stats.deadline_hit:
        done = collector.inputs.cases
        checks.append(
            Check(
                "replay.completed",
                float(done),
                float(len(cases) * config.repeat),
                ">=",
                CheckStatus.INCONCLUSIVE,
                None,
                f"{stats.stop_reason}: {done} of {len(cases) * config.repeat} cases finished; "
                "rerun with --resume (same --out) to finish them",
            )
        )
    if sample_note is not None:
        checks.append(
            Check(
                "sample_run",
                float(len(cases)),
                float(len(dataset.cases)),
                ">=",
                CheckStatus.INCONCLUSIVE,
                None,
                f"sample of {len(cases)} of {len(dataset.cases)} cases (seed {config.seed}); a sample never promotes",
            )
        )
    verdict_word = overall(checks)
    verdict: dict[str, Any] = {
        "schema_version": VERDICT_SCHEMA_VERSION,
        "kind": "gate",
        "command": command,
        "verdict": verdict_word,
        "exit_code": None,
        "reasons": [describe(c) for c in checks if c.status is not CheckStatus.PASS],
        "checks": [c.to_dict() for c in checks],
        "metrics": metrics,
        "errors": {
            "by_type": dict(collector.inputs.errors_by_type),
            "first_attempt_error_rate": metrics["first_attempt_error_rate"],
            "final_error_rate": metrics["error_rate"],
            "retried_cases": metrics["retried_cases"],
        },
        "governance": governance,
        "drift": drift,
        "dataset": dataset.summary(),
        "candidate": {"spec": display_spec(agent_spec)},
        "gatekit_version": __version__,
        "started_at": started.isoformat(),
        "duration_s": None,
        "replay": {
            "wall_s": round(stats.wall_s, 3),
            "concurrency": config.concurrency,
            "timeout_s": config.timeout,
            "retries": config.retries,
            "repeat": config.repeat,
            "stopped_early": stats.stopped_early,
            "deadline_s": config.deadline,
            "deadline_hit": stats.deadline_hit,
            "resumed_cases": len(resumed.rows),
            "torn_bytes_dropped": resumed.torn_bytes,
            "attempts": stats.attempts,
            "pass_counts": pass_counts.metrics() if config.repeat > 1 else None,
        },
        "sample": sample_note,
        "promotion": None,
        "out_dir": str(out),
        "failed_cases": collector.failed_cases[:100],
        "slowest_cases": collector.slowest,
        "unpassed_cases": collector.unpassed[:50],
        "mlflow": {"run_id": None, "experiment_id": None, "tracking_uri": None, "error": None},
    }
    exit_code = {"pass": EXIT_PASS, "fail": EXIT_FAIL, "inconclusive": EXIT_INCONCLUSIVE}[verdict_word]

    # 4. Local files first, then MLflow (which gets the final files as artifacts).
    from gatekit.fsio import atomic_write_text
    from gatekit.jsonio import to_json
    from gatekit.report.html import write_report

    def write_local(code: int) -> None:
        verdict["exit_code"] = code
        verdict["duration_s"] = round(time.perf_counter() - t0, 3)
        atomic_write_text(out / "verdict.json", to_json(verdict) + "\n")
        write_report(verdict, out / "report.html")

    from gatekit.sinks.mlflow import log_run, resolve_tracking_uri

    try:
        tracking_uri = resolve_tracking_uri(config.tracking_uri)
        verdict["mlflow"]["tracking_uri"] = redact_urls(tracking_uri)
        write_local(exit_code)

        def before_artifacts(mlflow_run_id: str, experiment_id: str) -> None:
            verdict["mlflow"]["run_id"] = mlflow_run_id
            verdict["mlflow"]["experiment_id"] = experiment_id
            write_local(exit_code)

        log_run(
            tracking_uri,
            config.experiment,
            config.run_name,
            params=_mlflow_params(config, dataset.sha256, agent_spec, policy),
            metrics=_mlflow_metrics(values, checks),
            tags={
                "gatekit.verdict": verdict_word,
                "gatekit.kind": "gate",
                "gatekit.command": command,
                "gatekit.candidate": display_spec(agent_spec),
                "gatekit.dataset_sha256": dataset.sha256,
                "gatekit.version": __version__,
                **_ci_and_model_tags(agent_spec, tracking_uri),
            },
            artifacts=[
                out / "verdict.json",
                out / "report.html",
                out / "results.jsonl",
                out / "governance_traces.jsonl",
            ]
            + ([out / "drift.json", out / "drift.html"] if drift is not None else []),
            dataset={
                "name": dataset.path.stem,
                "path": str(dataset.path),
                "sha256": dataset.sha256,
                "records": [c.to_dict() for c in dataset.cases],
            },
            before_artifacts=before_artifacts,
        )
        # Only after the run is fully logged, only on pass
        if command == "promote":
            from gatekit.promotion import DEFAULT_ALIAS, promote
            from gatekit.sinks.mlflow import log_run_artifact

            alias = config.alias or DEFAULT_ALIAS
            verdict["promotion"] = promote(verdict, alias=alias, tracking_uri=tracking_uri, dry_run=config.dry_run)
            say(verdict["promotion"]["message"])
            write_local(exit_code)  # verdict.json / report.html now carry the promotion block
            for name in ("verdict.json", "report.html"):
                log_run_artifact(tracking_uri, str(verdict["mlflow"]["run_id"]), out / name)
    except SinkError as exc:
        verdict["mlflow"]["error"] = str(exc)
        verdict["reasons"].append(f"MLflow logging failed: {exc}")
        exit_code = EXIT_INFRA
        write_local(exit_code)
    verdict["exit_code"] = exit_code
    return GateResult(verdict=verdict, exit_code=exit_code, out_dir=out)


def _run_identity(config: GateConfig, dataset_sha256: str, policy: Any) -> dict[str, Any]:
    """What ``--resume`` checks: dataset, agent (hashed), policy, thresholds, pricing, repeat, sample."""
    from gatekit.replay import file_sha256, run_identity

    agent = json.dumps([config.agent, config.agent_options.model], default=str)
    return run_identity(
        dataset_sha256=dataset_sha256,
        agent=agent,
        repeat=config.repeat,
        sample=config.sample,
        seed=config.seed,
        policy={"id": policy.id, "version": policy.version, "sha256": policy.sha256},
        thresholds_sha256=file_sha256(config.thresholds),
        pricing_sha256=file_sha256(config.pricing),
    )


def _ci_and_model_tags(agent_spec: str, tracking_uri: str) -> dict[str, str]:
    """Issue 6: commit / branch / PR tags from the CI environment, model name / version of the candidate."""
    from gatekit.promotion import model_tags
    from gatekit.sinks.github import ci_tags

    return {**ci_tags(os.environ), **model_tags(agent_spec, tracking_uri)}


def _pass_count_values(counts: dict[str, Any]) -> dict[str, Any]:
    """k-of-n metrics for thresholds: pass_all_repeats_rate, pass_any_repeat_rate, pass_k_of_n.K."""
    values = {
        "pass_all_repeats_rate": counts.get("pass_all_repeats_rate"),
        "pass_any_repeat_rate": counts.get("pass_any_repeat_rate"),
    }
    for k, rate in (counts.get("pass_k_of_n") or {}).items():
        values[f"pass_k_of_n.{k}"] = rate
    return values


def _drift_summary(config: GateConfig, dataset_path: Path, out: Path) -> dict[str, Any]:
    """Drift of production vs the golden dataset; an error becomes a failing drift summary (fail closed)."""
    from gatekit.drift import drift_check_for_gate
    from gatekit.errors import GatekitError

    try:
        summary: dict[str, Any] = drift_check_for_gate(
            dataset_path,
            str(config.production),
            config=config.drift,
            out=out,
            reference_results=out / "results.jsonl",
        )
    except GatekitError as exc:
        return {"drift": None, "error": str(exc), "drifted": [], "features": []}
    return summary


def _drift_check(drift: dict[str, Any]) -> Check:
    if drift.get("error"):
        return Check("drift", None, None, "", CheckStatus.FAIL, None, f"drift check failed: {drift['error']}")
    drifted = drift.get("drifted") or []
    if drift.get("drift"):
        reason = drift.get("reason") or f"drifted features: {', '.join(map(str, drifted))}"
        return Check("drift", float(len(drifted)), 0.0, "<=", CheckStatus.FAIL, None, str(reason))
    return Check(
        "drift", float(len(drifted)), 0.0, "<=", CheckStatus.PASS, None, "production matches the golden dataset"
    )


def _mlflow_params(config: GateConfig, sha256: str, agent_spec: str, policy: Any) -> dict[str, Any]:
    return {
        "agent": display_spec(agent_spec),
        "dataset": str(config.dataset),
        "dataset_sha256": sha256,
        "thresholds": str(config.thresholds),
        "policy": str(config.policy),
        "policy_id": policy.id,
        "policy_version": policy.version,
        "policy_sha256": policy.sha256,
        "concurrency": config.concurrency,
        "timeout_s": config.timeout,
        "retries": config.retries,
        "repeat": config.repeat,
        "sample": config.sample,
    }


def _mlflow_metrics(values: dict[str, Any], checks: list[Check]) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for key, value in values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        metrics[key] = float(value)
    metrics["checks_failed"] = float(sum(c.status is CheckStatus.FAIL for c in checks))
    metrics["checks_inconclusive"] = float(sum(c.status is CheckStatus.INCONCLUSIVE for c in checks))
    return metrics
