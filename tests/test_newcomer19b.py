"""The stumbles newcomer19 left, through the real CLI (as in test_newcomer19.py): policy files, --out a file, a rerun
after Ctrl-C, an MLflow tracking store that is down. One line, what to do, exit 2, no traceback; no finished case lost."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT, free_port, one_line_exit_2, serve_http, signal_when
from test_newcomer19 import gatekit, project

SLOW_AGENT = """
import time

def run(case_input, context=None):
    time.sleep(0.15)
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def _policy(root: Path, old: str, new: str, name: str = "policy.yaml") -> Path:
    text = (REPO_ROOT / "policies" / "default.yaml").read_text(encoding="utf-8")
    assert old in text
    path = root / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def test_a_tab_in_a_policy_says_replace_it_with_spaces(tmp_path: Path) -> None:
    _policy(tmp_path, "    kind: tools\n", "\tkind: tools\n")
    line = one_line_exit_2(gatekit(tmp_path, "policy", "check", "policy.yaml"))
    assert "policy.yaml:12: invalid YAML" in line and "replace the tab with spaces" in line, line


def test_a_tab_in_a_policy_test_file_says_replace_it_with_spaces(tmp_path: Path) -> None:
    _policy(tmp_path, "id: default", "id: default")
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "t.yaml").write_text("policy: ../policy.yaml\ntests:\n\t- name: x\n", encoding="utf-8")
    line = one_line_exit_2(gatekit(tmp_path, "policy", "test", "tests"))
    assert "tests/t.yaml" in line and "replace the tab with spaces" in line, line


def test_a_missing_policy_file_is_answered_with_the_file_that_exists(tmp_path: Path) -> None:
    _policy(tmp_path, "id: default", "id: default")
    line = one_line_exit_2(gatekit(tmp_path, "policy", "check", "policy.yml"))
    assert "policy.yml: cannot read policy file" in line and "did you mean policy.yaml?" in line, line
    project(tmp_path / "p")  # the same through gatekit.yaml's policy:
    line = one_line_exit_2(gatekit(tmp_path / "p", "eval", "--no-mlflow", "--policy", "policy.yml"))
    assert "did you mean" in line and "policy.yaml?" in line, line


def test_an_unknown_rule_kind_is_answered_with_the_kind_meant(tmp_path: Path) -> None:
    _policy(tmp_path, "    kind: tools\n", "    kind: tool\n")
    line = one_line_exit_2(gatekit(tmp_path, "policy", "check", "policy.yaml"))
    assert "policy.yaml:11: rules[0]: unknown rule kind 'tool'; did you mean 'tools'?" in line, line
    _policy(tmp_path, "    allow:\n", "    allw:\n")  # (an unknown key in a rule already did)
    line = one_line_exit_2(gatekit(tmp_path, "policy", "check", "policy.yaml"))
    assert "unknown key 'allw'; did you mean 'allow'?" in line, line


def test_policy_test_on_a_missing_path_says_what_to_give(tmp_path: Path) -> None:
    (tmp_path / "policies" / "tests").mkdir(parents=True)
    line = one_line_exit_2(gatekit(tmp_path, "policy", "test", "policies/test"))
    assert "policies/test: no such policy test file or directory" in line, line
    assert "did you mean policies/tests?" in line, line
    line = one_line_exit_2(gatekit(tmp_path, "policy", "test", "elsewhere"))
    assert "give a policy test file or the folder that holds them" in line, line


def test_out_that_is_a_file_is_called_a_file(tmp_path: Path) -> None:
    project(tmp_path)
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow", "--out", "gatekit.yaml"))
    expected = "--out gatekit.yaml: is a file, not a folder; give a folder for the reports (a new one is created)"
    assert line == f"error: {expected}", line
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--no-mlflow", "--out", "gatekit.yaml/run1"))
    assert "--out gatekit.yaml/run1: is inside gatekit.yaml, a file, not a folder" in line, line
    assert "File exists" not in line
    ds = str(REPO_ROOT / "datasets" / "retail_golden.jsonl")  # drift (and canary) write through the same check
    line = one_line_exit_2(gatekit(tmp_path, "drift", "--reference", ds, "--production", ds, "--out", "th.yaml"))
    assert line.startswith("error: --out th.yaml: is a file, not a folder"), line


