"""``DuckDBEngine``: the default engine, DuckDB in-process — files, folders and globs read out of core.

Each side becomes a view over ``read_parquet`` / ``read_json`` / ``read_csv`` (explicit column types
from the production-log schema; only the columns the features need are read). The statistics are
the SQL of ``gatekit.production.stats_sql``; per-side numeric summaries are one scan, KS and the
plot's histograms one more scan of the large side, categories one group-by per feature. DuckDB runs
with a memory limit (default 1 GB) and spills to a private temp folder, removed on ``close``.
"""

from __future__ import annotations

import math
import re
import shutil
import tempfile
from typing import Any

from gatekit.errors import DatasetError
from gatekit.production import stats_sql as q
from gatekit.production.engine import (
    CATEGORICAL,
    NUMERIC,
    SCHEMA_COLUMN,
    SUMMARY_LEVELS,
    TS_COLUMN,
    CategorySummary,
    ClusterSums,
    FeatureColumn,
    FeatureTable,
    FileSource,
    KSStatistic,
    NumericComparison,
    NumericSummary,
)
from gatekit.production.schema import COLUMNS, NUMBER_TEXT, check_newest_format
from gatekit.rfc3339 import NO_SECONDS_SQL, TIMESTAMP_TEXT_SQL, UTC_ZONE_SQL, is_timestamp_text

_SQL_TYPE = {"integer": "DOUBLE", "number": "DOUBLE", "string": "VARCHAR", "timestamp": "TIMESTAMPTZ"}
_SCHEMA_TYPE = {c.name: c.type for c in COLUMNS}
# a CSV row may be as long as a JSON Lines row (DuckDB's JSON default, 16 MB); DuckDB's CSV default (2 MB) refused a
# file with one long cell as "CSV Error on Line: 1", where Spark read it
_CSV_LINE = f"max_line_size = {16 * 1024 * 1024}"


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    for hint in (" Try setting", " Consider", " Possible fixes", " Original Line"):
        text = text.split(hint)[0]  # DuckDB's option hints do not apply to gatekit's users
    from gatekit.redact import scrub_message_cut

    return scrub_message_cut(text, 400)  # (a value DuckDB quotes: scrubbed before the cut, no half secret)


