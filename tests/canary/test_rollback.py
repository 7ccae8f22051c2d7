"""``gatekit rollback`` against a real MLflow sqlite registry, after real ``gatekit.promotion.promote`` calls."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from mlflow_store import promote_verdict, registered_model
from mlflow_store import registry_client as client

from gatekit.errors import ConfigError
from gatekit.promotion import promote, rollback


@pytest.fixture
def uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from mlflow_store import fresh_store

    monkeypatch.chdir(tmp_path)  # a sqlite store keeps artifacts in ./mlruns: keep them out of the checkout
    return fresh_store(tmp_path / "mlflow.db")  # a copy of a migrated empty store: no ~100 migrations per test


def gate_pass(uri: str, name: str, version: str) -> dict[str, Any]:
    """A passing gate run for ``models:/name/version`` and gatekit's real promotion of it."""
    import mlflow

    c = client(uri)
    mlflow.set_tracking_uri(uri)
    run = c.create_run(mlflow.set_experiment("gates").experiment_id, tags={"gatekit.kind": "gate"})
    c.set_terminated(run.info.run_id)
    verdict = promote_verdict(f"models:/{name}/{version}", uri, run.info.run_id)
    block = promote(verdict, alias="production")
    assert block["action"] == "promoted", block
    return {"run_id": run.info.run_id, **block}


def holder(uri: str, name: str) -> str:
    return str(client(uri).get_model_version_by_alias(name, "production").version)


def test_rollback_moves_the_alias_to_the_recorded_previous_holder(uri: str) -> None:
    name = registered_model(uri, 3)[0]
    client(uri).set_registered_model_alias(name, "production", "1")  # set by hand before gatekit
    gate_pass(uri, name, "2")
    third = gate_pass(uri, name, "3")
    assert holder(uri, name) == "3"
    assert client(uri).get_model_version(name, "3").tags["gatekit.promotion.previous_version.production"] == "2"

    block = rollback(name, alias="production", tracking_uri=uri)

    assert (block["from_version"], block["to_version"], block["action"]) == ("3", "2", "rolled_back")
    assert holder(uri, name) == "2"
    assert "rolled back to 2" in client(uri).get_model_version(name, "3").tags["gatekit.rollback.production"]
    assert client(uri).get_run(third["run_id"]).data.tags["gatekit.rollback.to_version"] == "2"
    # again: version 2's promotion recorded version 1 (set by hand) as the holder before it
    assert rollback(name, alias="production", tracking_uri=uri)["to_version"] == "1"
    assert holder(uri, name) == "1"
    # version 1 was never promoted by gatekit: refused, alias unchanged
    with pytest.raises(ConfigError, match="gatekit recorded no previous holder"):
        rollback(name, alias="production", tracking_uri=uri)
    assert holder(uri, name) == "1"


def test_rollback_of_a_first_promotion_is_refused(uri: str) -> None:
    name = registered_model(uri, 1)[0]
    gate_pass(uri, name, "1")
    with pytest.raises(ConfigError, match="first holder of the alias"):
        rollback(name, alias="production", tracking_uri=uri)
    assert holder(uri, name) == "1"


def test_rollback_reads_the_gate_run_when_the_version_tag_is_missing(uri: str) -> None:
    name = registered_model(uri, 2)[0]
    client(uri).set_registered_model_alias(name, "production", "1")
    gate_pass(uri, name, "2")
    client(uri).delete_model_version_tag(name, "2", "gatekit.promotion.previous_version.production")  # an older gatekit
    assert rollback(name, alias="production", tracking_uri=uri, dry_run=True)["message"].startswith("dry run")
    assert holder(uri, name) == "2"
    assert rollback(name, alias="production", tracking_uri=uri)["to_version"] == "1"


def test_rollback_command_exit_codes(uri: str, repo_root: Path, tmp_path: Path) -> None:
    name = registered_model(uri, 2)[0]
    client(uri).set_registered_model_alias(name, "production", "1")
    gate_pass(uri, name, "2")
    env = {**__import__("os").environ, "PYTHONPATH": str(repo_root)}

    def gatekit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gatekit", "rollback", *args, "--tracking-uri", uri],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=180, check=False,
        )  # fmt: skip

    def in_process(*args: str) -> subprocess.CompletedProcess[str]:
        """The same command through the console entry point in this process (``spine_project.run_cli``)."""
        from spine_project import run_cli

        return run_cli(tmp_path, "rollback", *args, "--tracking-uri", uri)

    done = gatekit("--model", name, "--alias", "production")  # the real process: exit 0 and its output
    assert done.returncode == 0, done.stderr
    assert f"moved alias 'production' of '{name}' from version 2 back to version 1" in done.stdout
    assert holder(uri, name) == "1"
    refused = in_process("--model", name, "--alias", "production")
    assert refused.returncode == 2 and "no previous holder" in refused.stderr and "Traceback" not in refused.stderr
    missing = in_process("--model", name, "--alias", "staging")
    assert missing.returncode == 2 and "the alias is not set" in missing.stderr


def test_a_second_trigger_for_the_same_failure_does_not_roll_back_twice(
    uri: str, repo_root: Path, tmp_path: Path
) -> None:
    """attack19b: a watch's --on-rollback and the workflow's rollback step both fire for one failed canary (v3).

    Without a guard the second run moved the alias back one more promotion (3 -> 2 -> 1): past the good version.
    ``--from-version 3`` is a compare-and-set: the second run sees 3 already rolled back to 2 and does nothing.
    """
    name = registered_model(uri, 3)[0]
    client(uri).set_registered_model_alias(name, "production", "1")
    gate_pass(uri, name, "2")
    gate_pass(uri, name, "3")
    env = {**__import__("os").environ, "PYTHONPATH": str(repo_root)}

    def gatekit(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "gatekit", "rollback", "--model", name, "--alias", "production", *args,
             "--tracking-uri", uri],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=180, check=False,
        )  # fmt: skip

    first, second = gatekit("--from-version", "3"), gatekit("--from-version", "3")
    assert first.returncode == 0 and "from version 3 back to version 2" in first.stdout, first.stderr
    assert second.returncode == 0 and "already moved from version 3 back to version 2" in second.stdout, second.stderr
    assert holder(uri, name) == "2"
    other = gatekit("--from-version", "1")  # the alias holds 2, and 1 was never rolled back to it: refused
    assert other.returncode == 2 and "holds version 2, not 1" in other.stderr and "Traceback" not in other.stderr
    assert holder(uri, name) == "2"
    assert rollback(name, alias="production", tracking_uri=uri, from_version="2")["to_version"] == "1"
