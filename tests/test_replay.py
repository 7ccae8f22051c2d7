"""The replay engine against real agents: retries, Retry-After, timeouts, deadline, streaming, repeats."""

from __future__ import annotations

import asyncio
import json
import random
import shlex
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agents import replay_agents
from agents.procs import CMD_AGENT, HttpAgentServer, http_agent_server

from gatekit.agents import AgentOptions, resolve_agent
from gatekit.models import Case, CaseResult
from gatekit.replay import PassCounts, ReplaySettings, ReplayStats, backoff_delay, read_results, replay

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[HttpAgentServer]:
    with http_agent_server(seed=7) as srv:
        yield srv


def cases(n: int, text: str = "case {i}") -> list[Case]:
    return [Case(id=f"c{i}", input=text.format(i=i)) for i in range(n)]


def run(
    spec: str, items: Any, settings: ReplaySettings, options: AgentOptions | None = None
) -> tuple[ReplayStats, list[CaseResult]]:
    results: list[CaseResult] = []

    async def go() -> ReplayStats:
        agent = resolve_agent(spec, options or AgentOptions(concurrency=settings.concurrency))
        await agent.start()
        try:
            return await replay(items, agent, settings, lambda _c, r: results.append(r) or True)
        finally:
            await agent.close()

    return asyncio.run(go()), results


def test_429_is_retried_after_the_servers_retry_after(server: HttpAgentServer) -> None:
    settings = ReplaySettings(concurrency=2, timeout_s=5, retries=2, backoff_base_s=0.01, jitter_seed=1)
    stats, results = run(server.url("429", fail=1, retry_after=1), cases(2, "rate {i}"), settings)
    assert stats.finished == 2 and stats.errors == 0 and stats.retried_cases == 2
    for result in results:
        assert [a.ok for a in result.attempts] == [False, True]
        assert result.attempts[0].error_type == "rate_limited"
    times = server.stats()["per_key"]["rate 0"]
    assert len(times) == 2 and times[1] - times[0] >= 0.95  # waited Retry-After: 1, not the 10 ms backoff


def test_5xx_retries_are_bounded_and_recorded(server: HttpAgentServer) -> None:
    settings = ReplaySettings(concurrency=1, timeout_s=5, retries=2, backoff_base_s=0.01)
    stats, [result] = run(server.url("500"), cases(1, "always 500 {i}"), settings)
    assert not result.ok and result.error_type == "http_5xx"
    assert len(result.attempts) == 3 and stats.attempts == 3
    assert server.stats()["per_key"]["always 500 0"].__len__() == 3


def test_invalid_response_is_not_retried(server: HttpAgentServer) -> None:
    settings = ReplaySettings(concurrency=1, timeout_s=5, retries=3, backoff_base_s=0.01)
    _, [result] = run(server.url("malformed"), cases(1, "bad json {i}"), settings)
    assert result.error_type == "invalid_response" and len(result.attempts) == 1


def test_hang_times_out_per_attempt_and_is_retried(server: HttpAgentServer) -> None:
    settings = ReplaySettings(concurrency=2, timeout_s=0.3, retries=1, backoff_base_s=0.01)
    _, results = run(server.url("hang"), cases(2, "hang {i}"), settings)
    assert len(results) == 2
    for result in results:
        assert result.error_type == "timeout" and len(result.attempts) == 2
        # each attempt waited its 0.3 s and was cut there: the server hangs for an hour and the adapter has no
        # timeout of its own on a read (an upper bound far from both: a loaded machine fires a 0.3 s timer late)
        assert all(a.error_type == "timeout" and 250 <= a.latency_ms < 10_000 for a in result.attempts)


def test_random_errors_first_attempt_rate_is_kept_next_to_the_final_rate(server: HttpAgentServer) -> None:
    settings = ReplaySettings(concurrency=16, timeout_s=5, retries=3, backoff_base_s=0.005, jitter_seed=3)
    stats, results = run(server.url("random_errors", p=0.3), cases(200, "flaky {i}"), settings)
    assert stats.finished == 200
    first = stats.first_attempt_errors / 200
    final = stats.errors / 200
    assert 0.2 < first < 0.4  # p = 0.3 per attempt
    assert final < 0.03  # 0.3**4 ~ 0.8 % left after three retries
    assert stats.retried_cases == stats.first_attempt_errors
    assert sum(len(r.attempts) for r in results) == stats.attempts


def test_mixed_failures_in_one_run_are_counted_by_type(server: HttpAgentServer) -> None:
    items = [
        Case(id="ok", input="fine"),
        Case(id="bad", input="[mode=malformed] x"),
        Case(id="boom", input="[mode=500] y"),
        Case(id="slow", input="[mode=hang] z"),
        Case(id="reset", input="[mode=reset] w"),
    ]
    settings = ReplaySettings(concurrency=5, timeout_s=0.3, retries=0)
    stats, results = run(server.url("ok"), items, settings)
    by_id = {r.case_id: r.error_type for r in results}
    assert by_id == {
        "ok": None,
        "bad": "invalid_response",
        "boom": "http_5xx",
        "slow": "timeout",
        "reset": "connection",
    }
    assert stats.errors_by_type == {"invalid_response": 1, "http_5xx": 1, "timeout": 1, "connection": 1}


