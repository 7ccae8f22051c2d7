"""Attacks on the gate by hostile agents: one parametrised test per class of attack.

Each one was reproduced against the gate ("fail-closed" issue); every test failed on the code
before the fix. Real parts only: the replay engine, the adapters, a real HTTP server on
127.0.0.1, real ``cmd:`` subprocesses and real ``gatekit eval`` processes.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from spine_project import make_project, run_cli, run_process

from adversarial import hostile_agents
from adversarial.hostile_agents import hostile_http_server, process_alive, write_cmd_worker
from gatekit.agents import AgentOptions, resolve_agent
from gatekit.errors import AgentError
from gatekit.models import Case, CaseResult
from gatekit.replay import ReplaySettings, replay, run_case

PY = "python:adversarial.hostile_agents:"


def replay_cases(
    spec: str, inputs: list[Any], *, options: AgentOptions | None = None, timeout_s: float = 10
) -> list[CaseResult]:
    """Replay ``inputs`` through ``spec`` with the real engine; return the results in input order."""
    results: dict[str, CaseResult] = {}
    cases = [Case(id=f"c{i}", input=value) for i, value in enumerate(inputs)]

    async def go() -> None:
        agent = resolve_agent(spec, options or AgentOptions(concurrency=4, timeout_s=timeout_s))
        await agent.start()
        try:
            settings = ReplaySettings(concurrency=4, timeout_s=timeout_s, retries=0, handle_sigterm=False)
            await replay(cases, agent, settings, lambda c, r: results.__setitem__(c.id, r) or True)
        finally:
            await agent.close()

    asyncio.run(go())
    return [results[c.id] for c in cases]


# --- 1. negative / non-finite cost and tokens are invalid responses, never summed -----------


@pytest.fixture(scope="module")
def http_server() -> Any:
    with hostile_http_server() as server:
        # 32 MiB bodies (the server's default is 64): four times the client's 8 MiB cap, and the memory bound
        # below scales with them; half the bytes to inflate and parse when the raised cap accepts them
        server.bomb_bytes = 32 * 1024 * 1024
        yield server


NUMBER_ATTACKS = [
    ("python", "negative_cost", "refund me"),
    ("python", "negative_tokens", "x"),
    ("python", "nan_cost", "x"),
    ("http", "negative-cost", "x"),
    ("http", "nan-cost", "x"),
    ("http", "negative-usage", "x"),
    ("aiohttp", "negative-cost", "x"),
]


@pytest.mark.parametrize(
    ("kind", "attack", "case_input"), NUMBER_ATTACKS, ids=[f"{k}-{a}" for k, a, _ in NUMBER_ATTACKS]
)
def test_negative_or_non_finite_cost_and_tokens_are_invalid_responses(
    http_server: Any, kind: str, attack: str, case_input: str
) -> None:
    if kind == "python":
        spec, options = PY + attack, None
    else:
        spec = http_server.url(attack)
        extra = {"http_client": "aiohttp"} if kind == "aiohttp" else {}
        options = AgentOptions(concurrency=4, timeout_s=10, extra=extra)
    results = replay_cases(spec, ["fine", case_input] if attack == "negative_cost" else [case_input], options=options)
    bad = results[-1]
    assert not bad.ok and bad.response is None  # nothing of it reaches the cost / token sums
    assert bad.error_type == "invalid_response", bad.error_message
    assert len(bad.attempts) == 1  # the same request gets the same answer: not retried
    if attack == "negative_cost":
        assert results[0].ok and results[0].response is not None and results[0].response.cost_usd == 0.5


# --- 15. hostile outputs are invalid responses of their case, never a crash -----------------


@pytest.mark.parametrize("attack", sorted(hostile_agents.HOSTILE_OUTPUTS))
def test_hostile_output_is_an_invalid_response_not_a_crash(attack: str) -> None:
    (result,) = replay_cases(PY + "hostile_output", [attack])
    assert not result.ok and result.error_type == "invalid_response", (attack, result.error_message)
    assert result.error_message and len(result.error_message) < 2000
    json.dumps(result.to_dict())  # the failed case is writable as it is


def test_hostile_outputs_end_with_a_verdict_through_the_cli(tmp_path: Path) -> None:
    """Every hostile output in one ``gatekit eval`` run: exit 1 with a verdict, not exit 3."""
    rows = [{"id": name, "input": name} for name in sorted(hostile_agents.HOSTILE_OUTPUTS)]
    root = make_project(tmp_path / "p", agent=PY + "hostile_output", rows=rows)
    proc = run_cli(root, "eval", "--retries", "0", env={"GATEKIT_TRACKING_URI": f"sqlite:///{tmp_path / 'm.db'}"})
    assert proc.returncode == 1, proc.stderr[-2000:]
    verdict = json.loads((root / "out" / "verdict.json").read_text())
    assert verdict["errors"]["by_type"] == {"invalid_response": len(rows)}


# --- 13. a stuck sync agent never keeps the process alive or stops the verdict ---------------


@pytest.mark.parametrize("agent", ["sleeps_forever", "busy_loops"])
def test_stuck_sync_agent_ends_with_a_verdict_and_the_process_exits(tmp_path: Path, agent: str) -> None:
    root = make_project(tmp_path / "p", agent=PY + agent, cases=3)
    started = time.monotonic()
    try:
        # a real process: a stuck thread must not keep it alive (and must not stay behind in the test process)
        proc = run_process(root, "eval", "--no-mlflow", "--retries", "1", "--timeout", "0.5", timeout=150)
    except subprocess.TimeoutExpired:
        pytest.fail(f"gatekit eval with {agent} did not exit within 150 s")
    assert proc.returncode == 1, proc.stderr[-2000:]
    verdict = json.loads((root / "out" / "verdict.json").read_text())
    assert verdict["errors"]["by_type"] == {"timeout": 3}
    assert time.monotonic() - started < 150


# --- 14. judging a large output does not inflate other cases' latency ------------------------


@pytest.mark.parametrize("concurrent_cases", [7])
def test_judging_a_large_output_does_not_inflate_other_latencies(tmp_path: Path, concurrent_cases: int) -> None:
    import gc

    rows = [{"id": "big", "input": "big"}] + [{"id": f"fast{i}", "input": "fast"} for i in range(concurrent_cases)]
    runs = []
    # (the gate runs in this test worker's process, whose heap holds every earlier test's objects: a full garbage
    # collection of it, which a real gatekit process never has to make, stops every thread; frozen, it is not
    # scanned. The better of two runs: on CI's shared cores another worker can take the CPU for a while)
    gc.collect()
    gc.freeze()
    try:
        for attempt in range(2):
            root = make_project(tmp_path / f"p{attempt}", agent=PY + "big_output_then_fast", rows=rows)
            proc = run_cli(root, "eval", "--concurrency", str(len(rows)), "--retries", "0")
            assert proc.returncode in (0, 1), proc.stderr[-2000:]
            results = [json.loads(line) for line in (root / "out" / "results.jsonl").read_text().splitlines()]
            fast = [r["latency_ms"] for r in results if r["case_id"].startswith("fast")]
            assert len(fast) == concurrent_cases and all(r["ok"] for r in results)
            runs.append(max(fast))
    finally:
        gc.unfreeze()
    # 50 ms agents; judging ~1.9 MB of PII takes about half a second on an idle core, and on the loop it used to block
    # every fast case waited for all of it (505 ms in a first run, 300 in a second with warm caches, measured so;
    # off the loop 56-65 ms)
    assert min(runs) < 200, runs


# --- 12. a compression bomb or an oversized body is an invalid response, memory bounded ------


@pytest.mark.parametrize(
    ("client", "attack"),
    [("lean", "gzip-bomb"), ("aiohttp", "gzip-bomb"), ("lean", "huge-plain"), ("aiohttp", "huge-plain")],
)
def test_oversized_or_bomb_body_is_an_invalid_response(http_server: Any, client: str, attack: str) -> None:
    extra: dict[str, Any] = {"http_client": "aiohttp"} if client == "aiohttp" else {}
    hostile_agents.gzip_bomb(http_server.bomb_bytes)  # built (32 MiB in memory once) before measuring
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    (result,) = replay_cases(http_server.url(attack), ["x"], options=AgentOptions(concurrency=1, extra=extra))
    assert not result.ok and result.error_type == "invalid_response", result.error_message
    assert "max_response_bytes" in (result.error_message or "")
    if attack == "gzip-bomb":  # (the in-process server holds a huge plain body itself)
        grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
        assert grown_kib < http_server.bomb_bytes * 3 // 4 // 1024  # the inflated body is never held whole
    # the cap is a setting: raised above the body, the same answer is accepted
    extra["max_response_bytes"] = 2 * http_server.bomb_bytes
    (accepted,) = replay_cases(http_server.url(attack), ["x"], options=AgentOptions(concurrency=1, extra=extra))
    assert accepted.ok, accepted.error_message


# --- 20. unsendable agent specs fail up front; cmd grandchildren do not outlive the run -------


BAD_SPECS = [
    ("http://user:secret@127.0.0.1:9/v1", {}, {"http_client": "aiohttp"}, "user-info"),
    ("http://user:secret@127.0.0.1:9/v1", {}, {}, "user-info"),
    ("http://127.0.0.1:9/v1", {"X-Test": "a\r\nInjected: 1"}, {"http_client": "aiohttp"}, "line break"),
    ("http://127.0.0.1:9/v1", {"X-Test": "${GATEKIT_ADVERSARIAL_CRLF}"}, {"http_client": "aiohttp"}, "line break"),
    ("http://127.0.0.1:9/v1", {"Bad Name": "v"}, {"http_client": "aiohttp"}, "not a valid header name"),
    ("http://127.0.0.1:99999/v1", {}, {"http_client": "aiohttp"}, "invalid port"),
]


@pytest.mark.parametrize(("spec", "headers", "extra", "message"), BAD_SPECS)
def test_unsendable_http_agent_spec_is_a_user_error_before_any_case(
    monkeypatch: pytest.MonkeyPatch, spec: str, headers: dict[str, str], extra: dict[str, Any], message: str
) -> None:
    monkeypatch.setenv("GATEKIT_ADVERSARIAL_CRLF", "a\r\nInjected: 1")

    async def start() -> None:
        agent = resolve_agent(spec, AgentOptions(headers=headers, extra=extra))
        try:
            await agent.start()
        finally:
            await agent.close()

    with pytest.raises(AgentError, match=message) as info:
        asyncio.run(start())
    assert "secret" not in str(info.value) and "Injected" not in str(info.value)


def test_user_info_url_exits_2_with_one_line(tmp_path: Path) -> None:
    root = make_project(
        tmp_path / "p",
        agent="http://user:secret@127.0.0.1:9/v1",
        extra_config="agent_options:\n  extra: {http_client: aiohttp}\n",
    )
    proc = run_cli(root, "eval")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "user-info" in proc.stderr and "Traceback" not in proc.stderr and "secret" not in proc.stderr
    assert not (root / "out" / "results.jsonl").exists()


@pytest.mark.parametrize("ending", ["close", "timeout"])
def test_cmd_agent_grandchildren_are_killed(tmp_path: Path, ending: str) -> None:
    spec, pids_file = write_cmd_worker(tmp_path)

    async def go() -> list[int]:
        agent = resolve_agent(spec, AgentOptions(concurrency=1, timeout_s=5))
        await agent.start()
        try:
            settings = ReplaySettings(concurrency=1, timeout_s=1.0, retries=0, handle_sigterm=False)
            if ending == "timeout":
                result = await run_case(agent, Case(id="h", input="hang"), settings)
                assert result.error_type == "timeout"
                await asyncio.sleep(0.3)
                first = int(pids_file.read_text().split()[0])
                assert not process_alive(first), "the timed-out worker's child is still running"
            else:
                result = await run_case(agent, Case(id="a", input="hi"), settings)
                assert result.ok, result.error_message
        finally:
            await agent.close()
        return [int(p) for p in pids_file.read_text().split()]

    children = asyncio.run(go())
    assert children
    deadline = time.monotonic() + 5
    while any(process_alive(pid) for pid in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    alive = [pid for pid in children if process_alive(pid)]
    for pid in alive:  # do not leave them behind even when the test fails
        os.kill(pid, 9)
    assert not alive, f"grandchildren {alive} outlived the cmd agent"


if sys.platform == "win32":  # pragma: no cover - process groups and /proc are POSIX
    pytestmark = pytest.mark.skip("POSIX only")
