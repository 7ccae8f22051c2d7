"""fix18e: every file a gate run writes is private (0600), not only verdict.json and report.html.

results.jsonl and governance_traces.jsonl hold agent text and case context, yet were written 0644 (the umask's
default) beside a 0600 verdict.json; the output lock was 0644 too. Now each is created 0600, and a run that starts
a file afresh over an earlier run's world-readable one makes it 0600.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from gatekit.fsio import open_private_write

pytestmark = pytest.mark.slow


def _modes(folder: Path) -> dict[str, str]:
    return {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in sorted(folder.iterdir())}


def test_every_file_of_a_demo_run_is_0600(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("results.jsonl", "governance_traces.jsonl"):  # an earlier run's, readable by all
        (out / name).write_text("old\n", encoding="utf-8")
        (out / name).chmod(0o644)
    # a finished run's (its verdict): replaced; an unfinished one's rows would be moved aside (test_newcomer19b)
    (out / "verdict.json").write_text('{"verdict": "pass", "exit_code": 0}\n', encoding="utf-8")
    command = [sys.executable, "-m", "gatekit", "eval", "--out", str(out), "--no-mlflow", "--junit", str(out / "j.xml")]
    proc = subprocess.run(
        command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300, preexec_fn=lambda: os.umask(0o022)
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert _modes(out) == {
        ".gatekit.lock": "0o600",
        "governance_traces.jsonl": "0o600",
        "j.xml": "0o600",
        "replay_state.json": "0o600",
        "report.html": "0o600",
        "results.jsonl": "0o600",
        "verdict.json": "0o600",
    }
    assert "old" not in (out / "results.jsonl").read_text(encoding="utf-8")


def test_appending_keeps_a_chosen_mode_and_creates_0600(tmp_path: Path) -> None:
    kept = tmp_path / "kept.jsonl"
    kept.write_text("a\n", encoding="utf-8")
    kept.chmod(0o640)  # a resumed run's rows: the mode the user chose stays
    with open_private_write(kept, append=True) as handle:
        handle.write("b\n")
    with open_private_write(tmp_path / "new.jsonl", append=True) as handle:
        handle.write("c\n")
    assert kept.read_text(encoding="utf-8") == "a\nb\n"
    assert _modes(tmp_path) == {"kept.jsonl": "0o640", "new.jsonl": "0o600"}
