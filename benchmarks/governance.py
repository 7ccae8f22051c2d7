"""Decision latency of the default policy pack (policies/default.yaml).

Outputs of 200, 2,000 and 10,000 characters are cut from presidio-research's synthetic PII texts
(PII-dense: a worst case for the detectors) and evaluated as responses of a retail agent with two
tool calls. Input: a customer message from the demo golden dataset. Two input regimes:

* warm: the same customer message for every decision (its injection scan is cached), which is
  what the per-output numbers measure;
* cold: a distinct customer message per decision (no cache), reported for 200 characters.

Targets (issue 4): p99 <= 50 us at 200 characters, <= 300 us at 2,000.
Run: ``python benchmarks/governance.py``.
"""

from __future__ import annotations

import json
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gatekit.governance import load_policy  # noqa: E402
from gatekit.governance.injection import injection_score  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
N = 2000


def _outputs(size: int, count: int, rng: random.Random) -> list[str]:
    texts = [r["full_text"] for r in json.loads((DATA / "presidio-synth" / "synth_dataset_v2.json").read_text())]
    corpus = " ".join(texts)
    out = []
    for _ in range(count):
        start = rng.randrange(0, len(corpus) - size)
        out.append(corpus[start : start + size])
    return out


def _response(output: str) -> dict:
    return {
        "output": output,
        "tool_calls": [
            {"name": "find_user_id_by_email", "arguments": {"email": "jane.doe@example.com"}},
            {"name": "return_delivered_order_items", "arguments": {"order_id": "#W2378156", "amount": 120.0}},
        ],
        "usage": {"input_tokens": 420, "output_tokens": 90},
        "model": "demo",
        "cost_usd": None,
        "latency_ms": 120.0,
        "error_type": None,
    }


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    rng = random.Random(7)
    policy = load_policy(ROOT / "policies" / "default.yaml")
    cases = [json.loads(line) for line in (ROOT / "datasets" / "retail_golden.jsonl").read_text().splitlines()]
    case = cases[0]
    print(f"policy {policy.id} v{policy.version}: {len(policy.rules)} case rules, {len(policy.stop_rules)} run rules")
    print(f"{'output chars':>12} {'p50 us':>9} {'p99 us':>9} {'mean us':>9} {'decisions/s':>12}  target p99")
    for size, target in ((200, 50.0), (2000, 300.0), (10_000, None)):
        outputs = _outputs(size, N, rng)
        run = policy.new_run("bench")
        for output in outputs[:50]:  # warm up
            policy.evaluate(case, _response(output), run=run)
        latencies = []
        started = time.perf_counter()
        for output in outputs:
            latencies.append(policy.evaluate(case, _response(output), run=run).decision_latency_us)
        wall = time.perf_counter() - started
        p99 = _pct(latencies, 0.99)
        verdict = "" if target is None else f"<= {target:g}  {'ok' if p99 <= target else 'MISSED'}"
        print(
            f"{size:>12} {_pct(latencies, 0.5):>9.1f} {p99:>9.1f} {statistics.fmean(latencies):>9.1f} "
            f"{N / wall:>12.0f}  {verdict}"
        )
    # cold: every decision sees a new customer message (distinct suffix defeats the injection cache)
    outputs = _outputs(200, N, rng)
    run = policy.new_run("bench-cold")
    injection_score.cache_clear()
    latencies = []
    for index, output in enumerate(outputs):
        cold_case = dict(cases[index % len(cases)])
        text = cold_case["input"]["messages"][0]["content"]
        cold_case["input"] = {"messages": [{"role": "user", "content": f"{text} (ref {index})"}]}
        latencies.append(policy.evaluate(cold_case, _response(output), run=run).decision_latency_us)
    mean_len = statistics.fmean(len(c["input"]["messages"][0]["content"]) for c in cases)
    print(
        f"cold inputs (distinct customer messages, mean {mean_len:.0f} chars) with 200-char outputs: "
        f"p50 {_pct(latencies, 0.5):.1f} us, p99 {_pct(latencies, 0.99):.1f} us"
    )


if __name__ == "__main__":
    main()
