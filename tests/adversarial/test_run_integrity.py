"""Attacks on the integrity of a gate run: resume, shared output folders, failing disks, CI outputs.

Every test runs the real ``gatekit`` CLI (in process through ``run_cli``; a real process where two gates race or a
file-size limit must apply to gatekit alone) on a throwaway project; one
parametrised test per class of attack.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from mlflow_store import seed_store_for_cli
from spine_project import TESTS_DIR, make_project, run_cli

pytestmark = pytest.mark.slow

SLOW_AGENT = "python:agents.replay_agents:counted"  # 4 + 2 tokens per call, sleeps $GATEKIT_TEST_SLEEP_S


def _results(out: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]


def _one_line_error(stderr: str) -> str:
    assert "Traceback" not in stderr, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) >= 1, stderr
    return lines[-1]


# --- 4. --resume with a different run identity ---------------------------------------------------


@pytest.fixture(scope="module")
def finished_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = make_project(tmp_path_factory.mktemp("identity") / "p", cases=4)
    proc = run_cli(root, "eval")
    assert proc.returncode == 0, proc.stderr
    return root


DENY_ALL = 'id: deny-all\nversion: "2"\nrules:\n  - id: no-tokens\n    kind: token_budget\n    per_case:\n'
DENY_ALL += "      total_tokens: 0\n    outcome: deny\n"


@pytest.mark.parametrize(
    ("change", "args", "part"),
    [
        (("policy.yaml", DENY_ALL, "w"), (), "policy"),
        (("thresholds.yaml", "  latency_p99_ms: {max: 600s}\n", "a"), (), "thresholds file"),
        (("pricing.yaml", "  m-other: {input_per_1m: 9.0, output_per_1m: 9.0}\n", "a"), (), "pricing file"),
        (None, ("--agent", "python:spine_agents:async_with_context"), "agent"),
        (None, ("--repeat", "2"), "--repeat"),
        (None, ("--sample", "2"), "--sample"),
    ],
    ids=["policy", "thresholds", "pricing", "agent", "repeat", "sample"],
)
def test_resume_refuses_a_changed_run_identity(
    finished_project: Path, tmp_path: Path, change: tuple[str, str, str] | None, args: tuple[str, ...], part: str
) -> None:
    root = tmp_path / "p"
    shutil.copytree(finished_project, root)
    before = (root / "out" / "results.jsonl").read_bytes()
    if change is not None:
        name, text, mode = change
        with open(root / name, mode, encoding="utf-8") as handle:
            handle.write(text)
    proc = run_cli(root, "eval", "--resume", *args)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    line = _one_line_error(proc.stderr)
    assert f"different {part}" in line and "fresh --out" in line and "--resume" in line, line
    assert (root / "out" / "results.jsonl").read_bytes() == before  # nothing was touched


def test_run_identity_never_stores_the_raw_agent_spec(finished_project: Path) -> None:
    state = (finished_project / "out" / "replay_state.json").read_text(encoding="utf-8")
    assert "spine_agents" not in state  # a spec (URL, headers) may hold credentials: only its hash
    identity = json.loads(state)["identity"]
    assert identity["policy"]["id"] == "test-policy" and len(identity["agent_sha256"]) == 64


# --- 5. a resumed run decides exactly as an uninterrupted one ------------------------------------

BUDGET = (
    'id: budget\nversion: "1"\nrules:\n  - id: per-user\n    kind: token_budget\n'
    "    per_user_per_minute: 100\n    outcome: deny\n"
)
BUDGET_AND_STOP = BUDGET + "  - id: stop\n    kind: emergency_stop\n    when: deny_count >= 20\n"
DENY_AND_STOP = (
    'id: stop\nversion: "1"\nrules:\n  - id: tiny\n    kind: token_budget\n    per_case:\n      total_tokens: 5\n'
    "    outcome: deny\n  - id: stop\n    kind: emergency_stop\n    when: deny_count >= 5\n"
)


def _one_user_project(root: Path, policy: str) -> Path:
    rows = [
        {
            "id": f"c{i:02d}",
            "input": f"q{i}",
            "context": {"user": "u1"},
            "timestamp": f"2026-11-02T09:00:{i:02d}Z",
        }
        for i in range(60)
    ]
    make_project(root, agent=SLOW_AGENT, rows=rows)
    (root / "policy.yaml").write_text(policy, encoding="utf-8")
    (root / "thresholds.yaml").write_text("checks:\n  governance.deny_count: {max: 0}\n", encoding="utf-8")
    return root


def _decisions(out: Path) -> list[tuple[str, int, str]]:
    return [(r["case_id"], r["repeat"], r["decision"]["outcome"]) for r in _results(out)]


def _same_verdict(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert a["verdict"] == b["verdict"] and a["exit_code"] == b["exit_code"]
    assert a["metrics"]["cases"] == b["metrics"]["cases"]
    assert a["governance"]["outcomes"] == b["governance"]["outcomes"]
    assert a["governance"]["stop_reason"] == b["governance"]["stop_reason"]
    assert [(c["name"], c["status"], c["value"]) for c in a["checks"]] == [
        (c["name"], c["status"], c["value"]) for c in b["checks"]
    ]


@pytest.mark.parametrize(
    ("policy", "interrupt"),
    [(BUDGET, "deadline"), (BUDGET_AND_STOP, "deadline"), (DENY_AND_STOP, "emergency_stop")],
    ids=["token-budget-after-deadline", "budget-and-stop-after-deadline", "resume-a-stopped-run"],
)
def test_resumed_run_decides_like_an_uninterrupted_one(tmp_path: Path, policy: str, interrupt: str) -> None:
    root = _one_user_project(tmp_path / "p", policy)
    env = {"GATEKIT_TEST_SLEEP_S": "0.05", "CI": "true"}  # every run --no-mlflow: the decisions are the subject
    full = run_cli(root, "eval", "--out", "full", "--concurrency", "2", "--no-mlflow", env=env)
    assert full.returncode == 1, full.stderr
    if interrupt == "deadline":
        cut = run_cli(root, "eval", "--concurrency", "2", "--deadline", "1", "--no-mlflow", env=env)
        assert cut.returncode in (1, 4), cut.stderr  # cut short: never a pass
        done = len(_results(root / "out"))
        assert 0 < done < 60
    else:
        stopped = run_cli(root, "eval", "--concurrency", "2", "--no-mlflow", env=env)
        assert stopped.returncode == 1, stopped.stderr
    calls = tmp_path / "calls.log"
    resumed = run_cli(
        root, "eval", "--resume", "--concurrency", "2", "--no-mlflow", env={**env, "GATEKIT_TEST_CALL_LOG": str(calls)}
    )
    assert resumed.returncode == full.returncode, resumed.stderr
    assert _decisions(root / "out") == _decisions(root / "full")
    verdict = json.loads((root / "out" / "verdict.json").read_text())
    _same_verdict(verdict, json.loads((root / "full" / "verdict.json").read_text()))
    if interrupt == "emergency_stop":
        assert verdict["governance"]["stop_reason"] and not calls.exists()  # the stop holds: no case ran


# --- 6. two gates on one output folder; a failing disk ------------------------------------------


def _start(root: Path, *args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    full_env = dict(os.environ)
    full_env.pop("MLFLOW_TRACKING_URI", None)
    full_env["PYTHONPATH"] = str(TESTS_DIR) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env)
    seed_store_for_cli(root, ("eval", *args), env)  # a migrated empty store: the process skips MLflow's migrations
    return subprocess.Popen(
        [sys.executable, "-m", "gatekit", "eval", *args],
        cwd=root,
        env=full_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _hold_lock_then_die(lock: Path) -> None:
    """A process takes the folder lock the way gatekit does and is killed: the lock is stale."""
    code = (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT);"
        'fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b\'{"pid": 1, "host": "gone"}\');'
        "print('locked', flush=True); time.sleep(60)"
    )
    proc = subprocess.Popen([sys.executable, "-c", code, str(lock)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)


@pytest.mark.parametrize("second", ["concurrent-gate", "stale-lock-of-a-dead-run"])
def test_one_gate_per_output_folder(tmp_path: Path, second: str) -> None:
    root = make_project(tmp_path / "p", agent=SLOW_AGENT, cases=40)
    env = {"GATEKIT_TEST_SLEEP_S": "0.1", "CI": "true"}
    if second == "stale-lock-of-a-dead-run":
        (root / "out").mkdir()
        _hold_lock_then_die(root / "out" / ".gatekit.lock")
        proc = run_cli(root, "eval", env=env)
        assert proc.returncode == 0, proc.stderr  # the dead holder's lock is taken over
        assert len(_results(root / "out")) == 40
        return
    # the race is the subject, not MLflow: the first gate skips it, and after its first two cases it waits for the
    # test (GATEKIT_TEST_HOLD_FILE) so it surely holds the folder while the second gate tries, however loaded the machine
    release = tmp_path / "release"
    hold = {**env, "GATEKIT_TEST_HOLD_FILE": str(release)}
    first = _start(root, "--concurrency", "2", "--timeout", "90", "--no-mlflow", env=hold)  # (cases wait for it)
    deadline = time.monotonic() + 60
    results = root / "out" / "results.jsonl"
    while not (results.exists() and results.read_bytes().count(b"\n") >= 2):
        assert time.monotonic() < deadline and first.poll() is None, "the first gate did not start"
        time.sleep(0.05)
    try:
        other = run_cli(root, "eval", "--concurrency", "2", env=env)
    finally:
        release.touch()
    out, err = first.communicate(timeout=120)
    assert other.returncode == 2, other.stdout + other.stderr
    line = _one_line_error(other.stderr)
    assert "another gatekit run" in line and f"pid {first.pid}" in line, line
    assert first.returncode == 0, err
    rows = _results(root / "out")  # every line parses: no interleaved writes
    assert sorted(r["case_id"] for r in rows) == sorted(f"c{i}" for i in range(40))


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG
    resource.setrlimit(resource.RLIMIT_FSIZE, (3000, 3000))


def test_a_full_disk_never_leaves_a_half_written_verdict_and_is_published(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", cases=3)
    assert run_cli(root, "eval").returncode == 0
    good = (root / "out" / "verdict.json").read_text()
    outputs, summary = tmp_path / "outputs.txt", tmp_path / "summary.md"
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    env["PYTHONPATH"] = str(TESTS_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    env.update({"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(summary)})
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "eval"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
        preexec_fn=_limit_file_size,  # noqa: PLW1509 - the file-size limit must apply to the child only
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr
    # attack19c: a file that cannot be written is named as such (it was "internal error: OSError ...")
    assert "--out out: cannot write the run's files (File too large" in _one_line_error(proc.stderr)
    # no half-written verdict; nor the earlier run's (removed when this run started: attack17's stale PASS)
    verdict = root / "out" / "verdict.json"
    # fix18a: what is left is the failing did-not-finish verdict written before the replay (whole JSON, exit 3)
    left = json.loads(verdict.read_text()) if verdict.exists() else None
    assert good and (left is None or (left["verdict"], left["exit_code"]) == ("fail", 3)), left
    assert not [p.name for p in (root / "out").iterdir() if p.name.endswith(".tmp")]
    # 20: an internal error is published like any other outcome
    assert any(line.startswith("::error") for line in proc.stdout.splitlines()), proc.stdout
    assert "exit_code=3" in outputs.read_text().splitlines()


# --- 17. CI outputs and saved files that cannot be written or read -------------------------------


@pytest.mark.parametrize(
    ("attack", "code"),
    [("junit-is-a-directory", 2), ("junit-on-a-full-disk", 3), ("report-of-a-minimal-verdict", 2)]
    + [("traces-of-a-binary-file", 2)],
)
def test_output_and_input_failures_are_one_line_with_the_documented_exit_code(
    tmp_path: Path, attack: str, code: int
) -> None:
    root = make_project(tmp_path / "p", cases=2)
    outputs = tmp_path / "outputs.txt"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(outputs), "GITHUB_STEP_SUMMARY": str(tmp_path / "s.md")}
    if attack.startswith("junit"):
        target = "/dev/full" if attack == "junit-on-a-full-disk" else str(tmp_path)
        if attack == "junit-on-a-full-disk" and not os.path.exists("/dev/full"):
            pytest.skip("no /dev/full here")
        proc = run_cli(root, "eval", "--junit", target, env=env)
        verdict = json.loads((root / "out" / "verdict.json").read_text())
        assert verdict["verdict"] == "pass"  # the verdict files written before stay
        written = outputs.read_text().splitlines()
        assert f"exit_code={code}" in written and "verdict=pass" in written  # step outputs still written
    elif attack == "report-of-a-minimal-verdict":
        (tmp_path / "verdict.json").write_text('{"verdict": "pass"}')
        proc = run_cli(root, "report", str(tmp_path / "verdict.json"))
    else:
        (tmp_path / "traces.jsonl").write_bytes(bytes(range(128, 256)) * 4 + b"\n")
        proc = run_cli(root, "traces", str(tmp_path / "traces.jsonl"))
    assert proc.returncode == code, proc.stdout + proc.stderr
    assert _one_line_error(proc.stderr).startswith("error:")


# --- 19. drift: production names reach stdout and the step summary -------------------------------

HOSTILE_NAMES = {
    "add-mask": "x\n::add-mask::leaked",
    "stop-commands": "::stop-commands::tok",
    "fence-breakout": "```\n# Heading\n[link](http://evil.example)\n![img](http://evil.example/i.png)",
    "terminal-escape": "\x1b]8;;http://evil.example\x07click\x1b]8;;\x07",
}


@pytest.mark.parametrize("name", list(HOSTILE_NAMES.values()), ids=list(HOSTILE_NAMES))
def test_drift_escapes_production_names(tmp_path: Path, name: str) -> None:
    reference = "".join(
        json.dumps({"id": f"r{i}", "input": "q", "context": {"tool": "search"}}) + "\n" for i in range(20)
    )
    production = "".join(
        json.dumps({"id": f"p{i}", "input": "q", "context": {"tool": "search" if i < 5 else name}}) + "\n"
        for i in range(25)
    )
    (tmp_path / "ref.jsonl").write_text(reference)
    (tmp_path / "prod.jsonl").write_text(production)
    summary = tmp_path / "summary.md"
    proc = run_cli(
        tmp_path,
        "drift",
        "--reference", "ref.jsonl", "--production", "prod.jsonl", "--categorical", "context.tool",
        "--no-mlflow", "--out", "o",
        env={"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)},
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    for line in proc.stdout.splitlines():
        assert not line.lstrip().startswith("::"), line  # no workflow command
    assert "\x1b" not in proc.stdout and "::" not in proc.stdout
    text = summary.read_text()
    assert text.startswith("## gatekit drift")
    assert [line for line in text.splitlines() if line.startswith("#")] == [text.splitlines()[0]]
    assert "```" not in text and "](" not in text and "\x1b" not in text