def test_concurrency_is_bounded_and_cases_are_pulled_lazily() -> None:
    pulled = {"n": 0, "max_ahead": 0}
    finished = {"n": 0}

    def stream() -> Iterator[Case]:
        for i in range(100):
            pulled["n"] += 1
            pulled["max_ahead"] = max(pulled["max_ahead"], pulled["n"] - finished["n"])
            yield Case(id=f"c{i}", input=i)

    replay_agents.IN_FLIGHT.update(now=0, max=0)

    async def go() -> ReplayStats:
        agent = resolve_agent("python:agents.replay_agents:sleeper", AgentOptions(concurrency=8))
        await agent.start()

        def on_result(_c: Case, _r: CaseResult) -> bool:
            finished["n"] += 1
            return True

        try:
            return await replay(stream(), agent, ReplaySettings(concurrency=8, timeout_s=5), on_result)
        finally:
            await agent.close()

    stats = asyncio.run(go())
    assert stats.finished == 100
    assert replay_agents.IN_FLIGHT["max"] == 8
    assert pulled["max_ahead"] <= 8  # never more cases in memory than workers


def test_deadline_stops_the_run_without_recording_cut_cases(tmp_path: Path) -> None:
    """Four quick cases, then cases that take a minute: the 3 s deadline ends the two in flight, unrecorded."""
    settings = ReplaySettings(concurrency=2, timeout_s=120, deadline_s=3)
    items = cases(4, "quick {i}") + cases(40, "slow {i} [sleep=60]")[4:]
    t0 = time.monotonic()
    stats, results = run("cmd:" + shlex.join([sys.executable, str(CMD_AGENT)]), items, settings)
    took = time.monotonic() - t0
    assert stats.deadline_hit and "deadline" in (stats.stop_reason or "")
    assert sorted(r.case_id for r in results) == ["c0", "c1", "c2", "c3"], stats
    assert all(r.ok for r in results)  # cases cut by the deadline are left for --resume, not failed
    assert took < 40, took  # the cases in flight were cut at the deadline, not waited for (60 s each)


def test_crashing_subprocess_case_is_retried_on_a_fresh_worker(tmp_path: Path) -> None:
    spec = "cmd:" + shlex.join([sys.executable, str(CMD_AGENT), "--state-dir", str(tmp_path)])
    items = cases(6, "case {i}") + [Case(id="crashy", input="please [crash-once]")]
    stats, results = run(spec, items, ReplaySettings(concurrency=3, timeout_s=5, retries=1, backoff_base_s=0.01))
    assert stats.finished == 7 and stats.errors == 0
    crashy = next(r for r in results if r.case_id == "crashy")
    assert [a.ok for a in crashy.attempts] == [False, True]
    assert "crashing once on purpose" in (crashy.attempts[0].error_message or "")


def test_repeat_runs_each_case_k_times_and_counts_passes() -> None:
    stats, results = run(
        "python:agents.replay_agents:instant", cases(5), ReplaySettings(concurrency=4, timeout_s=5, repeat=3)
    )
    assert stats.finished == 15
    assert sorted((r.case_id, r.repeat) for r in results) == [(f"c{i}", k) for i in range(5) for k in range(3)]


def test_skip_set_from_resume_is_not_run_again() -> None:
    skip = {("c0", 0), ("c3", 0)}
    stats, results = run(
        "python:agents.replay_agents:instant", cases(5), ReplaySettings(concurrency=2, timeout_s=5, skip=skip)
    )
    assert stats.skipped == 2
    assert sorted(r.case_id for r in results) == ["c1", "c2", "c4"]


def test_pass_counts_k_of_n_by_hand() -> None:
    counts = PassCounts(repeat=3)
    outcomes = {
        "a": [True, True, True],
        "b": [True, False, True],
        "c": [False, False, False],
        "d": [False, True, False],
    }
    for case_id, passes in outcomes.items():
        for passed in passes:
            counts.add(case_id, passed)
    counts.add("unscored", None)
    m = counts.metrics()
    assert m["scored_cases"] == 4
    assert m["pass_all_repeats_rate"] == 0.25  # only a
    assert m["pass_any_repeat_rate"] == 0.75  # a, b, d
    assert m["pass_k_of_n"] == {"1": 0.75, "2": 0.5, "3": 0.25}
    assert m["pass_count_histogram"] == {"0": 1, "1": 1, "2": 1, "3": 1}


def test_backoff_is_exponential_jittered_capped_and_respects_retry_after() -> None:
    settings = ReplaySettings(backoff_base_s=0.1, backoff_max_s=1.0, max_retry_after_s=5.0)
    rng = random.Random(0)
    for attempt, ceiling in ((1, 0.1), (2, 0.2), (3, 0.4), (4, 0.8), (5, 1.0), (9, 1.0)):
        delays = [backoff_delay(attempt, settings, rng) for _ in range(200)]
        assert min(delays) >= ceiling / 2 and max(delays) <= ceiling
        assert max(delays) - min(delays) > ceiling / 4  # jitter spreads retries out
    assert backoff_delay(1, settings, rng, retry_after_s=3.0) == 3.0
    assert backoff_delay(1, settings, rng, retry_after_s=600.0) == 5.0  # capped


def test_read_results_drops_a_torn_tail_and_duplicate_rows(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    rows = [{"case_id": "a", "repeat": 0, "ok": True}, {"case_id": "b", "repeat": 0, "ok": False}]
    good = "".join(json.dumps(r) + "\n" for r in rows) + json.dumps(rows[0]) + "\n"
    path.write_text(good + '{"case_id": "c", "rep')
    read, good_bytes, torn = read_results(path)
    assert [r["case_id"] for r in read] == ["a", "b"]
    assert good_bytes == len(good.encode()) and torn == len(b'{"case_id": "c", "rep')
