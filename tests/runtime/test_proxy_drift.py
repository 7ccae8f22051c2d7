"""Rows the proxy writes are what ``gatekit drift`` reads: the same traffic shows no drift, longer inputs do."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from runtime.chat_upstream import chat_upstream
from runtime.proxy_harness import REPO, chat, serving

pytestmark = pytest.mark.slow

WORDS = "order refund parcel delivery address late broken size colour invoice account".split()


def _traffic(base: str, n: int, seed: int, words: tuple[int, int]) -> None:
    rng = random.Random(seed)
    for _ in range(n):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(*words)))
        role = rng.choice(["customer", "agent"])
        answer = chat(
            base, rng.choice(["plain", "pii"]), text, headers={"X-Gatekit-Context": json.dumps({"role": role})}
        )
        assert answer.status == 200


def _drift(reference: Path, production: Path, out: Path, *, in_process: bool = False) -> tuple[int, dict]:
    args = ["drift", "--reference", str(reference), "--production", str(production),
            "--numeric", "input_chars", "--numeric", "output_tokens", "--categorical", "role",
            "--critical", "input_chars", "--no-mlflow", "--json", "--out", str(out)]  # fmt: skip
    if in_process:  # the console entry point in this process (spine_project.run_cli): same code, no Python start
        from spine_project import run_cli

        proc = run_cli(out.parent, *args)
    else:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        env.pop("MLFLOW_TRACKING_URI", None)
        proc = subprocess.run(
            [sys.executable, "-m", "gatekit", *args],
            cwd=out.parent, env=env, capture_output=True, text=True, timeout=300, check=False,
        )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    return proc.returncode, json.loads((out / "drift.json").read_text())


def test_gatekit_drift_reads_the_rows_of_two_proxies(tmp_path: Path) -> None:
    baseline, canary, longer = tmp_path / "baseline.jsonl", tmp_path / "canary.jsonl", tmp_path / "longer.jsonl"
    with chat_upstream() as upstream:
        for rows, variant, seed, words in (
            (baseline, "baseline", 1, (3, 12)),
            (canary, "canary", 2, (3, 12)),
            (longer, "canary", 3, (30, 60)),
        ):
            with serving(upstream.url, log_to=rows, variant=variant) as server:
                _traffic(server.url, 80, seed, words)
    same_code, same = _drift(baseline, canary, tmp_path / "same")
    assert same_code == 0 and same["drift"] is False
    assert "input_chars" in json.dumps(same) and "role" in json.dumps(same)
    long_code, drifted = _drift(baseline, longer, tmp_path / "long", in_process=True)  # the process: just above
    assert long_code == 1 and drifted["drift"] is True
    assert drifted["drifted"] == ["input_chars"]  # longer inputs; roles and output tokens unchanged
