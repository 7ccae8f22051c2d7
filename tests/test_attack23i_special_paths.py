"""attack23i: paths that are no ordinary file, given to any command, are refused in one line (exit 2).

- A path too long for the file system (a name over 255 bytes, a path over 4,096) made ``Path.exists()`` raise:
  an internal error (exit 3) quoting the whole path, in every command but ``policy check``.
- A line break in a file's name split the one error line in two (``report``, ``policy check``, ``canary --rules``,
  the ``watch`` banner): the second half started a line of its own (``::error::`` there is a workflow command).
- ``watch --logs`` a FIFO or a device watched nothing until its timeout (exit 4, "no rows read").
- ``report --out`` / ``--junit`` naming a FIFO or a device replaced it with a regular file (``report --out
  /dev/null`` run as root replaced the system's /dev/null); a FIFO for ``--junit`` now says "pass a writable file
  path" (exit 2), not "check the disk" (exit 3).
- ``eval --production`` a FIFO replayed every case, then failed the drift check (exit 1): now refused before the
  replay.

Every test runs the real CLI in a subprocess, with a timeout.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_gate, attack_project, one_line_exit_2

BOUND_S = 120  # a hang guard only: each command takes a second or two
ROLLOUT = REPO_ROOT / "gatekit" / "scaffold" / "thresholds" / "rollout.yaml"


def gatekit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in ``cwd`` (no GATEKIT_* variable), bounded in time."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{cwd}"
    command = [sys.executable, "-m", "gatekit", *args]
    return subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=BOUND_S, stdin=subprocess.DEVNULL
    )


def verdict_file(tmp_path: Path) -> Path:
    """A real verdict.json: one ``eval`` of a one-case project."""
    attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    proc = attack_gate(tmp_path, "--no-mlflow", "--out", "out", "-q")
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "out" / "verdict.json"


TOO_LONG = "x" * 300 + ".yaml"  # one name over 255 bytes: ENAMETOOLONG


@pytest.mark.parametrize(
    "args",
    [
        ["eval", "--no-mlflow", "--config", TOO_LONG],
        ["report", TOO_LONG],
        ["traces", TOO_LONG],
        ["policy", "test", TOO_LONG],
        ["drift", "--no-mlflow", "--reference", TOO_LONG, "--production", "p.jsonl"],
        ["canary", "--no-mlflow", "--logs", TOO_LONG],
    ],
    ids=["eval-config", "report", "traces", "policy-test", "drift", "canary"],
)
def test_a_path_too_long_is_bad_input_naming_it_shortened(tmp_path: Path, args: list[str]) -> None:
    line = one_line_exit_2(gatekit(tmp_path, *args))
    assert "the path is too long" in line, line
    assert "internal error" not in line and "OSError" not in line, line
    assert "xxxxxxxxxx" in line and "(305 characters)" in line and len(line) < 400, line  # named, shortened


def test_a_folder_path_over_path_max_is_bad_input(tmp_path: Path) -> None:
    attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    deep = "a/" * 2500 + "ds.jsonl"  # 5,008 characters: over PATH_MAX, every name short
    line = one_line_exit_2(attack_gate(tmp_path, "--no-mlflow", "--dataset", deep))
    assert "the path is too long" in line and "(5,008 characters)" in line, line


BROKEN = "bad\n::error::x\x1b[31m.yaml"  # a line break, a workflow command and an ANSI escape in one name


def _each_line_escaped(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    for line in lines:
        assert not line.startswith("::error::x"), stderr  # the name's second half never starts a line
        assert "\x1b" not in line, stderr
    return lines


@pytest.mark.parametrize("command", ["policy-check", "report", "canary-rules"])
def test_a_line_break_in_a_file_name_stays_in_one_error_line(tmp_path: Path, command: str) -> None:
    (tmp_path / BROKEN).write_text("a: 1\n", encoding="utf-8")
    (tmp_path / "logs.jsonl").write_text("", encoding="utf-8")
    args = {
        "policy-check": ["policy", "check", BROKEN],
        "report": ["report", BROKEN],
        "canary-rules": ["canary", "--no-mlflow", "--logs", "logs.jsonl", "--rules", BROKEN],
    }[command]
    proc = gatekit(tmp_path, *args)
    line = one_line_exit_2(proc)
    _each_line_escaped(proc.stderr)
    assert "bad\\n::error::x\\x1b[31m.yaml" in line, line


def test_the_watch_banner_shows_a_line_break_in_the_log_name_escaped(tmp_path: Path) -> None:
    name = "logs\n::error::x.jsonl"  # not there yet: the watch waits for it (and holds at --timeout 0)
    proc = gatekit(tmp_path, "watch", "--logs", name, "--rules", str(ROLLOUT), "--timeout", "0")
    assert proc.returncode == 4, (proc.returncode, proc.stderr)
    lines = _each_line_escaped(proc.stderr)
    assert lines[0].startswith("watching logs\\n::error::x.jsonl: "), lines


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_watch_refuses_a_fifo_or_a_device_at_once(tmp_path: Path, kind: str) -> None:
    logs = tmp_path / "logs.jsonl"
    if kind == "fifo":
        os.mkfifo(logs)
    else:
        logs.symlink_to("/dev/zero")
    # (the old watch held until the timeout: exit 4, "no rows read")
    proc = gatekit(tmp_path, "watch", "--logs", "logs.jsonl", "--rules", str(ROLLOUT), "--timeout", "3")
    line = one_line_exit_2(proc)
    assert line.startswith("error: --logs logs.jsonl: not a regular file (a FIFO, device or socket)"), line


def _device_or_skip(path: Path) -> None:
    """A character device (the null device's numbers) at ``path``; skipped where ``mknod`` is not allowed."""
    try:
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except (PermissionError, AttributeError):
        pytest.skip("creating a device node needs root (CAP_MKNOD)")


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_report_out_never_replaces_a_fifo_or_a_device(tmp_path: Path, kind: str) -> None:
    verdict = verdict_file(tmp_path)
    target = tmp_path / "report.html"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        _device_or_skip(target)
    line = one_line_exit_2(gatekit(tmp_path, "report", str(verdict), "--out", "report.html"))
    assert "report.html: cannot write the report" in line and "not a regular file" in line, line
    mode = os.lstat(target).st_mode
    still = stat.S_ISFIFO(mode) if kind == "fifo" else stat.S_ISCHR(mode)
    assert still, oct(mode)  # still what it was


def test_junit_to_a_fifo_is_refused_as_a_bad_path_and_the_fifo_stays(tmp_path: Path) -> None:
    attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    os.mkfifo(tmp_path / "junit.xml")
    proc = attack_gate(tmp_path, "--no-mlflow", "--out", "out", "-q", "--junit", "junit.xml")
    assert proc.returncode == 2, (proc.returncode, proc.stderr)  # was exit 0: the FIFO replaced by the XML
    assert "Traceback" not in proc.stderr
    assert "cannot write the JUnit XML (a FIFO (named pipe), not a regular file" in proc.stderr, proc.stderr
    assert "pass a writable file path" in proc.stderr, proc.stderr
    assert stat.S_ISFIFO(os.lstat(tmp_path / "junit.xml").st_mode)
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["exit_code"] == 2 and verdict["verdict"] == "pass", verdict  # the results are kept


def test_eval_production_a_fifo_is_refused_before_the_replay(tmp_path: Path) -> None:
    attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
    os.mkfifo(tmp_path / "prod.jsonl")
    proc = attack_gate(tmp_path, "--no-mlflow", "--out", "out", "-q", "--production", "prod.jsonl")
    line = one_line_exit_2(proc)  # was exit 1 after the whole replay: "drift check failed: ... not a regular file"
    assert line.startswith("error: --production prod.jsonl: not a regular file (a FIFO, device or socket)"), line
    assert not (tmp_path / "out" / "results.jsonl").exists()  # no case was replayed


POLICY = str(REPO_ROOT / "policies" / "default.yaml")
GUARD = ["guard", "serve", "--upstream", "http://127.0.0.1:9/v1", "--policy", POLICY]


@pytest.mark.parametrize("flag", ["--upstream-timeout", "--read-timeout", "--idle-timeout"])
def test_guard_refuses_an_infinite_timeout(tmp_path: Path, flag: str) -> None:
    # (inf was taken: the proxy served, and a client or an upstream that never finished held its slot for ever)
    line = one_line_exit_2(gatekit(tmp_path, *GUARD, "--port", "0", flag, "inf"))
    assert line == f"error: {flag}: must be a finite number of seconds > 0", line


@pytest.mark.parametrize("flag", ["--log-to", "--trace-to"])
def test_guard_log_path_too_long_is_named_not_a_listen_error(tmp_path: Path, flag: str) -> None:
    line = one_line_exit_2(gatekit(tmp_path, *GUARD, "--port", "0", flag, "y" * 300 + ".jsonl"))
    assert line.startswith(f"error: {flag} yyyyyyyy"), line  # was "cannot listen on 127.0.0.1:0: File name too long"
    assert "the path is too long" in line and "listen" not in line, line


def test_an_unknown_schema_name_is_shown_cut(tmp_path: Path) -> None:
    line = one_line_exit_2(gatekit(tmp_path, "schema", "z" * 10_000))
    assert f"'{'z' * 57}...'" in line and len(line) < 200, line  # the whole argument was echoed


HUGE = "9" * 5000  # over Python's 4,300-digit int() conversion limit


@pytest.mark.parametrize("kind", ["policy", "rules", "config"])
def test_a_yaml_integer_of_5000_digits_is_bad_input_naming_its_line(tmp_path: Path, kind: str) -> None:
    (tmp_path / "logs.jsonl").write_text("", encoding="utf-8")
    text, args = {
        "policy": (f"id: p\nversion: '1'\nrules: []\nx: {HUGE}\n", ["policy", "check", "f.yaml"]),
        "rules": (f"window: {HUGE}\n", ["canary", "--no-mlflow", "--logs", "logs.jsonl", "--rules", "f.yaml"]),
        "config": (f"timeout: 5\nconcurrency: {HUGE}\n", ["eval", "--no-mlflow", "--config", "f.yaml"]),
    }[kind]
    (tmp_path / "f.yaml").write_text(text, encoding="utf-8")
    line = one_line_exit_2(gatekit(tmp_path, *args))  # was an internal error (exit 3): ValueError of int()
    where = {"policy": 4, "rules": 1, "config": 2}[kind]
    assert line.startswith(f"error: f.yaml:{where}: invalid YAML: a number of 5,000 characters is too long"), line


def test_the_demo_agent_answers_a_one_megabyte_case_within_its_timeout(tmp_path: Path) -> None:
    # its e-mail pattern rescanned from every letter (quadratic, in C, holding the GIL): a 1 MB case ran for hours
    # and the gate's --timeout never fired; the demo gate (gatekit.yaml) hung on one long line
    attack_project(tmp_path, ['{"id": "a", "input": "' + "x" * (1 << 20) + '"}', '{"id": "b", "input": "hi"}'])
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{tmp_path}"
    args = ["eval", "--dataset", "ds.jsonl", "--agent", "python:examples.demo_agent:run", "--thresholds", "th.yaml"]
    args += ["--policy", str(REPO_ROOT / "policies" / "default.yaml"), "--no-mlflow", "--out", "out", "--timeout", "10"]
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=90
    )
    assert proc.returncode in (0, 1), (proc.returncode, proc.stderr)
    rows = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {row["case_id"]: row["ok"] for row in rows} == {"a": True, "b": True}, rows  # answered, not timed out


