"""A stop (SIGTERM, Ctrl-C) during long work ends the command with exit 130 and no result, whatever swallowed it.

One mechanism for the gate (``gatekit eval`` / ``promote``) and the standalone ``gatekit drift``, ``canary`` and
``watch``: inside :func:`stops_interrupt`, SIGTERM (and with ``sigint``, SIGINT) raises ``ReplayInterrupted`` (a
``KeyboardInterrupt``). DuckDB turns that interrupt of a running query into its own exception (``RuntimeError:
Query interrupted``, ``duckdb.InterruptException``), which the code around the query reported as bad data, an
internal error (exit 3) or a failed drift check (a published FAIL). So a stop is remembered: an exception that
leaves the block after a stop, or a block that ends normally after one, raises ``ReplayInterrupted`` again;
long loops call :func:`raise_if_stopped` after catching an error. The caller maps ``KeyboardInterrupt`` to exit
130 (``EXIT_INTERRUPTED``, SIGTERM as Ctrl-C: the gate's convention) and publishes no result.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

_T = TypeVar("_T")

EXIT_INTERRUPTED = 130

_stopped: list[str] = []  # signal names received inside the active blocks (main thread only)
_depth = [0]  # blocks entered and not left


def raise_if_stopped(stage: str) -> None:
    """Raise ``ReplayInterrupted`` when a stop arrived inside an active block (an error may have hidden it)."""
    from gatekit.replay import ReplayInterrupted

    if _stopped:
        raise ReplayInterrupted(f"stopped by {_stopped[0]} while {stage}")


@contextlib.contextmanager
def stops_interrupt(stage: str, *, sigint: bool = False) -> Iterator[None]:
    """SIGTERM (and with ``sigint`` Ctrl-C) raises ``ReplayInterrupted`` in the block; see the module docstring.

    Outside the main thread (no signal handlers there) the block runs unchanged.
    """
    import signal
    import threading

    from gatekit.replay import ReplayInterrupted

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, _frame: Any) -> None:
        name = signal.Signals(signum).name
        _stopped.append(name)
        raise ReplayInterrupted(f"stopped by {name} while {stage}")

    hook = sys.unraisablehook

    def quiet(unraisable: Any) -> None:
        # the stop raised inside a finalizer (``__del__`` of a closing connection) is ignored there, and raised
        # again when the block ends: no "Exception ignored in ..." traceback for it
        if not (_stopped and isinstance(unraisable.exc_value, KeyboardInterrupt)):
            hook(unraisable)

    signals = [signal.SIGTERM, signal.SIGINT] if sigint else [signal.SIGTERM]
    previous = {signum: signal.signal(signum, stop) for signum in signals}
    if not _depth[0]:
        _stopped.clear()
    _depth[0] += 1
    sys.unraisablehook = quiet
    try:
        try:
            yield
        except KeyboardInterrupt:
            raise
        except BaseException as exc:
            if _stopped:  # the stop came out as another error (DuckDB's, a DatasetError around it): a stop
                raise ReplayInterrupted(f"stopped by {_stopped[0]} while {stage}") from exc
            raise
        raise_if_stopped(stage)
    finally:
        sys.unraisablehook = hook
        for signum, handler in previous.items():
            signal.signal(signum, handler)
        _depth[0] -= 1
        if not _depth[0]:  # an inner block's stop stays seen by the outer one
            _stopped.clear()


def call_until(
    call: Callable[[], _T], end: float, late: Callable[[], BaseException], stage: str | None, name: str
) -> _T:
    """``call()`` on a daemon thread, waited for until ``time.monotonic()`` reaches ``end``, then ``raise late()``.

    The wait is short slices, so a stop (SIGTERM / Ctrl-C, whose handler may have been swallowed elsewhere) is acted
    on within 0.1 s through :func:`raise_if_stopped` (``stage`` names it; None: no stop is checked, for a clean-up
    that must run). A call still running at the deadline is left to its daemon thread: what it returns is dropped.
    What it raises is raised here.
    """
    import threading
    import time

    if stage is not None:
        raise_if_stopped(stage)
    if time.monotonic() >= end:
        raise late()
    box: dict[str, Any] = {}
    done = threading.Event()

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name=name, daemon=True).start()
    while not done.wait(max(0.0, min(0.1, end - time.monotonic()))):
        if stage is not None:
            raise_if_stopped(stage)
        if time.monotonic() >= end:
            raise late()
    if "error" in box:
        raise box["error"]
    return box["value"]  # type: ignore[no-any-return]
