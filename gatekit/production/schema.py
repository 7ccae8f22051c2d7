"""The production-log row: one row per production request, defined once.

Written by the runtime guard (``gatekit.runtime``) and the enforcing proxy (``gatekit guard serve``),
converted from ``gatekit eval`` results and from existing JSONL / CSV / Parquet logs, and read by
``gatekit drift`` and ``gatekit canary`` on DuckDB or Spark. A row never holds raw text or secrets:
the input is reduced to the features drift needs (characters, estimated tokens, turns, language).

``COLUMNS`` is the one definition; the JSON Schema (``gatekit schema production-log``), the Arrow
schema of Parquet files and the engines' column types are all derived from it. The table in
``docs/production-log.md`` documents the same columns.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

SCHEMA_VERSION = 1

OUTCOMES = ("allow", "allow_with_redaction", "require_review", "deny")

# Text a reader takes as a number in a numeric column (after trimming spaces; blank text is null): decimal digits
# with an optional sign, point and exponent, or inf / infinity / nan (then refused or counted by the reader as
# non-finite). One rule for DuckDB (``regexp_full_match``) and Spark (``rlike``): their own casts differ — DuckDB
# read "1_000" as 1000, Spark read "1.5d" and "2F" as numbers (Java's parseDouble), each refusing the other's.
NUMBER_TEXT = r"(?i)^([+-]?([0-9]+([.][0-9]*)?|[.][0-9]+)(e[+-]?[0-9]+)?|[+-]?inf(inity)?|nan)$"

# JSON types: "string", "integer", "number", "timestamp" (RFC 3339 text in JSON; a UTC timestamp in Parquet),
# "string[]" (a list of strings), "counts" (an object of name -> non-negative integer).


@dataclass(frozen=True)
class Column:
    """One column of the production-log row."""

    name: str
    type: str
    required: bool
    description: str


COLUMNS: tuple[Column, ...] = (
    Column("schema_version", "integer", True, "Version of this row format (1)."),
    Column("timestamp", "timestamp", True, "When the request arrived, UTC."),
    Column("request_id", "string", True, "Unique id of the request (the decision trace's case id)."),
    Column("variant", "string", False, "Traffic variant, e.g. baseline or canary."),
    Column("agent_version", "string", False, "Version of the agent that answered (e.g. a model version or git sha)."),
    Column("model", "string", False, "Model name the agent reported."),
    Column("source", "string", False, "What wrote the row: runtime, proxy, eval or import."),
    Column("latency_ms", "number", False, "Wall time of the request in milliseconds; null when not measured."),
    Column("error", "string", False, "Error type when the request failed (e.g. timeout, http_5xx, policy_error); null when it succeeded."),
    Column("input_tokens", "integer", False, "Input tokens the model reported; null when unknown (never 0 for unknown)."),
    Column("output_tokens", "integer", False, "Output tokens the model reported; null when unknown."),
    Column("cost_usd", "number", False, "Cost of the request in US dollars; null when unknown."),
    Column("user", "string", False, "Pseudonymous user id from the request context."),
    Column("role", "string", False, "User role from the request context."),
    Column("env", "string", False, "Environment from the request context (e.g. prod, staging)."),
    Column("scope", "string", False, "Scope from the request context."),
    Column("language", "string", False, "Language of the input (ISO 639-1) when known."),
    Column("input_chars", "integer", False, "Characters of the input text (chat messages flattened)."),
    Column("input_tokens_est", "integer", False, "Estimated tokens of the input (words and punctuation)."),
    Column("turns", "integer", False, "Messages in the input (1 for a plain string)."),
    Column("output_chars", "integer", False, "Characters of the output text; null when there was no output."),
    Column("tool_calls", "integer", False, "Number of tool calls the agent made or proposed."),
    Column("tool_names", "string[]", False, "Names of those tool calls, in order."),
    Column("outcome", "string", False, "Governance decision: allow, allow_with_redaction, require_review or deny; null when no policy ran."),
    Column("enforced", "string", False, "What was actually enforced (differs from outcome in evaluate-only mode): allow, allow_with_redaction, require_review or deny."),
    Column("rules", "string[]", False, "Ids of the rules that fired."),
    Column("redactions", "counts", False, "Redactions by entity type (e.g. {\"EMAIL_ADDRESS\": 2}); never the values."),
    Column("policy_sha256", "string", False, "SHA-256 of the policy file that decided."),
    Column("trace_id", "string", False, "Id linking the row to its decision trace / OpenTelemetry trace."),
)  # fmt: skip

COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)
_BY_NAME = {c.name: c for c in COLUMNS}

NUMERIC_FEATURES = ("input_chars", "input_tokens_est", "turns", "output_tokens", "latency_ms", "cost_usd", "tool_calls")
CATEGORICAL_FEATURES = ("role", "scope", "env", "language", "tool_names")

_TOKEN = re.compile(r"\w+|[^\w\s]")
MAX_TEXT_FIELD = 512  # characters kept of any string column (ids, names): rows are bounded


class RowError(ValueError):
    """A production-log row that does not match the format (names the field)."""


def json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of one production-log row."""
    props: dict[str, Any] = {}
    for col in COLUMNS:
        props[col.name] = {"description": col.description, **_json_type(col)}
    props["schema_version"] = {"description": _BY_NAME["schema_version"].description, "const": SCHEMA_VERSION}
    props["outcome"]["enum"] = [*OUTCOMES, None]
    props["enforced"]["enum"] = [*OUTCOMES, None]
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://gatekit.dev/schemas/production-log/v1.json",
        "title": "gatekit production-log row",
        "type": "object",
        "properties": props,
        "required": [c.name for c in COLUMNS if c.required],
        "additionalProperties": False,
    }


