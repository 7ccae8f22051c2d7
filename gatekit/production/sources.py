"""Open a production source (or a reference) as an engine's feature table.

Three kinds of files, told apart by their first row / header / Parquet schema:

* **production-log files** (rows with ``schema_version``; see ``docs/production-log.md``) are read by the
  engine directly — Parquet, JSON Lines or CSV, files, folders or globs, out of core, typed by ``COLUMNS``;
* **``gatekit eval`` results** (``results.jsonl``: rows with ``case_id``) are converted once to
  production-log rows (``gatekit.production.convert.eval_rows``), so a golden run can be the reference;
* **anything else** — today's production logs and golden datasets — is converted once through the
  **legacy mapping** below into a temporary Parquet file of feature columns, which the engine then reads.

The legacy mapping (feature ← production-log column ← paths in today's files; dotted paths reach into
nested JSON, Parquet structs and CSV cells holding JSON):

================  =================  ==================================================================
feature           production-log     today's files
================  =================  ==================================================================
input_chars       input_chars        characters of ``input`` (text, chat messages, or a JSON string of them)
input_tokens_est  input_tokens_est   words and punctuation of the same text
turns             turns              messages in ``input`` (1 for a plain string)
output_tokens     output_tokens      ``usage.output_tokens`` or ``response.usage.output_tokens``
latency_ms        latency_ms         ``latency_ms``
cost_usd          cost_usd           ``cost_usd`` or ``response.cost_usd``
tool_calls        tool_calls         length of ``tool_calls`` / ``response.tool_calls`` / ``expected.tool_calls``
context.role      role               ``context.role``
context.scope     scope              ``context.scope``
context.env       env                ``context.env``
language          language           ``context.language`` or ``language``
tool_names        tool_names         names in the same tool-call lists (``name`` or ``function.name``)
(``--since``)     timestamp          ``timestamp`` (``--timestamp-field``): ISO-8601, Parquet timestamp, epoch s/ms
================  =================  ==================================================================
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatekit.errors import ConfigError, DatasetError
from gatekit.production.engine import NUMERIC, TS_COLUMN, Engine, FeatureColumn, FeatureTable, FileSource

# default feature name -> production-log column (the report keeps today's feature names)
FEATURE_COLUMNS: dict[str, str] = {
    "input_chars": "input_chars",
    "input_tokens_est": "input_tokens_est",
    "turns": "turns",
    "output_tokens": "output_tokens",
    "latency_ms": "latency_ms",
    "cost_usd": "cost_usd",
    "tool_calls": "tool_calls",
    "context.role": "role",
    "context.scope": "scope",
    "context.env": "env",
    "language": "language",
    "tool_names": "tool_names",
}

NATIVE, RESULTS, LEGACY = "production-log", "eval-results", "legacy"
# a governance_traces.jsonl (its first row has policy, outcome and rules): the guard and the gate write one next to
# their data, so a folder of production logs may hold one; it is no data file of its own
TRACES = "decision-traces"
# a JSON Lines or CSV file with no row yet (0 bytes, blank lines, a BOM alone): the log logrotate's ``create`` just made,
# or a writer's file before its first request; in a folder or glob of logs it holds nothing to judge
EMPTY = "empty"


@dataclass
class OpenedSide:
    """A side opened by ``open_side``: the engine's table, the files, how they were read, counts seen on the way."""

    table: FeatureTable
    files: list[Path]
    kind: str
    seen: dict[str, bool] = field(default_factory=dict)
    non_numeric: dict[str, int] = field(default_factory=dict)
    non_finite: dict[str, int] = field(default_factory=dict)
    rounded: dict[str, int] = field(default_factory=dict)  # integers beyond 2**53 read as the nearest double
    in_progress: int = 0  # MLflow traces still in progress (no outcome yet): left out, and said so
    oldest_in_progress_ms: int | None = None  # request time of the oldest of them (epoch ms)


