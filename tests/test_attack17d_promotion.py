"""attack17d: promotion from the outside — the version promoted is the one replayed, never one that appeared since.

A real sqlite MLflow store holds a registered model with tiny pyfunc versions (models-from-code); the gate is a
real ``run_gate`` in this process, the agent the ``mlflow:`` ``models:/name@alias`` adapter, and "someone moves
the alias while the replay runs" is a real ``set_registered_model_alias`` call made from the progress callback.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mlflow_store import fresh_store, model_store, promote_verdict
from mlflow_store import model_gate_config as config
from mlflow_store import model_gate_project as project
from mlflow_store import registry_client as client

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """A store with registered model ``name`` of three versions; yields (uri, name, folder)."""
    root = tmp_path_factory.mktemp("attack17d-store")
    with model_store(root, ["gk-17d"] * 3) as uri:
        yield uri, "gk-17d", root


def holder(c: Any, name: str, alias: str) -> str | None:
    """The version holding ``alias`` (None when the alias is not set or MLflow refuses to look it up)."""
    from mlflow.exceptions import MlflowException

    try:
        return str(c.get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def test_alias_candidate_moved_during_replay_promotes_the_replayed_version(
    store: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``models:/name@candidate`` replayed version 1; someone points ``candidate`` at 3 mid-run: 1 is promoted."""
    from gatekit.gate import run_gate

    uri, name, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    c = client(uri)
    c.set_registered_model_alias(name, "candidate", "1")
    c.set_registered_model_alias(name, "production", "2")
    moved: list[str] = []

    def emit(message: str) -> None:
        if "cases" in message and not moved:
            c.set_registered_model_alias(name, "candidate", "3")  # a new, untested version appears under the alias
            moved.append(message)

    result = run_gate(config(project(tmp_path), uri, f"models:/{name}@candidate"), command="promote", emit=emit)
    assert moved, "the alias was not moved during the replay"
    assert result.verdict.verdict == "pass", result.verdict.reasons
    promotion = result.verdict.promotion
    assert promotion is not None
    # the version replayed was 1: the alias must move to 1 (or not at all), never to the untested 3
    assert str(c.get_model_version_by_alias(name, "production").version) == "1", promotion
    assert promotion.version == "1", promotion
    tags = c.get_run(result.verdict.mlflow.run_id).data.tags
    assert tags["gatekit.model_version"] == "1"
    assert "gatekit.verdict" not in c.get_model_version(name, "3").tags


def test_model_read_from_one_registry_is_never_promoted_in_another(
    store: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent loads ``models:/gk-17d/2`` from MLFLOW_TRACKING_URI (store A); ``--tracking-uri`` is store B.

    B has its own, unrelated ``gk-17d`` version 2: moving B's alias to it promotes a model nobody tested. The gate
    is refused before the replay (exit 2), B's alias and versions are untouched.
    """
    from gatekit.errors import ConfigError
    from gatekit.gate import run_gate

    uri_a, name, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri_a)
    uri_b = fresh_store(tmp_path / "other" / "mlflow.db")
    other = client(uri_b)
    other.create_registered_model(name)
    for _ in range(2):
        other.create_model_version(name, source="file:///nowhere/model")
    other.set_registered_model_alias(name, "production", "1")
    root = project(tmp_path)
    with pytest.raises(ConfigError) as caught:
        run_gate(config(root, uri_b, f"models:/{name}/2"), command="promote")
    message = str(caught.value)
    assert "registry" in message and "\n" not in message, message
    assert str(other.get_model_version_by_alias(name, "production").version) == "1"
    assert "gatekit.verdict" not in other.get_model_version(name, "2").tags
    assert not (root / "out" / "results.jsonl").exists()  # refused before the replay, not after it


def test_same_registry_spelled_relative_and_absolute_is_not_refused(
    store: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``sqlite:///mlflow.db`` from the store's folder and ``sqlite:////abs/mlflow.db`` are one registry."""
    import mlflow

    from gatekit.gate import run_gate

    uri, name, folder = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)  # (an earlier gate in this process set another one)
    c = client(uri)
    c.set_registered_model_alias(name, "staging", "1")
    root = project(tmp_path)
    monkeypatch.chdir(folder)
    relative = config(root, "sqlite:///mlflow.db", f"models:/{name}/2", alias="staging")
    result = run_gate(relative, command="promote")
    assert result.exit_code == 0, result.verdict.reasons
    assert str(c.get_model_version_by_alias(name, "staging").version) == "2"


BAD_ALIASES = ["v3", "Latest", "has space", "a/b", "x" * 256, "y" * 240, "pr\u03bfduction", "production\u200b", ""]