def _json_type(col: Column) -> dict[str, Any]:
    nullable = not col.required
    base: dict[str, Any]
    if col.type == "timestamp":
        base = {"type": "string", "format": "date-time"}
    elif col.type == "string[]":
        base = {"type": "array", "items": {"type": "string"}}
    elif col.type == "counts":
        base = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    elif col.type in ("integer", "number"):
        base = {"type": col.type, "minimum": 0}
    else:
        base = {"type": "string", "maxLength": MAX_TEXT_FIELD}
    if nullable:
        kind = base["type"]
        base["type"] = [kind, "null"]
    return base


def arrow_schema() -> Any:
    """The pyarrow schema of a production-log Parquet file."""
    import pyarrow as pa

    kinds = {
        "integer": pa.int64(),
        "number": pa.float64(),
        "string": pa.string(),
        "timestamp": pa.timestamp("us", tz="UTC"),
        "string[]": pa.list_(pa.string()),
        "counts": pa.map_(pa.string(), pa.int64()),
    }
    return pa.schema([pa.field(c.name, kinds[c.type], nullable=not c.required) for c in COLUMNS])


def input_features(value: Any) -> dict[str, int | None]:
    """``input_chars``, ``input_tokens_est`` and ``turns`` of a request input (text, chat messages or their JSON).

    The one definition of these drift features: rows written in production and logs converted for
    drift are measured alike.
    """
    from gatekit.chat import input_text_and_turns

    text, turns = input_text_and_turns(value)
    if text is None:
        return {"input_chars": None, "input_tokens_est": None, "turns": None}
    return {"input_chars": len(text), "input_tokens_est": len(_TOKEN.findall(text)), "turns": turns}


def timestamp_text(value: datetime | float | None = None) -> str:
    """RFC 3339 UTC text (millisecond precision) for a datetime, epoch seconds, or now."""
    if value is None:
        moment = datetime.now(UTC)
    elif isinstance(value, datetime):
        if value.tzinfo is None:
            raise RowError("timestamp: a naive datetime has no time zone; pass an aware (UTC) datetime")
        moment = value.astimezone(UTC)
    else:
        moment = datetime.fromtimestamp(float(value), UTC)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _timestamp_from_text(value: str) -> str:
    """RFC 3339 text as UTC text: a time the readers refuse ("yesterday") is refused here, not written.

    One such row would make ``gatekit drift`` / ``gatekit canary`` refuse the whole file. As the readers take it:
    text without a zone is UTC, epoch seconds or milliseconds as text (above 1e11: milliseconds) are a time, and
    blank text is no time (written as given).
    """
    text = value.strip()
    if not text:
        return value
    try:
        epoch = float(text)
    except ValueError:
        pass
    else:
        if math.isfinite(epoch) and epoch >= 0:
            try:
                return timestamp_text(epoch / 1000 if epoch > 1e11 else epoch)
            except (ValueError, OverflowError, OSError):
                pass
    try:
        moment = datetime.fromisoformat(text.upper())
        return timestamp_text(moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC))
    except (ValueError, OverflowError):
        raise RowError(
            "production-log field 'timestamp' must be RFC 3339 text (e.g. 2026-12-06T08:00:00Z), a datetime or "
            "epoch seconds; the value is another (not shown: it may hold anything)"
        ) from None


def make_row(**fields: Any) -> dict[str, Any]:
    """Build and check one row: every column present (missing ones null), ``schema_version`` set.

    Raises ``RowError`` naming the field on an unknown column, a wrong type, a negative measure
    or an unknown outcome. Strings are cut to ``MAX_TEXT_FIELD`` characters.
    """
    unknown = set(fields) - set(COLUMN_NAMES)
    if unknown:
        raise RowError(
            f"unknown production-log field {sorted(unknown)[0]!r}; the columns are in docs/production-log.md"
        )
    row: dict[str, Any] = {}
    for col in COLUMNS:
        value = fields.get(col.name)
        if col.name == "schema_version":
            value = SCHEMA_VERSION
        elif col.name == "timestamp":
            value = timestamp_text(value) if not isinstance(value, str) else _timestamp_from_text(value)
        row[col.name] = _checked(col, value)
    return row