def sniff(path: Path) -> str:
    """The kind of one file: ``production-log``, ``eval-results``, ``decision-traces`` or ``legacy``.

    Reads the file's header or first row.
    """
    from gatekit.drift.sources import file_format

    fmt = file_format(path)
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            parquet = pq.ParquetFile(path)
            names = set(parquet.schema_arrow.names)
            if "schema_version" in names:
                _check_version(path, _parquet_max(parquet, "schema_version"), None)
            return NATIVE if "schema_version" in names else LEGACY
        if fmt == "csv":
            import csv

            from gatekit.drift.sources import _open_text, bounded_lines

            with _open_text(path) as handle:
                reader = csv.reader(bounded_lines(handle, path))
                header = next(reader, None)
                if header is None:  # (not even a header)
                    return EMPTY
                header = [name.strip(" ") for name in header]  # (DuckDB reads ` request_id ` as request_id; Spark too)
                if "schema_version" in header:
                    _check_header(path, header)
                    first = next(reader, None)
                    if first is not None and len(first) > header.index("schema_version"):
                        _check_version(path, first[header.index("schema_version")], 2)
            return NATIVE if "schema_version" in header else LEGACY
        from gatekit.drift.sources import _open_text, bounded_lines

        with _open_text(path) as handle:
            for number, line in enumerate(bounded_lines(handle, path), start=1):
                if line.strip():
                    row = _first_row(path, number, line)
                    if isinstance(row, dict) and "schema_version" in row:
                        _check_version(path, row["schema_version"], number)
                        return NATIVE
                    if isinstance(row, dict) and "case_id" in row and "attempts" in row:
                        return RESULTS
                    if isinstance(row, dict) and {"policy", "outcome", "rules"} <= row.keys():
                        return TRACES
                    return LEGACY
            return EMPTY  # (no line that is not blank)
    except DatasetError:
        raise
    except UnicodeDecodeError as exc:
        raise DatasetError(f"{path}: not UTF-8 text ({exc.reason}); save the file as UTF-8") from None
    except OSError as exc:
        raise DatasetError(f"{path}: cannot read ({exc.strerror or exc}); check the path") from None
    except ValueError as exc:  # pyarrow's ArrowInvalid (a truncated Parquet file) is one
        raise DatasetError(f"{path}: cannot read ({exc}); check the file") from None
    except Exception as exc:  # noqa: BLE001 - pyarrow raises its own error types for a broken Parquet footer
        raise DatasetError(f"{path}: not a readable data file ({exc}); check the file") from None
    return LEGACY


def _check_header(path: Path, header: list[str]) -> None:
    """Refuse a production-log CSV header naming a column twice (``variant,...,variant``).

    DuckDB read the first such column (the second as ``variant_1``), Spark neither (``variant0``, ``variant7``: "the rows
    have no variant column"): which cell holds a row's variant was a guess, and the engines guessed differently.
    """
    seen: set[str] = set()
    for name in header:
        if name and name in seen:
            raise DatasetError(
                f"{path}:1: the header names column {name[:40]!r} twice; remove or rename one (a row's value would be "
                "read from either)"
            )
        seen.add(name)


def _first_row(path: Path, number: int, line: str) -> Any:
    """The first row's JSON (it tells the file's kind); ``DatasetError`` naming the line when it is none."""
    from gatekit.drift.sources import _parse_line

    try:
        return _parse_line(json.loads, line)
    except json.JSONDecodeError as exc:
        raise DatasetError(
            f"{path}:{number}: invalid JSON ({exc.msg.removesuffix(' at')} at column {exc.colno}); fix the line"
        ) from None
    except RecursionError:
        from gatekit.drift.sources import MAX_NESTING

        raise DatasetError(
            f"{path}:{number}: invalid JSON (nested too deeply: past {MAX_NESTING} levels); fix the line"
        ) from None
    except ValueError:  # an integer of 5000 digits
        raise DatasetError(f"{path}:{number}: invalid JSON (too long a number); fix the line") from None


