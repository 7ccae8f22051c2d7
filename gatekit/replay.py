"""Replay cases through an agent: bounded concurrency, timeouts, retries, deadline, resume.

Cases are pulled from an iterator by a fixed pool of workers, so memory does not grow
with the dataset (no task per case is created up front). Each finished case is handed
to ``on_result`` at once, which streams it to ``results.jsonl``; a failing case is
recorded, never raised. Retries use exponential backoff with jitter and honour
``Retry-After``; only failures marked retryable (timeouts, connection errors, 429, 5xx,
a crashed subprocess worker) are retried, and every attempt is kept on the result.

A run stopped by Ctrl-C, SIGTERM, SIGKILL or its deadline leaves only whole finished
cases behind; :func:`open_results` reads them back (tolerating a torn last line) so a
``--resume`` run skips them and ends with the verdict an uninterrupted run would give.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import math
import random
import re
import signal
import time
from collections.abc import Awaitable, Callable, Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from gatekit.agents.base import Agent, AgentCallError, check_response
from gatekit.errors import ConfigError
from gatekit.fmt import noun
from gatekit.models import AgentResponse, Attempt, Case, CaseResult, Decision, ErrorType, Outcome
from gatekit.redact import ERROR_CHARS, scrub_cut

RESULTS_FILE = "results.jsonl"
STATE_FILE = "replay_state.json"
STALE_OUTPUTS = ("verdict.json", "report.html", "drift.json", "drift.html")  # written again by every run
# what a fresh run moves aside from an unfinished one (with it, ``--resume --out`` that folder continues the run)
UNFINISHED_RUN_FILES = (RESULTS_FILE, STATE_FILE, "governance_traces.jsonl", "verdict.json")


class ReplayInterrupted(KeyboardInterrupt):
    """The replay was stopped by SIGTERM (Ctrl-C raises ``KeyboardInterrupt`` itself).

    Finished cases are already on disk; rerun with ``--resume`` to continue.
    """


@dataclass
class ReplaySettings:
    """How to drive the agent."""

    concurrency: int = 8
    timeout_s: float = 30.0
    retries: int = 2
    backoff_base_s: float = 0.2
    backoff_max_s: float = 20.0
    max_retry_after_s: float = 60.0  # a longer Retry-After is not waited for: the case fails at once
    repeat: int = 1
    deadline_s: float | None = None
    skip: Container[tuple[str, int]] = field(default_factory=frozenset)
    jitter_seed: int | None = None
    handle_sigterm: bool = True
    keep: frozenset[str] = frozenset()  # values the error scrubber leaves readable (the agent's own host)
    # finished answers waiting for an earlier case to be judged: no case starts while they hold more (replay())
    max_waiting_chars: int = 64 * 1024 * 1024


@dataclass
class ReplayStats:
    """What happened during a replay."""

    finished: int = 0
    errors: int = 0
    skipped: int = 0
    attempts: int = 0
    retried_cases: int = 0
    first_attempt_errors: int = 0
    stopped_early: bool = False
    stop_reason: str | None = None
    deadline_hit: bool = False
    wall_s: float = 0.0
    errors_by_type: dict[str, int] = field(default_factory=dict)


def classify(exc: BaseException) -> tuple[ErrorType, str, bool, float | None]:
    """Return ``(error_type, message, retryable, retry_after_s)`` for an attempt's exception.

    Timeouts, connection failures, exceptions raised by the agent and what an adapter
    marks retryable are retried; adapters mark permanent failures (4xx, invalid
    responses) ``retryable=False``.
    """
    if isinstance(exc, AgentCallError):
        # a python: agent may raise gatekit's AgentCallError itself: what it set is untrusted like the rest of its
        # answer (an error type outside ErrorType stopped the whole run with an internal error, exit 3)
        try:
            error_type = ErrorType(exc.error_type)
        except (ValueError, TypeError):
            shown = scrub_cut(str(exc.error_type), 80) if isinstance(exc.error_type, str) else type(exc.error_type)
            return ErrorType.EXCEPTION, f"{_exception_text(exc)} (unknown error_type {shown!r})", True, None
        wait = exc.retry_after_s
        number = isinstance(wait, int | float) and not isinstance(wait, bool) and math.isfinite(wait) and wait >= 0
        return error_type, _exception_text(exc).partition(": ")[2], exc.retryable is True, wait if number else None
    if isinstance(exc, TimeoutError):
        return ErrorType.TIMEOUT, "attempt exceeded the timeout", True, None
    if isinstance(exc, ConnectionError):
        return ErrorType.CONNECTION, _exception_text(exc), True, None
    return ErrorType.EXCEPTION, _exception_text(exc), True, None


def _exception_text(exc: BaseException) -> str:
    """``RuntimeError: message`` of an exception the agent raised; one whose ``str()`` raises is named by its type."""
    try:
        return _writable(f"{type(exc).__name__}: {exc}")
    except Exception:  # noqa: BLE001 - the agent's exception class is untrusted code
        return _writable(f"{type(exc).__name__}: (its message could not be read: str() raised)")


def _writable(message: str) -> str:
    r"""The agent's error text with a lone surrogate (no Unicode, no UTF-8) kept as its ``\ud800`` escape."""
    return message.encode("utf-8", "backslashreplace").decode("utf-8")


