"""attack16: GATEKIT_<FIELD> variables the gate ignored (no MLflow, dry run, resume, sample, seed, alias, ...)."""

from __future__ import annotations

import json

import pytest
from conftest import attack_gate as _gate
from conftest import attack_project as _project
from conftest import one_line_exit_2 as _one_line_exit_2


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