def _parquet_max(parquet: Any, column: str) -> Any:
    """The largest value of ``column`` in a Parquet file's row-group statistics (None when not recorded)."""
    index = parquet.schema_arrow.names.index(column)
    highest = None
    for group in range(parquet.metadata.num_row_groups):
        stats = parquet.metadata.row_group(group).column(index).statistics
        if stats is not None and stats.has_min_max:
            highest = stats.max if highest is None else max(highest, stats.max)
    return highest


def _check_version(path: Path, value: Any, line: int | None) -> None:
    """Refuse rows written in a newer production-log format than this gatekit reads."""
    from gatekit.production.schema import SCHEMA_VERSION

    try:
        version = int(value) if value is not None else SCHEMA_VERSION
    except (TypeError, ValueError):
        where = f"{path}:{line}" if line else str(path)
        raise DatasetError(f"{where}: schema_version {str(value)[:20]!r} is not a number; fix the row") from None
    if version > SCHEMA_VERSION:
        where = f"{path}:{line}" if line else str(path)
        raise DatasetError(
            f"{where}: production-log schema_version {version} is newer than this gatekit reads "
            f"({SCHEMA_VERSION}); upgrade gatekit"
        )


def native_column(name: str) -> str | None:
    """The production-log column a feature name reads (``context.role`` -> ``role``), None when there is none."""
    from gatekit.production.schema import COLUMN_NAMES

    column = FEATURE_COLUMNS.get(name, name)
    return column if column in COLUMN_NAMES else None


def open_side(
    engine: Engine,
    spec_text: str,
    side: str,
    specs: list[Any],
    *,
    timestamp_field: str = "timestamp",
    results_map: dict[str, dict[str, Any]] | None = None,
    workdir: Path,
    explicit: bool = False,
    tracking_uri: str | None = None,
    since: str | None = None,
    since_anchor: str = "newest",
    paths: list[Path] | None = None,
) -> OpenedSide:
    """Resolve ``spec_text`` (file, folder, glob) and open it on ``engine`` with one column per feature spec.

    ``paths``: the files to read instead of those ``spec_text`` names (``gatekit watch``: the log's files and the
    copies of what it held before it was rotated); messages still name ``spec_text``.

    ``mlflow:<experiment>`` reads MLflow traces (``tracking_uri``; ``since`` / ``since_anchor`` filter the
    trace search itself) into a production-log Parquet spill in ``workdir``; ``spark-table:<name>`` opens a
    Spark table or view holding production-log columns (``--engine spark`` only).
    """
    from gatekit.drift.sources import check_path_name, file_format, resolve_paths
    from gatekit.production.mlflow_traces import is_mlflow_spec
    from gatekit.production.spark_engine import is_spark_table_spec

    if is_mlflow_spec(spec_text):
        _timestamp_column(timestamp_field, side)  # (traces are read as production-log rows: their time stamp)
        return _open_mlflow(engine, spec_text, side, specs, workdir, explicit, tracking_uri, since, since_anchor)
    if is_spark_table_spec(spec_text):
        return _open_spark_table(engine, spec_text, side, specs, timestamp_field, explicit)
    paths = list(paths) if paths else resolve_paths(spec_text, side)
    kinds_of = {path: sniff(path) for path in paths}
    if len(paths) > 1 and set(kinds_of.values()) != {EMPTY}:  # (a folder or glob: a file with no row holds nothing)
        paths = [path for path in paths if kinds_of[path] != EMPTY]
    if len(paths) > 1 and {kinds_of[p] for p in paths} != {TRACES}:  # (a folder or glob: traces beside data pass over)
        paths = [path for path in paths if kinds_of[path] != TRACES]
    by_kind: dict[str, Path] = {}
    for path in paths:
        kind = kinds_of[path]
        by_kind.setdefault(LEGACY if kind in (TRACES, EMPTY) else kind, path)  # (traces / empty files alone: as before)
    kinds = set(by_kind)
    if len(kinds) > 1:
        from gatekit.redact import display_path

        found = ", ".join(f"{kind} ({display_path(by_kind[kind])})" for kind in sorted(kinds))
        raise DatasetError(
            f"--{side} {spec_text}: mixes production-log files with other files: {found}; "
            "point it at one kind (convert old logs with gatekit.production.convert)"
        )
    kind = kinds.pop()
    features = [FeatureColumn(s.name, s.kind, s.multi) for s in specs]
    if kind == RESULTS:
        if len(paths) != 1:
            raise DatasetError(f"--{side} {spec_text}: give one results.jsonl at a time")
        from gatekit.production.convert import eval_rows, write_parquet

        converted = workdir / f"{side}-eval-rows.parquet"
        write_parquet(eval_rows(paths[0]), converted)
        table = _open_native(engine, [converted], "parquet", features, side, explicit, timestamp_field, spec_text)
        return OpenedSide(table, paths, RESULTS, seen={n: True for n in table.present})  # (the results file read)
    if kind == NATIVE:
        for path in paths:  # opened by DuckDB / Spark, which take paths as UTF-8 text
            check_path_name(path, side)
        fmts = {file_format(p) for p in paths}
        if len(fmts) > 1:
            raise DatasetError(f"--{side} {spec_text}: mixes {', '.join(sorted(fmts))} files; use one format per side")
        table = _open_native(engine, paths, fmts.pop(), features, side, explicit, timestamp_field, spec_text)
        return OpenedSide(table, paths, NATIVE, seen={n: True for n in table.present})
    return _open_legacy(engine, paths, specs, side, timestamp_field, results_map, workdir)


