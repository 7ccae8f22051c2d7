"""``python:pkg.module:function`` — a sync or async callable in this process.

The callable is called as ``fn(case_input)`` or, when it accepts a ``context``
parameter (or ``**kwargs``), ``fn(case_input, context=...)``. Sync callables run
on daemon threads (:mod:`gatekit.agents.threads`), as many as the run's concurrency, so they
never block the loop; a call cut off by the timeout is abandoned and never keeps gatekit alive.
Coroutines (an async callable, or an awaitable a sync one returns) run on an event loop of their
own, on one daemon thread: a coroutine that blocks (``time.sleep`` or a sync HTTP call inside
``async def``) stops that loop, not the gate's, so the attempt timeout still fires and the run ends.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import copy
import functools
import importlib
import inspect
import os
import sys
import threading
from collections.abc import Callable
from typing import Any

from gatekit.agents.base import AgentOptions, normalise_answer
from gatekit.agents.exit_guard import AgentExitCalled, acquire, agent_code, guarding, release
from gatekit.agents.threads import AgentThreads, close_unawaited, escaped_error
from gatekit.errors import AgentError
from gatekit.models import AgentResponse


def _raised_at(exc: BaseException) -> str:
    """`` (at agent.py:3)``: the agent's own line an import-time error came from (not importlib's), else ``""``."""
    where = ""
    trace = exc.__traceback__
    while trace is not None:
        name = trace.tb_frame.f_code.co_filename
        if not name.startswith("<") and "importlib" not in name and os.path.dirname(__file__) not in name:
            shown = os.path.relpath(name) if not os.path.relpath(name).startswith("..") else name
            where = f" (at {shown}:{trace.tb_lineno})"
        trace = trace.tb_next
    if isinstance(exc, SyntaxError) and exc.filename:  # (its own file and line are in the message already)
        return ""
    return where


def _elsewhere_hint(module_name: str, config_dir: str | None, cwd: str) -> str:
    """What to do: run from the config file's folder when the module is there (not searched), else check the path."""
    top = module_name.split(".")[0]
    if config_dir and os.path.realpath(config_dir) != os.path.realpath(cwd):
        there = os.path.join(config_dir, top)
        if os.path.isfile(there + ".py") or os.path.isdir(there):
            return (
                f"; it is in the config file's folder {config_dir}, which is not searched: run gatekit from there "
                "or add that folder to PYTHONPATH"
            )
    return "; check the module path and run gatekit from the folder that contains it (or add that folder to PYTHONPATH)"


def load_callable(spec: str, config_dir: str | None = None) -> Callable[..., Any]:
    """Import ``pkg.module:function`` (``spec`` without the ``python:`` prefix) from the working directory.

    ``config_dir``: the folder of the gatekit.yaml in use, only named in the error when the module is there instead.
    """
    target = spec.removeprefix("python:")
    module_name, sep, attr_path = target.partition(":")
    if not sep or not module_name or not attr_path:
        raise AgentError(f"agent spec {spec!r}: expected python:pkg.module:function")
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)
    try:
        with guarding():  # os._exit at import time: a failed start, not a silent exit 0
            module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if module_name.endswith(".py") and exc.name in (module_name, module_name.removesuffix(".py")):
            raise AgentError(
                f"agent spec {spec!r}: write the module name without '.py': "
                f"python:{module_name.removesuffix('.py').replace('/', '.')}:{attr_path}"
            ) from None
        parts = module_name.split(".")
        if exc.name is not None and exc.name not in {".".join(parts[:n]) for n in range(1, len(parts) + 1)}:
            # the agent's module was found; an import inside it failed: that is the error to show
            raise AgentError(
                f"agent spec {spec!r}: importing {module_name} failed: ModuleNotFoundError: {exc}{_raised_at(exc)}; "
                f"install the package that provides {exc.name.split('.')[0]!r} in the Python that runs gatekit "
                f"({sys.executable}), or fix the import"
            ) from None
        raise AgentError(
            f"agent spec {spec!r}: module {exc.name!r} not found (searched the working directory {cwd}, then "
            f"PYTHONPATH and the installed packages){_elsewhere_hint(module_name, config_dir, cwd)}"
        ) from None
    except (Exception, SystemExit, GeneratorExit, AgentExitCalled) as exc:  # the module failed (sys.exit() was exit 0)
        raise AgentError(
            f"agent spec {spec!r}: importing {module_name} failed: {type(exc).__name__}: {exc}{_raised_at(exc)}"
        ) from None
    obj: Any = module
    for part in attr_path.split("."):
        if not hasattr(obj, part):
            import difflib

            own = getattr(obj, "__name__", None)  # a module's own functions, not what it imported (typing.Any)
            names = [
                n
                for n in dir(obj)
                if not n.startswith("_")
                and callable(member := getattr(obj, n, None))
                and getattr(member, "__module__", own) == own
            ]
            close = difflib.get_close_matches(part, names, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; it has: {', '.join(names[:10]) or 'no functions'}"
            raise AgentError(f"agent spec {spec!r}: {module_name} has no attribute {attr_path!r}{hint}")
        obj = getattr(obj, part)
    if not callable(obj):
        raise AgentError(f"agent spec {spec!r}: {attr_path} is not callable")
    return obj  # type: ignore[no-any-return]


def _accepts_context(fn: Callable[..., Any]) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "context" in params or any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())


