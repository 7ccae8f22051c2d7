"""Overhead of the enforcing proxy (``gatekit guard serve``): throughput and added latency.

Setup — three processes, so that the client, the proxy and the upstream never share one event loop:

* upstream: ``tests/agents/http_agent_server.py --raw --latency-ms 50``, a bare keep-alive server
  answering every POST with one chat completion exactly 50 ms after the request arrived;
* proxy: ``python -m gatekit guard serve`` (a real subprocess, the command users run) with
  ``policies/default.yaml``, writing production-log rows and decision traces to a temp folder;
* client: this process, 64 concurrent workers on gatekit's lean keep-alive HTTP client
  (``gatekit.agents.http_client.HttpPool``, ~30 us per request) sending one chat request each turn.

Each round sends ``--requests`` requests straight to the upstream and the same through the proxy (the
order alternates from round to round), after one untimed warm-up of each. ``--rounds`` rounds (default
3); every round and the medians are printed side by side — throughput, p50/p99 latency of each side and
what the proxy adds — with the proxy's CPU per request and the load average before and after (the
machine is shared). ``--proxy-arg`` passes a flag to ``guard serve`` (e.g. ``--proxy-arg=--loop=asyncio``).
Targets (issue 15): proxy throughput ≥ 85 % of direct, added p99 latency ≤ 5 ms.

Run: ``python benchmarks/proxy_overhead.py [--requests 3000] [--rounds 3] [--concurrency 64]``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from gatekit.agents.http_client import HttpPool  # noqa: E402

UPSTREAM = REPO / "tests" / "agents" / "http_agent_server.py"
POLICY = REPO / "policies" / "default.yaml"
REQUEST = json.dumps(
    {
        "model": "raw-model",
        "messages": [
            {"role": "system", "content": "You are a retail customer-support agent. Use the tools to look up orders."},
            {"role": "user", "content": "Hi, my order W2378156 has not arrived yet. Can you check where it is?"},
        ],
    }
).encode()


def start_upstream(latency_ms: float) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, str(UPSTREAM), "--raw", "--latency-ms", str(latency_ms), "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line.startswith("READY "):
        raise RuntimeError(f"upstream did not start: {line!r}")
    return proc, int(line.split()[1])


def start_proxy(
    upstream_port: int, folder: Path, policy: Path, sinks: bool, extra: list[str] | None = None
) -> tuple[subprocess.Popen[str], int]:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = {**os.environ, "PYTHONPATH": str(REPO), "OPENAI_API_KEY": "sk-bench-not-a-real-key"}
    proc = subprocess.Popen(  # fmt: skip
        [
            sys.executable,
            "-m",
            "gatekit",
            "guard",
            "serve",
            "--upstream",
            f"http://127.0.0.1:{upstream_port}/v1",
            "--policy",
            str(policy),
            "--port",
            str(port),
            "--variant",
            "bench",
            *(["--log-to", str(folder / "rows.jsonl"), "--trace-to", str(folder / "traces.jsonl")] if sinks else []),
            *(extra or []),
        ],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"proxy exited: {proc.stderr.read() if proc.stderr else ''}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
                if resp.status == 200:
                    return proc, port
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("proxy did not answer /healthz in 60 s")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time the process has used so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def stop(proc: subprocess.Popen[str]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


async def load(port: int, requests: int, concurrency: int) -> dict[str, float]:
    pool = HttpPool(
        f"http://127.0.0.1:{port}/v1/chat/completions",
        "POST",
        {"Content-Type": "application/json"},
        concurrency,
        5.0,
        "bench",
    )
    latencies: list[float] = []
    errors = 0
    remaining = requests

    async def worker() -> None:
        nonlocal remaining, errors
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await pool.request(REQUEST)
            latencies.append(time.perf_counter() - started)
            if response.status != 200:
                errors += 1

    gc.collect()
    gc.disable()  # the client's own collector pauses would land on either side's p99 at random
    try:
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    finally:
        gc.enable()
    await pool.close()
    latencies.sort()
    return {
        "rps": requests / elapsed,
        "p50_ms": 1000 * latencies[len(latencies) // 2],
        "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
        "errors": errors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=3000, help="requests per side and round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--policy", type=Path, default=POLICY)
    parser.add_argument("--no-sinks", action="store_true", help="write no production-log rows nor traces")
    parser.add_argument(
        "--proxy-arg", action="append", default=[], metavar="ARG", help="extra flag for guard serve (repeatable)"
    )
    args = parser.parse_args()

    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}  (cpus: {os.cpu_count()})")
    upstream, upstream_port = start_upstream(args.latency_ms)
    with tempfile.TemporaryDirectory() as tmp:
        proxy, proxy_port = start_proxy(upstream_port, Path(tmp), args.policy, not args.no_sinks, args.proxy_arg)
        try:
            asyncio.run(load(upstream_port, 512, args.concurrency))  # warm-up: connections, caches
            asyncio.run(load(proxy_port, 512, args.concurrency))
            rounds: list[tuple[dict[str, float], dict[str, float]]] = []
            proxy_cpu = 0.0
            for number in range(args.rounds):  # side by side; the order alternates so that drift cancels
                results: dict[str, dict[str, float]] = {}
                for side in ("direct", "proxied") if number % 2 == 0 else ("proxied", "direct"):
                    before = cpu_seconds(proxy.pid)
                    port = upstream_port if side == "direct" else proxy_port
                    results[side] = asyncio.run(load(port, args.requests, args.concurrency))
                    if side == "proxied":
                        proxy_cpu += cpu_seconds(proxy.pid) - before
                rounds.append((results["direct"], results["proxied"]))
        finally:
            stop(proxy)  # SIGTERM: the proxy writes every pending row before it exits
            stop(upstream)
        log = Path(tmp) / "rows.jsonl"
        rows = sum(1 for _ in open(log, encoding="utf-8")) if log.exists() else 0

    ideal = args.concurrency / (args.latency_ms / 1000)
    sent = 512 + args.requests * args.rounds
    print(
        f"n = {args.requests} requests per side and round, {args.rounds} rounds (direct and proxied alternating), "
        f"{args.concurrency} concurrent clients, upstream latency {args.latency_ms:g} ms (ideal {ideal:.0f} req/s)"
    )
    if not args.no_sinks:
        print(f"proxy wrote {rows} production-log rows for {sent} proxied requests")
    header = f"{'':8}{'direct req/s':>13}{'proxied req/s':>14}{'ratio':>8}"
    header += f"{'direct p50/p99 ms':>19}{'proxied p50/p99 ms':>20}{'added p50/p99 ms':>19}"
    print(header)

    def line(label: str, d: dict[str, float], p: dict[str, float], compared: dict[str, float]) -> str:
        return (
            f"{label:8}{d['rps']:13.0f}{p['rps']:14.0f}{100 * compared['ratio']:7.1f}%"
            f"{d['p50_ms']:10.2f} /{d['p99_ms']:7.2f}{p['p50_ms']:11.2f} /{p['p99_ms']:7.2f}"
            f"{compared['added_p50']:+10.2f} /{compared['added_p99']:+7.2f}"
        )

    def compare(d: dict[str, float], p: dict[str, float]) -> dict[str, float]:
        return {
            "ratio": p["rps"] / d["rps"],
            "added_p50": p["p50_ms"] - d["p50_ms"],
            "added_p99": p["p99_ms"] - d["p99_ms"],
        }

    for number, (d, p) in enumerate(rounds, 1):
        print(line(f"round {number}", d, p, compare(d, p)))
    keys = ("rps", "p50_ms", "p99_ms")
    median_d = {key: statistics.median(d[key] for d, _ in rounds) for key in keys}
    median_p = {key: statistics.median(p[key] for _, p in rounds) for key in keys}
    # ratio and added: the median of the per-round comparisons (each round's two sides ran back to back)
    medians = {
        key: statistics.median(compare(d, p)[key] for d, p in rounds) for key in ("ratio", "added_p50", "added_p99")
    }
    print(line("median", median_d, median_p, medians))
    errors = sum(r["errors"] for pair in rounds for r in pair)
    per_request_us = 1e6 * proxy_cpu / (args.requests * args.rounds)
    print(
        f"proxy CPU per request: {per_request_us:.0f} us (so one core serves at most {1e6 / per_request_us:.0f} req/s)"
    )
    print(f"errors: {errors}")
    median_ratio, median_added = medians["ratio"], medians["added_p99"]
    ok = median_ratio >= 0.85 and median_added <= 5.0 and errors == 0
    print(
        f"target (throughput >= 85 %, added p99 <= 5 ms): median ratio {100 * median_ratio:.1f} %, "
        f"median added p99 {median_added:+.2f} ms -> {'MET' if ok else 'NOT MET'}"
    )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