def _native_columns(features: list[FeatureColumn], explicit: bool, where: str) -> dict[str, str]:
    """Feature name -> production-log column; a named (``explicit``) feature with no column is exit 2."""
    from gatekit.production.schema import COLUMN_NAMES

    columns: dict[str, str] = {}
    for feature in features:
        column = native_column(feature.name)
        if column is None:
            if explicit:
                raise DatasetError(
                    f"{where}: feature {feature.name!r} is not a production-log column "
                    f"(columns: {', '.join(COLUMN_NAMES)}); fix the name in --numeric/--categorical"
                )
            continue
        columns[feature.name] = column
    return columns


def _lists_as_multi(features: list[FeatureColumn], columns: dict[str, str]) -> list[FeatureColumn]:
    """Categorical features read from a list column (``tool_names``, ``rules``) marked as lists.

    Each item counts, as for the default ``tool_names`` feature, whatever the file format: the list's text as one
    category (``["lookup"]`` from JSON Lines, ``[lookup]`` from Parquet) made one format drift from the other.
    """
    from gatekit.production.schema import COLUMNS

    lists = {c.name for c in COLUMNS if c.type == "string[]"}
    return [
        FeatureColumn(f.name, f.kind, True) if not f.multi and f.kind != NUMERIC and columns.get(f.name) in lists else f
        for f in features
    ]


def _timestamp_column(timestamp_field: str, side: str) -> str:
    """The production-log column holding the time stamp: an unknown one on the production side is exit 2.

    It used to cut the ``--since`` window on ``timestamp`` without a word.
    The reference side's time stamps are never read, so a field meant for a legacy production file passes there.
    """
    from gatekit.production.schema import COLUMN_NAMES

    if timestamp_field in COLUMN_NAMES:
        return timestamp_field
    if side == "production":
        raise ConfigError(
            f"--timestamp-field {timestamp_field!r}: production-log files have no such column; their time stamp is "
            f"'timestamp' (columns: {', '.join(COLUMN_NAMES)}); drop the flag or fix the name"
        )
    return "timestamp"


def _open_native(
    engine: Engine,
    paths: list[Path],
    fmt: str,
    features: list[FeatureColumn],
    side: str,
    explicit: bool,
    timestamp_field: str,
    spec_text: str,
) -> FeatureTable:
    columns = _native_columns(features, explicit, f"{side} {paths[0]}")
    features = _lists_as_multi(features, columns)
    source = FileSource(
        paths=tuple(str(p) for p in paths),
        format=fmt,
        columns=columns,
        timestamp=_timestamp_column(timestamp_field, side),
        label=str(paths[0]) if len(paths) == 1 else spec_text,
    )
    known = [f for f in features if f.name in columns]
    table = engine.open_files(source, known)
    table.features = {f.name: f for f in features}
    return table


