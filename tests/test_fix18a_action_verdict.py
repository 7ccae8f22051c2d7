"""fix18a: the action's last step fails a gatekit exit 0 that left no verdict.json saying pass.

A process that vanishes (``os._exit(0)`` from a thread an agent started, a kill) can end with exit code 0 and no
verdict of its own: the step read only the exit code and passed the job. It now also reads ``verdict.json``.
"""

from __future__ import annotations

import json
from pathlib import Path

from conftest import attack_gate, attack_project
from test_github_cli import run_final_step

VANISHING_AGENT = """
import os
import threading
import time

def run(case_input, context=None):
    threading.Thread(target=os._exit, args=(0,)).start()
    time.sleep(5)
    return {"output": "ok", "cost_usd": 0.0}
"""


def _project(tmp_path: Path) -> Path:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)])
    (project / "agent18v.py").write_text(VANISHING_AGENT, encoding="utf-8")
    return project


def test_a_passing_run_passes_the_step(tmp_path: Path) -> None:
    project = _project(tmp_path)
    proc = attack_gate(project, "--no-mlflow", "--out", "reports/latest")
    assert proc.returncode == 0, proc.stderr
    assert run_final_step("0", project) == 0


def test_exit_0_without_a_passing_verdict_fails_the_step(tmp_path: Path) -> None:
    project = _project(tmp_path)
    assert run_final_step("0", project) == 3  # no verdict.json at all
    proc = attack_gate(project, "--no-mlflow", "--out", "reports/latest", agent="python:agent18v:run")
    assert proc.returncode == 0  # the process ended for real, from a thread gatekit does not run
    verdict = json.loads((project / "reports" / "latest" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail"  # the did-not-finish verdict written before the replay
    assert run_final_step("0", project) == 3