def _checked(col: Column, value: Any) -> Any:
    if value is None:
        if col.required:
            raise RowError(f"production-log field {col.name!r} is required")
        return None
    kind = col.type
    if kind in ("string", "timestamp"):
        if not isinstance(value, str):
            raise RowError(f"production-log field {col.name!r} must be a string, not {type(value).__name__}")
        if col.name in ("outcome", "enforced") and value not in OUTCOMES:
            raise RowError(
                f"production-log field {col.name!r} must be one of {', '.join(OUTCOMES)}; the value is another "
                "(not shown: it may hold anything)"
            )
        return value[:MAX_TEXT_FIELD]
    if kind in ("integer", "number"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RowError(f"production-log field {col.name!r} must be a number, not {type(value).__name__}")
        if kind == "integer" and not float(value).is_integer():
            raise RowError(f"production-log field {col.name!r} must be a whole number")
        if not math.isfinite(value) or value < 0:
            raise RowError(f"production-log field {col.name!r} must be a finite number ≥ 0 (unknown is null)")
        return int(value) if kind == "integer" else float(value)
    if kind == "string[]":
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) for v in value):
            raise RowError(f"production-log field {col.name!r} must be a list of strings")
        return [v[:MAX_TEXT_FIELD] for v in value]
    if kind == "counts":
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0 for k, v in value.items()
        ):
            raise RowError(f"production-log field {col.name!r} must map names to whole counts ≥ 0")
        return {k[:MAX_TEXT_FIELD]: v for k, v in value.items()}
    raise AssertionError(kind)  # pragma: no cover - COLUMNS only uses the kinds above


def newer_format_error(where: str, version: float, at: str = "") -> Exception:
    """The refusal of rows written in a newer production-log format than this gatekit reads (exit 2).

    One wording for the canary (``at``: the first window holding them) and drift (``where``: the file and line).
    Read as this version such rows could be misread (a column retyped in a newer version).
    """
    from gatekit.errors import DatasetError

    return DatasetError(
        f"{where}: rows of production-log schema_version {version:g}{at}: newer than this gatekit reads "
        f"({SCHEMA_VERSION}); upgrade gatekit"
    )


def check_newest_format(newest: Any, label: str, paths: tuple[str, ...] = (), fmt: str = "") -> None:
    """Refuse a source whose largest ``schema_version`` (``newest``, from the engine's scan) is newer than this gatekit reads.

    The readers check a JSON Lines or CSV file's first row only; a guard upgraded while it appends to the same log
    writes its newer rows further down. Only then are ``paths`` (JSON Lines / CSV) read again, to name the first such
    row's file and line; without one found the error names ``label``.
    """
    try:
        version = float(newest)
    except (TypeError, ValueError):
        return
    if not version > SCHEMA_VERSION:
        return
    found = _first_newer_row(paths, fmt) if fmt in ("jsonl", "csv") else None
    raise newer_format_error(found or label, version)


def _first_newer_row(paths: tuple[str, ...], fmt: str) -> str | None:
    """``file:line`` of the first JSON Lines / CSV row whose ``schema_version`` is above ``SCHEMA_VERSION``."""
    import csv
    import json
    from pathlib import Path

    from gatekit.drift.sources import _open_text, bounded_lines
    from gatekit.errors import DatasetError

    def newer(value: Any) -> bool:
        try:
            return float(str(value).strip()) > SCHEMA_VERSION
        except ValueError:
            return False

    for name in paths:
        path = Path(name)
        try:
            with _open_text(path) as handle:
                if fmt == "csv":
                    reader = csv.reader(bounded_lines(handle, path))
                    header = next(reader, None) or []
                    if "schema_version" not in header:
                        continue
                    column = header.index("schema_version")
                    for cells in reader:
                        if len(cells) > column and newer(cells[column]):
                            return f"{path}:{reader.line_num}"
                    continue
                for number, line in enumerate(bounded_lines(handle, path), start=1):
                    if '"schema_version"' not in line:
                        continue
                    try:
                        row = json.loads(line)
                    except (ValueError, RecursionError):
                        continue
                    if isinstance(row, dict) and row.get("schema_version") is not None and newer(row["schema_version"]):
                        return f"{path}:{number}"
        except (OSError, UnicodeDecodeError, csv.Error, DatasetError):  # (a line too long: no row found)
            continue
    return None