def _open_mlflow(
    engine: Engine,
    spec_text: str,
    side: str,
    specs: list[Any],
    workdir: Path,
    explicit: bool,
    tracking_uri: str | None,
    since: str | None,
    since_anchor: str,
) -> OpenedSide:
    """MLflow traces, page by page, into one production-log Parquet file that the engine then reads."""
    from gatekit.production.mlflow_traces import spill_traces

    window = since if side == "production" else None
    try:
        spill = spill_traces(
            spec_text, workdir / side, tracking_uri=tracking_uri, since=window, since_anchor=since_anchor
        )
    except (ConfigError, DatasetError) as exc:  # its messages say --production: the canary's flag is --logs
        text = str(exc)
        if side == "production" or not text.startswith("--production "):
            raise
        cls = ConfigError if isinstance(exc, ConfigError) else DatasetError
        raise cls(f"--{side} {text.removeprefix('--production ')}") from None
    features = [FeatureColumn(s.name, s.kind, s.multi) for s in specs]
    table = _open_native(engine, [spill.path], "parquet", features, side, explicit, "timestamp", spec_text)
    table.label = spec_text
    return OpenedSide(
        table,
        [spill.path],
        "mlflow-traces",
        seen={n: True for n in table.present},
        in_progress=spill.skipped_in_progress,
        oldest_in_progress_ms=spill.oldest_in_progress_ms,
    )


def _open_spark_table(
    engine: Engine, spec_text: str, side: str, specs: list[Any], timestamp_field: str, explicit: bool
) -> OpenedSide:
    """A Spark table or view of production-log columns, opened by the Spark engine (nothing is copied)."""
    from gatekit.production.spark_engine import table_of

    try:
        name = table_of(spec_text)
    except ConfigError as exc:  # (its message says --production)
        raise ConfigError(f"--{side} {str(exc).removeprefix('--production ')}") from None
    open_table = getattr(engine, "open_table", None)
    if engine.name != "spark" or open_table is None:
        raise ConfigError(f"--{side} {spec_text}: a Spark table needs --engine spark (this run uses {engine.name})")
    features = [FeatureColumn(s.name, s.kind, s.multi) for s in specs]
    columns = _native_columns(features, explicit, f"--{side} {spec_text}")
    features = _lists_as_multi(features, columns)
    known = [f for f in features if f.name in columns]
    stamp = _timestamp_column(timestamp_field, side)
    table = open_table(name, known, columns, stamp, label=spec_text)
    missing = [f.name for f in known if f.name not in table.present]
    if explicit and missing:
        raise DatasetError(
            f"--{side} {spec_text}: the table has no column {columns[missing[0]]!r} (feature {missing[0]!r}); "
            "fix the name in --numeric/--categorical or add the column"
        )
    table.features = {f.name: f for f in features}
    return OpenedSide(table, [], "spark-table", seen={n: True for n in table.present})


