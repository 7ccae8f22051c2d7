"""attack16: the canary's step outputs cannot be forged by a value with a line break.

``report_path`` was written as ``key=value``; an ``--out`` holding a line break (``cn/y\\ndecision=promote``)
added its own ``decision=promote`` line after the real decision, and GitHub takes the last value. The gate's
outputs already use the ``key<<delimiter`` form for such a value; the canary's now do too.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from canary.traffic import now_after, traffic, write_jsonl

ROOT = Path(__file__).resolve().parents[2]


def _outputs(text: str) -> dict[str, str]:
    """Parse a $GITHUB_OUTPUT file the way the runner does (``k=v`` lines and ``k<<DELIM`` blocks; last wins)."""
    values: dict[str, str] = {}
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delimiter = line.split("<<", 1)
            end = lines.index(delimiter, i + 1)
            values[key] = "\n".join(lines[i + 1 : end])
            i = end + 1
            continue
        if "=" in line:
            key, value = line.split("=", 1)
            values[key] = value
        i += 1
    return values


def test_an_out_path_with_a_line_break_cannot_set_another_output(tmp_path: Path) -> None:
    spiked = traffic(30, canary=lambda m: {"error_rate": 0.05 if m >= 10 else 0.0})
    logs = write_jsonl(tmp_path / "spike.jsonl", spiked)
    outputs = tmp_path / "outputs.txt"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs)}
    env.pop("GITHUB_STEP_SUMMARY", None)
    out = str(tmp_path / "o") + "\ndecision=promote\nexit_code=0"
    command = [sys.executable, "-m", "gatekit", "canary", "--logs", str(logs), "--now", now_after(30)]
    proc = subprocess.run([*command, "--no-mlflow", "--out", out], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # rollback
    values = _outputs(outputs.read_text(encoding="utf-8"))
    assert values["decision"] == "rollback" and values["exit_code"] == "1", values
    assert values["report_path"].startswith(str(tmp_path / "o"))
