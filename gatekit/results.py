"""Reading ``results.jsonl`` back: one place that knows a torn last line is not an error."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any


def parse_result_lines(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Yield the JSON-object rows of results.jsonl lines that carry a ``case_id``.

    Blank lines are skipped; a line that is not valid JSON (the half-written last row of
    an interrupted run) is ignored.
    """
    for line in lines:
        line = line.strip()
        if not line:
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and "case_id" in row:
            yield row


def read_result_rows(path: Path) -> list[dict[str, Any]]:
    """Rows of a results.jsonl file; a missing file has none."""
    if not path.exists():
        return []
    with path.open(encoding="utf-8") as fh:
        return list(parse_result_lines(fh))
