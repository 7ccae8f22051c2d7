"""left22: a ``python:`` agent module is imported from the working directory; the error says where it looked.

docs/agents.md (decided): ``python:mod:fn`` is a Python import from the working directory (then PYTHONPATH and the
installed packages), as ``python -m`` does, while file paths in gatekit.yaml are relative to its folder. Run with
``--config other/gatekit.yaml`` from elsewhere, the module beside that file is not imported: the one-line error
named the working directory only ("run gatekit from the folder that contains it"); it now names what was
searched and, when the module is in the config file's folder, that folder and what to do.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _project(root: Path, package: bool = False) -> None:
    root.mkdir(parents=True)
    if package:
        (root / "agent22").mkdir()
        (root / "agent22" / "__init__.py").write_text("", encoding="utf-8")
        (root / "agent22" / "bot.py").write_text("def run(text):\n    return 'ok'\n", encoding="utf-8")
    else:
        (root / "agent22.py").write_text("def run(text):\n    return 'ok'\n", encoding="utf-8")
    (root / "ds.jsonl").write_text(json.dumps({"id": "c1", "input": "hi"}) + "\n", encoding="utf-8")
    (root / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 1%}\n", encoding="utf-8")
    policy = (REPO_ROOT / "policies" / "default.yaml").read_text(encoding="utf-8")
    (root / "policy.yaml").write_text(policy, encoding="utf-8")
    agent = "python:agent22.bot:run" if package else "python:agent22:run"
    config = f"dataset: ds.jsonl\nagent: {agent}\nthresholds: th.yaml\npolicy: policy.yaml\n"
    (root / "gatekit.yaml").write_text(config, encoding="utf-8")


def _gatekit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_", "GITHUB_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_module_beside_the_config_file_is_named_with_its_folder(tmp_path: Path) -> None:
    _project(tmp_path / "proj", package=True)
    proc = _gatekit(tmp_path, "eval", "--no-mlflow", "--config", "proj/gatekit.yaml", "--out", "out")
    lines = proc.stderr.strip().splitlines()
    assert proc.returncode == 2 and len(lines) == 1, proc.stderr
    assert f"module 'agent22' not found (searched the working directory {tmp_path}, then PYTHONPATH" in lines[0]
    assert f"it is in the config file's folder {tmp_path / 'proj'}, which is not searched" in lines[0], lines[0]
    assert "Traceback" not in proc.stderr


def test_a_module_nowhere_says_what_was_searched(tmp_path: Path) -> None:
    _project(tmp_path / "proj")
    (tmp_path / "proj" / "agent22.py").unlink()
    proc = _gatekit(tmp_path, "eval", "--no-mlflow", "--config", "proj/gatekit.yaml", "--out", "out")
    assert proc.returncode == 2, proc.stderr
    assert f"(searched the working directory {tmp_path}, then PYTHONPATH and the installed packages)" in proc.stderr
    assert "config file's folder" not in proc.stderr


def test_run_from_the_config_files_folder_it_is_found(tmp_path: Path) -> None:
    _project(tmp_path / "proj")
    proc = _gatekit(tmp_path / "proj", "eval", "--no-mlflow", "--out", "out")
    assert proc.returncode == 0, proc.stderr
