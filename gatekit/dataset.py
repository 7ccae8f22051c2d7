"""Load and validate golden datasets (JSONL, CSV, Parquet).

Validation collects every bad row with its line number and raises one
``DatasetError`` before anything runs; the file's SHA-256 is recorded.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from gatekit.errors import DatasetError
from gatekit.fsio import MAX_DATASET_BYTES, FolderGivenError, decode_utf8, missing_file_hint, read_input_bytes
from gatekit.models import Case

_MAX_LISTED_ERRORS = 20
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
MAX_ID_LENGTH = 256
MAX_NESTING = 64
# The keys a row may have; anything else (a typo such as ``expect``) is refused.
ROW_KEYS = ("id", "input", "expected", "context", "tags", "timestamp", "metadata")
EXPECTED_KEYS = ("tool_calls", "output_contains", "output_not_contains", "governance")
# what ``expected.governance`` may say: the outcome the policy must reach on the case (docs/governance.md)
GOVERNANCE_OUTCOMES = ("allow", "allow_with_redaction", "require_review", "deny")
TOOL_CALL_KEYS = ("name", "arguments")


@dataclass
class Dataset:
    """A validated golden dataset."""

    path: Path
    sha256: str
    cases: list[Case]
    format: str

    def summary(self) -> dict[str, Any]:
        """Return the ``dataset`` block of verdict.json."""
        from gatekit.redact import display_path

        return {"path": display_path(self.path), "sha256": self.sha256, "cases": len(self.cases), "format": self.format}


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
        raise DatasetError(
            f"{path}: dataset file not found; check --dataset or 'dataset:' in gatekit.yaml{missing_file_hint(path)}"
        )
    if path.is_dir():  # (before its format: a folder's "suffix" is no format)
        raise DatasetError(f"{path}: {FolderGivenError(path)}; check --dataset or 'dataset:' in gatekit.yaml")
    fmt = dataset_format(path)
    try:
        raw = read_input_bytes(path, MAX_DATASET_BYTES)
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
        rows = _parquet_rows(path, raw, errors)
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


class _RowProblem(ValueError):
    """A row's JSON that parses but must not be taken: a key written twice, NaN or Infinity."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for key, value in pairs:
        if key in row:
            raise _RowProblem(
                f"key {_show(key)} is written twice in one object; keep one of them (JSON readers would silently "
                "use the last)"
            )
        row[key] = value
    return row


def _no_constant(name: str) -> Any:
    raise _RowProblem(f"{name} is not a JSON number; write a finite number or null")


