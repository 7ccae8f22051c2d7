"""attack16b: a dataset row holding a lone surrogate escape (``"\\ud800"``) is refused by line, exit 2.

It was taken, replayed, and writing results.jsonl as UTF-8 failed after the whole replay: an internal error
(exit 3) instead of the line to fix. A pair of escapes (one character beyond U+FFFF) stays fine.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _eval(tmp_path: Path, dataset: str, content: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "okagent.py").write_text("def run(case_input, context=None):\n    return 'fine'\n", encoding="utf-8")
    (tmp_path / dataset).write_text(content, encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_"))}
    env["PYTHONPATH"] = f"{ROOT}{os.pathsep}{tmp_path}"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", dataset, "--agent", "python:okagent:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(ROOT / "policies" / "default.yaml"), "--no-mlflow"]
    return subprocess.run([*command, "--out", "rep"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize(
    ("dataset", "content", "where"),
    [
        ("ds.jsonl", '{"id": "ok", "input": "y"}\n{"id": "a\\ud800", "input": "x"}\n', "line 2"),
        ("ds.jsonl", '{"id": "a", "input": "x", "context": {"k": ["\\udc00"]}}\n', "line 1"),
        ("ds.csv", 'id,input,context\na,x,"{""k"": ""\\ud800""}"\n', "line 2: column 'context'"),
    ],
)
def test_a_lone_surrogate_escape_is_refused_naming_the_line(tmp_path: Path, dataset: str, content: str, where: str) -> None:
    proc = _eval(tmp_path, dataset, content)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert dataset in lines[0] and where in lines[0] and "surrogate" in lines[0], lines[0]


def test_a_pair_of_escapes_is_one_character(tmp_path: Path) -> None:
    proc = _eval(tmp_path, "ds.jsonl", '{"id": "smile \\ud83d\\ude00", "input": "\\\\ud800 is text here"}\n')
    assert proc.returncode == 0, proc.stdout + proc.stderr
