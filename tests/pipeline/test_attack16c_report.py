"""Attack round 16c on ``gatekit report``: a verdict.json of another format version is refused, not re-rendered."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from spine_project import make_project

from gatekit.config import load_config
from gatekit.gate import run_gate

ROOT = Path(__file__).resolve().parents[2]
ROWS = [{"id": f"c{i}", "input": f"question {i}", "expected": {"output_contains": ["echo"]}} for i in range(3)]


@pytest.fixture(scope="module")
def verdict_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("p"), rows=ROWS)
    outcome = run_gate(load_config(root / "gatekit.yaml", {"no_mlflow": True}), command="eval", env={})
    assert outcome.exit_code == 0
    return Path(outcome.out_dir) / "verdict.json"


def _report(path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = path.with_suffix(".html")
    return subprocess.run(
        [sys.executable, "-m", "gatekit", "report", str(path), "--out", str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("version", [2, 0, -1])
def test_report_refuses_a_verdict_of_another_schema_version(verdict_file: Path, tmp_path: Path, version: int) -> None:
    data = json.loads(verdict_file.read_text(encoding="utf-8"))
    assert data["schema_version"] == 1
    data["schema_version"] = version
    odd = tmp_path / "verdict.json"
    odd.write_text(json.dumps(data), encoding="utf-8")
    done = _report(odd)
    assert done.returncode == 2, done.stdout + done.stderr
    assert "schema_version" in done.stderr and "Traceback" not in done.stderr
    assert not odd.with_suffix(".html").exists()


def test_report_still_renders_the_verdict_this_gatekit_wrote(verdict_file: Path, tmp_path: Path) -> None:
    copy = tmp_path / "verdict.json"
    copy.write_text(verdict_file.read_text(encoding="utf-8"), encoding="utf-8")
    done = _report(copy)
    assert done.returncode == 0, done.stderr
    assert "<html" in copy.with_suffix(".html").read_text(encoding="utf-8").lower()