# a row's JSON, read strictly: a duplicate key or a NaN / Infinity is an error naming the line, not a silent value
_ROW_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys, parse_constant=_no_constant)
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _decode_row(text: str) -> Any:
    r"""``_ROW_DECODER``'s value, refusing a lone surrogate escape (``"\ud800"``): no Unicode text.

    results.jsonl could not be written: the gate ended in an internal error after the whole replay.
    """
    value = _ROW_DECODER.decode(text)
    if _SURROGATE_ESCAPE.search(text):
        try:
            json.dumps(value, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError as exc:
            raise _RowProblem(
                f"a lone surrogate escape (\\u{ord(exc.object[exc.start]):04x}) is no Unicode character; write the "
                "character itself or its pair of escapes"
            ) from None
    return value


def _jsonl_rows(path: Path, raw: bytes, errors: list[str]) -> list[tuple[int, Any]]:
    try:
        text = decode_utf8(raw)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: {exc}") from None
    rows: list[tuple[int, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = _decode_row(line)
        except json.JSONDecodeError as exc:
            errors.append(f"line {number}: invalid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})")
            continue
        except _RowProblem as exc:
            errors.append(f"line {number}: {exc}")
            continue
        except RecursionError:
            errors.append(f"line {number}: JSON nested too deeply (more than {MAX_NESTING} levels)")
            continue
        except ValueError as exc:  # e.g. an integer with more than 4300 digits
            errors.append(f"line {number}: invalid JSON ({str(exc).split(';')[0]})")
            continue
        if _depth(value) > MAX_NESTING:
            errors.append(f"line {number}: JSON nested too deeply (more than {MAX_NESTING} levels)")
            continue
        rows.append((number, value))
    if errors and (not rows or errors[0].startswith("line 1:")):
        _refuse_other_format(path, text, any_rows=bool(rows))
    return rows


def _refuse_other_format(path: Path, text: str, *, any_rows: bool) -> None:
    """A .jsonl file that is plainly another format (CSV, one JSON array) is said to be that, not listed line by line."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    columns = [c.strip().strip('"').lower() for c in first.split(",")]
    if not any_rows and len(columns) > 1 and {"id", "input"} & set(columns):
        raise DatasetError(
            f"{path}:1: this is CSV (header {first[:80]!r}), not JSON lines; name the file .csv, or write each "
            'case as one JSON object per line, e.g. {"id": "c1", "input": "..."}'
        )
    if first.startswith("["):
        raise DatasetError(
            f"{path}:1: this is one JSON array, not JSON lines; write each case as one JSON object on its own line "
            '(e.g. {"id": "c1", "input": "..."}), no enclosing [ ]'
        )


def _depth(value: Any) -> int:
    """Nesting depth of parsed JSON, without recursion (1 for a scalar)."""
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_NESTING:
            return level
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def _maybe_json(value: str) -> Any:
    """A CSV or Parquet cell's JSON value, or the text itself; a duplicate key or NaN raises ``_RowProblem``."""
    stripped = value.strip()
    if stripped[:1] in ("{", "["):
        try:
            parsed = _decode_row(stripped)
        except _RowProblem:
            raise
        except (ValueError, RecursionError):  # JSONDecodeError is a ValueError
            return value
        return parsed if _depth(parsed) <= MAX_NESTING else value
    return value


def _csv_rows(path: Path, raw: bytes, errors: list[str]) -> list[tuple[int, Any]]:
    try:
        text = decode_utf8(raw)
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: {exc}") from None
    # a cell may be as long as a JSON Lines value (csv's default limit of 128 KiB refused a long input)
    csv.field_size_limit(max(csv.field_size_limit(), MAX_DATASET_BYTES))
    # strict: an unterminated quote is an error, not a field that swallows every later row
    reader = csv.DictReader(io.StringIO(text, newline=""), strict=True)
    rows: list[tuple[int, Any]] = []
    line_start = 2
    try:
        header = reader.fieldnames or []
        seen: dict[str, int] = {}
        for column, name in enumerate(header, start=1):
            if name in seen:
                raise DatasetError(
                    f"{path}:1: duplicate column {_show(name)} (columns {seen[name]} and {column}); "
                    "keep one of them — the last would silently win"
                )
            seen[name] = column
            if name not in ROW_KEYS:
                _refuse_other_separator(path, header)
                raise DatasetError(
                    f"{path}:1: unknown column {_show(name)} (column {column}){_meant(name, ROW_KEYS)}; allowed "
                    f"columns: {', '.join(ROW_KEYS)}"
                )
        for record in reader:
            row: dict[str, Any] = {}
            refused = False
            for key, value in record.items():
                if key is None:
                    errors.append(f"line {line_start}: more fields than the header has columns")
                    continue
                if value is None or value == "":
                    continue
                try:
                    parsed = (
                        _maybe_json(value) if key in ("input", "expected", "context", "tags", "metadata") else value
                    )
                except _RowProblem as exc:
                    errors.append(f"line {line_start}: column {_show(key)}: {exc}")
                    refused = True
                    break
                if key == "tags" and isinstance(parsed, str):
                    parsed = [t.strip() for t in parsed.split(",") if t.strip()]
                row[key] = parsed
            if not refused:
                rows.append((line_start, row))
            line_start = reader.line_num + 1
    except csv.Error as exc:
        if "unexpected end of data" in str(exc):
            errors.append(
                f"line {line_start}: unterminated quoted field (the quote runs to the end of the file and "
                "swallows every later row); close the quote"
            )
        else:
            errors.append(f"line {line_start}: invalid CSV ({exc})")
    return rows


def _parquet_rows(path: Path, raw: bytes, errors: list[str]) -> list[tuple[int, Any]]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        # ParquetFile, one thread, no pre-buffering: pq.read_table's dataset reader leaves thread pools that now and
        # then abort the process as it exits ("terminate called without an active exception", exit 134 instead of 2
        # after a refused row: apache/arrow #34314; 37 in 240 gate runs under load); a golden dataset is small
        table = pq.ParquetFile(pa.BufferReader(raw), pre_buffer=False).read(use_threads=False)
    except Exception as exc:  # noqa: BLE001 - any pyarrow failure means an unreadable file
        raise DatasetError(f"{path}: not a readable Parquet file ({type(exc).__name__}: {exc})") from None
    from gatekit.parquet_integrity import verify_parquet

    verify_parquet(path, None, source=pa.BufferReader(raw))  # overwritten pages were read as other values
    table = table.drop([c for c in table.column_names if c.startswith("__index_level_")])  # a pandas index
    for column, name in enumerate(table.column_names, start=1):
        if table.column_names.index(name) != column - 1:
            raise DatasetError(f"{path}: duplicate column {_show(name)} (column {column}); keep one of them")
        if name not in ROW_KEYS:
            raise DatasetError(
                f"{path}: unknown column {_show(name)} (column {column}); allowed columns: {', '.join(ROW_KEYS)}"
            )
    rows: list[tuple[int, Any]] = []
    for index, record in enumerate(table.to_pylist(), start=1):
        row = {}
        try:
            for key, value in record.items():
                if value is None:
                    continue
                row[key] = _maybe_json(value) if isinstance(value, str) and key != "id" else value
        except _RowProblem as exc:
            errors.append(f"row {index}: column {_show(key)}: {exc}")
            continue
        rows.append((index, row))
    return rows


def _validate(rows: list[tuple[int, Any]], errors: list[str], where: str) -> list[Case]:
    cases: list[Case] = []
    first_seen: dict[str, int] = {}
    first_shown: dict[str, tuple[str, int]] = {}  # an id as reports show it -> (the id, its line)
    for number, row in rows:
        if not isinstance(row, dict):
            errors.append(f"{where} {number}: expected a JSON object, got {type(row).__name__}")
            continue
        problems = [
            f"unknown key {_show(key)}{_meant(key, ROW_KEYS)}; allowed keys: {', '.join(ROW_KEYS)}"
            for key in row
            if key not in ROW_KEYS
        ]
        case_id = row.get("id")
        if case_id is None or (isinstance(case_id, str) and not case_id.strip()):
            problems.append("missing 'id'; give every case a unique id")
        elif not isinstance(case_id, str | int) or isinstance(case_id, bool):
            problems.append("'id' must be a string or an integer")
        elif len(case_id := str(case_id)) > MAX_ID_LENGTH:
            problems.append(f"'id' is {len(case_id)} characters long; at most {MAX_ID_LENGTH} are allowed")
        elif found := _sensitive_types(case_id):
            # an id is written as is to every result row, trace, report, CI summary and MLflow run,
            # and is the key baselines and --resume match on: refuse it (never quote it) instead of rewriting it
            problems.append(
                f"'id' holds what looks like {' and '.join(found)}; ids are written to every report, trace and "
                "MLflow run: use an id without secrets or personal data"
            )
        elif case_id in first_seen:
            problems.append(f"duplicate id {case_id!r} (first on {where} {first_seen[case_id]})")
        elif (shown := _shown_id(case_id)) in first_shown:
            other, line = first_shown[shown]
            problems.append(
                f"id {_show(case_id)} is shown the same as id {_show(other)} ({where} {line}) in reports, JUnit "
                "and the step summary (they differ only in Unicode normalisation, spacing or an escaped control "
                "character); make the ids visibly distinct"
            )
        else:
            first_seen[case_id] = number
            first_shown[shown] = (case_id, number)
        if "input" not in row or row["input"] is None or row["input"] == "":
            problems.append("missing 'input'")
        elif not isinstance(row["input"], str | dict | list):
            problems.append("'input' must be a string or an object such as {\"messages\": [...]}")
        context = row.get("context") or {}
        if not isinstance(context, dict):
            problems.append("'context' must be an object")
        expected = row.get("expected")
        problems.extend(expected_problems(expected))
        tags = row.get("tags") or []
        if not isinstance(tags, list):
            problems.append("'tags' must be a list")
        metadata = row.get("metadata")
        if metadata is not None and not isinstance(metadata, dict):
            problems.append("'metadata' must be an object")
        stamp = row.get("timestamp")
        if stamp is not None and not isinstance(stamp, str | date):  # an epoch number: no clock reads it
            problems.append(
                f"'timestamp' must be an ISO 8601 time as text, such as 2026-12-01T10:00:00Z (got {type(stamp).__name__})"
            )
        if problems:
            errors.append(f"{where} {number}: " + "; ".join(problems))
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


def _shown_id(case_id: str) -> str:
    r"""An id as a reader tells it apart: controls escaped as reports show them, NFC, runs of spaces as one.

    ``é`` composed and decomposed, ``a`` and ``a `` , ``a<NUL>`` and the text ``a\x00`` are two keys to
    ``--resume`` and a baseline but one row name to a reviewer of report.html, JUnit or the step summary.
    """
    import unicodedata

    from gatekit.report.text import visible_controls

    return " ".join(unicodedata.normalize("NFC", visible_controls(case_id)).split())


def _sensitive_types(text: str) -> list[str]:
    """The entity types (PII, secrets) the detectors find in ``text``, sorted; [] when none."""
    from gatekit.governance import scan

    return sorted({finding.type for finding in scan(text)})


# names other tools (and habit) give the keys gatekit calls otherwise: a suggestion when the key is one of these
_OTHER_NAMES = {
    "prompt": "input",
    "question": "input",
    "query": "input",
    "expected_output": "expected",
    "expectations": "expected",
    "meta": "metadata",
    "args": "arguments",
    "params": "arguments",
    "parameters": "arguments",
    "tool": "name",
    "tool_name": "name",
}


def _meant(key: Any, known: tuple[str, ...]) -> str:
    """`` (did you mean 'input'?)`` for a key close to a known one (``Input``, ``inputs``, ``prompt``), else ``""``."""
    import difflib

    if not isinstance(key, str):
        return ""
    folded = key.strip().lower()
    if folded in known:
        return f" (did you mean {_show(folded)}? keys are lowercase, without spaces)"
    if _OTHER_NAMES.get(folded) in known:
        return f" (did you mean {_show(_OTHER_NAMES[folded])}?)"
    close = difflib.get_close_matches(folded, known, n=1, cutoff=0.75)
    return f" (did you mean {_show(close[0])}?)" if close else ""


def _refuse_other_separator(path: Path, header: Sequence[str]) -> None:
    """A CSV header in one column that ``;`` or a tab splits into known columns: a spreadsheet's export, said so."""
    if len(header) != 1:
        return
    for separator, name in ((";", "semicolons"), ("\t", "tabs")):
        columns = [part.strip().strip('"') for part in header[0].split(separator)]
        if len(columns) > 1 and {"id", "input"} <= set(columns):
            raise DatasetError(
                f"{path}:1: the columns are separated by {name}, not commas (a spreadsheet's export in some "
                "locales); export it as comma-separated CSV (or save it as .jsonl)"
            )


def _show(key: Any) -> str:
    """A key or value of a bad row as an error message quotes it: scrubbed first, then cut to 60 characters."""
    from gatekit.redact import scrub

    text = scrub(repr(key)) or ""
    return text if len(text) <= 60 else text[:57] + "...'"


_FORMAT_RUNS: re.Pattern[str] | None = None


def _format_runs() -> re.Pattern[str]:
    """Runs of format characters (``Cf``: zero-width space, joiners, soft hyphen, bidi controls, BOM, tags).

    The class is built on first use from the planes that hold any (0, 1 and 14; ~50 ms), so removing them is one C pass.
    """
    global _FORMAT_RUNS
    if _FORMAT_RUNS is None:
        planes = (range(0x10000), range(0x10000, 0x20000), range(0xE0000, 0xE1000))
        ranges: list[list[int]] = []
        for code in (code for plane in planes for code in plane if unicodedata.category(chr(code)) == "Cf"):
            if ranges and ranges[-1][1] == code - 1:
                ranges[-1][1] = code
            else:
                ranges.append([code, code])
        # (as ranges: a class of 163 single characters, some past the BMP, took the engine ~0.6 us per character)
        _FORMAT_RUNS = re.compile("[" + "".join(f"{re.escape(chr(a))}-{re.escape(chr(b))}" for a, b in ranges) + "]+")
    return _FORMAT_RUNS


def fold_text(text: str) -> str:
    """``text`` as ``output_contains`` / ``output_not_contains`` compare it: NFKC, case folded, no format characters.

    ``.lower()`` alone let ``output_not_contains: ["café"]`` pass an output spelling it decomposed (``e`` and a
    combining accent), full-width, with a zero-width space inside or as ``CAFÉ`` in another case mapping (``ß`` /
    ``SS``): a phrase the case forbids was delivered and the case passed.
    """
    if text.isascii():
        return text.lower()  # (NFKC changes no ASCII character; ASCII's case folding is lower())
    text = _format_runs().sub("", unicodedata.normalize("NFKC", text))
    return unicodedata.normalize("NFKC", text.casefold())


def _strings_problem(name: str, value: Any) -> str | None:
    example = '["refund"]'
    if not isinstance(value, list):
        return f"'expected.{name}' must be a list of strings such as {example}, got {type(value).__name__}"
    for item in value:
        if not isinstance(item, str):
            return f"'expected.{name}' must hold only strings, got {type(item).__name__} {_show(item)}"
        if not fold_text(item).strip():  # (zero-width characters alone fold to nothing, which is in every output)
            return f"'expected.{name}' holds an empty string, which matches every output; remove it"
    return None


def expected_problems(expected: Any) -> list[str]:
    """What is wrong with a row's ``expected`` block (empty when it is well formed).

    ``expected`` is an object with only ``tool_calls`` (a list of ``{"name": str,
    "arguments": {...}}``), ``output_contains`` and ``output_not_contains`` (lists of
    non-empty strings) and ``governance`` (the outcome the policy must reach). A string where a list belongs would be matched character by
    character, so shapes are checked before anything runs.
    """
    if expected is None:
        return []
    if not isinstance(expected, dict):
        return ["'expected' must be an object"]
    problems = [
        f"unknown key {_show('expected.' + str(key))}{_meant(key, EXPECTED_KEYS)}; allowed: {', '.join(EXPECTED_KEYS)}"
        for key in expected
        if key not in EXPECTED_KEYS
    ]
    for name in ("output_contains", "output_not_contains"):
        if name in expected and (problem := _strings_problem(name, expected[name])) is not None:
            problems.append(problem)
    if "governance" in expected and expected["governance"] not in GOVERNANCE_OUTCOMES:
        problems.append(
            f"'expected.governance' must be one of {', '.join(GOVERNANCE_OUTCOMES)} (the outcome the policy must "
            f"reach), got {_show(expected['governance'])}"
        )
    calls = expected.get("tool_calls")
    if "tool_calls" not in expected:
        return problems
    if not isinstance(calls, list):
        return [*problems, f"'expected.tool_calls' must be a list of objects, got {type(calls).__name__}"]
    for index, call in enumerate(calls):
        field = f"expected.tool_calls[{index}]"
        if not isinstance(call, dict):
            problems.append(f'\'{field}\' must be an object such as {{"name": "lookup", "arguments": {{}}}}')
            continue
        problems.extend(
            f"unknown key {_show(field + '.' + str(key))}{_meant(key, TOOL_CALL_KEYS)}; allowed: "
            f"{', '.join(TOOL_CALL_KEYS)}"
            for key in call
            if key not in TOOL_CALL_KEYS
        )
        call_name = call.get("name")
        if not isinstance(call_name, str) or not call_name.strip():
            problems.append(f"'{field}.name' must be a non-empty string")
        arguments = call.get("arguments")
        if arguments is not None and not isinstance(arguments, dict):
            problems.append(f"'{field}.arguments' must be an object, got {type(arguments).__name__}")
    return problems


def scores_output(expected: Any) -> bool:
    """True when ``expected`` says something about the response (not only ``governance``)."""
    return isinstance(expected, dict) and any(key != "governance" for key in expected)
