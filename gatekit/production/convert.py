"""Convert other records to production-log rows: ``gatekit eval`` results (a golden run as a reference).

``eval_rows(results.jsonl, dataset=None)`` yields one checked row per result row (``source="eval"``):
latency, error type, token usage, cost, model, tool calls and names, output characters, the governance
outcome, fired rules and redaction counts. Results hold no input, so the input features (characters,
estimated tokens, turns) and the context (role, env, scope, user) come from the golden dataset when it
is given (matched by case id), else they are null — unknown, never 0. ``write_parquet`` writes rows
with the production-log Arrow schema.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from gatekit.errors import DatasetError
from gatekit.production.schema import OUTCOMES, RowError, input_features, make_row
from gatekit.redact import scrub
from gatekit.rfc3339 import from_rfc3339


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if value >= 0 and value == value and value not in (float("inf"),) else None


def _count(value: Any) -> int | None:
    number = _number(value)
    return int(number) if number is not None and number.is_integer() else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def eval_rows(results: Path, dataset: Path | None = None) -> Iterator[dict[str, Any]]:
    """Production-log rows of a gate run's results.jsonl (the one results reader, ``gatekit.results``)."""
    from gatekit.drift.features import tool_names
    from gatekit.results import read_results_file

    cases: dict[str, Any] = {}
    if dataset is not None:
        from gatekit.dataset import load_dataset

        cases = {case.id: case for case in load_dataset(dataset).cases}
    for number, row in enumerate(read_results_file(results).rows, start=1):
        response: dict[str, Any] = _mapping(row.get("response"))
        usage = _mapping(response.get("usage"))
        calls = response.get("tool_calls") if isinstance(response.get("tool_calls"), list) else None
        decision = _mapping(row.get("decision"))
        outcome = str(decision.get("outcome") or "").lower() or None
        output = response.get("output")
        fields: dict[str, Any] = {
            "timestamp": row.get("started_at") if isinstance(row.get("started_at"), str) else None,
            "request_id": f"{row['case_id']}#{int(row.get('repeat', 0))}",
            "source": "eval",
            "model": response.get("model") if isinstance(response.get("model"), str) else None,
            "latency_ms": _number(row.get("latency_ms")),
            "error": row.get("error_type") if isinstance(row.get("error_type"), str) else None,
            "input_tokens": _count(usage.get("input_tokens")),
            "output_tokens": _count(usage.get("output_tokens")),
            "cost_usd": _number(response.get("cost_usd", row.get("cost_usd"))),
            "output_chars": len(output) if isinstance(output, str) else None,
            "tool_calls": len(calls) if calls is not None else None,
            "tool_names": tool_names(calls) if calls is not None else None,
            "outcome": outcome if outcome in OUTCOMES else None,
            "rules": [str(r.get("id")) if isinstance(r, dict) else str(r) for r in decision.get("rules") or []] or None,
            "redactions": {str(k): int(v) for k, v in (decision.get("redactions") or {}).items()} or None,
        }
        case = cases.get(str(row["case_id"]))
        if case is not None:
            fields.update(input_features(case.input))
            context = case.context or {}
            for key in ("user", "role", "env", "scope", "language"):
                if isinstance(context.get(key), str):
                    fields[key] = scrub(context[key])  # the golden case's context: a user id may be an e-mail
        if fields["timestamp"] is None:
            fields.pop("timestamp")
        try:
            yield make_row(**fields)
        except RowError as exc:
            raise DatasetError(f"{results}:{number}: {exc}; fix that result row or re-run the gate") from None


def write_parquet(rows: Iterable[dict[str, Any]], path: Path, batch_rows: int = 65_536) -> int:
    """Write production-log rows to a Parquet file with the production-log schema; returns the row count."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gatekit.production.schema import arrow_schema

    schema = arrow_schema()
    written = 0
    buffer: list[dict[str, Any]] = []

    def flush(writer: Any) -> None:
        table = pa.Table.from_pylist(
            [
                {
                    **r,
                    "timestamp": from_rfc3339(r["timestamp"]),
                    "redactions": list((r.get("redactions") or {}).items()) or None,
                }
                for r in buffer
            ],
            schema=schema,
        )
        writer.write_table(table)
        buffer.clear()

    with pq.ParquetWriter(path, schema, write_page_checksum=True) as writer:  # (verified when read)
        for row in rows:
            buffer.append(row)
            written += 1
            if len(buffer) >= batch_rows:
                flush(writer)
        if buffer or written == 0:
            flush(writer)
    return written
