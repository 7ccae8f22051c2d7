"""The one results.jsonl reader: a torn last line is dropped and counted, a bad line elsewhere is exit 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gatekit.errors import DatasetError
from gatekit.replay import read_results
from gatekit.results import parse_results, read_result_rows, read_results_file

ROWS = [{"case_id": "a", "repeat": 0, "ok": True}, {"case_id": "b", "repeat": 0, "ok": False}]
GOOD = "".join(json.dumps(r) + "\n" for r in ROWS)


@pytest.mark.parametrize(
    "tail",
    [
        '{"case_id": "c", "rep',  # cut mid-row
        '{"case_id": "c"}',  # complete JSON but no newline: the write was cut before it
        "{not json\n",  # garbage last line with a newline
        '["case_id"]\n',  # last line not an object
        "{not json\n\n  \n",  # blank lines after the torn line belong to it
    ],
)
def test_torn_last_line_is_dropped_and_counted(tmp_path: Path, tail: str) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(GOOD + tail, encoding="utf-8")
    parsed = read_results_file(path)
    assert [r["case_id"] for r in parsed.rows] == ["a", "b"]
    assert parsed.torn_lines == 1
    assert parsed.torn_bytes == len(tail.encode())
    assert parsed.ends[-1] == len(GOOD.encode())
    # every reader applies the same policy
    assert [r["case_id"] for r in read_result_rows(path)] == ["a", "b"]
    rows, good_bytes, torn = read_results(path)
    assert [r["case_id"] for r in rows] == ["a", "b"] and good_bytes == len(GOOD.encode()) and torn == len(tail)


@pytest.mark.parametrize(
    ("middle", "what"),
    [
        ("{not json\n", "not valid JSON"),
        ('{"ok": true}\n', "case_id"),
        ('{"case_id": "x", "repeat": "two"}\n', "whole number"),
    ],
)
def test_bad_middle_line_names_file_and_line(tmp_path: Path, middle: str, what: str) -> None:
    path = tmp_path / "results.jsonl"
    path.write_text(json.dumps(ROWS[0]) + "\n" + middle + json.dumps(ROWS[1]) + "\n", encoding="utf-8")
    for reader in (read_results_file, read_result_rows, read_results):
        with pytest.raises(DatasetError) as info:
            reader(path)
        assert f"{path}:2:" in str(info.value) and what in str(info.value)
        assert info.value.exit_code == 2


def test_blank_lines_missing_file_and_text_input(tmp_path: Path) -> None:
    assert read_results_file(tmp_path / "missing.jsonl").rows == []
    parsed = parse_results("\n" + GOOD + "\n   \n", "baseline")
    assert [r["case_id"] for r in parsed.rows] == ["a", "b"] and parsed.torn_lines == 0
    assert parse_results(b"").rows == []
    with pytest.raises(DatasetError, match=r"^baseline:1:"):
        parse_results("{x\n" + GOOD, "baseline")


def test_resume_refuses_a_corrupted_middle_line_with_exit_2(tmp_path: Path) -> None:
    """``gatekit eval --resume`` on a results.jsonl edited in the middle: exit 2 naming file and line."""
    from spine_project import make_project, run_cli

    root = make_project(tmp_path / "p", cases=4)
    first = run_cli(root, "eval", env={"CI": "true"})
    assert first.returncode in (0, 1), first.stderr
    results = root / "out" / "results.jsonl"
    lines = results.read_text(encoding="utf-8").splitlines(keepends=True)
    assert len(lines) == 4
    lines[1] = lines[1][: len(lines[1]) // 2] + "\n"  # a row cut in half, not at the end
    results.write_text("".join(lines), encoding="utf-8")
    resumed = run_cli(root, "eval", "--resume", env={"CI": "true"})
    assert resumed.returncode == 2, resumed.stderr
    assert "results.jsonl:2:" in resumed.stderr and "Traceback" not in resumed.stderr
