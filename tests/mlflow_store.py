"""Fresh MLflow sqlite stores without paying for MLflow's ~100 schema migrations each time.

MLflow builds a new sqlite store by running every alembic migration (several seconds). A test that needs an
empty store gets a byte copy of one real, migrated, empty store that MLflow built once per test process; MLflow
opens the copy as it would any store it made itself (the tables exist, so it only checks the schema version).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

_TEMPLATE: list[Path] = []
TEMPLATE_HOME: list[Path] = []  # conftest puts a folder of pytest's basetemp here (cleaned like any tmp_path)


def template_store() -> Path:
    """The migrated, empty ``mlflow.db`` this process copies from (built by MLflow on first use)."""
    if not _TEMPLATE:
        if TEMPLATE_HOME:
            folder = TEMPLATE_HOME[0]
        else:  # outside pytest
            folder = Path(tempfile.mkdtemp(prefix="gatekit-mlflow-template-"))
            atexit.register(shutil.rmtree, folder, True)
        path = folder / "mlflow.db"
        import fcntl

        # the xdist workers of one run share the folder: the first builds the template, the others copy it
        with open(folder / ".lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not path.exists():
                _build(folder, path)
        _TEMPLATE.append(path)
    return _TEMPLATE[0]


def _build(folder: Path, path: Path) -> None:
    """Let MLflow create and migrate an empty store, then move it to ``path`` in one step."""
    import logging

    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    for name in ("mlflow", "alembic"):  # "Creating initial MLflow database tables..." is not test output
        logging.getLogger(name).setLevel(logging.WARNING)
    building = folder / f"building-{os.getpid()}.db"
    store = SqlAlchemyStore(f"sqlite:///{building}", str(folder / "artifacts"))
    store.engine.dispose()  # nothing of the template stays open
    os.replace(building, path)


def fresh_store(path: Path) -> str:
    """Put an empty, migrated MLflow store at ``path`` (which must not exist); return its ``sqlite:///`` URI."""
    if path.exists():
        raise FileExistsError(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template_store(), path)
    return f"sqlite:///{path}"


def seed_store_for_cli(root: Path, args: tuple[str, ...], env: Mapping[str, str | None]) -> None:
    """Before a ``gatekit`` command that will log to a sqlite store that does not exist yet, put a fresh one there.

    The store is found as gatekit finds it: ``--tracking-uri``, else ``MLFLOW_TRACKING_URI``, else MLflow's
    default ``mlflow.db`` in the working directory (when there is no ``mlruns`` folder). Commands that do not
    log (``--no-mlflow``, other subcommands) and non-sqlite stores are left alone.
    """
    command = next((a for a in args if not a.startswith("-")), None)
    if command not in ("eval", "promote", "drift") or "--no-mlflow" in args:
        return
    uri = None
    if "--tracking-uri" in args:
        index = args.index("--tracking-uri")
        uri = args[index + 1] if index + 1 < len(args) else None
    else:
        uri = env.get("MLFLOW_TRACKING_URI")
    if uri is None:
        if (root / "mlruns").exists():
            return
        path = root / "mlflow.db"
    elif uri.startswith("sqlite:///"):
        path = Path(uri[len("sqlite:///") :])
        path = path if path.is_absolute() else root / path
    else:
        return
    if not path.exists() and path.parent.is_dir():
        fresh_store(path)


# --- registered models ------------------------------------------------------------------------------------------
# a tiny pyfunc model (models-from-code) that answers every case "ok"
ANSWER_MODEL = """
import mlflow
from mlflow.pyfunc import PythonModel


class Answer(PythonModel):
    def predict(self, context, model_input, params=None):
        return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}


mlflow.models.set_model(Answer())
"""


