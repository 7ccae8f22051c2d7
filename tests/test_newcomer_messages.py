"""Messages a newcomer met on the README's commands: the regression line's wording, MLflow's progress bar."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from mlflow_store import fresh_store

from gatekit.regression import regression_checks
from gatekit.sinks import mlflow as sink

ROOT = Path(__file__).resolve().parents[1]


def _rows(n: int, denied: set[int]) -> list[dict]:
    return [
        {
            "case_id": f"c{i}",
            "repeat": 0,
            "ok": True,
            "passed": True,
            "latency_ms": 100.0,
            "cost_usd": 0.001,
            "decision": {"outcome": "deny" if i in denied else "allow"},
        }
        for i in range(n)
    ]


def test_deny_rate_regression_reads_newly_denied() -> None:
    checks = regression_checks(_rows(40, {1, 2}), _rows(40, {3}), {"governance.deny_rate": "0pp"})
    (check,) = [c for c in checks if c.name == "regression.governance.deny_rate"]
    assert "2 newly denied, 1 fixed" in check.message
    assert "was denied" not in check.message


def test_reading_a_baseline_artifact_prints_no_progress_bar(
    tmp_path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "true")
    monkeypatch.delenv("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR")  # restored to unset after the test
    uri = fresh_store(tmp_path / "mlflow.db")
    from mlflow import MlflowClient

    (tmp_path / "art").mkdir()
    MlflowClient(tracking_uri=uri).create_experiment("e", artifact_location=(tmp_path / "art").as_uri())
    results = tmp_path / "results.jsonl"
    results.write_text('{"case_id": "c1"}\n', encoding="utf-8")
    run_id, _ = sink.log_run(uri, "e", "run", params={}, metrics={}, tags={}, artifacts=[results])
    capfd.readouterr()
    assert sink.read_run_artifact(uri, run_id, "results.jsonl") == '{"case_id": "c1"}\n'
    assert "Downloading artifacts" not in capfd.readouterr().err


def test_canary_rollback_reason_counts_one_bad_window_in_the_singular(tmp_path) -> None:
    from gatekit.production.writer import ProductionLogWriter

    log = tmp_path / "production.jsonl"
    writer = ProductionLogWriter(str(log))
    for second, outcome in ((1, "allow"), (2, "deny")):
        writer.write(
            request_id=f"r{second}",
            timestamp=f"2026-03-01T12:00:0{second}Z",
            variant="canary",
            latency_ms=10.0,
            outcome=outcome,
        )
    writer.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "canary", "--logs", str(log), "--now", "2026-03-01T12:05:00Z"]
        + ["--no-mlflow", "--json", "--out", str(tmp_path / "out")],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 1, proc.stderr
    reasons = json.loads(proc.stdout)["reasons"]
    assert any("(1 bad window, last 2026-03-01T12:00:00Z)" in r for r in reasons), reasons


@pytest.mark.parametrize(
    ("flag", "value", "expected"),
    [
        ("--engine", "foo", "error: --engine: engine: Input should be 'duckdb' or 'spark'"),
        ("--max-drift-share", "7", "error: --max-drift-share: max_drift_share: Input should be less than or equal to 1"),
    ],
)
def test_a_bad_drift_flag_is_named_as_the_flag(tmp_path: Path, flag: str, value: str, expected: str) -> None:
    golden = str(ROOT / "datasets" / "retail_golden.jsonl")
    done = subprocess.run(
        [sys.executable, "-m", "gatekit", "drift", "--reference", golden, "--production", golden, flag, value],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines()[-1] == expected
