"""``os._exit`` inside in-process agent code raises instead of ending gatekit (``python:`` and MLflow agents).

``os._exit(0)`` ends the process at once, without ``SystemExit``: called by a ``python:`` agent it ended
``gatekit eval`` / ``promote`` with exit 0 and no verdict, which a CI step gating on the exit code read as a PASS.
While an in-process agent is open (:func:`guarding`, counted, so concurrent cases and nested users share one
install), ``os._exit`` (and ``posix._exit``) is a function that raises :class:`AgentExitCalled` when called from
agent code: a thread running an agent call (:func:`agent_code`, the agent's worker threads and event loop) or the
import of a ``python:`` agent's module. The agent's worker thread turns it into an error of the case
(:func:`gatekit.agents.threads.escaped_error`). Anywhere else (gatekit's own threads, a thread the agent started
itself, a child process forked meanwhile) it exits for real; such an exit leaves the failing verdict.json written
before the replay (``gatekit.pipeline.provisional``). When the last user closes, the real function is put back.

The same holds for the other ways agent code stops the gate's own process: ``_thread.interrupt_main()`` and a
stopping signal (``SIGINT``, ``SIGTERM``, ``SIGKILL``, ``SIGHUP``, ``SIGQUIT``) sent to it — ``os.kill`` of its pid
(or its process group: ``0``, ``-pgid``, ``-1``), ``os.killpg`` of its group, ``signal.raise_signal``,
``signal.pthread_kill`` of its main thread. They were taken for the user's Ctrl-C or a CI cancel: the run stopped
with exit 130, "interrupted ... rerun with --resume", no verdict (or, for ``SIGKILL``, died). They raise
:class:`AgentExitCalled` in agent code now; a signal to another process (a child the agent started) is sent.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import weakref
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

_lock = threading.Lock()
_users = 0
_owner_pid = 0
_saved: list[tuple[Any, str, Callable[..., Any]]] = []  # (module, name, the real function) while installed
_local = threading.local()  # depth: > 0 while this thread runs agent code


class AgentExitCalled(BaseException):  # noqa: N818 - raised into agent code; an ``except Exception`` must not eat it
    """Agent code called ``os._exit``; the case fails instead of the gate process ending."""


def _real(module: Any, name: str) -> Callable[..., Any]:
    for saved_module, saved_name, real in _saved:
        if saved_module is module and saved_name == name:
            return real
    return getattr(module, name)  # type: ignore[no-any-return]


def _in_agent_code() -> bool:
    """This thread of the gate's own process runs agent code (a forked child is never the gate)."""
    return os.getpid() == _owner_pid and getattr(_local, "depth", 0) > 0


def _guarded_exit(status: int) -> NoReturn:
    """``os._exit`` while an agent is open: raise in agent code of this process, else exit for real."""
    if not _in_agent_code():
        _real(os, "_exit")(status)
        raise AssertionError("unreachable")  # (os._exit does not return)
    raise AgentExitCalled(
        f"os._exit({status!r}) called by agent code: gatekit does not end without a verdict; the case fails"
    )


# signals that stop the gate (its Ctrl-C / SIGTERM handling, or the end of the process)
_STOPPING = frozenset(
    getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGKILL", "SIGHUP", "SIGQUIT") if hasattr(signal, name)
)


def _stops_gate(signum: Any) -> bool:
    try:
        return int(signum) in _STOPPING
    except (TypeError, ValueError):
        return False


def _refused(call: str) -> AgentExitCalled:
    return AgentExitCalled(
        f"{call} called by agent code would stop the gate (taken for a Ctrl-C or a cancel: no verdict); the case fails"
    )


def _signal_name(signum: Any) -> str:
    try:
        return signal.Signals(int(signum)).name
    except (TypeError, ValueError):
        return repr(signum)


def _guarded_kill(pid: int, signum: int) -> None:
    """``os.kill``: a stopping signal from agent code to the gate's process (or its group, or every process) raises."""
    if _in_agent_code() and _stops_gate(signum):
        group = os.getpgrp() if hasattr(os, "getpgrp") else None
        if pid in (_owner_pid, 0, -1) or (group is not None and pid == -group):
            raise _refused(f"os.kill({pid}, {_signal_name(signum)})")
    _real(os, "kill")(pid, signum)


def _guarded_killpg(pgid: int, signum: int) -> None:
    if _in_agent_code() and _stops_gate(signum) and pgid in (0, os.getpgrp()):
        raise _refused(f"os.killpg({pgid}, {_signal_name(signum)})")
    _real(os, "killpg")(pgid, signum)


