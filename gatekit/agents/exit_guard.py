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
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any, NoReturn

_lock = threading.Lock()
_users = 0
_owner_pid = 0
_saved: list[tuple[Any, Callable[[int], NoReturn]]] = []  # (module, its real _exit) while installed
_local = threading.local()  # depth: > 0 while this thread runs agent code


class AgentExitCalled(BaseException):  # noqa: N818 - raised into agent code; an ``except Exception`` must not eat it
    """Agent code called ``os._exit``; the case fails instead of the gate process ending."""


def _real_exit() -> Callable[[int], NoReturn]:
    for module, real in _saved:
        if module is os:
            return real
    return os._exit


def _guarded_exit(status: int) -> NoReturn:
    """``os._exit`` while an agent is open: raise in agent code of this process, else exit for real."""
    if os.getpid() != _owner_pid or getattr(_local, "depth", 0) <= 0:
        _real_exit()(status)
    raise AgentExitCalled(
        f"os._exit({status!r}) called by agent code: gatekit does not end without a verdict; the case fails"
    )


def _install() -> None:  # caller holds the lock
    global _owner_pid
    _owner_pid = os.getpid()
    modules = [os] + [m for m in (sys.modules.get("posix"), sys.modules.get("nt")) if m is not None]
    for module in modules:
        real = getattr(module, "_exit", None)
        if real is not None and real is not _guarded_exit:
            _saved.append((module, real))
            setattr(module, "_exit", _guarded_exit)  # noqa: B010 - os._exit is replaced on purpose


def _uninstall() -> None:  # caller holds the lock
    while _saved:
        module, real = _saved.pop()
        if getattr(module, "_exit", None) is _guarded_exit:
            setattr(module, "_exit", real)  # noqa: B010


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
