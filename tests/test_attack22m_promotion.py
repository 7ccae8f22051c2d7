"""attack22m: promotion, rollback and baselines against a real MLflow registry (a sqlite store, ``mlflow server``).

* A rollback whose recorded previous holder was edited (``abc``, an escape sequence, the current holder itself) was
  an infrastructure error (exit 3) carrying the raw text, or "moved from 3 back to 3".
* ``--baseline champion`` of a registered model whose name holds a quote or a backslash (MLflow accepts both) never
  found its gate run: the name went into the search filter backslash-escaped, and MLflow has no escapes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest
from mlflow_store import registered_model
from mlflow_store import registry_client as client

pytestmark = pytest.mark.slow

PREVIOUS = "gatekit.promotion.previous_version.production"


@pytest.fixture
def uri(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    from mlflow_store import fresh_store

    monkeypatch.chdir(tmp_path)  # a sqlite store keeps artifacts in ./mlruns
    return fresh_store(tmp_path / "mlflow.db")


def holder(uri: str, name: str, alias: str = "production") -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client(uri).get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


@pytest.mark.parametrize(
    ("recorded", "says"),
    [
        ("abc", "'abc', not a version number"),
        ("\x1b[31m1", "'\\x1b[31m1', not a version number"),
        ("1.0", "'1.0', not a version number"),
        ("\uff12", "'\\uff12', not a version number"),  # a full-width 2: Python's int() reads it, MLflow's store too
        ("99999999999999999999999", "not a version number"),  # past sqlite's integer: was "Python int too large"
        ("3", "'3', the current holder itself"),
    ],
)
def test_an_edited_previous_holder_record_is_refused_in_one_escaped_line(uri: str, recorded: str, says: str) -> None:
    from gatekit.errors import ConfigError
    from gatekit.promotion import rollback

    name = registered_model(uri, 3)[0]
    c = client(uri)
    c.set_registered_model_alias(name, "production", "3")
    c.set_model_version_tag(name, "3", PREVIOUS, recorded)
    with pytest.raises(ConfigError) as caught:
        rollback(name, alias="production", tracking_uri=uri)
    message = str(caught.value)
    assert says in message and f"version 3's tag {PREVIOUS}" in message, message
    assert "\x1b" not in message and "\n" not in message
    assert holder(uri, name) == "3"


def test_an_edited_record_is_exit_2_from_the_command(uri: str, repo_root: Path, tmp_path: Path) -> None:
    name = registered_model(uri, 3)[0]
    c = client(uri)
    c.set_registered_model_alias(name, "production", "3")
    c.set_model_version_tag(name, "3", PREVIOUS, "\x1b]8;;http://x\x07 2")
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "rollback", "--model", name, "--tracking-uri", uri],
        capture_output=True, text=True, cwd=tmp_path, timeout=180, check=False,
        env={**os.environ, "PYTHONPATH": str(repo_root)},
    )  # fmt: skip
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "not a version number" in proc.stderr and "\x1b" not in proc.stderr and "Traceback" not in proc.stderr
    assert holder(uri, name) == "3"


def test_a_full_width_from_version_is_refused(uri: str) -> None:
    from gatekit.errors import ConfigError
    from gatekit.promotion import rollback

    name = registered_model(uri, 2)[0]
    client(uri).set_registered_model_alias(name, "production", "2")
    with pytest.raises(ConfigError, match="a model version number"):
        rollback(name, alias="production", tracking_uri=uri, from_version="\uff12")


@pytest.mark.parametrize("odd", ["o'neil", "back\\slash", "ends-with\\", 'both\'"quotes', "a' or tags.x = 'y"])
def test_a_baseline_alias_of_a_model_named_with_quotes_finds_its_gate_run(uri: str, odd: str) -> None:
    from gatekit.baseline import load_baseline

    name = registered_model(uri, 2, name=f"{odd}-{uuid.uuid4().hex[:6]}")[0]
    c = client(uri)
    experiment = c.create_experiment(f"gates-{uuid.uuid4().hex[:6]}")
    sha = "cd" * 32

    def gate_run(model: str, version: str) -> str:
        run = c.create_run(
            experiment,
            tags={"gatekit.kind": "gate", "gatekit.verdict": "pass", "gatekit.dataset_sha256": sha,
                  "gatekit.model_name": model, "gatekit.model_version": version},
        )  # fmt: skip
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "results.jsonl"
            row = {"case_id": "c1", "status": "ok", "latency_ms": 5.0}
            path.write_text(json.dumps(row) + "\n", encoding="utf-8")
            c.log_artifact(run.info.run_id, str(path))
        c.set_terminated(run.info.run_id)
        return str(run.info.run_id)

    wanted = gate_run(name, "1")
    gate_run(name + "x", "1")  # another model's gate run of the same version number: never taken for it
    c.set_registered_model_alias(name, "champion", "1")
    experiment_name = c.get_experiment(experiment).name
    found = load_baseline(
        "champion", tracking_uri=uri, experiment=experiment_name, candidate_spec=f"models:/{name}/2",
        dataset_sha256=sha,
    )  # fmt: skip
    assert found.run_id == wanted, found.description


def test_a_tag_over_mlflows_limit_is_cut_with_a_mark_and_no_warning(
    uri: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """A ``cmd:`` candidate of 9,000 characters: MLflow cut its tag to 8,000 silently, but for a warning line on
    stderr quoting its first 100 characters (the candidate's text, around gatekit's own output)."""
    from gatekit.sinks.mlflow import log_run

    spec = "cmd:python agent.py --system " + "q" * 9000
    run_id, _ = log_run(uri, "tags-22m", "run", {}, {}, {"gatekit.candidate": spec}, [])
    value = client(uri).get_run(run_id).data.tags["gatekit.candidate"]
    assert len(value) == 8000 and value.endswith("…") and value.startswith("cmd:python agent.py --system q")
    assert "truncated" not in capfd.readouterr().err
