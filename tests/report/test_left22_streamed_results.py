"""left22: JUnit and the report's latency chart read results.jsonl one row at a time.

Both read the whole file and parsed every row before looking at any: a run of 100,000 cases with 4 kB responses
(465 MB of results.jsonl) took the process to 1.67 GB for each of them. They now stream it: a bounded memory, the
same bytes written, and the same policy for a torn last line or an edited middle line.
"""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest
from conftest import verdict_data

from gatekit.errors import DatasetError
from gatekit.pipeline.model import Verdict
from gatekit.report.html import _latencies_from_results
from gatekit.report.junit import write_junit
from gatekit.results import iter_result_rows, parse_results

ROWS = 4000
BIG = "x" * 4000  # a long response per row: the file is ~16 MB


def _write_rows(path: Path, n: int = ROWS) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for i in range(n):
            ok = i % 10 != 0
            row = {
                "case_id": f"c{i}",
                "repeat": 0,
                "ok": ok,
                "latency_ms": float(i % 97),
                "error_type": None if ok else "boom",
                "error_message": None if ok else "failed",
                "response": {"output": BIG},
            }
            handle.write(json.dumps(row) + "\n")


def _peak_bytes(call) -> int:  # type: ignore[no-untyped-def]
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_junit_and_the_latency_chart_do_not_hold_the_whole_file(tmp_path: Path) -> None:
    results = tmp_path / "results.jsonl"
    _write_rows(results)
    size = results.stat().st_size
    assert size > 15_000_000
    verdict = Verdict.model_validate(
        {
            **verdict_data(),
            "command": "eval",
            "verdict": "fail",
            "exit_code": 1,
            "candidate": {"spec": "python:m:f"},
            "dataset": {"path": "ds.jsonl", "format": "jsonl", "cases": ROWS, "sha256": "ab" * 32},
            "out_dir": str(tmp_path),
        }
    )
    junit = tmp_path / "j.xml"
    peak_junit = _peak_bytes(lambda: write_junit(verdict, results, junit))
    latencies: list[float] = []
    peak_chart = _peak_bytes(lambda: latencies.extend(_latencies_from_results(results)))
    # read whole, each peaked above the file's size (its bytes, then its parsed rows)
    assert peak_junit < size / 5, (peak_junit, size)
    assert peak_chart < size / 5, (peak_chart, size)
    assert len(latencies) == ROWS - ROWS // 10
    cases = junit.read_text(encoding="utf-8")
    assert cases.count("<testcase ") == ROWS // 10 and 'name="c10"' in cases


@pytest.mark.parametrize(
    "content",
    [
        '{"case_id": "a", "ok": true}\n{"case_id": "b", "ok": false}\n{"case_id": "c", "rep',
        '{"case_id": "a"}\n\r{"case_id": "b"}\n\n  \n{not json\n\n',
        '{"case_id": "a"}\r\n{"case_id": "b"}\r\n{"case_id": "c"}\r\n',
        "",
        "\n\n",
        '{"case_id": "a"}\n{"case_id": "b"}',
    ],
)
def test_streamed_rows_are_the_rows_read_whole(tmp_path: Path, content: str) -> None:
    path = tmp_path / "results.jsonl"
    path.write_bytes(content.encode())
    assert list(iter_result_rows(path)) == parse_results(content).rows


@pytest.mark.parametrize(
    ("content", "line"),
    [
        ('{"case_id": "a"}\n{not json\n{"case_id": "b"}\n', 2),
        ('{"case_id": "a"}\n{"case_id": "b", "ok": "false"}\n', 2),  # a typed field: never a torn line
        ('{"case_id": "a"}\n{"case_id": "x"}\r{"case_id": "b"}\n', 2),  # a lone CR ends a line too
    ],
)
def test_a_bad_line_is_the_same_error_streamed(tmp_path: Path, content: str, line: int) -> None:
    path = tmp_path / "results.jsonl"
    path.write_bytes(content.encode())
    with pytest.raises(DatasetError) as whole:
        parse_results(content, str(path))
    with pytest.raises(DatasetError) as streamed:
        list(iter_result_rows(path))
    assert str(streamed.value) == str(whole.value) and f"{path}:{line}:" in str(streamed.value)


def test_a_folder_or_missing_file(tmp_path: Path) -> None:
    assert list(iter_result_rows(tmp_path / "missing.jsonl")) == []
    with pytest.raises(DatasetError, match="cannot read results"):
        list(iter_result_rows(tmp_path))
