"""attack19e: MLflow models as agents, and experiment names, in a real sqlite MLflow store.

* A registered model whose loading fails outside MLflow's own errors (its class's module is not installed here) was
  ``internal error (the gate fails closed): ModuleNotFoundError``, exit 3, no verdict.json saying why; it is an
  agent that did not start now (exit 2, a ``fail`` verdict.json with the reason).
* A pyfunc prediction that is a mapping without ``output`` or ``tool_calls`` (a two-column DataFrame row, a dict of
  other fields) was a successful, empty answer; it is an ``invalid_response`` now.
* An empty or over-long (> 500 characters) experiment name ran every case, then failed as an MLflow error (exit 3).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TESTS_DIR, attack_gate, attack_project, one_line_exit_2
from mlflow_store import fresh_store
from spine_project import run_cli

pytestmark = pytest.mark.slow

HELPER = """
from mlflow.pyfunc import PythonModel


class Helped(PythonModel):
    def predict(self, context, model_input, params=None):
        return "fine"
"""

SHAPES = """
import mlflow
import pandas as pd
from mlflow.pyfunc import PythonModel


class Shapes(PythonModel):
    def predict(self, context, model_input, params=None):
        kind = str(model_input)
        return {
            "two_columns": pd.DataFrame({"label": ["x"], "score": [0.5]}),
            "other_fields": {"answer": "hello", "usage": {"input_tokens": 1}},
            "one_column": pd.DataFrame({"prediction": ["from the one column"]}),
            "tool_only": {"tool_calls": [{"name": "lookup", "arguments": {}}]},
        }[kind]


mlflow.models.set_model(Shapes())
"""

TYPED = """
import mlflow
from mlflow.pyfunc import PythonModel


class Typed(PythonModel):
    def predict(self, context, model_input, params=None):
        return {"output": "fine"}


mlflow.models.set_model(Typed())
"""


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A sqlite store with ``gk19e-loadfail/1`` (pickled class from a module only the test can import) and
    ``gk19e-shapes/1`` (a models-from-code pyfunc answering odd shapes)."""
    import mlflow

    root = tmp_path_factory.mktemp("mlflow-19e")
    uri = fresh_store(root / "mlflow.db")
    helper = root / "helper"
    helper.mkdir()
    (helper / "gk19e_helpermod.py").write_text(HELPER, encoding="utf-8")
    (root / "shapes.py").write_text(SHAPES, encoding="utf-8")
    mp = pytest.MonkeyPatch()
    mp.chdir(root)
    mp.syspath_prepend(str(helper))
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        from gk19e_helpermod import Helped  # type: ignore[import-not-found]

        mlflow.set_experiment("models")
        with mlflow.start_run():
            mlflow.pyfunc.log_model(
                name="a", python_model=Helped(), registered_model_name="gk19e-loadfail", pip_requirements=["mlflow"]
            )
            mlflow.pyfunc.log_model(
                name="b",
                python_model=str(root / "shapes.py"),
                registered_model_name="gk19e-shapes",
                pip_requirements=["mlflow"],
            )
            from mlflow.models.signature import ModelSignature
            from mlflow.types.schema import ColSpec, Schema

            (root / "typed.py").write_text(TYPED, encoding="utf-8")
            mlflow.pyfunc.log_model(
                name="c",
                python_model=str(root / "typed.py"),
                registered_model_name="gk19e-typed",
                signature=ModelSignature(inputs=Schema([ColSpec("long", "x")]), outputs=Schema([ColSpec("string")])),
                pip_requirements=["mlflow"],
            )
        yield uri
    finally:
        mlflow.set_tracking_uri(previous)
        sys.modules.pop("gk19e_helpermod", None)
        mp.undo()


def test_a_model_whose_code_cannot_be_imported_is_an_agent_that_did_not_start(tmp_path: Path, store: str) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    proc = attack_gate(
        project, "--out", "out", "--no-mlflow", agent="models:/gk19e-loadfail/1", env={"MLFLOW_TRACKING_URI": store}
    )
    line = one_line_exit_2(proc)  # was exit 3: "internal error (the gate fails closed): ModuleNotFoundError: ..."
    assert "cannot load the MLflow model: ModuleNotFoundError" in line and "gk19e_helpermod" in line, line
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert (verdict["verdict"], verdict["exit_code"]) == ("fail", 2)
    assert any("gk19e_helpermod" in reason for reason in verdict["reasons"]), verdict["reasons"]


