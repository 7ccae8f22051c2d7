"""Production sources on DuckDB: production-log files, today's logs through the mapping, eval results, the verdict."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import ks_2samp

from gatekit.drift import DriftConfig, check_drift
from gatekit.errors import ConfigError, DatasetError
from gatekit.pipeline.checks import drift_check
from gatekit.production.convert import eval_rows, write_parquet
from gatekit.production.schema import input_features, make_row
from gatekit.production.writer import ProductionLogWriter

REPO = Path(__file__).resolve().parents[2]
AZURE = REPO / "tests" / "data" / "azure-llm-trace"
START = datetime(2026, 11, 1, tzinfo=UTC)
ROLES = ["customer", "agent", "admin"]
TOOLS = ["lookup_order", "refund", "search"]


def _feature(result, name):
    return next(f for f in result.report["features"] if f["name"] == name)


def _gatekit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], capture_output=True, text=True, cwd=cwd, env=env, timeout=300
    )


def _requests(n: int, seed: int, latency_scale: float = 1.0):
    """Synthetic requests: text or chat input, tokens, latency, cost, context, tool calls."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        words = " ".join(["word"] * int(rng.integers(3, 40)))
        text = words if i % 2 else [{"role": "user", "content": words}, {"role": "assistant", "content": "ok"}]
        names = [TOOLS[int(k)] for k in rng.integers(0, 3, int(rng.integers(0, 3)))]
        yield {
            "when": START + timedelta(seconds=60 * i),
            "input": text,
            "output_tokens": int(rng.integers(5, 300)),
            "latency_ms": float(rng.gamma(4.0, 200.0) * latency_scale),
            "cost_usd": float(rng.uniform(0.0001, 0.01)),
            "role": ROLES[int(rng.integers(0, 3))],
            "env": "prod",
            "tools": names,
        }


def _native(requests, path: Path) -> Path:
    with ProductionLogWriter(path) as log:
        for r in requests:
            log.write(
                timestamp=r["when"], request_id=f"r{r['when'].timestamp()}", latency_ms=r["latency_ms"],
                output_tokens=r["output_tokens"], cost_usd=r["cost_usd"], role=r["role"], env=r["env"],
                tool_calls=len(r["tools"]), tool_names=r["tools"], **input_features(r["input"]),
            )  # fmt: skip
    return path


def _legacy(requests, path: Path) -> Path:
    """Today's log shape: raw input (chat messages as a JSON string), nested usage/context, tool-call objects."""
    with path.open("w") as out:
        for r in requests:
            raw = r["input"] if isinstance(r["input"], str) else json.dumps(r["input"])
            row = {
                "timestamp": r["when"].isoformat(),
                "input": raw,
                "usage": {"output_tokens": r["output_tokens"]},
                "latency_ms": r["latency_ms"],
                "cost_usd": r["cost_usd"],
                "context": {"role": r["role"], "env": r["env"]},
                "tool_calls": [{"function": {"name": n}} for n in r["tools"]],
            }
            out.write(json.dumps(row) + "\n")
    return path


