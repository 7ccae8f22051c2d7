"""fix18g: ``GATEKIT_AGENT_OPTIONS`` / ``GATEKIT_DRIFT`` were ignored without a word.

Those settings are structured (a mapping in gatekit.yaml) and cannot come from one environment variable; a set one
is refused (one line naming it and saying to set the key in gatekit.yaml, exit 2) instead of a run that silently
used other options than the user meant. ``GATEKIT_DRIFT_*`` (the drift workflow's own variables) stay allowed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import attack_gate, attack_project, one_line_exit_2

ROW = '{"id": "c1", "input": "hi", "expected": {"output_contains": ["ok"]}}'


@pytest.mark.parametrize(
    ("name", "key", "value"),
    [("GATEKIT_AGENT_OPTIONS", "agent_options", '{"timeout": 5}'), ("GATEKIT_DRIFT", "drift", "numeric: [x]")],
)
def test_a_structured_setting_in_the_environment_is_exit_2(tmp_path: Path, name: str, key: str, value: str) -> None:
    project = attack_project(tmp_path, [ROW])
    line = one_line_exit_2(attack_gate(project, "--no-mlflow", "--out", "out", env={name: value}))
    assert name in line and f"set {key} in gatekit.yaml" in line, line
    assert not (project / "out" / "verdict.json").exists()


def test_the_drift_workflow_variables_are_still_left_alone(tmp_path: Path) -> None:
    project = attack_project(tmp_path, [ROW])
    proc = attack_gate(project, "--no-mlflow", "--out", "out", env={"GATEKIT_DRIFT_ARGS": "--numeric x"})
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    assert (project / "out" / "verdict.json").exists()