@pytest.mark.parametrize("alias", BAD_ALIASES)
def test_an_alias_mlflow_refuses_or_a_look_alike_is_refused_before_the_replay(
    store: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, alias: str
) -> None:
    """``v3``/``latest`` are reserved, spaces and slashes invalid, >255 too long: MLflow refuses them only when the
    alias is set, after the whole replay (exit 3). ``prοduction`` (Greek omicron) is accepted by MLflow and prints
    like ``production``: a PASS would "set alias 'production'" while the deploy's alias never moved."""
    import mlflow

    from gatekit.errors import ConfigError
    from gatekit.gate import run_gate

    uri, name, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    root = project(tmp_path)
    with pytest.raises(ConfigError) as caught:
        run_gate(config(root, uri, f"models:/{name}/2", alias=alias), command="promote")
    message = str(caught.value)
    assert message.startswith("--alias") and "\n" not in message and message.isascii(), message
    assert not (root / "out" / "results.jsonl").exists()
    if alias in ("y" * 240, "pr\u03bfduction"):  # aliases MLflow would have set
        assert holder(client(uri), name, alias) is None


@pytest.mark.parametrize("alias", ["v3", "pr\u03bfduction"])
def test_rollback_of_a_bad_alias_is_one_line_exit_2(store: tuple[str, str, Path], alias: str) -> None:
    import os
    import subprocess
    import sys

    uri, name, _ = store
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    command = [sys.executable, "-m", "gatekit", "rollback", "--model", name, "--alias", alias, "--tracking-uri", uri]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--alias" in lines[0] and "Traceback" not in proc.stderr, proc.stderr


