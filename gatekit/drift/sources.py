"""Find production-log / dataset files and read them in bounded batches, only the columns needed.

Parquet goes through pyarrow with column projection, CSV through pyarrow's streaming
reader (every column read as text, so one odd value never aborts a 10-million-row
read), JSON Lines in chunks of lines. A batch carries either an Arrow table or a
list of Python rows; features read whichever it has.
"""

from __future__ import annotations

import glob
import gzip
import json
import math
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from gatekit.errors import ConfigError, DatasetError
from gatekit.production.schema import NUMBER_TEXT
from gatekit.rfc3339 import from_rfc3339

JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonl.gz", ".ndjson.gz", ".json.gz")
PARQUET_SUFFIXES = (".parquet", ".pq")
CSV_SUFFIXES = (".csv", ".csv.gz")
SUPPORTED = JSONL_SUFFIXES + PARQUET_SUFFIXES + CSV_SUFFIXES
# a log file renamed by rotation (logrotate's ``.1``, ``.2.gz``, ``-20260528``) or compressed in a way not read:
# part of the same log, so skipping it would judge only the rest (a canary's bad first hour rotated away)
ROTATED = re.compile(r"\.(jsonl|ndjson|json|csv|parquet|pq)([.-][0-9][0-9T:_.-]*)?(\.(gz|bz2|xz|zst|zip|lz4))?$", re.I)

BATCH_ROWS = 131_072
JSONL_CHUNK_LINES = 20_000
JSONL_CHUNK_CHARS = 32 << 20  # a chunk is cut at this much text too: 20,000 rows of 1 MB each were 20 GB in memory
# a line of a JSON Lines or CSV file: DuckDB's JSON reader takes objects of at most 16 MB (its CSV reader here too)
MAX_LINE_CHARS = 16 << 20
# a JSON Lines row nested deeper is refused: orjson 3.8 crashed the process (segfault) on 100,000 nested objects, and
# a value nested past Python's recursion limit failed where it was written as a category (an internal error)
MAX_NESTING = 256

ABSENT: Any = object()  # a path that does not exist in a row (distinct from an explicit null)


def _loads_factory() -> Any:
    try:
        import orjson  # optional: 3-5x faster JSON parsing when installed

        return orjson.loads
    except ImportError:  # pragma: no cover - depends on the environment
        return json.loads


def _parse_line(loads: Any, line: str) -> Any:
    """Parse one JSONL line; NaN / Infinity (not JSON, but written by many loggers) are read as floats.

    orjson refuses them, so such a line is parsed again with ``json.loads``; the
    non-finite values are then counted as missing, with a warning. A line that may nest deeper than
    ``MAX_NESTING`` (it has more brackets) is parsed by ``json.loads`` and its depth checked:
    ``RecursionError`` when it is deeper (the caller refuses the line).
    """
    if line.count("{") + line.count("[") > MAX_NESTING:
        row = json.loads(line)  # (RecursionError past Python's limit)
        if nesting(row) > MAX_NESTING:
            raise RecursionError(f"nested deeper than {MAX_NESTING} levels")
        return row
    try:
        return loads(line)
    except ValueError:
        if loads is json.loads:
            raise
        return json.loads(line)


def nesting(value: Any) -> int:
    """How deep lists and objects nest in a parsed JSON value (a scalar: 0), counted without recursion.

    Stops counting once past ``MAX_NESTING``.
    """
    deepest = 0
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, depth)
        if deepest > MAX_NESTING:
            break
        stack.extend((child, depth + 1) for child in children)
    return deepest


