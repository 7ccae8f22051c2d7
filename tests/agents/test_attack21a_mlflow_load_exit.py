"""attack21a: an MLflow model whose own code ends the process while it loads is an agent that did not start (exit 2).

A models-from-code model (or its ``load_context``) calling ``sys.exit()``, ``os._exit()`` or
``_thread.interrupt_main()`` while MLflow loads it made ``gatekit eval`` fail with ``internal error (the gate fails
closed): AgentCallError: ... the case fails``, exit 3: the exception the agent's worker thread turns such a call
into was not one the loader turned into a failed start. A ``python:`` agent doing the same in its import was already a
failed start (exit 2, with a failing verdict.json saying why); an MLflow model is now too. Real sqlite store, real
registered model.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project
from mlflow_store import fresh_store

pytestmark = pytest.mark.slow

MODEL = """
import _thread, os, sys, time

import mlflow
from mlflow.pyfunc import PythonModel


class Exiting(PythonModel):
    def load_context(self, context):
        how = os.environ.get("A21A_LOAD")
        if how == "os_exit":
            os._exit(0)
        if how == "sys_exit":
            sys.exit(0)
        if how == "interrupt":
            _thread.interrupt_main()
            time.sleep(0.5)

    def predict(self, context, model_input, params=None):
        return {"output": "fine"}


mlflow.models.set_model(Exiting())
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import mlflow

    root = tmp_path_factory.mktemp("mlflow-21a")
    uri = fresh_store(root / "mlflow.db")
    (root / "exiting_model.py").write_text(MODEL, encoding="utf-8")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        mlflow.set_experiment("models")
        with mlflow.start_run():
            mlflow.pyfunc.log_model(
                name="m",
                python_model=str(root / "exiting_model.py"),
                registered_model_name="gk21a-exiting",
                pip_requirements=["mlflow"],
            )
        yield uri
    finally:
        mlflow.set_tracking_uri(previous)


@pytest.mark.parametrize(
    ("how", "says"),
    [
        ("os_exit", "os._exit(0) called by agent code"),
        ("sys_exit", "raised SystemExit"),
        ("interrupt", "_thread.interrupt_main() called by agent code"),
    ],
)
def test_a_model_ending_the_process_while_it_loads_did_not_start(
    tmp_path: Path, store: str, how: str, says: str
) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    env = {"MLFLOW_TRACKING_URI": store, "A21A_LOAD": how}
    proc = attack_gate(project, "--out", "out", "--no-mlflow", agent="models:/gk21a-exiting/1", env=env)
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])  # was 3: internal error
    assert "Traceback" not in proc.stderr and "internal error" not in proc.stderr
    last = proc.stderr.strip().splitlines()[-1]  # (MLflow's own warnings may come before it)
    assert "cannot load the MLflow model" in last and says in last, last
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert (verdict["verdict"], verdict["exit_code"]) == ("fail", 2)
    assert any(says in reason for reason in verdict["reasons"]), verdict["reasons"]


def test_the_same_model_loading_normally_answers(tmp_path: Path, store: str) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    proc = attack_gate(
        project, "--out", "out", "--no-mlflow", agent="models:/gk21a-exiting/1", env={"MLFLOW_TRACKING_URI": store}
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    row = json.loads((project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["response"]["output"] == "fine"
