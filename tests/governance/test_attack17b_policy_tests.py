"""attack17b: a policy test that checks nothing, or checks a rule the policy does not have, is an error, not a pass.

``gatekit policy test`` passed a test with no ``expect`` (or ``expect: {}``), a ``not_rules: [no-secret]`` naming
a misspelt rule (it never fires, so the check always held), and a ``response: {outptu: ...}`` whose misspelt key
left the output empty. Each now exits 2 with one line naming the file and the test.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

POLICY = """\
id: p
version: "1"
rules:
  - id: no-secrets
    kind: sensitive_data
    outcomes: {secrets: deny, pii: allow_with_redaction}
  - id: stop
    kind: emergency_stop
    when: deny_count >= 2
"""


def _run(tmp_path: Path, tests: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "p.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "t.yaml").write_text("policy: p.yaml\ntests:\n" + tests, encoding="utf-8")
    return subprocess.run(
        [sys.executable, "-m", "gatekit", "policy", "test", str(tmp_path / "t.yaml")],
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        timeout=120,
    )


@pytest.mark.parametrize(
    ("tests", "message"),
    [
        ('  - name: nothing\n    response: {output: "key AKIAIOSFODNN7EXAMPLE"}\n', "no expect"),
        ('  - name: empty\n    response: {output: "key AKIAIOSFODNN7EXAMPLE"}\n    expect: {}\n', "no expect"),
        (
            '  - name: typo\n    response: {output: "key AKIAIOSFODNN7EXAMPLE"}\n    expect: {not_rules: [no-secret]}\n',
            "the policy does not have",
        ),
        ('  - name: typo\n    response: {output: "hi"}\n    expect: {rules: [no_secrets]}\n', "does not have"),
        (
            '  - name: misspelt\n    response: {outptu: "key AKIAIOSFODNN7EXAMPLE"}\n    expect: {outcome: allow}\n',
            "unknown response key",
        ),
        ('  - name: ctx\n    case: {contxt: {env: prod}}\n    expect: {outcome: allow}\n', "unknown case key"),
        ("  - name: steps\n    steps: []\n    expect_stop: false\n", "non-empty list"),
    ],
)
def test_a_test_that_cannot_fail_is_refused_with_exit_2(tmp_path: Path, tests: str, message: str) -> None:
    done = _run(tmp_path, tests)
    assert done.returncode == 2, done.stdout + done.stderr
    assert message in done.stderr and "t.yaml" in done.stderr
    assert "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_real_tests_still_pass_and_fail(tmp_path: Path) -> None:
    good = (
        '  - name: secret denied\n    response: {output: "key AKIAIOSFODNN7EXAMPLE"}\n'
        "    expect: {outcome: deny, rules: [no-secrets]}\n"
        "  - name: two denials stop the run\n    steps:\n"
        '      - {response: {output: "AKIAIOSFODNN7EXAMPLE"}}\n'
        # (attack22p: was `not_rules: [stop]`, which held whatever happened: a stop rule never fires on a case)
        '      - {response: {output: "AKIAIOSFODNN7EXAMPLE"}, expect: {outcome: deny, rules: [no-secrets]}}\n'
        "    expect_stop: true\n"
    )
    done = _run(tmp_path, good)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "2 passed, 0 failed" in done.stdout
    bad = '  - name: wrong\n    response: {output: "key AKIAIOSFODNN7EXAMPLE"}\n    expect: {outcome: allow}\n'
    failed = _run(tmp_path, bad)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "FAIL" in failed.stdout
