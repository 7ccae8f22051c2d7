"""attack22m: the version promoted is the model replayed, not another registered under the same name and number.

A registered model's version number names a model only while the registered model lives: deleted and registered
again during the gate (a cleanup job, a re-run of the training pipeline), ``name/1`` is another model (another run,
source, creation time). The gate tagged that new version with its verdict and, on a first promotion (no alias held
to notice the change), pointed the alias at it: an untested model promoted with exit 0.

A real sqlite store holds tiny pyfunc versions (models-from-code); the swap is real MLflow calls made from the
gate's progress callback while the replay runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow_store import model_gate_config as config
from mlflow_store import model_gate_project, model_store
from mlflow_store import registry_client as client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, list[Any]]]:
    """A store with two logged pyfunc models (registered as ``gk-22m-src``); yields (uri, their versions)."""
    with model_store(tmp_path_factory.mktemp("attack22m-store"), ["gk-22m-src"] * 2) as uri:
        yield uri, [client(uri).get_model_version("gk-22m-src", str(v)) for v in (1, 2)]


def project(tmp_path: Path) -> Path:
    return model_gate_project(tmp_path, cases=4)


def _registered_copy(c: Any, version: Any) -> str:
    """A new registered model whose version 1 is ``version``'s logged model (its source and run); its name."""
    name = f"gk-22m-{uuid.uuid4().hex[:6]}"
    c.create_registered_model(name)
    c.create_model_version(name, source=version.source, run_id=version.run_id)
    return name


@pytest.mark.parametrize("spec", ["models:/{name}/1", "models:/{name}@candidate"])
def test_a_version_registered_again_during_the_run_is_neither_tagged_nor_promoted(
    store: tuple[str, list[Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, spec: str
) -> None:
    from mlflow.exceptions import MlflowException

    from gatekit.gate import run_gate

    uri, sources = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    c = client(uri)
    name = _registered_copy(c, sources[0])
    c.set_registered_model_alias(name, "candidate", "1")
    swapped: list[str] = []

    def emit(message: str) -> None:
        if "cases" in message and not swapped:  # the replay has started: version 1 is loaded
            c.delete_registered_model(name)
            c.create_registered_model(name)
            c.create_model_version(name, source=sources[1].source, run_id=sources[1].run_id)  # another model, "1"
            swapped.append(message)

    result = run_gate(config(project(tmp_path), uri, spec.format(name=name)), command="promote", emit=emit)
    verdict = result.verdict
    assert swapped, "the model was not registered again during the replay"
    assert verdict.verdict == "pass" and verdict.exit_code == 3, (verdict.exit_code, verdict.reasons)
    with pytest.raises(MlflowException):
        c.get_model_version_by_alias(name, "production")  # the untested version holds no alias
    assert verdict.promotion is not None and verdict.promotion.action == "skipped", verdict.promotion
    assert "registered again during the run" in verdict.promotion.message, verdict.promotion.message
    assert "gatekit.verdict" not in c.get_model_version(name, "1").tags  # nor is it tagged with a verdict


def test_a_version_deleted_during_the_run_is_not_promoted(
    store: tuple[str, list[Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gatekit.gate import run_gate

    uri, sources = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    c = client(uri)
    name = _registered_copy(c, sources[0])
    deleted: list[str] = []

    def emit(message: str) -> None:
        if "cases" in message and not deleted:
            c.delete_model_version(name, "1")
            deleted.append(message)

    result = run_gate(config(project(tmp_path), uri, f"models:/{name}/1"), command="promote", emit=emit)
    verdict = result.verdict
    assert deleted
    assert verdict.exit_code == 3, verdict.reasons
    assert verdict.promotion is not None and verdict.promotion.action == "skipped", verdict.promotion
    assert "deleted during the run" in verdict.promotion.message, verdict.promotion.message


def test_an_unchanged_version_is_promoted(
    store: tuple[str, list[Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gatekit.gate import run_gate

    uri, sources = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    c = client(uri)
    name = _registered_copy(c, sources[0])
    result = run_gate(config(project(tmp_path), uri, f"models:/{name}/1"), command="promote")
    assert result.verdict.exit_code == 0, result.verdict.reasons
    assert str(c.get_model_version_by_alias(name, "production").version) == "1"