def _reads_as_number(value: Any) -> bool:
    """Whether the reader takes this JSON value as a number: numbers and numeric text (true / false are no number)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return True
    if isinstance(value, str):  # the rule ``_number_sql`` applies (and the Spark engine's): blank is null
        text = value.strip(" ")
        return not text or re.fullmatch(NUMBER_TEXT, text) is not None
    return False


def _reads_as_timestamp(value: Any) -> bool:
    """Whether ``_epoch_sql`` reads this JSON value: a finite number, blank or numeric text, or time text.

    Time text: of the shape both engines read (``gatekit.rfc3339.TIMESTAMP_TEXT_SQL``), on a date that exists.
    """
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    if not isinstance(value, str):
        return False
    text = value.strip(" ")
    if not text:
        return True
    if re.fullmatch(NUMBER_TEXT, text):
        return math.isfinite(float(text))
    return is_timestamp_text(text)


def locate_jsonl_problem(paths: tuple[str, ...], types: dict[str, str]) -> str | None:
    """``file:line: what`` for the first line DuckDB could not read (its own line numbers can be off), or None."""
    import functools
    import json

    from gatekit.drift.sources import LineTooLongError, bounded_lines

    too_long: list[str] = []  # (a line DuckDB read past 16 MiB: named when no other line is found)
    for path in paths:
        try:
            handle = open(path, encoding="utf-8")  # noqa: SIM115 - closed below
        except OSError as exc:
            return f"{path}: cannot open ({exc})"
        with handle:
            long_lines: list[int] = []
            try:
                for number, line in enumerate(bounded_lines(handle, path, long_lines), start=1):
                    if not line.strip():
                        continue
                    twice: list[str | None] = []  # per object built, a key it holds twice (the row's is the last)
                    try:
                        row = json.loads(line, object_pairs_hook=functools.partial(_object, twice=twice))
                    except ValueError:
                        return f"{path}:{number}: not valid JSON"
                    except RecursionError:
                        return f"{path}:{number}: not valid JSON (nested too deeply)"
                    if not isinstance(row, dict):
                        return f"{path}:{number}: not a JSON object"
                    if twice and twice[-1] is not None:  # DuckDB refuses the row, Spark the file, neither naming it
                        return f"{path}:{number}: the key {twice[-1][:40]!r} twice in one row"
                    for column, kind in types.items():
                        value = row.get(column)
                        if value is None:
                            continue
                        problem = _cell_problem(kind, value, "null")
                        if problem:
                            return f"{path}:{number}: field {column!r} {problem}"
                        if kind == "VARCHAR" and not isinstance(value, str):
                            return f"{path}:{number}: field {column!r} must be a string or null"
                        if kind == "VARCHAR[]" and not (
                            isinstance(value, list) and all(isinstance(v, str) for v in value)
                        ):
                            return f"{path}:{number}: field {column!r} must be a list of strings or null"
            except UnicodeDecodeError:
                return f"{path}: not UTF-8 text"
            too_long += [f"{path}:{number}" for number in long_lines]
    if too_long:
        return f"{too_long[0]}: {LineTooLongError(too_long[0]).what}"
    return None


def _object(pairs: list[tuple[str, Any]], twice: list[str | None]) -> dict[str, Any]:
    """A JSON object as a dict, noting in ``twice`` a key it holds more than once (None when none)."""
    seen: set[str] = set()
    again = None
    for key, _ in pairs:
        if key in seen and again is None:
            again = key
        seen.add(key)
    twice.append(again)
    return dict(pairs)


def _cell_problem(kind: str, value: Any, missing: str) -> str | None:
    """What is wrong with a number or timestamp cell the readers refuse (``missing``: how an absent value is written)."""
    if kind == "DOUBLE" and not _reads_as_number(value):
        return f"must be a number or {missing}"
    if kind == "TIMESTAMP" and not _reads_as_timestamp(value):
        return f"must be an RFC 3339 timestamp (or epoch seconds / milliseconds) or {missing}"
    return None


def locate_csv_problem(paths: tuple[str, ...], types: dict[str, str]) -> str | None:
    """``file:line: what`` for the first CSV row whose width, number or timestamp cell the readers refuse, or None.

    The engines' own errors name no line (DuckDB's cast error, Spark's refusal, pyarrow's parse error); the cells are
    read by the same rules. The line is where the row starts: a quote left open runs the row on over later lines.
    """
    import csv
    from pathlib import Path

    from gatekit.drift.sources import LineTooLongError, _open_text, bounded_lines

    wanted = {c: k for c, k in types.items() if k in ("DOUBLE", "TIMESTAMP")}
    for path in paths:
        start = 1
        try:
            handle = _open_text(Path(path))  # (.csv.gz, a byte order mark: as the readers read them)
        except OSError as exc:
            return f"{path}: cannot open ({exc})"
        with handle:
            try:
                reader = csv.reader(bounded_lines(handle, path))
                header = next(reader, None) or []
                width = len(header)
                start = reader.line_num + 1
                for cells in reader:
                    if cells and len(cells) != width:
                        many = f" (the row runs on to line {reader.line_num}: a quote left open?)"
                        many = many if reader.line_num > start else ""
                        return f"{path}:{start}: {len(cells)} cells where the header has {width}{many}"
                    row = dict(zip(header, cells, strict=False))  # (as csv.DictReader: a repeated name, its last)
                    for column, kind in wanted.items():
                        value = row.get(column)
                        if value is None or value == "":
                            continue
                        problem = _cell_problem(kind, value, "empty")
                        if problem:
                            return f"{path}:{start}: field {column!r} {problem}"
                    start = reader.line_num + 1
            except LineTooLongError as exc:
                return f"{exc.where}: {exc.what}"
            except UnicodeDecodeError:
                return f"{path}: not UTF-8 text"
            except csv.Error as exc:
                return f"{path}:{start}: not readable CSV ({exc})"
            except OSError as exc:  # a .gz that is not gzip
                return f"{path}: cannot read ({exc})"
    return None


def locate_problem_in(source: FileSource, types: dict[str, str]) -> str | None:
    """``file:line: what`` for the first row of a JSON Lines or CSV source the readers refuse (None: none found)."""
    if source.format == "jsonl":
        return locate_jsonl_problem(source.paths, types)
    if source.format == "csv":
        return locate_csv_problem(source.paths, types)
    return None


def _is_number_type(kind: str) -> bool:
    return kind in (
        "DOUBLE",
        "FLOAT",
        "BIGINT",
        "INTEGER",
        "SMALLINT",
        "TINYINT",
        "HUGEINT",
        "UBIGINT",
        "UINTEGER",
    ) or (kind.startswith("DECIMAL"))


def _number_sql(column: str, label: str) -> str:
    """A text column as a double by ``NUMBER_TEXT`` (the Spark engine's rule): blank is null, other text fails the query.

    DuckDB's own cast took "1_000" as 1000 where Spark refused it (and Spark took "1.5d" where DuckDB refused).
    """
    text = f"trim(CAST({column} AS VARCHAR))"
    refused = q.literal(f"CANNOT_PARSE_NUMBER: column {label!r} holds text that is not a number")
    return (
        f"CASE WHEN {text} IS NULL OR {text} = '' THEN CAST(NULL AS DOUBLE) "
        f"WHEN regexp_full_match({text}, {q.literal(NUMBER_TEXT)}) THEN CAST({text} AS DOUBLE) "
        f"ELSE CAST(error({refused}) AS DOUBLE) END"
    )


def _epoch_sql(column: str, numeric: bool) -> str:
    """UTC epoch seconds of a number / text timestamp column, the same rule as the Spark engine's ``_epoch_seconds``.

    A finite number above 1e11 is epoch milliseconds, else seconds; blank text is null; other text is cast to a
    timestamp (a zone-less one is UTC), and text that is no timestamp fails the query (the file is refused).
    """
    if numeric:
        number = f"CAST({column} AS DOUBLE)"
        return f"CASE WHEN isfinite({number}) THEN (CASE WHEN abs({number}) > 1e11 THEN {number} / 1000.0 ELSE {number} END) END"
    text = f"NULLIF(trim(CAST({column} AS VARCHAR)), '')"
    number = f"(CASE WHEN regexp_full_match({text}, {q.literal(NUMBER_TEXT)}) THEN TRY_CAST({text} AS DOUBLE) END)"
    # one rule on both engines (``TIMESTAMP_TEXT_SQL``): text of that shape is upper-cased (RFC 3339's t and z), given
    # seconds when it has none and `+00:00` for Z / UTC (when the cast refuses it as it is: `T12:00:00UTC`), then
    # cast; other text fails the query (the file is refused, naming the line): DuckDB's cast alone also read zone
    # names, +24:00, T24:00:00, where Spark's did not
    upper = f"upper({text})"
    seconds = f"regexp_replace({upper}, {q.literal(NO_SECONDS_SQL)}, '\\1:00\\2')"
    canonical = f"regexp_replace({seconds}, {q.literal(UTC_ZONE_SQL)}, '+00:00')"
    refused = q.literal("CANNOT_PARSE_TIMESTAMP: a timestamp value is neither RFC 3339 text nor epoch time")
    return (
        f"CASE WHEN {text} IS NULL THEN NULL WHEN isfinite({number}) THEN "
        f"(CASE WHEN abs({number}) > 1e11 THEN {number} / 1000.0 ELSE {number} END) "
        f"WHEN regexp_full_match({text}, {q.literal(TIMESTAMP_TEXT_SQL)}) THEN epoch(COALESCE(TRY_CAST({upper} AS TIMESTAMPTZ), CAST({canonical} AS TIMESTAMPTZ))) "
        f"ELSE CAST(error({refused}) AS DOUBLE) END"
    )


class DuckDBEngine:
    """The DuckDB engine (see ``gatekit.production.engine.Engine``)."""

    name = "duckdb"

    def __init__(
        self,
        memory_limit: str = "1GB",
        threads: int | None = None,
        temp_directory: str | None = None,
        small_side_max_distinct: int = q.SMALL_SIDE_MAX_DISTINCT,
    ) -> None:
        import duckdb

        self._tmp = tempfile.mkdtemp(prefix="gatekit-duckdb-")
        self._con = duckdb.connect(":memory:")
        self._con.execute(f"SET memory_limit = {q.literal(memory_limit)}")
        self._con.execute(f"SET temp_directory = {q.literal(temp_directory or self._tmp)}")
        self._con.execute("SET preserve_insertion_order = false")
        self._con.execute("SET enable_progress_bar = false")
        # a timestamp without a zone is UTC (as on Spark and in docs/production-log.md), never the machine's zone
        self._con.execute("SET TimeZone = 'UTC'")
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        self.small_side_max_distinct = small_side_max_distinct
        self._views = 0
        self._rows: dict[tuple[str, bool], tuple[int, int | None]] = {}
        self._sources: dict[str, tuple[FileSource, dict[str, str]]] = {}

    @property
    def connection(self) -> Any:
        """The engine's DuckDB connection, for callers that run their own SQL over opened tables (the canary)."""
        return self._con

    # --- plumbing -------------------------------------------------------------------------------------------

    def _run(self, sql: str, params: dict[str, Any] | None = None, where: str = "") -> list[tuple[Any, ...]]:
        import duckdb

        try:
            return self._con.execute(sql, params or {}).fetchall()
        except duckdb.Error as exc:
            source = self._sources.get(where)
            if source is not None:
                found = locate_problem_in(source[0], source[1])
                if found:
                    raise DatasetError(f"{found}; fix or remove that line (see docs/production-log.md)") from None
            raise DatasetError(
                f"{where or 'production data'}: DuckDB cannot read it ({_one_line(exc)}); fix or remove that file"
            ) from None

    def locate_problem(self) -> str | None:
        """``file:line: what`` for the first line of an opened JSON Lines or CSV source that cannot be read, or None."""
        for source, checks in self._sources.values():
            found = locate_problem_in(source, checks)
            if found:
                return found
        return None

    def _view(self, select: str, where: str) -> str:
        self._views += 1
        name = f"gk_v{self._views}"
        self._run(f"CREATE OR REPLACE TEMP VIEW {name} AS {select}", where=where)
        return name

    def close(self) -> None:
        """Close the connection and remove the spill folder."""
        try:
            self._con.close()
        finally:
            shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> DuckDBEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- opening --------------------------------------------------------------------------------------------

    def _reader(self, source: FileSource, types: dict[str, str]) -> str:
        paths = "[" + ", ".join(q.literal(p) for p in source.paths) + "]"
        if source.format == "parquet":
            return f"read_parquet({paths}, union_by_name = true)"
        if source.format == "csv":
            typed = "{" + ", ".join(f"{q.literal(k)}: {q.literal(v)}" for k, v in types.items()) + "}"
            return f"read_csv({paths}, header = true, union_by_name = true, {_CSV_LINE}, types = {typed})"
        columns = "{" + ", ".join(f"{q.literal(k)}: {q.literal(v)}" for k, v in types.items()) + "}"
        return f"read_json({paths}, format = 'newline_delimited', columns = {columns})"

    def _available(self, source: FileSource, where: str) -> dict[str, str]:
        """Column name -> DuckDB type of the files (JSON Lines: every column is taken as present)."""
        if source.format == "jsonl":
            return {name: "" for name in set(source.columns.values()) | {source.timestamp or ""} if name}
        paths = "[" + ", ".join(q.literal(p) for p in source.paths) + "]"
        if source.format == "parquet":
            reader = f"read_parquet({paths}, union_by_name = true)"
        else:
            reader = f"read_csv({paths}, header = true, union_by_name = true, {_CSV_LINE}, all_varchar = true)"
        rows = self._run(f"DESCRIBE SELECT * FROM {reader}", where=where)
        found = {str(r[0]): str(r[1]) for r in rows}
        if source.format == "csv":
            self._check_csv_columns(source, found, where)
        return found

    @staticmethod
    def _check_csv_columns(source: FileSource, found: dict[str, str], where: str) -> None:
        """DuckDB's CSV sniffer, thrown by one row of another width, read a whole file as ONE column: refuse, naming it.

        Its columns then missed every name of the header (the canary said "the rows have no request_id, variant,
        timestamp column", drift "not in production") where a row of the wrong width is the fault.
        """
        import csv
        from pathlib import Path

        from gatekit.drift.sources import _open_text, bounded_lines

        for path in source.paths:
            with _open_text(Path(path)) as handle:
                header = next(csv.reader(bounded_lines(handle, path)), [])
            named = [name for name in header if name.strip()]
            if len(named) > 1 and not any(name in found for name in named):  # (not one header name was read)
                problem = locate_csv_problem((path,), {})
                raise DatasetError(
                    f"{problem}; fix or remove that line (see docs/production-log.md)"
                    if problem
                    else f"{where}: DuckDB could not make out the columns of {path} (its header: "
                    f"{', '.join(header[:8])}); check its delimiter and quotes"
                )

    def open_files(self, source: FileSource, features: list[FeatureColumn]) -> FeatureTable:
        """A view over the files with one column per feature and ``__ts``."""
        where = source.label or (source.paths[0] if source.paths else "production")
        available = self._available(source, where)
        types: dict[str, str] = {}
        select: list[str] = []
        present: set[str] = set()
        for feature in features:
            column = source.columns.get(feature.name, feature.name)
            if column in available:
                present.add(feature.name)
                if feature.kind == NUMERIC:
                    if available[column] == "BOOLEAN":  # (Parquet) true / false are no measure: never 1.0 / 0.0
                        raise DatasetError(
                            f"{where}: column {column!r} holds booleans (true / false), not numbers; write numbers "
                            "or null (unknown) there (see docs/production-log.md)"
                        )
                    types[column] = "DOUBLE"
                    if source.format in ("jsonl", "csv") or available[column] == "VARCHAR":  # text: one rule
                        select.append(f"{_number_sql(q.ident(column), column)} AS {q.ident(feature.name)}")
                    else:
                        select.append(f"CAST({q.ident(column)} AS DOUBLE) AS {q.ident(feature.name)}")
                elif feature.multi:
                    types[column] = "VARCHAR[]"
                    expr = q.ident(column)
                    if source.format == "csv":  # a list in a CSV cell is JSON text
                        types[column] = "VARCHAR"
                        expr = f"CAST(json({expr}) AS VARCHAR[])"
                    # (each name read in NFC where the lists are unnested, in stats_sql: a list comprehension here
                    # made the categories 4x slower)
                    select.append(f"CAST({expr} AS VARCHAR[]) AS {q.ident(feature.name)}")
                else:
                    types[column] = "VARCHAR"
                    select.append(f"{q.nfc(f'CAST({q.ident(column)} AS VARCHAR)')} AS {q.ident(feature.name)}")
            else:
                kind = "DOUBLE" if feature.kind == NUMERIC else "VARCHAR[]" if feature.multi else "VARCHAR"
                select.append(f"CAST(NULL AS {kind}) AS {q.ident(feature.name)}")
        has_ts = bool(source.timestamp and source.timestamp in available)
        if has_ts and source.timestamp:
            ts = q.ident(source.timestamp)
            kind = available.get(source.timestamp, "")
            if source.timestamp == TS_COLUMN:
                types[source.timestamp] = "DOUBLE"
                select.append(f"CAST({ts} AS DOUBLE) AS {TS_COLUMN}")
            elif kind.startswith(("TIMESTAMP", "DATE")):
                types[source.timestamp] = "TIMESTAMPTZ"
                select.append(f"epoch(CAST({ts} AS TIMESTAMPTZ)) AS {TS_COLUMN}")
            else:  # as on Spark: epoch seconds / milliseconds (numbers or their text) or ISO-8601 text; other text fails
                types[source.timestamp] = "DOUBLE" if _is_number_type(kind) else "VARCHAR"
                select.append(f"{_epoch_sql(ts, _is_number_type(kind))} AS {TS_COLUMN}")
        else:
            select.append(f"CAST(NULL AS DOUBLE) AS {TS_COLUMN}")
        # JSON Lines: a number column is read as its JSON text and cast, so that true / false (which DuckDB would
        # read as 1.0 / 0.0) fail the cast like other text that is no number: the file is refused naming the line
        # (CSV too: DuckDB's CSV parser read "1_000" as 1000; the text is read and judged by ``_number_sql``)
        read_types = {
            k: "VARCHAR" if v == "DOUBLE" and source.format in ("jsonl", "csv") and k != TS_COLUMN else v
            for k, v in types.items()
        }
        # JSON Lines / CSV: every row's schema_version (the readers check the first row's), its max() taken by the
        # first row count (Parquet: checked across the file by its row-group statistics when sniffed)
        versioned = source.format in ("jsonl", "csv") and (source.format == "jsonl" or "schema_version" in available)
        if versioned:
            read_types.setdefault("schema_version", "VARCHAR")
            select.append(f"TRY_CAST(trim(CAST(schema_version AS VARCHAR)) AS DOUBLE) AS {SCHEMA_COLUMN}")
        if source.format == "parquet":  # DuckDB read overwritten pages as other values (NaN, numbers out of range)
            from gatekit.parquet_integrity import verify_parquet

            for path in source.paths:
                verify_parquet(path, sorted(types))
        reader = self._reader(source, read_types)
        checks = {**types, source.timestamp: "TIMESTAMP"} if has_ts and source.timestamp in types else types
        self._sources[where] = (source, checks)
        view = self._view(f"SELECT {', '.join(select)} FROM {reader}", where)
        return FeatureTable(
            handle=view,
            features={f.name: f for f in features},
            present=present,
            label=where,
            has_timestamp=has_ts,
            versioned=versioned,
        )

    # --- rows and windows -----------------------------------------------------------------------------------

    def newest_timestamp(self, table: FeatureTable) -> float | None:
        """The newest ``__ts`` (epoch seconds) or None."""
        value = self._run(f"SELECT max({TS_COLUMN}) FROM {table.handle}", where=table.label)[0][0]
        return None if value is None else float(value)

    def restrict(self, table: FeatureTable, start_epoch_s: float, end_epoch_s: float) -> FeatureTable:
        """A view of the rows with ``start <= __ts <= end``."""
        view = self._view(
            f"SELECT * FROM {table.handle} WHERE {TS_COLUMN} >= {float(start_epoch_s)!r} "
            f"AND {TS_COLUMN} <= {float(end_epoch_s)!r}",
            table.label,
        )
        return FeatureTable(view, table.features, table.present, table.label, table.has_timestamp, table.notes)

    def count_rows(self, table: FeatureTable, timestamps: bool = False) -> tuple[int, int | None]:
        """(rows, rows without a timestamp or None when not asked), cached per view.

        Without ``timestamps`` a Parquet source is counted from its footers alone (no scan).
        """
        key = (table.handle, timestamps)
        if key not in self._rows:
            newest = f", max({SCHEMA_COLUMN})" if table.versioned else ""
            if timestamps:
                sql = f"SELECT count(*), count(*) FILTER (WHERE {TS_COLUMN} IS NULL){newest} FROM {table.handle}"
                row = self._run(sql, where=table.label)[0]
                counted: tuple[int, int | None] = (int(row[0]), int(row[1]))
            else:
                row = self._run(f"SELECT count(*){newest} FROM {table.handle}", where=table.label)[0]
                counted = (int(row[0]), None)
            if table.versioned:
                source = self._sources.get(table.label)
                paths, fmt = (source[0].paths, source[0].format) if source else ((), "")
                check_newest_format(row[-1], table.label, paths, fmt)
            self._rows[key] = counted
        return self._rows[key]

    # --- numeric --------------------------------------------------------------------------------------------

    def numeric_summaries(self, table: FeatureTable, names: list[str], ecdf_points: int) -> dict[str, NumericSummary]:
        """One scan for all ``names``: counts, moments, quantiles (exact up to 1M rows, t-digest above)."""
        if not names:
            return {}
        rows, _ = self.count_rows(table)
        exact = rows <= q.EXACT_QUANTILE_MAX_ROWS
        ecdf_levels = _ecdf_levels(ecdf_points)
        levels = list(SUMMARY_LEVELS) + ecdf_levels
        row = self._run(q.numeric_summary_sql(table.handle, names, levels, exact), where=table.label)[0]
        out: dict[str, NumericSummary] = {}
        for i, name in enumerate(names):
            base = 1 + 6 * i
            out[name] = _summary(int(row[0]), *row[base : base + 6], ecdf_levels=ecdf_levels, exact=exact)
        return out

    def _distinct(self, table: FeatureTable, name: str) -> list[tuple[float, int]] | None:
        """Sorted distinct finite values with counts, or None when there are more than the small-side limit."""
        rows = self._run(q.distinct_values_sql(table.handle, name, self.small_side_max_distinct), where=table.label)
        if len(rows) > self.small_side_max_distinct:
            return None
        return [(float(v), int(c)) for v, c in rows]

    def _boundary_scan(
        self, table: FeatureTable, entries: list[tuple[str, list[float]]]
    ) -> list[tuple[list[int], list[int], int]]:
        """For each (column, boundaries): counts <= / < each boundary and the column's finite count."""
        if not entries:
            return []
        sql = q.boundary_counts_sql(table.handle, [name for name, _ in entries])
        params = {f"b{i}": bounds for i, (_, bounds) in enumerate(entries)}
        row = self._run(sql, params, where=table.label)[0]
        out = []
        for i, (_, bounds) in enumerate(entries):
            hist, exact = row[2 * i], row[2 * i + 1]
            le, lt = q.cumulative_counts(bounds, hist, exact)
            total = int(sum((hist or {}).values()))
            out.append((le, lt, total))
        return out

    def compare_numeric(
        self, reference: FeatureTable, production: FeatureTable, names: list[str], ecdf_points: int, bins: int
    ) -> dict[str, NumericComparison]:
        """Exact KS D, summaries and plot histograms; one scan of the large side for every small-side feature."""
        import numpy as np

        sides = {"reference": reference, "production": production}
        ref_rows, prod_rows = self.count_rows(reference)[0], self.count_rows(production)[0]
        small_name = "reference" if ref_rows <= prod_rows else "production"
        large_name = "production" if small_name == "reference" else "reference"
        small_table, large_table = sides[small_name], sides[large_name]
        distinct = {name: self._distinct(small_table, name) for name in names}
        fast = [name for name in names if distinct[name] is not None]
        slow = [name for name in names if distinct[name] is None]
        out: dict[str, NumericComparison] = {}
        if fast:
            small_sums = self.numeric_summaries(small_table, fast, ecdf_points)
            bounds = {name: [v for v, _ in distinct[name] or []] for name in fast}
            large = self._large_scan(large_table, fast, {n: bounds[n] or [0.0] for n in fast}, ecdf_points)
            locate: list[tuple[str, float, float]] = []
            for name in fast:
                values = distinct[name] or []
                le, lt, large_sum = large[name]
                small_sum = small_sums[name]
                if not values or not large_sum.n:  # nothing to compare on one side: the caller skips it
                    ks = KSStatistic(math.nan, small_sum.n, large_sum.n, None, 1, "small_side")
                    pair0 = {small_name: small_sum, large_name: large_sum}
                    out[name] = NumericComparison(ks, pair0["reference"], pair0["production"], [0.0, 1.0], [], [])
                    continue
                found = _small_side_ks(values, le, lt, large_sum.n, small_is_reference=small_name == "reference")
                out[name] = grid_comparison(found["ks"], values, le, lt, (small_name, small_sum), large_sum, bins)
                if found["between"] is not None:
                    locate.append((name, *found["between"]))
            if large_sum_rows(large) > q.EXACT_QUANTILE_MAX_ROWS:
                # a large side: no extra scan for the location; D is attained just below ``hi`` (the small-side
                # value the large side's ECDF approaches from the left), which is what the plot marks
                for name, _, hi in locate:
                    out[name].ks.location = hi
                locate = []
            if locate:  # D attained at the large side's last value below a boundary: find that value (one scan)
                parts = []
                for name, lo, hi in locate:
                    x = q.clean_number(name)
                    low = "" if math.isinf(lo) else f"{x} >= {lo!r} AND "
                    parts.append(f"max({x}) FILTER (WHERE {low}{x} < {hi!r})")
                row = self._run(f"SELECT {', '.join(parts)} FROM {large_table.handle}", where=large_table.label)[0]
                for (name, _, _), value in zip(locate, row, strict=True):
                    if value is not None:
                        out[name].ks.location = float(value)
        if slow:
            sums = {side: self.numeric_summaries(table, slow, ecdf_points) for side, table in sides.items()}
            cuts: dict[str, list[float]] = {}
            for name in slow:
                r, p = sums["reference"][name], sums["production"][name]
                if r.n and p.n:
                    lo, hi = min(r.quantiles[0.01], p.quantiles[0.01]), max(r.quantiles[0.99], p.quantiles[0.99])
                else:
                    lo, hi = 0.0, 1.0
                if hi <= lo:
                    pad = max(0.5, abs(lo) * 1e-9)
                    lo, hi = lo - pad, hi + pad
                t = np.linspace(0.0, 1.0, bins + 1)
                cut = [float(v) for v in lo * (1.0 - t) + hi * t]
                cut[0], cut[-1] = lo, hi
                cuts[name] = cut
            scans = {
                side: self._boundary_scan(table, [(n, sorted(set(cuts[n][1:-1]))) for n in slow])
                for side, table in sides.items()
            }
            for i, name in enumerate(slow):
                inner = sorted(set(cuts[name][1:-1]))
                r, p = sums["reference"][name], sums["production"][name]
                if r.n and p.n:
                    ks = self._merged_ks(reference, production, name)
                else:
                    ks = KSStatistic(math.nan, r.n, p.n, None, 1, "merged")
                out[name] = NumericComparison(
                    ks=ks,
                    reference=r,
                    production=p,
                    edges=cuts[name],
                    reference_bins=self._bins(cuts[name], inner, scans["reference"][i]),
                    production_bins=self._bins(cuts[name], inner, scans["production"][i]),
                )
        return out

    def _large_scan(
        self, table: FeatureTable, names: list[str], bounds: dict[str, list[float]], ecdf_points: int
    ) -> dict[str, tuple[list[int], list[int], NumericSummary]]:
        """One scan: per feature the counts <= / < each boundary and the side's summary with its own quantiles."""
        rows_before, _ = self.count_rows(table)
        exact = rows_before <= q.EXACT_QUANTILE_MAX_ROWS
        ecdf_levels = _ecdf_levels(ecdf_points)
        sql = q.large_side_sql(table.handle, names, list(SUMMARY_LEVELS) + ecdf_levels, exact)
        params = {f"b{i}": bounds[name] for i, name in enumerate(names)}
        row = self._run(sql, params, where=table.label)[0]
        rows = int(row[0])
        out = {}
        for i, name in enumerate(names):
            n, non_finite, mean, low, high, hist, hist_exact, quantiles = row[1 + 8 * i : 9 + 8 * i]
            le, lt = q.cumulative_counts(bounds[name], hist, hist_exact)
            summary = _summary(rows, n, non_finite, mean, low, high, quantiles, ecdf_levels=ecdf_levels, exact=exact)
            out[name] = (le, lt, summary)
        return out

    @staticmethod
    def _bins(cut: list[float], inner: list[float], counted: tuple[list[int], list[int], int]) -> list[int]:
        _, lt, total = counted
        below = dict(zip(inner, lt, strict=True))
        cuts = [below[e] for e in cut[1:-1]]
        bounds = [0, *cuts, total]
        return [max(0, bounds[j + 1] - bounds[j]) for j in range(len(bounds) - 1)]

    def _merged_ks(self, reference: FeatureTable, production: FeatureTable, name: str) -> KSStatistic:
        x = q.clean_number(name)
        n_ref = int(self._run(f"SELECT count({x}) FROM {reference.handle}", where=reference.label)[0][0])
        n_prod = int(self._run(f"SELECT count({x}) FROM {production.handle}", where=production.label)[0][0])
        sql = q.merged_ks_sql(reference.handle, production.handle, name, n_ref, n_prod)
        max_diff, min_diff, loc_max, loc_min, num_max, num_min = self._run(sql, where=production.label)[0]
        max_s = float(max_diff)
        min_s = min(max(-float(min_diff), 0.0), 1.0)
        if min_s > max_s:
            return KSStatistic(min_s, n_ref, n_prod, float(loc_min), -1, "merged", abs(int(num_min)))
        return KSStatistic(max_s, n_ref, n_prod, float(loc_max), 1, "merged", abs(int(num_max)) if max_s else 0)

    # --- categorical ----------------------------------------------------------------------------------------

    def categories(
        self, reference: FeatureTable, production: FeatureTable, names: list[str], min_expected: float, plot_top: int
    ) -> dict[str, CategorySummary]:
        """Counts per side in one grouping-sets scan, joined and pooled in DuckDB; only small tables return."""
        if not names:
            return {}
        for side, table in (("ref", reference), ("prod", production)):
            single = [n for n in names if not table.features[n].multi]
            parts = []
            if single:
                inner = q.grouped_labels_sql(table.handle, single)
                mapping = " ".join(f"WHEN {i} THEN {names.index(n)}" for i, n in enumerate(single))
                parts.append(f"SELECT CASE f {mapping} END AS f, v, c FROM ({inner})")
            parts += [q.grouped_list_sql(table.handle, n, names.index(n)) for n in names if table.features[n].multi]
            self._run(
                f"CREATE OR REPLACE TEMP TABLE gk_counts_{side} AS {' UNION ALL '.join(parts)}", where=table.label
            )
        ref_rows, prod_rows = self.count_rows(reference)[0], self.count_rows(production)[0]
        out = {}
        for index, name in enumerate(names):
            multi = reference.features[name].multi
            self._run(
                "CREATE OR REPLACE TEMP TABLE gk_cat AS "
                + q.joined_counts_sql("gk_counts_ref", "gk_counts_prod", index)
            )
            out[name] = self._pooled(name, multi, min_expected, plot_top, ref_rows, prod_rows, index)
        self._run(
            "DROP TABLE IF EXISTS gk_cat; DROP TABLE IF EXISTS gk_counts_ref; DROP TABLE IF EXISTS gk_counts_prod"
        )
        return out

    def cluster_sums(
        self, table: FeatureTable, name: str, columns: dict[str, int], rest: int | None, width: int
    ) -> ClusterSums:
        """Per-request sums of a list feature's counts in the columns of its tested table (see ``ClusterSums``)."""
        yy, ym = [0] * width, [0] * width
        mm = 0
        params = {"names": list(columns), "columns": list(columns.values())}
        for j, sum_yy, sum_ym, sum_mm in self._run(q.cluster_sums_sql(table.handle, name, rest), params, table.label):
            if int(j) < 0:
                mm = int(sum_mm)
            else:
                yy[int(j)], ym[int(j)] = int(sum_yy), int(sum_ym)
        return ClusterSums(yy, ym, mm)

    def _pooled(
        self, name: str, multi: bool, min_expected: float, plot_top: int, ref_rows: int, prod_rows: int, index: int
    ) -> CategorySummary:
        n_ref, n_prod = (int(v or 0) for v in self._run("SELECT sum(rc), sum(pc) FROM gk_cat")[0])
        cats: list[str] = []
        ref_counts: list[int] = []
        prod_counts: list[int] = []
        pooled_ref = pooled_prod = pooled_count = 0
        plot: list[dict[str, Any]] = []
        if n_ref and n_prod:
            for v, rc, pc, kept in self._run(q.pooled_sql("gk_cat", n_ref, n_prod, min_expected)):
                if kept == 1:
                    cats.append(str(v))
                    ref_counts.append(int(rc))
                    prod_counts.append(int(pc))
                else:
                    pooled_ref, pooled_prod, pooled_count = int(rc), int(pc), -int(kept)
            for v, rc, pc, rest in self._run(q.plot_sql("gk_cat", n_ref, n_prod, plot_top)):
                if v is None:
                    if rest:
                        plot.append(
                            {
                                "category": f"(rest: {int(rest)} categories)",
                                "reference": int(rc) / n_ref,
                                "production": int(pc) / n_prod,
                                "new": False,
                            }
                        )
                    continue
                plot.append(
                    {"category": str(v), "reference": int(rc) / n_ref, "production": int(pc) / n_prod, "new": rc == 0}
                )
        one_sided: dict[str, tuple[list[str], int]] = {}
        for side in ("new", "vanished"):
            rows = self._run(q.one_sided_sql("gk_cat", side, q.NEW_NAMES_SHOWN))
            one_sided[side] = ([str(r[0]) for r in rows], int(rows[0][1]) if rows else 0)
        missing = {}
        for side in ("ref", "prod"):
            got = self._run(f"SELECT coalesce(sum(c), 0) FROM gk_counts_{side} WHERE f = {int(index)} AND v IS NULL")
            missing[side] = 0 if multi else int(got[0][0])
        return CategorySummary(
            categories=cats,
            reference_counts=ref_counts,
            production_counts=prod_counts,
            pooled_reference=pooled_ref,
            pooled_production=pooled_prod,
            pooled_count=pooled_count,
            n_reference=n_ref,
            n_production=n_prod,
            reference_rows=ref_rows,
            production_rows=prod_rows,
            reference_missing=missing["ref"],
            production_missing=missing["prod"],
            new=one_sided["new"][0],
            new_count=one_sided["new"][1],
            vanished=one_sided["vanished"][0],
            vanished_count=one_sided["vanished"][1],
            plot=plot,
        )


def large_sum_rows(large: dict[str, tuple[list[int], list[int], NumericSummary]]) -> int:
    """Rows of the large side (every entry of a large scan has the same)."""
    return next(iter(large.values()))[2].rows if large else 0


def _ecdf_levels(ecdf_points: int) -> list[float]:
    """Evenly spaced levels 0..1 at which a side's quantiles give its ECDF points for the plot."""
    steps = max(ecdf_points, 2)
    return [i / (steps - 1) for i in range(steps)]


def _summary(
    rows: int,
    n: Any,
    non_finite: Any,
    mean: Any,
    low: Any,
    high: Any,
    quantiles: Any,
    *,
    ecdf_levels: list[float],
    exact: bool,
) -> NumericSummary:
    """A side's summary from one aggregate row: its quantiles at ``SUMMARY_LEVELS`` then at ``ecdf_levels``."""
    values = [float(v) for v in quantiles] if quantiles else []
    ecdf: list[list[float]] = []
    floor = 1.0 / max(int(n), 1)
    for level, x in zip(ecdf_levels, values[len(SUMMARY_LEVELS) :], strict=False):
        if ecdf and ecdf[-1][0] == x:
            ecdf[-1][1] = max(level, floor)
            continue
        ecdf.append([x, max(level, floor)])
    return NumericSummary(
        rows=rows,
        n=int(n),
        missing=rows - int(n),
        non_finite=int(non_finite),
        mean=None if mean is None else float(mean),
        min=None if low is None else float(low),
        max=None if high is None else float(high),
        quantiles=dict(zip(SUMMARY_LEVELS, values[: len(SUMMARY_LEVELS)], strict=False)),
        ecdf=ecdf,
        exact_quantiles=exact,
    )


def grid_comparison(
    ks: KSStatistic,
    values: list[tuple[float, int]],
    le: list[int],
    lt: list[int],
    small: tuple[str, Any],
    large_sum: Any,
    bins: int,
) -> NumericComparison:
    """A feature's comparison from the large side's counts at the small side's values (both engines).

    ``small`` is ``(side name, summary)`` of the small side; the large side's histogram is filled in from
    ``le`` / ``lt`` (rows ≤ / < each of the small side's ``values``). Each side's quantiles and ECDF points are its own
    (from its own scan): read off the small side's values, a large side whose values all lie below them showed
    the small side's values as its quantiles (p50 30 with max 2).
    """
    small_name, small_sum = small
    edges, small_bins, large_bins = _grid_histogram(values, le, lt, small_sum, large_sum, bins)
    reference_is_small = small_name == "reference"
    return NumericComparison(
        ks=ks,
        reference=small_sum if reference_is_small else large_sum,
        production=large_sum if reference_is_small else small_sum,
        edges=edges,
        reference_bins=small_bins if reference_is_small else large_bins,
        production_bins=large_bins if reference_is_small else small_bins,
    )


def _grid_histogram(
    values: list[tuple[float, int]],
    le: list[int],
    lt: list[int],
    small: NumericSummary,
    large: NumericSummary,
    bins: int,
) -> tuple[list[float], list[int], list[int]]:
    """Plot bins whose inner edges are small-side values, so both sides' counts per bin are exact."""
    import bisect

    grid = [v for v, _ in values]
    if not grid or not small.n or not large.n:
        return [0.0, 1.0], [small.n], [large.n]
    lo = min(small.quantiles.get(0.01, grid[0]), large.quantiles.get(0.01, grid[0]))
    hi = max(small.quantiles.get(0.99, grid[-1]), large.quantiles.get(0.99, grid[-1]))
    if hi <= lo:
        pad = max(0.5, abs(lo) * 1e-9)
        lo, hi = lo - pad, hi + pad
    inner_idx: list[int] = []
    for j in range(1, bins):
        target = lo + (hi - lo) * j / bins
        k = bisect.bisect_left(grid, target)
        if k < len(grid) and grid[k] > lo and grid[k] < hi and (not inner_idx or k > inner_idx[-1]):
            inner_idx.append(k)
    edges = [lo, *(grid[k] for k in inner_idx), hi]
    cum_small = [0]
    for _, count in values:
        cum_small.append(cum_small[-1] + count)
    small_below = [0, *(cum_small[k] for k in inner_idx), small.n]  # small-side values < grid[k]
    large_below = [0, *(lt[k] for k in inner_idx), large.n]
    small_bins = [small_below[j + 1] - small_below[j] for j in range(len(edges) - 1)]
    large_bins = [large_below[j + 1] - large_below[j] for j in range(len(edges) - 1)]
    return [float(e) for e in edges], small_bins, large_bins


def _small_side_ks(
    small: list[tuple[float, int]], le: list[int], lt: list[int], n_large: int, *, small_is_reference: bool
) -> dict[str, Any]:
    """Exact D from the small side's values/counts and the large side's counts at those values.

    Candidates, in increasing x: just below each small value v_k (the large side's last value in
    [v_{k-1}, v_k), where the small ECDF is still at v_{k-1}'s level) and at v_k itself. Differences are
    ``count / n`` in double precision, the ones scipy computes; D and its sign follow scipy's rule.
    """
    n_small = sum(c for _, c in small)
    if n_small == 0 or n_large == 0:
        return {"ks": KSStatistic(math.nan, 0, 0, None, 1, "small_side"), "between": None}
    direction = 1.0 if small_is_reference else -1.0
    best_max = best_min = None  # (diff, index of candidate)
    candidates: list[tuple[float, float | None, tuple[float, float] | None, int]] = []  # diff, x, between, num
    cum_small = 0
    previous = -math.inf
    for k, (value, count) in enumerate(small):
        if lt[k] > (le[k - 1] if k else 0):  # some large-side value lies in [v_{k-1}, v_k)
            diff = cum_small / n_small - lt[k] / n_large
            num = cum_small * n_large - lt[k] * n_small
            candidates.append((diff if direction > 0 else -diff, None, (previous, value), abs(num)))
        cum_small += count
        diff = cum_small / n_small - le[k] / n_large
        num = cum_small * n_large - le[k] * n_small
        candidates.append((diff if direction > 0 else -diff, value, None, abs(num)))
        previous = value
    if n_large > le[-1]:  # large-side values above the last small value (small ECDF = 1 there)
        candidates.append((0.0, small[-1][0], None, 0))
    for index, (diff, _, _, _) in enumerate(candidates):
        if best_max is None or diff > best_max[0]:
            best_max = (diff, index)
        if best_min is None or diff < best_min[0]:
            best_min = (diff, index)
    assert best_max is not None and best_min is not None
    max_s = best_max[0]
    min_s = min(max(-best_min[0], 0.0), 1.0)
    if min_s > max_s:
        d, sign, index = min_s, -1, best_min[1]
    else:
        d, sign, index = max_s, 1, best_max[1]
    _, location, between, numerator = candidates[index]
    if d == 0.0:
        numerator = 0
    n_ref, n_prod = (n_small, n_large) if small_is_reference else (n_large, n_small)
    if location is None and between is not None:
        location = between[0] if math.isfinite(between[0]) else None
    ks = KSStatistic(float(d), n_ref, n_prod, location, sign, "small_side", numerator)
    return {"ks": ks, "between": between if candidates[index][2] is not None else None}


__all__ = ["CATEGORICAL", "NUMERIC", "DuckDBEngine"]
