"""Load and validate golden datasets (JSONL, CSV, Parquet).

Validation collects every bad row with its line number and raises one
``DatasetError`` before anything runs; the file's SHA-256 is recorded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatekit.errors import DatasetError
from gatekit.models import Case

_MAX_LISTED_ERRORS = 20
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")


@dataclass
class Dataset:
    """A validated golden dataset."""

    path: Path
    sha256: str
    cases: list[Case]
    format: str

    def summary(self) -> dict[str, Any]:
        """Return the ``dataset`` block of verdict.json."""
        return {"path": str(self.path), "sha256": self.sha256, "cases": len(self.cases), "format": self.format}


def dataset_format(path: Path) -> str:
    """Return ``jsonl``, ``csv`` or ``parquet`` from the file name, or raise DatasetError."""
    suffix = path.suffix.lower()
    if suffix in JSONL_SUFFIXES:
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    if suffix in (".parquet", ".pq"):
        return "parquet"
    raise DatasetError(f"{path}: unknown dataset format {suffix!r}; use .jsonl, .csv or .parquet")


def load_dataset(path: Path | str) -> Dataset:
    """Read, validate and hash a golden dataset."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"{path}: dataset file not found; check --dataset or 'dataset:' in gatekit.yaml")
    fmt = dataset_format(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read dataset: {exc}") from None
    sha256 = hashlib.sha256(raw).hexdigest()
    errors: list[str] = []
    if fmt == "jsonl":
        rows = _jsonl_rows(path, raw, errors)
        where = "line"
    elif fmt == "csv":
        rows = _csv_rows(path, raw, errors)
        where = "line"
    else:
        rows = _parquet_rows(path, raw)
        where = "row"
    cases = _validate(rows, errors, where)
    if not cases and not errors:
        errors.append("the dataset has no cases")
    if errors:
        shown = errors[:_MAX_LISTED_ERRORS]
        more = len(errors) - len(shown)
        tail = f"; and {more} more" if more else ""
        noun = "problem" if len(errors) == 1 else "problems"
        raise DatasetError(f"{path}: {len(errors)} {noun}: " + "; ".join(shown) + tail + "; fix them and run again")
    return Dataset(path=path, sha256=sha256, cases=cases, format=fmt)


def _jsonl_rows(path: Path, raw: bytes, errors: list[str]) -> list[tuple[int, Any]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append((number, json.loads(line)))
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: invalid JSON ({exc.msg} at column {exc.colno})")
    return rows


def _maybe_json(value: str) -> Any:
    stripped = value.strip()
    if stripped[:1] in ("{", "["):
        try:
            return json.loads(stripped)
        except json.JSONDecodeError:
            return value
    return value


def _csv_rows(path: Path, raw: bytes, errors: list[str]) -> list[tuple[int, Any]]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    rows: list[tuple[int, Any]] = []
    line_start = 2
    try:
        for record in reader:
            row: dict[str, Any] = {}
            for key, value in record.items():
                if key is None or value is None or value == "":
                    continue
                parsed = _maybe_json(value) if key in ("input", "expected", "context", "tags") else value
                if key == "tags" and isinstance(parsed, str):
                    parsed = [t.strip() for t in parsed.split(",") if t.strip()]
                row[key] = parsed
            rows.append((line_start, row))
            line_start = reader.line_num + 1
    except csv.Error as exc:
        errors.append(f"line {reader.line_num}: invalid CSV ({exc})")
    return rows


def _parquet_rows(path: Path, raw: bytes) -> list[tuple[int, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        table = pq.read_table(pa.BufferReader(raw))
    except Exception as exc:  # noqa: BLE001 - any pyarrow failure means an unreadable file
        raise DatasetError(f"{path}: not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    rows: list[tuple[int, Any]] = []
    for index, record in enumerate(table.to_pylist(), start=1):
        row = {}
        for key, value in record.items():
            if value is None:
                continue
            row[key] = _maybe_json(value) if isinstance(value, str) and key != "id" else value
        rows.append((index, row))
    return rows


def _validate(rows: list[tuple[int, Any]], errors: list[str], where: str) -> list[Case]:
    cases: list[Case] = []
    first_seen: dict[str, int] = {}
    for number, row in rows:
        if not isinstance(row, dict):
            errors.append(f"{where} {number}: expected a JSON object, got {type(row).__name__}")
            continue
        problems = []
        case_id = row.get("id")
        if case_id is None or (isinstance(case_id, str) and not case_id.strip()):
            problems.append("missing 'id'")
        elif not isinstance(case_id, str | int) or isinstance(case_id, bool):
            problems.append("'id' must be a string or an integer")
        else:
            case_id = str(case_id)
            if case_id in first_seen:
                problems.append(f"duplicate id {case_id!r} (first on {where} {first_seen[case_id]})")
            else:
                first_seen[case_id] = number
        if "input" not in row or row["input"] is None or row["input"] == "":
            problems.append("missing 'input'")
        elif not isinstance(row["input"], str | dict | list):
            problems.append("'input' must be a string or an object such as {\"messages\": [...]}")
        context = row.get("context") or {}
        if not isinstance(context, dict):
            problems.append("'context' must be an object")
        expected = row.get("expected")
        if expected is not None and not isinstance(expected, dict):
            problems.append("'expected' must be an object")
        tags = row.get("tags") or []
        if not isinstance(tags, list):
            problems.append("'tags' must be a list")
        if problems:
            errors.append(f"{where} {number}: " + ", ".join(problems))
            continue
        timestamp = row.get("timestamp")
        cases.append(
            Case(
                id=str(case_id),
                input=row["input"],
                expected=expected,
                context=context,
                tags=[str(t) for t in tags],
                timestamp=None if timestamp is None else str(timestamp),
                line=number,
            )
        )
    return cases


def input_text(case_input: Any) -> str:
    """Return the text of an input: the string itself, or the joined message contents."""
    if isinstance(case_input, str):
        return case_input
    if isinstance(case_input, dict):
        messages = case_input.get("messages")
        if isinstance(messages, list):
            return "\n".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
        return json.dumps(case_input, ensure_ascii=False)
    return json.dumps(case_input, ensure_ascii=False)
