"""Reading ``results.jsonl`` back: the one reader, with one policy for a bad line.

The policy (every reader — ``--resume``, the HTML report, JUnit, the baseline run —
goes through :func:`parse_results`):

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
from collections.abc import Callable
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
    lines = raw.splitlines(keepends=True)
    last_number = max((n for n, line in enumerate(lines, start=1) if line.strip()), default=0)
    offset = 0
    for number, line in enumerate(lines, start=1):
        start, offset = offset, offset + len(line)
        last = number == last_number
        if not line.strip():
            continue
        row: Any = None
        problem = None
        if not line.endswith(b"\n"):
            problem = "the line has no final newline (a write was cut off)"
        else:
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                problem = f"not valid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})"
            except UnicodeDecodeError as exc:
                problem = f"not UTF-8 text ({exc.reason})"
            except (RecursionError, ValueError):  # nested past the parser's depth, an integer of 5000 digits
                problem = "not valid JSON (nested too deeply or too long a number)"
        if problem is None and not (isinstance(row, dict) and "case_id" in row):
            problem = "not a JSON object with a case_id"
        if problem is None:
            try:
                int(row.get("repeat", 0))
            except (TypeError, ValueError):
                problem = f"repeat {str(row.get('repeat'))[:40]!r} is not a whole number"
        typed = None if problem is not None else _field_problem(row)  # a whole line, edited: never "torn"
        if typed is not None:
            raise _bad(source, number, typed)
        if problem is not None:
            if last:
                out.torn_lines, out.torn_bytes = 1, len(raw) - start
                break
            raise _bad(source, number, problem)
        out.rows.append(row)
        out.ends.append(offset)
    return out


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
