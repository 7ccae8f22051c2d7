"""Replay throughput against the ideal, and peak memory for a large dataset.

(a) 2,000 cases at concurrency 64 through the HTTP adapter against the test agent server's bare
    ``--raw`` mode (fixed 50 ms latency, precomputed answer), in a separate process; for comparison
    a bare aiohttp loop and a bare httpx client with the same connection limit against the same
    server (httpx is the client the issue says collapses), and the adapter against the full
    aiohttp.web test server.
(b) 2,000 cases at concurrency 64 through a ``python:`` async agent sleeping 50 ms.
    Ideal time = cases x latency / concurrency; gatekit must reach >= 90 % of ideal throughput.
    2,000 cases are 31.25 rounds of 64, so the last 16 cases need a 32nd round: no client can
    beat 1.5625 / 1.6 = 97.7 % of ideal here.
(c) Peak RSS for 100,000 cases with an instant agent, each result streamed to results.jsonl,
    measured in a fresh subprocess.

Every throughput line is measured ``--runs`` times (default 5) after one untimed warm-up run and
reports the best and the median; the machine's load average is printed before and after, since
the client and the server share the CPUs with whatever else runs.

Run: ``python benchmarks/replay_throughput.py [--runs 5] [--no-httpx]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

from agents.procs import http_agent_server  # noqa: E402

from gatekit.agents import AgentOptions, resolve_agent  # noqa: E402
from gatekit.models import Case  # noqa: E402
from gatekit.replay import ReplaySettings, replay  # noqa: E402

CASES = 2000
CONCURRENCY = 64
LATENCY_S = 0.05
BIG = 100_000


def gatekit_run(spec: str, n: int, concurrency: int, extra: dict[str, str] | None = None) -> tuple[float, int]:
    cases = [Case(id=f"c{i}", input=f"case {i}") for i in range(n)]
    errors = 0

    def on_result(_case: Case, result: object) -> bool:
        nonlocal errors
        errors += 0 if getattr(result, "ok", False) else 1
        return True

    async def go() -> float:
        options = AgentOptions(concurrency=concurrency, timeout_s=30, extra=dict(extra or {}))
        agent = resolve_agent(spec, options)
        await agent.start()
        try:
            t0 = time.perf_counter()
            await replay(cases, agent, ReplaySettings(concurrency=concurrency, timeout_s=30, retries=0), on_result)
            return time.perf_counter() - t0
        finally:
            await agent.close()

    return asyncio.run(go()), errors


def httpx_run(url: str, n: int, concurrency: int) -> float:
    import httpx

    async def go() -> float:
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=30) as client:
            sem = asyncio.Semaphore(concurrency)

            async def one(i: int) -> None:
                async with sem:
                    body = {"messages": [{"role": "user", "content": f"case {i}"}]}
                    resp = await client.post(url, json=body)
                    resp.json()

            t0 = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(n)))
            return time.perf_counter() - t0

    return asyncio.run(go())


def aiohttp_run(url: str, n: int, concurrency: int) -> float:
    """The bare-client baseline: one aiohttp session, ``concurrency`` loops, no gatekit."""
    import aiohttp

    async def go() -> float:
        connector = aiohttp.TCPConnector(limit=concurrency)
        async with aiohttp.ClientSession(connector=connector) as session:
            numbers = iter(range(n))

            async def loop() -> None:
                for i in numbers:
                    body = json.dumps({"messages": [{"role": "user", "content": f"case {i}"}]}).encode()
                    async with session.post(url, data=body, headers={"Content-Type": "application/json"}) as resp:
                        json.loads(await resp.read())

            t0 = time.perf_counter()
            await asyncio.gather(*(loop() for _ in range(concurrency)))
            return time.perf_counter() - t0

    return asyncio.run(go())


def report(label: str, walls: list[float], n: int, concurrency: int, errors: int | None = None) -> float:
    """Print best and median ratio against the ideal over ``walls``; return the median ratio."""
    ideal = n * LATENCY_S / concurrency
    best, median = min(walls), statistics.median(walls)
    extra = "" if errors is None else f", errors {errors}"
    runs = f"{len(walls)} run" + ("s" if len(walls) > 1 else "")
    print(
        f"{label:<48} ideal {ideal:5.3f} s | best wall {best:5.3f} s ratio {ideal / best:6.1%} | "
        f"median wall {median:5.3f} s ratio {ideal / median:6.1%} ({runs}{extra})"
    )
    return ideal / median


def repeat_gatekit(spec: str, runs: int, extra: dict[str, str] | None = None) -> tuple[list[float], int]:
    """One untimed warm-up (imports, code paths), then ``runs`` timed replays."""
    gatekit_run(spec, 200, CONCURRENCY, extra)
    walls: list[float] = []
    errors = 0
    for _ in range(runs):
        wall, errs = gatekit_run(spec, CASES, CONCURRENCY, extra)
        walls.append(wall)
        errors += errs
    return walls, errors


def load() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f} {five:.2f} {fifteen:.2f} on {os.cpu_count()} CPUs"


MEMORY_CHILD = """
import asyncio, json, resource, sys, time
sys.path.insert(0, {repo!r}); sys.path.insert(0, {tests!r})
from gatekit.agents import AgentOptions, resolve_agent
from gatekit.models import Case
from gatekit.replay import ReplaySettings, replay
n = {n}
before_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
cases = [Case(id=f"case-{{i:06d}}", input={{"messages": [{{"role": "user", "content": f"question number {{i}}"}}]}},
              context={{"user": f"u{{i % 97}}", "env": "test"}}) for i in range(n)]
