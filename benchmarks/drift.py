"""Benchmark ``gatekit drift``: 1,000,000 production rows x (5 numeric + 3 categorical) vs 5,000 reference rows.

Generates the Parquet files once into a temp dir, then runs, each in a fresh process:
  * ``gatekit drift`` end to end (reads, tests, drift.json + drift.html, one MLflow run in a local sqlite store);
  * a bare script doing the same job minimally (read the same columns, ks_2samp / chi2_contingency per
    feature, log one MLflow run).
Prints wall time and peak RSS of each and the ratios. Usage: ``python benchmarks/drift.py [--rows N] [--repeat K]``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

REPO = Path(__file__).resolve().parents[1]
NUMERIC = ["latency_ms", "usage.input_tokens", "usage.output_tokens", "cost_usd", "tool_call_count"]
CATEGORICAL = ["context.role", "context.env", "model"]

BARE = r"""
import sys, time
import numpy as np, pyarrow.parquet as pq, pyarrow.compute as pc, mlflow
from scipy.stats import ks_2samp, chi2_contingency
ref_path, prod_path, uri = sys.argv[1:4]
NUM = ["latency_ms", "usage.input_tokens", "usage.output_tokens", "cost_usd", "tool_call_count"]
CAT = ["context.role", "context.env", "model"]
def column(table, path):
    parts = path.split(".")
    col = table.column(parts[0])
    for p in parts[1:]:
        col = pc.struct_field(col, p)
    return col
cols = ["latency_ms", "usage", "cost_usd", "tool_call_count", "context", "model"]
ref, prod = pq.read_table(ref_path, columns=cols), pq.read_table(prod_path, columns=cols)
metrics = {}
for name in NUM:
    a = column(ref, name).to_numpy(zero_copy_only=False); b = column(prod, name).to_numpy(zero_copy_only=False)
    r = ks_2samp(a[~np.isnan(a)], b[~np.isnan(b)])
    metrics[f"drift.{name}.ks_d"], metrics[f"drift.{name}.p_value"] = r.statistic, r.pvalue
for name in CAT:
    a = column(ref, name).value_counts().to_pylist(); b = column(prod, name).value_counts().to_pylist()
    ca = {d["values"]: d["counts"] for d in a}; cb = {d["values"]: d["counts"] for d in b}
    cats = sorted(set(ca) | set(cb), key=str)
    r = chi2_contingency([[ca.get(c, 0) for c in cats], [cb.get(c, 0) for c in cats]], correction=False)
    metrics[f"drift.{name}.p_value"] = r.pvalue
mlflow.set_tracking_uri(uri)
mlflow.set_experiment("bench-bare")
with mlflow.start_run():
    mlflow.log_metrics({k: float(v) for k, v in metrics.items()})
    mlflow.set_tag("gatekit.kind", "drift")
"""

MEASURE = r"""
import resource, subprocess, sys, time
start = time.perf_counter()
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
wall = time.perf_counter() - start
if proc.returncode not in (0, 1):
    sys.stderr.write(proc.stdout + proc.stderr)
    sys.exit(10)
print(wall, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def generate(folder: Path, rows: int, ref_rows: int) -> tuple[Path, Path]:
    def table(n: int, seed: int, shift: float) -> pa.Table:
        rng = np.random.default_rng(seed)
        input_tokens = rng.lognormal(6.0 + shift, 1.0, n).round()
        output_tokens = rng.lognormal(4.5, 0.8, n).round()
        return pa.table(
            {
                "timestamp": pa.array(1_700_000_000_000_000 + np.arange(n) * 600_000, pa.timestamp("us", tz="UTC")),
                "latency_ms": rng.gamma(4.0, 200.0 * (1 + shift), n),
                "usage": pa.StructArray.from_arrays(
                    [pa.array(input_tokens), pa.array(output_tokens)], names=["input_tokens", "output_tokens"]
                ),
                "cost_usd": (input_tokens * 2.5e-6 + output_tokens * 1e-5),
                "tool_call_count": rng.poisson(1.2, n).astype("int64"),
                "context": pa.StructArray.from_arrays(
                    [pa.array(rng.choice(["customer", "agent", "admin"], n, p=[0.8, 0.15, 0.05])),
                     pa.array(rng.choice(["production", "staging"], n, p=[0.97, 0.03]))],
                    names=["role", "env"],
                ),
                "model": rng.choice(
                    ["gpt-4o-mini", "gpt-4o", "llama-3-70b", "claude-haiku"], n, p=[0.5, 0.3, 0.15, 0.05]
                ),
                "input": pa.array(["x" * 40] * n),  # a text column drift must NOT read
            }
        )  # fmt: skip

    ref, prod = folder / "reference.parquet", folder / "production.parquet"
    pq.write_table(table(ref_rows, 1, 0.0), ref)
    chunk = 1_000_000
    first = table(min(rows, chunk), 2, 0.1)
    with pq.ParquetWriter(prod, first.schema) as writer:  # in chunks: 10M rows stay in bounded memory
        writer.write_table(first, row_group_size=131_072)
        for index, start in enumerate(range(chunk, rows, chunk), start=3):
            writer.write_table(table(min(chunk, rows - start), index, 0.1), row_group_size=131_072)
    return ref, prod


def measure(cmd: list[str]) -> tuple[float, float]:
    out = subprocess.run([sys.executable, "-c", MEASURE, *cmd], capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{out.stdout}{out.stderr}")
    wall, rss_kb = out.stdout.split()
    return float(wall), float(rss_kb) / 1024.0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ref-rows", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        ref, prod = generate(folder, args.rows, args.ref_rows)
        took = time.perf_counter() - started
        print(f"generated {args.rows:,} production + {args.ref_rows:,} reference rows in {took:.1f}s")
        uri = f"sqlite:///{folder / 'mlflow.db'}"
        gatekit_cmd = [
            sys.executable,
            "-m",
            "gatekit",
            "drift",
            "--reference",
            str(ref),
            "--production",
            str(prod),
            "--out",
            str(folder / "out"),
            "--tracking-uri",
            uri,
            "--experiment",
            "bench-gatekit",
        ]
        for name in NUMERIC:
            gatekit_cmd += ["--numeric", name]
        for name in CATEGORICAL:
            gatekit_cmd += ["--categorical", name]
        bare_cmd = [sys.executable, "-c", BARE, str(ref), str(prod), uri]
        measure(bare_cmd)  # warm the page cache and create the MLflow schema once for both
        results: dict[str, list[tuple[float, float]]] = {"gatekit": [], "bare": []}
        for _ in range(args.repeat):  # interleaved, so machine noise hits both alike
            results["gatekit"].append(measure(gatekit_cmd))
            results["bare"].append(measure(bare_cmd))
        best = {k: (min(w for w, _ in v), max(m for _, m in v)) for k, v in results.items()}
        for name, (wall, rss) in best.items():
            walls = ", ".join(f"{w:.2f}" for w, _ in results[name])
            print(f"{name:<8} wall {wall:6.2f}s (runs: {walls})  peak RSS {rss:7.1f} MB")
        print(f"ratio gatekit/bare: wall {best['gatekit'][0] / best['bare'][0]:.2f}x, "
              f"peak memory {best['gatekit'][1] / best['bare'][1]:.2f}x (target wall <= 1.5x)")  # fmt: skip
        size = {p.name: p.stat().st_size for p in (folder / "out").iterdir()}
        print(f"report sizes: {size}")


if __name__ == "__main__":
    main()
