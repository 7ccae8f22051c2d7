"""Stages 2 and 3, replay and judge: run the candidate on every case and judge each one as it finishes.

Judging a case means: governance decides on the raw response, what it delivers (the redacted
response; nothing when it denies or holds the case for review) is scored against the case's
expectations, everything the agent wrote is scrubbed, the row is
streamed to ``results.jsonl`` / ``governance_traces.jsonl``, and the case is counted for
the metrics. Cases are judged in dataset order on one worker thread (see
:class:`InDatasetOrder`, :class:`JudgeOffLoop`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from gatekit.dataset import scores_output
from gatekit.fmt import noun
from gatekit.governance.labelled import Labelled, labelled_case
from gatekit.metrics import AttemptSpend, ExpectationResult, MetricInputs, check_expectations, delivered_result
from gatekit.models import AgentResponse, Case, CaseResult, Decision, Outcome
from gatekit.pipeline.prepare import Prepared
from gatekit.redact import ERROR_CHARS, display_path, display_spec, mask_known, scrub_all, scrub_cut

log = logging.getLogger(__name__)

_WORST_CASES = 10
_PREVIEW_CHARS = 300
_SIGNATURE_CHARS = 200
# a row listed in the verdict (slowest, failed, unpassed, denied, reviewed) shows this many tools, reasons and
# misses, each cut to _PREVIEW_CHARS; results.jsonl has them all (1,000 tool calls of 1,000-character names made
# each listed row 2 MB: a 200-case run wrote a 51 MB report.html and a 31 MB verdict.json)
_ROW_ITEMS = 20


def _listed(values: list[Any]) -> list[Any]:
    """The first ``_ROW_ITEMS`` of ``values`` (text cut to ``_PREVIEW_CHARS``), then ``… N more`` for the rest."""
    shown = [v[: _PREVIEW_CHARS - 1] + "…" if isinstance(v, str) and len(v) > _PREVIEW_CHARS else v for v in values]
    if len(shown) > _ROW_ITEMS:
        return [*shown[:_ROW_ITEMS], f"… {len(shown) - _ROW_ITEMS} more"]
    return shown


def scrub(text: str | None, keep: frozenset[str] = frozenset()) -> str | None:
    """Replace every PII value and secret the detectors find with a typed placeholder (``gatekit.redact``)."""
    from gatekit.redact import scrub as _scrub

    return _scrub(text, keep)


# what is written of a response holds no secret the detectors find, whatever the policy says: a policy without a
# sensitive_data rule (tools only) or one that allows a secret type let an agent's key reach results.jsonl, verdict.json,
# report.html and MLflow raw. Personal data stays the policy's decision (``allow`` is a choice a team may make).
_WRITTEN_SECRETS = {
    "id": "gatekit-written-secrets",
    "version": "1",
    "rules": [
        {
            "id": "written-secrets",
            "kind": "sensitive_data",
            "scan": ["output", "tool_arguments"],
            "outcomes": {"secrets": "allow_with_redaction"},
        }
    ],
}


def written_secrets_policy(policy: Any) -> Any:
    """The policy that masks secrets in what is written of a response, or None when ``policy`` masks them all itself.

    ``policy`` does when one of its sensitive_data rules scans the output and the tool arguments and acts on every
    secret type (redacts, denies or holds for review: each of those replaces the value): no second scan then.
    """
    from gatekit.governance.detectors import SECRET_TYPES

    for rule in getattr(policy, "rules", None) or []:
        if (
            getattr(rule, "kind", None) == "sensitive_data"
            and getattr(rule, "scan_output", False)
            and getattr(rule, "scan_tools", False)
            and getattr(rule, "acting", frozenset()).issuperset(SECRET_TYPES)
        ):
            return None
    from gatekit.governance.policy import policy_from_dict

    return policy_from_dict(_WRITTEN_SECRETS, name="<written secrets>")


def scrub_decision(decision: Decision, keep: frozenset[str]) -> None:
    """Scrub what a decision repeats from the agent: reasons (tool names, rule errors) and tool names."""
    decision.reasons = scrub_all(decision.reasons, keep)
    decision.rules = [{**r, "reason": scrub(str(r.get("reason") or ""), keep)} for r in decision.rules]
    decision.redacted_tool_calls = [
        {**c, "name": scrub(c["name"], keep)} if isinstance(c.get("name"), str) else c
        for c in decision.redacted_tool_calls
    ]


@dataclass
class Judged:
    """What replaying and judging produced: per-case accounting, ready for the checks stage."""

    inputs: MetricInputs
    decisions: list[Decision]
    errored: int  # errored cases whose decision was not deny / review: counted apart, never as allowed
    failed_cases: list[dict[str, Any]]
    slowest: list[dict[str, Any]]
    unpassed: list[dict[str, Any]]
    governed: list[dict[str, Any]]
    stop_reason: str | None  # governance emergency stop
    identical_failures: tuple[str, str, int] | None  # (error_type, message, count) that stopped the run
    error_signatures: Counter[tuple[str, str]] = field(default_factory=Counter)
    pass_counts: Any = None
    stats: Any = None  # gatekit.replay.ReplayStats
    labelled: list[Labelled] = field(default_factory=list)  # cases with expected.governance
    labelled_unjudged: int = 0


class CaseJudge:
    """Accounts for each finished case: governance, scoring, scrubbing, streaming to disk, counting."""

    def __init__(
        self,
        policy: Any,
        run_state: Any,
        pricing: Any,
        results: TextIO,
        traces: TextIO,
        run_id: str,
        *,
        keep: frozenset[str] = frozenset(),
        stop_after_identical_failures: int = 0,
    ) -> None:
        self.policy = policy
        self.run_state = run_state
        self.pricing = pricing
        self.results = results
        self.traces = traces
        self.run_id = run_id
        self.keep = keep  # values scrub leaves readable (the configured agent host)
        self.written_secrets = written_secrets_policy(policy)
        self.stop_after = stop_after_identical_failures
        self.inputs = MetricInputs()
        self.decisions: list[Decision] = []
        self.errored = 0
        self.failed_cases: list[dict[str, Any]] = []
        self.slowest: list[dict[str, Any]] = []
        self.unpassed: list[dict[str, Any]] = []
        self.governed: list[dict[str, Any]] = []
        self.labelled: list[Labelled] = []  # cases with expected.governance, as decided
        self.labelled_unjudged = 0  # labelled cases whose agent call failed (no decision on a response)
        self.stop_reason: str | None = None
        self.signatures: Counter[tuple[str, str]] = Counter()
        self._leading: tuple[str, str] | None = None  # the signature every case so far failed with
        self._leading_count = 0
        self.identical_failures: tuple[str, str, int] | None = None

    def __call__(self, case: Case, result: CaseResult) -> bool:
        """Judge one finished case; return False to stop the replay."""
        response = result.response or AgentResponse()
        response_dict = response.to_dict()
        response_dict["latency_ms"] = result.latency_ms
        response_dict["error_type"] = result.error_type
        decision: Decision = self.policy.evaluate(case.to_dict(), response_dict, run=self.run_state)
        result.decision = decision
        self._label(case, result, decision)
        if result.response is not None:
            # scored on what governance delivers (its redacted output and tool calls, as the runtime guard returns
            # them), then not passed when it delivers nothing (deny, review): gatekit.metrics.delivered_result
            met = check_expectations(case.expected, decision.redacted_output, decision.redacted_tool_calls)
            result.expectations_met = met.passed
            met = delivered_result(case.expected, met, decision.outcome.value)
        else:
            scored = scores_output(case.expected)
            met = ExpectationResult(
                False if scored else None, ["no response (the agent call failed)"] if scored else []
            )
        result.passed, result.expectation_misses = met.passed, scrub_all(met.misses, self.keep)
        # Only redacted text leaves this function: results.jsonl, traces, report, MLflow.
        # The decision was made on the raw tool names and model; what is written is scrubbed.
        scrub_decision(decision, self.keep)
        if result.response is not None:
            output, tool_calls = decision.redacted_output, decision.redacted_tool_calls
            if self.written_secrets is not None:  # the policy leaves secrets: they go from what is written all the same
                written = self.written_secrets.evaluate(
                    {"id": case.id}, {"output": output, "tool_calls": tool_calls}, record=False
                )
                output, tool_calls = written.redacted_output, written.redacted_tool_calls
            result.response = AgentResponse(
                # the policy redacted what it found; credentials this run sent are masked whatever the policy says
                output=mask_known(output),
                tool_calls=mask_known(tool_calls),
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
        self._spent(result)
        # Error messages and captured stderr are agent-controlled too: scrub them like outputs, then cut.
        result.error_message = scrub_cut(result.error_message, ERROR_CHARS, self.keep)
        for attempt in result.attempts:
            attempt.error_message = scrub_cut(attempt.error_message, ERROR_CHARS, self.keep)
            attempt.model = scrub(attempt.model, self.keep)
        row = json.dumps(result.to_dict(), ensure_ascii=False, default=str) + "\n"
        trace = json.dumps(self.policy.trace_record(decision, case.to_dict(), run_id=self.run_id), default=str) + "\n"
        for handle, text, name in (
            (self.results, row, "results.jsonl"),
            (self.traces, trace, "governance_traces.jsonl"),
        ):
            try:
                handle.write(text)
                handle.flush()
            except OSError as exc:  # a full disk: one line naming the file (it was an internal error and tracebacks)
                from gatekit.errors import SinkError

                raise SinkError(
                    f"cannot write {name} in the output folder ({exc.strerror or exc}); free space on that disk or "
                    "choose another "
                    "--out, then rerun with --resume (same --out) to keep the finished cases"
                ) from None
        # Keep only what the summary needs; the payload is already on disk.
        decision.redacted_output = ""
        decision.redacted_tool_calls = []
        self._account(case, result, decision, result.response or response)
        stop = getattr(self.run_state, "stop_reason", None)
        if stop:
            self.stop_reason = scrub(str(stop), self.keep)
            log.info("governance emergency stop: %s", self.stop_reason)
            return False
        if self.identical_failures is not None:
            log.info("stopping: the first %d cases failed the same way", self.identical_failures[2])
            return False
        return True

    def _spent(self, result: CaseResult) -> None:
        """Price every attempt and make the row's ``cost_usd`` what the case spent: all its attempts, None if unknown.

        The successful attempt costs the answer's cost (``result.cost_usd`` on entry); a failed one what its exception
        reported (``cost_usd``, else its tokens at the model's price), unknown (None) when it reported neither.
        """
        answer_cost = result.cost_usd if result.ok else None
        for attempt in result.attempts:
            if attempt.ok:
                attempt.cost_usd = answer_cost
            elif attempt.cost_usd is None:
                attempt.cost_usd = self.pricing.cost(attempt.model, attempt.input_tokens, attempt.output_tokens)
        costs = [a.cost_usd for a in result.attempts] or [answer_cost]
        result.cost_usd = None if any(c is None for c in costs) else sum(c for c in costs if c is not None)

    def _label(self, case: Case, result: CaseResult, decision: Decision) -> None:
        """Keep a labelled case (``expected.governance``) for the governance-quality summary; unjudged when errored."""
        expected = case.expected.get("governance") if isinstance(case.expected, dict) else None
        if expected is None:
            return
        if result.ok or decision.outcome in (Outcome.DENY, Outcome.REQUIRE_REVIEW):
            self.labelled.append(labelled_case(case.id, str(expected), decision))
        else:
            self.labelled_unjudged += 1

    def restore(self, result: CaseResult, case: Case | None = None) -> None:
        """--resume: account for a case finished by the interrupted run, from its row.

        The saved decision stands; its effect on the run state (token budgets, counters,
        emergency stops) is replayed so later cases are judged as in an uninterrupted run.
        """
        decision = result.decision or Decision(outcome=Outcome.DENY, reasons=["no saved decision (fail closed)"])
        if result.passed and result.expectations_met is None and case is not None:
            # a row an older gatekit wrote (no expectations_met): it passed a denied or reviewed response
            result.expectations_met = True
            met = delivered_result(case.expected, ExpectationResult(True), decision.outcome.value)
            result.passed, result.expectation_misses = met.passed, met.misses
        response_dict = (result.response or AgentResponse()).to_dict()
        response_dict["latency_ms"] = result.latency_ms
        response_dict["error_type"] = result.error_type
        case_dict = (case or Case(id=result.case_id, input=None)).to_dict()
        self.policy.restore(case_dict, response_dict, decision, run=self.run_state)
        if case is not None:
            self._label(case, result, decision)
        stop = getattr(self.run_state, "stop_reason", None)
        if stop:
            self.stop_reason = str(stop)
        self._account(Case(id=result.case_id, input=None), result, decision, result.response or AgentResponse())

    def _account(self, case: Case, result: CaseResult, decision: Decision, response: AgentResponse) -> None:
        if result.ok or decision.outcome in (Outcome.DENY, Outcome.REQUIRE_REVIEW):
            self.decisions.append(decision)
        else:
            self.errored += 1  # an errored case is never an allowed decision
        answer = [a for a in result.attempts if a.ok]
        self.inputs.add(
            ok=result.ok,
            latency_ms=result.latency_ms,
            attempts_ok=[a.ok for a in result.attempts],
            error_type=result.error_type,
            model=response.model if result.ok else None,
            input_tokens=response.usage.get("input_tokens"),
            output_tokens=response.usage.get("output_tokens"),
            # the answer's cost; the failed attempts' below (a row without attempts: a library caller's, all answer)
            cost_usd=answer[0].cost_usd if answer else (result.cost_usd if result.ok else None),
            passed=result.passed,
            case_id=str(result.case_id),
            failed_attempts=[
                AttemptSpend(a.cost_usd, a.model, a.input_tokens, a.output_tokens) for a in result.attempts if not a.ok
            ],
        )
        self._track_failures(result)
        self._remember(case, result, decision)

    def _track_failures(self, result: CaseResult) -> None:
        """Count error signatures; stop when the first N cases all failed with the same one."""
        if result.ok:
            self._leading_count = -1  # a success: the run is not failing wholesale
            return
        signature = (
            str(result.error_type or "error"),
            " ".join((result.error_message or "").split())[:_SIGNATURE_CHARS],
        )
        self.signatures[signature] += 1
        if self._leading_count < 0:
            return
        if self._leading is None or self._leading == signature:
            self._leading = signature
            self._leading_count += 1
        else:
            self._leading_count = -1
            return
        if self.stop_after and self._leading_count >= self.stop_after and self.identical_failures is None:
            self.identical_failures = (*signature, self._leading_count)

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
            "reasons": _listed(decision.reasons),
            "output_preview": preview,
            "tools": _listed([c.get("name") for c in (result.response.tool_calls if result.response else [])]),
            "expectation_misses": _listed(result.expectation_misses),
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

    def judged(self, pass_counts: Any, stats: Any) -> Judged:
        """The accounting, handed to the checks stage."""
        return Judged(
            inputs=self.inputs,
            decisions=self.decisions,
            errored=self.errored,
            failed_cases=self.failed_cases,
            slowest=self.slowest,
            unpassed=self.unpassed,
            governed=self.governed,
            stop_reason=self.stop_reason,
            identical_failures=self.identical_failures,
            error_signatures=self.signatures,
            pass_counts=pass_counts,
            stats=stats,
            labelled=self.labelled,
            labelled_unjudged=self.labelled_unjudged,
        )


class InDatasetOrder:
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
        """Queue a finished case; judge every case now next in order; False once a judgement stopped the run."""
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


@contextlib.contextmanager
def _disk_errors_named(out: Path) -> Iterator[None]:
    """A write to the result files that fails (a full disk) is one line naming the folder, exit 3.

    Closing a file whose last write failed fails again (its buffer cannot be flushed either): that second error
    carries the first, which named the file, as its context.
    """
    from gatekit.errors import SinkError

    try:
        yield
    except OSError as exc:
        named: BaseException | None = exc
        while named is not None and not isinstance(named, SinkError):
            named = named.__context__
        if named is not None:
            raise named from None
        raise SinkError(
            f"--out {out}: cannot write the run's result files ({exc.strerror or exc}); free space on that disk or "
            "choose another --out, then rerun with --resume (same --out) to keep the finished cases"
        ) from None


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark a finished future's exception as seen (the awaiting task, if any, still gets it)."""
    if not future.cancelled():
        future.exception()


class JudgeOffLoop:
    """Runs the judging of finished cases on one worker thread, never on the event loop.

    Governance of a large output can take seconds; on the loop it would stall every other
    case's agent call in flight and inflate their measured latency (a false latency FAIL).
    One thread keeps the judgements serial (``InDatasetOrder`` still orders them); a
    judgement already handed over finishes even if its replay worker is cancelled, so a
    finished case is never lost, and :meth:`close` waits for all of them before the result
    files are closed.
    """

    def __init__(self, in_order: InDatasetOrder) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self._in_order = in_order
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gatekit-judge")

    async def __call__(self, case: Case, result: CaseResult) -> bool:
        """Hand a finished case to the judging thread and wait for its judgement."""
        loop = asyncio.get_running_loop()
        judging = loop.run_in_executor(self._thread, self._in_order, case, result)
        # shielded: once the replay stops on an error, the judgements still in flight end unawaited; their
        # exceptions (a full disk fails each one) were logged as "Future exception was never retrieved" tracebacks
        judging.add_done_callback(_retrieved)
        return await asyncio.shield(judging)

    def close(self) -> None:
        """Wait for the judgements in flight (bounded work) and stop the thread."""
        self._thread.shutdown(wait=True)


def replay_and_judge(prep: Prepared, emit: Callable[[str], None] | None = None) -> Judged:
    """Start the agent, replay every case through it and judge each one as it finishes.

    With ``--resume`` the cases the interrupted run finished are accounted for first, in
    dataset order, replaying their effect on the stateful rules (token budgets, emergency stops).
    """
    try:
        # what agent code prints (a python: callable, its import, an MLflow model) goes to stderr: stdout is
        # gatekit's own (--json prints verdict.json there; an agent printing a fake passing verdict forged it)
        with contextlib.redirect_stdout(sys.stderr):
            return asyncio.run(_replay_and_judge(prep, emit))
    except (KeyboardInterrupt, asyncio.CancelledError):  # Ctrl-C / SIGTERM: exit 130, no verdict published
        from gatekit.pipeline.provisional import remove_unfinished

        remove_unfinished(prep.out)
        raise


async def _start_agent(agent: Any, timeout_s: float) -> None:
    """``agent.start()`` bounded by ``start_timeout``; SIGTERM meanwhile ends the run as Ctrl-C does (exit 130).

    An import or model load that never returns runs on a daemon thread (the agents' ``start``), so the loop stays
    free: the timeout fires, the start is abandoned and the run fails as a failed start.
    """
    import signal

    from gatekit.errors import AgentError
    from gatekit.replay import ReplayInterrupted

    task = asyncio.ensure_future(agent.start())
    stop = asyncio.Event()
    stopper = asyncio.ensure_future(stop.wait())
    loop = asyncio.get_running_loop()
    installed = False
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        installed = True
    try:
        await asyncio.wait({task, stopper}, timeout=timeout_s, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            task.result()
            return
        task.cancel()  # abandons the import / load thread; a cmd worker is killed
        await asyncio.wait({task}, timeout=5.0)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(agent.close(), 5.0)
        if stop.is_set():
            raise ReplayInterrupted("stopped by SIGTERM while the agent was starting")
        raise AgentError(
            f"the agent did not start within {timeout_s:g} s (start_timeout): its import, model load or worker "
            "start never finished; fix the agent or raise start_timeout in gatekit.yaml"
        )
    except asyncio.CancelledError:  # Ctrl-C: asyncio.run cancels this task
        task.cancel()
        raise
    finally:
        stopper.cancel()
        if installed:
            loop.remove_signal_handler(signal.SIGTERM)


async def _replay_and_judge(prep: Prepared, emit: Callable[[str], None] | None) -> Judged:
    from gatekit.progress import Progress
    from gatekit.replay import PassCounts, ReplayStats, replay, result_from_row

    say = emit or (lambda _msg: None)
    config, out, resumed = prep.config, prep.out, prep.resumed
    pass_counts = PassCounts(repeat=config.repeat)
    run_state = prep.policy.new_run(run_id=prep.run_id)
    from gatekit.fsio import open_private_write, remove_regular_file
    from gatekit.replay import STALE_OUTPUTS

    # an earlier run's verdict, report and all-pass JUnit file must not outlive an agent that fails to start
    for name in STALE_OUTPUTS:
        remove_regular_file(out / name)
    if config.junit is not None:
        remove_regular_file(config.junit)
    try:
        await _start_agent(prep.agent, config.start_timeout)
    except Exception as exc:  # verdict.json says the agent did not start and why (exit code as raised)
        from gatekit.pipeline.prepare import in_config_file
        from gatekit.pipeline.provisional import write_failed_start

        error = in_config_file(config, exc)  # (an unset ${VAR} of a header: gatekit.yaml: agent_options.headers...)
        write_failed_start(
            config=config, command=prep.command, started=prep.started, dataset=prep.dataset, exc=error, locked=True
        )
        if error is exc:
            raise
        raise error from None
    try:
        from gatekit.report.text import one_line

        say(  # one line: a path or spec holding a line break must not start a log line (``::error::``) of its own
            f"gatekit {prep.command}: {prep.total_cases} {noun(prep.total_cases, 'case')} from {one_line(display_path(prep.dataset.path))} "
            f"through {one_line(display_spec(prep.agent_spec))}"
        )
        with (
            _disk_errors_named(out),
            resumed.open() as results_file,
            open_private_write(out / "governance_traces.jsonl", append=bool(resumed.kept)) as traces_file,
        ):
            from gatekit.pipeline.provisional import write_unfinished

            if resumed.set_aside is not None:  # on stderr even with --quiet / --json: where a user's rows went
                aside = one_line(display_path(resumed.set_aside))
                print(
                    f"{one_line(display_path(out))} held an unfinished run ({resumed.set_aside_rows} finished cases, no "
                    f"verdict): moved to {aside}; continue it with --resume --out {aside}",
                    file=sys.stderr,
                    flush=True,
                )

            write_unfinished(prep)  # a process that vanishes from here on leaves "fail", not nothing
            judge_case = CaseJudge(
                prep.policy,
                run_state,
                prep.pricing,
                results_file,
                traces_file,
                prep.run_id,
                keep=prep.settings.keep,
                stop_after_identical_failures=config.stop_after_identical_failures,
            )
            by_id = {case.id: case for case in prep.cases}
            for row in resumed.rows():  # streamed: one row held at a time
                restored = result_from_row(row)
                judge_case.restore(restored, by_id.get(restored.case_id))
                pass_counts.add(restored.case_id, restored.passed)
            if resumed.kept:
                say(f"resuming: {resumed.kept} finished cases in {out / 'results.jsonl'} are kept")
            if judge_case.stop_reason:  # the earlier run ended with an emergency stop: so does this one
                return judge_case.judged(pass_counts, ReplayStats(stopped_early=True))
            progress = Progress(
                prep.total_cases, done=judge_case.inputs.cases, errors=judge_case.inputs.errors, emit=emit
            )

            def judge(case: Case, result: CaseResult) -> bool:
                keep_going = judge_case(case, result)
                pass_counts.add(case.id, result.passed)
                return keep_going

            judging = JudgeOffLoop(InDatasetOrder(prep.cases, config.repeat, resumed.finished, judge))

            def on_result(case: Case, result: CaseResult) -> Any:
                progress.advance(result.ok)
                return judging(case, result)

            try:
                with progress:
                    stats = await replay(prep.cases, prep.agent, prep.settings, on_result)
                # Cases still waiting behind one a deadline cut are not judged: judging them without
                # it would decide differently from an uninterrupted run; --resume runs them again.
            finally:
                judging.close()  # every case handed over is on disk before the files close
            return judge_case.judged(pass_counts, stats)
    finally:
        await prep.agent.close()
