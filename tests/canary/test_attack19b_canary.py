"""attack19b: the canary judged on DuckDB and Spark alike, and a judgement that outlives a failing MLflow.

- The Hodges-Lehmann hash sample (more than ``compare.sample_limit`` values a variant) was drawn with the engines'
  own ``hash()``: DuckDB's and Spark's differ, so one log gave two different intervals (and could give two
  verdicts). The bucket is now a prefix of ``md5(request_id)``, the same text on both.
- A relative allowance (``cost_usd: 20%``) mapped every 0 to the smallest positive value: a canary that cost money
  on every request against a baseline free on most requests compared equal (interval [0, 0], promote).
- When MLflow failed after the judgement (exit 3), the GitHub step outputs held no ``decision``: a workflow keyed
  on ``outputs.decision == 'rollback'`` left the failing canary in place.

Real files, real DuckDB, a real local Spark session, a real ``gatekit canary`` subprocess.
"""

from __future__ import annotations

import json
import math
import os
import random
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from canary.traffic import now_after, traffic, write_jsonl
from gatekit.canary.core import CanaryResult, analyse, parse_time
from gatekit.canary.engine import open_engine
from gatekit.canary.rules import RolloutRules
from gatekit.canary.stats import z_value
from gatekit.errors import DatasetError
from gatekit.jsonio import to_json

ROOT = Path(__file__).resolve().parents[2]


def judge(path: Path, rules: RolloutRules, minutes: int, engine: str = "duckdb", **kw: Any) -> CanaryResult:
    eng = open_engine(str(path), engine, **kw)
    try:
        return analyse(eng, rules, stage=rules.stages[0], now_us=parse_time(now_after(minutes), "now"))
    finally:
        eng.close()


def test_the_hash_sample_is_the_same_on_duckdb_and_spark(tmp_path: Path, spark: Any) -> None:
    log = write_jsonl(tmp_path / "prod.jsonl", traffic(15, per_minute=200, canary=lambda m: {"latency_scale": 1.05}))
    rules = RolloutRules.model_validate(
        {
            "rollback": [{"rule": "error_rate > 1% for 5 consecutive windows"}],
            "compare": {"min_requests": 100, "sample_limit": 1000, "metrics": {"latency_ms": "10%", "cost_usd": 0.001}},
        }
    )
    duck = judge(log, rules, 15).data["comparisons"]
    on_spark = judge(log, rules, 15, "spark", spark=spark).data["comparisons"]
    for a, b in zip(duck, on_spark, strict=True):
        assert a["sampled"] and b["sampled"], a  # 3000 values a variant, limit 1000: the sample decides the interval
        assert a["sample_sizes"] == b["sample_sizes"], a["metric"]
        assert a["interval"] == b["interval"] and a["difference"] == b["difference"], a["metric"]
        assert a["status"] == b["status"] and a["p_value"] == pytest.approx(b["p_value"], rel=1e-12)