out = open({out!r}, "w", encoding="utf-8")
def on_result(case, result):
    out.write(json.dumps(result.to_dict(), default=str) + "\\n")
    return True
async def go():
    agent = resolve_agent("python:agents.replay_agents:instant", AgentOptions(concurrency=64))
    await agent.start()
    t0 = time.perf_counter()
    stats = await replay(cases, agent, ReplaySettings(concurrency=64, timeout_s=30), on_result)
    await agent.close()
    return stats, time.perf_counter() - t0
stats, wall = asyncio.run(go())
out.close()
peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
summary = {{"before_mb": before_kb / 1024, "peak_mb": peak_kb / 1024, "finished": stats.finished, "wall_s": wall}}
print(json.dumps(summary))
"""


def memory_run(n: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "results.jsonl")
        code = MEMORY_CHILD.format(repo=str(REPO), tests=str(REPO / "tests"), n=n, out=out)
        proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
        result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
        result["results_mb"] = Path(out).stat().st_size / 1e6 if Path(out).exists() else 0.0
        return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="timed runs per line (best and median printed)")
    parser.add_argument("--no-httpx", action="store_true", help="skip the (slow) httpx comparison")
    args = parser.parse_args()
    runs = max(1, args.runs)
    print(f"replay throughput: {CASES} cases, concurrency {CONCURRENCY}, agent latency {LATENCY_S * 1000:.0f} ms")
    print(f"before: {load()}")
    with http_agent_server(1, "--raw", "--latency-ms", str(LATENCY_S * 1000)) as server:
        url = server.url("ok")
        walls, errors = repeat_gatekit(url, runs)
        ratio_http = report("(a) gatekit HTTP adapter, bare server", walls, CASES, CONCURRENCY, errors)
        walls, errors = repeat_gatekit(url, runs, {"http_client": "aiohttp"})
        report("    same, forced to aiohttp (http_client: aiohttp)", walls, CASES, CONCURRENCY, errors)
        aiohttp_run(url, 200, CONCURRENCY)
        bare = [aiohttp_run(url, CASES, CONCURRENCY) for _ in range(runs)]
        ratio_bare = report("    bare aiohttp loop (no gatekit), same server", bare, CASES, CONCURRENCY)
        print(f"    gatekit / bare aiohttp throughput (medians): {ratio_http / ratio_bare:.1%}")
        if args.no_httpx:
            print("    httpx comparison skipped (--no-httpx)")
        else:
            try:
                walls_httpx = [httpx_run(url, CASES, CONCURRENCY)]
                report("    bare httpx 0.28 client, same server", walls_httpx, CASES, CONCURRENCY)
            except ImportError:
                print("    httpx not installed; comparison skipped")
    with http_agent_server() as server:
        walls, errors = repeat_gatekit(server.url("ok", latency_ms=int(LATENCY_S * 1000)), runs)
        report("    gatekit HTTP adapter, aiohttp.web test server", walls, CASES, CONCURRENCY, errors)
    walls, errors = repeat_gatekit("python:agents.replay_agents:sleep_50ms", runs)
    ratio_py = report("(b) gatekit python: async agent (50 ms sleep)", walls, CASES, CONCURRENCY, errors)
    mem = memory_run(BIG)
    print(
        f"(c) {BIG:,} cases, instant agent: peak RSS {mem['peak_mb']:.0f} MB "
        f"(interpreter + imports {mem['before_mb']:.0f} MB), replay {mem['wall_s']:.1f} s "
        f"({BIG / mem['wall_s']:,.0f} cases/s), results.jsonl {mem['results_mb']:.0f} MB"
    )
    print(f"after: {load()}")
    ok = ratio_http >= 0.9 and ratio_py >= 0.9
    print(f"target >= 90 % of ideal (median of {runs}): {'met' if ok else 'NOT met'}")
    _ = resource  # keep the import visible: RSS is measured in the child


if __name__ == "__main__":
    main()
