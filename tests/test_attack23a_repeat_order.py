"""attack23a: with ``--repeat``, cases run in the order they are judged and written (every case once, then again).

The replay ran case-major (c0 r0, c0 r1, c1 r0, ...) while results are judged and written repeat-major (every case's
repeat 0, then every case's repeat 1: ``InDatasetOrder``). Each later repeat's finished answer waited in memory until
the first pass was over: with ``--repeat 2`` half the run's answers were held at once (1,500 answers of 100 KB: peak
RSS 200 MB against 93 MB for ``--repeat 1``), and SIGTERM, Ctrl-C or ``--deadline`` lost all of them, finished and
paid for — only a prefix of the judging order can be written.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from spine_project import TESTS_DIR, make_project, run_cli

pytestmark = pytest.mark.slow

CASES = 60


def _rows(path: Path) -> list[tuple[str, int]]:
    return [(row["case_id"], row["repeat"]) for row in map(json.loads, path.read_text().splitlines())]


def test_sigterm_with_repeats_keeps_the_finished_answers_and_resume_completes(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", agent="python:agents.replay_agents:counted", cases=CASES)
    results = root / "out" / "results.jsonl"
    calls = tmp_path / "calls.log"
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    env["PYTHONPATH"] = str(TESTS_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env.update({"GATEKIT_TEST_CALL_LOG": str(calls), "GATEKIT_TEST_SLEEP_S": "0.03", "CI": "true"})
    proc = subprocess.Popen(
        [sys.executable, "-m", "gatekit", "eval", "--repeat", "2", "--no-mlflow"],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(6000):  # until 40 rows are written (at most 60 s)
            if proc.poll() is not None or (results.exists() and results.read_bytes().count(b"\n") >= 40):
                break
            time.sleep(0.01)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, stderr[-2000:]
    written = _rows(results)
    answered = len(calls.read_text().splitlines())
    # answers finished but not written: at most those waiting behind a case still in flight (concurrency 4). Was
    # about as many as were written: every case's repeat 1, held until the first pass was over, then dropped
    assert answered - len(written) <= 8, (answered, len(written))
    order = [(f"c{i}", r) for r in range(2) for i in range(CASES)]
    assert written == order[: len(written)]  # a prefix of the judging order

    again = run_cli(root, "eval", "--resume", "--repeat", "2", "--no-mlflow", env={"CI": "true"})
    assert again.returncode == 0, again.stderr[-2000:]
    assert _rows(results) == order
