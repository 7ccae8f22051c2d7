"""Benchmark ``gatekit drift`` on DuckDB: N production rows x (5 numeric + 3 categorical) vs a 5,000-row reference.

Generates production-log Parquet files with DuckDB itself (one file per 10M rows, in a temp folder deleted
afterwards), then runs, each in a fresh process, measuring wall time and peak RSS:

* ``gatekit drift`` end to end (DuckDB engine; drift.json + drift.html written, no MLflow run);
* ``benchmarks/drift_bare.py``: the bare DuckDB SQL script ``drift_bare.sql`` computing the same KS D and
  chi-square statistics (the baseline; target: gatekit <= 1.2x its wall time, <= 2 GB peak RSS);
* with ``--old-pandas PATH`` (a checkout of gatekit before the engine, e.g. ``git archive 3cbf868 gatekit``):
  the old in-memory path on the same files (only for sizes up to ``--old-max-rows``);
* with ``--evidently PYTHON`` (an interpreter with evidently installed): Evidently's DataDriftPreset with the
  KS / chi-square stat tests, on the same columns read into pandas (sizes up to ``--old-max-rows``).

Usage: ``python benchmarks/drift.py --rows 10000000,30000000,100000000 [--old-pandas /tmp/old-drift]``.
Prints the machine's load average before each size (other work on the machine slows every number alike).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NUMERIC = ["input_chars", "input_tokens_est", "output_tokens", "latency_ms", "cost_usd"]
CATEGORICAL = ["role", "env", "language"]
CHUNK = 10_000_000

MEASURE = r"""
import resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[2:], capture_output=True, text=True, env=None)
wall = time.perf_counter() - start
if proc.returncode not in (0, 1):
    sys.stderr.write(proc.stdout[-3000:] + proc.stderr[-3000:])
    sys.exit(10)
open(sys.argv[1], "w").write(proc.stdout)
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""

EVIDENTLY = r"""
import sys, pandas as pd
from evidently import Report
from evidently.presets import DataDriftPreset
ref = pd.read_parquet(sys.argv[1], columns=sys.argv[3].split(","))
prod = pd.read_parquet(sys.argv[2], columns=sys.argv[3].split(","))
report = Report([DataDriftPreset(num_method="ks", cat_method="chisquare")])
result = report.run(reference_data=ref, current_data=prod)
print(len(result.dict()["metrics"]))
"""

# production-log rows; production is shifted from the reference (latency +10 %, longer inputs, more admins)
SELECT = """
SELECT 1 AS schema_version,
       TIMESTAMPTZ '2026-11-01 00:00:00+00' + to_milliseconds(i) AS "timestamp",
       'r' || i AS request_id,
       round(exp(5.5 + {shift} + 0.8 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())))::BIGINT AS input_chars,
       round(exp(4.0 + {shift} + 0.8 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())))::BIGINT
           AS input_tokens_est,
       round(exp(4.5 + 0.7 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())))::BIGINT AS output_tokens,
       (-ln(random()) - ln(random()) - ln(random()) - ln(random())) * 200.0 * (1 + {shift}) AS latency_ms,
       round(random() * 0.01, 6) AS cost_usd,
       CASE WHEN random() < 0.8 - {shift} THEN 'customer' WHEN random() < 0.75 THEN 'agent' ELSE 'admin' END AS role,
       CASE WHEN random() < 0.97 THEN 'prod' ELSE 'staging' END AS env,
       CASE WHEN random() < 0.6 THEN 'en' WHEN random() < 0.5 THEN 'de' WHEN random() < 0.5 THEN 'fr' ELSE 'ja' END
           AS language
FROM range({start}, {stop}) t(i)
"""


def generate(folder: Path, rows: int, ref_rows: int) -> tuple[Path, Path]:
    """Write reference.parquet and prod/part-K.parquet (10M rows each) with DuckDB."""
    import duckdb

    con = duckdb.connect()
    con.execute("SET preserve_insertion_order = false")
    con.execute("SELECT setseed(0.42)")
    ref = folder / "reference.parquet"
    con.execute(f"COPY ({SELECT.format(shift=0.0, start=0, stop=ref_rows)}) TO '{ref}' (FORMAT parquet)")
    prod = folder / "prod"
    prod.mkdir()
    for k, start in enumerate(range(0, rows, CHUNK)):
        stop = min(rows, start + CHUNK)
        sql = SELECT.format(shift=0.1, start=start, stop=stop)
        con.execute(f"COPY ({sql}) TO '{prod / f'part-{k:03d}.parquet'}' (FORMAT parquet, ROW_GROUP_SIZE 1000000)")
    con.close()
    return ref, prod