def _brute_ratio(canary: list[float], baseline: list[float], confidence: float) -> tuple[float, float, float]:
    """Every pairwise log ratio over the extended reals (x/0 = +inf, 0/y = -inf, 0/0 = 1), then Moses' order statistics."""

    def log_ratio(x: float, y: float) -> float:
        if x == 0 and y == 0:
            return 0.0
        if y == 0:
            return math.inf
        if x == 0:
            return -math.inf
        return math.log(x) - math.log(y)

    diffs = sorted(log_ratio(x, y) for x in canary for y in baseline)
    m, n, total = len(canary), len(baseline), len(canary) * len(baseline)
    c = math.floor(total / 2 - z_value(confidence) * math.sqrt(m * n * (m + n + 1) / 12))
    middle = diffs[total // 2] if total % 2 else (diffs[total // 2 - 1] + diffs[total // 2]) / 2
    return math.expm1(middle), math.expm1(diffs[c]), math.expm1(diffs[total - c - 1])


@pytest.mark.parametrize("seed", range(12))
def test_the_ratio_interval_counts_zero_values_as_zero(seed: int) -> None:
    rng = random.Random(seed)
    share_c, share_b = rng.random(), rng.random()
    canary = [0.0 if rng.random() < share_c else round(rng.uniform(0.5, 3), 1) for _ in range(rng.randint(10, 40))]
    baseline = [0.0 if rng.random() < share_b else round(rng.uniform(0.5, 3), 1) for _ in range(rng.randint(10, 40))]
    from gatekit.canary.stats import hodges_lehmann_ratio

    got = hodges_lehmann_ratio(canary, baseline, 0.95)
    assert got is not None
    want = _brute_ratio(canary, baseline, 0.95)
    for g, w in zip(got, want, strict=True):
        assert g == (w if math.isinf(w) else pytest.approx(w, rel=1e-9, abs=1e-12)), (got, want)


def test_a_canary_that_costs_where_the_baseline_was_free_is_not_promoted(tmp_path: Path) -> None:
    rows = traffic(12, per_minute=100)
    rng = random.Random(3)
    for row in rows:  # the baseline answers 70 % of requests from a cache (cost 0); the canary pays for every one
        row["cost_usd"] = 0.002 if row["variant"] == "canary" or rng.random() < 0.3 else 0.0
    log = write_jsonl(tmp_path / "prod.jsonl", rows)
    rules = RolloutRules.model_validate(
        {"rollback": [], "compare": {"min_requests": 100, "metrics": {"cost_usd": "20%"}}}
    )
    result = judge(log, rules, 12)
    cost = result.data["comparisons"][0]
    assert result.decision == "rollback" and result.exit_code == 1, result.data["reasons"]
    assert cost["status"] == "fail" and cost["interval"][0] == math.inf
    assert "+inf (over 0)" in cost["reason"]
    assert json.loads(to_json(result.data))["comparisons"][0]["status"] == "fail"  # inf is written null, status says
    # the same costs on both sides still compare equal, zeros included
    for row in rows:
        row["cost_usd"] = 0.0 if int(row["request_id"].rsplit("-", 1)[1]) % 10 < 7 else 0.002
    same = judge(write_jsonl(tmp_path / "same.jsonl", rows), rules, 12)
    assert same.decision == "promote", same.data["reasons"]
    low, high = same.data["comparisons"][0]["interval"]
    assert low == pytest.approx(0, abs=1e-9) and high == pytest.approx(0, abs=1e-9)  # (bisection to the last bits)


def test_the_decision_reaches_the_github_outputs_when_mlflow_fails(tmp_path: Path) -> None:
    log = write_jsonl(tmp_path / "prod.jsonl", traffic(12, per_minute=50, canary=lambda m: {"error_rate": 0.2}))
    outputs, summary = tmp_path / "outputs.txt", tmp_path / "summary.md"
    env = {
        **os.environ, "PYTHONPATH": str(ROOT), "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs),
        "GITHUB_STEP_SUMMARY": str(summary),
    }  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "canary", "--logs", str(log), "--now", now_after(30),
         "--out", str(tmp_path / "o"), "--tracking-uri", "http://127.0.0.1:9/"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and "unreachable" in proc.stderr
    values = dict(line.split("=", 1) for line in outputs.read_text().splitlines())
    assert values["decision"] == "rollback" and values["exit_code"] == "3" and values["run_id"] == ""
    assert values["report_path"] == str(tmp_path / "o" / "canary.html")
    assert "canary ROLLBACK" in proc.stdout and "ROLLBACK" in summary.read_text()
    assert json.loads((tmp_path / "o" / "canary.json").read_text())["decision"] == "rollback"


def test_a_refused_number_is_named_by_file_and_line_on_spark_too(tmp_path: Path, spark: Any) -> None:
    rows = traffic(3, per_minute=20)
    rows[57]["latency_ms"] = "1_000"  # DuckDB's cast read 1000; Spark refused without naming the file or line
    log = write_jsonl(tmp_path / "prod.jsonl", rows)
    rules = RolloutRules.model_validate({"rollback": [{"rule": "latency_p95_ms > 3000 for 1 window"}]})
    for name in ("duckdb", "spark"):
        with pytest.raises(DatasetError, match=rf"^{log}:58: field 'latency_ms' must be a number or null; fix"):
            judge(log, rules, 3, name, **({"spark": spark} if name == "spark" else {}))


def test_watch_does_not_end_in_nothing_fired_on_copied_rows(tmp_path: Path) -> None:
    """A log shipped three times: 10 canary requests a minute count as 40, every window looks judged (min 20).

    ``gatekit canary`` holds on such copies; the watch's timeout said "no rollback rule fired" (exit 0).
    """
    from gatekit.canary.watch import watch

    rows = traffic(10, per_minute=10)
    log = write_jsonl(tmp_path / "prod.jsonl", rows * 4)
    rules = RolloutRules.model_validate({"rollback": [{"rule": "error_rate > 1% for 5 consecutive windows"}]})
    lines: list[str] = []
    clock = parse_time(now_after(10), "now") / 1e6
    code = watch(str(log), rules, since=now_after(0), timeout_s=0, emit=lines.append, clock=lambda: clock)
    assert code == 4, lines
    assert "duplicate request_id rows" in lines[-1] and lines[-1].startswith("HOLD:"), lines
    unique = write_jsonl(tmp_path / "unique.jsonl", traffic(10, per_minute=40))
    assert watch(str(unique), rules, since=now_after(0), timeout_s=0, emit=lines.append, clock=lambda: clock) == 0


@pytest.mark.parametrize("mlflow_down", [False, True])
def test_json_on_stdout_stays_one_document_under_github_actions(tmp_path: Path, mlflow_down: bool) -> None:
    """``gatekit canary --json > canary.json`` in a workflow: the ::error annotation went to stdout before the JSON."""
    log = write_jsonl(tmp_path / "prod.jsonl", traffic(12, per_minute=50, canary=lambda m: {"error_rate": 0.2}))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(tmp_path / "out")}
    mlflow = ["--tracking-uri", "http://127.0.0.1:9/"] if mlflow_down else ["--no-mlflow"]
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "canary", "--logs", str(log), "--now", now_after(30),
         "--out", str(tmp_path / "o"), "--json", *mlflow],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == (3 if mlflow_down else 1), proc.stderr
    assert json.loads(proc.stdout)["decision"] == "rollback"  # the whole of stdout is the JSON document
    assert "::error title=gatekit canary rollback::" in proc.stderr  # the runner reads workflow commands on stderr too