def test_latency_rose_is_drift_and_names_the_feature(tmp_path: Path) -> None:
    # the case: every request slower, nothing else changed; the old share rule said "no drift"
    # 2,500 vs 5,000 rows: the population KS distance of gamma(4) scaled by 1.35 is D = 0.231, and the asymptotic
    # p-value of D = 0.20 (well below it) at these sizes is 2e-58 (scipy.special.kolmogorov), so the bounds hold
    ref = _native(_requests(2500, 1), tmp_path / "last_week.jsonl")
    prod = _native(_requests(5000, 2, latency_scale=1.35), tmp_path / "this_week.jsonl")
    run = _gatekit("drift", "--reference", str(ref), "--production", str(prod), "--no-mlflow", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    first = run.stdout.splitlines()[0]
    assert "DRIFT" in first and "latency_ms" in first
    report = json.loads((tmp_path / "reports" / "drift" / "drift.json").read_text())
    assert report["drifted"] == ["latency_ms"] and report["engine"] == "duckdb"
    latency = _feature(type("R", (), {"report": report}), "latency_ms")
    assert 0.1 < latency["effect_size"] < 0.3 and latency["p_value"] < 1e-50
    from typer.testing import CliRunner

    from gatekit.cli import app

    args = ["drift", "--reference", str(ref), "--production", str(prod), "--no-mlflow", "--verdict", "share"]
    share = CliRunner().invoke(app, [*args, "--out", str(tmp_path / "s")])  # in process: the process is checked above
    assert share.exit_code == 0 and "latency_ms" in share.stdout.splitlines()[0], share.output


def test_gate_check_value_and_message_agree() -> None:
    drifted = {"drift": True, "reason": "1 of 8 features drifted: latency_ms", "drifted": ["latency_ms"]}
    check = drift_check({**drifted, "verdict": "any"})
    assert check.status.value == "fail" and check.value == 1.0 and check.limit == 0.0
    assert "latency_ms" in check.message
    share = drift_check(
        {**drifted, "drift": False, "verdict": "share", "drift_share": 0.125, "max_drift_share": 0.5,
         "reason": "1 of 8 features drifted (12%, at most 50% allowed by the share rule) and none is critical: latency_ms"}
    )  # fmt: skip
    assert share.status.value == "pass" and share.value == 0.125 and share.limit == 0.5
    assert "latency_ms" in share.message and "matches" not in share.message
    clean = drift_check({"drift": False, "reason": "no feature drifted (8 tested)", "drifted": [], "verdict": "any"})
    assert clean.status.value == "pass" and clean.value == 0.0


def test_legacy_logs_through_the_mapping_equal_production_log_rows(tmp_path: Path) -> None:
    ref_req, prod_req = list(_requests(600, 3)), list(_requests(900, 4, latency_scale=1.5))
    native = check_drift(
        _native(ref_req, tmp_path / "ref.jsonl"), _native(prod_req, tmp_path / "prod.jsonl"),
        out=tmp_path / "n", log_to_mlflow=False,
    )  # fmt: skip
    legacy = check_drift(
        _legacy(ref_req, tmp_path / "ref_old.jsonl"), _legacy(prod_req, tmp_path / "prod_old.jsonl"),
        out=tmp_path / "l", log_to_mlflow=False,
    )  # fmt: skip
    assert native.report["production"]["format"] == "production-log"
    assert legacy.report["production"]["format"] == "legacy"
    names = {f["name"] for f in native.report["features"]}
    assert {"input_chars", "input_tokens_est", "turns", "output_tokens", "latency_ms", "context.role"} <= names
    tested = {f["name"] for f in legacy.report["features"]}
    assert tested == names  # context.scope: never logged on either side, skipped by both
    for feature in native.report["features"]:
        other = _feature(legacy, feature["name"])
        assert other["statistic"] == feature["statistic"] and other["p_value"] == feature["p_value"], feature["name"]
    assert native.drifted == legacy.drifted == ["latency_ms"]
    # a golden reference in today's shape against production-log rows: same feature names on both sides
    mixed = check_drift(tmp_path / "ref_old.jsonl", tmp_path / "prod.jsonl", out=tmp_path / "m", log_to_mlflow=False)
    assert _feature(mixed, "latency_ms")["statistic"] == _feature(native, "latency_ms")["statistic"]


def test_parquet_folder_glob_and_since_window(tmp_path: Path) -> None:
    rows = [
        make_row(timestamp=START + timedelta(hours=i), request_id=f"r{i}", latency_ms=float(100 + i % 50), role="a")
        for i in range(24 * 14)
    ]
    folder = tmp_path / "logs"
    folder.mkdir()
    write_parquet(rows[: len(rows) // 2], folder / "week1.parquet")
    write_parquet(rows[len(rows) // 2 :], folder / "week2.parquet")
    ref = _native(_requests(300, 5), tmp_path / "ref.jsonl")
    result = check_drift(ref, str(folder / "*.parquet"), since="7d", numeric=["latency_ms"], log_to_mlflow=False,
                         write_files=False)  # fmt: skip
    production = result.report["production"]
    assert production["rows_read"] == len(rows) and production["rows_in_window"] == 24 * 7 + 1
    assert production["window"]["end"] == (START + timedelta(hours=len(rows) - 1)).isoformat(timespec="seconds")
    by_folder = check_drift(ref, folder, numeric=["latency_ms"], log_to_mlflow=False, write_files=False)
    assert by_folder.report["production"]["rows_in_window"] == len(rows)


def test_eval_results_become_production_rows_and_a_reference(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    with results.open("w") as out:
        for i in range(200):
            row = {
                "case_id": f"c{i}", "repeat": 0, "ok": i % 10 != 0, "passed": True,
                "latency_ms": 500.0 + i, "error_type": "timeout" if i % 10 == 0 else None,
                "cost_usd": None, "attempts": [],
                "response": {"output": "done", "tool_calls": [{"name": "refund", "arguments": {}}],
                             "usage": {"input_tokens": 40, "output_tokens": 12}, "model": "m1", "cost_usd": 0.002},
                "decision": {"outcome": "allow", "rules": [{"id": "pii", "kind": "sensitive_data"}],
                             "redactions": {"EMAIL_ADDRESS": 1}},
                "started_at": (START + timedelta(minutes=i)).isoformat(),
            }  # fmt: skip
            out.write(json.dumps(row) + "\n")
    rows = list(eval_rows(results))
    first = rows[1]
    assert first["source"] == "eval" and first["latency_ms"] == 501.0 and first["output_tokens"] == 12
    assert first["tool_names"] == ["refund"] and first["tool_calls"] == 1 and first["rules"] == ["pii"]
    assert first["redactions"] == {"EMAIL_ADDRESS": 1} and first["input_chars"] is None  # no dataset: unknown
    assert rows[0]["error"] == "timeout"
    prod = tmp_path / "prod.jsonl"
    with ProductionLogWriter(prod) as log:
        for i in range(400):
            log.write(request_id=f"p{i}", latency_ms=500.0 + (i % 200) * 3, output_tokens=12, tool_names=["refund"])
    result = check_drift(results, prod, log_to_mlflow=False, write_files=False)
    assert result.report["reference"]["format"] == "eval-results"
    latency = _feature(result, "latency_ms")
    expected = ks_2samp(np.arange(200) + 500.0, 500.0 + (np.arange(400) % 200) * 3.0)
    assert latency["statistic"] == float(expected.statistic) and latency["p_value"] == float(expected.pvalue)
    assert result.drift and "latency_ms" in result.drifted


@pytest.mark.parametrize(("name", "split"), [("code_vs_conv", False), ("conv_half_split", True)])
def test_azure_trace_as_production_log_parquet(tmp_path: Path, name: str, split: bool) -> None:
    code = pd.read_csv(AZURE / "AzureLLMInferenceTrace_code.csv")
    conv = pd.read_csv(AZURE / "AzureLLMInferenceTrace_conv.csv")
    if split:
        mask = np.random.default_rng(20231116).random(len(conv)) < 0.5
        ref_df, prod_df = conv[mask], conv[~mask]
    else:
        ref_df, prod_df = code, conv

    def write(df: pd.DataFrame, path: Path) -> Path:
        stamps = pd.to_datetime(df["TIMESTAMP"], utc=True)
        rows = (
            make_row(timestamp=t.to_pydatetime(), request_id=f"r{i}", input_tokens=int(c), output_tokens=int(g))
            for i, (t, c, g) in enumerate(zip(stamps, df["ContextTokens"], df["GeneratedTokens"], strict=True))
        )
        write_parquet(rows, path)
        return path

    ref, prod = write(ref_df, tmp_path / "ref.parquet"), write(prod_df, tmp_path / "prod.parquet")
    result = check_drift(ref, prod, numeric=["input_tokens"], log_to_mlflow=False, write_files=False)
    feature = _feature(result, "input_tokens")
    expected = ks_2samp(ref_df["ContextTokens"].to_numpy(float), prod_df["ContextTokens"].to_numpy(float))
    assert feature["statistic"] == float(expected.statistic) and feature["p_value"] == float(expected.pvalue)
    if split:
        assert feature["p_value"] > 0.05 and not result.drift and result.exit_code == 0
    else:
        assert feature["statistic"] == pytest.approx(0.346, abs=0.001) and result.drift and result.exit_code == 1


def test_bad_production_file_names_file_and_line_exit_2(tmp_path: Path) -> None:
    ref = _native(_requests(50, 6), tmp_path / "ref.jsonl")
    bad = _native(_requests(20, 7), tmp_path / "bad.jsonl")
    with bad.open("a") as out:
        out.write(json.dumps({**make_row(request_id="x"), "latency_ms": "slow"}) + "\n")
    with pytest.raises(DatasetError, match=r"bad.jsonl:21: field 'latency_ms' must be a number"):
        check_drift(ref, bad, log_to_mlflow=False, write_files=False)
    run = _gatekit("drift", "--reference", str(ref), "--production", str(bad), "--no-mlflow", cwd=tmp_path)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.count("\n") == 1 and "bad.jsonl:21" in run.stderr
    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(DatasetError, match="broken.parquet"):
        check_drift(ref, broken, log_to_mlflow=False, write_files=False)


def test_unknown_feature_on_production_log_files_lists_the_columns(tmp_path: Path) -> None:
    ref = _native(_requests(30, 8), tmp_path / "ref.jsonl")
    with pytest.raises(DatasetError, match="not a production-log column .*latency_ms"):
        check_drift(ref, ref, numeric=["latency"], log_to_mlflow=False, write_files=False)


def test_spark_engine_choice_is_checked(tmp_path: Path) -> None:
    ref = _native(_requests(30, 9), tmp_path / "ref.jsonl")
    with pytest.raises(Exception, match="engine"):
        DriftConfig.model_validate({"engine": "bigquery"})
    try:
        import pyspark  # noqa: F401

        import gatekit.production.spark_engine  # noqa: F401
    except ImportError:
        with pytest.raises(ConfigError, match="--engine spark is not available"):
            check_drift(ref, ref, config=DriftConfig(engine="spark"), log_to_mlflow=False, write_files=False)
        run = _gatekit("drift", "--reference", str(ref), "--production", str(ref), "--engine", "spark", cwd=tmp_path)
        assert run.returncode == 2 and "not available" in run.stderr


def test_spark_engine_choice_runs_on_the_active_session(tmp_path: Path, spark: object) -> None:
    """``DriftConfig(engine="spark")`` runs on the caller's active session (the shared test session)."""
    ref = _native(_requests(30, 9), tmp_path / "ref.jsonl")
    on_spark = check_drift(ref, ref, numeric=["latency_ms"], config=DriftConfig(engine="spark"), log_to_mlflow=False,
                           write_files=False)  # fmt: skip
    assert _feature(on_spark, "latency_ms")["statistic"] == 0.0
