"""Append production-log rows to a JSON Lines file, safely from many threads and asyncio tasks.

One JSON object per line, written per row with one ``os.write`` on an ``O_APPEND`` descriptor (whole rows: two
processes appending to one log never mix their rows; a row cut by a full disk is dropped, not finished later), so
that ``gatekit watch`` and ``gatekit canary`` read
what was written without waiting for the process to end. A row is built and checked with
``gatekit.production.schema.make_row`` before it is written; a write that fails is counted (and
the first error kept), never raised into the caller's request path — a failing log must not take
the agent down, and the counts are reported (``failures``, ``last_error``).
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import Any

from gatekit.fsio import LogFile
from gatekit.production.schema import make_row
from gatekit.redact import display_path, scrub_message

log = logging.getLogger(__name__)


class ProductionLogWriter:
    """Append-only JSONL writer of production-log rows (thread-safe; one ``write`` per request)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.rows_written = 0
        self.failures = 0
        self.last_error: str | None = None
        self._lock = threading.Lock()
        self._file = LogFile(self.path)

    def write(self, **fields: Any) -> bool:
        """Check and append one row; True when written, False when it failed (counted, logged once per kind)."""
        try:
            line = json.dumps(make_row(**fields), ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
            with self._lock:
                self._file.append(line)  # one os.write of the whole line: never mixed with another process's row
                self.rows_written += 1
            return True
        except Exception as exc:  # noqa: BLE001 - a log sink must never fail the request; counted and reported
            with self._lock:
                self.failures += 1
                first = self.last_error is None
                self.last_error = scrub_message(f"{type(exc).__name__}: {exc}")  # a path, a value: scrubbed
            if first:
                log.warning("production log %s: a row was not written (%s)", display_path(self.path), self.last_error)
            return False

    def close(self) -> None:
        """Flush and close the file (further writes reopen it); a failure is counted and logged, never raised.

        Rows that cannot be written at close (a full disk) stay buffered in the open file, written first by the
        next write or close: a row cut by the failure is finished, never glued to a later one.
        """
        with self._lock:
            failed = self._file.close()
        if failed is None:
            return
        with self._lock:
            self.failures += 1
            first = self.last_error is None
            self.last_error = scrub_message(f"{type(failed).__name__}: {failed}")
        if first:
            log.warning("production log %s: rows not written at close (%s)", display_path(self.path), self.last_error)

    def __enter__(self) -> ProductionLogWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
