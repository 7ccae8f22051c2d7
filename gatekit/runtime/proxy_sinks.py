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
* lines are never split nor interleaved, also with several worker processes appending to one file:
  a batch is whole lines, written by one ``write(2)`` with ``O_APPEND`` (a short write is continued);
* a record that cannot be built or encoded, or a batch that cannot be written, is counted
  (``failures``, ``last_error``) and logged once; it never raises into a request.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import threading
from pathlib import Path
from typing import Any

from gatekit.fsio import file_identity, moved_away
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
        self._fd: int | None = None
        self._carry = b""  # the rest of a line a failed write cut: written first by the next flush
        self._identity = (0, 0)
        self._where = ""  # the file's absolute path when first opened (a later chdir does not move the log)

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
        """Write every pending line now (one ``write(2)``).

        A write that fails part way (a full disk, a file-size limit) leaves the line it cut unfinished in the file;
        the rest of that line is kept and written first next time, so a later batch is never glued to half a line
        (which would make the readers refuse the whole file). The lines after it in the batch are counted lost.
        """
        with self._lock:
            batch, self._pending = self._pending, []
            self._scheduled = False
            carry = self._carry
            if not batch and not carry:
                return
            data = carry + b"".join(batch)
            done = 0
            try:
                if self._fd is not None and not carry and moved_away(self._where, self._identity):
                    fd, self._fd = self._fd, None  # rotated away: the lines go to a new file at the path
                    os.close(fd)
                if self._fd is None:
                    self._where = self._where or os.path.abspath(self.path)
                    Path(self._where).parent.mkdir(parents=True, exist_ok=True)
                    self._fd = os.open(self._where, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC, 0o600)
                    self._identity = file_identity(self._fd)
                view = memoryview(data)
                while done < len(data):
                    done += os.write(self._fd, view[done:])
                self._carry = b""
                self.written += len(batch) + (1 if carry else 0)
                return
            except OSError as exc:
                error: BaseException = exc
                whole = data.count(b"\n", 0, done)  # lines now complete on disk
                start = data.rfind(b"\n", 0, done) + 1  # where the line being written begins in ``data``
                if done > start or (start == 0 and carry):  # that line is begun in the file: finish it next time
                    self._carry = data[done : data.index(b"\n", done) + 1]
                else:
                    self._carry = b""
                self.written += whole
                lost = len(batch) + (1 if carry else 0) - whole - (1 if self._carry else 0)
        if lost:
            self.fail(error, lost)

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
        """Write what is pending and close the file (a later record reopens it)."""
        self.flush()
        with self._lock:
            cut, self._carry = self._carry, b""
            if self._fd is not None:
                try:
                    os.close(self._fd)
                finally:
                    self._fd = None
        if cut:  # still unfinished: the line is lost (the file ends with part of it)
            self.fail(OSError("a line cut by a failed write could not be finished"))


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
