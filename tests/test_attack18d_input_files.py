"""attack18d: a file a command reads that is no regular file, or too large to read whole, is refused at once.

A FIFO named as the dataset, thresholds, policy, rollout rules, verdict.json or traces file made the command wait
for a writer forever; ``/dev/zero`` (a symlink to it with the right suffix) read until the memory ran out. Now each
is one line naming the file, exit 2, within seconds. The driver runs the real CLI in a subprocess.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ATTACK_AGENT, REPO_ROOT, one_line_exit_2

POLICY = REPO_ROOT / "policies" / "default.yaml"
ROLLOUT = REPO_ROOT / "gatekit" / "scaffold" / "thresholds" / "rollout.yaml"
BOUND_S = 30.0  # generous for a loaded machine; the refusals take well under a second
EXCEPTION_NAME = re.compile(r"\b[A-Z][A-Za-z]*(Error|Exception)\b")


def gatekit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in ``cwd`` (no GATEKIT_* variable), bounded in time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{cwd}"
    command = [sys.executable, "-m", "gatekit", *args]
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=BOUND_S * 4, stdin=subprocess.DEVNULL
    )


def refused(proc: subprocess.CompletedProcess[str], name: str) -> str:
    """The one stderr line of a refusal (exit 2, no traceback, no exception class name) naming ``name``."""
    line = one_line_exit_2(proc)
    assert name in line, line
    assert not EXCEPTION_NAME.search(line), line
    return line


def project(root: Path) -> Path:
    """A one-answer agent, a one-case dataset and lenient thresholds in ``root``."""
    (root / "agent16.py").write_text(ATTACK_AGENT, encoding="utf-8")
    (root / "ds.jsonl").write_text('{"id": "a", "input": "hi"}\n', encoding="utf-8")
    (root / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    return root


def eval_args(dataset: str = "ds.jsonl", thresholds: str = "th.yaml") -> list[str]:
    """``gatekit eval`` of ``project``'s files, with one of them replaced."""
    return ["eval", "--dataset", dataset, "--agent", "python:agent16:run", "--thresholds", thresholds]


def _command(kind: str, name: str) -> list[str]:
    if kind == "dataset":
        return [*eval_args(dataset=name), "--policy", str(POLICY), "--no-mlflow", "--out", "out"]
    if kind == "thresholds":
        return [*eval_args(thresholds=name), "--policy", str(POLICY), "--no-mlflow", "--out", "out"]
    if kind == "config":
        return ["eval", "-c", name]
    if kind == "policy-check":
        return ["policy", "check", name]
    if kind == "policy-eval":
        return [*eval_args(), "--policy", name, "--no-mlflow", "--out", "out"]
    if kind == "rules":
        return ["canary", "--logs", "logs.jsonl", "--rules", name, "--no-mlflow", "--out", "c"]
    if kind == "report":
        return ["report", name]
    assert kind == "traces"
    return ["traces", name]


KINDS = {
    "dataset": "x.jsonl",
    "thresholds": "x.yaml",
    "config": "x.yaml",
    "policy-check": "x.yaml",
    "policy-eval": "x.yaml",
    "rules": "x.yaml",
    "report": "verdict.json",
    "traces": "governance_traces.jsonl",
}


@pytest.mark.parametrize("special", ["fifo", "dev-zero"])
@pytest.mark.parametrize("kind", list(KINDS))
def test_a_fifo_or_a_device_is_refused_at_once(tmp_path: Path, kind: str, special: str) -> None:
    project(tmp_path)
    (tmp_path / "logs.jsonl").write_text("", encoding="utf-8")
    name = KINDS[kind]
    if special == "fifo":
        os.mkfifo(tmp_path / name)  # no writer ever comes: a blocking open would wait forever
    else:
        (tmp_path / name).symlink_to("/dev/zero")  # endless bytes: an unbounded read fills the memory
    started = time.monotonic()
    line = refused(gatekit(tmp_path, *_command(kind, name)), name)
    assert time.monotonic() - started < BOUND_S
    assert ("FIFO" if special == "fifo" else "device") in line and "not a regular file" in line, line


@pytest.mark.parametrize(("kind", "size"), [("dataset", (1 << 30) + 1), ("thresholds", (1 << 20) + 1)])
def test_a_file_over_the_bound_is_refused_before_it_is_read(tmp_path: Path, kind: str, size: int) -> None:
    project(tmp_path)
    name = KINDS[kind]
    with open(tmp_path / name, "wb") as handle:
        handle.truncate(size)  # sparse: no disk used, and never read (the size alone refuses it)
    started = time.monotonic()
    line = refused(gatekit(tmp_path, *_command(kind, name)), name)
    assert time.monotonic() - started < BOUND_S
    assert f"holds {size:,} bytes, over the {(size - 1) >> 20:,} MiB read whole" in line, line


