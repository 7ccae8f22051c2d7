"""``cmd:./run-agent --flag`` — long-lived subprocesses speaking JSON lines on stdin/stdout.

Protocol (one request at a time per worker):

* gatekit writes one line ``{"id": <n>, "input": <case input>, "context": {...}}``;
* the worker answers with one line: a gatekit response object (``{"output", "tool_calls",
  "usage", "model", "cost_usd"}``) or a JSON string, or ``{"error": "message"}`` when the case
  failed inside the agent.

The spec after ``cmd:`` is split with ``shlex.split`` and started without a shell. A pool of
``extra.workers`` processes (default: the run's concurrency) serves calls in parallel. Each
worker's stderr is drained continuously; what it wrote while serving a failed case is put in
that case's error message. Each worker starts in its own session (process group): killing a
worker, on a timeout or when the run ends, kills the processes it started too. A worker that exits, breaks the protocol or is cut off by the
attempt timeout is killed and replaced by a fresh one; a worker that died mid-case makes the
call fail as retryable, so the replay engine runs the case again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import select
import shlex
import signal
from collections import deque
from typing import Any

from gatekit.agents.base import (
    AgentCallError,
    AgentOptions,
    expand_env,
    max_response_bytes,
    normalise_answer,
    reports_error,
)
from gatekit.agents.chat_format import invalid
from gatekit.errors import AgentError
from gatekit.models import AgentResponse, ErrorType
from gatekit.redact import scrub_cut, scrub_message_cut, scrub_tail

_STDERR_TAIL = 40
_STDERR_CHARS = 2000
_STDERR_LINE_BYTES = 4096  # what is kept of one stderr line (only the last _STDERR_CHARS of the tail are shown)
_LAST_WORD = re.compile(r"\S*$")  # what a line cut to _STDERR_LINE_BYTES loses at its end (a key the cut halved)
_STDERR_READ = 64 * 1024
_STARTUP_CHECK_S = 0.5
_EXTRA_KEYS = {"workers", "env", "cwd", "ready_line", "max_response_bytes"}
# The gate's own credentials and settings, not the agent's: kept out of an (untrusted) worker's environment unless
# agent_options.extra.env gives them to it by name (``MLFLOW_TRACKING_TOKEN: "${MLFLOW_TRACKING_TOKEN}"``).
_GATE_ONLY_VARS = frozenset({"MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_USERNAME"})
_GATE_ONLY_PREFIX = "GATEKIT_"


def _gate_only(name: str) -> bool:
    return name in _GATE_ONLY_VARS or name.upper().startswith(_GATE_ONLY_PREFIX)


def _gate_secret(name: str) -> bool:
    """A gate credential (its value is masked wherever gatekit writes), not a setting such as ``GATEKIT_START_TIMEOUT``."""
    upper = name.upper()
    return name in _GATE_ONLY_VARS or (_gate_only(name) and any(w in upper for w in ("KEY", "TOKEN", "SECRET", "PASS")))


def worker_env(extra_env: dict[Any, Any], api_key_env: str | None) -> dict[str, str]:
    """The environment a ``cmd:`` worker runs with: gatekit's, less the gate's own credentials, plus ``extra_env``.

    Dropped: ``MLFLOW_TRACKING_TOKEN`` / ``_PASSWORD`` / ``_USERNAME`` (what gatekit logs to MLflow with) and every
    ``GATEKIT_*`` variable (``GATEKIT_REDACTION_KEY``...) — an agent under test is untrusted code, and one echoing
    its environment into an answer or a tool call would hand the gate's token to whatever reads them. Kept: the
    variable ``api_key_env`` names (the agent's own key) and everything else. ``extra_env`` values may read
    gatekit's environment as ``${NAME}`` (an unset one is an error), which is how a dropped variable is given back.
    """
    env = {name: value for name, value in os.environ.items() if not _gate_only(name) or name == api_key_env}
    for name, value in extra_env.items():
        # (a name with "=" or a NUL was an internal error when the worker started; null became the text "None")
        if not isinstance(name, str) or not name or "=" in name or "\0" in name:
            raise AgentError(f"agent_options.extra.env: {name!r} is not an environment variable name")
        if isinstance(value, bool) or not isinstance(value, str | int | float) or "\0" in str(value):
            raise AgentError(
                f"agent_options.extra.env.{name}: expected a string or a number (no NUL), got {type(value).__name__}"
            )
        # (a gate credential given back this way stays one: never written by gatekit)
        env[str(name)] = expand_env(str(value), f"extra.env.{name}", secret=_gate_secret)
    return env


class _Worker:
    """One running agent process and the stderr it has written recently."""

    def __init__(self, proc: asyncio.subprocess.Process) -> None:
        self.proc = proc
        self.stderr: deque[str] = deque(maxlen=_STDERR_TAIL)
        self.stderr_seq = 0
        self.drain = asyncio.create_task(self._drain_stderr())

    async def _drain_stderr(self) -> None:
        """Read stderr in chunks, keeping at most ``_STDERR_LINE_BYTES`` of each line and only the last lines.

        A worker flooding stderr (lines of many megabytes, or no line break at all) costs a bounded amount of
        memory and never blocks on a full pipe; ``readline`` kept each line whole (40 lines of up to 64 MiB)
        and stopped draining at a line over its limit, so the worker blocked and every case timed out. A chunk is
        cut with ``find`` / ``count`` / ``rfind`` (C speed), never line by line in Python: only the last
        ``_STDERR_TAIL`` lines of it can be kept anyway, and a worker writing empty lines as fast as it could (64 Ki
        of them a read) kept the gate's event loop busy ~0.5 s at a time, every case's latency with it.
        """
        assert self.proc.stderr is not None
        partial = bytearray()
        cut = False  # the line being read is longer than _STDERR_LINE_BYTES
        while True:
            chunk = await self.proc.stderr.read(_STDERR_READ)
            if not chunk:
                if partial:
                    self._keep(bytes(partial), cut)
                return
            first = chunk.find(b"\n")
            room = _STDERR_LINE_BYTES - len(partial)
            if first < 0:  # the line in progress goes on
                if room > 0:
                    partial += chunk[:room]
                cut = cut or len(chunk) > max(room, 0)
                continue
            if room > 0:
                partial += chunk[: min(first, room)]
            self._keep(bytes(partial), cut or first > max(room, 0))  # the line in progress ends at the first break
            partial.clear()
            last = chunk.rfind(b"\n")
            whole = chunk.count(b"\n", first + 1, last + 1)  # the lines that begin and end in this chunk
            kept: list[tuple[int, int]] = []
            end = last
            for _ in range(min(whole, _STDERR_TAIL)):  # the last of them, found from the end
                begin = chunk.rfind(b"\n", first, end) + 1
                kept.append((begin, end))
                end = begin - 1
            self.stderr_seq += whole - len(kept)  # counted, not kept: the tail holds _STDERR_TAIL lines at most
            for begin, end in reversed(kept):
                self._keep(chunk[begin : min(end, begin + _STDERR_LINE_BYTES)], end - begin > _STDERR_LINE_BYTES)
            partial += chunk[last + 1 : last + 1 + _STDERR_LINE_BYTES]
            cut = len(chunk) - (last + 1) > _STDERR_LINE_BYTES

    def _keep(self, line: bytes, cut: bool = False) -> None:
        text = line.decode("utf-8", "replace").rstrip("\r")
        if cut:  # (its last word may be a key the cut halved: the rest of it is no key to the detectors, so it goes)
            text = _LAST_WORD.sub("", text) + "…"
        self.stderr.append(text)
        self.stderr_seq += 1

    def stderr_since(self, seq: int) -> str:
        """Stderr lines written after the line counter was ``seq`` (at most the kept tail)."""
        count = min(self.stderr_seq - seq, len(self.stderr))
        text = "\n".join(list(self.stderr)[len(self.stderr) - count :]) if count > 0 else ""
        return scrub_tail(text, _STDERR_CHARS) or ""  # scrubbed before the cut, never after

    @property
    def alive(self) -> bool:
        return self.proc.returncode is None

    def kill_group(self) -> None:
        """SIGKILL the worker's process group: the worker and whatever it started (its own session)."""
        if hasattr(os, "killpg"):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)

    async def kill(self, *, session: bool = True) -> None:
        """Kill the worker, its process group and (``session``) the rest of its session, and close its pipes."""
        self.kill_group()
        if self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
        if session:  # (a scan of /proc: off the loop)
            await asyncio.to_thread(kill_sessions, {self.proc.pid})
        await _until_exited([self.proc], 5)
        # The drain ends at the pipe's end of file. A process the worker started that left its session (setsid, out of
        # kill_group's reach) holds the pipe open for as long as it lives: a moment for the worker's last words, then
        # the drain is cancelled (waiting 1 s here per worker, one after the other, held the run's end ~1 s a worker).
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.drain, _DRAIN_GRACE_S)
        self.drain.cancel()
        # Close the pipes now, on the running loop: a transport left for the garbage collector
        # is closed from __del__ after the loop is gone ("Event loop is closed").
        if self.proc.stdin is not None:
            with contextlib.suppress(Exception):
                self.proc.stdin.close()
        transport = getattr(self.proc, "_transport", None)
        if transport is not None:
            transport.close()


