"""attack22g: a canary rule or comparison whose limit can never be crossed promoted a failing canary.

``threshold: .nan`` (every comparison with NaN is false), ``.inf``, ``error_rate > 5`` (meant as 5%: a rate is at
most 1) and ``error_rate > 1`` (meant as 1%) were accepted: a canary failing half its requests was promoted (exit 0).
Such a limit is now refused (exit 2) naming the file, line and what to write; so is a comparison's allowed increase
that is not finite or, for a rate, above 100 percentage points.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from canary.traffic import now_after, traffic, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
NOW = now_after(30)


@pytest.fixture(scope="module")
def failing(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """30 minutes of traffic in which the canary fails half its requests."""
    rows = traffic(30, canary=lambda _minute: {"error_rate": 0.5})
    return write_jsonl(tmp_path_factory.mktemp("logs") / "failing.jsonl", rows)


def _canary(logs: Path, rules: Path, out: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "gatekit", "canary", "--logs", str(logs), "--rules", str(rules)]
    command += ["--now", NOW, "--no-mlflow", "--out", str(out)]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


NEVER_MET = {
    "nan": ('- {metric: error_rate, op: ">", threshold: .nan, for: 1}', "threshold: nan is not a finite number"),
    "inf": ('- {metric: latency_p95_ms, op: ">", threshold: .inf, for: 1}', "threshold: inf is not a finite number"),
    "rate above 1": ("- error_rate > 5 for 1 window", "threshold: 5 is above 1 (100%), which error_rate never"),
    "rate of bare 1": ("- error_rate > 1 for 1 window", "threshold: 1 is read as a fraction, 100%"),
    "negative": ('- {metric: error_rate, op: "<", threshold: -1, for: 1}', "threshold: -1 is negative"),
}


@pytest.mark.parametrize("form", sorted(NEVER_MET))
def test_a_rule_that_can_never_fire_is_refused(tmp_path: Path, failing: Path, form: str) -> None:
    rule, words = NEVER_MET[form]
    rules = tmp_path / "rollout.yaml"
    rules.write_text(f"window: 1m\nrollback:\n  {rule}\n", encoding="utf-8")
    proc = _canary(failing, rules, tmp_path / "out")
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert lines[0].startswith(f"error: {rules}:") and f": rollback.0: {words}" in lines[0], lines[0]


@pytest.mark.parametrize(
    ("metric", "words"),
    [
        ("error_rate: {allowed_increase: 5, critical: true}", "error_rate.allowed_increase: 5 is above 1 (100%)"),
        ("error_rate: 1", "for one percentage point write 1pp"),
        ("latency_ms: .nan", "latency_ms.allowed_increase: nan is not a finite number"),
    ],
    ids=["rate above 1", "rate of bare 1", "nan"],
)
def test_a_comparison_that_can_never_fail_is_refused(tmp_path: Path, failing: Path, metric: str, words: str) -> None:
    rules = tmp_path / "rollout.yaml"
    rules.write_text(f"window: 1m\ncompare:\n  metrics:\n    {metric}\n", encoding="utf-8")
    proc = _canary(failing, rules, tmp_path / "out")
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    assert words in proc.stderr


def test_the_same_rule_written_as_meant_rolls_the_canary_back(tmp_path: Path, failing: Path) -> None:
    rules = tmp_path / "rollout.yaml"
    rules.write_text("window: 1m\nrollback:\n  - error_rate > 5% for 1 window\n", encoding="utf-8")
    proc = _canary(failing, rules, tmp_path / "out")
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    assert "ROLLBACK" in proc.stdout
