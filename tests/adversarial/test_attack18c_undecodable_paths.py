"""attack18c: a dataset or output folder whose name is not UTF-8 (a byte such as 0xff) ended in "internal error".

Python holds such a name with a lone surrogate (``bad\\udcff.jsonl``). verdict.json escaped it, but report.html,
the step summary and the JUnit body (a check message quotes the dataset path) were written as UTF-8 and raised
``UnicodeEncodeError`` after the whole replay: exit 3, no report. A name is now shown with its ``\\udcff`` escape
on every page, as other controls are. Real CLI run on a real file with such a name.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import REPO_ROOT

BAD = b"bad\xff"


def test_names_that_are_not_utf8_are_shown_escaped_not_fatal(tmp_path: Path) -> None:
    root = os.fsencode(tmp_path)
    try:
        with open(root + b"/" + BAD + b".jsonl", "wb") as fh:
            fh.write(b'{"id": "c1", "input": "x"}\n{"id": "c2", "input": "y"}\n')
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    (tmp_path / "agent18u.py").write_text(
        "def run(case_input, context=None):\n    return {'output': 'ok', 'cost_usd': 0.0}\n", encoding="utf-8"
    )
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  pass_rate: {min: 50%}\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_"))}
    env.update(PYTHONPATH=f"{REPO_ROOT}{os.pathsep}{tmp_path}", GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    command = [sys.executable.encode(), b"-m", b"gatekit", b"eval", b"--dataset", BAD + b".jsonl"]
    command += [b"--agent", b"python:agent18u:run", b"--thresholds", b"th.yaml", b"--no-mlflow"]
    command += [b"--policy", os.fsencode(REPO_ROOT / "policies" / "default.yaml"), b"--out", b"out-" + BAD]
    command += [b"--junit", b"junit.xml"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=180)
    stderr = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == 1, stderr  # pass_rate: nothing scored -> fail; not 3
    assert "internal error" not in stderr
    out = Path(os.fsdecode(root + b"/out-" + BAD))
    verdict = json.loads((out / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["dataset"]["path"] == "bad\udcff.jsonl"
    assert "bad\\udcff.jsonl" in (out / "report.html").read_text(encoding="utf-8")
    assert "bad\\\\udcff" in summary.read_text(encoding="utf-8")
    junit = ET.parse(tmp_path / "junit.xml").getroot()
    assert any("bad\\udcff.jsonl" in (f.text or "") for f in junit.iter("failure"))


def test_a_name_that_is_not_utf8_reaches_mlflow_escaped(tmp_path: Path) -> None:
    from mlflow_store import fresh_store

    root = os.fsencode(tmp_path)
    try:
        with open(root + b"/" + BAD + b".jsonl", "wb") as fh:
            fh.write(b'{"id": "c1", "input": "x"}\n')
    except OSError:
        pytest.skip("this file system refuses names that are not UTF-8")
    (tmp_path / "agent18u.py").write_text(
        "def run(case_input, context=None):\n    return {'output': 'ok', 'cost_usd': 0.0}\n", encoding="utf-8"
    )
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    uri = fresh_store(tmp_path / "mlflow.db")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_", "MLFLOW_"))}
    env.update(PYTHONPATH=f"{REPO_ROOT}{os.pathsep}{tmp_path}", MLFLOW_TRACKING_URI=uri)
    command = [sys.executable.encode(), b"-m", b"gatekit", b"eval", b"--dataset", BAD + b".jsonl"]
    command += [b"--agent", b"python:agent18u:run", b"--thresholds", b"th.yaml", b"--run-name", b"run-" + BAD]
    command += [b"--policy", os.fsencode(REPO_ROOT / "policies" / "default.yaml"), b"--out", b"out"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=180)
    assert proc.returncode == 0, proc.stderr.decode("utf-8", "replace")

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("gatekit").experiment_id])
    assert run.data.params["dataset"] == "bad\\udcff.jsonl" and run.info.run_name == "run-bad\\udcff"