class CmdAgent:
    """Adapter for an agent run as a pool of long-lived JSON-lines subprocesses."""

    def __init__(self, spec: str, options: AgentOptions) -> None:
        self.spec = spec
        self.options = options
        command = spec.removeprefix("cmd:").strip()
        try:
            self.argv = shlex.split(command)
        except ValueError as exc:
            raise AgentError(f"agent spec {spec!r}: cannot split the command line: {exc}") from None
        if not self.argv:
            raise AgentError(f"agent spec {spec!r}: no command after 'cmd:' (e.g. cmd:python my_agent.py)")
        unknown = set(options.extra) - _EXTRA_KEYS
        if unknown:
            raise AgentError(
                f"agent_options.extra: unknown key(s) {', '.join(sorted(unknown))} for a cmd agent; "
                f"valid keys: {', '.join(sorted(_EXTRA_KEYS))}"
            )
        workers = options.extra.get("workers", options.concurrency)
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise AgentError(f"agent_options.extra.workers: expected a positive integer, got {workers!r}")
        self.workers = workers
        env_extra = options.extra.get("env") or {}
        if not isinstance(env_extra, dict):
            raise AgentError("agent_options.extra.env: expected a mapping of NAME -> value")
        self.env = worker_env(env_extra, options.api_key_env)
        self.cwd = options.extra.get("cwd")
        if self.cwd is not None:
            if not isinstance(self.cwd, str) or not self.cwd.strip():
                raise AgentError(f"agent_options.extra.cwd: expected a folder path, got {self.cwd!r}")
        ready_line = options.extra.get("ready_line", False)
        if not isinstance(ready_line, bool):
            raise AgentError(f"agent_options.extra.ready_line: expected true or false, got {ready_line!r}")
        self.ready_line = ready_line  # each worker writes {"ready": true} once started, before its first request
        # One answer line, at most (as an HTTP agent's body). Each worker's reader buffers up to twice this before it
        # stops reading: a fixed 64 MiB let 16 workers writing without a line break hold 1 GB of gatekit's memory.
        self.max_line = max_response_bytes(options.extra.get("max_response_bytes"))
        self.restarts = 0
        self._idle: asyncio.Queue[_Worker | None] = asyncio.Queue()
        self._all: set[_Worker] = set()
        self._retiring: set[asyncio.Task[None]] = set()
        self._next_id = 0

    async def _spawn(self) -> _Worker:
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv,
                stdin=asyncio.subprocess.PIPE,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                env=self.env,
                cwd=self.cwd,
                limit=self.max_line,
                # its own session and process group, so closing the pool also ends its children
                start_new_session=True,
            )
        except (FileNotFoundError, PermissionError, NotADirectoryError) as exc:
            if self.cwd is not None and not os.path.isdir(self.cwd):  # not the program: the folder it would run in
                raise AgentError(
                    f"agent_options.extra.cwd: {self.cwd!r} is not a folder ({os.path.abspath(self.cwd)}); fix the "
                    "path (in gatekit.yaml it is relative to the file) or create the folder"
                ) from None
            raise AgentError(
                f"agent spec {self.spec!r}: cannot start {self.argv[0]!r}: {exc.strerror}; "
                "check the path and that it is executable"
            ) from None
        worker = _Worker(proc)
        self._all.add(worker)
        return worker

    async def _ready(self, worker: _Worker) -> str | None:
        """With ``ready_line``: wait for the worker's ``{"ready": true}`` line; what went wrong, else None."""
        assert worker.proc.stdout is not None
        try:
            line = await _answer_or_exit(worker.proc)
        except (asyncio.LimitOverrunError, ValueError):
            return f"its first line is longer than {self.max_line} bytes (agent_options.extra.max_response_bytes)"
        if not line:
            code = await _exit_code(worker)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.shield(worker.drain), 0.5)
            detail = worker.stderr_since(0) or "no stderr"
            return f"the command {_ended(code)} before its ready line: {detail}"
        try:
            answer = json.loads(line)
        except (ValueError, RecursionError):
            answer = None
        if not (isinstance(answer, dict) and answer.get("ready") is True):
            snippet = scrub_cut(line.decode("utf-8", "replace").strip(), 120) or ""  # (scrubbed, then cut)
            return f'its first line is not {{"ready": true}} (extra.ready_line is set): {snippet!r}'
        return None

    async def start(self) -> None:
        """Spawn the worker pool; a command that cannot start is a user error."""
        first = await self._spawn()
        self._idle.put_nowait(first)
        if not self.ready_line:
            # A command that exits at once (bad flags, a missing script, an import error) should fail the run here,
            # not per case. The first worker is watched before the others start: started together on a busy machine
            # they share the CPU, and a worker slow to even fail would outlast the check.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(first.proc.wait()), _STARTUP_CHECK_S)
            await self._refuse_exited([first])
        rest = [await self._spawn() for _ in range(self.workers - 1)]
        for worker in rest:
            self._idle.put_nowait(worker)
        if rest and not self.ready_line:
            # the others get the head start the first had before any case is timed (no signal says when a worker is
            # ready), and one of them exiting at once fails the start as well
            await asyncio.sleep(_STARTUP_CHECK_S)
            await self._refuse_exited(rest)
        if self.ready_line:  # every worker started before the first case is timed (bounded by start_timeout)
            problems = await asyncio.gather(*(self._ready(w) for w in list(self._all)))
            problem = next((p for p in problems if p is not None), None)
            if problem is not None:
                await self.close()
                raise AgentError(f"agent spec {self.spec!r}: a worker did not start: {problem}")

    async def _refuse_exited(self, workers: list[_Worker]) -> None:
        """An ``AgentError`` with its exit code and stderr when one of ``workers`` has exited already."""
        dead = next((w for w in workers if not w.alive), None)
        if dead is None:
            return
        with contextlib.suppress(Exception):
            await asyncio.wait_for(asyncio.shield(dead.drain), 1)
        detail = dead.stderr_since(0) or "no stderr"
        code = dead.proc.returncode
        await self.close()
        raise AgentError(f"agent spec {self.spec!r}: the command exited at once with code {code}: {detail}")

    async def _retire(self, worker: _Worker) -> None:
        self._all.discard(worker)
        await worker.kill()

    async def call(self, case_input: Any, context: dict[str, Any]) -> AgentResponse:
        """Send one case to an idle worker and read its one-line answer."""
        worker = await self._idle.get()
        healthy = False
        try:
            if worker is None or not worker.alive or _unasked_output(worker.proc):
                # a worker that wrote a line nobody asked for (a second answer, a log line on stdout) would have it
                # read as this case's answer: replaced, like a dead one
                if worker is not None:
                    await self._retire(worker)
                    worker = None
                self.restarts += 1
                try:
                    worker = await self._spawn()
                except (AgentError, OSError) as exc:  # the command could not be started: the case was never sent
                    raise AgentCallError(
                        ErrorType.EXCEPTION, f"restarting the agent worker: {exc}", retryable=True, never_sent=True
                    ) from None
                if self.ready_line:  # a restarted worker's start counts in this attempt (its timeout included)
                    problem = await self._ready(worker)
                    if problem is not None:  # (before the case was written to it)
                        raise AgentCallError(
                            ErrorType.EXCEPTION, f"restarted agent worker: {problem}", retryable=True, never_sent=True
                        )
            self._next_id += 1
            request_id = self._next_id
            request = json.dumps(
                {"id": request_id, "input": case_input, "context": context},
                ensure_ascii=False,
                default=str,
            )
            seq = worker.stderr_seq
            assert worker.proc.stdin is not None and worker.proc.stdout is not None
            try:
                worker.proc.stdin.write(request.encode() + b"\n")
                await worker.proc.stdin.drain()
                line = await _answer_or_exit(worker.proc)
            except (BrokenPipeError, ConnectionResetError):
                line = b""
            except (asyncio.LimitOverrunError, ValueError):
                raise invalid(
                    f"agent answered a line longer than {self.max_line} bytes; raise "
                    "agent_options.extra.max_response_bytes if that is expected"
                ) from None
            if not line:
                code = await _exit_code(worker)
                # give the stderr drain a moment to collect the worker's last words
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(asyncio.shield(worker.drain), 0.5)
                stderr = worker.stderr_since(seq)
                raise AgentCallError(
                    ErrorType.EXCEPTION,
                    f"agent worker {_ended(code)} during the case" + (f"; stderr: {stderr}" if stderr else ""),
                    retryable=True,
                )
            if getattr(worker.proc.stdout, "_buffer", b""):  # a second line came with the answer: which one is it?
                raise invalid(
                    "agent wrote more than one line for one request (a log line on stdout?); answer each request "
                    "with exactly one line and print logs to stderr"
                )
            try:
                answer = json.loads(line)
            except (ValueError, RecursionError):  # not JSON, not UTF-8, nested too deep, an integer too long
                snippet = scrub_message_cut(
                    line[:65536].decode("utf-8", "replace").strip(), 120
                )  # (scrubbed, then cut)
                raise invalid(f"agent wrote a line that is not JSON on stdout: {snippet!r}") from None
            answered = answer.get("id") if isinstance(answer, dict) else None
            if type(answered) is int and answered != request_id:  # an id of the agent's own (a string) is not ours
                raise invalid(
                    f"agent answered request id {answered} while request {request_id} was asked: a late or extra "
                    "line; answer each request with exactly one line"
                )
            healthy = True
            if isinstance(answer, dict) and (
                ("error" in answer and "output" not in answer) or reports_error(answer.get("error"))
            ):  # (beside an "output" too: {"output": null, "error": "..."} was a successful empty answer)
                await asyncio.sleep(0.02)  # let the drain catch the stderr written just before the answer
                stderr = worker.stderr_since(seq)
                error = answer["error"]
                said = "the agent reported an error without a message" if error in (None, "") else str(error)
                message = said + (f"; stderr: {stderr}" if stderr else "")
                # retried only when the agent says true: "retryable": "false" (a string) is not a yes
                raise AgentCallError(ErrorType.EXCEPTION, message, retryable=answer.get("retryable") is True)
            return normalise_answer(answer)
        finally:
            # A worker that broke the protocol or was cancelled mid-case (timeout, Ctrl-C) may still
            # answer later and desynchronise the stream: replace it instead of reusing it.
            if not healthy and worker is not None:
                # shielded so a cancelled call still retires its worker; close() awaits it
                task = asyncio.ensure_future(self._retire(worker))
                self._retiring.add(task)
                task.add_done_callback(self._retiring.discard)
                await asyncio.shield(task)
                self._idle.put_nowait(None)
            else:
                self._idle.put_nowait(worker)

    async def close(self) -> None:
        """Close stdin of every worker, give them a moment to exit, then kill what is left."""
        if self._retiring:
            await asyncio.gather(*self._retiring, return_exceptions=True)
        workers = list(self._all)
        self._all.clear()
        for worker in workers:
            if worker.proc.stdin is not None:
                with contextlib.suppress(Exception):
                    worker.proc.stdin.close()
        # (exits seen on returncode: proc.wait() also waits for the pipes, which an escaped grandchild may hold open)
        await _until_exited([w.proc for w in workers], _CLOSE_GRACE_S)
        for worker in workers:
            worker.kill_group()
        if workers:  # one scan of /proc for every worker's session
            await asyncio.to_thread(kill_sessions, {worker.proc.pid for worker in workers})
        await asyncio.gather(*(worker.kill(session=False) for worker in workers), return_exceptions=True)  # all at once


