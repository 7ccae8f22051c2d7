"""The cost of detecting duplicate ``request_id`` rows in the canary's windows query (DuckDB).

Generates N production-log rows (benchmarks/canary.py's generator) into Parquet once, then runs through the
canary engine's view, in one process, alternating, ``--repeat`` times each:
  * A: the windows query as ``gatekit canary`` runs it;
  * B: A plus ``approx_count_distinct(request_id)`` per window and variant (HyperLogLog);
  * C: A plus ``count(DISTINCT request_id)`` per window and variant (exact).
Prints the median wall time of each and the ratios B/A, C/A. Usage:
``python benchmarks/canary_duplicates.py [--rows N] [--repeat K]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def main() -> None:
    """Generate the rows, time the three queries alternately, print medians and ratios."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=5_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    import duckdb
    from canary import DAY_START, GENERATE  # type: ignore[import-not-found]

    from gatekit.canary import sql as q
    from gatekit.canary.engine import TABLE, open_engine

    with tempfile.TemporaryDirectory(prefix="gatekit-bench-dups-") as tmp:
        data = Path(tmp) / "logs"
        con = duckdb.connect()
        con.execute("SET enable_progress_bar = false")
        con.execute(GENERATE.format(start=DAY_START, rows=args.rows, path=data))
        con.close()
        eng = open_engine(str(data / "*.parquet"), "duckdb", memory_limit="1GB")
        base = q.windows_sql("duckdb", TABLE, ("baseline", "canary"), 60, None, 1_772_409_600_000_000)
        extra = {
            "A windows": base,
            "B + approx_count_distinct": base.replace(
                "count(*) AS requests,", "count(*) AS requests, approx_count_distinct(request_id) AS ids,"
            ),
            "C + count(DISTINCT)": base.replace(
                "count(*) AS requests,", "count(*) AS requests, count(DISTINCT request_id) AS ids,"
            ),
        }
        times: dict[str, list[float]] = {k: [] for k in extra}
        for _ in range(args.repeat):
            for name, sql in extra.items():
                t0 = time.perf_counter()
                eng.rows(sql)
                times[name].append(time.perf_counter() - t0)
        eng.close()
    a = statistics.median(times["A windows"])
    print(f"{args.rows:,} rows, medians of {args.repeat} alternating runs:")
    for name, ts in times.items():
        print(f"  {name:28s} {statistics.median(ts):6.2f} s  ({statistics.median(ts) / a:.2f}x A)")


if __name__ == "__main__":
    main()