def test_a_mapping_prediction_without_output_is_an_invalid_response(tmp_path: Path, store: str) -> None:
    kinds = ["two_columns", "other_fields", "one_column", "tool_only"]
    project = attack_project(tmp_path, [json.dumps({"id": kind, "input": kind}) for kind in kinds])
    proc = attack_gate(
        project, "--out", "out", "--no-mlflow", agent="models:/gk19e-shapes/1", env={"MLFLOW_TRACKING_URI": store}
    )
    assert proc.returncode == 1, (proc.stdout, proc.stderr)
    results = {}
    for line in (project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        results[record["case_id"]] = record
    for kind in ("two_columns", "other_fields"):  # were ok, with the answer ""
        assert not results[kind]["ok"], results[kind]
        assert results[kind]["error_type"] == "invalid_response"
        assert "without 'output' or 'tool_calls'" in results[kind]["error_message"]
        assert len(results[kind]["attempts"]) == 1  # the same input gets the same answer: not retried
    assert results["one_column"]["ok"] and results["one_column"]["response"]["output"] == "from the one column"
    assert results["tool_only"]["ok"] and results["tool_only"]["response"]["tool_calls"][0]["name"] == "lookup"


@pytest.mark.parametrize(
    ("name", "says"),
    [("", "is empty"), ("   ", "is empty"), ("e" * 501, "501 characters")],
    ids=["empty", "blank", "501"],
)
def test_an_experiment_name_mlflow_refuses_is_refused_before_the_replay(tmp_path: Path, name: str, says: str) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    store = fresh_store(tmp_path / "mlflow.db")
    proc = attack_gate(project, "--out", "out", "--tracking-uri", store, "--experiment", name)
    line = one_line_exit_2(proc)  # was exit 3 after the replay: "INVALID_PARAMETER_VALUE: 'name' exceeds ..."
    assert says in line and "experiment" in line, line
    assert not (project / "out" / "results.jsonl").exists()


def test_an_experiment_name_of_500_characters_is_logged(tmp_path: Path) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    store = fresh_store(tmp_path / "mlflow.db")
    proc = attack_gate(project, "--out", "out", "--tracking-uri", store, "--experiment", "e" * 500)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))["mlflow"]["run_id"]


def _old_mlruns(project: Path) -> None:
    """A ``./mlruns`` with an experiment in it, as MLflow 2 left it: MLflow 3's default store here is that folder."""
    (project / "mlruns" / "0").mkdir(parents=True)
    meta = 'name: Default\nexperiment_id: "0"\nlifecycle_stage: active\nartifact_location: mlruns/0\n'
    (project / "mlruns" / "0" / "meta.yaml").write_text(meta, encoding="utf-8")


@pytest.mark.parametrize("given", ["flag", "default"])
def test_a_file_store_mlflow_refuses_is_refused_before_the_replay(
    tmp_path: Path, given: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_ALLOW_FILE_STORE", raising=False)
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    if given == "flag":
        proc = attack_gate(project, "--out", "out", "--tracking-uri", "file:./mlruns")
        assert "--tracking-uri file:./mlruns is a file store" in one_line_exit_2(proc)
    else:  # no URI anywhere, an old ./mlruns in the working directory
        _old_mlruns(project)
        proc = attack_gate(project, "--out", "out")
        assert "MLflow's default tracking store here" in one_line_exit_2(proc)
    # was exit 3 after every case ran: "MlflowException: The filesystem tracking backend ... is in maintenance mode"
    assert "MLFLOW_ALLOW_FILE_STORE=true" in proc.stderr
    assert not (project / "out" / "results.jsonl").exists()


def test_a_file_store_opted_in_is_logged(tmp_path: Path) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    proc = attack_gate(
        project, "--out", "out", "--tracking-uri", "file:./mlruns", env={"MLFLOW_ALLOW_FILE_STORE": "true"}
    )
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    run_id = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))["mlflow"]["run_id"]
    assert run_id and list((project / "mlruns").rglob(run_id))