def test_policy_test_of_a_fifo_says_what_it_is(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "tests.yaml")
    line = one_line_exit_2(gatekit(tmp_path, "policy", "test", "tests.yaml"))
    assert line.startswith("error: tests.yaml: a FIFO (named pipe), not a policy test file"), line  # was "no such"


def test_drift_reference_results_a_folder_or_a_fifo_says_what_it_is(tmp_path: Path) -> None:
    rows = "".join(f'{{"id": "c{i}", "input": "hello {i}"}}\n' for i in range(30))
    (tmp_path / "ref.jsonl").write_text(rows, encoding="utf-8")
    (tmp_path / "folder.jsonl").mkdir()
    os.mkfifo(tmp_path / "fifo.jsonl")
    base = ["drift", "--no-mlflow", "--reference", "ref.jsonl", "--production", "ref.jsonl", "--out", "d"]
    for name, kind in (("folder.jsonl", "a folder, not a file"), ("fifo.jsonl", "a FIFO (named pipe)")):
        line = one_line_exit_2(gatekit(tmp_path, *base, "--reference-results", name))
        assert line.startswith(f"error: {name}: cannot read results ({kind}"), line  # was "no such file"


@pytest.mark.parametrize("command", ["rollback", "eval"])
def test_a_sqlite_store_that_is_a_folder_is_refused_at_once(tmp_path: Path, command: str) -> None:
    # MLflow retried for two minutes (a multi-line SQLAlchemy warning each time), then exit 3; the gate after its replay
    (tmp_path / "store.db").mkdir()
    uri = f"sqlite:///{tmp_path / 'store.db'}"
    if command == "rollback":
        args = ["rollback", "--model", "m", "--tracking-uri", uri]
    else:
        attack_project(tmp_path, ['{"id": "a", "input": "hi"}'])
        args = ["eval", "--dataset", "ds.jsonl", "--agent", "python:agent16:run", "--thresholds", "th.yaml"]
        args += ["--policy", POLICY, "--out", "out", "--tracking-uri", uri]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{tmp_path}"
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    line = one_line_exit_2(proc)
    assert f"{tmp_path / 'store.db'} is a directory, not a database file" in line, line
    assert not (tmp_path / "out" / "results.jsonl").exists()  # (eval: refused before the replay)
