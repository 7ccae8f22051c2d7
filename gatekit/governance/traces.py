"""Read and filter governance audit traces (``governance_traces.jsonl``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from gatekit.errors import GatekitError
from gatekit.fsio import open_input_text


class TraceFileError(GatekitError):
    """A traces file that cannot be read (exit 2)."""


def filter_traces(
    path: str | Path,
    outcome: str | None = None,
    rule: str | None = None,
    case: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield the trace rows of ``path`` that match every given filter.

    ``outcome`` matches the decision outcome (``deny``, ``require_review``, ...), ``rule`` a fired
    rule id, ``case`` the case id. Raises TraceFileError (naming file and line) on a bad file.
    """
    file = Path(path)
    if outcome is not None:
        outcome = outcome.lower().replace("-", "_")
        valid = ("allow", "allow_with_redaction", "require_review", "deny")
        if outcome not in valid:
            raise TraceFileError(f"--outcome {outcome!r}: use one of {', '.join(valid)}")
    try:
        handle = open_input_text(file)
    except OSError as exc:
        raise TraceFileError(f"{file}: cannot read traces: {exc.strerror}; check the path") from None
    with handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise TraceFileError(
                    f"{file}:{number}: not a JSON object ({exc.msg}); is this a traces file?"
                ) from None
            except (RecursionError, ValueError):  # nested past the parser's depth, an integer of 5000 digits
                raise TraceFileError(
                    f"{file}:{number}: not a trace row (JSON nested too deeply or too long a number)"
                ) from None
            if not isinstance(row, dict) or "outcome" not in row:
                raise TraceFileError(f"{file}:{number}: not a governance trace row (no 'outcome')")
            if outcome is not None and row.get("outcome") != outcome:
                continue
            if case is not None and str(row.get("case_id")) != case:
                continue
            if rule is not None:
                fired = row.get("rules") or []
                if not isinstance(fired, list) or not all(isinstance(r, dict) for r in fired):
                    raise TraceFileError(
                        f"{file}:{number}: 'rules' is not a list of rule objects; is this a governance_traces.jsonl?"
                    )
                if not any(r.get("id") == rule for r in fired):
                    continue
            yield row