def _open_legacy(
    engine: Engine,
    paths: list[Path],
    specs: list[Any],
    side: str,
    timestamp_field: str,
    results_map: dict[str, dict[str, Any]] | None,
    workdir: Path,
) -> OpenedSide:
    """Convert today's files once (bounded batches) into a Parquet file of feature columns, then open it."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    from gatekit.drift.features import SideValues, feature_array
    from gatekit.drift.sources import epoch_seconds, top_level

    wanted: set[str] = set().union(*(spec.columns() for spec in specs)) | top_level(timestamp_field) | {"id"}
    accs = {spec.name: SideValues(kind=spec.kind, multi=spec.multi) for spec in specs}
    out = workdir / f"{side}-features.parquet"
    fields = [
        pa.field(
            spec.name,
            pa.list_(pa.string()) if spec.multi else pa.float64() if spec.kind == "numeric" else pa.string(),
        )
        for spec in specs
    ]
    schema = pa.schema([*fields, pa.field(TS_COLUMN, pa.float64())])
    rows = 0
    with pq.ParquetWriter(out, schema, write_page_checksum=True) as writer:
        for batch in _legacy_batches(paths, None if results_map is not None else wanted, results_map):
            arrays = [feature_array(spec, batch, accs[spec.name]) for spec in specs]
            stamps = epoch_seconds(batch, timestamp_field)
            arrays.append(pa.array(stamps, type=pa.float64(), from_pandas=True))
            writer.write_table(pa.Table.from_arrays(arrays, schema=schema))
            rows += batch.num_rows
    features = [FeatureColumn(s.name, s.kind, s.multi) for s in specs]
    source = FileSource(
        paths=(str(out),),
        format="parquet",
        columns={s.name: s.name for s in specs},
        timestamp=TS_COLUMN,
        label=str(paths[0]) if len(paths) == 1 else f"{side} files",
    )
    table = engine.open_files(source, features)
    table.present = {name for name, acc in accs.items() if acc.seen}
    return OpenedSide(
        table,
        paths,
        LEGACY,
        seen={name: acc.seen for name, acc in accs.items()},
        non_numeric={name: acc.non_numeric for name, acc in accs.items()},
        non_finite={name: acc.non_finite for name, acc in accs.items()},
        rounded={name: acc.rounded for name, acc in accs.items()},
    )


def _legacy_batches(
    paths: list[Path], wanted: set[str] | None, results: dict[str, dict[str, Any]] | None
) -> Iterator[Any]:
    from gatekit.drift.sources import Batch, iter_batches

    matched = 0
    matched_ids: set[str] = set()
    for path in paths:
        for batch in iter_batches(path, wanted):
            if results is None:
                yield batch
                continue
            rows = []
            for row in batch.python_rows():
                extra = results.get(str(row.get("id")))
                if extra is not None:
                    matched += 1
                    matched_ids.add(str(row.get("id")))
                    row = {**row, **extra}
                rows.append(row)
            yield Batch(batch.path, len(rows), rows=rows, first_line=batch.first_line)
    if results is not None and matched == 0:
        raise DatasetError(
            "--reference-results: no case_id matches an id in the reference dataset; "
            "pass the results.jsonl of a run on this dataset"
        )
    strangers = [case_id for case_id in results or {} if case_id not in matched_ids]
    if strangers:  # a run on another dataset whose ids happen to overlap: its measurements are not this reference's
        from gatekit.redact import display_path

        raise DatasetError(
            f"--reference-results: {len(strangers)} case ids (e.g. {strangers[0][:60]!r}) are no id in the reference "
            f"dataset {display_path(paths[0])}; pass the results.jsonl of a run on this dataset"
        )


def load_results_map(path: Path) -> dict[str, dict[str, Any]]:
    """First result row per ``case_id`` of a gate run's results.jsonl, as measurement fields (legacy paths)."""
    from gatekit.results import read_results_file

    if not path.exists():  # (a folder, a FIFO: read_results_file says what it is, not "no such file")
        raise DatasetError(f"--reference-results {path}: no such file; pass a gate run's results.jsonl")
    measured: dict[str, dict[str, Any]] = {}
    for row in read_results_file(path).rows:
        case_id = str(row["case_id"])
        if case_id in measured:
            continue
        raw_response = row.get("response")
        response: dict[str, Any] = raw_response if isinstance(raw_response, dict) else {}
        raw_usage = response.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        cost = response.get("cost_usd", row.get("cost_usd"))
        fields: dict[str, Any] = {"latency_ms": row.get("latency_ms"), "usage": usage, "cost_usd": cost}
        if "tool_calls" in response:
            fields["tool_calls"] = response.get("tool_calls")
        measured[case_id] = fields
    return measured
