"""attack18d: a production log gatekit cannot read is one line naming the file and line and what to do.

The first row of a JSON Lines log (read to tell its kind) that was no JSON or not UTF-8 was ``cannot read
(JSONDecodeError: ...); check the file``: a Python exception name, no line. A row DuckDB could not cast ended with DuckDB's advice to its own users ("Try setting
'auto_detect' ... 'ignore_errors' to true"), no flag of gatekit. A FIFO named as the log was "no such file".
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, one_line_exit_2

from gatekit.production.schema import SCHEMA_VERSION

ROWS = [
    json.dumps(
        {
            "schema_version": SCHEMA_VERSION,
            "timestamp": f"2026-01-01T00:00:{i:02d}Z",
            "request_id": f"r{i}",
            "variant": "canary" if i % 2 else "baseline",
            "latency_ms": 100 + i,
        }
    )
    for i in range(20)
]
NOW = ("--now", "2026-01-01T00:05:00Z")


def gatekit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real CLI in ``cwd``, no GATEKIT_* variable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def canary(cwd: Path, logs: str) -> str:
    """The one line of a ``gatekit canary`` refused for its logs."""
    return one_line_exit_2(gatekit(cwd, "canary", "--logs", logs, "--no-mlflow", "--out", "c", *NOW))


def drift(cwd: Path, production: str) -> str:
    """The one line of a ``gatekit drift`` refused for its production logs."""
    (cwd / "ds.jsonl").write_text('{"id": "a", "input": "hi"}\n', encoding="utf-8")
    args = ("drift", "--reference", "ds.jsonl", "--production", production, "--no-mlflow", "--out", "d")
    return one_line_exit_2(gatekit(cwd, *args))


@pytest.mark.parametrize(
    ("content", "said"),
    [
        (b"not json\n", "logs.jsonl:1: invalid JSON (Expecting value at column 1); fix the line"),
        (b"\xe9\xe9\n", "logs.jsonl: not UTF-8 text (invalid continuation byte); save the file as UTF-8"),
        (b"\n" + b"[" * 100_000 + b"]" * 100_000 + b"\n", "logs.jsonl:2: invalid JSON (nested too deeply"),
    ],
    ids=["not-json", "latin-1", "deep"],
)
@pytest.mark.parametrize("command", ["canary", "drift"])
def test_a_first_row_that_cannot_be_read_names_the_file_and_line(
    tmp_path: Path, command: str, content: bytes, said: str
) -> None:
    (tmp_path / "logs.jsonl").write_bytes(content)
    line = (canary if command == "canary" else drift)(tmp_path, "logs.jsonl")
    assert said in line, line
    assert "Error" not in line and "utf-8-sig" not in line, line


def test_a_row_duckdb_cannot_cast_names_its_line_and_no_duckdb_setting(tmp_path: Path) -> None:
    rows = [json.dumps({**json.loads(ROWS[0]), "latency_ms": "fast"}), *ROWS[1:]]
    (tmp_path / "logs.jsonl").write_text("\n".join(rows) + "\n", encoding="utf-8")
    line = canary(tmp_path, "logs.jsonl")
    assert "logs.jsonl" in line and "line 1" in line.replace("logs.jsonl:1", "line 1"), line
    assert "fast" not in line, line  # the value itself is withheld
    assert "auto_detect" not in line and "ignore_errors" not in line, line  # no DuckDB setting as the fix


@pytest.mark.parametrize("command", ["canary", "drift"])
def test_a_fifo_named_as_the_log_is_no_regular_file(tmp_path: Path, command: str) -> None:
    os.mkfifo(tmp_path / "logs.jsonl")
    line = (canary if command == "canary" else drift)(tmp_path, "logs.jsonl")
    assert "logs.jsonl: not a regular file (a FIFO, device or socket)" in line, line


@pytest.mark.parametrize(
    ("logs", "said"),
    [
        ("mlflow:", "error: --logs 'mlflow:': name the experiment, e.g. mlflow:my-agent-prod"),
        ("spark-table:", "error: --logs 'spark-table:': name the table, e.g. spark-table:prod.agent_requests"),
    ],
    ids=["mlflow", "spark-table"],
)
def test_the_canary_names_its_own_flag_for_an_empty_mlflow_or_spark_source(tmp_path: Path, logs: str, said: str) -> None:
    line = one_line_exit_2(gatekit(tmp_path, "canary", "--logs", logs, "--no-mlflow", "--out", "c"))
    assert line == said, line  # it said --production, a flag the canary does not have
