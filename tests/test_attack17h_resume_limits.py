"""attack17h: ``--timeout`` and ``--retries`` are part of the run identity ``--resume`` checks.

They were not: a resume with another per-attempt timeout mixed cases measured under two limits into one verdict.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import attack_gate, one_line_exit_2

AGENT = """
import time

def run(case_input, context=None):
    time.sleep(0.2)
    return {"output": "ok", "cost_usd": 0.0}
"""


def _eval(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    one_run = ("--no-mlflow", "--out", "out", "--concurrency", "1", *args)
    return attack_gate(root, *one_run, agent="python:agent17h:run", env={"PYTHONDONTWRITEBYTECODE": "1"})


@pytest.mark.parametrize(
    ("changed", "label"), [(["--timeout", "5"], "--timeout"), (["--retries", "0"], "--retries")], ids=["timeout", "retries"]
)
def test_resume_with_another_timeout_or_retries_is_refused(tmp_path: Path, changed: list[str], label: str) -> None:
    (tmp_path / "agent17h.py").write_text(AGENT, encoding="utf-8")
    rows = "".join(json.dumps({"id": f"c{i}", "input": f"q{i}"}) + "\n" for i in range(12))
    (tmp_path / "ds.jsonl").write_text(rows, encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    first = ["--timeout", "20", "--retries", "1"]
    cut = _eval(tmp_path, *first, "--deadline", "1")  # a few cases finish, the rest are left for --resume
    assert cut.returncode == 4, (cut.stdout, cut.stderr)
    finished = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert 0 < len(finished) < 12

    other = dict(zip(first[::2], first[1::2], strict=True))
    other[changed[0]] = changed[1]
    line = one_line_exit_2(_eval(tmp_path, *[x for kv in other.items() for x in kv], "--resume"))
    assert f"different {label}" in line and "--resume" in line
    assert (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines() == finished  # untouched

    done = _eval(tmp_path, *first, "--resume")  # the same limits again: resumed
    assert done.returncode == 0, (done.stdout, done.stderr)
    rows_out = [json.loads(x) for x in (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert sorted(r["case_id"] for r in rows_out) == sorted(f"c{i}" for i in range(12))
