"""attack16b: the composite action's ``args`` input written on several lines passes every line's flags.

``read -r -a extra <<< "$IN_ARGS"`` reads one line: with ``args: |`` (a YAML block, one flag per line) every
flag after the first line was dropped without a word — a ``--thresholds strict.yaml`` or ``--baseline champion``
on line two was simply not applied, and the gate passed on the defaults.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_github_cli import project, run_gate_step  # noqa: F401 - the fixture and the step runner

pytestmark = pytest.mark.slow


def test_flags_on_every_line_of_args_are_passed(project: Path) -> None:  # noqa: F811 - the fixture
    strict = project / "thresholds" / "strict.yaml"
    strict.write_text("min_cases: 1\nchecks:\n  latency_p95_ms: {max: 1ms}\n", encoding="utf-8")
    proc, outputs = run_gate_step(
        project, IN_CONFIG="gatekit.yaml", IN_ARGS=f"--no-mlflow\n--thresholds {strict}\n  --concurrency 4\n"
    )
    assert proc.returncode == 0, proc.stderr
    assert outputs["exit-code"] == "1" and outputs["verdict"] == "fail", (outputs, proc.stdout[-2000:])
    assert "latency_p95_ms" in proc.stdout
