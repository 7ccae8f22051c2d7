"""Added latency of the in-process runtime guard (``@enforcer.guard``) per agent call.

The agent is a plain function that returns a prebuilt response; the guarded version is the same function
under ``Enforcer.from_file("policies/default.yaml").guard``: the request is checked (prompt injection), the
response is checked (PII redaction, secrets, tools, refund condition, token budget, injection escalation), the
run state is updated under the lock. What is timed is the whole call, wall clock, minus the bare call.

Inputs: customer messages of 200 and 2,000 characters, 60 distinct ones reused (a service sees the same
kinds of questions; their injection scores are cached as on a replay); outputs: a fresh support reply of the
same size per call (about a third mention an e-mail address, one in seven a phone number), so the detectors
scan every output. Users rotate over 1,000 ids (the per-user token budget holds, as in production).

Variants: ``none`` (decisions only); ``sync`` (a decision-trace JSONL record per check point and a
production-log row per request, built and written to files in the call); ``background`` (the same records,
built and written by the enforcer's writer thread: ``background=True``; in a tight loop like this one the
thread competes for the GIL with the caller, in a real agent it runs while the agent waits on its model). Method: warm-up, then ROUNDS rounds of N
calls with the garbage collector off, bare and guarded interleaved call by call; p50/p99 over all samples;
``cpu p99`` is the same from ``time.thread_time_ns`` (what the guard costs when the process is not
preempted). The load average is printed, and a "machine floor": a fixed pure-Python workload of ~50 us timed
the same way, whose p99/p50 is what the machine alone adds to identical work; on a loaded 2-core machine the
wall-clock tail is other processes.

Targets (issue 15): added p99 <= 100 us at 200 characters, and < 1 % of a 50 ms agent call.
Run: ``python benchmarks/runtime_overhead.py``.
"""

from __future__ import annotations

import gc
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gatekit.runtime import Enforcer  # noqa: E402

N = 2000
ROUNDS = 5
WARMUP = 500
AGENT_CALL_MS = 50.0

_ASKS = (
    "Hi, I ordered a {item} last week (order #W{order}) and it still has not arrived.",
    "Can you tell me where my package is and when it will be delivered to {city}?",
    "I would like to return the {item} from order #W{order}; it arrived damaged.",
    "Please change the shipping address of my order to {zip} {city}.",
    "My name is {first} and I need help with a refund of ${amount}.",
    "What is your return policy for items bought on sale?",
    "Thanks a lot, {first}.",
)
_SENTENCES = (
    "Thanks {first}, I've verified your account.",
    "I found order #W{order}; it was delivered on {day} November and contains {count} items.",
    "I've started the return for #W{order}; a refund of ${amount} goes back to your original payment method.",
    "The exchange for the {item} is arranged, and you'll get a return label by email.",
    "I've updated the shipping address of #W{order} to {city}, {zip}.",
    "Is there anything else I can help you with today?",
    "Sorry for the trouble with your {item}, {first}.",
)
_ITEMS = ("mechanical keyboard", "smart thermostat", "desk lamp", "water bottle", "hiking boots", "backpack")
_CITIES = ("Philadelphia", "Denver", "San Antonio", "Columbus", "Fort Worth", "Seattle")
_NAMES = ("Yusuf", "Mei", "Olivia", "Ethan", "Sofia", "Noah", "Aarav", "Fatima", "Lucas", "Amelia")


def _values(rng: random.Random) -> dict[str, Any]:
    first = rng.choice(_NAMES)
    return {
        "first": first,
        "order": rng.randrange(10**6, 10**7),
        "day": rng.randrange(1, 29),
        "count": rng.randrange(1, 6),
        "amount": f"{rng.randrange(20, 900)}.{rng.randrange(100):02d}",
        "item": rng.choice(_ITEMS),
        "city": rng.choice(_CITIES),
        "zip": str(rng.randrange(10000, 99999)),
        "email": f"{first.lower()}.{rng.randrange(100, 9999)}@example.com",
        "phone": f"({rng.randrange(200, 999)}) {rng.randrange(200, 999)}-{rng.randrange(1000, 9999)}",
    }