def _interrupt_mid_replay(root: Path, cases: int) -> bytes:
    """Start ``gatekit eval`` in ``root``, SIGINT it once some cases (not all) are in results.jsonl; its rows."""
    command = [sys.executable, "-m", "gatekit", "eval", "--no-mlflow", "-q"]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_", "GITHUB_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    proc = subprocess.Popen(command, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = root / "reports" / "latest" / "results.jsonl"
    _stdout, stderr = signal_when(proc, lambda: results.exists() and 3 <= results.read_bytes().count(b"\n") < cases)
    assert proc.returncode == 130, stderr
    return results.read_bytes()


@pytest.mark.slow
def test_a_fresh_run_after_ctrl_c_moves_the_finished_cases_aside(tmp_path: Path) -> None:
    """A rerun without --resume truncated results.jsonl: the interrupted run's finished cases were gone. They are
    moved to a folder the one line names, and `--resume --out` that folder finishes that run."""
    cases = 30
    root = project(tmp_path, agent="python:slow19b:run", extra="concurrency: 1\n")
    (root / "slow19b.py").write_text(SLOW_AGENT, encoding="utf-8")
    rows = [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) + "\n" for i in range(cases)]
    (root / "datasets" / "ds.jsonl").write_text("".join(rows), encoding="utf-8")
    finished = _interrupt_mid_replay(root, cases)
    kept = finished[: finished.rfind(b"\n") + 1]
    count = kept.count(b"\n")

    proc = gatekit(root, "eval", "--no-mlflow", "-q", "--concurrency", "8")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (aside,) = (root / "reports" / "latest").glob("interrupted-*")
    moved = f"reports/latest/interrupted-{aside.name.removeprefix('interrupted-')}"
    line = f"reports/latest held an unfinished run ({count} finished cases, no verdict): moved to {moved}; "
    assert line + f"continue it with --resume --out {moved}" in proc.stderr, proc.stderr
    assert (aside / "results.jsonl").read_bytes().startswith(kept)  # every finished row, as it was
    assert (root / "reports" / "latest" / "results.jsonl").read_bytes().count(b"\n") == cases  # the new run's own

    resumed = gatekit(root, "eval", "--no-mlflow", "-q", "--resume", "--out", moved, "--concurrency", "8")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    verdict = json.loads((aside / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["metrics"]["cases"] == cases
    assert (aside / "results.jsonl").read_bytes().count(b"\n") == cases

    again = gatekit(root, "eval", "--no-mlflow", "-q")  # a finished run is replaced as before, nothing moved
    assert again.returncode == 0 and "unfinished" not in again.stderr, again.stderr
    assert len(list((root / "reports" / "latest").glob("interrupted-*"))) == 1


def test_an_unreachable_tracking_server_stops_the_gate_before_the_replay(tmp_path: Path) -> None:
    project(tmp_path)
    uri = f"http://127.0.0.1:{free_port()}"
    started = time.monotonic()
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--tracking-uri", uri))
    assert line.startswith(f"error: MLflow tracking server {uri} is unreachable"), line
    assert "--no-mlflow" in line, line
    assert not (tmp_path / "reports" / "latest" / "results.jsonl").exists()  # no case was replayed
    assert time.monotonic() - started < 30
    line = one_line_exit_2(gatekit(tmp_path, "promote", env={"MLFLOW_TRACKING_URI": uri}))
    assert f"MLflow tracking server {uri} is unreachable" in line, line


def test_a_sqlite_tracking_store_under_a_file_stops_the_gate_before_the_replay(tmp_path: Path) -> None:
    project(tmp_path)
    line = one_line_exit_2(gatekit(tmp_path, "eval", "--tracking-uri", "sqlite:///gatekit.yaml/mlflow.db"))
    assert "MLflow tracking store sqlite:///gatekit.yaml/mlflow.db: gatekit.yaml is not a folder" in line, line
    assert "--no-mlflow" in line, line
    assert not (tmp_path / "reports" / "latest" / "results.jsonl").exists()


def test_the_tracking_check_reaches_a_server_given_with_credentials() -> None:
    """``http://user:pass@host`` is MLflow's basic auth; urllib took ``user:pass@host`` for the host name, so a
    server that is up read "unreachable"."""
    import http.server

    from gatekit.sinks import mlflow as sink

    class Health(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server name
            self.send_response(200 if self.path == "/health" else 404)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    with serve_http(Health) as port:
        sink._check_reachable(f"http://me:s3cret@127.0.0.1:{port}/")  # (when logging) raises if unreachable
        sink.check_tracking_store(f"http://me:s3cret@127.0.0.1:{port}/")  # (before the replay)
        sink.check_tracking_store(f"http://127.0.0.1:{port}")
