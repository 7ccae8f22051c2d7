"""``gatekit drift`` end to end through the CLI, with the real local MLflow store (sqlite in the cwd)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, TESTS_DIR, free_port
from spine_project import run_cli, run_process

DATA = TESTS_DIR / "data" / "azure-llm-trace"
REPO = REPO_ROOT


def _gatekit(args: list[str], cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``gatekit drift`` through the console entry point, in process (``spine_project.run_cli``)."""
    return run_cli(cwd, "drift", *args, env=env)


@pytest.mark.slow
def test_cli_drift_logs_to_local_mlflow(tmp_path):
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    proc = _gatekit(
        ["--reference", str(DATA / "AzureLLMInferenceTrace_code.csv"),
         "--production", str(DATA / "AzureLLMInferenceTrace_conv.csv"),
         "--numeric", "ContextTokens", "--numeric", "GeneratedTokens",
         "--out", "out", "--experiment", "drift-test", "--run-name", "weekly"],
        tmp_path, MLFLOW_TRACKING_URI=uri,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    first = proc.stdout.splitlines()[0]
    assert first.startswith("DRIFT") and "2 of 2 features drifted" in first
    assert "ContextTokens" in proc.stdout and "D=0.346" in proc.stdout
    report = json.loads((tmp_path / "out" / "drift.json").read_text())
    assert report["drift"] is True

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    experiment = client.get_experiment_by_name("drift-test")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1
    run = runs[0]
    assert run.data.tags["gatekit.kind"] == "drift" and run.data.tags["gatekit.drift"] == "true"
    assert run.info.run_name == "weekly"
    assert run.data.metrics["drift.ContextTokens.ks_d"] == pytest.approx(0.346, abs=0.001)
    assert "drift.ContextTokens.p_value" in run.data.metrics
    assert run.data.metrics["drift.drift"] == 1.0
    artifacts = {a.path for a in client.list_artifacts(run.info.run_id)}
    assert {"drift.json", "drift.html"} <= artifacts


@pytest.mark.slow
def test_cli_exit_codes_for_bad_input_and_unreachable_mlflow(tmp_path):
    conv = str(DATA / "AzureLLMInferenceTrace_conv.csv")
    # the real binary: exit 2, one line, no traceback
    bad = run_process(tmp_path, "drift", "--reference", conv, "--production", str(tmp_path / "missing.csv"))
    assert bad.returncode == 2 and "no such file" in bad.stderr and "Traceback" not in bad.stderr
    empty = tmp_path / "empty.csv"
    empty.write_text("TIMESTAMP,ContextTokens,GeneratedTokens\n")
    no_rows = _gatekit(["--reference", conv, "--production", str(empty), "--numeric", "ContextTokens"], tmp_path)
    assert no_rows.returncode == 2 and "no rows" in no_rows.stderr
    dead = f"http://127.0.0.1:{free_port()}"
    down = _gatekit(
        ["--reference", conv, "--production", conv, "--numeric", "ContextTokens", "--out", "o",
         "--tracking-uri", dead],
        tmp_path,
    )  # fmt: skip
    assert down.returncode == 3, down.stderr
    assert "unreachable" in down.stderr
    assert down.stdout.startswith("NO DRIFT")
    assert (tmp_path / "o" / "drift.json").exists() and (tmp_path / "o" / "drift.html").exists()


def test_drift_help_loads_no_heavy_modules(tmp_path):
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from gatekit.cli import app\n"
        "result = CliRunner().invoke(app, ['drift', '--help'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert '--production' in result.output\n"
        "heavy = sorted(m for m in ('scipy', 'pandas', 'mlflow', 'numpy', 'pyarrow') if m in sys.modules)\n"
        "print(','.join(heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == ""
