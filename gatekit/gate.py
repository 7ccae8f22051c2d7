"""``run_gate``: the pipeline behind ``gatekit promote`` and ``gatekit eval``.

prepare inputs -> replay and judge each case -> checks -> verdict -> publish. Each stage
is a function in ``gatekit.pipeline`` with typed inputs and outputs; this module only
calls them in order. Every input is validated before the first case runs; every finished
case is on disk before the next stage looks at it.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from gatekit.config import GateConfig
from gatekit.errors import EXIT_INFRA

# one mechanism for the gate and the standalone drift / canary / watch commands (a stop DuckDB swallowed is a stop)
from gatekit.interrupts import EXIT_INTERRUPTED
from gatekit.interrupts import stops_interrupt as _sigterm_interrupts
from gatekit.pipeline.build_verdict import build_verdict
from gatekit.pipeline.checks import assess
from gatekit.pipeline.judge import replay_and_judge
from gatekit.pipeline.model import VERDICT_SCHEMA_VERSION, Verdict
from gatekit.pipeline.prepare import Prepared, prepare
from gatekit.pipeline.publish import publish

__all__ = ["VERDICT_SCHEMA_VERSION", "GateResult", "run_gate"]

log = logging.getLogger(__name__)


@dataclass
class GateResult:
    """What a gate run produced: the typed verdict and the exit code it maps to."""

    verdict: Verdict
    exit_code: int
    out_dir: Path
    messages: list[str] = field(default_factory=list)


def _mark_interrupted(verdict: Verdict, prep: Prepared, t0: float) -> None:
    """An interrupted publish leaves no verdict.json that reads as finished: exit_code 130 and the reason.

    verdict.json is written before MLflow logging (so the artifact exists); stopped there, it said
    ``pass`` / ``exit_code 0`` for a run that was never logged nor promoted while gatekit exited 130.
    """
    _settle(
        verdict,
        prep,
        t0,
        EXIT_INTERRUPTED,
        "interrupted while publishing (MLflow logging, promotion, JUnit, GitHub outputs may be missing or partial); "
        "rerun with --resume (same --out)",
    )


def _mark_failed(verdict: Verdict, prep: Prepared, t0: float, exc: Exception) -> Exception:
    """An error while publishing (report.html unwritable, a full disk, a bug): exit_code 3 on disk too.

    verdict.json and the JUnit file are written before report.html, MLflow and the promotion; an error after them
    left ``pass`` / ``exit_code 0`` and an all-green JUnit file behind a gate that exited 3. Returns what to raise:
    a file that cannot be written is a ``SinkError`` naming the output folder (one line, exit 3), not an internal
    error.
    """
    from gatekit.errors import GatekitError, SinkError
    from gatekit.redact import scrub_message

    if isinstance(exc, OSError):
        where = exc.filename2 or exc.filename
        shown = f"{exc.strerror or exc}" + (f": {where}" if where else "")
        reason = (
            f"--out {prep.out}: cannot write the run's files ({scrub_message(shown)}); free space on that disk, "
            "remove what is in the way or choose another --out, and rerun the gate"
        )
        _settle(verdict, prep, t0, EXIT_INFRA, reason)
        return SinkError(reason)
    if isinstance(exc, GatekitError):  # e.g. a results.jsonl edited during the run: the exit code it carries
        _settle(verdict, prep, t0, exc.exit_code, scrub_message(str(exc)))
        return exc
    what = " ".join(f"{type(exc).__name__}: {scrub_message(str(exc))}".split())
    _settle(verdict, prep, t0, EXIT_INFRA, f"internal error while publishing ({what}); the gate fails closed")
    return exc


def _settle(verdict: Verdict, prep: Prepared, t0: float, exit_code: int, reason: str) -> None:
    """Record a publish that did not finish: the exit code and why, in verdict.json, report.html and the JUnit file.

    Each file is written on its own (a report.html that cannot be written must not keep verdict.json from saying
    so); a verdict.json that cannot be rewritten is removed, never left reading as the run's own pass.
    """
    from gatekit.fsio import atomic_write_text, remove_regular_file
    from gatekit.report.html import write_report
    from gatekit.report.junit import write_junit

    out = prep.out
    verdict.exit_code = exit_code
    verdict.reasons = [*verdict.reasons, reason]
    verdict.duration_s = round(time.perf_counter() - t0, 3)
    try:
        atomic_write_text(out / "verdict.json", verdict.to_json())
    except Exception:  # noqa: BLE001 - the exit code stands; no verdict.json on disk may say the run exited 0
        with contextlib.suppress(Exception):
            if Verdict.from_file(out / "verdict.json").exit_code in (None, 0):
                remove_regular_file(out / "verdict.json")  # (a did-not-finish or failing one is kept)
    with contextlib.suppress(Exception):
        write_report(verdict, out / "report.html")
    if prep.config.junit is not None:  # written first in publish: it read green for a run that exits non-zero
        try:
            write_junit(verdict, out / "results.jsonl", prep.config.junit)
        except Exception:  # noqa: BLE001
            remove_regular_file(prep.config.junit)


def run_gate(
    config: GateConfig,
    *,
    command: str = "eval",
    emit: Callable[[str], None] | None = None,
    env: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
) -> GateResult:
    """Run the whole gate and return the verdict with its exit code.

    1. ``prepare``: validate config, dataset, thresholds, policy, agent, baseline; lock ``out``.
    2. ``replay_and_judge``: run every case through the agent, judge each as it finishes.
    3. ``assess``: metrics, governance summary, drift and every check.
    4. ``build_verdict``: pass / fail / inconclusive and the parts of verdict.json.
    5. ``publish``: verdict.json, report.html, MLflow, promotion, JUnit, GitHub outputs.

    Raises ``GatekitError`` subclasses for bad input (exit 2) before anything runs. An
    unreachable MLflow is reported in the verdict and gives exit code 3 after the local
    files are written. The output folder is locked for the whole run: a second gate on
    the same ``--out`` gets ``ConfigError`` naming the holder. ``env`` (default
    ``os.environ``) and ``stream`` (default stdout) are where GitHub Actions output goes.
    """
    say = emit or (lambda _msg: None)
    t0 = time.perf_counter()
    locks: list[Any] = []
    try:
        prep = prepare(config, command=command, started=datetime.now(UTC), locks=locks)
        if prep.baseline is not None:
            say(f"baseline: {prep.baseline.description} ({prep.baseline.summaries.rows} result rows)")
        judged = replay_and_judge(prep, emit)
        try:
            # drift over large production logs, a baseline's bootstrap: SIGTERM here killed gatekit silently
            # (exit -15) and Ctrl-C left the did-not-finish verdict.json (exit_code 3) behind an exit 130
            with _sigterm_interrupts("deciding the checks", sigint=True):
                assessment = assess(prep, judged)
                verdict = build_verdict(prep, judged, assessment)
        except KeyboardInterrupt:
            from gatekit.pipeline.provisional import remove_unfinished

            remove_unfinished(prep.out)  # as for a stop during the replay: no verdict published, exit 130
            raise
        from gatekit.sinks.mlflow import publish_deadline

        try:
            # Ctrl-C too: a stop whose exception a finalizer swallowed is still acted on (the MLflow requests wait
            # in slices that look at it); every MLflow request of the publish ends by one deadline
            with _sigterm_interrupts("publishing", sigint=True), publish_deadline(config.publish_timeout):
                verdict = publish(verdict, prep, assessment, t0=t0, env=env, stream=stream, say=emit)
        except KeyboardInterrupt:
            _mark_interrupted(verdict, prep, t0)
            raise
        except Exception as exc:
            raised = _mark_failed(verdict, prep, t0, exc)
            if raised is exc:
                raise
            raise raised from None
    finally:
        for lock in locks:
            lock.release()
    log.info("verdict %s, exit %s", verdict.verdict, verdict.exit_code)
    return GateResult(
        verdict=verdict, exit_code=EXIT_INFRA if verdict.exit_code is None else verdict.exit_code, out_dir=prep.out
    )
