"""attack18d: out-of-range flags of ``watch`` and ``rollback`` are one line, exit 2, before anything runs.

``watch --interval -1`` / ``nan`` / ``inf`` ended in an internal error (exit 3, a Python exception name) after the
banner; ``--interval 0`` polled in a busy loop; ``--timeout nan`` never timed out; ``--timeout -1`` was a HOLD (exit
4) instead of a bad flag; ``--engine x`` was refused only after the banner and a first poll. ``rollback --model ''``
was MLflow's "Missing value for required parameter 'name'" (exit 3) and ``--tracking-uri ftp://x`` an internal error.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_gate, attack_project, one_line_exit_2

from gatekit.production.schema import SCHEMA_VERSION


def gatekit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in ``cwd``, no GATEKIT_* or MLFLOW_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--interval", "0"),
        ("--interval", "-1"),
        ("--interval", "nan"),
        ("--interval", "inf"),
        ("--timeout", "nan"),
        ("--timeout", "-1"),
    ],
)
def test_watch_refuses_a_poll_interval_or_timeout_that_is_no_positive_number(
    tmp_path: Path, flag: str, value: str
) -> None:
    row = {"schema_version": SCHEMA_VERSION, "timestamp": "2026-01-01T00:00:00Z", "request_id": "r", "variant": "x"}
    (tmp_path / "logs.jsonl").write_text(json.dumps(row) + "\n", encoding="utf-8")
    other = ["--timeout", "5"] if flag == "--interval" else ["--interval", "1"]
    started = time.monotonic()
    line = one_line_exit_2(gatekit(tmp_path, "watch", "--logs", "logs.jsonl", *other, flag, value))
    assert time.monotonic() - started < 30
    assert line.startswith(f"error: {flag} ") and "give a number of seconds" in line, line
    assert "Error" not in line, line


def test_watch_refuses_an_unknown_engine_before_it_starts_watching(tmp_path: Path) -> None:
    (tmp_path / "logs.jsonl").write_text("", encoding="utf-8")
    line = one_line_exit_2(gatekit(tmp_path, "watch", "--logs", "logs.jsonl", "--engine", "duck", "--timeout", "5"))
    assert line == "error: --engine 'duck': unknown engine; use duckdb or spark", line  # and no "watching ..." line


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--model", ""], "error: --model '': no registered model name; pass the name the gate promoted"),
        (["--model", "m", "--tracking-uri", "ftp://x"], "error: --tracking-uri 'ftp://x': MLflow has no model registry"),
    ],
    ids=["empty-model", "ftp-registry"],
)
def test_rollback_refuses_an_empty_model_or_a_uri_with_no_registry(tmp_path: Path, args: list[str], said: str) -> None:
    line = one_line_exit_2(gatekit(tmp_path, "rollback", "--dry-run", *args))
    assert line.startswith(said), line
    assert "Exception" not in line and "internal error" not in line, line


@pytest.mark.parametrize(
    ("spec", "said"),
    [
        ("http://[::1/x", "agent spec: expected http(s)://host[:port]/path (an IPv6 host in [brackets])"),
        ("http://127.0.0.1:0/x", "agent spec: the URL has an invalid port; use a number from 1 to 65535"),
        ("models:/x@", "agent spec 'models:/x@': Registered model alias name cannot be empty"),
    ],
    ids=["unclosed-ipv6", "port-0", "empty-alias"],
)
def test_a_bad_agent_spec_is_one_line(tmp_path: Path, spec: str, said: str) -> None:
    # an unclosed [ was an internal error (exit 3, "ValueError: Invalid IPv6 URL"); port 0 ran every case into a
    # connection error (exit 1); a models:/ spec with --no-mlflow printed MLflow's INFO lines before the error
    attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    line = one_line_exit_2(attack_gate(tmp_path, "--no-mlflow", "--out", "out", agent=spec))
    assert line.startswith(f"error: {said}"), line


def _canary_logs(root: Path) -> None:
    rows = [
        {"schema_version": SCHEMA_VERSION, "timestamp": f"2026-01-01T00:00:{i:02d}Z", "request_id": f"r{i}",
         "variant": "canary" if i % 2 else "baseline", "latency_ms": 100}
        for i in range(20)
    ]  # fmt: skip
    (root / "logs.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")


def test_a_window_count_over_the_limit_is_shown_whole_not_as_a_phone_number(tmp_path: Path) -> None:
    _canary_logs(tmp_path)
    args = ("canary", "--logs", "logs.jsonl", "--now", "9999-12-31T23:59:59Z", "--no-mlflow", "--out", "c")
    line = one_line_exit_2(gatekit(tmp_path, *args))
    assert "[PHONE_NUMBER]" not in line, line  # the scrubber took a 10-digit count for a phone number
    assert line.startswith("error: --logs: 4,193,917,919 windows between") and "under 200,000" in line, line


def test_watch_refuses_a_since_too_far_back_before_it_starts_watching(tmp_path: Path) -> None:
    _canary_logs(tmp_path)
    args = ("watch", "--logs", "logs.jsonl", "--since", "1970-01-01T00:00:00Z", "--timeout", "3")
    line = one_line_exit_2(gatekit(tmp_path, *args))  # (no "watching ..." banner before it)
    assert line.startswith("error: --since: ") and "windows before --now; keep it under 200,000" in line, line



@pytest.mark.parametrize(
    ("check", "said"),
    [
        (
            "governance.rule.no-secret.false_positive_rate: {max: 5%}",
            "th.yaml: checks.governance.rule.no-secret.false_positive_rate: the policy 'default' has no enabled rule "
            "'no-secret'; did you mean 'no-secrets'?",
        ),
        (
            "pass_k_of_n.3: {min: 90%}",
            "th.yaml: checks.pass_k_of_n.3: no case can pass 3 of --repeat 1 runs; run with --repeat 3 or more, or "
            "lower K",
        ),
    ],
    ids=["rule-typo", "k-over-repeat"],
)
def test_a_check_that_can_never_be_measured_is_refused_before_the_replay(tmp_path: Path, check: str, said: str) -> None:
    # both were "unknown" after the whole replay: a FAIL (exit 1) that a typo in a rule id caused
    attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    (tmp_path / "th.yaml").write_text(f"min_cases: 1\nchecks:\n  {check}\n", encoding="utf-8")
    line = one_line_exit_2(attack_gate(tmp_path, "--no-mlflow", "--out", "out"))
    assert line == f"error: {said}", line
    assert not (tmp_path / "out" / "results.jsonl").exists()  # nothing replayed
