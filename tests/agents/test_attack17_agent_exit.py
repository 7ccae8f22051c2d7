"""attack17: an agent that raises SystemExit / KeyboardInterrupt / GeneratorExit fails its case; the gate goes on.

``sys.exit(0)`` inside a ``python:`` agent ended ``gatekit eval`` with exit 0 (a PASS to CI), no verdict and no
output; in an async agent it stopped the agent's event loop, so every later case timed out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

AGENTS = """
import sys

def sync_exit(case_input, context=None):
    sys.exit(0)

async def async_exit(case_input, context=None):
    sys.exit(0)

def sync_interrupt(case_input, context=None):
    raise KeyboardInterrupt()

async def async_interrupt(case_input, context=None):
    raise KeyboardInterrupt()

def generator_exit(case_input, context=None):
    raise GeneratorExit()

def some_cases(case_input, context=None):
    if case_input == "bye":
        sys.exit(0)
    return {"output": "ok", "cost_usd": 0.0}
"""


def _eval(tmp_path: Path, function: str, inputs: list[str]) -> tuple[subprocess.CompletedProcess[str], list[dict]]:
    (tmp_path / "agent17x.py").write_text(AGENTS, encoding="utf-8")
    rows = "".join(json.dumps({"id": f"c{i}", "input": text}) + "\n" for i, text in enumerate(inputs))
    (tmp_path / "ds.jsonl").write_text(rows, encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 50%}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{tmp_path}"
    command = [
        sys.executable,
        "-m",
        "gatekit",
        "eval",
        "--dataset",
        "ds.jsonl",
        "--agent",
        f"python:agent17x:{function}",
    ]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml"), "--no-mlflow"]
    command += ["--out", "out", "--timeout", "5", "--concurrency", "2"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    results = tmp_path / "out" / "results.jsonl"
    lines = results.read_text(encoding="utf-8").splitlines() if results.exists() else []
    return proc, [json.loads(line) for line in lines]


@pytest.mark.parametrize(
    ("function", "raised"),
    [
        ("sync_exit", "SystemExit"),
        ("async_exit", "SystemExit"),
        ("sync_interrupt", "KeyboardInterrupt"),
        ("async_interrupt", "KeyboardInterrupt"),
        ("generator_exit", "GeneratorExit"),
    ],
)
def test_an_agent_ending_the_process_fails_its_cases_and_the_gate_fails(
    tmp_path: Path, function: str, raised: str
) -> None:
    proc, rows = _eval(tmp_path, function, ["a", "b", "c"])
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)  # sync_exit was 0, no verdict
    assert "Traceback" not in proc.stderr
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail"
    assert len(rows) == 3 and all(not r["ok"] and r["error_type"] == "exception" for r in rows)
    assert all(f"the agent raised {raised}" in r["error_message"] for r in rows), rows
    assert all(len(r["attempts"]) == 1 for r in rows)  # not retried: it would do it again (not a timeout either)


def test_one_case_calling_sys_exit_does_not_stop_the_others(tmp_path: Path) -> None:
    proc, rows = _eval(tmp_path, "some_cases", ["hi", "bye", "hi", "hi"])
    assert proc.returncode == 0, (proc.stdout, proc.stderr)  # 1 error of 4 is within error_rate <= 50 %
    assert sorted((r["case_id"], r["ok"]) for r in rows) == [("c0", True), ("c1", False), ("c2", True), ("c3", True)]


def test_an_agent_module_calling_sys_exit_on_import_is_refused_not_exit_0(tmp_path: Path) -> None:
    (tmp_path / "agent17i.py").write_text("import sys\nsys.exit(0)\n\ndef run(x):\n    return 'ok'\n", encoding="utf-8")
    proc, _rows = _eval(tmp_path, "sync_exit", ["a"])  # writes the project files; the run itself is not used
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{tmp_path}"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:agent17i:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml"), "--no-mlflow"]
    proc = subprocess.run(
        command + ["--out", "out2"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)  # was 0, silent, no verdict
    assert "importing agent17i failed: SystemExit: 0" in proc.stderr and "Traceback" not in proc.stderr
