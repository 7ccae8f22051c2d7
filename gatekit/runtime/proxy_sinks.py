"""The proxy's production-log rows and decision traces: encoded at once, written in batches after the answer.

The in-process guard writes one line per record with ``json.dumps`` and one ``write(2)`` each. At a
thousand requests a second that is three syscalls and ~35 us of JSON encoding per request on the
proxy's single event loop — CPU that queues every other request behind it. In the proxy, records are
handed over on the enforcer's background writer thread; here each one is checked (rows:
:func:`gatekit.production.schema.make_row`) and encoded (orjson when installed, the standard library
otherwise) on that thread, appended to an in-memory batch, and the batch is written with one
``write(2)`` on an ``O_APPEND`` descriptor a few milliseconds later, from the event loop.

Guarantees:

* a record handed over is on disk within ``delay_s`` (default 5 ms) while the proxy runs, and
  :meth:`JsonlBatch.close` (called when the proxy stops, also on SIGTERM) writes whatever is pending;
* lines are never split nor interleaved, also with several processes (proxies, guards) appending to one
  file: a batch is whole lines, written through :meth:`gatekit.fsio.LogFile.append` (one ``write(2)`` with
  ``O_APPEND``; the rest of a line a full disk cut is finished only when no other process appended since, and a
  batch that finds the file ending inside another process's cut line starts on a new line);
* a record that cannot be built or encoded, or a line lost to a failed write, is counted
  (``failures``, ``last_error``) and logged once; it never raises into a request. Lines a full disk refused wait in
  memory (up to :data:`gatekit.fsio.MAX_QUEUED` bytes) and go first in the next batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from pathlib import Path
from typing import Any

from gatekit.fsio import LogFile
from gatekit.redact import display_path, scrub_message

log = logging.getLogger("gatekit.runtime")

_orjson: Any
try:  # orjson: ~10x faster encoding; optional (the standard library gives the same JSON)
    import orjson as _orjson
except ImportError:  # pragma: no cover - exercised where orjson is not installed
    _orjson = None


def dumps_line(record: Any) -> bytes:
    """One compact UTF-8 JSON line (newline-terminated); anything not JSON becomes its ``str``.

    orjson refuses what it cannot represent exactly (integers over 64 bits, lone surrogates); those
    records take the standard library's path, so the same records are accepted either way.
    """
    if _orjson is not None:
        try:
            return _orjson.dumps(record, default=str, option=_orjson.OPT_APPEND_NEWLINE)
        except (TypeError, ValueError):
            pass
    # ASCII escapes: a lone surrogate stays a valid JSON escape instead of failing the UTF-8 encoding
    try:
        text = json.dumps(record, ensure_ascii=True, default=str, separators=(",", ":"), allow_nan=False)
    except ValueError:  # NaN / Infinity are not JSON: written null, as orjson writes them
        from gatekit.jsonio import finite_or_none

        text = json.dumps(
            finite_or_none(record), ensure_ascii=True, default=str, separators=(",", ":"), allow_nan=False
        )
    return text.encode("ascii") + b"\n"


class JsonlBatch:
    """Whole JSON lines appended to one file in batches (thread-safe; see the module docstring)."""

    def __init__(self, path: str | Path, what: str, delay_s: float = 0.005, kind: str = "lines") -> None:
        self.path = Path(path)
        self.what = what
        self.kind = kind  # the ``sink`` label in /metrics
        self.delay_s = delay_s
        self.written = 0  # lines on disk
        self.failures = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._pending: list[bytes] = []
        self._scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._file = LogFile(self.path)  # the same appends as the production-log writer's

    @property
    def name(self) -> str:
        """The file, for messages."""
        return str(self.path)

    def attach(self, loop: asyncio.AbstractEventLoop | None) -> None:
        """Write batches from ``loop`` (the proxy's); with no loop attached every line is written at once."""
        self._loop = loop
        self._loop_thread = threading.get_ident() if loop is not None else None
        if loop is None:
            self.flush()

    def add(self, line: bytes) -> None:
        """Queue one encoded line; it is written within ``delay_s``."""
        loop = self._loop
        with self._lock:
            self._pending.append(line)
            if self._scheduled and loop is not None and not loop.is_closed():
                return
            self._scheduled = True
        if loop is None or loop.is_closed():  # no loop (any more) to write later: now
            self.flush()
        elif threading.get_ident() == self._loop_thread:
            loop.call_later(self.delay_s, self.flush)
        else:  # from the enforcer's writer thread (or a worker thread that checked a long text)
            try:
                loop.call_soon_threadsafe(loop.call_later, self.delay_s, self.flush)
            except RuntimeError:  # the loop closed meanwhile
                self.flush()

    def flush(self) -> None:
        """Write every pending line now (one ``write(2)``, :meth:`gatekit.fsio.LogFile.append`).

        A write that fails part way (a full disk, a file-size limit) leaves the line it cut unfinished in the file;
        its rest is written first next time if no other process appended since (else that line is lost, counted),
        and the lines after it wait for the next batch: a later batch is never glued to half a line (which would
        make the readers refuse the whole file).
        """
        with self._lock:
            batch, self._pending = self._pending, []
            self._scheduled = False
            file = self._file
            if not batch and not file.pending:
                return
            lost_before = file.lines_lost
            error: BaseException | None = None
            try:
                file.append(b"".join(batch))
            except OSError as exc:
                error = exc
            self.written = file.lines_written
            lost = file.lines_lost - lost_before
        if lost or error is not None:  # lines only waiting for room are not counted lost; the error is kept
            self.fail(
                error or OSError("a line cut by a failed write was not finished: another process wrote since"), lost
            )

    def fail(self, exc: BaseException, count: int = 1) -> None:
        """Count ``count`` records lost to ``exc``; log the first failure."""
        with self._lock:
            self.failures += count
            first = self.last_error is None
            self.last_error = scrub_message(f"{type(exc).__name__}: {exc}")[:500]  # a path, a value: scrubbed
        if first:
            log.warning("gatekit guard: %s %s: records not written (%s); counted, requests are not affected",
                        self.what, display_path(self.path), self.last_error)  # fmt: skip

    def close(self) -> None:
        """Write what is pending and close the file (a later record reopens it).

        Lines that still cannot be written (a full disk) are counted lost: nothing is left to write them.
        """
        self.flush()
        with self._lock:
            file = self._file
            lost = file.lines_lost
            failed = file.close()
            if failed is not None:
                file.discard()
                if file.handle is not None:
                    handle, file.handle = file.handle, None
                    with contextlib.suppress(OSError):
                        handle.close()
            self.written = file.lines_written
            lost = file.lines_lost - lost
        if lost:
            self.fail(failed or OSError("lines not written at close"), lost)


class TraceFile:
    """A decision-trace sink for :class:`gatekit.runtime.Enforcer` (``trace_to=``): each record as one line."""

    def __init__(self, path: str | Path, delay_s: float = 0.005) -> None:
        self.batch = JsonlBatch(path, "decision traces", delay_s, kind="traces")
        self.__name__ = str(path)  # the name the enforcer's TraceSink shows for a callable

    def __call__(self, record: dict[str, Any]) -> None:
        """Encode ``record`` and queue it (an encoding error raises: the enforcer counts it on its sink)."""
        self.batch.add(dumps_line(record))


class RowFile:
    """A production-log sink for :class:`gatekit.runtime.Enforcer` (``log_to=``): rows checked, then batched.

    The same contract as :class:`gatekit.production.writer.ProductionLogWriter` (``write(**fields)``
    returns False on a bad row, counted), written in batches.
    """

    def __init__(self, path: str | Path, delay_s: float = 0.005) -> None:
        self.batch = JsonlBatch(path, "production log", delay_s, kind="rows")
        self.path = Path(path)

    @property
    def rows_written(self) -> int:
        """Rows on disk."""
        return self.batch.written

    @property
    def failures(self) -> int:
        """Rows refused by the schema check or lost to a failed write."""
        return self.batch.failures

    @property
    def last_error(self) -> str | None:
        """The latest failure, for messages."""
        return self.batch.last_error

    def write(self, **fields: Any) -> bool:
        """Check one row against the production-log schema and queue it; False (counted) when it is refused."""
        from gatekit.production.schema import make_row

        try:
            line = dumps_line(make_row(**fields))
        except Exception as exc:  # noqa: BLE001 - a log sink must never fail the request; counted and reported
            self.batch.fail(exc)
            return False
        self.batch.add(line)
        return True

    def close(self) -> None:
        """Write what is pending and close the file."""
        self.batch.close()