NOT_SENT: dict[str, Any] = {"cost_usd": 0.0, "input_tokens": 0, "output_tokens": 0, "model": None}


def failure_usage(exc: BaseException) -> dict[str, Any]:
    """What a failed attempt reported it spent: its exception's ``usage``, ``cost_usd`` and ``model`` attributes.

    A ``python:`` agent whose model call failed after it was billed (a refusal, a parse error of the answer) can
    attach them to the exception it raises. Untrusted, checked as a response's are: anything invalid is not
    reported (its cost is unknown, never 0). Nothing reported: every value None. An :class:`AgentCallError` marked
    ``never_sent`` (the request provably never reached the agent) spent nothing: 0 USD and 0 tokens, known.
    """
    from gatekit.agents.base import MAX_NAME_CHARS, check_cost, check_tokens

    try:
        if isinstance(exc, AgentCallError) and exc.never_sent is True:
            return dict(NOT_SENT)
        usage = getattr(exc, "usage", None)
        usage = usage if isinstance(usage, dict) else {}
        tokens = [
            check_tokens(next((dict.get(usage, k) for k in keys if dict.get(usage, k) is not None), None), keys[0])
            for keys in (("input_tokens", "prompt_tokens"), ("output_tokens", "completion_tokens"))
        ]
        cost = check_cost(getattr(exc, "cost_usd", None))
        model = getattr(exc, "model", None)
        model = _writable(str.__str__(model)) if isinstance(model, str) and 0 < len(model) <= MAX_NAME_CHARS else None
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except BaseException:  # noqa: BLE001 - the agent's exception is untrusted (a property may sys.exit): no report
        return {}
    return {"cost_usd": cost, "input_tokens": tokens[0], "output_tokens": tokens[1], "model": model}


def backoff_delay(
    attempt: int, settings: ReplaySettings, rng: random.Random, retry_after_s: float | None = None
) -> float:
    """Seconds to wait before retry number ``attempt`` (1 = the first retry).

    Exponential (``base * 2**(attempt-1)``, capped) with "equal jitter": a uniform draw from
    the upper half, so concurrent retries spread out but never hammer at once. A server's
    ``Retry-After`` is a floor, capped at ``max_retry_after_s`` (:func:`run_case` does not retry past the cap).
    """
    ceiling = min(settings.backoff_max_s, settings.backoff_base_s * (2 ** (attempt - 1)))
    delay = rng.uniform(ceiling / 2, ceiling)
    if retry_after_s is not None:
        delay = max(delay, min(retry_after_s, settings.max_retry_after_s))
    return delay


