"""fix18e: an ``--experiment`` name holding a secret is refused (exit 2, one line, the name shown redacted).

MLflow stores the experiment name as it is; redacting it would send the runs to another experiment, so a token
pasted into ``--experiment`` (or GATEKIT_EXPERIMENT, gatekit.yaml's ``experiment:``, the drift section's, canary's)
stops the command before anything runs. A Databricks-style path holding an e-mail stays allowed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_gate, attack_project, one_line_exit_2

from gatekit.redact import check_experiment_name

TOKEN = "ghp_PYIWjOMHVI89GCu63ztLywjWvpvDz41X1336"  # a GitHub token's shape (made up)
AWS = "AKIAIOSFODNN7EXAMPLE"


def _refused(proc: subprocess.CompletedProcess[str], source: str, shown: str) -> None:
    line = one_line_exit_2(proc)
    assert line.startswith(f"error: {source}") and f"the experiment name '{shown}' holds a secret" in line, line
    assert TOKEN not in proc.stdout + proc.stderr and AWS not in proc.stdout + proc.stderr


def test_the_check_keeps_plain_names_and_personal_data() -> None:
    for name in ("gatekit-demo", "/Users/jane@example.com/retail-bot", "retail bot v2 (prod)"):
        assert check_experiment_name(name) == name
    with pytest.raises(ValueError, match=r"'exp-\[AWS_ACCESS_KEY\]' holds a secret"):
        check_experiment_name(f"exp-{AWS}")


def test_eval_refuses_it_from_the_flag_the_environment_and_the_file(tmp_path: Path) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": "c0", "input": "hi"})])
    _refused(attack_gate(project, "--no-mlflow", "--out", "a", "--experiment", f"exp-{TOKEN}"),
             "--experiment", "exp-[GITHUB_TOKEN]")  # fmt: skip
    _refused(attack_gate(project, "--out", "b", env={"GATEKIT_EXPERIMENT": f"x-{AWS}"}),
             "GATEKIT_EXPERIMENT", "x-[AWS_ACCESS_KEY]")  # fmt: skip
    (project / "gatekit.yaml").write_text(f"out: c\nexperiment: team-{TOKEN}\n", encoding="utf-8")
    _refused(attack_gate(project, "--no-mlflow"), "gatekit.yaml:2", "team-[GITHUB_TOKEN]")
    assert not any((project / name).exists() for name in ("a", "b", "c", "mlflow.db", "mlruns"))  # nothing ran
    (project / "gatekit.yaml").write_text("out: d\nexperiment: /Users/jane@example.com/bot\n", encoding="utf-8")
    proc = attack_gate(project, "--no-mlflow")
    assert proc.returncode == 0, proc.stderr  # an e-mail in a workspace path: allowed


def _gatekit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_", "GITHUB_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def test_drift_and_canary_refuse_it(tmp_path: Path) -> None:
    logs = tmp_path / "logs.jsonl"
    logs.write_text('{"timestamp": "2026-03-01T12:00:00Z", "variant": "canary"}\n', encoding="utf-8")
    golden = str(REPO_ROOT / "datasets" / "retail_golden.jsonl")
    proc = _gatekit(tmp_path, "drift", "--reference", golden, "--production", str(logs), "--experiment", f"d-{TOKEN}")
    _refused(proc, "--experiment", "d-[GITHUB_TOKEN]")
    (tmp_path / "gatekit.yaml").write_text(f"drift:\n  experiment: d-{AWS}\n", encoding="utf-8")
    proc = _gatekit(tmp_path, "drift", "--reference", golden, "--production", str(logs))
    _refused(proc, "gatekit.yaml", "d-[AWS_ACCESS_KEY]")
    _refused(_gatekit(tmp_path, "canary", "--logs", str(logs), "--experiment", f"c-{TOKEN}"),
             "--experiment", "c-[GITHUB_TOKEN]")  # fmt: skip
    assert not any((tmp_path / name).exists() for name in ("reports", "mlflow.db", "mlruns"))