class LineTooLongError(DatasetError):
    """A line of a JSON Lines or CSV file longer than ``MAX_LINE_CHARS`` (``where``: ``file:line``)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.what = f"a line longer than {MAX_LINE_CHARS:,} characters (16 MiB); a log row is far shorter"
        super().__init__(f"{where}: {self.what}: fix the file (one row per line) or remove that line")


def bounded_lines(handle: Any, path: Any, too_long: list[int] | None = None) -> Iterator[str]:
    """The lines of an open text file, each read with at most ``MAX_LINE_CHARS`` characters held.

    ``for line in handle`` read a line whole, however long: a 300 MB line took 1.1 GB, a 2 GB log without a newline
    would have taken several times its size. A longer line raises ``LineTooLongError`` naming its file and line; with
    ``too_long``, its number is appended there instead and the line is passed over (read piece by piece) and yields
    an empty line in its place.
    """
    number = 0
    while True:
        line = handle.readline(MAX_LINE_CHARS + 1)
        if not line:
            return
        number += 1
        if len(line) > MAX_LINE_CHARS and not line.endswith(("\n", "\r")):
            if too_long is None:
                raise LineTooLongError(f"{path}:{number}")
            too_long.append(number)
            while line and not line.endswith(("\n", "\r")):
                line = handle.readline(MAX_LINE_CHARS + 1)
            line = "\n"
        yield line


def file_format(path: Path) -> str:
    """Return ``jsonl``, ``parquet`` or ``csv`` for a supported file name."""
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return "parquet"
    if name.endswith(CSV_SUFFIXES):
        return "csv"
    if name.endswith(JSONL_SUFFIXES):
        return "jsonl"
    raise DatasetError(f"{path}: unsupported file type; use .jsonl, .parquet or .csv (optionally .gz for text)")


class RotatedLogError(DatasetError):
    """A folder or glob holds a rotated or compressed log that cannot be read (never skipped)."""


class NotRegularFileError(DatasetError):
    """A path that is a FIFO, a device or a socket: the same at every look (``gatekit watch`` does not wait on it)."""


class PathNameError(DatasetError):
    """A file name that is not UTF-8: DuckDB and Spark take paths as UTF-8 text and cannot open it."""


def escaped_name(path: str | Path) -> str:
    r"""``path`` as text UTF-8 can encode: each byte of the name that is not UTF-8 shown as ``\xNN``."""
    text = str(path)
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        try:  # the bytes the file system holds
            return os.fsencode(text).decode("utf-8", "backslashreplace")
        except UnicodeError:  # a lone surrogate that is no escaped byte
            return text.encode("utf-8", "backslashreplace").decode("utf-8")


def check_path_name(path: str | Path, side: str) -> None:
    r"""Refuse a path DuckDB or Spark would open whose name is not UTF-8 (``logs-\xff.jsonl``), naming it escaped.

    Refused rather than read through a link of another name: every message about its rows would name the link.
    Files gatekit reads itself (a golden dataset, results.jsonl, older logs) are read whatever their name.
    """
    shown = escaped_name(path)
    if shown != str(path):
        from gatekit.redact import display_path

        raise PathNameError(
            f"--{side} {display_path(shown)}: the file name is not UTF-8 and cannot be read (DuckDB and Spark open "
            "paths as UTF-8); rename the file to a UTF-8 name"
        )


def resolve_paths(spec: str, side: str) -> list[Path]:
    """Expand a file, folder (recursively) or glob into the sorted list of data files it names."""
    if not spec:
        raise ConfigError(f"--{side}: no path given; pass a file, folder or glob")
    path = Path(spec).expanduser()
    if any(ch in spec for ch in "*?["):
        found = [Path(p) for p in sorted(glob.glob(str(path), recursive=True)) if Path(p).is_file()]
        what = f"glob {spec!r}"
    elif path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith("."))
        what = f"folder {spec}"
    elif path.is_file():
        file_format(path)
        return [path]
    elif path.exists():  # a FIFO would block the engine's read, a device never end
        raise NotRegularFileError(f"--{side} {spec}: not a regular file (a FIFO, device or socket); pass a log file")
    else:
        raise DatasetError(f"--{side} {spec}: no such file, folder or glob; check the path")
    files = [p for p in found if p.name.lower().endswith(SUPPORTED)]
    rotated = [p for p in found if p not in files and ROTATED.search(p.name)]
    if rotated:
        raise RotatedLogError(
            f"--{side}: {what} holds {rotated[0]}, a rotated or compressed log gatekit cannot read (only .jsonl, "
            ".parquet, .csv and .jsonl.gz / .csv.gz are read); rename it to such a name (e.g. "
            "production-1.jsonl.gz) or pass a glob that names only the files to judge"
        )
    if not files:
        raise DatasetError(f"--{side}: {what} holds no .jsonl, .parquet or .csv files; check the path")
    return files


@dataclass
class Batch:
    """Rows of one file: an Arrow table (Parquet, CSV) or Python dicts (JSON Lines)."""

    path: Path
    num_rows: int
    table: Any = None
    rows: list[dict[str, Any]] | None = None
    first_line: int = 1
    _pyrows: list[dict[str, Any]] | None = field(default=None, repr=False)
    cache: dict[str, Any] = field(default_factory=dict, repr=False)

    def columns(self) -> set[str]:
        """Top-level column names present in this batch."""
        if self.table is not None:
            return set(self.table.column_names)
        keys: set[str] = set()
        for row in (self.rows or [])[:1000]:
            keys.update(row)
        return keys

    def python_rows(self) -> list[dict[str, Any]]:
        """Rows as Python dicts (converted once from Arrow when needed)."""
        if self.rows is not None:
            return self.rows
        if self._pyrows is None:
            self._pyrows = self.table.to_pylist() if self.table is not None else [{}] * self.num_rows
        return self._pyrows

    def filter(self, mask: Any) -> Batch:
        """Return the rows where the boolean numpy ``mask`` is true."""
        import numpy as np
        import pyarrow as pa

        kept = int(np.count_nonzero(mask))
        if self.table is not None:
            return Batch(self.path, kept, table=self.table.filter(pa.array(mask)))
        rows = [row for row, keep in zip(self.python_rows(), mask, strict=True) if keep]
        return Batch(self.path, kept, rows=rows, first_line=self.first_line)


def iter_batches(path: Path, wanted: set[str] | None) -> Iterator[Batch]:
    """Yield batches of ``path`` holding (at least) the top-level columns in ``wanted`` (``None``: all)."""
    fmt = file_format(path)
    if fmt == "parquet":
        yield from _parquet_batches(path, wanted)
    elif fmt == "csv":
        yield from _csv_batches(path, wanted)
    else:
        yield from _jsonl_batches(path)


def _parquet_batches(path: Path, wanted: set[str] | None) -> Iterator[Batch]:
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        pfile = pq.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise DatasetError(f"{path}: not a readable Parquet file ({exc}); check the file") from None
    names = pfile.schema_arrow.names
    columns = names if wanted is None else [n for n in names if n in wanted]
    from gatekit.parquet_integrity import verify_parquet

    verify_parquet(path, columns)  # overwritten pages were read as other values (NaN, numbers out of range)
    if not columns:
        rows = pfile.metadata.num_rows
        if rows:
            yield Batch(path, rows, table=pa.table({}).append_column("__n", pa.nulls(rows)).drop(["__n"]))
        return
    try:
        for record_batch in pfile.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            if record_batch.num_rows:
                yield Batch(path, record_batch.num_rows, table=pa.Table.from_batches([record_batch]))
    except pa.ArrowException as exc:
        raise DatasetError(f"{path}: cannot read Parquet data ({exc}); check the file") from None


def _open_text(path: Path) -> Any:
    # utf-8-sig: a UTF-8 byte order mark (Excel's "CSV UTF-8", PowerShell) is not part of the first column or line
    if path.name.lower().endswith(".gz"):
        return gzip.open(path, "rt", encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")  # noqa: SIM115 - caller closes


def _csv_batches(path: Path, wanted: set[str] | None) -> Iterator[Batch]:
    import csv

    import pyarrow as pa
    import pyarrow.csv as pacsv

    try:
        with _open_text(path) as handle:
            header = next(csv.reader(bounded_lines(handle, path)), None)
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise DatasetError(f"{path}: cannot read CSV ({exc}); check the file") from None
    if not header:
        return
    columns = header if wanted is None else [c for c in header if c in wanted]
    count_only = not columns
    include = [header[0]] if count_only else columns
    # only an empty cell is missing: pyarrow's default null strings (NA, null, N/A, NaN, ...) are labels or
    # numbers here, as the same text is in JSON Lines (a role "NA" is a category; "NaN" a non-finite number)
    convert = pacsv.ConvertOptions(
        include_columns=include,
        column_types={c: pa.string() for c in include},
        null_values=[""],
        strings_can_be_null=True,
    )
    try:
        # a block holds the longest line read (``MAX_LINE_CHARS``): pyarrow refuses a row that straddles more
        # newlines_in_values: a quoted cell may hold line breaks (RFC 4180); without it a file over one block whose
        # block boundary fell inside such a cell was refused ("CSV parser got out of sync with chunker")
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=MAX_LINE_CHARS),
            parse_options=pacsv.ParseOptions(newlines_in_values=True),
            convert_options=convert,
        )
        for record_batch in reader:
            if not record_batch.num_rows:
                continue
            table = pa.Table.from_batches([record_batch])
            if count_only:
                table = table.drop([header[0]])
            yield Batch(path, record_batch.num_rows, table=table)
    except pa.ArrowException as exc:
        problem = str(exc).splitlines()[0]
        if "straddl" in problem:  # ("straddling object straddles two block boundaries (try to increase block size?)")
            with _open_text(path) as handle:
                for _ in bounded_lines(handle, path):  # LineTooLongError naming the line
                    pass
            problem = f"a row longer than {MAX_LINE_CHARS:,} characters (16 MiB), a cell with line breaks?"
        else:  # pyarrow's error names no line (with threads) and shows the row's text: the line, found by csv
            from gatekit.production.duckdb_engine import locate_csv_problem

            located = locate_csv_problem((str(path),), {})
            if located is not None:
                raise DatasetError(f"{located}; fix or remove that line") from None
        raise DatasetError(f"{path}: cannot parse CSV ({problem}); fix the file") from None


def _jsonl_batches(path: Path) -> Iterator[Batch]:
    loads = _loads_factory()
    rows: list[dict[str, Any]] = []
    first = 1
    chars = 0
    try:
        with _open_text(path) as handle:
            for lineno, line in enumerate(bounded_lines(handle, path), start=1):
                if not line.strip():
                    continue
                try:
                    row = _parse_line(loads, line)
                except RecursionError:
                    raise DatasetError(
                        f"{path}:{lineno}: invalid JSON (nested too deeply: past {MAX_NESTING} levels); fix or remove the line"
                    ) from None
                except ValueError as exc:
                    problem = str(exc).split(";")[0]
                    raise DatasetError(f"{path}:{lineno}: invalid JSON ({problem}); fix or remove the line") from None
                if not isinstance(row, dict):
                    raise DatasetError(
                        f"{path}:{lineno}: expected a JSON object per line, got {type(row).__name__}; fix the line"
                    )
                if not rows:
                    first = lineno
                rows.append(row)
                chars += len(line)
                if len(rows) >= JSONL_CHUNK_LINES or chars >= JSONL_CHUNK_CHARS:
                    yield Batch(path, len(rows), rows=rows, first_line=first)
                    rows, chars = [], 0
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"{path}: cannot read ({exc}); check the file") from None
    if rows:
        yield Batch(path, len(rows), rows=rows, first_line=first)


# --- dotted paths -------------------------------------------------------------------------------------------


def get_path(row: dict[str, Any], path: str) -> Any:
    """Return the value at a dotted ``path`` in a row, or ``ABSENT``.

    A flat key spelled with dots (a CSV column ``context.role``) wins over nesting;
    a string holding a JSON object on the way (CSV, Parquet text columns) is parsed.
    """
    if path in row:
        return row[path]
    value: Any = row
    for part in path.split("."):
        if isinstance(value, str) and value[:1] in "{[":
            try:
                value = json.loads(value)
            except (ValueError, RecursionError):  # (a cell nested past Python's limit is no JSON it can read)
                return ABSENT
        if isinstance(value, dict):
            if part not in value:
                return ABSENT
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return ABSENT
    return value


def arrow_column(table: Any, path: str) -> Any:
    """Return the Arrow array at a dotted path through struct columns, or ``None`` when not reachable."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if path in table.column_names:
        return table.column(path)
    parts = path.split(".")
    if parts[0] not in table.column_names:
        return None
    column = table.column(parts[0])
    for part in parts[1:]:
        if not pa.types.is_struct(column.type) or column.type.get_field_index(part) < 0:
            return None
        column = pc.struct_field(column, part)
    return column


