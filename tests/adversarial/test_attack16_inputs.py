"""attack16: a dataset row's JSON that the gate took silently: a key written twice, NaN or Infinity."""

from __future__ import annotations

import pytest
from conftest import attack_gate as _gate
from conftest import attack_project as _project
from conftest import one_line_exit_2 as _one_line_exit_2


@pytest.mark.parametrize(
    ("row", "words"),
    [
        # the author's expectation is silently replaced by the second copy: refused instead
        ('{"id": "a", "input": "x", "expected": {"output_contains": ["ok"]}, "expected": {}}', "'expected'"),
        ('{"id": "a", "input": "x", "context": {"role": "admin", "role": "customer"}}', "'role'"),
        ('{"id": "a", "input": "x", "context": {"score": NaN}}', "NaN"),
        (
            '{"id": "a", "input": "x", "expected": {"tool_calls": [{"name": "t", "arguments": {"n": Infinity}}]}}',
            "Infinity",
        ),
    ],
)
def test_a_jsonl_row_with_a_duplicate_key_or_a_non_finite_number_is_refused_by_line(tmp_path, row, words) -> None:
    cwd = _project(tmp_path, ['{"id": "fine", "input": "y"}', row])
    line = _one_line_exit_2(_gate(cwd, "--no-mlflow"))
    assert "ds.jsonl" in line and "line 2" in line and words in line, line
    assert not (cwd / "reports" / "latest" / "verdict.json").exists()


def test_a_duplicate_key_inside_a_csv_json_cell_is_refused(tmp_path) -> None:
    cwd = _project(tmp_path, [])
    (cwd / "ds.csv").write_text(
        'id,input,context\na,hello,"{""role"": ""admin"", ""role"": ""customer""}"\n', encoding="utf-8"
    )
    proc = _gate(cwd, "--no-mlflow", "--dataset", "ds.csv")
    line = _one_line_exit_2(proc)
    assert "ds.csv" in line and "line 2" in line and "'role'" in line, line


def test_a_non_finite_number_inside_a_parquet_json_cell_is_refused(tmp_path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    cwd = _project(tmp_path, [])
    table = pa.table({"id": ["a", "b"], "input": ["x", "y"], "context": ['{"role": "admin"}', '{"score": -Infinity}']})
    pq.write_table(table, cwd / "ds.parquet")
    line = _one_line_exit_2(_gate(cwd, "--no-mlflow", "--dataset", "ds.parquet"))
    assert "ds.parquet" in line and "row 2" in line and "Infinity" in line, line


@pytest.mark.parametrize("stamp", ["1765000000", "1765000000.5", "true", "[2026, 12, 1]", '{"t": 1}'])
def test_a_timestamp_that_is_not_text_is_refused_by_line(tmp_path, stamp) -> None:
    # an epoch number was kept as the text "1765000000", which no clock reads: budgets and tool rates on the
    # virtual clock then skipped the case ("not evaluated: no timestamp") instead of saying the row was wrong
    second = '{"id": "b", "input": "x", "timestamp": ' + stamp + "}"
    cwd = _project(tmp_path, ['{"id": "a", "input": "x", "timestamp": "2026-12-01T10:00:00Z"}', second])
    line = _one_line_exit_2(_gate(cwd, "--no-mlflow"))
    assert "ds.jsonl" in line and "line 2" in line and "'timestamp'" in line and "ISO 8601" in line, line
