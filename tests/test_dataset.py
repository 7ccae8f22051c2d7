"""Golden dataset loading: formats, hashing, and every validation error with its line."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from gatekit.dataset import load_dataset
from gatekit.errors import DatasetError


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_jsonl_loads_cases_and_records_sha256(tmp_path: Path) -> None:
    text = (
        '{"id": "a", "input": "hi", "tags": ["x"]}\n\n{"id": 2, "input": {"messages": []}, "context": {"env": "p"}}\n'
    )
    path = write(tmp_path / "d.jsonl", text)
    ds = load_dataset(path)
    assert [c.id for c in ds.cases] == ["a", "2"]
    assert ds.cases[1].context == {"env": "p"}
    assert ds.cases[1].line == 3
    assert ds.sha256 == hashlib.sha256(text.encode()).hexdigest()


def test_every_bad_row_is_reported_with_its_line_in_one_message(tmp_path: Path) -> None:
    lines = [
        '{"id": "a", "input": "ok"}',  # 1 fine
        '{"id": "b", "input": "x"',  # 2 bad JSON
        '{"input": "no id"}',  # 3 missing id
        '{"id": "a", "input": "dup"}',  # 4 duplicate of line 1
        '{"id": "c"}',  # 5 missing input
        '["not", "an", "object"]',  # 6 not an object
    ]
    path = write(tmp_path / "bad.jsonl", "\n".join(lines) + "\n")
    with pytest.raises(DatasetError) as info:
        load_dataset(path)
    msg = str(info.value)
    assert "\n" not in msg
    assert str(path) in msg
    assert "line 2: invalid JSON" in msg
    assert "line 3: missing 'id'" in msg
    assert "line 4: duplicate id 'a' (first on line 1)" in msg
    assert "line 5: missing 'input'" in msg
    assert "line 6: expected a JSON object" in msg
    assert "5 problems" in msg


def test_csv_with_json_cells_and_line_numbers(tmp_path: Path) -> None:
    text = 'id,input,context,tags\nr1,"{""messages"": [{""role"": ""user"", ""content"": ""hi""}]}","{""env"": ""prod""}","a,b"\nr2,,,\n'
    path = write(tmp_path / "d.csv", text)
    with pytest.raises(DatasetError, match=r"line 3: missing 'input'"):
        load_dataset(path)
    write(path, text.replace("r2,,,", "r2,plain text,,"))
    ds = load_dataset(path)
    assert ds.cases[0].input == {"messages": [{"role": "user", "content": "hi"}]}
    assert ds.cases[0].context == {"env": "prod"}
    assert ds.cases[0].tags == ["a", "b"]
    assert ds.cases[1].input == "plain text"


def test_parquet_rows(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["p1", "p2", "p1"], "input": ["a", json.dumps({"messages": []}), "c"]})
    path = tmp_path / "d.parquet"
    pq.write_table(table, path)
    with pytest.raises(DatasetError, match=r"row 3: duplicate id 'p1' \(first on row 1\)"):
        load_dataset(path)


def test_missing_file_and_unknown_format(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="dataset file not found"):
        load_dataset(tmp_path / "nope.jsonl")
    with pytest.raises(DatasetError, match="unknown dataset format"):
        load_dataset(write(tmp_path / "d.txt", "x"))
    with pytest.raises(DatasetError, match="no cases"):
        load_dataset(write(tmp_path / "empty.jsonl", "\n"))


def test_bundled_demo_dataset_is_valid(repo_root: Path) -> None:
    ds = load_dataset(repo_root / "datasets" / "retail_golden.jsonl")
    assert len(ds.cases) >= 50