def top_level(path: str) -> set[str]:
    """Top-level column names a dotted path may live in (the flat name and its first part)."""
    return {path, path.split(".")[0]}


# --- time windows -------------------------------------------------------------------------------------------

_SINCE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|min|h|d|w)\s*$")
_SINCE_SECONDS = {"s": 1, "m": 60, "min": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_since(text: str) -> float:
    """Parse ``7d`` / ``24h`` / ``30m`` / ``2w`` / ``90s`` into seconds."""
    match = _SINCE.match(str(text))
    if not match:
        raise ConfigError(f"--since {text!r}: write a number and a unit, e.g. 7d, 24h, 30m, 2w")
    seconds = float(match.group(1)) * _SINCE_SECONDS[match.group(2)]
    if seconds <= 0:
        raise ConfigError(f"--since {text!r}: the window must be longer than zero")
    return seconds


def to_epoch_seconds(value: Any) -> float:
    """Turn an ISO-8601 string, a datetime or date or an epoch number (s or ms) into UTC epoch seconds, else NaN."""
    if value is None or isinstance(value, bool):
        return math.nan
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer beyond 1.8e308 is no time
            return math.nan
        if not math.isfinite(number):  # Infinity / NaN: no time (one such row must not hide every other's)
            return math.nan
        return number / 1000.0 if abs(number) > 1e11 else number
    if isinstance(value, datetime):
        stamp = value if value.tzinfo else value.replace(tzinfo=UTC)
        return stamp.timestamp()
    if isinstance(value, date):  # a Parquet / Arrow date: its midnight, UTC
        return datetime(value.year, value.month, value.day, tzinfo=UTC).timestamp()
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return math.nan
        if re.fullmatch(NUMBER_TEXT, text):  # epoch text by the engines' rule (float() also read "1_000")
            return to_epoch_seconds(float(text))
        try:
            return to_epoch_seconds(from_rfc3339(text))
        except ValueError:
            return math.nan
    return math.nan


def epoch_seconds(batch: Batch, path: str) -> Any:
    """Return a float numpy array of UTC epoch seconds for ``path`` in each row (NaN where missing)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if batch.table is not None:
        column = arrow_column(batch.table, path)
        if column is None:
            return np.full(batch.num_rows, np.nan)
        if pa.types.is_timestamp(column.type):  # ticks of its own unit: a year-2999 millisecond stamp has no ns form
            per_second = {"s": 1.0, "ms": 1e3, "us": 1e6, "ns": 1e9}[column.type.unit]
            ticks = pc.cast(column, pa.int64())
            return ticks.to_numpy(zero_copy_only=False).astype("float64") / per_second
        if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
            try:
                stamps = pc.cast(column, pa.timestamp("ns"))
                ns = stamps.cast(pa.int64()).to_numpy(zero_copy_only=False)
                out = ns.astype("float64") / 1e9
                out[np.asarray(stamps.is_null())] = np.nan
                return out
            except pa.ArrowException:
                pass
        values = column.to_pylist()
    else:
        values = [get_path(row, path) for row in batch.python_rows()]
    return np.fromiter(
        (to_epoch_seconds(None if v is ABSENT else v) for v in values), dtype="float64", count=len(values)
    )