def test_a_directory_is_still_named_as_one(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "x.yaml").mkdir()
    line = refused(gatekit(tmp_path, *_command("policy-check", "x.yaml")), "x.yaml")
    assert "a folder, not a file" in line


def test_a_regular_file_with_a_bom_and_crlf_still_reads(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "ds.jsonl").write_bytes(b'\xef\xbb\xbf{"id": "a", "input": "hi"}\r\n')
    (tmp_path / "th.yaml").write_bytes(b"\xef\xbb\xbfmin_cases: 1\r\nchecks:\r\n  error_rate: {max: 10%}\r\n")
    proc = gatekit(tmp_path, *_command("dataset", "ds.jsonl"))
    assert proc.returncode == 0, (proc.stdout, proc.stderr)


def test_a_traces_line_nested_past_the_parser_is_exit_2_not_an_internal_error(tmp_path: Path) -> None:
    (tmp_path / "t.jsonl").write_text("[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    line = refused(gatekit(tmp_path, "traces", "t.jsonl"), "t.jsonl:1")
    assert "nested too deeply" in line


def test_a_misspelt_expected_outcome_in_a_policy_test_is_a_bad_file_not_a_failed_test(tmp_path: Path) -> None:
    test = f"policy: {POLICY}\ntests:\n  - name: plain\n    response: {{output: hi}}\n    expect: {{outcome: alow}}\n"
    (tmp_path / "t_test.yaml").write_text(test, encoding="utf-8")
    line = refused(gatekit(tmp_path, "policy", "test", "t_test.yaml"), "t_test.yaml")
    assert "expect.outcome 'alow' is no outcome; use one of allow, allow_with_redaction" in line, line
    (tmp_path / "t_test.yaml").write_text(test.replace("alow", "allow"), encoding="utf-8")
    passed = gatekit(tmp_path, "policy", "test", "t_test.yaml")
    assert passed.returncode == 0 and "1 passed, 0 failed" in passed.stdout, (passed.stdout, passed.stderr)


def test_junit_at_the_root_folder_is_a_bad_path_and_the_verdict_is_kept(tmp_path: Path) -> None:
    project(tmp_path)
    proc = gatekit(tmp_path, *_command("dataset", "ds.jsonl"), "--junit", "/")
    assert proc.returncode == 2, (proc.stdout, proc.stderr)  # was 3 "check the disk": renaming onto / is EBUSY
    assert "--junit /: cannot write the JUnit XML" in proc.stderr and "pass a writable file path" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert (tmp_path / "out" / "verdict.json").is_file() and (tmp_path / "out" / "results.jsonl").is_file()


def test_init_with_a_fifo_as_gitignore_is_refused_not_waited_on(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / ".gitignore")
    line = refused(gatekit(tmp_path, "init", "."), ".gitignore")
    assert "FIFO" in line and "fix or remove it and rerun" in line, line
    assert (tmp_path / "gatekit.yaml").is_file()  # what was scaffolded before it stays


def test_a_csv_cell_longer_than_128_kib_is_read_like_a_long_jsonl_value(tmp_path: Path) -> None:
    project(tmp_path)
    (tmp_path / "ds.csv").write_text("id,input\na," + "x" * 200_000 + "\n", encoding="utf-8")  # was "field limit"
    proc = gatekit(tmp_path, *_command("dataset", "ds.csv"))
    assert proc.returncode == 0, (proc.stdout, proc.stderr)


@pytest.mark.parametrize(
    ("row", "said"),
    [
        ('{"id": "a", "input": "h\x00i"}', "line 1: invalid JSON (Invalid control character at column 24)"),
        ('{"id": "a", "input": "hi}', "line 1: invalid JSON (Unterminated string starting at column 22)"),
    ],
    ids=["control", "unterminated"],
)
def test_a_json_error_reads_at_column_once(tmp_path: Path, row: str, said: str) -> None:
    project(tmp_path)
    (tmp_path / "x.jsonl").write_text(row + "\n", encoding="utf-8")
    line = refused(gatekit(tmp_path, *_command("dataset", "x.jsonl")), "x.jsonl")
    assert said in line and "at at" not in line, line


def test_a_misspelt_policy_test_key_lists_the_keys_allowed(tmp_path: Path) -> None:
    test = f"policy: {POLICY}\ntests:\n  - name: plain\n    respnse: {{output: hi}}\n    expect: {{outcome: allow}}\n"
    (tmp_path / "t_test.yaml").write_text(test, encoding="utf-8")
    line = refused(gatekit(tmp_path, "policy", "test", "t_test.yaml"), "t_test.yaml")
    assert "test 'plain': unknown key(s) ['respnse']; use name, case, response, expect, steps, expect_stop" in line
