"""attack17: a run stopped before its verdict does not leave the previous run's verdict.json behind.

A fresh run in the same --out (no --resume) truncated results.jsonl but kept the last run's verdict.json
(``pass``, exit_code 0) and report.html; stopped by Ctrl-C, the folder showed that PASS next to its own
half-written results — what a CI step uploading or rendering ``out/verdict.json`` would show.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, attack_project, signal_when

SLOW = """
import time

def run(case_input, context=None):
    time.sleep(0.3)
    return {"output": "ok", "cost_usd": 0.0}
"""


def _command(agent: str) -> list[str]:
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", agent]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml")]
    return [*command, "--no-mlflow", "--out", "out", "--concurrency", "1", "--junit", "junit.xml"]


def test_an_interrupted_fresh_run_removes_the_last_runs_verdict(tmp_path: Path) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(20)])
    (project / "slow17.py").write_text(SLOW, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{project}"
    first = subprocess.run(_command("python:agent16:run"), cwd=project, env=env, capture_output=True, text=True)
    assert first.returncode == 0, first.stderr
    assert (project / "junit.xml").exists()
    out = project / "out"
    assert json.loads((out / "verdict.json").read_text(encoding="utf-8"))["verdict"] == "pass"

    proc = subprocess.Popen(
        _command("python:slow17:run"), cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    results = out / "results.jsonl"
    _stdout, stderr = signal_when(  # this run's rows, some of them
        proc, lambda: results.exists() and 2 <= len(results.read_text(encoding="utf-8").splitlines()) < 20
    )
    assert proc.returncode == 130, stderr
    rows = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert 2 <= len(rows) < 20
    assert not (out / "verdict.json").exists() and not (out / "report.html").exists()  # the first run's PASS stayed
    assert not (project / "junit.xml").exists()  # and its all-pass JUnit file

    done = subprocess.run(
        [*_command("python:slow17:run"), "--resume"], cwd=project, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    verdict = json.loads((out / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["candidate"]["spec"] == "python:slow17:run" and verdict["metrics"]["cases"] == 20


def test_only_a_regular_file_is_removed(tmp_path: Path) -> None:
    from gatekit.fsio import remove_regular_file

    regular, target, link, fifo, folder = (tmp_path / n for n in ("r.xml", "t.xml", "l.xml", "f.xml", "d"))
    regular.write_text("old", encoding="utf-8")
    target.write_text("kept", encoding="utf-8")
    link.symlink_to(target)
    os.mkfifo(fifo)
    folder.mkdir()
    for path in (regular, link, fifo, folder, tmp_path / "missing.xml"):
        remove_regular_file(path)
    assert not regular.exists()
    assert link.is_symlink() and target.read_text(encoding="utf-8") == "kept"  # --junit /dev/full stays a device
    assert fifo.exists() and folder.is_dir()