def _guarded_raise_signal(signum: int) -> None:
    if _in_agent_code() and _stops_gate(signum):
        raise _refused(f"signal.raise_signal({_signal_name(signum)})")
    _real(signal, "raise_signal")(signum)


def _guarded_pthread_kill(thread_id: int, signum: int) -> None:
    if _in_agent_code() and _stops_gate(signum) and thread_id == threading.main_thread().ident:
        raise _refused(f"signal.pthread_kill(<the main thread>, {_signal_name(signum)})")
    _real(signal, "pthread_kill")(thread_id, signum)


def _guarded_interrupt_main(*args: Any, **kwargs: Any) -> None:
    if _in_agent_code():
        raise _refused("_thread.interrupt_main()")
    _real(sys.modules["_thread"], "interrupt_main")(*args, **kwargs)


# Threads agent code started (and the threads those started). The interpreter joins every non-daemon thread, and
# every ThreadPoolExecutor worker, before it exits: one the agent never stops (a background poller, a refresher
# submitted to its executor) kept ``gatekit eval`` running for ever after its verdict was written — a CI job hung
# until its own timeout. See :func:`left_behind`.
_agent_threads: weakref.WeakSet[threading.Thread] = weakref.WeakSet()


def _guarded_thread_start(self: threading.Thread, *args: Any, **kwargs: Any) -> None:
    """``threading.Thread.start``: a thread started by agent code is noted (and started as it asked)."""
    by_agent = _in_agent_code() or threading.current_thread() in _agent_threads
    _real(threading.Thread, "start")(self, *args, **kwargs)
    if by_agent:
        _agent_threads.add(self)


def left_behind() -> int:
    """How many threads agent code started still run and would hold the exit: non-daemon ones, executor workers."""
    pool = sys.modules.get("concurrent.futures.thread")
    joined_at_exit = getattr(pool, "_threads_queues", None) or {}  # (every executor's workers: joined at exit)
    return sum(
        1 for thread in list(_agent_threads) if thread.is_alive() and (not thread.daemon or thread in joined_at_exit)
    )


def _targets() -> list[tuple[Any, str, Callable[..., Any]]]:
    """(module, name, guard) for every function the guard replaces (``posix`` too: ``from posix import kill``)."""
    system = [os] + [m for m in (sys.modules.get("posix"), sys.modules.get("nt")) if m is not None]
    found: list[tuple[Any, str, Callable[..., Any]]] = []
    for module in system:
        found += [
            (module, "_exit", _guarded_exit),
            (module, "kill", _guarded_kill),
            (module, "killpg", _guarded_killpg),
        ]
    found += [(signal, "raise_signal", _guarded_raise_signal), (signal, "pthread_kill", _guarded_pthread_kill)]
    import _thread

    found.append((_thread, "interrupt_main", _guarded_interrupt_main))
    found.append((threading.Thread, "start", _guarded_thread_start))
    return found


def _install() -> None:  # caller holds the lock
    global _owner_pid
    _owner_pid = os.getpid()
    for module, name, guard in _targets():
        real = getattr(module, name, None)
        if real is not None and real is not guard:
            _saved.append((module, name, real))
            setattr(module, name, guard)  # replaced on purpose, put back by _uninstall


def _uninstall() -> None:  # caller holds the lock
    guards = {guard for _module, _name, guard in _targets()}
    while _saved:
        module, name, real = _saved.pop()
        if getattr(module, name, None) in guards:  # (a later patch of someone else's is left alone)
            setattr(module, name, real)


def acquire() -> None:
    """One more open user of the guard: install it on the first."""
    global _users
    with _lock:
        _users += 1
        if _users == 1:
            _install()


def release() -> None:
    """One user fewer: put the real ``os._exit`` back after the last."""
    global _users
    with _lock:
        if _users == 0:
            return
        _users -= 1
        if _users == 0:
            _uninstall()


@contextlib.contextmanager
def agent_code() -> Iterator[None]:
    """This thread runs agent code inside the block: ``os._exit`` here raises :class:`AgentExitCalled`.

    The guard itself must be installed (:func:`acquire`, or :func:`guarding`) for the call to be intercepted.
    """
    _local.depth = getattr(_local, "depth", 0) + 1
    try:
        yield
    finally:
        _local.depth -= 1


@contextlib.contextmanager
def guarding() -> Iterator[None]:
    """The guard installed and this thread in agent code for the block (e.g. while an agent module is imported)."""
    acquire()
    try:
        with agent_code():
            yield
    finally:
        release()
