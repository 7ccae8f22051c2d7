"""attack16: GATEKIT_<FIELD> variables the gate ignored (no MLflow, dry run, resume, sample, seed, alias, ...)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

AGENT = """
def run(case_input, context=None):
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def _project(tmp_path: Path, rows: list[str]) -> Path:
    (tmp_path / "agent16.py").write_text(AGENT, encoding="utf-8")
    (tmp_path / "ds.jsonl").write_text("".join(row + "\n" for row in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    return tmp_path


def _gate(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_") or k == "GATEKIT_SHARED_DATA"}
    full_env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{cwd}"
    full_env.update(env or {})
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:agent16:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(ROOT / "policies" / "default.yaml"), *args]
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=120)


def _one_line_exit_2(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    return lines[0]


def test_gatekit_no_mlflow_from_the_environment_is_honoured(tmp_path) -> None:
    cwd = _project(tmp_path, ['{"id": "a", "input": "x"}'])
    proc = _gate(cwd, env={"GATEKIT_NO_MLFLOW": "true", "MLFLOW_TRACKING_URI": f"sqlite:///{cwd}/mlflow.db"})
    assert proc.returncode == 0, proc.stderr
    verdict = json.loads((cwd / "reports" / "latest" / "verdict.json").read_text())
    assert verdict["mlflow"]["skipped"] is True
    assert not (cwd / "mlflow.db").exists()


@pytest.mark.parametrize(
    ("name", "value"), [("GATEKIT_DRY_RUN", "maybe"), ("GATEKIT_NO_MLFLOW", "2"), ("GATEKIT_RESUME", "yes please")]
)
def test_a_boolean_variable_that_is_not_a_boolean_is_refused(tmp_path, name, value) -> None:
    cwd = _project(tmp_path, ['{"id": "a", "input": "x"}'])
    line = _one_line_exit_2(_gate(cwd, "--no-mlflow", env={name: value}))
    assert name in line and "true" in line and "false" in line, line


def test_alias_seed_and_sample_from_the_environment_reach_the_run(tmp_path) -> None:
    cwd = _project(tmp_path, [f'{{"id": "c{i}", "input": "x"}}' for i in range(6)])
    proc = _gate(cwd, "--no-mlflow", env={"GATEKIT_SAMPLE": "3", "GATEKIT_SEED": "7"})
    assert proc.returncode == 4, proc.stderr  # a sample run is never a pass
    verdict = json.loads((cwd / "reports" / "latest" / "verdict.json").read_text())
    assert verdict["sample"] == {"size": 3, "seed": 7, "of": 6}


def test_dry_run_alias_and_baseline_from_the_environment_reach_the_config(tmp_path, monkeypatch) -> None:
    from gatekit.config import load_config

    monkeypatch.chdir(tmp_path)
    for name, value in {"GATEKIT_DRY_RUN": "1", "GATEKIT_ALIAS": "staging", "GATEKIT_BASELINE": "champion"}.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("GATEKIT_STOP_AFTER_IDENTICAL_FAILURES", "0")
    config = load_config(None, {"dry_run": None})
    assert (config.dry_run, config.alias, config.baseline) == (True, "staging", "champion")
    assert config.stop_after_identical_failures == 0
    monkeypatch.setenv("GATEKIT_DRY_RUN", "off")
    assert load_config(None, {}).dry_run is False
