"""Benchmark ``gatekit canary``: 10,000,000 production-log rows (a day at ~115 requests/s) in bounded memory.

Generates the rows once with DuckDB into Parquet files in a temp dir (10 % canary traffic), then runs,
each in a fresh process so peak RSS is its own:
  * the canary judgement (``gatekit.canary.core.analyse`` on the DuckDB engine: 1-minute windows with
    exact p50/p95/p99, the rule state machines, the Mann-Whitney rank sums over every row, the
    Hodges-Lehmann sample, the proportion counts) and the canary.json / canary.html files;
  * a bare DuckDB query computing the same windows (counts, errors, exact percentiles, cost, outcomes per
    minute and variant) and nothing else.
Prints wall time and peak RSS of each and the ratios. Usage: ``python benchmarks/canary.py [--rows N]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DAY_START = "2026-03-01 00:00:00+00"

GENERATE = """
COPY (
  SELECT 1 AS schema_version,
    TIMESTAMPTZ '{start}' + to_microseconds(CAST(i * 86400000000 // {rows} AS BIGINT)) AS timestamp,
    'r' || i AS request_id,
    CASE WHEN hash(i) % 10 = 0 THEN 'canary' ELSE 'baseline' END AS variant,
    round(exp(6 + 0.35 * sqrt(-2 * ln(random() + 1e-12)) * cos(6.283185307 * random())), 3) AS latency_ms,
    CASE WHEN random() < 0.002 THEN 'http_5xx' END AS error,
    round(0.001 + 0.002 * random(), 6) AS cost_usd,
    CASE WHEN random() < 0.01 THEN 'require_review' ELSE 'allow' END AS outcome
  FROM range({rows}) t(i)
) TO '{path}' (FORMAT parquet, PER_THREAD_OUTPUT true)
"""

CANARY = r"""
import json, resource, sys, time
sys.path.insert(0, sys.argv[1])
t0 = time.perf_counter()
from gatekit.canary.core import analyse, parse_time
from gatekit.canary.engine import open_engine
from gatekit.canary.rules import default_rules
from gatekit.canary.command import write_files
from pathlib import Path
t1 = time.perf_counter()
eng = open_engine(sys.argv[2] + "/*.parquet", "duckdb", memory_limit=sys.argv[4])
t2 = time.perf_counter()
result = analyse(eng, default_rules(), stage=10, now_us=parse_time("2026-03-02T00:00:00Z", "now"))
eng.close()
t3 = time.perf_counter()
result.data["generated_at"] = "benchmark"
write_files(result, Path(sys.argv[3]))
wall = time.perf_counter() - t0
phases = {"import": t1 - t0, "open": t2 - t1, "judge": t3 - t2, "files": time.perf_counter() - t3}
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall_s": wall, "rss_mb": rss, "phases": phases, "decision": result.decision, "windows": result.data["windows_total"],
                  "rows": result.data["rows_seen"], "reasons": result.data["reasons"][:2]}))
"""

BARE = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import duckdb
con = duckdb.connect()
con.execute(f"SET memory_limit = '{sys.argv[2]}'")
con.execute("SET enable_progress_bar = false")
rows = con.execute(f'''
SELECT CAST(floor(epoch_us(timestamp) / 60000000.0) AS BIGINT) AS w, variant, count(*),
  count(*) FILTER (WHERE error IS NOT NULL), count(latency_ms),
  quantile_cont(latency_ms, 0.5), quantile_cont(latency_ms, 0.95), quantile_cont(latency_ms, 0.99),
  count(cost_usd), sum(cost_usd), count(outcome),
  count(*) FILTER (WHERE outcome = 'deny'), count(*) FILTER (WHERE outcome = 'require_review')
FROM read_parquet('{sys.argv[1]}/*.parquet') GROUP BY 1, 2 ORDER BY 1, 2''').fetchall()
wall = time.perf_counter() - t0
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"wall_s": wall, "rss_mb": rss, "groups": len(rows)}))
"""


def _run(code: str, *args: str) -> dict[str, object]:
    import json

    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(done.stderr[-3000:])
    last = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not last:
        raise SystemExit(f"no result from the benchmark process: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    return dict(json.loads(last[-1]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--memory-limit", default="1GB", help="DuckDB memory limit for both runs (default 1GB)")
    args = parser.parse_args()
    import duckdb

    with tempfile.TemporaryDirectory(prefix="gatekit-bench-canary-") as tmp:
        data = Path(tmp) / "logs"
        t0 = time.perf_counter()
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        con.execute(GENERATE.format(start=DAY_START, rows=args.rows, path=data))
        con.close()
        size_mb = sum(p.stat().st_size for p in data.glob("*.parquet")) / 1e6
        print(f"generated {args.rows:,} rows ({size_mb:.0f} MB Parquet) in {time.perf_counter() - t0:.1f} s")
        canary = _run(CANARY, str(REPO), str(data), str(Path(tmp) / "out"), args.memory_limit)
        bare = _run(BARE, str(data), args.memory_limit)
        print(
            f"gatekit canary: {canary['wall_s']:.2f} s wall, peak RSS {canary['rss_mb']:.0f} MB "
            f"({canary['windows']} windows, {canary['rows']:,} rows, decision {canary['decision']})"
        )
        phases = dict(canary["phases"])  # type: ignore[call-overload]
        print("  phases: " + ", ".join(f"{k} {v:.2f} s" for k, v in phases.items()))
        print(
            f"bare DuckDB windows query: {bare['wall_s']:.2f} s wall, peak RSS {bare['rss_mb']:.0f} MB ({bare['groups']} groups)"
        )
        print(
            f"ratio canary / bare: wall {float(canary['wall_s']) / float(bare['wall_s']):.2f}x, "
            f"RSS {float(canary['rss_mb']) / float(bare['rss_mb']):.2f}x"
        )
        print(f"reasons: {canary['reasons']}")


if __name__ == "__main__":
    main()