def kill_sessions(sessions: set[int]) -> None:
    """SIGKILL every process in one of ``sessions`` (Linux ``/proc``; elsewhere nothing).

    A worker runs in its own session, its pid the session's id. What it started and moved to a process group of its
    own (``setpgid``, ``subprocess.Popen(process_group=0)``, a shell with job control) stays in that session but is
    out of ``killpg``'s reach: it outlived the run (a tool server, a ``sleep``), holding the worker's pipes. Only one
    that left the session (``setsid``) is out of reach here too.
    """
    try:
        names = os.listdir("/proc")
    except OSError:
        return
    me = os.getpid()
    for name in names:
        if not name.isdigit() or int(name) == me:
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                stat = handle.read()
            session = int(stat[stat.rfind(b")") + 2 :].split()[3])  # after "(comm)": state ppid pgrp session
        except (OSError, IndexError, ValueError):
            continue
        if session in sessions:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(name), signal.SIGKILL)


_EXIT_GRACE_S = 0.5  # after the worker exits, how long its answer may still take to come out of the pipe
_EXIT_POLL_S = 0.25
_DRAIN_GRACE_S = 0.3  # after a killed worker exited, how long its stderr may still take to reach its end
_CLOSE_GRACE_S = 2.0  # at the end of the run, how long the workers get to exit once their stdin is closed


