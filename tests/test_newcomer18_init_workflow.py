"""newcomer18: the workflow `gatekit init` writes fails an exit 0 unless verdict.json says pass, like the action.

docs/ci.md tells a plain `gatekit promote` in a `run:` step to check verdict.json (a process that vanished can exit 0
and leave only the failing "did not finish" verdict); the scaffolded workflow read the exit code alone.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml
from spine_project import run_cli

from gatekit.init import init_project


def _final_step(project: Path, code: str) -> subprocess.CompletedProcess[str]:
    """Run the scaffolded workflow's last gate step with bash, as the runner would, for gatekit's exit ``code``."""
    workflow = yaml.safe_load((project / ".github" / "workflows" / "gate.yml").read_text(encoding="utf-8"))
    (step,) = [s for s in workflow["jobs"]["gate"]["steps"] if s.get("name", "").startswith("Fail unless")]
    env = {**os.environ, "CODE": code}
    return subprocess.run(
        ["bash", "-e", "-c", step["run"]], env=env, cwd=project, capture_output=True, text=True, timeout=30
    )


def test_init_workflow_passes_only_an_exit_0_whose_verdict_says_pass(tmp_path: Path) -> None:
    init_project(tmp_path)
    missing = _final_step(tmp_path, "0")
    assert missing.returncode == 1  # exit 0 with no verdict.json at all
    assert "verdict.json is missing or does not say pass" in missing.stdout

    clean = {k: None for k in os.environ if k.startswith(("GITHUB_", "GATEKIT_", "MLFLOW_"))}
    proc = run_cli(tmp_path, "eval", "--no-mlflow", "-q", env=clean)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdict_path = tmp_path / "reports" / "latest" / "verdict.json"
    assert _final_step(tmp_path, "0").returncode == 0  # the real passing run
    assert _final_step(tmp_path, "1").returncode == 1  # a failing exit fails whatever the file says
    assert _final_step(tmp_path, "").returncode == 1  # no exit code at all

    verdict = json.loads(verdict_path.read_text(encoding="utf-8"))
    verdict.update(verdict="fail", exit_code=3, reasons=["the run did not finish"])
    verdict_path.write_text(json.dumps(verdict), encoding="utf-8")
    assert _final_step(tmp_path, "0").returncode == 1  # the did-not-finish verdict a vanished process leaves


def test_a_validator_refusal_reads_without_pydantics_prefix(tmp_path: Path) -> None:
    """A refused setting's line is gatekit's own text: no 'Value error, ' from pydantic (flag, variable, file)."""
    init_project(tmp_path)
    secret = "exp-ghp_aBcDeFgHiJkLmNoPqRsTuVwXyZ0123456789"
    clean: dict[str, str | None] = {k: None for k in os.environ if k.startswith(("GITHUB_", "GATEKIT_", "MLFLOW_"))}
    flag = run_cli(tmp_path, "eval", "--no-mlflow", "--experiment", secret, env=clean)
    variable = run_cli(tmp_path, "eval", "--no-mlflow", env={**clean, "GATEKIT_EXPERIMENT": secret})
    config = tmp_path / "gatekit.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("experiment: gatekit", f"experiment: {secret}"))
    in_file = run_cli(tmp_path, "eval", "--no-mlflow", env=clean)
    for proc, where in ((flag, "--experiment: "), (variable, "GATEKIT_EXPERIMENT: "), (in_file, "gatekit.yaml:")):
        assert proc.returncode == 2, proc.stdout + proc.stderr
        (line,) = proc.stderr.strip().splitlines()
        assert where in line and "holds a secret" in line and "[GITHUB_TOKEN]" in line, line
        assert "Value error" not in line and "ghp_" not in line, line