def test_a_relative_sqlite_tracking_uri_in_gatekit_yaml_is_relative_to_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    (tmp_path / "proj").mkdir()
    project = attack_project(tmp_path / "proj", [json.dumps({"id": "c1", "input": "hi"})])
    store = fresh_store(project / "mlflow.db")
    config = "dataset: ds.jsonl\nagent: python:agent16:run\nthresholds: th.yaml\nout: out\n"
    (project / "gatekit.yaml").write_text(config + "tracking_uri: sqlite:///mlflow.db\n", encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{project}"
    command = [sys.executable, "-m", "gatekit", "eval", "-c", str(project / "gatekit.yaml")]
    command += ["--policy", str(REPO_ROOT / "policies" / "default.yaml")]
    proc = subprocess.run(command, cwd=elsewhere, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    run_id = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))["mlflow"]["run_id"]
    # the run went to a new mlflow.db in the working directory; the project's store never saw it
    assert not (elsewhere / "mlflow.db").exists()
    from mlflow import MlflowClient

    assert MlflowClient(tracking_uri=store).get_run(run_id).info.status == "FINISHED"


def test_drift_refuses_a_file_store_before_computing(tmp_path: Path) -> None:
    conv = str(TESTS_DIR / "data" / "azure-llm-trace" / "AzureLLMInferenceTrace_conv.csv")
    args = ["--reference", conv, "--production", conv, "--numeric", "ContextTokens", "--out", "o"]
    proc = run_cli(tmp_path, "drift", *args, "--tracking-uri", "file:./mlruns")
    # was exit 3 after the drift was computed and its files written ("... is in maintenance mode ...")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)
    assert "is a file store" in proc.stderr and "MLFLOW_ALLOW_FILE_STORE=true" in proc.stderr
    assert not (tmp_path / "o" / "drift.json").exists()


def test_two_gates_logging_the_same_dataset_at_once_both_log(tmp_path: Path) -> None:
    """Another gate logs the same golden dataset to the experiment between MLflow's look-up and its insert.

    MLflow reads the experiment's datasets, then inserts the missing one: two gates publishing one dataset at once
    (seen with six gate processes on one store) made one fail, exit 3, ``UNIQUE constraint failed: datasets...``.
    The other gate here is MLflow itself logging the dataset for a second run, started at the moment the gate's
    insert is sent (a listener on the real store's engine), so the race happens every time.
    """
    import mlflow
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    from gatekit.sinks.mlflow import log_run

    store = fresh_store(tmp_path / "mlflow.db")
    client = mlflow.MlflowClient(tracking_uri=store)
    experiment_id = client.create_experiment("race")
    other_run = client.create_run(experiment_id).info.run_id
    records = [{"id": "c1", "input": "hi", "tags": []}]
    dataset = {"name": "golden", "path": "ds.jsonl", "sha256": "ab" * 32, "records": records}
    fired: list[str] = []

    def other_gate(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not fired and statement.lstrip().upper().startswith("INSERT INTO DATASETS"):
            fired.append(statement)
            import pandas as pd

            frame = pd.DataFrame({"id": ["c1"], "input": [json.dumps("hi")], "tags": [""]})
            same = mlflow.data.from_pandas(frame, source="ds.jsonl", name="golden", digest=("ab" * 32)[:36])
            from mlflow.entities import DatasetInput, InputTag

            client.log_inputs(
                other_run, [DatasetInput(same._to_mlflow_entity(), [InputTag("mlflow.data.context", "golden")])]
            )

    event.listen(Engine, "before_cursor_execute", other_gate)
    try:
        run_id, _ = log_run(store, "race", "gate", {}, {}, {}, [], dataset=dataset)
    finally:
        event.remove(Engine, "before_cursor_execute", other_gate)
    assert fired  # the other gate did log first
    run = client.get_run(run_id)
    assert run.info.status == "FINISHED"
    assert [i.dataset.digest for i in run.inputs.dataset_inputs] == [("ab" * 32)[:36]]
    assert [i.dataset.digest for i in client.get_run(other_run).inputs.dataset_inputs] == [("ab" * 32)[:36]]


def test_a_case_the_model_signature_refuses_is_a_case_error_not_retried(tmp_path: Path, store: str) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hello"})])
    env = {"MLFLOW_TRACKING_URI": store}
    proc = attack_gate(project, "--out", "out", "--no-mlflow", "--retries", "2", agent="models:/gk19e-typed/1", env=env)
    assert proc.returncode == 1, (proc.stdout, proc.stderr)  # a failing case, not a crash and not a pass
    record = json.loads((project / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert not record["ok"] and "input schema refuses this case" in record["error_message"]
    assert len(record["attempts"]) == 1  # was 3: the same input was sent again, refused the same way
