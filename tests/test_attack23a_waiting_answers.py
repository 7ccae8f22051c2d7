"""attack23a: answers waiting behind a slow case are bounded; a fast agent cannot pile its dataset up in memory.

Results are judged in dataset order, so a case that finishes early waits in memory for the cases before it. Behind
one slow first case (a timeout, retried: minutes), an agent answering the rest at once with 1 MB each had every
answer of the dataset held — 300 cases: peak RSS 420 MB, 100,000: 100 GB — and all of them lost, finished, on Ctrl-C.
No case starts now while the waiting answers hold more than 64 Mi characters; the slow case runs on.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import attack_gate

pytestmark = pytest.mark.slow

AGENT = """
import os, time

def run(case_input, context=None):
    with open("started.log", "a", encoding="utf-8") as log:
        log.write(case_input + "\\n")
    if case_input == "q0":  # slow: the rest of the dataset finishes meanwhile
        time.sleep(4)
        with open("started.log", encoding="utf-8") as log:
            started = len(log.read().splitlines())
        with open("started_while_slow.txt", "w", encoding="utf-8") as out:
            out.write(str(started))
    return {"output": "x" * 1_000_000, "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_a_slow_first_case_does_not_let_the_others_pile_up(tmp_path: Path) -> None:
    (tmp_path / "agent23a_pile.py").write_text(AGENT, encoding="utf-8")
    (tmp_path / "ds.jsonl").write_text(
        "".join(json.dumps({"id": f"c{i}", "input": f"q{i}"}) + "\n" for i in range(100))
    )
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 0%}\n", encoding="utf-8")
    proc = attack_gate(
        tmp_path,
        *("--out", "out", "--no-mlflow", "--concurrency", "4", "--timeout", "30", "--retries", "0"),
        agent="python:agent23a_pile:run",
    )
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    rows = (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    assert [json.loads(row)["case_id"] for row in rows] == [f"c{i}" for i in range(100)]
    started = int((tmp_path / "started_while_slow.txt").read_text())
    # 64 Mi characters of 1 MB answers: ~64 waiting, then the other three workers wait too. Was 100: every case
    assert started <= 80, started
