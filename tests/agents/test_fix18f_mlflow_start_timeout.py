"""fix18f: an MLflow model whose load never returns is bounded by start_timeout (a failed start, exit 2).

Before: ``agent.start()`` awaited the load with no bound; ``gatekit eval`` never ended and left no verdict. The load
runs on a daemon thread the start timeout abandons. Real sqlite MLflow store, real ``gatekit eval`` subprocess.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project
from mlflow_store import fresh_store

pytestmark = pytest.mark.slow

MODEL = """
import os
import time

import mlflow
from mlflow.pyfunc import PythonModel


class Hangs(PythonModel):
    def load_context(self, context):
        if os.environ.get("GK_HANG_LOAD18F") == "1":
            time.sleep(3600)

    def predict(self, context, model_input, params=None):
        return "ok"


mlflow.models.set_model(Hangs())
"""


def test_a_model_load_that_never_returns_fails_the_start(tmp_path: Path) -> None:
    import mlflow

    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    uri = fresh_store(tmp_path / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        mlflow.set_experiment("hang18f")
        code = tmp_path / "hang_model18f.py"
        code.write_text(MODEL, encoding="utf-8")
        with mlflow.start_run():
            mlflow.pyfunc.log_model(
                name="agent", python_model=str(code), registered_model_name="gk-hang18f", pip_requirements=["mlflow"]
            )
    finally:
        mlflow.set_tracking_uri(previous)
    t0 = time.monotonic()
    proc = attack_gate(
        project,
        "--no-mlflow",
        "--out",
        "out",
        agent="models:/gk-hang18f/1",
        env={"MLFLOW_TRACKING_URI": uri, "GATEKIT_START_TIMEOUT": "5", "GK_HANG_LOAD18F": "1"},
    )
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "did not start within 5 s" in proc.stderr and "Traceback" not in proc.stderr
    assert time.monotonic() - t0 < 100
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail" and verdict["exit_code"] == 2, verdict