def test_resume_after_the_candidate_alias_moved_is_refused(
    store: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every case was replayed through version 1 (``@candidate``); the alias then moves to 3 and ``promote --resume``
    runs on the same ``--out``: no case ran through 3, so 3 must not be promoted. The resume is refused (exit 2)."""
    import mlflow

    from gatekit.errors import ConfigError
    from gatekit.gate import run_gate

    uri, name, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    c = client(uri)
    c.set_registered_model_alias(name, "candidate", "1")
    c.set_registered_model_alias(name, "prod17d", "2")
    root = project(tmp_path)
    first = run_gate(config(root, uri, f"models:/{name}@candidate", alias="prod17d"), command="eval")
    assert first.exit_code == 0, first.verdict.reasons
    c.set_registered_model_alias(name, "candidate", "3")
    with pytest.raises(ConfigError) as caught:
        run_gate(config(root, uri, f"models:/{name}@candidate", alias="prod17d", resume=True), command="promote")
    assert "--resume" in str(caught.value) and "agent" in str(caught.value), caught.value
    assert str(c.get_model_version_by_alias(name, "prod17d").version) == "2"
    # the same version under the alias: the resume goes on and promotes the version every case ran through
    c.set_registered_model_alias(name, "candidate", "1")
    again = run_gate(config(root, uri, f"models:/{name}@candidate", alias="prod17d", resume=True), command="promote")
    assert again.exit_code == 0, again.verdict.reasons
    assert str(c.get_model_version_by_alias(name, "prod17d").version) == "1"


def test_a_registry_failure_while_promoting_leaves_the_alias_where_it_was(store: tuple[str, str, Path]) -> None:
    """An alias of 240 characters is valid for MLflow, but the tag gatekit records the previous holder under
    (``gatekit.promotion.previous_version.<alias>``, 275 characters) is not: the registry refuses the tag. The
    alias had already been moved, so a run that exits 3 had promoted with no record of the previous holder (and
    ``gatekit rollback`` could not undo it). The records are written first now: the failure leaves the alias alone."""
    import mlflow

    from gatekit.errors import SinkError
    from gatekit.promotion import promote

    uri, name, _ = store
    c = client(uri)
    mlflow.set_tracking_uri(uri)
    run = c.create_run(mlflow.set_experiment("gates-17d").experiment_id)
    alias = "z" * 240
    verdict = promote_verdict(f"models:/{name}/2", uri, run.info.run_id)
    with pytest.raises(SinkError, match="^not promoted: the alias .z+. of .gk-17d. to version 2 .* was not set"):
        promote(verdict, alias=alias, tracking_uri=uri)
    assert holder(c, name, alias) is None


@pytest.mark.parametrize("model", ["evil\x1b[2J\nname", "gk-17d\u202e", "a\rb"])
def test_rollback_of_a_model_name_with_control_characters_is_one_escaped_line(
    store: tuple[str, str, Path], model: str
) -> None:
    """``--model`` with a newline printed the error on two lines (the second one free text a log reader trusts)."""
    import os
    import subprocess
    import sys

    uri, _, _ = store
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    command = [sys.executable, "-m", "gatekit", "rollback", "--model", model, "--tracking-uri", uri]
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stderr.count("\n") == 1 and proc.stderr.endswith("\n"), repr(proc.stderr)
    assert "\x1b" not in proc.stderr and "\r" not in proc.stderr and "\u202e" not in proc.stderr, repr(proc.stderr)
    assert "--model" in proc.stderr and "Traceback" not in proc.stderr


def test_an_unwritable_junit_path_is_not_a_promotion_with_exit_2(
    store: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The JUnit XML was written after the promotion: a bad ``--junit`` path exited 2 (the CI step fails, the deploy
    stops) with the alias already moved, and verdict.json still said exit 0. The JUnit file comes first now: the
    exit code (2 bad path, 3 else) is known before the promotion, which then does not happen; verdict.json says it."""
    import mlflow

    from gatekit.gate import run_gate

    uri, name, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    c = client(uri)
    c.set_registered_model_alias(name, "junit17d", "1")
    root = project(tmp_path)
    (root / "a-file").write_text("not a folder", encoding="utf-8")
    junit = root / "a-file" / "junit.xml"
    result = run_gate(config(root, uri, f"models:/{name}/2", alias="junit17d", junit=junit), command="promote")
    assert result.exit_code in (2, 3), result.verdict.reasons
    assert str(c.get_model_version_by_alias(name, "junit17d").version) == "1"
    saved = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert saved["exit_code"] == result.exit_code, saved
    assert saved["promotion"]["action"] == "skipped", saved["promotion"]


def test_target_alias_moved_by_someone_else_during_the_run_is_not_overwritten(
    store: tuple[str, str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``production`` held 1 when the gate started; during the replay someone deploys 3 by hand. The gate passes
    version 2: moving the alias to 2 would silently undo that deploy, with 3 recorded nowhere as the previous holder
    the gate saw. Not promoted, exit 3 (rerun the gate), verdict.json says why; the alias stays at 3."""
    import mlflow

    from gatekit.gate import run_gate

    uri, name, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    c = client(uri)
    c.set_registered_model_alias(name, "race17d", "1")
    moved: list[str] = []

    def emit(message: str) -> None:
        if "cases" in message and not moved:
            c.set_registered_model_alias(name, "race17d", "3")
            moved.append(message)

    root = project(tmp_path)
    result = run_gate(config(root, uri, f"models:/{name}/2", alias="race17d"), command="promote", emit=emit)
    assert moved and result.verdict.verdict == "pass"
    assert str(c.get_model_version_by_alias(name, "race17d").version) == "3"
    assert result.exit_code == 3, result.verdict.reasons
    saved = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert saved["exit_code"] == 3 and saved["promotion"]["action"] == "skipped", saved["promotion"]
    assert "moved during the run" in saved["promotion"]["message"], saved["promotion"]
    # unmoved during the run: promoted as before
    again = run_gate(config(root, uri, f"models:/{name}/2", alias="race17d", out=root / "o2"), command="promote")
    assert again.exit_code == 0 and again.verdict.promotion is not None
    assert (again.verdict.promotion.action, again.verdict.promotion.previous_version) == ("promoted", "3")


@pytest.mark.parametrize(
    ("overrides", "action", "exit_code", "why"),
    [
        ({"no_mlflow": True}, "skipped", 0, "MLflow logging is off"),
        (
            {"dry_run": True},
            "dry_run",
            0,
            "dry run: would set alias 'held17d' of 'gk-17d' to version 2 (now version 1)",
        ),
        ({"sample": 2}, "skipped", 4, "the verdict is inconclusive"),
    ],
)
def test_no_alias_move_without_a_full_logged_pass(
    store: tuple[str, str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    overrides: dict[str, Any],
    action: str,
    exit_code: int,
    why: str,
) -> None:
    """What held: --no-mlflow, --dry-run and --sample with a registered-model candidate never move the alias, and
    verdict.json and the exit code say so."""
    import mlflow

    from gatekit.gate import run_gate

    uri, name, _ = store
    monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)
    mlflow.set_tracking_uri(uri)
    c = client(uri)
    c.set_registered_model_alias(name, "held17d", "1")
    root = project(tmp_path)
    result = run_gate(config(root, uri, f"models:/{name}/2", alias="held17d", **overrides), command="promote")
    assert result.exit_code == exit_code, result.verdict.reasons
    saved = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert saved["exit_code"] == exit_code and saved["promotion"]["action"] == action, saved["promotion"]
    assert why in saved["promotion"]["message"], saved["promotion"]
    assert str(c.get_model_version_by_alias(name, "held17d").version) == "1"
