"""attack17h: a run whose agent fails to start does not leave the previous run's verdict in --out (fix18a: it
writes a failing verdict.json saying why).

The earlier run's verdict.json (``pass``, exit_code 0), report.html and JUnit file were removed only once the
agent had started: an agent that failed to start (a ``cmd:`` agent exiting at once, a ``python:`` agent whose
function is missing) exited non-zero with another agent's PASS still in the folder for a later CI step to read.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_project


def _command(agent: str) -> list[str]:
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", agent]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml")]
    return [*command, "--no-mlflow", "--out", "out", "--concurrency", "1", "--junit", "junit.xml"]


@pytest.mark.parametrize(
    "agent",
    [f"cmd:{sys.executable} -c 'import sys; sys.exit(3)'", "python:agent16:missing_function"],
    ids=["cmd-exits-at-once", "python-no-such-function"],
)
def test_an_agent_that_fails_to_start_removes_the_last_runs_verdict(tmp_path: Path, agent: str) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{project}"
    out = project / "out"
    first = subprocess.run(_command("python:agent16:run"), cwd=project, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert json.loads((out / "verdict.json").read_text(encoding="utf-8"))["verdict"] == "pass"
    assert (project / "junit.xml").exists()
    before = {p.name for p in out.iterdir()}
    assert "verdict.json" in before

    second = subprocess.run(_command(agent), cwd=project, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode != 0, (second.stdout, second.stderr)
    assert "Traceback" not in second.stderr, second.stderr
    # fix18a: the failed start writes its own failing verdict.json (before: none), never the last run's PASS
    verdict = json.loads((out / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail" and verdict["exit_code"] == second.returncode, verdict
    assert verdict["reasons"][0].startswith("the agent failed to start: "), verdict["reasons"]
    assert not (out / "report.html").exists()
    assert not (project / "junit.xml").exists(), "the last run's all-pass JUnit file outlived the failed start"
