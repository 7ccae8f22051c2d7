"""Daemon worker threads for an agent's synchronous code (``python:`` callables, MLflow ``predict``).

Not ``concurrent.futures.ThreadPoolExecutor``: its threads are joined when the interpreter exits,
so one agent call that never returns keeps ``gatekit`` alive after the verdict is written. Here:

* every thread is a daemon, so a stuck call never keeps the process alive;
* a call cut off by the attempt timeout (its awaiting task cancelled) is *abandoned*: the run
  stops using its thread at once and a fresh thread takes its place, so the pool keeps its size;
* the abandoned thread gets :class:`AgentAbandoned` raised inside it (CPython's
  ``PyThreadState_SetAsyncExc``, delivered at the next bytecode), which ends a busy loop that
  would otherwise keep the GIL busy and starve the rest of the run. A call blocked in C code
  (``time.sleep``, a socket read) sees it when it returns; until then it only holds a daemon thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import inspect
import queue
import threading
from collections.abc import Callable
from typing import Any

from gatekit.agents.exit_guard import agent_code

_PENDING, _RUNNING, _DONE, _ABANDONED = range(4)


def escaped_error(exc: BaseException) -> BaseException:
    """What an agent call that raised ``exc`` fails with: ``exc`` itself, or an error of the case.

    ``SystemExit``, ``KeyboardInterrupt``, ``GeneratorExit`` and any other non-``Exception`` raised by
    agent code are no signal to the gate (a real Ctrl-C reaches the main thread, not an agent's):
    re-raised on the gate's loop, ``sys.exit(0)`` in an agent ended gatekit with exit 0 and no verdict.
    """
    if isinstance(exc, Exception):
        return exc
    from gatekit.agents.base import AgentCallError
    from gatekit.agents.exit_guard import AgentExitCalled
    from gatekit.models import ErrorType
    from gatekit.redact import scrub_message_cut

    # (scrubbed, then cut: a key across the cut left its first characters raw)
    if isinstance(exc, AgentExitCalled):
        return AgentCallError(ErrorType.EXCEPTION, scrub_message_cut(str(exc), 300), retryable=False)
    shown = scrub_message_cut(str(exc), 200)
    message = f"the agent raised {type(exc).__name__}({shown!r}), which would end the gate; an error of the case"
    return AgentCallError(ErrorType.EXCEPTION, message, retryable=False)


class AgentAbandoned(BaseException):  # noqa: N818 - raised into user code; not an "Error" it should catch
    """Raised inside an agent call the run has given up on (attempt timeout or shutdown)."""


class _Job:
    __slots__ = ("fn", "loop", "future", "state", "thread")

    def __init__(self, fn: Callable[[], Any], loop: asyncio.AbstractEventLoop, future: asyncio.Future[Any]) -> None:
        self.fn = fn
        self.loop = loop
        self.future = future
        self.state = _PENDING
        self.thread: threading.Thread | None = None


def close_unawaited(value: Any) -> None:
    """Close a coroutine nobody will await (a call abandoned or cancelled): else it warns "never awaited" when collected.

    Anything else is left alone; closing never raises (a coroutine that ignores ``GeneratorExit``, one running).
    """
    if type(value) is tuple:  # (an adapter's job may hand back its answer with the awaitable it got)
        for item in value:
            close_unawaited(item)
    elif inspect.iscoroutine(value):
        with contextlib.suppress(Exception):
            value.close()


def _settle(future: asyncio.Future[Any], result: Any, error: BaseException | None) -> None:
    if future.done():  # the caller was cancelled meanwhile: what the call returned is nobody's
        close_unawaited(result)
        return
    if error is not None:
        future.set_exception(error)
    else:
        future.set_result(result)


def _raise_in(thread: threading.Thread) -> None:
    """Ask CPython to raise ``AgentAbandoned`` in ``thread`` at its next bytecode."""
    if thread.ident is None:
        return
    with contextlib.suppress(Exception):
        ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread.ident), ctypes.py_object(AgentAbandoned))


class AgentThreads:
    """Up to ``size`` daemon threads running synchronous agent calls for one event loop."""

    def __init__(self, size: int, name: str) -> None:
        self.size = max(1, size)
        self.name = name
        self._jobs: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._live = 0  # threads not abandoned
        self._idle = 0  # of those, waiting for a job
        self._serial = 0
        self.abandoned = 0
        self._closed = False
        from gatekit.agents.exit_guard import acquire

        acquire()  # os._exit in an agent call raises there (released by close)

    async def run(self, fn: Callable[[], Any]) -> Any:
        """Run ``fn()`` on a pool thread and return its result; cancelling abandons the call."""
        if self._closed:
            raise RuntimeError("agent threads are closed")
        loop = asyncio.get_running_loop()
        job = _Job(fn, loop, loop.create_future())
        with self._lock:
            if self._idle == 0 and self._live < self.size:
                self._spawn()
        self._jobs.put(job)
        try:
            return await job.future
        except asyncio.CancelledError:
            self._abandon(job)
            future = job.future  # (its result may have come just before the cancellation: nobody's now)
            if future.done() and not future.cancelled() and future.exception() is None:
                close_unawaited(future.result())
            raise

    def _spawn(self) -> None:  # caller holds the lock
        self._serial += 1
        self._live += 1
        thread = threading.Thread(target=self._work, name=f"{self.name}-{self._serial}", daemon=True)
        thread.start()

    def _abandon(self, job: _Job) -> None:
        with self._lock:
            state = job.state
            job.state = _ABANDONED
            if state != _RUNNING or job.thread is None:
                return  # never started (the thread will skip it) or already done
            self._live -= 1
            self.abandoned += 1
            thread = job.thread
        _raise_in(thread)

    def _work(self) -> None:
        me = threading.current_thread()
        result: Any = None
        try:
            while True:
                with self._lock:
                    self._idle += 1
                job = self._jobs.get()
                with self._lock:
                    self._idle -= 1
                    if job is None:
                        self._live -= 1
                        return
                    if job.state == _ABANDONED:
                        continue
                    job.state = _RUNNING
                    job.thread = me
                result = None
                error: BaseException | None = None
                try:
                    with agent_code():
                        result = job.fn()
                except AgentAbandoned:
                    return
                except BaseException as exc:  # noqa: BLE001 - handed to the awaiting task
                    error = escaped_error(exc)
                with self._lock:
                    if job.state == _ABANDONED:
                        close_unawaited(result)
                        return  # written off by a timeout: its place is already taken
                    job.state = _DONE
                try:
                    job.loop.call_soon_threadsafe(_settle, job.future, result, error)
                except RuntimeError:  # the loop is gone: nobody waits any more
                    close_unawaited(result)
                result = None
        except AgentAbandoned:
            close_unawaited(result)  # (abandoned between the call's return and its hand-over)
            return

    def close(self) -> None:
        """Let idle threads exit; running calls are abandoned (daemon threads never block exit)."""
        if not self._closed:
            from gatekit.agents.exit_guard import release

            release()
        self._closed = True
        with self._lock:
            live = self._live
        for _ in range(live):
            self._jobs.put(None)
