"""attack18c: a refused run's error line could be split by a line break in a path or spec it quotes.

``--dataset $'ds\\n::warning::pwn.jsonl'`` printed ``error: ds`` and then a line ``::warning::pwn.jsonl: dataset
file not found ...`` on stderr: two lines instead of the one the contract promises, the second starting with
``::``, which GitHub Actions reads as a workflow command. The error line now shows a line break as ``\\n``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, attack_project, one_line_exit_2


def test_a_line_break_in_a_quoted_path_stays_inside_the_one_error_line(tmp_path: Path) -> None:
    attack_project(tmp_path, ['{"id": "c1", "input": "x"}'])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_"))}
    env.update(PYTHONPATH=f"{REPO_ROOT}{os.pathsep}{tmp_path}", GITHUB_ACTIONS="true")
    for args in (
        ["--dataset", "ds\n::warning::pwn.jsonl"],
        ["--dataset", "ds.jsonl", "--thresholds", "t\r\n::error::x"],
    ):
        command = [sys.executable, "-m", "gatekit", "eval", "--agent", "python:agent16:run", "--thresholds", "th.yaml"]
        command += ["--policy", str(REPO_ROOT / "policies" / "default.yaml"), "--no-mlflow", *args]
        proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        line = one_line_exit_2(proc)
        assert "\\n::" in line, line
        for stream in (proc.stdout, proc.stderr):
            assert not any(
                row.startswith("::") and not row.startswith("::error title=gatekit::") for row in stream.splitlines()
            ), stream
