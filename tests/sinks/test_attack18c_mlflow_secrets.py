"""attack18c: a secret in ``--run-name`` reached the MLflow store raw (the run's name and its ``mlflow.runName`` tag).

Every tag and param value went through ``redact_secrets`` before MLflow saw it, but the run name is given to
``create_run`` directly, so ``--run-name "nightly $TOKEN"`` (a CI variable pasted into a name) was written to
``runs.name`` and ``tags`` as it was. Now it is redacted like the tags. The check scans the real sqlite store's
bytes and every file under the artifact root, as anyone with read access to the store would.
"""

from __future__ import annotations

from pathlib import Path

from conftest import REPO_ROOT, attack_project
from spine_project import run_cli

SECRET = "sk-proj-" + "Ab1Cd2Ef3Gh4Ij5Kl6Mn7Op8Qr9St0Uv"


def test_a_secret_in_the_run_name_is_never_written_to_the_store(tmp_path: Path) -> None:
    attack_project(tmp_path, ['{"id": "c1", "input": "x"}'])
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    proc = run_cli(
        tmp_path, "eval", "--dataset", "ds.jsonl", "--agent", "python:agent16:run", "--thresholds", "th.yaml",
        "--policy", str(REPO_ROOT / "policies" / "default.yaml"), "--out", "out", "--run-name", f"nightly {SECRET}",
        env={"MLFLOW_TRACKING_URI": uri, "PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("gatekit").experiment_id])
    assert run.info.run_name.startswith("nightly ") and SECRET not in run.info.run_name
    assert run.data.tags["mlflow.runName"] == run.info.run_name
    for path in [tmp_path / "mlflow.db", *(p for p in tmp_path.rglob("*") if p.is_file())]:
        assert SECRET.encode() not in path.read_bytes(), path
