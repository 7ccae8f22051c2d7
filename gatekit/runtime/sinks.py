"""Where decisions go: a decision-trace JSONL file (or any callable), OpenTelemetry spans.

A sink never raises into the agent: a failure is counted on the sink and logged once.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import json
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gatekit.fsio import LogFile
from gatekit.redact import display_path, has_request_secrets, scrub_message

log = logging.getLogger("gatekit.runtime")
# one encoder for every record (``json.dumps`` with these options builds a new one per call)
_ENCODER = json.JSONEncoder(ensure_ascii=False, default=str, separators=(",", ":"), allow_nan=False)


def _encode(record: dict[str, Any]) -> str:
    """One JSON line of ``record``; a non-finite number (a caller's NaN context value) is written null, never ``NaN``.

    ``NaN`` / ``Infinity`` are not JSON: one such line made strict readers (``jq``, ``JSON.parse``) refuse the
    trace file; the proxy's orjson encoder writes null, and so does this sink.
    """
    try:
        return _ENCODER.encode(record)
    except ValueError:
        from gatekit.jsonio import finite_or_none

        return _ENCODER.encode(finite_or_none(record))


class TraceSink:
    """Append decision-trace records (``governance_traces.jsonl`` rows) to a file or hand them to a callable.

    A file is written through :meth:`gatekit.fsio.LogFile.append`, as the production log is: whole lines in one
    ``os.write`` on an ``O_APPEND`` descriptor, so trace lines of two processes sharing one file are never glued
    and a line a full disk cut is never finished after another process's line.
    """

    def __init__(self, target: str | Path | Callable[[dict[str, Any]], Any]) -> None:
        self.target = target
        self.written = 0
        self.failures = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._file = LogFile(target) if not callable(target) else None
        self._lines: list[str] = []  # encoded lines not yet handed to the file (``flush=False``)
        self._size = 0

    @property
    def name(self) -> str:
        """What the sink writes to, for messages."""
        return str(self.target) if not callable(self.target) else getattr(self.target, "__name__", "callable")

    def write(self, record: dict[str, Any], flush: bool = True) -> bool:
        """Write one record; False (logged once) when it or a line kept before could not be written.

        ``failures`` counts the lines lost; a line a full disk refused waits (see :class:`gatekit.fsio.LogFile`).

        ``flush=False`` keeps the line until :meth:`flush` (the background writer flushes once per batch of
        records, whenever its queue runs empty, and before it stops), or until ``_BATCH_BYTES`` are kept.
        """
        try:
            if callable(self.target):
                result = self.target(record)
                if inspect.isawaitable(result):  # an async callable: nothing awaits it, the record would be lost
                    close = getattr(result, "close", None)
                    if callable(close):
                        close()
                    raise TypeError("trace_to returned an awaitable (an async callable): pass a synchronous one")
                with self._lock:
                    self.written += 1
                return True
            line = _encode(record) + "\n"
        except Exception as exc:  # noqa: BLE001 - a trace sink must never fail the agent; counted and reported
            note_failure(self, exc, "decision trace")
            return False
        with self._lock:
            self._lines.append(line)
            self._size += len(line)
            if not flush and self._size < _BATCH_BYTES:
                return True
        return self._write_kept()

    def _write_kept(self) -> bool:
        """Hand the kept lines to the file in one append; False when a line was lost or the write failed."""
        assert self._file is not None  # (a path target)
        error: BaseException | None = None
        with self._lock:
            lines, self._lines, self._size = self._lines, [], 0
            lost = self._file.lines_lost
            try:
                self._file.append("".join(lines))
            except Exception as exc:  # noqa: BLE001 - counted below; lines only waiting for room are kept
                error = exc
            self.written = self._file.lines_written
            lost = self._file.lines_lost - lost
        if lost or error is not None:
            # counted: the lines lost; lines only waiting for room (written first next time) are not, the error is kept
            note_failure(self, error or OSError("a trace line cut by a full disk was lost"), "decision trace", lost)
            return False
        return True

    def flush(self) -> None:
        """Write kept lines to the file (a failure is counted, never raised)."""
        if self._file is not None and (self._lines or self._file.pending):
            self._write_kept()

    def close(self) -> None:
        """Close the file (a later write reopens it); a failure is counted, never raised.

        When the lines cannot be written (a full disk) the file stays open with them: the next write or close
        writes them first (a cut line is finished only if no other process appended since).
        """
        if self._file is None:
            return
        self.flush()
        with self._lock:
            lost = self._file.lines_lost
            failed = self._file.close()
            self.written = self._file.lines_written
            lost = self._file.lines_lost - lost
        if failed is not None or lost:  # the lines not written stay: written first by the next write
            note_failure(self, failed or OSError("a trace line cut by a full disk was lost"), "decision trace", lost)


_BATCH_BYTES = 64 * 1024  # trace lines kept at most before they are written (``TraceSink.write(flush=False)``)


def note_failure(sink: Any, exc: BaseException, what: str, count: int = 1) -> None:
    """Count ``count`` failures on ``sink`` (``failures``, ``last_error``) and log the first one."""
    lock = getattr(sink, "_lock", None)
    if lock is not None:
        lock.acquire()
    try:
        sink.failures += count
        first = sink.last_error is None
        sink.last_error = scrub_message(f"{type(exc).__name__}: {exc}")[:500]  # a path, a value: scrubbed
    finally:
        if lock is not None:
            lock.release()
    if first:
        log.warning("gatekit guard: %s sink %s failed (%s); counted, the agent is not affected", what,
                    display_path(getattr(sink, "name", "?")), sink.last_error)  # fmt: skip


# OpenTelemetry GenAI security conventions (open-telemetry/semantic-conventions-genai#427, development status):
# the verdict the guardrail returned, and separately the action the caller enforced
VERDICT_TYPE = {"allow": "allow", "allow_with_redaction": "modify", "require_review": "warn", "deny": "deny"}
ACTION_TYPE = {"allow": "allow", "allow_with_redaction": "modify", "require_review": "escalate", "deny": "block"}


MAX_ATTRIBUTE_CHARS = 512  # characters kept of a span attribute's text, as of a production-log row's text column


class SpanSink:
    """One ``run_guardrail`` span per decision on an OpenTelemetry tracer: ids and verdicts, never content.

    Text attribute values (each item of a list) are cut to ``MAX_ATTRIBUTE_CHARS`` after they were scrubbed.
    """

    def __init__(self, tracer: Any) -> None:
        if tracer is True:
            from opentelemetry import trace

            tracer = trace.get_tracer("gatekit.runtime")
        self.tracer = tracer
        self.written = 0
        self.failures = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self.name = "opentelemetry"

    def emit(self, decision: Any, target_type: str, start_ns: int, end_ns: int, guardian_version: str) -> None:
        """Record ``decision`` (a :class:`GuardDecision`) as a finished span."""
        try:
            attributes: dict[str, Any] = {
                "gen_ai.operation.name": "run_guardrail",
                "gen_ai.security.guardrail.name": "gatekit",
                "gen_ai.security.guardrail.version": guardian_version,
                "gen_ai.security.target.type": target_type,
                "gen_ai.security.verdict.type": VERDICT_TYPE[decision.outcome],
                "gen_ai.security.action.type": ACTION_TYPE[decision.enforced],
                "gen_ai.security.policy.id": decision.policy_id,
                "gen_ai.security.policy.version": decision.policy_version,
                "gen_ai.security.policy.rule.id": decision.rule_ids,
                "gen_ai.security.content.redacted": bool(decision.redactions),
                "gatekit.request_id": decision.request_id,
                "gatekit.policy.sha256": decision.policy_sha256,
            }
            if decision.tool_name is not None:
                attributes["gen_ai.tool.name"] = decision.tool_name
            for key, value in attributes.items():  # an agent's tool name, a caller's request id: bounded
                if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_CHARS:
                    attributes[key] = value[:MAX_ATTRIBUTE_CHARS]
                elif isinstance(value, list | tuple):
                    attributes[key] = [v[:MAX_ATTRIBUTE_CHARS] if isinstance(v, str) else v for v in value]
            span = self.tracer.start_span(
                f"run_guardrail gatekit {target_type}", start_time=start_ns, attributes=attributes
            )
            span.end(end_time=end_ns)
            with self._lock:
                self.written += 1
        except Exception as exc:  # noqa: BLE001 - telemetry must never fail the agent
            note_failure(self, exc, "OpenTelemetry")


class BackgroundWriter:
    """One daemon thread that runs write jobs in order, off the request path; a full queue drops and counts."""

    def __init__(self, max_pending: int = 100_000) -> None:
        self.max_pending = max_pending
        self.failures = 0  # jobs dropped (queue full) or that raised
        self.last_error: str | None = None
        self.written = 0
        self.name = "background writer"
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._pending = 0
        self._closed = False
        # called whenever the queue runs empty, before a flush() returns and before the thread stops
        self.idle_hooks: list[Callable[[], Any]] = []
        self._thread = threading.Thread(target=self._run, name="gatekit-guard-writer", daemon=True)
        self._thread.start()
        self._finalizer = weakref.finalize(self, BackgroundWriter._stop, self._queue, self._thread)

    def submit(self, job: Callable[[], Any]) -> None:
        """Queue ``job``; dropped (and counted) when the queue is full. After :meth:`close` it runs here, at once.

        (A request still answering while the service shuts down lost its row and decision traces to a closed writer.)

        Inside a request that has credentials of its own to mask (:func:`gatekit.redact.request_secrets`), the job
        runs in a copy of the request's context, so what it writes is masked as the request's own records are.
        """
        if has_request_secrets():
            job = functools.partial(contextvars.copy_context().run, job)
        with self._lock:
            closed = self._closed
            if not closed and self._pending >= self.max_pending:
                self.failures += 1
                first = self.last_error is None
                self.last_error = "queue full: record dropped"
                if first:
                    log.warning("gatekit guard: %s; counted, the agent is not affected", self.last_error)
                return
            if not closed:
                self._pending += 1
                # queued under the lock: close() sets _closed under it before its stop marker is queued, so a job
                # accepted here is always ahead of the marker (queued after the lock, it could land behind it: lost)
                self._queue.put(job)
                return
        # the thread is stopped (or stopping): written in the caller, kept lines flushed after it
        try:
            job()
        except Exception as exc:  # noqa: BLE001 - the jobs count their own failures; this is a last resort
            note_failure(self, exc, "background")
        self._idle()

    def _run(self) -> None:
        jobs = self._queue
        while True:
            job = jobs.get()
            if job is None:
                self._idle()
                return
            if isinstance(job, threading.Event):
                self._idle()
                job.set()
                continue
            try:
                job()
            except Exception as exc:  # noqa: BLE001 - the jobs count their own failures; this is a last resort
                note_failure(self, exc, "background")
            finally:
                with self._lock:
                    self._pending -= 1
                    self.written += 1
            if jobs.empty():
                self._idle()

    def _idle(self) -> None:
        for hook in self.idle_hooks:
            try:
                hook()
            except Exception as exc:  # noqa: BLE001 - a hook counts its own failures; this is a last resort
                note_failure(self, exc, "background")

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until the jobs queued so far have run."""
        if not self._thread.is_alive():  # closed: what came after ran at once; in time when nothing was left
            with self._lock:
                return self._closed and self._pending == 0
        done = threading.Event()
        self._queue.put(done)
        return done.wait(timeout_s)

    def close(self) -> None:
        """Run what is queued, then stop the thread."""
        with self._lock:
            self._closed = True
        self._finalizer()

    @staticmethod
    def _stop(jobs: queue.SimpleQueue[Any], thread: threading.Thread) -> None:
        jobs.put(None)
        if thread.is_alive() and thread is not threading.current_thread():
            thread.join(timeout=30)
