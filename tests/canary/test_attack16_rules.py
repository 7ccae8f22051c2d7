"""attack16: a rules file that judges nothing, or compares a variant with itself, is refused (exit 2).

``window: 1m`` alone (no ``rollback:``, no ``compare:``) promoted every stage: "no rollback rule fired;
comparisons within allowance (no comparisons configured)". ``baseline: canary`` with ``canary: canary``
compared the canary with itself and promoted. ``gatekit watch`` with no rollback rule watched nothing and
exited 0 at its timeout.
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


def _gatekit(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], env=env, capture_output=True, text=True, timeout=120
    )


def _canary(logs: Path, rules: Path, out: Path) -> subprocess.CompletedProcess[str]:
    """``gatekit canary`` of ``logs`` under ``rules`` at NOW, without MLflow, its files in ``out``."""
    return _gatekit(
        "canary", "--logs", str(logs), "--rules", str(rules), "--now", NOW, "--no-mlflow", "--out", str(out)
    )


@pytest.fixture(scope="module")
def healthy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("logs") / "healthy.jsonl", traffic(30))


@pytest.mark.parametrize(
    ("text", "words", "line"),
    [
        ("window: 1m\n", "nothing to judge", None),
        ("window: 1m\nrollback: []\ncompare: {metrics: {}}\n", "nothing to judge", None),
        (
            "window: 1m\nbaseline: canary\ncanary: canary\nrollback:\n  - rule: error_rate > 1% for 5 windows\n",
            "the same variant",
            3,
        ),
    ],
    ids=["window-only", "both-empty", "same-variant"],
)
def test_a_rules_file_that_judges_nothing_is_exit_2(
    tmp_path: Path, healthy: Path, text: str, words: str, line: int | None
) -> None:
    rules = tmp_path / "rollout.yaml"
    rules.write_text(text, encoding="utf-8")
    proc = _canary(healthy, rules, tmp_path / "out")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [x for x in (proc.stdout + proc.stderr).splitlines() if x.strip()]
    where = f"{rules}:{line}:" if line else f"{rules}:"
    assert len(lines) == 1 and where in lines[0] and words in lines[0], lines
    assert not (tmp_path / "out" / "canary.json").exists()


def test_rollback_rules_alone_or_comparisons_alone_still_judge(tmp_path: Path, healthy: Path) -> None:
    only_rules = tmp_path / "rules.yaml"
    only_rules.write_text("rollback:\n  - rule: error_rate > 1% for 5 windows\n", encoding="utf-8")
    only_compare = tmp_path / "compare.yaml"
    only_compare.write_text("compare: {min_requests: 100, metrics: {latency_ms: 10%}}\n", encoding="utf-8")
    for rules in (only_rules, only_compare):
        proc = _canary(healthy, rules, tmp_path / rules.stem)
        assert proc.returncode == 0, proc.stdout + proc.stderr


def test_watch_without_a_rollback_rule_is_exit_2(tmp_path: Path, healthy: Path) -> None:
    rules = tmp_path / "compare.yaml"
    rules.write_text("compare: {metrics: {latency_ms: 10%}}\n", encoding="utf-8")
    proc = _gatekit("watch", "--logs", str(healthy), "--rules", str(rules), "--timeout", "2")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "rollback rule" in proc.stderr and "Traceback" not in proc.stderr
