"""Reading ``results.jsonl`` back: the one reader, with one policy for a bad line.

The policy (every reader — ``--resume``, the HTML report, JUnit, the baseline run — whole or streamed
(:func:`iter_result_rows`), goes through the same line parser):

* every line is one JSON object with a ``case_id``, ended by a newline; blank lines are skipped;
* the LAST non-blank line is *torn* when it has no final newline or does not parse (an interrupted
  writer): it is dropped and counted (``torn_lines`` / ``torn_bytes``), never an error;
* any other line that is not such an object is an error: ``DatasetError`` (exit 2) naming the
  file and line — results.jsonl is only appended to, so a bad line in the middle means the
  file was edited or corrupted, and silently skipping it would lose a finished case.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatekit.errors import DatasetError


@dataclass
class ResultRows:
    """The rows of a results.jsonl and where they end.

    ``ends[i]`` is the byte offset just past row ``i``'s line; ``torn_bytes`` counts the
    bytes after the last kept line (the torn last line, if any); ``torn_lines`` is 0 or 1.
    """

    rows: list[dict[str, Any]] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    torn_lines: int = 0
    torn_bytes: int = 0


def _bad(source: str, number: int, what: str) -> DatasetError:
    return DatasetError(
        f"{source}:{number}: {what}; results.jsonl is append-only, so this line was edited or corrupted — "
        "restore the file or start a fresh --out"
    )


def parse_results(data: bytes | str, source: str = "results.jsonl") -> ResultRows:
    """Parse results.jsonl content by the module's policy; ``source`` names the file in errors."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    out = ResultRows()
    for row, end in _parse_lines((raw,), source, out):
        out.rows.append(row)
        out.ends.append(end)
    return out


def _parse_lines(chunks: Iterable[bytes], source: str, out: ResultRows) -> Iterator[tuple[dict[str, Any], int]]:
    r"""``(row, end offset)`` of each kept line of ``chunks`` (the file's bytes, in order), by the module's policy.

    Lines are ``bytes.splitlines`` lines, whatever the chunking (a chunk may end only after a ``\n``). A line that
    fails is held until the next non-blank line shows it was not the last (then it is an error) or the input ends
    (then it is the torn last line, counted in ``out``): nothing before it has to be kept in memory.
    """
    offset = number = 0
    held: tuple[int, str, int] | None = None  # (line number, problem, start offset) of a line that failed
    for chunk in chunks:
        for line in chunk.splitlines(keepends=True):
            number += 1
            start, offset = offset, offset + len(line)
            if not line.strip():
                continue
            if held is not None:
                raise _bad(source, held[0], held[1])
            row, problem = _parse_line(line)
            if problem is not None:
                held = (number, problem, start)
                continue
            typed = _field_problem(row)  # a whole line, edited: never "torn"
            if typed is not None:
                raise _bad(source, number, typed)
            yield row, offset
    if held is not None:
        out.torn_lines, out.torn_bytes = 1, offset - held[2]


def _parse_line(line: bytes) -> tuple[Any, str | None]:
    """The JSON object of one non-blank line and ``None``, or ``(None, what is wrong)``."""
    if not line.endswith(b"\n"):
        return None, "the line has no final newline (a write was cut off)"
    try:
        row = json.loads(line)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})"
    except UnicodeDecodeError as exc:
        return None, f"not UTF-8 text ({exc.reason})"
    except (RecursionError, ValueError):  # nested past the parser's depth, an integer of 5000 digits
        return None, "not valid JSON (nested too deeply or too long a number)"
    if not (isinstance(row, dict) and "case_id" in row):
        return None, "not a JSON object with a case_id"
    try:
        int(row.get("repeat", 0))
    except (TypeError, ValueError):
        return None, f"repeat {str(row.get('repeat'))[:40]!r} is not a whole number"
    return row, None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


# the fields every reader uses, and the JSON types gatekit writes them with (None: unknown / not applicable)
_FIELD_TYPES: dict[str, tuple[str, Callable[[Any], bool]]] = {
    "ok": ("true or false", lambda v: isinstance(v, bool)),
    "passed": ("true, false or null", lambda v: v is None or isinstance(v, bool)),
    "expectations_met": ("true, false or null", lambda v: v is None or isinstance(v, bool)),
    "latency_ms": ("a number >= 0 or null", lambda v: v is None or (_is_number(v) and v >= 0)),
    "cost_usd": ("a number or null", lambda v: v is None or _is_number(v)),
    "error_type": ("a string or null", lambda v: v is None or isinstance(v, str)),
    "decision": ("an object or null", lambda v: v is None or isinstance(v, dict)),
    "response": ("an object or null", lambda v: v is None or isinstance(v, dict)),
    "attempts": ("a list", lambda v: isinstance(v, list)),
}


def _field_problem(row: dict[str, Any]) -> str | None:
    """What is wrong with a row's known fields (``"ok": "false"`` would read as a success), or None."""
    for name, (kind, fits) in _FIELD_TYPES.items():
        if name in row and not fits(row[name]):
            return f"{name} must be {kind}"
    return None


def read_results_file(path: Path) -> ResultRows:
    """:func:`parse_results` of a file; a missing file has no rows."""
    from gatekit.fsio import read_input_bytes

    try:
        data = read_input_bytes(path, 1 << 40)  # (bound: only no FIFO nor device; a run's rows are read whole)
    except FileNotFoundError:
        return ResultRows()
    except OSError as exc:  # a folder, a FIFO: exit 2 naming it, not an internal error (nor a wait for a writer)
        raise DatasetError(f"{path}: cannot read results ({exc.strerror or exc}); check the path") from None
    return parse_results(data, str(path))


def read_result_rows(path: Path) -> list[dict[str, Any]]:
    """The rows of a results.jsonl file (see the module policy); a missing file has none."""
    return read_results_file(path).rows


def iter_result_rows(path: Path, source: str | None = None) -> Iterator[dict[str, Any]]:
    """The rows of a results.jsonl file one at a time, by the same policy, in bounded memory; a missing file has none.

    For readers that look at each row once (the JUnit cases, the report's latency chart, the baseline comparison): a
    run of 100,000 cases with large responses held 1.7 GB when read whole. A bad line in the middle raises
    ``DatasetError`` when the reading reaches the line after it (rows before it have been yielded). ``source``
    names the file in errors (default: its path).
    """
    for row, _end in iter_result_ends(path, source=source):
        yield row


def iter_result_ends(
    path: Path, out: ResultRows | None = None, source: str | None = None
) -> Iterator[tuple[dict[str, Any], int]]:
    """``(row, byte offset just past its line)`` of each row of a results.jsonl file, streamed (bounded memory).

    A torn last line is counted in ``out`` (its ``torn_lines`` / ``torn_bytes``; its ``rows`` stay empty) once the
    reading reached the end. A missing file has no rows.
    """
    from gatekit.fsio import open_input_bytes

    try:
        handle = open_input_bytes(path)
    except FileNotFoundError:
        return
    except OSError as exc:  # a folder, a FIFO: exit 2 naming it, not an internal error (nor a wait for a writer)
        raise DatasetError(f"{path}: cannot read results ({exc.strerror or exc}); check the path") from None
    with handle:
        yield from _parse_lines(handle, source or str(path), out if out is not None else ResultRows())
