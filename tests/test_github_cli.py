"""The composite action's shell steps, run for real with bash against the demo project.

The runner is not available here, so the test does what it does: it takes the ``run:``
scripts of action.yml, sets the ``env:`` the action maps from its inputs plus the runner's
``GITHUB_*`` files, and runs them with ``bash -e {0}`` semantics in a copy of the demo.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from conftest import REPO_ROOT
from mlflow_store import fresh_store

pytestmark = pytest.mark.slow

REPO = REPO_ROOT


def step(name_prefix: str) -> dict:
    action = yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))
    return next(s for s in action["runs"]["steps"] if s.get("name", "").startswith(name_prefix))


def read_outputs(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if "=" in line and "<<" not in line:
            key, value = line.split("=", 1)
            out[key] = value
    return out


@pytest.fixture
def project(tmp_path: Path) -> Path:
    for name in ("datasets", "thresholds", "policies", "examples"):
        shutil.copytree(REPO / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(REPO / "gatekit.yaml", tmp_path / "gatekit.yaml")
    return tmp_path


def run_gate_step(project: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    gate = step("gatekit ")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATEKIT_", "MLFLOW_"))}
    defaults = {"IN_CONFIG": "", "IN_DATASET": "", "IN_AGENT": "", "IN_THRESHOLDS": "", "IN_POLICY": ""}
    env.update(defaults)
    env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(project / "gh-output"),
            "GITHUB_STEP_SUMMARY": str(project / "gh-summary.md"),
            "GATEKIT_COMMAND": "eval",
            "IN_OUT": "reports/latest",
            "IN_TRACKING_URI": f"sqlite:///{project / 'mlflow.db'}",
            "IN_ARGS": "",
            "MLFLOW_TRACKING_URI": "",  # an empty secret must be ignored, not used as a URI
        }
    )
    env.update(inputs)
    if not (project / "mlflow.db").exists():
        fresh_store(project / "mlflow.db")  # a migrated empty store: the step's gatekit skips MLflow's migrations
    proc = subprocess.run(
        ["bash", "-e", "-c", gate["run"]], cwd=project, env=env, capture_output=True, text=True, timeout=180
    )
    outputs = read_outputs(project / "gh-output") if (project / "gh-output").exists() else {}
    return proc, outputs


def run_final_step(code: str, project: Path | None = None) -> int:
    """The action's last step for gatekit's exit ``code`` (its verdict.json read from ``project``'s reports/latest)."""
    final = step("Fail unless")
    env = {**os.environ, "CODE": code, "IN_OUT": "reports/latest"}
    return subprocess.run(["bash", "-e", "-c", final["run"]], env=env, cwd=project, timeout=30).returncode


def test_action_gate_step_passes_and_publishes(project: Path) -> None:
    proc, outputs = run_gate_step(
        project, IN_CONFIG="gatekit.yaml", IN_ARGS="--junit reports/latest/gatekit.junit.xml --concurrency 16"
    )
    assert proc.returncode == 0, proc.stderr
    assert outputs["exit-code"] == "0"
    assert outputs["verdict"] == "pass"
    assert len(outputs["run_id"]) == 32
    assert outputs["report_path"] == "reports/latest/report.html"
    assert (project / outputs["report_path"]).exists()
    summary = (project / "gh-summary.md").read_text(encoding="utf-8")
    assert "## gatekit gate: ✅ PASS" in summary and "### Checks" in summary
    junit = ET.parse(project / "reports" / "latest" / "gatekit.junit.xml").getroot()
    assert junit.get("failures") == "0" and int(junit.get("tests")) >= 5
    assert run_final_step(outputs["exit-code"], project) == 0


def test_action_gate_step_fails_the_job_exactly_when_gatekit_says_no(project: Path) -> None:
    strict = project / "thresholds" / "strict.yaml"
    strict.write_text("min_cases: 1\nchecks:\n  latency_p95_ms: {max: 1ms}\n", encoding="utf-8")
    # MLflow is the passing test's (run_id output); here it would only add 2.4 CPU-s of logging to what is asserted
    proc, outputs = run_gate_step(project, IN_CONFIG="gatekit.yaml", IN_THRESHOLDS=str(strict), IN_ARGS="--no-mlflow")
    assert proc.returncode == 0, proc.stderr  # the gate step itself continues so the report is uploaded
    assert outputs["exit-code"] == "1" and outputs["verdict"] == "fail"
    assert "::error" in proc.stdout and "latency_p95_ms" in proc.stdout
    verdict = json.loads((project / "reports" / "latest" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail"
    assert run_final_step(outputs["exit-code"]) == 1  # ... and the last step fails the job
    assert run_final_step("") != 0  # no code at all (gatekit never ran) also fails closed


def test_action_bad_input_is_exit_2_with_an_annotation(project: Path) -> None:
    proc, outputs = run_gate_step(project, IN_CONFIG="gatekit.yaml", IN_DATASET="datasets/missing.jsonl")
    assert outputs["exit-code"] == "2"
    assert "::error title=gatekit::" in proc.stdout
    assert "missing.jsonl" in proc.stdout
    assert run_final_step(outputs["exit-code"]) == 2
