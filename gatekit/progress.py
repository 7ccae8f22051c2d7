"""Replay progress: a rich bar on a terminal, plain periodic lines in CI or a pipe.

Shows done/total, errors so far, rate and ETA. The plain form prints at most one line per
``every_s`` seconds (and at the end), so CI logs stay short.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

from gatekit.fmt import noun


def is_interactive(stream: TextIO | None = None) -> bool:
    """True on a terminal outside CI (``CI=true`` forces plain output)."""
    stream = stream or sys.stderr
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


def _eta(seconds: float | None) -> str:
    if seconds is None:
        return "?"
    seconds = int(seconds)
    if seconds >= 3600:
        return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"
    return f"{seconds // 60}m{seconds % 60:02d}s"


class Progress:
    """Counts finished cases and shows them; use as a context manager around the replay."""

    def __init__(
        self,
        total: int,
        *,
        done: int = 0,
        errors: int = 0,
        emit: Callable[[str], None] | None = None,
        interactive: bool | None = None,
        every_s: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.total = total
        self.done = done
        self.errors = errors
        self.resumed = done
        self.emit = emit
        self.interactive = is_interactive() if interactive is None else interactive
        self.every_s = every_s
        self.clock = clock
        self.started = clock()
        self._last_line = self.started
        self._bar: Any = None
        self._task: Any = None

    def __enter__(self) -> Progress:
        if self.emit is not None and self.interactive:
            from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeRemainingColumn
            from rich.progress import Progress as RichProgress

            self._bar = RichProgress(
                TextColumn("replay"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("[red]{task.fields[errors]} errors"),
                TextColumn("{task.fields[rate]}"),
                TextColumn("ETA"),
                TimeRemainingColumn(),
                transient=True,
                console=None,
            )
            self._bar.start()
            self._task = self._bar.add_task(
                "replay", total=self.total, completed=self.done, errors=self.errors, rate=""
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None
        if self.emit is not None:
            self.emit(self.line())

    def rate(self) -> float | None:
        """Cases per second in this process (resumed cases excluded)."""
        elapsed = self.clock() - self.started
        fresh = self.done - self.resumed
        return fresh / elapsed if elapsed > 0 and fresh > 0 else None

    def line(self) -> str:
        """One plain status line."""
        rate = self.rate()
        left = self.total - self.done
        eta = left / rate if rate else None
        rate_text = f"{rate:.1f} cases/s" if rate else "- cases/s"
        cases, errors = noun(self.total, "case"), noun(self.errors, "error")
        return f"  replay {self.done}/{self.total} {cases}, {self.errors} {errors}, {rate_text}, ETA {_eta(eta)}"

    def advance(self, ok: bool) -> None:
        """Count one finished case and refresh the display."""
        self.done += 1
        if not ok:
            self.errors += 1
        if self.emit is None:
            return
        if self._bar is not None:
            rate = self.rate()
            self._bar.update(self._task, completed=self.done, errors=self.errors, rate=f"{rate:.1f}/s" if rate else "")
            return
        now = self.clock()
        if now - self._last_line >= self.every_s and self.done < self.total:
            self._last_line = now
            self.emit(self.line())