async def run_case(
    agent: Agent,
    case: Case,
    settings: ReplaySettings,
    repeat: int = 0,
    *,
    rng: random.Random | None = None,
    deadline: float | None = None,
) -> CaseResult:
    """Run one case with retries; never raises (except cancellation).

    ``deadline`` is a ``time.monotonic()`` instant: no attempt runs past it, no retry starts
    after it.
    """
    rng = rng or random.Random()
    attempts: list[Attempt] = []
    started_at = datetime.now(UTC).isoformat()
    asked = time.perf_counter()  # the caller asked here: a retried case's answer came after every attempt and wait
    for number in range(1, settings.retries + 2):
        timeout_s = settings.timeout_s
        if deadline is not None:
            timeout_s = max(0.0, min(timeout_s, deadline - time.monotonic()))
            if timeout_s <= 0:
                # the deadline passed before this attempt: not called (a call given no time could still write its
                # request before it is cancelled), so it spent nothing
                message = "not started: the deadline had passed"
                attempts.append(Attempt(number, 0.0, False, ErrorType.TIMEOUT.value, message, **NOT_SENT))
                break
        t0 = time.perf_counter()
        t1: float | None = None
        try:
            async with asyncio.timeout(timeout_s):
                raw = await agent.call(case.input, case.context)
            t1 = time.perf_counter()
            # Untrusted until checked: a negative cost, a bad token count, unbounded or circular
            # arguments make this attempt an invalid response (outside the measured latency).
            response = check_response(raw)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - every agent failure is recorded on the case
            latency_ms = ((t1 or time.perf_counter()) - t0) * 1000.0
            error_type, message, retryable, retry_after = classify(exc)
            if retryable and number <= settings.retries and retry_after is not None:
                wait_cap = settings.max_retry_after_s
                if deadline is not None:
                    wait_cap = min(wait_cap, max(0.0, deadline - time.monotonic()))
                if retry_after > wait_cap:  # a wait the run cannot afford (a hostile or overloaded server): no retry
                    retryable = False
                    left = "" if deadline is None else " or the time left before --deadline"
                    cap = f"{settings.max_retry_after_s:g} s cap{left}"
                    message = f"Retry-After {retry_after:g} s exceeds the {cap}: not retried; {message}"
            # scrub before the cut: a secret straddling the cut must not leave a piece behind
            message = scrub_cut(message, ERROR_CHARS, settings.keep) or ""
            attempts.append(Attempt(number, latency_ms, False, error_type.value, message, **failure_usage(exc)))
            if not retryable or number > settings.retries:
                break
            delay = backoff_delay(number, settings, rng, retry_after)
            if deadline is not None and time.monotonic() + delay >= deadline:
                break
            await asyncio.sleep(delay)
            continue
        answered = t1 or time.perf_counter()
        attempts.append(Attempt(number, (answered - t0) * 1000.0, True))
        return CaseResult(
            case_id=case.id,
            ok=True,
            attempts=attempts,
            response=response,
            # the time to the answer as the caller saw it: every attempt and every backoff wait before it
            latency_ms=(answered - asked) * 1000.0,
            repeat=repeat,
            started_at=started_at,
        )
    last = attempts[-1]
    return CaseResult(
        case_id=case.id,
        ok=False,
        attempts=attempts,
        latency_ms=None,
        error_type=last.error_type,
        error_message=last.error_message,
        repeat=repeat,
        started_at=started_at,
    )


