"""attack16: a policy file that judges nothing, or whose text is not UTF-8, is refused (exit 2), not run.

``rules: []`` (or every rule ``enabled: false``) allowed every case and reported governance coverage 100 %,
so the gate passed with governance switched off. A Latin-1 policy was decoded with replacement characters:
a denied term ``café`` became ``caf\ufffd`` and never matched, while ``policy check`` said ``ok``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

EMPTY = 'id: x\nversion: "1"\nrules: []\n'
ALL_DISABLED = 'id: x\nversion: "1"\nrules:\n  - id: t\n    kind: tools\n    allow: [a]\n    enabled: false\n'
LATIN1 = 'id: x\nversion: "1"\nrules:\n  - id: terms\n    kind: sensitive_terms\n    terms: ["café secret"]\n'

AGENT = """
def run(case_input, context=None):
    return {"output": "the café secret is 42", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def _gatekit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": f"{ROOT}{os.pathsep}{cwd}"}
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def _write(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    (tmp_path / "policy.yaml").write_bytes(text.encode(encoding))
    (tmp_path / "agent16.py").write_text(AGENT, encoding="utf-8")
    (tmp_path / "ds.jsonl").write_text('{"id": "a", "input": "x"}\n', encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  governance.deny_count: {max: 0}\n", encoding="utf-8")
    return tmp_path / "policy.yaml"


def _eval(cwd: Path) -> subprocess.CompletedProcess[str]:
    return _gatekit(
        cwd, "eval", "--no-mlflow", "--dataset", "ds.jsonl", "--agent", "python:agent16:run",
        "--thresholds", "th.yaml", "--policy", "policy.yaml",
    )  # fmt: skip


def _one_line_2(proc: subprocess.CompletedProcess[str]) -> str:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, lines
    return lines[0]


@pytest.mark.parametrize("text", [EMPTY, ALL_DISABLED], ids=["rules-empty", "all-disabled"])
def test_a_policy_with_no_rule_to_run_is_refused_by_check_eval_and_the_proxy(tmp_path: Path, text: str) -> None:
    _write(tmp_path, text)
    for proc in (
        _gatekit(tmp_path, "policy", "check", "policy.yaml"),
        _eval(tmp_path),
        _gatekit(tmp_path, "guard", "serve", "--upstream", "http://127.0.0.1:9/v1", "--policy", "policy.yaml"),
    ):
        line = _one_line_2(proc)
        assert "policy.yaml" in line and "no rule" in line, line
    assert not (tmp_path / "reports" / "latest" / "verdict.json").exists()


def test_a_policy_that_is_not_utf8_is_refused_naming_the_byte(tmp_path: Path) -> None:
    _write(tmp_path, LATIN1, encoding="latin-1")
    for proc in (_gatekit(tmp_path, "policy", "check", "policy.yaml"), _eval(tmp_path)):
        line = _one_line_2(proc)
        assert "policy.yaml" in line and "UTF-8" in line, line


def test_the_same_policy_in_utf8_denies_the_term(tmp_path: Path) -> None:
    _write(tmp_path, LATIN1)
    assert _gatekit(tmp_path, "policy", "check", "policy.yaml").returncode == 0
    proc = _eval(tmp_path)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # governance.deny_count 1 > 0
    assert "deny 1" in proc.stdout


TEST_FILE = """policy: ../policy.yaml
tests:
  - name: {name}
    case: {{input: "hi"}}
    response: {{output: "hello"}}
    expect: {{outcome: allow}}
"""


def _policy_tests(tmp_path: Path, text: str, encoding: str = "utf-8") -> Path:
    (tmp_path / "policy.yaml").write_text((ROOT / "policies" / "default.yaml").read_text(), encoding="utf-8")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "a_test.yaml").write_bytes(text.encode(encoding))
    return tmp_path / "tests"


def test_a_policy_test_file_that_is_not_utf8_is_exit_2_not_an_internal_error(tmp_path: Path) -> None:
    folder = _policy_tests(tmp_path, TEST_FILE.format(name="café"), encoding="latin-1")
    line = _one_line_2(_gatekit(tmp_path, "policy", "test", str(folder)))
    assert "a_test.yaml" in line and "UTF-8" in line, line


def test_a_policy_test_file_without_tests_is_exit_2_not_zero_passed(tmp_path: Path) -> None:
    folder = _policy_tests(tmp_path, "policy: ../policy.yaml\ntests: []\n")
    line = _one_line_2(_gatekit(tmp_path, "policy", "test", str(folder)))
    assert "a_test.yaml" in line and "no tests" in line, line


def test_a_policy_test_file_with_a_test_still_passes(tmp_path: Path) -> None:
    folder = _policy_tests(tmp_path, TEST_FILE.format(name="plain"))
    proc = _gatekit(tmp_path, "policy", "test", str(folder))
    assert proc.returncode == 0 and "1 passed, 0 failed" in proc.stdout, proc.stdout + proc.stderr