async def _until_exited(procs: list[asyncio.subprocess.Process], timeout_s: float) -> None:
    """Return once every one of ``procs`` has exited, or after ``timeout_s``.

    Polls ``returncode`` (set when the child is reaped): ``proc.wait()`` on Python 3.11 returns only once the
    pipes are closed too, which a process the worker started and that left its session may never do.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while any(proc.returncode is None for proc in procs) and loop.time() < deadline:
        await asyncio.sleep(0.02)


async def _answer_or_exit(proc: asyncio.subprocess.Process) -> bytes:
    """The worker's answer line, or ``b""`` soon after the worker exits without one.

    A process the worker started may keep stdout open after the worker died (no end of file): the case
    waited for the attempt timeout and was reported as one, not as the worker's exit. ``proc.wait()`` also
    waits for the pipes to close (Python 3.11), so the exit is seen on ``returncode``, checked while waiting.
    """
    assert proc.stdout is not None
    read = asyncio.ensure_future(proc.stdout.readline())
    try:
        while True:
            done, _ = await asyncio.wait({read}, timeout=_EXIT_POLL_S)
            if done:
                return read.result()
            if proc.returncode is not None:
                done, _ = await asyncio.wait({read}, timeout=_EXIT_GRACE_S)
                return read.result() if done else b""
    finally:
        if not read.done():
            read.cancel()


def _unasked_output(proc: asyncio.subprocess.Process) -> bool:
    """The worker's stdout holds bytes before a request is sent (output nobody asked for), or is at its end.

    Looks in the stream's buffer and in the pipe itself: a line written right after the answer is usually still in
    the pipe, since the loop has not run its selector since it read the answer.
    """
    reader = proc.stdout
    if getattr(reader, "_buffer", b""):  # what asyncio.StreamReader has read and nobody consumed
        return True
    transport = getattr(reader, "_transport", None)
    pipe = transport.get_extra_info("pipe") if transport is not None else None
    if pipe is None:
        return False
    try:
        readable, _, _ = select.select([pipe.fileno()], [], [], 0)
    except (OSError, ValueError):  # closed meanwhile: the alive check and the call itself see to it
        return False
    return bool(readable)


def _ended(code: int | None) -> str:
    """How a worker's stdout ended: its exit, or its own close of stdout while it ran on ("exited with code None")."""
    if code is None:
        return "closed its stdout without answering (the process was still running; it is replaced)"
    return f"exited with code {code}"


async def _exit_code(worker: _Worker) -> int | None:
    if worker.proc.returncode is not None:  # already seen (wait() would also wait for the pipes to close)
        return worker.proc.returncode
    try:
        return await asyncio.wait_for(worker.proc.wait(), 2)
    except TimeoutError:
        return worker.proc.returncode
