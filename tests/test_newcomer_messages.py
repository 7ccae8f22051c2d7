"""Messages a newcomer met on the README's commands: the regression line's wording, MLflow's progress bar."""

from __future__ import annotations

import pytest
from mlflow_store import fresh_store

from gatekit.regression import regression_checks
from gatekit.sinks import mlflow as sink


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