def registry_client(uri: str) -> Any:
    """An ``MlflowClient`` whose tracking and registry are both ``uri``."""
    from mlflow import MlflowClient

    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def log_models(
    folder: Path, names: Iterable[str], *, code: str | Mapping[str, str] = ANSWER_MODEL, experiment: str = "models"
) -> None:
    """At MLflow's current tracking URI, log a models-from-code pyfunc model once per entry of ``names``, each run in
    ``experiment`` registering the next version of that name. ``code``: the model's source (by name, for a mapping),
    written to ``folder``."""
    import mlflow

    experiment_id = mlflow.set_experiment(experiment).experiment_id
    for number, name in enumerate(names):
        path = folder / f"model_code_{number}.py"
        path.write_text(code if isinstance(code, str) else code[name], encoding="utf-8")
        with mlflow.start_run(experiment_id=experiment_id):
            mlflow.pyfunc.log_model(
                name="agent", python_model=str(path), registered_model_name=name, pip_requirements=["mlflow"]
            )


@contextlib.contextmanager
def model_store(
    root: Path,
    names: Iterable[str],
    *,
    code: str | Mapping[str, str] = ANSWER_MODEL,
    experiment: str = "models",
    chdir: bool = False,
) -> Iterator[str]:
    """A fresh store at ``root/mlflow.db`` holding :func:`log_models` of ``names``; yields its URI.

    MLflow's tracking URI and ``MLFLOW_TRACKING_URI`` name the store (and, with ``chdir``, the working directory is
    ``root``) until the block ends; then they are put back."""
    import mlflow
    import pytest

    uri = fresh_store(root / "mlflow.db")
    environment = pytest.MonkeyPatch()
    environment.setenv("MLFLOW_TRACKING_URI", uri)
    if chdir:
        environment.chdir(root)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        log_models(root, names, code=code, experiment=experiment)
        yield uri
    finally:
        mlflow.set_tracking_uri(previous)
        environment.undo()


def registered_model(uri: str, versions: int, name: str | None = None, experiment: str = "models") -> tuple[str, str]:
    """A registered model (``name``, or a new ``agent-...`` one) with ``versions`` versions of one empty run in
    ``experiment``: no model files, for the registry's side of promotion. Returns (name, the run's id)."""
    client = registry_client(uri)
    found = client.get_experiment_by_name(experiment)
    run = client.create_run(found.experiment_id if found else client.create_experiment(experiment))
    name = name or f"agent-{uuid.uuid4().hex[:8]}"
    client.create_registered_model(name)
    for _ in range(versions):
        client.create_model_version(name, source=f"{run.info.artifact_uri}/model", run_id=run.info.run_id)
    return name, run.info.run_id


def model_gate_project(folder: Path, cases: int = 6) -> Path:
    """``folder`` holding a dataset of ``cases`` rows and lenient thresholds: the files of :func:`model_gate_config`."""
    rows = [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(cases)]
    (folder / "ds.jsonl").write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    (folder / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    return folder


def model_gate_config(root: Path, uri: str, agent: str, **overrides: Any) -> Any:
    """The ``GateConfig`` of a gate of ``agent`` (a ``models:/`` URI) over :func:`model_gate_project` ``root``, logged
    at ``uri`` in an experiment of its own, promoting to ``production`` (``overrides`` change any field)."""
    from gatekit.config import GateConfig

    values: dict[str, Any] = {
        "dataset": root / "ds.jsonl",
        "agent": agent,
        "thresholds": root / "th.yaml",
        "policy": Path(__file__).resolve().parents[1] / "policies" / "default.yaml",
        "out": root / "out",
        "concurrency": 1,
        "timeout": 30,
        "experiment": f"gates-{uuid.uuid4().hex[:6]}",
        "tracking_uri": uri,
        "alias": "production",
    }
    values.update(overrides)
    return GateConfig(**values)


def promote_verdict(spec: str, uri: str, run_id: str, **fields: Any) -> Any:
    """A passing ``promote`` verdict of ``spec`` whose gate run is ``run_id`` at ``uri`` (``fields`` put over it)."""
    from conftest import verdict_data

    from gatekit.pipeline.model import Verdict

    mlflow = {"run_id": run_id, "experiment_id": "0", "tracking_uri": uri, "error": None}
    data = verdict_data(command="promote", candidate={"spec": spec}, sample=None, mlflow=mlflow)
    data.update(fields)
    return Verdict.model_validate(data)