def test_rows_without_a_timestamp_are_refused_not_left_out(tmp_path: Path, spark: Any) -> None:
    """The canary's failed requests written without a time: they fit no window, and vanished (promote)."""
    rows = traffic(10, per_minute=40, canary=lambda m: {"error_rate": 0.25})
    for row in rows:
        if row["variant"] == "canary" and row["error"]:
            row["timestamp"] = None if int(row["request_id"].rsplit("-", 1)[1]) % 2 else ""
    log = write_jsonl(tmp_path / "prod.jsonl", rows)
    rules = RolloutRules.model_validate({"rollback": [{"rule": "error_rate > 1% for 3 consecutive windows"}]})
    for name in ("duckdb", "spark"):
        with pytest.raises(DatasetError, match=r"rows without a timestamp \(100 'canary'\)"):
            judge(log, rules, 10, name, **({"spark": spark} if name == "spark" else {}))
    clean = traffic(10, per_minute=40)
    clean.append({**clean[0], "variant": "shadow", "request_id": "shadow-1", "timestamp": None})
    timed = write_jsonl(tmp_path / "timed.jsonl", clean)
    assert judge(timed, rules, 10).decision == "promote"  # a row of another variant without a time is not judged


def test_rows_of_a_newer_format_further_down_the_log_are_refused(tmp_path: Path, spark: Any) -> None:
    """A guard upgraded while it appends to the same log: the first row is version 1, later rows version 2.

    The readers checked only the first row and read the newer rows as version 1.
    """
    rows = traffic(10, per_minute=30)
    for row in rows[len(rows) // 2 :]:
        row["schema_version"] = 2
    log = write_jsonl(tmp_path / "prod.jsonl", rows)
    rules = RolloutRules.model_validate({"rollback": [{"rule": "error_rate > 1% for 3 consecutive windows"}]})
    for name in ("duckdb", "spark"):
        with pytest.raises(DatasetError, match=r"schema_version 2, the first in the window starting 2026-03-01T12:05"):
            judge(log, rules, 10, name, **({"spark": spark} if name == "spark" else {}))
    for row in rows:
        row["schema_version"] = 1
    assert judge(write_jsonl(tmp_path / "v1.jsonl", rows), rules, 10).decision == "promote"


def test_a_torn_line_is_refused_on_spark_as_on_duckdb(tmp_path: Path, spark: Any) -> None:
    """Spark's JSON reader (PERMISSIVE) set a torn line aside as ``_corrupt_record``: the row vanished, promote."""
    rows = traffic(6, per_minute=30, canary=lambda m: {"error_rate": 0.0})
    lines = [json.dumps(r) for r in rows]
    lines[100] = lines[100][:40]  # a write cut short: the rest of the row never came
    log = tmp_path / "prod.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    rules = RolloutRules.model_validate({"rollback": [{"rule": "error_rate > 1% for 3 consecutive windows"}]})
    for name in ("duckdb", "spark"):
        with pytest.raises(DatasetError, match=rf"^{log}:101: not valid JSON; fix or remove that line"):
            judge(log, rules, 6, name, **({"spark": spark} if name == "spark" else {}))


def _csv(path: Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    import csv

    with path.open("w", newline="", encoding="utf-8") as fh:
        out = csv.writer(fh)
        out.writerow(columns)
        out.writerows([r[c] if r[c] is not None else "" for c in columns] for r in rows)


def test_csv_files_with_columns_in_another_order_are_read_by_name_on_spark(tmp_path: Path, spark: Any) -> None:
    """Spark mapped every CSV file to the first file's header by position: the second file's rows vanished."""
    rows = traffic(10, per_minute=30, canary=lambda m: {"error_rate": 0.3 if m >= 5 else 0.0})
    columns = ["schema_version", "timestamp", "request_id", "variant", "latency_ms", "error"]
    folder = tmp_path / "logs"
    folder.mkdir()
    half = len(rows) // 2
    _csv(folder / "a.csv", rows[:half], columns)
    _csv(folder / "b.csv", rows[half:], columns[::-1])  # a later exporter wrote the columns in another order
    rules = RolloutRules.model_validate({"rollback": [{"rule": "error_rate > 1% for 3 consecutive windows"}]})
    duck = judge(folder, rules, 10).data
    on_spark = judge(folder, rules, 10, "spark", spark=spark).data
    assert duck["rows_seen"] == on_spark["rows_seen"] == len(rows)
    assert duck["decision"] == on_spark["decision"] == "rollback"  # the errors are all in the second file
    assert duck["rollback"] == on_spark["rollback"]


def test_parquet_files_with_other_columns_are_read_by_name_on_spark(tmp_path: Path, spark: Any) -> None:
    """Spark read every Parquet file with one file's schema: agent_version (only in the newer guard's files) vanished.

    The label's rows then looked like one version (promote) where DuckDB saw two (hold); and an int64 latency_ms in
    one file next to a double in another failed the read.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = traffic(10, per_minute=30)
    for row in rows:
        row["agent_version"] = "v1" if row["request_id"].endswith(("0", "2", "4")) else "v2"
    columns = ["schema_version", "timestamp", "request_id", "variant", "latency_ms", "error"]
    folder = tmp_path / "logs"
    folder.mkdir()
    half = len(rows) // 2
    pq.write_table(pa.table({c: [r[c] for r in rows[:half]] for c in columns}), folder / "old-guard.parquet")
    newer = {c: [r[c] for r in rows[half:]] for c in [*columns, "agent_version"]}
    newer["latency_ms"] = [int(v) for v in newer["latency_ms"]]
    pq.write_table(pa.table(newer), folder / "new-guard.parquet")
    rules = RolloutRules.model_validate({"rollback": [{"rule": "error_rate > 1% for 3 consecutive windows"}]})
    duck = judge(folder, rules, 10).data
    on_spark = judge(folder, rules, 10, "spark", spark=spark).data
    assert duck["rows_seen"] == on_spark["rows_seen"] == len(rows)
    assert duck["versions"]["by_variant"] == on_spark["versions"]["by_variant"]
    assert on_spark["versions"]["mixed"] and duck["decision"] == on_spark["decision"] == "hold"
    assert [w["canary"]["latency_p50_ms"] for w in duck["windows"]] == [
        w["canary"]["latency_p50_ms"] for w in on_spark["windows"]
    ]
