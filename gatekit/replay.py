"""Replay cases through an agent: bounded concurrency, per-attempt timeout, retries.

Cases are fed to a fixed pool of workers from an iterator, so memory does not
grow with the dataset. Each finished case is handed to ``on_result`` at once
(which streams it to disk); a failing case is recorded, never raised.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from gatekit.agents.base import Agent, AgentCallError
from gatekit.models import Attempt, Case, CaseResult, ErrorType


@dataclass
class ReplaySettings:
    """How to drive the agent."""

    concurrency: int = 8
    timeout_s: float = 30.0
    retries: int = 2
    backoff_base_s: float = 0.05
    repeat: int = 1


@dataclass
class ReplayStats:
    """What happened during a replay."""

    finished: int = 0
    errors: int = 0
    stopped_early: bool = False
    stop_reason: str | None = None
    wall_s: float = 0.0
    errors_by_type: dict[str, int] = field(default_factory=dict)


def classify(exc: BaseException) -> tuple[ErrorType, str, bool, float | None]:
    """Return ``(error_type, message, retryable, retry_after_s)`` for an attempt's exception."""
    if isinstance(exc, AgentCallError):
        return exc.error_type, str(exc), exc.retryable, exc.retry_after_s
    if isinstance(exc, TimeoutError | asyncio.TimeoutError):
        return ErrorType.TIMEOUT, "attempt exceeded the timeout", True, None
    if isinstance(exc, ConnectionError):
        return ErrorType.CONNECTION, f"{type(exc).__name__}: {exc}", True, None
    return ErrorType.EXCEPTION, f"{type(exc).__name__}: {exc}", True, None


async def run_case(agent: Agent, case: Case, settings: ReplaySettings, repeat: int = 0) -> CaseResult:
    """Run one case with retries; never raises (except cancellation)."""
    attempts: list[Attempt] = []
    started_at = datetime.now(UTC).isoformat()
    for number in range(1, settings.retries + 2):
        t0 = time.perf_counter()
        try:
            response = await asyncio.wait_for(agent.call(case.input, case.context), settings.timeout_s)
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - every agent failure is recorded on the case
            if isinstance(exc, KeyboardInterrupt | SystemExit):
                raise
            latency_ms = (time.perf_counter() - t0) * 1000.0
            error_type, message, retryable, retry_after = classify(exc)
            attempts.append(Attempt(number, latency_ms, False, error_type.value, message[:2000]))
            if not retryable or number > settings.retries:
                break
            delay = retry_after if retry_after is not None else settings.backoff_base_s * (2 ** (number - 1))
            await asyncio.sleep(delay)
            continue
        latency_ms = (time.perf_counter() - t0) * 1000.0
        attempts.append(Attempt(number, latency_ms, True))
        return CaseResult(
            case_id=case.id,
            ok=True,
            attempts=attempts,
            response=response,
            latency_ms=latency_ms,
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
    on_result: Callable[[Case, CaseResult], bool],
) -> ReplayStats:
    """Run every case (``settings.repeat`` times) and call ``on_result`` as each finishes.

    ``on_result`` returns False to stop the replay early (an emergency stop);
    cases already running are cancelled and not recorded.
    """
    stats = ReplayStats()
    t0 = time.perf_counter()
    work = ((case, r) for r in range(settings.repeat) for case in cases)
    stop = asyncio.Event()

    async def worker() -> None:
        for case, repeat in work:
            if stop.is_set():
                return
            result = await run_case(agent, case, settings, repeat)
            if stop.is_set():
                return
            stats.finished += 1
            if not result.ok:
                stats.errors += 1
                key = result.error_type or ErrorType.EXCEPTION.value
                stats.errors_by_type[key] = stats.errors_by_type.get(key, 0) + 1
            if not on_result(case, result):
                stats.stopped_early = True
                stop.set()
                return

    workers = [asyncio.create_task(worker()) for _ in range(max(1, settings.concurrency))]
    try:
        while workers:
            done, pending = await asyncio.wait(workers, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
            workers = list(pending)
            if stop.is_set():
                for task in workers:
                    task.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                workers = []
    finally:
        for task in workers:
            task.cancel()
    stats.wall_s = time.perf_counter() - t0
    return stats