def _text(size: int, pool: tuple[str, ...], rng: random.Random, contacts: bool) -> str:
    parts: list[str] = []
    while sum(len(p) + 1 for p in parts) < size:
        values = _values(rng)
        sentences = list(pool)
        rng.shuffle(sentences)
        if contacts and rng.random() < 0.35:
            sentences.insert(rng.randrange(3), "A confirmation has been sent to {email}.")
        if contacts and rng.random() < 0.15:
            sentences.insert(rng.randrange(3), "If anything is unclear, call us at {phone}.")
        parts.extend(s.format(**values) for s in sentences)
    return " ".join(parts)[:size]


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def measure(size: int, sinks: str, folder: Path) -> dict[str, float]:
    """Time bare and guarded calls at ``size`` characters; return added-latency percentiles in microseconds."""
    rng = random.Random(size)
    inputs = [_text(size, _ASKS, rng, contacts=False) for _ in range(60)]
    total = WARMUP + ROUNDS * N
    outputs = [_text(size, _SENTENCES, rng, contacts=True) for _ in range(total)]
    responses = [{"output": o, "usage": {"input_tokens": size // 4, "output_tokens": size // 4}, "model": "demo"}
                 for o in outputs]  # fmt: skip
    contexts = [{"user": f"u{i % 1000}", "role": "customer", "env": "production"} for i in range(total)]
    kwargs: dict[str, Any] = {}
    if sinks != "none":
        kwargs = {"trace_to": folder / f"traces-{size}-{sinks}.jsonl", "log_to": folder / f"rows-{size}-{sinks}.jsonl",
                  "background": sinks == "background"}  # fmt: skip
    enforcer = Enforcer.from_file(ROOT / "policies" / "default.yaml", **kwargs)
    box: dict[str, Any] = {}

    def agent(question: Any, context: Any) -> Any:
        return box["response"]

    guarded = enforcer.guard(agent)
    added: list[float] = []
    added_cpu: list[float] = []
    perf, cpu = time.perf_counter_ns, time.thread_time_ns
    gc.collect()
    gc.disable()
    try:
        for i in range(total):
            box["response"] = responses[i]
            question, context = inputs[i % 60], contexts[i]
            t0, c0 = perf(), cpu()
            agent(question, context)
            t1, c1 = perf(), cpu()
            guarded(question, context)
            t2, c2 = perf(), cpu()
            if i >= WARMUP:
                added.append(((t2 - t1) - (t1 - t0)) / 1000.0)
                added_cpu.append(((c2 - c1) - (c1 - c0)) / 1000.0)
    finally:
        gc.enable()
        enforcer.close()
    if sinks != "none":
        written = len((folder / f"rows-{size}-{sinks}.jsonl").read_text().splitlines())
        assert written == total, (written, total)
    stats = enforcer.stats()
    assert stats["sink_failures"] == 0 and stats["guard_errors"] == 0, stats
    assert stats["by_outcome"]["deny"] == 0, stats["by_rule"]
    return {"p50": _pct(added, 0.5), "p99": _pct(added, 0.99), "cpu_p99": _pct(added_cpu, 0.99)}


def machine_floor(target_us: float) -> dict[str, float]:
    """p50/p99 of a fixed pure-Python workload of about ``target_us``, timed the same way: the machine's own noise."""
    reps = 1
    while True:
        t0 = time.perf_counter_ns()
        sum(i * i for i in range(reps))
        if (time.perf_counter_ns() - t0) / 1000.0 >= target_us:
            break
        reps *= 2
    samples: list[float] = []
    gc.disable()
    try:
        for _ in range(ROUNDS * N):
            t0 = time.perf_counter_ns()
            sum(i * i for i in range(reps))
            samples.append((time.perf_counter_ns() - t0) / 1000.0)
    finally:
        gc.enable()
    return {"p50": _pct(samples, 0.5), "p99": _pct(samples, 0.99)}


def main() -> None:
    """Print the added latency table."""
    load = os.getloadavg()
    print(
        f"runtime guard overhead — policies/default.yaml, {ROUNDS}x{N} calls per row, Python {sys.version.split()[0]}"
    )
    print(f"load average before: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} ({os.cpu_count()} CPUs)")
    print(f"{'chars':>6} {'sinks':>11} {'p50 us':>8} {'p99 us':>8} {'cpu p99':>8} {'p99 % of 50 ms':>15}")
    with tempfile.TemporaryDirectory() as tmp:
        for size in (200, 2000):
            for sinks in ("none", "sync", "background"):
                row = measure(size, sinks, Path(tmp))
                share = row["p99"] / (AGENT_CALL_MS * 1000.0) * 100.0
                print(f"{size:>6} {sinks:>11} {row['p50']:>8.1f} {row['p99']:>8.1f} "
                      f"{row['cpu_p99']:>8.1f} {share:>14.3f}%")  # fmt: skip
    floor = machine_floor(50.0)
    print(f"machine floor: identical pure-Python work, p50 {floor['p50']:.1f} us, p99 {floor['p99']:.1f} us "
          f"(p99/p50 {floor['p99'] / floor['p50']:.1f}: what this machine adds to the same work)")  # fmt: skip
    load = os.getloadavg()
    print(f"load average after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    print("targets: p99 <= 100 us at 200 chars; p99 < 1 % of a 50 ms agent call")


if __name__ == "__main__":
    main()