async def replay(
    cases: Iterable[Case],
    agent: Agent,
    settings: ReplaySettings,
    on_result: Callable[[Case, CaseResult], bool | Awaitable[bool]],
) -> ReplayStats:
    """Run every case ``settings.repeat`` times and call ``on_result`` as each finishes.

    ``on_result`` returns False (or an awaitable of it) to stop the replay early (an emergency
    stop); cases already running are cancelled and not recorded. Pairs ``(case_id, repeat)`` in
    ``settings.skip`` (finished in an earlier, interrupted run) are not run again. When
    ``settings.deadline_s`` passes, no new case starts and running ones are cancelled
    (not recorded, so a ``--resume`` run can finish them). SIGTERM stops the replay the
    same way and raises :class:`ReplayInterrupted`; Ctrl-C raises ``KeyboardInterrupt``.
    """
    stats = ReplayStats()
    t0 = time.perf_counter()
    deadline = None if settings.deadline_s is None else time.monotonic() + settings.deadline_s
    rng = random.Random(settings.jitter_seed)
    stop = asyncio.Event()
    terminated = False

    # Repeat-major, the order results are judged and written in (``InDatasetOrder``: every case once, then again):
    # run case-major (c0 r0, c0 r1, c1 r0, ...), each later repeat's result waited in memory until the first pass
    # was over — with --repeat 2, half the run's answers held at once (1,500 answers of 100 KB: +107 MB of peak RSS),
    # and lost, finished, on Ctrl-C, SIGTERM or --deadline (only a prefix of the judging order is written).
    listed = cases if settings.repeat <= 1 or isinstance(cases, Sequence) else list(cases)

    def pending() -> Iterator[tuple[Case, int]]:
        for repeat in range(settings.repeat):
            for case in listed:
                if (case.id, repeat) in settings.skip:
                    stats.skipped += 1
                    continue
                yield case, repeat

    work = pending()
    # Back-pressure. Results are judged in order, so a case that finishes early waits in memory for the cases
    # before it: behind one slow case (a timeout, retried) a fast agent's answers piled up without bound — all of
    # the rest of the dataset, at 1 MB an answer gigabytes, and all lost on Ctrl-C or SIGTERM. No case starts while
    # the answers waiting hold more than ``max_waiting_chars`` (each counted at least _WAITING_FLOOR): the pile is
    # bounded, and the slow case still runs (its worker never waits here).
    taken = 0  # positions handed out, in judging order
    released = 0  # every position before this one has finished
    finished: dict[int, int] = {}  # position -> its answer's size, finished but behind an unfinished one
    waiting = 0  # the sizes in ``finished``
    room = asyncio.Event()
    room.set()

    def done_at(position: int, result: CaseResult) -> None:
        nonlocal released, waiting
        size = _held_size(result)
        finished[position] = size
        waiting += size
        while released in finished:
            waiting -= finished.pop(released)
            released += 1
        if waiting <= settings.max_waiting_chars:
            room.set()

    async def worker() -> None:
        nonlocal taken
        while True:
            while waiting > settings.max_waiting_chars:
                room.clear()
                await room.wait()  # (cancelled with the rest at a stop)
            if stop.is_set():
                return
            item = next(work, None)
            if item is None:
                return
            case, repeat = item
            position = taken
            taken += 1
            result = await run_case(agent, case, settings, repeat, rng=rng, deadline=deadline)
            done_at(position, result)
            if stop.is_set():
                return
            if deadline is not None and time.monotonic() >= deadline and not result.ok:
                # cut short by the deadline, not a verdict on the agent: leave it for --resume
                stop.set()
                stats.deadline_hit = True
                return
            _account(stats, result)
            keep_going = on_result(case, result)
            if inspect.isawaitable(keep_going):
                # judged off the loop (gate.py): other cases' agent calls keep being timed meanwhile
                keep_going = await keep_going
            if not keep_going:
                stats.stopped_early = True
                stop.set()
                return

    def on_sigterm() -> None:
        nonlocal terminated
        terminated = True
        stop.set()

    loop = asyncio.get_running_loop()
    sigterm_installed = False
    if settings.handle_sigterm:
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGTERM, on_sigterm)
            sigterm_installed = True
    workers = [asyncio.create_task(worker()) for _ in range(max(1, settings.concurrency))]
    stopper = asyncio.create_task(stop.wait())
    try:
        running: set[asyncio.Task[Any]] = set(workers)
        while running:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            done, _ = await asyncio.wait(running | {stopper}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper:
                    task.result()
                    running.discard(task)
            if deadline is not None and time.monotonic() >= deadline and running:
                stats.deadline_hit = True
                stop.set()
            if stop.is_set():
                for task in running:
                    task.cancel()
                await asyncio.gather(*running, return_exceptions=True)
                running = set()
    finally:
        stopper.cancel()
        for task in workers:
            task.cancel()
        await asyncio.gather(*workers, stopper, return_exceptions=True)
        if sigterm_installed:
            loop.remove_signal_handler(signal.SIGTERM)
        stats.wall_s = time.perf_counter() - t0
    if terminated:
        raise ReplayInterrupted(f"stopped by SIGTERM after {stats.finished} {noun(stats.finished, 'case')}")
    if stats.deadline_hit:
        stats.stop_reason = f"deadline of {settings.deadline_s:g}s reached"
    return stats


_WAITING_FLOOR = 2048  # what a waiting result is counted at, at least (its attempts, ids, an error message)


def _held_size(result: CaseResult) -> int:
    """About what ``result`` holds in memory, in characters: its answer's text and tool calls, at least a floor."""
    size = _WAITING_FLOOR + len(result.error_message or "")
    response = result.response
    if response is not None:
        size += len(response.output)
        stack: list[Any] = list(response.tool_calls)  # checked JSON data (check_response): bounded, acyclic
        while stack:
            item = stack.pop()
            size += 16
            if isinstance(item, str):
                size += len(item)
            elif isinstance(item, dict):
                stack.extend(item.keys())
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return size


def _account(stats: ReplayStats, result: CaseResult) -> None:
    stats.finished += 1
    stats.attempts += len(result.attempts)
    if len(result.attempts) > 1:
        stats.retried_cases += 1
    if result.attempts and not result.attempts[0].ok:
        stats.first_attempt_errors += 1
    if not result.ok:
        stats.errors += 1
        key = result.error_type or ErrorType.EXCEPTION.value
        stats.errors_by_type[key] = stats.errors_by_type.get(key, 0) + 1


# --- streaming results to disk and reading them back for --resume -------------------------


@dataclass
class ResumeState:
    """What an output folder holds from an earlier run of the same gate (read, not yet touched)."""

    out: Path
    run_id: str
    identity: dict[str, Any]
    resume: bool
    kept: int = 0  # finished rows kept (read back one at a time by ``rows()``: never held all at once)
    finished: set[tuple[str, int]] = field(default_factory=set)
    order: list[tuple[str, int]] | None = None
    good_bytes: int = 0
    torn_bytes: int = 0
    set_aside: Path | None = None  # where a fresh run moves an unfinished run's files (never discards them)
    set_aside_rows: int = 0

    def rows(self) -> Iterator[dict[str, Any]]:
        """The kept rows, in file order, read again from ``results.jsonl`` one at a time (bounded memory).

        ``--resume`` read the file whole and held every row (a 100,000-case run of 4 kB rows: ~2 GB); the rows are
        now streamed twice, once to find what is kept (``prepare_results``) and once here to restore it.
        """
        if not self.kept:
            return
        path = self.out / RESULTS_FILE
        for row, end, keep in _kept_rows(path, self.order):
            if end > self.good_bytes:
                return
            if keep:
                yield row

    def open(self) -> TextIO:
        """Open ``results.jsonl`` for appending: cut rows not kept when resuming, else start afresh.

        ``replay_state.json`` (the run identity) is written first, atomically, so a results file
        never exists without the identity a later ``--resume`` checks. An earlier run's verdict.json,
        report.html and drift files are removed: a run stopped before its verdict left the last
        run's ``pass`` next to its own results.
        """
        from gatekit.fsio import atomic_write_text, open_private_write, remove_regular_file

        if self.set_aside is not None:  # before anything is written: the unfinished run's files, whole
            self.set_aside.mkdir(mode=0o700)
            for name in UNFINISHED_RUN_FILES:
                if (self.out / name).is_file():
                    (self.out / name).rename(self.set_aside / name)
        state = {"run_id": self.run_id, "identity": self.identity}
        atomic_write_text(self.out / STATE_FILE, json.dumps(state, indent=2) + "\n")
        for name in STALE_OUTPUTS:  # an earlier run's verdict must not outlive this run's stop
            remove_regular_file(self.out / name)
        path = self.out / RESULTS_FILE
        if self.resume and path.exists():
            if self.torn_bytes:
                with open(path, "r+b") as handle:
                    handle.truncate(self.good_bytes)
            return open_private_write(path, append=True)
        return open_private_write(path)  # 0600: rows hold agent text


# the parts of a run identity, as a mismatch message names them
_IDENTITY_LABELS = {
    "dataset_sha256": "dataset",
    "agent_sha256": "agent (its spec, or agent_options: model, headers, extra)",
    "agent_code_sha256": "agent code (its python: module file)",
    "policy": "policy",
    "thresholds_sha256": "thresholds file",
    "pricing_sha256": "pricing file",
    "repeat": "--repeat",
    "sample": "--sample",
    "seed": "--seed",
    "timeout_s": "--timeout",
    "retries": "--retries",
}


def file_sha256(path: str | Path | None) -> str | None:
    """sha256 of a file's bytes (None for no file)."""
    if path is None:
        return None
    import hashlib

    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_identity(
    *,
    dataset_sha256: str,
    agent: str,
    repeat: int,
    sample: int | None,
    seed: int,
    policy: dict[str, Any] | None = None,
    thresholds_sha256: str | None = None,
    pricing_sha256: str | None = None,
    agent_code_sha256: str | None = None,
    timeout_s: float | None = None,
    retries: int | None = None,
) -> dict[str, Any]:
    """The settings a resumed run must share with the run it continues.

    Everything that changes a decision or a check is in it: dataset, candidate, policy (id,
    version, sha256), thresholds and pricing files, a ``python:`` agent's module file, repeat, sample and seed, and
    the per-attempt ``--timeout`` and ``--retries`` (cases measured under other limits are another experiment). The agent spec is
    stored only as a hash: a spec (a URL, headers) may hold credentials.
    """
    import hashlib

    return {
        "dataset_sha256": dataset_sha256,
        "agent_sha256": hashlib.sha256(agent.encode("utf-8")).hexdigest(),
        "policy": policy,
        "thresholds_sha256": thresholds_sha256,
        "pricing_sha256": pricing_sha256,
        "agent_code_sha256": agent_code_sha256,
        "repeat": repeat,
        "sample": sample,
        "seed": seed,
        "timeout_s": timeout_s,
        "retries": retries,
    }


def prepare_results(
    out: Path,
    *,
    resume: bool,
    run_id: str,
    identity: dict[str, Any],
    order: Iterable[tuple[str, int]] | None = None,
) -> ResumeState:
    """Read what ``out/results.jsonl`` holds for ``--resume``; change nothing on disk yet.

    Without ``resume`` (or with no earlier results) the run starts afresh. With it, the
    finished rows are read back (a torn last line from a kill mid-write is ignored and cut
    off by :meth:`ResumeState.open`). ``out/replay_state.json`` must show the same run
    identity (:func:`run_identity`), otherwise the run would mix two experiments: ``ConfigError``
    naming the part that changed. ``order`` is the order in which the gate judges cases
    ``(case_id, repeat)``: only the rows that form a prefix of it are kept (stateful rules
    must see the cases in that order), the rest run again. Without ``resume``, an unfinished earlier run's files
    are to be moved to ``set_aside`` (by :meth:`ResumeState.open`), never discarded.
    """
    path = out / RESULTS_FILE
    state = ResumeState(out=out, run_id=run_id, identity=identity, resume=resume)
    if not resume:
        state.set_aside_rows = _unfinished_rows(out)
        if state.set_aside_rows:
            earlier = _read_state(out / STATE_FILE) or {}
            name = re.sub(r"[^A-Za-z0-9_.-]", "_", str(earlier.get("run_id") or ""))[:80] or "run"
            state.set_aside = out / f"interrupted-{name}"
            index = 1
            while state.set_aside.exists() or state.set_aside.is_symlink():
                index += 1
                state.set_aside = out / f"interrupted-{name}-{index}"
    if not (resume and path.exists()):
        return state
    saved = _read_state(out / STATE_FILE)
    if saved is None or not isinstance(saved.get("identity"), dict):
        raise ConfigError(
            f"--resume: {out / STATE_FILE} is missing or unreadable, so it is unknown which run wrote {path}; "
            "use a fresh --out or drop --resume"
        )
    mismatched = [k for k, v in identity.items() if saved["identity"].get(k) != v]
    if mismatched:
        parts = ", ".join(_IDENTITY_LABELS.get(k, k) for k in mismatched)
        raise ConfigError(f"--resume: {path} was written with a different {parts}; use a fresh --out or drop --resume")
    state.run_id = str(saved.get("run_id") or run_id)
    state.order = None if order is None else list(order)
    good = 0
    for row, end, keep in _kept_rows(path, state.order):
        good = end
        if keep:
            state.kept += 1
            state.finished.add((str(row["case_id"]), int(row.get("repeat", 0))))
    state.good_bytes, state.torn_bytes = good, path.stat().st_size - good
    return state


def _unfinished_rows(out: Path) -> int:
    """Finished rows in ``out/results.jsonl`` of a run that stopped before its verdict (0 when none, or it finished).

    A run that finished has its own verdict.json; an interrupted one has none (Ctrl-C, SIGTERM), the provisional
    "did not finish" one (SIGKILL, a crash) or one saying exit code 130 (stopped while publishing).
    """
    path = out / RESULTS_FILE
    if not path.is_file():
        return 0
    verdict = _read_state(out / "verdict.json")
    if verdict is not None and verdict.get("exit_code") != 130:
        from gatekit.pipeline.provisional import UNFINISHED_REASON

        if verdict.get("reasons") != [UNFINISHED_REASON]:
            return 0
    rows = 0
    with open(path, "rb") as handle:  # whole lines only: a torn last line is no finished case
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            rows += chunk.count(b"\n")
    return rows


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        from gatekit.fsio import MAX_JSON_FILE_BYTES, read_input_text

        data = json.loads(read_input_text(path, MAX_JSON_FILE_BYTES))  # (a FIFO is refused, not waited on)
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


def _kept_rows(
    path: Path, order: Iterable[tuple[str, int]] | None = None
) -> Iterator[tuple[dict[str, Any], int, bool]]:
    """``(row, end offset, kept)`` of the rows ``--resume`` keeps, streamed; a duplicate row yields ``kept`` False.

    Lines are read by :func:`gatekit.results.iter_result_ends` (a torn last line is dropped; a bad line elsewhere is
    ``DatasetError``, exit 2, even past the last kept row: the file is read to its end). A repeated ``(case_id,
    repeat)`` keeps its first row. With ``order``, keeping stops at the first row that is not the next key of
    ``order`` (rows must form a prefix of it).
    """
    from gatekit.results import iter_result_ends

    seen: set[tuple[str, int]] = set()
    expected = None if order is None else iter(order)
    keeping = True
    for row, end in iter_result_ends(path):
        if not keeping:
            continue  # (read on: a bad line further on is still an error)
        key = (str(row["case_id"]), int(row.get("repeat", 0)))
        if expected is not None:
            if key != next(expected, None):
                keeping = False
                continue
        elif key in seen:
            yield row, end, False
            continue
        seen.add(key)
        yield row, end, True


def read_results(path: Path, order: Iterable[tuple[str, int]] | None = None) -> tuple[list[dict[str, Any]], int, int]:
    """Read finished rows for ``--resume``; return ``(rows, bytes of rows kept, bytes after them)``.

    The rows as :func:`_kept_rows` keeps them (held in a list: for small files and tests; a resumed run streams them,
    ``ResumeState.rows``). Anything after the last kept row is cut off by a resumed run.
    """
    rows: list[dict[str, Any]] = []
    good = 0
    for row, end, keep in _kept_rows(path, order):
        good = end
        if keep:
            rows.append(row)
    return rows, good, path.stat().st_size - good


def legacy_row(row: Mapping[str, Any]) -> bool:
    """A results.jsonl row an older gatekit (or a library caller) wrote: no attempt says what it spent (``cost_usd``).

    Its ``cost_usd`` is the answer's alone (failed attempts were not counted) and its ``latency_ms`` the last attempt's.
    """
    saved = row.get("attempts")
    return not isinstance(saved, list) or not any(isinstance(a, dict) and "cost_usd" in a for a in saved)


def answer_latency_ms(row: Mapping[str, Any]) -> Any:
    """A row's time to the answer: its ``latency_ms``; for a retried :func:`legacy_row`, at least its attempts' sum.

    The wait before each retry was not kept then, so the sum is a lower bound (closer than the last attempt alone).
    """
    latency = row.get("latency_ms")
    attempts = row.get("attempts") or []
    if row.get("ok") and isinstance(latency, int | float) and len(attempts) > 1 and legacy_row(row):
        spent = [a.get("latency_ms") for a in attempts if isinstance(a, dict)]
        numbers = [float(v) for v in spent if isinstance(v, int | float) and not isinstance(v, bool)]
        if len(numbers) == len(spent):
            return max(latency, sum(numbers))
    return latency


def result_from_row(row: dict[str, Any]) -> CaseResult:
    """Rebuild a ``CaseResult`` (with its governance decision) from a results.jsonl row."""
    response = row.get("response")
    decision = row.get("decision")
    attempts = [Attempt(**a) for a in row.get("attempts") or [] if isinstance(a, dict)]
    if legacy_row(row):  # its cost_usd was the answer's alone: a failed attempt's cost is unknown
        for attempt in attempts:
            attempt.cost_usd = row.get("cost_usd") if attempt.ok else None
    return CaseResult(
        case_id=str(row["case_id"]),
        ok=bool(row.get("ok")),
        attempts=attempts,
        response=None if response is None else AgentResponse(**response),
        latency_ms=answer_latency_ms(row),
        error_type=row.get("error_type"),
        error_message=row.get("error_message"),
        cost_usd=row.get("cost_usd"),
        repeat=int(row.get("repeat", 0)),
        decision=None
        if decision is None
        else Decision(
            outcome=Outcome(decision["outcome"]),
            rules=list(decision.get("rules") or []),
            reasons=list(decision.get("reasons") or []),
            redactions=dict(decision.get("redactions") or {}),
            decision_latency_us=float(decision.get("decision_latency_us") or 0.0),
            notes=[str(note) for note in decision.get("notes") or []],
        ),
        passed=row.get("passed"),
        expectations_met=row.get("expectations_met"),
        started_at=row.get("started_at"),
        expectation_misses=[str(m) for m in row.get("expectation_misses") or []],
    )


# --- per-case pass counts over --repeat K (k-of-n) ------------------------------------------


@dataclass
class PassCounts:
    """How many of its ``n`` repeats each scored case passed; feeds k-of-n thresholds."""

    repeat: int = 1
    counts: dict[str, list[int]] = field(default_factory=dict)  # case_id -> [passes, scored]

    def add(self, case_id: str, passed: bool | None) -> None:
        """Count one finished repeat of a case (``None``: nothing to score)."""
        if passed is None:
            return
        entry = self.counts.setdefault(case_id, [0, 0])
        entry[0] += int(passed)
        entry[1] += 1

    def metrics(self) -> dict[str, Any]:
        """``pass_all_repeats_rate`` (pass^n), ``pass_any_repeat_rate`` (pass@n), k-of-n rates."""
        n = self.repeat
        total = len(self.counts)
        out: dict[str, Any] = {"repeat": n, "scored_cases": total}
        if not total:
            out.update({"pass_all_repeats_rate": None, "pass_any_repeat_rate": None, "pass_k_of_n": {}})
            return out
        passes = [p for p, _ in self.counts.values()]
        out["pass_all_repeats_rate"] = sum(1 for p, s in self.counts.values() if p == s == n) / total
        out["pass_any_repeat_rate"] = sum(1 for p in passes if p > 0) / total
        out["pass_k_of_n"] = {str(k): sum(1 for p in passes if p >= k) / total for k in range(1, n + 1)}
        out["pass_count_histogram"] = {str(k): sum(1 for p in passes if p == k) for k in range(0, n + 1)}
        return out
