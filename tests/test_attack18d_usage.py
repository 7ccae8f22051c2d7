"""attack18d: a command-line usage error (bad value, unknown or misspelt option, missing option) is one line, exit 2.

It was the parser's framed panel: a usage line, a "Try ... --help" line and a box of four or more lines.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, one_line_exit_2


def gatekit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in ``cwd``, no GATEKIT_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["eval", "--concurrency", "abc"], "Invalid value for '--concurrency'"),
        (["eval", "--seed", "1e99"], "Invalid value for '--seed'"),
        (["eval", "--concurency", "3"], "No such option: --concurency (Possible options: --concurrency)"),
        (["canary", "--stage", "abc", "--logs", "x.jsonl"], "Invalid value for '--stage'"),
        (["canary"], "Missing option '--logs'"),
        (["report"], "Missing argument 'VERDICT_PATH'"),
        (["eval", "stray"], "unexpected extra argument(s) (stray)"),
        (["evaluate"], "No such command 'evaluate'"),
    ],
    ids=["int", "seed", "typo", "float", "missing-option", "missing-argument", "extra", "command"],
)
def test_a_usage_error_is_one_line_naming_the_flag_and_the_help(tmp_path: Path, args: list[str], said: str) -> None:
    line = one_line_exit_2(gatekit(tmp_path, *args))
    assert line.startswith("error: ") and said in line, line
    command = " ".join(a for a in args[:1] if a in ("eval", "canary", "report"))
    assert line.endswith(f"gatekit{' ' + command if command else ''} --help'"), line
    assert "╭" not in line and "Usage:" not in line


def test_a_control_character_in_a_bad_value_is_shown_escaped(tmp_path: Path) -> None:
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--evil\x1b[2J"))  # the unknown option is quoted back
    assert "\x1b" not in line and "\\x1b" in line, line


def test_no_arguments_still_print_the_help_and_a_run_still_exits_with_its_code(tmp_path: Path) -> None:
    alone = gatekit(tmp_path)
    assert alone.returncode == 2 and "Usage:" in alone.stdout and "eval" in alone.stdout
    group = gatekit(tmp_path, "policy")
    assert group.returncode == 2 and "check" in group.stdout and "test" in group.stdout
    version = gatekit(tmp_path, "--version")
    assert version.returncode == 0 and version.stdout.startswith("gatekit ")
    help_text = gatekit(tmp_path, "eval", "--help")
    assert help_text.returncode == 0 and "--dataset" in help_text.stdout and not help_text.stderr
    (tmp_path / "p.yaml").write_text("id: x\n", encoding="utf-8")
    invalid = gatekit(tmp_path, "policy", "check", "p.yaml")  # a command's own exit code passes through
    assert invalid.returncode == 2 and len(invalid.stderr.splitlines()) == 1
    valid = gatekit(tmp_path, "policy", "check", str(REPO_ROOT / "policies" / "default.yaml"))
    assert valid.returncode == 0, (valid.stdout, valid.stderr)


@pytest.mark.parametrize("flag", ["--dataset", "--thresholds", "--policy", "--out", "--junit"])
def test_an_empty_path_flag_is_refused_not_read_as_the_current_folder(tmp_path: Path, flag: str) -> None:
    # `--out "$OUT"` with OUT unset wrote verdict.json, report.html and results.jsonl into the working folder
    line = one_line_exit_2(gatekit(tmp_path, "eval", flag, ""))
    assert line == f"error: {flag} '': empty path; give one (is a variable in the command unset?)", line
    assert not list(tmp_path.iterdir())


def test_an_empty_path_in_gatekit_yaml_names_its_line(tmp_path: Path) -> None:
    (tmp_path / "gatekit.yaml").write_text("agent: python:x:run\nout: ''\n", encoding="utf-8")
    line = one_line_exit_2(gatekit(tmp_path, "eval"))
    assert line == "error: gatekit.yaml:2: out: empty path; give one or remove the key", line


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["canary", "--logs", "x.jsonl", "--out", ""], "--out"),
        (["canary", "--logs", "x.jsonl", "--rules", ""], "--rules"),
        (["watch", "--logs", "", "--timeout", "1"], "--logs"),
        (["drift", "--reference", "x.jsonl", "--production", "y.jsonl", "--out", ""], "--out"),
    ],
    ids=["canary-out", "canary-rules", "watch-logs", "drift-out"],
)
def test_an_empty_path_of_canary_watch_drift_is_refused(tmp_path: Path, args: list[str], flag: str) -> None:
    # canary/drift --out "" wrote their reports into the working folder; watch --logs "" watched nothing until HOLD
    line = one_line_exit_2(gatekit(tmp_path, *args))
    assert line == f"error: {flag} '': empty path; give one (is a variable in the command unset?)", line
    assert not list(tmp_path.iterdir())


def test_policy_test_of_an_empty_path_is_refused_not_run_on_the_working_folder(tmp_path: Path) -> None:
    (tmp_path / "notes.yaml").write_text("a: 1\n", encoding="utf-8")
    line = one_line_exit_2(gatekit(tmp_path, "policy", "test", ""))
    assert line == "error: '': empty path; name the folder (or file) of policy tests", line
