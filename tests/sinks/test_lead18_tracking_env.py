"""Logging a gate run in-process leaves MLflow's tracking URI as it found it (global and ``MLFLOW_TRACKING_URI``).

MLflow 3's ``set_tracking_uri`` also sets the environment variable: left set, a library caller's process and every
subprocess it started afterwards logged to the gate's store (a CI run saw a later test's ``gatekit eval`` read a store
an earlier test had named). Real sqlite stores.
"""

from __future__ import annotations

import os
from pathlib import Path

import mlflow
import pytest

from gatekit.errors import SinkError
from gatekit.sinks import mlflow as sink


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)


def test_a_logged_run_leaves_no_tracking_uri_behind(tmp_path: Path, clean_env: None) -> None:
    before = mlflow.get_tracking_uri()
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    run_id, _ = sink.log_run(uri, "e", None, {"a": 1}, {"m": 1.0}, {}, [])
    assert mlflow.MlflowClient(tracking_uri=uri).get_run(run_id).data.params == {"a": "1"}
    assert "MLFLOW_TRACKING_URI" not in os.environ
    assert mlflow.get_tracking_uri() == before


def test_a_caller_s_own_variable_is_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mine = f"sqlite:///{tmp_path / 'mine.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mine)
    sink.log_run(f"sqlite:///{tmp_path / 'gate.db'}", "e", None, {}, {}, {}, [])
    assert os.environ["MLFLOW_TRACKING_URI"] == mine


def test_a_failed_log_restores_it_too(tmp_path: Path, clean_env: None) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("", encoding="utf-8")
    with pytest.raises(SinkError):
        sink.log_run(f"sqlite:///{blocker / 'sub' / 'mlflow.db'}", "e", None, {"a": 1}, {}, {}, [])
    assert "MLFLOW_TRACKING_URI" not in os.environ