class _Claim:
    """An awaitable handed to the agent's loop: taken there once to be awaited, or closed by the caller if never taken.

    A coroutine passed as an argument to a coroutine that never starts (the call cancelled, or the loop stopped,
    before its first step) is never awaited nor closed: it warned "coroutine '_normalised' was never awaited" when
    collected. Whoever comes first wins, under a lock: the loop's task (``take``) or the caller's end (``close``).
    """

    __slots__ = ("_awaitable", "_lock")

    def __init__(self, awaitable: Any) -> None:
        self._awaitable: Any = awaitable
        self._lock = threading.Lock()

    def take(self) -> Any:
        """The awaitable, once; None when it was closed (or taken) before."""
        with self._lock:
            awaitable, self._awaitable = self._awaitable, None
        return awaitable

    def close(self) -> None:
        """Close the awaitable unless the loop took it (then its task owns it: awaited, or cancelled there)."""
        close_unawaited(self.take())


async def _awaited(claim: _Claim, normalise: bool) -> Any:
    loop = asyncio.get_running_loop()
    awaitable = claim.take()
    if awaitable is None:  # the caller gave up before this started
        raise asyncio.CancelledError
    try:
        answer = await awaitable
    except (asyncio.CancelledError, Exception):
        raise
    except GeneratorExit as exc:
        if _closing(loop):
            raise  # this coroutine is being closed (pending at exit, collected): not the agent raising
        raise escaped_error(exc) from None
    except BaseException as exc:  # noqa: BLE001 - sys.exit() in an async agent would stop its loop for good
        raise escaped_error(exc) from None
    return normalise_answer(answer) if normalise else answer  # (its answer read on the agent's loop too)


def _closing(loop: asyncio.AbstractEventLoop | None = None) -> bool:
    """True outside a running task (of ``loop``, when given): a ``GeneratorExit`` then comes from ``close()``.

    (A coroutine of the agent's loop collected while the gate's loop runs is closed, not stepped by a task there.)
    """
    try:
        running = asyncio.get_running_loop()
    except RuntimeError:  # no running loop in this thread
        return True
    return (loop is not None and running is not loop) or asyncio.current_task() is None


def _hand_over(result: concurrent.futures.Future[Any], task: asyncio.Task[Any]) -> None:
    """Give ``task``'s outcome to the caller's ``result`` (on the agent's loop; nothing when the caller gave up)."""
    if task.cancelled():
        result.cancel()
        return
    if not result.set_running_or_notify_cancel():  # the caller gave up: what the agent answered is nobody's
        if task.exception() is None:
            close_unawaited(task.result())
        return
    if task.exception() is not None:
        result.set_exception(task.exception())
    else:
        result.set_result(task.result())


def _cancel_when_cancelled(loop: asyncio.AbstractEventLoop, task: asyncio.Task[Any], result: Any) -> None:
    """The caller cancelled ``result`` (the attempt timeout): cancel ``task`` on the agent's loop (when it still runs)."""
    if result.cancelled():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nothing runs there any more
            loop.call_soon_threadsafe(task.cancel)


