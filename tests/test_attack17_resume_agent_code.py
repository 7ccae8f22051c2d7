"""attack17: --resume refuses a python: agent whose module changed since the interrupted run.

The run identity held the agent *spec* only: fixing the agent's code between an interrupted run and its
``--resume`` mixed the old code's finished cases with the new code's into one verdict.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, attack_gate, one_line_exit_2

AGENT = """
import time

def run(case_input, context=None):
    time.sleep(0.2)
    return {"output": "VERSION", "cost_usd": 0.0}
"""


def _eval(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    one_run = ("--no-mlflow", "--out", "out", "--concurrency", "1", *args)
    return attack_gate(root, *one_run, agent="python:agent17r:run", env={"PYTHONDONTWRITEBYTECODE": "1"})


def test_resume_after_the_agent_module_changed_is_refused(tmp_path: Path) -> None:
    (tmp_path / "agent17r.py").write_text(AGENT.replace("VERSION", "old"), encoding="utf-8")
    rows = "".join(json.dumps({"id": f"c{i}", "input": f"q{i}"}) + "\n" for i in range(12))
    (tmp_path / "ds.jsonl").write_text(rows, encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    cut = _eval(tmp_path, "--deadline", "1")  # a few cases finish, the rest are left for --resume
    assert cut.returncode == 4, (cut.stdout, cut.stderr)
    finished = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert 0 < len(finished) < 12

    (tmp_path / "agent17r.py").write_text(AGENT.replace("VERSION", "new"), encoding="utf-8")
    line = one_line_exit_2(_eval(tmp_path, "--resume"))
    assert "different agent code" in line and "--resume" in line
    assert (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines() == finished  # untouched

    (tmp_path / "agent17r.py").write_text(AGENT.replace("VERSION", "old"), encoding="utf-8")  # the same code again
    done = _eval(tmp_path, "--resume")
    assert done.returncode == 0, (done.stdout, done.stderr)
    rows_out = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["case_id"] for r in rows_out) == sorted(f"c{i}" for i in range(12))  # none lost, none twice


def test_a_package_failing_to_import_is_still_the_agent_loaders_exit_2(tmp_path: Path) -> None:
    # locating the module for its hash imports the parent package; its failure is the loader's to report
    (tmp_path / "badpkg17").mkdir()
    (tmp_path / "badpkg17" / "__init__.py").write_text("raise RuntimeError('pkg init broke')\n", encoding="utf-8")
    (tmp_path / "badpkg17" / "agent.py").write_text("def run(x):\n    return 'ok'\n", encoding="utf-8")
    (tmp_path / "ds.jsonl").write_text(json.dumps({"id": "c1", "input": "hi"}) + "\n", encoding="utf-8")
    (tmp_path / "th.yaml").write_text("checks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{tmp_path}"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:badpkg17.agent:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml"), "--no-mlflow"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    line = one_line_exit_2(proc)
    assert "importing badpkg17.agent failed: RuntimeError: pkg init broke" in line