def measure(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, float, str]:
    """Run ``cmd`` in a fresh child process; return wall seconds, peak RSS in MB and its stdout."""
    with tempfile.NamedTemporaryFile("r", suffix=".out") as out:
        proc = subprocess.run(
            [sys.executable, "-c", MEASURE, out.name, *cmd], capture_output=True, text=True, check=False, env=env
        )
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd[:6])} ...\n{proc.stdout}{proc.stderr}")
        wall, rss_kb = proc.stdout.split()
        return float(wall), float(rss_kb) / 1024.0, Path(out.name).read_text()


def main() -> None:
    """Generate, run and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", default="10000000,30000000")
    parser.add_argument("--ref-rows", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--old-pandas", help="folder holding the pre-engine gatekit package (PYTHONPATH)")
    parser.add_argument("--evidently", help="python interpreter with evidently installed")
    parser.add_argument("--old-max-rows", type=int, default=10_000_000)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for rows in (int(r) for r in args.rows.split(",")):
        with tempfile.TemporaryDirectory(prefix="gatekit-bench-") as tmp:
            folder = Path(tmp)
            started = time.perf_counter()
            ref, prod = generate(folder, rows, args.ref_rows)
            size_mb = sum(p.stat().st_size for p in prod.iterdir()) / 1e6
            print(
                f"\n== {rows:,} production rows ({size_mb:,.0f} MB Parquet) vs {args.ref_rows:,} reference rows; "
                f"generated in {time.perf_counter() - started:.1f}s; load average {os.getloadavg()[0]:.2f}",
                flush=True,
            )
            glob = str(prod / "*.parquet")
            features = [a for n in NUMERIC for a in ("--numeric", n)] + [
                a for c in CATEGORICAL for a in ("--categorical", c)
            ]
            base = ["drift", "--reference", str(ref), "--production", glob, "--no-mlflow", "--json", *features]
            gatekit_cmd = [sys.executable, "-m", "gatekit", *base, "--out", str(folder / "out")]
            bare_cmd = [sys.executable, str(REPO / "benchmarks" / "drift_bare.py"), str(ref), glob]
            results: dict[str, list[tuple[float, float]]] = {"gatekit": [], "bare": []}
            outputs: dict[str, str] = {}
            for _ in range(args.repeat):  # interleaved, so machine noise hits both alike
                for name, cmd in (("gatekit", gatekit_cmd), ("bare", bare_cmd)):
                    wall, rss, text = measure(cmd, env)
                    results[name].append((wall, rss))
                    outputs[name] = text
            if args.old_pandas and rows <= args.old_max_rows:
                old_env = {**os.environ, "PYTHONPATH": args.old_pandas}
                old_cmd = [sys.executable, "-m", "gatekit", *base, "--out", str(folder / "old")]
                results["old pandas"] = [measure(old_cmd, old_env)[:2]]
            if args.evidently and rows <= args.old_max_rows:
                cols = ",".join(NUMERIC + CATEGORICAL)
                ev_cmd = [args.evidently, "-c", EVIDENTLY, str(ref), str(prod), cols]
                try:
                    results["evidently"] = [measure(ev_cmd, {**os.environ})[:2]]
                except SystemExit as exc:
                    print(f"evidently failed: {str(exc)[-300:]}")
            best = {k: (min(w for w, _ in v), max(m for _, m in v)) for k, v in results.items()}
            for name, (wall, rss) in best.items():
                walls = ", ".join(f"{w:.2f}" for w, _ in results[name])
                print(f"{name:<11} wall {wall:7.2f}s (runs: {walls})  peak RSS {rss:7.1f} MB", flush=True)
            print(
                f"ratio gatekit/bare: wall {best['gatekit'][0] / best['bare'][0]:.2f}x (target <= 1.2x), "
                f"peak RSS {best['gatekit'][1]:.0f} MB (target <= 2048 MB); load average {os.getloadavg()[0]:.2f}"
            )
            summary = json.loads(outputs["gatekit"])
            ours = {f["name"]: f["effect_size"] for f in summary["features"] if f["kind"] == "numeric"}
            bare = {line.split()[1]: float(line.split()[2]) for line in outputs["bare"].splitlines() if line[:2] == "ks"}
            same = all(ours[name] == bare[name] for name in NUMERIC)
            print(f"KS D equal to the bare script's on all {len(NUMERIC)} numeric features: {same}; drifted: "
                  f"{summary['drifted']}")  # fmt: skip


if __name__ == "__main__":
    main()
