"""attack18d: ``--resume`` over a results.jsonl or replay_state.json that is no readable file: exit 2, rows kept.

A results.jsonl that was a folder was an internal error (exit 3, IsADirectoryError); a FIFO made the resume wait for
a writer forever; a line nested past the parser was an internal error (RecursionError); a line that was no JSON was
named "not valid JSON (JSONDecodeError)". A replay_state.json that is a FIFO hung the resume too.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project, one_line_exit_2


def _finished(root: Path) -> list[str]:
    """``attack_project`` in ``root`` run once to the end; its results.jsonl lines."""
    attack_project(root, [json.dumps({"id": f"c{i}", "input": f"q{i}"}) for i in range(4)])
    done = attack_gate(root, "--no-mlflow", "--out", "out")
    assert done.returncode == 0, (done.stdout, done.stderr)
    return (root / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize(
    ("middle", "said"),
    [
        ("garbage", "results.jsonl:2: not valid JSON (Expecting value at column 1)"),
        ("[" * 100_000, "results.jsonl:2: not valid JSON (nested too deeply"),
    ],
    ids=["not-json", "deep"],
)
def test_a_bad_middle_line_names_the_line_and_keeps_the_file(tmp_path: Path, middle: str, said: str) -> None:
    lines = _finished(tmp_path)
    results = tmp_path / "out" / "results.jsonl"
    edited = "\n".join([lines[0], middle, *lines[1:]]) + "\n"
    results.write_text(edited, encoding="utf-8")
    line = one_line_exit_2(attack_gate(tmp_path, "--no-mlflow", "--out", "out", "--resume"))
    assert said in line and "Error" not in line, line
    assert results.read_text(encoding="utf-8") == edited  # nothing cut, nothing lost


@pytest.mark.parametrize("kind", ["folder", "fifo"])
def test_a_results_file_that_is_a_folder_or_a_fifo_is_exit_2_at_once(tmp_path: Path, kind: str) -> None:
    _finished(tmp_path)
    results = tmp_path / "out" / "results.jsonl"
    results.unlink()
    results.mkdir() if kind == "folder" else os.mkfifo(results)
    started = time.monotonic()
    line = one_line_exit_2(attack_gate(tmp_path, "--no-mlflow", "--out", "out", "--resume"))
    assert time.monotonic() - started < 30
    assert "out/results.jsonl: cannot read results (" in line and "internal error" not in line, line
    assert ("a folder, not a file" if kind == "folder" else "FIFO") in line, line


def test_a_replay_state_that_is_a_fifo_is_unreadable_not_waited_on(tmp_path: Path) -> None:
    lines = _finished(tmp_path)
    state = tmp_path / "out" / "replay_state.json"
    state.unlink()
    os.mkfifo(state)
    line = one_line_exit_2(attack_gate(tmp_path, "--no-mlflow", "--out", "out", "--resume"))
    assert "replay_state.json is missing or unreadable" in line, line
    assert (tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines() == lines