class _AgentLoop:
    """One daemon thread running an event loop for an agent's coroutines, off the gate's loop."""

    def __init__(self, name: str) -> None:
        self.loop = asyncio.new_event_loop()
        self._closed = False
        acquire()  # os._exit in the agent's coroutines raises there (released by close)
        self._thread = threading.Thread(target=self._serve, name=name, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        asyncio.set_event_loop(self.loop)
        with agent_code():  # this thread runs nothing but the agent's coroutines
            self.loop.run_forever()
        with contextlib.suppress(Exception):  # stopped by close(): a call begun later is refused at once
            self.loop.close()

    async def run(self, awaitable: Any, normalise: bool = True) -> Any:
        """Await ``awaitable`` on the agent's loop (its answer normalised there); cancelling cancels it there.

        ``awaitable`` is either awaited there or closed: the task is made on the agent's loop only while it runs on
        (a call begun after :meth:`close` stopped it would never take its first step), and what no task took when
        the call ends (cancelled by the attempt timeout, or refused) is closed here.
        """
        claim = _Claim(awaitable)
        result: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def begin() -> None:  # on the agent's loop
            if result.done():  # cancelled before it began
                return
            if self._closed:  # the loop stops after this round: a task made now would never start
                with contextlib.suppress(concurrent.futures.InvalidStateError):  # (cancelled meanwhile)
                    result.set_exception(RuntimeError("the agent is closed"))
                return
            task = self.loop.create_task(_awaited(claim, normalise))
            task.add_done_callback(functools.partial(_hand_over, result))
            result.add_done_callback(functools.partial(_cancel_when_cancelled, self.loop, task))

        try:
            try:
                self.loop.call_soon_threadsafe(begin)
            except RuntimeError:  # the loop is closed
                raise RuntimeError("the agent is closed") from None
            return await asyncio.wrap_future(result)
        finally:
            claim.close()

    def close(self) -> None:
        """Stop the loop when it is free; one blocked for good stays on its daemon thread until exit."""
        if not self._closed:
            self._closed = True
            release()
        with contextlib.suppress(RuntimeError):
            self.loop.call_soon_threadsafe(self._shutdown)

    def _shutdown(self) -> None:
        """On the loop: cancel what still runs, stop once it has ended (or after a second: an agent ignoring it).

        Stopped at once, a call cancelled just before never took its cancellation step: its coroutine was left
        pending, and warned when collected.
        """
        tasks = [task for task in asyncio.all_tasks(self.loop) if not task.done()]
        if not tasks:
            self.loop.stop()
            return
        for task in tasks:
            task.cancel()
        asyncio.gather(*tasks, return_exceptions=True).add_done_callback(lambda _: self.loop.stop())
        self.loop.call_later(1.0, self.loop.stop)


class PythonAgent:
    """Adapter for an in-process Python callable."""

    def __init__(self, spec: str, options: AgentOptions) -> None:
        self.spec = spec
        self.options = options
        self._fn: Callable[..., Any] | None = None
        self._is_async = False
        self._with_context = False
        self._pool: AgentThreads | None = None
        self._loop: _AgentLoop | None = None

    async def start(self) -> None:
        """Import the callable (on a daemon thread: an import that never returns is abandoned by the start timeout)."""
        spec = self.spec
        importer = AgentThreads(1, "gatekit-agent-import")
        try:
            fn = await importer.run(lambda: load_callable(spec, self.options.config_dir))
        finally:
            importer.close()
        self._fn = fn
        self._is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
            getattr(fn, "__call__", None)  # noqa: B004 - async __call__ on a class instance
        )
        self._with_context = _accepts_context(fn)
        if not self._is_async:
            self._pool = AgentThreads(self.options.concurrency, "gatekit-agent")

    async def call(self, case_input: Any, context: dict[str, Any]) -> AgentResponse:
        """Call the function once and normalise what it returns."""
        fn = self._fn
        if fn is None:
            raise RuntimeError("agent not started")
        with_context = self._with_context

        def invoke() -> Any:
            # a private copy of the case: the agent may rewrite what it got (context.env, the messages), never
            # what the policy judges after the call nor what a retry sends
            kwargs = {"context": copy.deepcopy(context)} if with_context else {}
            return fn(copy.deepcopy(case_input), **kwargs)

        def job() -> tuple[AgentResponse | None, Any]:
            raw = invoke()
            return (None, raw) if inspect.isawaitable(raw) else (normalise_answer(raw), None)

        # What the agent returned is read on its own thread (or loop), never on the gate's: a list subclass whose
        # __iter__ never ends, a property that blocks, would otherwise stop the gate's loop (and its SIGTERM handler)
        # where the attempt timeout cannot reach; there, the timeout abandons it like any stuck call.
        if self._is_async:
            return await self._agent_loop().run(invoke())  # type: ignore[no-any-return]
        if self._pool is None:
            raise RuntimeError("agent not started")
        answer, awaitable = await self._pool.run(job)  # the case copied on the agent's thread, off the gate's loop
        if answer is not None:
            return answer
        return await self._agent_loop().run(awaitable)  # type: ignore[no-any-return]

    def _agent_loop(self) -> _AgentLoop:
        if self._loop is None:
            self._loop = _AgentLoop("gatekit-agent-loop")
        return self._loop

    async def close(self) -> None:
        """Let the idle threads exit without waiting for hung calls (daemon threads)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None
        if self._loop is not None:
            self._loop.close()
            self._loop = None
