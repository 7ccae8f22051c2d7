"""The drift engine on Spark: the same questions as the DuckDB engine, answered by a Spark session.

``SparkEngine`` opens production-log files (Parquet / JSON Lines / CSV, paths or globs Spark can read),
Spark tables (``open_table``; ``--production spark-table:<name>``) or a DataFrame a Python caller already
has (``open_dataframe``) as a feature table, and computes every statistic inside Spark; only counts,
quantiles, a few hundred ECDF points and the exact KS D come back to the driver.

Written once in Spark's DataFrame API beside the DuckDB SQL, not transpiled from it: the DuckDB engine's
exact KS leans on DuckDB-only aggregates (``histogram(x, boundaries)``, ``histogram_exact``, ordered
``first``, ``isfinite``, ``unnest``) that sqlglot turns into Spark SQL that does not run; the Spark
equivalents (a ``Bucketizer`` binary search, ``explode``, ``max(struct(...))``) are different enough that
one readable implementation per engine is clearer than a transpiled one with patches.

KS is exact in both shapes, chosen per feature as in the DuckDB engine and with the same arithmetic
(``count / n`` in double precision plus the exact integer numerator, as scipy computes it):

* **small side** (the side with fewer rows has at most ``small_side_max_distinct`` distinct values): its
  sorted distinct values r_1 < … < r_K come to the driver; the other side is read once for all such features
  through a ``Bucketizer`` (a binary search per row, on x and on -x, which also tells the rows equal to a
  boundary), grouped to at most 2K + 1 rows per feature: counts <= / < each boundary and the largest value
  per interval. D and the plot bins then come from the DuckDB engine's own grid functions
  (``_small_side_ks``, ``_grid_histogram``), so both engines report the same numbers; each side's quantiles
  and ECDF points are its own (``percentile``, as ``numeric_summaries``). Memory is bounded by K, whatever
  the number of rows (``percentile_approx`` above 1M rows).
* **merged** (both sides large): both sides grouped by distinct value, cumulative sums in a window over the
  sorted groups, the extremes taken with ``max(struct(diff, -x))`` (smallest x on ties, like scipy's
  ``argmax``).

A session is passed in (``SparkEngine(session=spark)``, ``get_engine("spark", session=spark)``), else the
caller's active session is used; else one is started (the ``spark-submit`` master, or ``local[*]``) and stopped
on ``close``. A session the engine did not start is never stopped.
"""

from __future__ import annotations

import functools
import math
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from gatekit.errors import ConfigError, DatasetError, GatekitError
from gatekit.production.engine import (
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
from gatekit.production.schema import NUMBER_TEXT, check_newest_format
from gatekit.production.stats_sql import EXACT_QUANTILE_MAX_ROWS, NEW_NAMES_SHOWN, SMALL_SIDE_MAX_DISTINCT
from gatekit.rfc3339 import NO_SECONDS_SQL, TIMESTAMP_TEXT_SQL, UTC_ZONE_SQL

TABLE_PREFIX = "spark-table:"
_APPROX_ACCURACY = 10_000


def is_spark_table_spec(spec: str | None) -> bool:
    """True when a ``--production`` value names a Spark table (``spark-table:<catalog.db.table>``)."""
    return bool(spec) and str(spec).startswith(TABLE_PREFIX)


def table_of(spec: str) -> str:
    """The table name in ``spark-table:<name>``; ConfigError when it is empty."""
    name = spec[len(TABLE_PREFIX) :].strip() if spec.startswith(TABLE_PREFIX) else ""
    if not name:
        raise ConfigError(f"--production {spec!r}: name the table, e.g. spark-table:prod.agent_requests")
    return name


def java_home() -> str | None:
    """The Java Spark will use: a valid ``JAVA_HOME``, else the ``java`` on PATH, else a JDK in /usr/lib/jvm, else None."""
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "java")):
        return home
    java = shutil.which("java")
    if java is not None:
        return os.path.dirname(os.path.dirname(os.path.realpath(java)))
    import glob

    found = sorted(glob.glob("/usr/lib/jvm/*/bin/java"), key=lambda p: ("17" not in p and "21" not in p, p))
    return os.path.dirname(os.path.dirname(found[0])) if found else None


def local_session(app_name: str = "gatekit-drift", threads: str = "*") -> Any:
    """Start a Spark session: on the master ``spark-submit`` / ``SPARK_REMOTE`` configured, else ``local[threads]``.

    The UI is off, the session time zone UTC and shuffles use few partitions (the data that reaches a
    shuffle here is grouped counts). ConfigError (exit 2) when pyspark or Java is missing.
    """
    try:
        from pyspark import SparkConf
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise ConfigError(
            f"--engine spark needs pyspark ({exc}); pip install 'pyspark>=4,<5' (gatekit's spark extra), or use --engine duckdb"
        ) from None
    builder = SparkSession.builder.appName(app_name)
    if not os.environ.get("SPARK_REMOTE"):
        home = java_home()
        if home is None:
            raise ConfigError("--engine spark needs Java 17+: install a JDK or set JAVA_HOME, or use --engine duckdb")
        os.environ.setdefault("JAVA_HOME", home)
        if not SparkConf().contains("spark.master"):
            builder = builder.master(f"local[{threads}]")
    session = (
        builder.config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    if not os.environ.get("SPARK_REMOTE"):
        session.sparkContext.setLogLevel("ERROR")  # the CLI prints one summary, not Spark's warnings
    return session


def _parquet_schema(path: str) -> str:
    """A Parquet file's column names and types, from its footer (files with equal schemas are read together).

    A broken footer raises pyarrow's error: ``open_files`` reports it as a file Spark could not read.
    """
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    return "; ".join(f"{field.name}: {field.type}" for field in schema)  # (not the metadata: pandas' differs per file)


def _csv_header(path: str) -> tuple[str, ...]:
    """The column names in a CSV file's first row (a ``.csv.gz`` too); empty when the file is empty.

    An unreadable file raises: ``open_files`` reports it as a file Spark could not read.
    """
    import csv
    from pathlib import Path

    from gatekit.drift.sources import _open_text, bounded_lines

    with _open_text(Path(path)) as handle:
        return tuple(next(csv.reader(bounded_lines(handle, path)), []))


def _not_json(source: FileSource, label: str) -> str:
    """The line Spark's JSON reader set aside as ``_corrupt_record`` (PERMISSIVE mode would drop it from every column).

    A torn row left out would silently vanish from the judgement (docs/production-log.md): the file is refused, naming
    the line as the DuckDB engine does.
    """
    from gatekit.production.duckdb_engine import locate_jsonl_problem

    found = locate_jsonl_problem(source.paths, {})
    if found:
        return f"{found}; fix or remove that line (see docs/production-log.md)"
    return f"{label}: a line is not a JSON object; fix or remove it (see docs/production-log.md)"


def _fails_closed(method: Callable[..., Any]) -> Callable[..., Any]:
    """Turn a Spark failure inside an engine method into a DatasetError naming the data (exit 2, one line)."""

    @functools.wraps(method)
    def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except GatekitError:
            raise
        except Exception as exc:  # noqa: BLE001 - py4j / pyspark errors have no common base worth naming
            tables = [a.label for a in args if isinstance(a, FeatureTable)]
            found = self.locate_problem(exc, tables)
            if found:  # a value the readers refuse: name its file and line, as the DuckDB engine does
                raise DatasetError(f"{found}; fix or remove that line (see docs/production-log.md)") from None
            labels = tables or ["production data"]
            raise DatasetError(
                f"{' vs '.join(labels)}: Spark failed in {method.__name__} ({_first_line(exc)}); check the data"
            ) from None

    return wrapper


@dataclass
class _Handle:
    """A feature table on Spark: the projected DataFrame and the internal column of each feature."""

    df: Any
    cols: dict[str, str]
    rows: int | None = None  # counted once
    without_ts: int | None = None  # rows without a timestamp, counted once when asked for


class SparkEngine:
    """The ``Engine`` protocol on a Spark session (see the module docstring).

    ``persist=True`` caches each opened side (memory and disk) before the statistics read it several times:
    worth it for a source that is expensive to read again (a remote table, a slow view). Local Parquet is
    cheaper to re-read than to cache (1M rows, 3 numeric + 1 categorical feature, ``local[2]`` on a shared
    2-core machine: 30 s re-read vs 49 s cached), so it is off by default.
    ``small_side_max_distinct`` bounds the boundaries of the small-side KS path.
    """

    name = "spark"

    def __init__(
        self, session: Any = None, persist: bool = False, small_side_max_distinct: int = SMALL_SIDE_MAX_DISTINCT
    ) -> None:
        if session is None:
            try:
                from pyspark.sql import SparkSession

                session = SparkSession.getActiveSession()  # a Python caller's session is used, never stopped
            except ImportError:
                session = None
        self._owns_session = session is None
        self.spark = session if session is not None else local_session()
        self._persist = persist
        self._cached: list[Any] = []
        self._sources: dict[str, tuple[FileSource, dict[str, str]]] = {}  # label -> JSON Lines / CSV opened
        self.small_side_max_distinct = small_side_max_distinct

    # --- opening sources ---------------------------------------------------------------------------------

    def open_files(self, source: FileSource, features: list[FeatureColumn]) -> FeatureTable:
        """Open production-log files (or, with ``format="table"``, a Spark table) as a feature table."""
        label = source.label or (source.paths[0] if len(source.paths) == 1 else f"{len(source.paths)} files")
        if source.format == "table":
            return self.open_table(source.paths[0], features, source.columns, source.timestamp, label=label)
        reader = self.spark.read
        try:
            if source.format == "parquet":
                # Spark reads every file with ONE file's schema: a column only some files have (agent_version in newer
                # guards' files) was dropped from all, and an int64 column where another file has double failed the
                # read. Files are read per schema and joined by name (missing columns null, numbers widened), as
                # DuckDB's union_by_name reads them.
                by_schema: dict[str, list[str]] = {}
                for path in source.paths:
                    by_schema.setdefault(_parquet_schema(path), []).append(path)
                frames = [reader.parquet(*paths) for paths in by_schema.values()]
                df = frames[0]
                for frame in frames[1:]:
                    df = df.unionByName(frame, allowMissingColumns=True)
            elif source.format == "jsonl":
                df = reader.option("mode", "PERMISSIVE").json(list(source.paths))
                if "_corrupt_record" in df.columns:  # a torn or non-JSON line: refused, as on DuckDB (never skipped)
                    raise DatasetError(_not_json(source, label))
                if self._array_lines(source.paths):  # Spark expands a line holding an array into rows; DuckDB refuses
                    raise DatasetError(_not_json(source, label))
            elif source.format == "csv":
                # RFC 4180 quotes; a row of more or fewer cells than the header fails the read (PERMISSIVE padded or
                # cut it without a word, and column pruning let even FAILFAST pass it when its cells were not read):
                # refused naming its file and line (``locate_problem``), as on DuckDB
                # multiLine: a quoted cell may hold line breaks (RFC 4180; DuckDB reads them): Spark cut such a row in
                # two at the break, and FAILFAST then failed the whole read with no file or line named
                csv = (
                    reader.option("header", "true")
                    .option("escape", '"')
                    .option("multiLine", "true")
                    .option("mode", "FAILFAST")
                    .option("columnPruning", "false")
                )
                # Spark maps every file's cells to the FIRST file's header by position: a file whose columns are in
                # another order was misread (its variant column held request ids: its rows vanished). Files are
                # read per header and joined by column name, as DuckDB's union_by_name reads them.
                groups: dict[tuple[str, ...], list[str]] = {}
                for path in source.paths:
                    groups.setdefault(_csv_header(path), []).append(path)
                frames = []
                for paths in groups.values():
                    frame = csv.csv(paths)  # header names stripped of spaces (` request_id `), as DuckDB reads them
                    frames.append(frame.toDF(*[c.strip(" ") for c in frame.columns]))
                df = frames[0]
                for frame in frames[1:]:
                    df = df.unionByName(frame, allowMissingColumns=True)
            else:
                raise ConfigError(
                    f"{label}: the Spark engine reads parquet, jsonl, csv or a table, not {source.format}"
                )
        except (ConfigError, DatasetError):
            raise
        except Exception as exc:  # noqa: BLE001 - a file Spark cannot read: one line naming it
            if source.format == "jsonl" and "COLUMN_ALREADY_EXISTS" in str(exc):  # a key twice in a row: name the line
                from gatekit.production.duckdb_engine import locate_jsonl_problem

                found = locate_jsonl_problem(source.paths, {})
                if found:
                    raise DatasetError(f"{found}; fix or remove that line (see docs/production-log.md)") from None
            raise DatasetError(f"{label}: Spark could not read it ({_first_line(exc)}); check the file") from None
        if source.format in ("jsonl", "csv"):
            checks = {source.columns.get(f.name, f.name): "DOUBLE" for f in features if f.kind == NUMERIC}
            if source.timestamp:
                checks[source.timestamp] = "TIMESTAMP"
            self._sources[label] = (source, checks)
        # JSON Lines / CSV: every row's schema_version, its max() taken by the first row count (Parquet: checked by
        # its row-group statistics when sniffed)
        versioned = source.format in ("jsonl", "csv")
        return self._project(df, features, source.columns, source.timestamp, label, versioned)

    def locate_problem(self, exc: BaseException | None = None, labels: list[str] | None = None) -> str | None:
        """``file:line: what`` of the first JSON Lines / CSV row whose number or time the readers refuse, or None.

        Spark's refusal (``CANNOT_PARSE_NUMBER`` / ``CANNOT_PARSE_TIMESTAMP``, ``MALFORMED_CSV_RECORD`` for a CSV row
        of another width than its header) names no file or line; the rows are read again by the rules both engines
        apply. With ``exc``, only for such a refusal; with ``labels``, only in the tables of those labels (the ones the
        failing step read).
        """
        if exc is not None and not any(word in str(exc) for word in ("CANNOT_PARSE_", "MALFORMED_")):
            return None
        from gatekit.production.duckdb_engine import locate_problem_in

        for label, (source, checks) in self._sources.items():
            if labels and label not in labels:
                continue
            found = locate_problem_in(source, checks)
            if found:
                return found
        return None

    def _array_lines(self, paths: tuple[str, ...]) -> bool:
        """Whether a JSON Lines line holds an array (``[]``, ``[{...}]``): one text pass, no JSON parsing.

        Spark's JSON reader turns ``[{...}, {...}]`` into two rows and ``[]`` into none; a production-log line is one
        JSON object (the DuckDB engine refuses anything else, naming the line).
        """
        from pyspark.sql import functions as F

        text = self.spark.read.text(list(paths))
        return bool(text.where(F.col("value").rlike(r"^[\s\x{FEFF}]*\[")).limit(1).count())

    def open_table(
        self,
        name: str,
        features: list[FeatureColumn],
        columns: dict[str, str] | None = None,
        timestamp: str | None = "timestamp",
        label: str | None = None,
    ) -> FeatureTable:
        """Open a Spark (catalog) table or temporary view by name."""
        try:
            df = self.spark.table(name)
        except Exception as exc:  # noqa: BLE001 - unknown table: one line with what to do
            raise DatasetError(
                f"spark-table:{name}: no such table or view in the Spark session ({_first_line(exc)}); "
                "check the name (catalog.database.table) and the session's catalog"
            ) from None
        return self._project(df, features, columns or {}, timestamp, label or f"spark-table:{name}", True)

    def open_dataframe(
        self,
        df: Any,
        features: list[FeatureColumn],
        columns: dict[str, str] | None = None,
        timestamp: str | None = "timestamp",
        label: str = "dataframe",
    ) -> FeatureTable:
        """Open a Spark DataFrame a Python caller already holds."""
        return self._project(df, features, columns or {}, timestamp, label, True)

    def _project(
        self,
        df: Any,
        features: list[FeatureColumn],
        columns: dict[str, str],
        timestamp: str | None,
        label: str,
        versioned: bool = False,
    ) -> FeatureTable:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        exprs = []
        cols: dict[str, str] = {}
        present: set[str] = set()
        for i, feature in enumerate(features):
            source_name = columns.get(feature.name, feature.name)
            field = _field(df.schema, source_name)
            internal = f"f{i}"
            cols[feature.name] = internal
            if field is None:
                continue
            present.add(feature.name)
            col = F.col(_quoted_path(df.schema, source_name))
            if feature.kind == NUMERIC:
                if isinstance(field.dataType, T.BooleanType):  # true / false are no measure: never 1.0 / 0.0
                    raise DatasetError(
                        f"{label}: column {source_name!r} holds booleans (true / false), not numbers; write numbers "
                        "or null (unknown) there (see docs/production-log.md)"
                    )
                if not isinstance(field.dataType, T.StringType):  # (a struct or list fails the select below)
                    expr = col.try_cast("double") if not isinstance(field.dataType, T.DoubleType) else col
                else:  # text that is no number fails the query, as on DuckDB (never a silent missing value)
                    text = F.trim(col)  # by NUMBER_TEXT, DuckDB's rule too (Spark's cast took "1.5d"); blank is null
                    refused = F.raise_error(
                        F.lit(f"CANNOT_PARSE_NUMBER: column {source_name!r} holds text that is not a number")
                    )
                    expr = (
                        F.when(text.isNull() | (text == F.lit("")), F.lit(None).cast("double"))
                        .when(text.rlike(NUMBER_TEXT), text.try_cast("double"))
                        .otherwise(refused.cast("double"))
                    )
            elif feature.multi:
                if isinstance(field.dataType, T.ArrayType):
                    expr = col.cast("array<string>")
                else:  # a list in a CSV cell (or a text column) is JSON text, as the DuckDB engine reads it
                    expr = F.from_json(col.cast("string"), "array<string>")
                expr = F.transform(expr, _nfc)
            else:
                expr = _nfc(col.cast("string"))
            exprs.append(expr.alias(internal))
        has_ts = False
        ts_field = _field(df.schema, timestamp) if timestamp else None
        if ts_field is not None and timestamp is not None:
            exprs.append(_epoch_seconds(F.col(_quoted_path(df.schema, timestamp)), ts_field.dataType).alias(TS_COLUMN))
            has_ts = True
        else:
            exprs.append(F.lit(None).cast("double").alias(TS_COLUMN))
        version_field = _field(df.schema, "schema_version") if versioned else None
        if version_field is not None:  # (a text cell "2" or a number alike; other text is no version)
            version = F.trim(F.col(_quoted_path(df.schema, "schema_version")).cast("string"))
            exprs.append(version.try_cast("double").alias(SCHEMA_COLUMN))
        try:
            projected = df.select(*exprs)
        except Exception as exc:  # noqa: BLE001 - a column Spark cannot cast (e.g. a struct as a number)
            raise DatasetError(f"{label}: Spark cannot read the feature columns ({_first_line(exc)})") from None
        if self._persist:
            from pyspark import StorageLevel

            projected = projected.persist(StorageLevel.MEMORY_AND_DISK)
            self._cached.append(projected)
        return FeatureTable(
            handle=_Handle(projected, cols),
            features={f.name: f for f in features},
            present=present,
            label=label,
            has_timestamp=has_ts,
            versioned=version_field is not None,
        )

    # --- rows and time windows -----------------------------------------------------------------------------

    @_fails_closed
    def newest_timestamp(self, table: FeatureTable) -> float | None:
        """The newest ``__ts`` (epoch seconds), None when no row has one."""
        from pyspark.sql import functions as F

        value = table.handle.df.agg(F.max(TS_COLUMN)).first()[0]
        return float(value) if value is not None else None

    def restrict(self, table: FeatureTable, start_epoch_s: float, end_epoch_s: float) -> FeatureTable:
        """The rows whose ``__ts`` lies in [start, end]."""
        from pyspark.sql import functions as F

        df = table.handle.df.where(F.col(TS_COLUMN).between(float(start_epoch_s), float(end_epoch_s)))
        return FeatureTable(
            handle=_Handle(df, table.handle.cols),
            features=table.features,
            present=set(table.present),
            label=table.label,
            has_timestamp=table.has_timestamp,
            notes=dict(table.notes),
        )

    @_fails_closed
    def count_rows(self, table: FeatureTable, timestamps: bool = False) -> tuple[int, int | None]:
        """(rows, rows without a timestamp — None unless ``timestamps``), each counted once per table.

        The plain row count needs no column (Parquet: row-group metadata); the timestamp count scans ``__ts``.
        """
        from pyspark.sql import functions as F

        handle = table.handle
        # a versioned table's first count also takes the largest schema_version (the same scan)
        newest = [F.max(SCHEMA_COLUMN)] if table.versioned and handle.rows is None else []
        row = None
        if timestamps and handle.without_ts is None:
            row = handle.df.agg(F.count(F.lit(1)), F.count_if(F.col(TS_COLUMN).isNull()), *newest).first()
            rows, without_ts = int(row[0]), int(row[1])
        elif handle.rows is None:
            if newest:
                row = handle.df.agg(F.count(F.lit(1)), *newest).first()
                rows, without_ts = int(row[0]), handle.without_ts
            else:
                rows, without_ts = int(handle.df.count()), handle.without_ts
        else:
            rows, without_ts = handle.rows, handle.without_ts
        if newest and row is not None:
            source = self._sources.get(table.label)
            paths, fmt = (source[0].paths, source[0].format) if source else ((), "")
            check_newest_format(row[-1], table.label, paths, fmt)
        handle.rows, handle.without_ts = rows, without_ts
        return handle.rows, handle.without_ts if timestamps else None

    # --- numeric features ------------------------------------------------------------------------------------

    @_fails_closed
    def numeric_summaries(self, table: FeatureTable, names: list[str], ecdf_points: int) -> dict[str, NumericSummary]:
        """Counts, mean, min, max, quantiles at ``SUMMARY_LEVELS`` and up to ``ecdf_points`` ECDF points."""
        from pyspark.sql import functions as F

        if not names:
            return {}
        df = table.handle.df
        rows, _ = self.count_rows(table)
        exact = rows <= EXACT_QUANTILE_MAX_ROWS
        steps = max(ecdf_points, 2)
        ecdf_levels = [k / (steps - 1) for k in range(steps)]
        levels = [float(v) for v in SUMMARY_LEVELS] + ecdf_levels
        parts = []
        for i, name in enumerate(names):
            raw, x = F.col(table.handle.cols[name]), _clean(table.handle.cols[name])
            q = F.percentile(x, levels) if exact else F.percentile_approx(x, levels, _APPROX_ACCURACY)
            parts += [
                F.count(x).alias(f"n{i}"),
                F.count_if(raw.isNotNull() & (F.isnan(raw) | raw.isin(math.inf, -math.inf))).alias(f"nf{i}"),
                F.avg(x).alias(f"mean{i}"),
                F.min(x).alias(f"min{i}"),
                F.max(x).alias(f"max{i}"),
                q.alias(f"q{i}"),
            ]
        first = df.agg(*parts).first()
        out: dict[str, NumericSummary] = {}
        for i, name in enumerate(names):
            n = int(first[f"n{i}"])
            values = [float(v) for v in first[f"q{i}"] or []] if n else []
            out[name] = NumericSummary(
                rows=rows,
                n=n,
                missing=rows - n,
                non_finite=int(first[f"nf{i}"]),
                mean=_float(first[f"mean{i}"]),
                min=_float(first[f"min{i}"]),
                max=_float(first[f"max{i}"]),
                quantiles=dict(zip(SUMMARY_LEVELS, values[: len(SUMMARY_LEVELS)], strict=False)),
                ecdf=_ecdf_points(ecdf_levels, values[len(SUMMARY_LEVELS) :], n),
                exact_quantiles=exact,
            )
        return out

    @_fails_closed
    def histograms(self, table: FeatureTable, edges: dict[str, list[float]]) -> dict[str, list[int]]:
        """Counts per bin for each feature: bin j holds ``edges[j] <= x < edges[j+1]``, outliers in the end bins."""
        from pyspark.sql import functions as F

        parts = []
        for i, (name, bounds) in enumerate(edges.items()):
            x = _clean(table.handle.cols[name])
            parts.append(F.count(x).alias(f"n{i}"))
            parts += [F.count_if(x < F.lit(float(e))).alias(f"lt{i}_{k}") for k, e in enumerate(bounds[1:-1])]
        if not parts:
            return {}
        row = table.handle.df.agg(*parts).first()
        out: dict[str, list[int]] = {}
        for i, (name, bounds) in enumerate(edges.items()):
            below = [int(row[f"lt{i}_{k}"]) for k in range(len(bounds) - 2)]
            cumulative = [0, *below, int(row[f"n{i}"])]
            out[name] = [max(0, cumulative[k + 1] - cumulative[k]) for k in range(len(cumulative) - 1)]
        return out

    @_fails_closed
    def compare_numeric(
        self, reference: FeatureTable, production: FeatureTable, names: list[str], ecdf_points: int, bins: int
    ) -> dict[str, NumericComparison]:
        """Exact KS D, both sides' summaries and the plot histogram of each feature, as the DuckDB engine.

        The side with fewer rows is the small side; a feature whose small side has at most
        ``small_side_max_distinct`` distinct values takes the small-side path (one pass over the large side
        for all such features), the others the merged path. The large side's ECDF, quantiles and plot bins on
        the small-side path come from the DuckDB engine's own functions (the bins read off the small side's value
        grid, each side's quantiles its own), so both engines report the same numbers.
        """
        from gatekit.production.duckdb_engine import _small_side_ks, grid_comparison

        sides = {"reference": reference, "production": production}
        small_name = "reference" if self.count_rows(reference)[0] <= self.count_rows(production)[0] else "production"
        large_name = "production" if small_name == "reference" else "reference"
        small_table, large_table = sides[small_name], sides[large_name]
        distinct = self._distinct(small_table, names)
        fast = [name for name in names if distinct[name] is not None]
        slow = [name for name in names if distinct[name] is None]
        out: dict[str, NumericComparison] = {}
        if fast:
            small_sums = self.numeric_summaries(small_table, fast, ecdf_points)
            bounds = {name: [v for v, _ in distinct[name] or []] for name in fast}
            large = self._large_scan(large_table, fast, {n: bounds[n] or [0.0] for n in fast}, ecdf_points)
            for name in fast:
                values = distinct[name] or []
                le, lt, large_sum, bucket_max = large[name]
                small_sum = small_sums[name]
                if not values or not large_sum.n:  # nothing to compare on one side: the caller skips it
                    ks = KSStatistic(math.nan, small_sum.n, large_sum.n, None, 1, "small_side")
                    pair0 = {small_name: small_sum, large_name: large_sum}
                    out[name] = NumericComparison(ks, pair0["reference"], pair0["production"], [0.0, 1.0], [], [])
                    continue
                found = _small_side_ks(values, le, lt, large_sum.n, small_is_reference=small_name == "reference")
                if found["between"] is not None:  # attained at the large side's last value below a boundary
                    hi = found["between"][1]
                    below = bucket_max.get(bounds[name].index(hi))
                    # that value (scipy's location) is known here at no cost; above EXACT_QUANTILE_MAX_ROWS rows
                    # the DuckDB engine reports the boundary instead (it saves a scan), and so does this one
                    found["ks"].location = hi if large_sum.rows > EXACT_QUANTILE_MAX_ROWS or below is None else below
                out[name] = grid_comparison(found["ks"], values, le, lt, (small_name, small_sum), large_sum, bins)
        if slow:
            sums = {side: self.numeric_summaries(table, slow, ecdf_points) for side, table in sides.items()}
            cuts = {name: _plot_edges(sums["reference"][name], sums["production"][name], bins) for name in slow}
            counted = {side: self.histograms(table, cuts) for side, table in sides.items()}
            sizes = {name: (sums["reference"][name].n, sums["production"][name].n) for name in slow}
            merged = self._merged_ks(reference, production, {name: nn for name, nn in sizes.items() if all(nn)})
            for name in slow:
                r, p = sums["reference"][name], sums["production"][name]
                empty = KSStatistic(math.nan, r.n, p.n, None, 1, "merged")
                out[name] = NumericComparison(
                    ks=merged.get(name, empty),
                    reference=r,
                    production=p,
                    edges=cuts[name],
                    reference_bins=counted["reference"][name],
                    production_bins=counted["production"][name],
                )
        return out

    def _distinct(self, table: FeatureTable, names: list[str]) -> dict[str, list[tuple[float, int]] | None]:
        """Per feature: sorted distinct finite values with counts, or None when there are more than the small-side limit.

        Two Spark jobs for all features, not one per feature: exact distinct counts, then the values of the
        features within the limit, stacked as (feature, value) and grouped (at most limit rows per feature).
        """
        from pyspark.sql import functions as F

        if not names:
            return {}
        limit = self.small_side_max_distinct
        cols = [_clean(table.handle.cols[name]) for name in names]
        counted = table.handle.df.agg(*[F.count_distinct(c).alias(f"d{i}") for i, c in enumerate(cols)]).first()
        small = [i for i in range(len(names)) if int(counted[f"d{i}"]) <= limit]
        out: dict[str, list[tuple[float, int]] | None] = {name: None for name in names}
        if not small:
            return out
        found: dict[int, list[tuple[float, int]]] = {j: [] for j in range(len(small))}
        for row in _stacked(table, [cols[i] for i in small]).groupBy("i", "v").count().orderBy("i", "v").collect():
            found[int(row["i"])].append((float(row["v"]), int(row["count"])))
        for j, values in found.items():
            out[names[small[j]]] = values
        return out

    def _large_scan(
        self, table: FeatureTable, names: list[str], bounds: dict[str, list[float]], ecdf_points: int
    ) -> dict[str, tuple[list[int], list[int], NumericSummary, dict[int, float]]]:
        """One pass over the large side for all features: counts <= / < each boundary, maxima, summaries.

        The largest value per interval locates D; the side's summaries (its own quantiles and ECDF points, as
        ``numeric_summaries``) are one more aggregate.

        Per feature, ``b`` = how many boundaries are <= x (a binary search: ``Bucketizer``) and ``b2`` = how
        many are >= x (the same on -x); x equals a boundary exactly when ``b + b2 = K + 1``. The rows of all
        features are stacked and grouped by (feature, b, equal): at most 2K + 1 rows per feature come back.
        """
        from pyspark.ml.feature import Bucketizer
        from pyspark.sql import functions as F

        df = table.handle.df
        nan = F.lit(math.nan)
        values = [F.coalesce(_clean(table.handle.cols[n]), nan).alias(f"v{i}") for i, n in enumerate(names)]
        projected = df.select(*values, *[(-F.col(f"v{i}")).alias(f"w{i}") for i in range(len(names))])
        splits = []
        for name in names:
            ks = bounds[name]
            splits += [[-math.inf, *ks, math.inf], [-math.inf, *(-v for v in reversed(ks)), math.inf]]
        bucketizer = Bucketizer(
            splitsArray=splits,
            inputCols=[c for i in range(len(names)) for c in (f"v{i}", f"w{i}")],
            outputCols=[c for i in range(len(names)) for c in (f"b{i}", f"c{i}")],
            handleInvalid="keep",  # NaN (missing) goes to an extra bucket, dropped below
        )
        stacked = (
            bucketizer.transform(projected)
            .select(
                F.explode(
                    F.array(
                        *[
                            F.struct(
                                F.lit(i).alias("f"),
                                F.col(f"b{i}").cast("int").alias("b"),
                                (F.col(f"b{i}") + F.col(f"c{i}") == len(bounds[name]) + 1).alias("eq"),
                                F.col(f"v{i}").alias("v"),
                            )
                            for i, name in enumerate(names)
                        ]
                    )
                ).alias("s")
            )
            .select("s.*")
        )
        grouped = (
            stacked.where(~F.isnan("v"))
            .groupBy("f", "b", "eq")
            .agg(F.count(F.lit(1)).alias("n"), F.max("v").alias("m"))
            .collect()
        )
        per_bucket: dict[int, dict[int, int]] = {i: {} for i in range(len(names))}
        equal: dict[int, dict[int, int]] = {i: {} for i in range(len(names))}
        bucket_max: dict[int, dict[int, float]] = {i: {} for i in range(len(names))}
        for row in grouped:
            f, b, c, m = int(row["f"]), int(row["b"]), int(row["n"]), float(row["m"])
            per_bucket[f][b] = per_bucket[f].get(b, 0) + c
            bucket_max[f][b] = max(bucket_max[f].get(b, -math.inf), m)
            if row["eq"]:
                equal[f][b - 1] = c  # x == boundary k has exactly k + 1 boundaries <= x
        summaries = self.numeric_summaries(table, names, ecdf_points)
        out = {}
        for i, name in enumerate(names):
            le: list[int] = []
            lt: list[int] = []
            running = 0  # values below the current boundary
            for k in range(len(bounds[name])):
                running += per_bucket[i].get(k, 0)
                lt.append(running)
                le.append(running + equal[i].get(k, 0))
            out[name] = (le, lt, summaries[name], bucket_max[i])
        return out

    def _merged_ks(
        self, reference: FeatureTable, production: FeatureTable, sizes: dict[str, tuple[int, int]]
    ) -> dict[str, KSStatistic]:
        """Exact D of two large sides: grouped by value, cumulative counts in a window, extremes with locations.

        One Spark job for all the features in ``sizes`` (each with its finite values per side, as the summaries
        counted them: ``NumericSummary.n``, the same ``_clean`` filter): both sides' values stacked as
        (feature, value), grouped, and the window runs per feature.
        """
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        if not sizes:
            return {}
        names = list(sizes)

        def stacked(table: FeatureTable, r: int) -> Any:
            values = _stacked(table, [_clean(table.handle.cols[name]) for name in names])
            return values.select("i", "v", F.lit(r).alias("r"), F.lit(1 - r).alias("p"))

        both = stacked(reference, 1).unionByName(stacked(production, 0))
        grouped = both.groupBy("i", "v").agg(F.sum("r").alias("cr"), F.sum("p").alias("cp"))
        window = Window.partitionBy("i").orderBy("v").rowsBetween(Window.unboundedPreceding, Window.currentRow)
        cum = grouped.select("i", "v", F.sum("cr").over(window).alias("r"), F.sum("cp").over(window).alias("p"))
        n_ref = F.element_at(F.array(*[F.lit(sizes[n][0]) for n in names]), F.col("i") + 1).cast("bigint")
        n_prod = F.element_at(F.array(*[F.lit(sizes[n][1]) for n in names]), F.col("i") + 1).cast("bigint")
        diff = F.col("r").cast("double") / n_ref.cast("double") - F.col("p").cast("double") / n_prod.cast("double")
        numerator = F.col("r") * n_prod - F.col("p") * n_ref  # exact in 64 bits up to ~3e9 rows a side
        diffs = cum.select("i", "v", diff.alias("d"), numerator.alias("k"))
        rows = (
            diffs.groupBy("i")
            .agg(
                F.max(F.struct(F.col("d"), (-F.col("v")).alias("nv"), F.col("k"))).alias("hi"),
                F.min(F.struct(F.col("d"), F.col("v"), F.col("k"))).alias("lo"),
            )
            .collect()
        )
        out: dict[str, KSStatistic] = {}
        for row in rows:
            name = names[int(row["i"])]
            (nr, np_), hi, lo = sizes[name], row["hi"], row["lo"]
            max_s, min_s = float(hi["d"]), min(max(-float(lo["d"]), 0.0), 1.0)
            if min_s > max_s:  # scipy: the negative side wins only when strictly larger
                out[name] = KSStatistic(min_s, nr, np_, float(lo["v"]), -1, "merged", abs(int(lo["k"])))
            else:
                location, k = -float(hi["nv"]), abs(int(hi["k"])) if max_s else 0
                out[name] = KSStatistic(max_s, nr, np_, location, 1, "merged", k)
        return out

    # --- categorical features -----------------------------------------------------------------------------------

    @_fails_closed
    def categories(
        self, reference: FeatureTable, production: FeatureTable, names: list[str], min_expected: float, plot_top: int
    ) -> dict[str, CategorySummary]:
        """Category counts of both sides for each feature, joined in Spark, rare ones pooled there (Cochran's rule).

        One Spark job for all the features: each side's labels stacked as (feature, value) (``_stacked_labels``) and
        counted, the two sides joined, and per feature (window functions) the totals, the pooled sums and the
        ranks of the plot and of the one-sided names; only the kept categories, the plot's head and the first
        ``NEW_NAMES_SHOWN`` one-sided names come back to the driver, each row carrying its feature's totals.
        """
        from pyspark.sql import Window
        from pyspark.sql import functions as F

        if not names:
            return {}
        ref_rows, _ = self.count_rows(reference)
        prod_rows, _ = self.count_rows(production)
        r = _stacked_labels(reference, names).groupBy("i", "v").agg(F.count(F.lit(1)).alias("rc"))
        p = _stacked_labels(production, names).groupBy("i", "v").agg(F.count(F.lit(1)).alias("pc"))
        joined = r.join(p, on=["i", "v"], how="full_outer").select(
            "i", "v", F.coalesce("rc", F.lit(0)).alias("rc"), F.coalesce("pc", F.lit(0)).alias("pc")
        )
        per_feature = Window.partitionBy("i")
        rc, pc = F.col("rc"), F.col("pc")
        totals = joined.select(
            "*",
            F.sum(rc).over(per_feature).alias("n_ref"),
            F.sum(pc).over(per_feature).alias("n_prod"),
            F.count(F.lit(1)).over(per_feature).alias("n_cat"),
            F.count_if(rc == 0).over(per_feature).alias("n_new"),
            F.count_if(pc == 0).over(per_feature).alias("n_vanished"),
        )
        n_ref, n_prod = F.col("n_ref"), F.col("n_prod")
        # Cochran's rule on the smaller side's share, as the DuckDB engine: kept when the expected count is enough
        # (try_divide: a side without a value has no share; ANSI mode would fail on the division by zero)
        expected = F.try_divide((rc + pc) * F.least(n_ref, n_prod), n_ref + n_prod)
        keep = (n_ref > 0) & (n_prod > 0) & (expected >= min_expected)
        share = F.try_divide(rc, n_ref) + F.try_divide(pc, n_prod)
        one_sided = Window.partitionBy("i", rc == 0, pc == 0).orderBy("v")
        ranked = totals.select(
            "*",
            keep.alias("keep"),
            F.sum(F.when(~keep, rc)).over(per_feature).alias("pooled_rc"),
            F.sum(F.when(~keep, pc)).over(per_feature).alias("pooled_pc"),
            F.count_if(~keep).over(per_feature).alias("pooled_n"),
            F.row_number().over(per_feature.orderBy(share.desc(), F.col("v"))).alias("plot_rank"),
            F.row_number().over(one_sided).alias("side_rank"),
        )
        wanted = (
            F.col("keep")
            | (F.col("plot_rank") <= max(plot_top, 1))  # at least one row per feature carries its totals
            | (((rc == 0) | (pc == 0)) & (F.col("side_rank") <= NEW_NAMES_SHOWN))
        )
        found: dict[int, list[Any]] = {i: [] for i in range(len(names))}
        for row in ranked.where(wanted).collect():
            found[int(row["i"])].append(row)
        out = {}
        for i, name in enumerate(names):
            multi = reference.features[name].multi
            out[name] = _category_summary(found[i], multi, plot_top, ref_rows, prod_rows)
        return out

    @_fails_closed
    def cluster_sums(
        self, table: FeatureTable, name: str, columns: dict[str, int], rest: int | None, width: int
    ) -> ClusterSums:
        """Per-request sums of a list feature's counts in the columns of its tested table (see ``ClusterSums``).

        Row by row, as the DuckDB engine: each list's names mapped to columns (a literal map), then one output row
        per distinct column of the request (y = its calls there, m = the request's calls) plus one (-1) carrying
        m²; one small group-by over the columns brings ``width + 1`` rows back. No row ids, no shuffle of calls.
        """
        from pyspark.sql import functions as F

        lookup = F.create_map(*[F.lit(v) for k, j in columns.items() for v in (k, int(j))])
        other = F.lit(rest).cast("int")
        calls = F.filter(F.col(table.handle.cols[name]), lambda x: x.isNotNull() & (x != F.lit("")))
        mapped = F.filter(
            F.transform(calls, lambda x: F.coalesce(F.try_element_at(lookup, x), other)), lambda j: j.isNotNull()
        )
        per_row = table.handle.df.where(F.col(table.handle.cols[name]).isNotNull()).select(mapped.alias("js"))
        js, m = F.col("js"), F.size(F.col("js"))
        entries = per_row.select(
            js, m.alias("m"), F.explode(F.array_union(F.array(F.lit(-1)), F.array_distinct(js))).alias("j")
        )
        y = F.when(F.col("j") >= 0, F.size(F.filter(js, lambda x: x == F.col("j")))).otherwise(F.lit(0))
        rows = (
            entries.select("j", "m", y.alias("y"))
            .groupBy("j")
            .agg(
                F.sum(F.col("y") * F.col("y")).alias("yy"),
                F.sum(F.col("y") * F.col("m")).alias("ym"),
                F.sum(F.when(F.col("j") < 0, F.col("m") * F.col("m"))).alias("mm"),
            )
            .collect()
        )
        yy, ym, mm = [0] * width, [0] * width, 0
        for row in rows:
            if int(row["j"]) < 0:
                mm = int(row["mm"] or 0)
            else:
                yy[int(row["j"])], ym[int(row["j"])] = int(row["yy"]), int(row["ym"])
        return ClusterSums(yy, ym, mm)

    def close(self) -> None:
        """Unpersist what this engine cached; stop the session only when this engine started it."""
        for df in self._cached:
            try:
                df.unpersist()
            except Exception:  # noqa: BLE001, S110 - best effort; the session may be gone already
                pass
        self._cached.clear()
        if self._owns_session:
            self.spark.stop()

    def __enter__(self) -> SparkEngine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# --- helpers ---------------------------------------------------------------------------------------------------


def _nfc(text: Any) -> Any:
    """A category's text in Unicode NFC, as the DuckDB engine's ``nfc_normalize``: "café" composed or decomposed is one.

    Spark SQL has no normalizing function; ICU's ``Normalizer.compose(text, false)`` (NFC; ICU4J ships with Spark 4
    for its collations) is called through ``reflect``, on non-ASCII text only (ASCII is NFC already; a NULL stays one).
    """
    from pyspark.sql import functions as F

    nfc = F.call_function("reflect", F.lit("com.ibm.icu.text.Normalizer"), F.lit("compose"), text, F.lit(False))
    return F.when(text.isNull() | (F.length(text) == F.octet_length(text)), text).otherwise(nfc)


def _first_line(exc: BaseException) -> str:
    from gatekit.redact import scrub_message_cut

    text = str(exc).strip().splitlines()
    return scrub_message_cut(text[0], 300) if text else type(exc).__name__  # (no half secret: scrubbed, then cut)


def _ecdf_points(levels: list[float], xs: list[float], n: int) -> list[list[float]]:
    """``[[x, F(x)], ...]`` from the quantiles at evenly spaced levels, repeated x merged (as the DuckDB engine)."""
    ecdf: list[list[float]] = []
    floor = 1.0 / max(n, 1)
    for level, x in zip(levels, xs, strict=False):
        if ecdf and ecdf[-1][0] == x:
            ecdf[-1][1] = max(level, floor)
            continue
        ecdf.append([x, max(level, floor)])
    return ecdf


def _float(value: Any) -> float | None:
    return float(value) if value is not None else None


def _field(schema: Any, path: str | None) -> Any:
    """The schema field a column name or dotted path names (a top-level name with dots wins), else None."""
    from pyspark.sql import types as T

    if not path:
        return None
    for field in schema.fields:
        if field.name == path:
            return field
    current: Any = schema
    found = None
    for part in path.split("."):
        if not isinstance(current, T.StructType):
            return None
        found = next((f for f in current.fields if f.name == part), None)
        if found is None:
            return None
        current = found.dataType
    return found


def _quoted_path(schema: Any, path: str) -> str:
    """A column reference Spark resolves: backquoted as a whole when a top-level column has that exact name."""
    if any(field.name == path for field in schema.fields):
        return "`" + path.replace("`", "``") + "`"
    return ".".join("`" + part.replace("`", "``") + "`" for part in path.split("."))


def _epoch_seconds(col: Any, data_type: Any) -> Any:
    """UTC epoch seconds of a timestamp column (timestamp, ISO-8601 text, or epoch seconds / milliseconds).

    A time without a zone (zone-less text, a ``TIMESTAMP_NTZ`` or ``DATE`` column) is UTC whatever the session's
    ``spark.sql.session.timeZone`` (docs/production-log.md; a caller's session may be in any zone and is left as it
    is): its wall clock is turned into epoch seconds field by field, never through the session zone.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if isinstance(data_type, T.TimestampType):
        return F.unix_micros(col) / F.lit(1e6)
    if isinstance(data_type, T.TimestampNTZType | T.DateType):
        return _wall_clock_utc(col.cast("timestamp_ntz"))

    def finite(number: Any) -> Any:
        return number.isNotNull() & ~F.isnan(number) & ~number.isin(math.inf, -math.inf)

    if isinstance(data_type, T.NumericType):
        number = col.cast("double")
        seconds = F.when(F.abs(number) > F.lit(1e11), number / F.lit(1000.0)).otherwise(number)
        return F.when(finite(number), seconds)
    text = F.trim(col.cast("string"))
    number = F.when(text.rlike(NUMBER_TEXT), text.try_cast("double"))  # epoch text by DuckDB's rule too
    # one rule on both engines (``TIMESTAMP_TEXT_SQL``): text of that shape is upper-cased (RFC 3339's t and z), given
    # seconds when it has none and `+00:00` for Z / UTC, then cast; other text fails the query, as on DuckDB
    shaped = text.rlike(f"^(?:{TIMESTAMP_TEXT_SQL})\\z")  # (\\z: Java's $ also matches before a final line break)
    canonical = F.regexp_replace(F.regexp_replace(F.upper(text), NO_SECONDS_SQL, "$1:00$2"), UTC_ZONE_SQL, "+00:00")
    zoned = F.unix_micros(F.try_to_timestamp(canonical)) / F.lit(1e6)  # text with a zone: that instant
    parsed = F.when(canonical.rlike(_NAIVE_TEXT), _wall_clock_utc(canonical.try_cast("timestamp_ntz"))).otherwise(zoned)
    refused = F.raise_error(F.lit("CANNOT_PARSE_TIMESTAMP: a timestamp value is neither RFC 3339 text nor epoch time"))
    return (
        F.when(col.isNull() | (text == F.lit("")), F.lit(None).cast("double"))
        .when(finite(number), F.when(F.abs(number) > F.lit(1e11), number / 1000.0).otherwise(number))
        .when(shaped & parsed.isNotNull(), parsed)
        .otherwise(refused.cast("double"))
    )


# ISO-8601 date or date-time text without a zone (a zone, "Z", "+01:00", " UTC", is what makes text not match)
_NAIVE_TEXT = r"^[+-]?[0-9]{4,6}-[0-9]{1,2}-[0-9]{1,2}([T ][0-9]{1,2}:[0-9]{1,2}(:[0-9]{1,2}([.][0-9]*)?)?)?$"


def _wall_clock_utc(ntz: Any) -> Any:
    """Epoch seconds of a ``TIMESTAMP_NTZ`` wall clock read as UTC, from its fields (no session time zone involved)."""
    from pyspark.sql import functions as F

    whole = F.unix_date(ntz.cast("date")).cast("long") * 86_400 + F.hour(ntz) * 3_600 + F.minute(ntz) * 60
    micros = whole * 1_000_000 + (F.date_part(F.lit("SECOND"), ntz) * 1_000_000).cast("long")
    return micros / F.lit(1e6)


def _clean(col: str) -> Any:
    """The finite value of a DOUBLE column, else NULL; -0.0 becomes 0.0."""
    from pyspark.sql import functions as F

    raw = F.col(col)
    return F.when(~F.isnan(raw) & ~raw.isin(math.inf, -math.inf), raw + F.lit(0.0))


def _stacked(table: FeatureTable, values: list[Any]) -> Any:
    """Rows (``i``, ``v``): the column expression ``values[i]`` of every row, for each ``i``; nulls left out.

    The expressions one under the other (``UNION ALL`` of plain projections, one per feature), not one ``explode``
    of an array of (i, v) structs per row: on 1M rows x 3 features (``local[1]``) the structs took 8.6 s, these
    projections 3.9 s.
    """
    from pyspark.sql import functions as F

    df = table.handle.df
    parts = [df.select(F.lit(i).alias("i"), value.alias("v")) for i, value in enumerate(values)]
    return functools.reduce(lambda a, b: a.unionAll(b), parts).where(F.col("v").isNotNull())


def _stacked_labels(table: FeatureTable, names: list[str]) -> Any:
    """One row (feature index ``i``, category ``v``) per value of each feature (lists exploded); no empty strings."""
    from pyspark.sql import functions as F

    cols = [F.col(table.handle.cols[name]) for name in names]
    labels = [
        F.explode_outer(col) if table.features[name].multi else col for name, col in zip(names, cols, strict=True)
    ]
    return _stacked(table, labels).where(F.col("v") != "")


def _category_summary(rows: list[Any], multi: bool, top: int, ref_rows: int, prod_rows: int) -> CategorySummary:
    """One feature's ``CategorySummary`` from its collected rows (``categories``), as the DuckDB engine reports it."""
    first = rows[0] if rows else None
    n_ref = int(first["n_ref"] or 0) if first else 0
    n_prod = int(first["n_prod"] or 0) if first else 0
    kept: list[Any] = []
    pooled = (0, 0, 0)
    plot: list[dict[str, Any]] = []
    if n_ref and n_prod and first is not None:
        kept = sorted((row for row in rows if row["keep"]), key=lambda row: (-(row["rc"] + row["pc"]), row["v"]))
        pooled = (int(first["pooled_rc"] or 0), int(first["pooled_pc"] or 0), int(first["pooled_n"]))
        head = sorted((row for row in rows if row["plot_rank"] <= top), key=lambda row: row["plot_rank"])
        plot = [
            {"category": str(r["v"]), "reference": r["rc"] / n_ref, "production": r["pc"] / n_prod, "new": r["rc"] == 0}
            for r in head
        ]
        rest_count = int(first["n_cat"]) - len(head)
        if rest_count > 0:
            rest_ref = n_ref - sum(int(r["rc"]) for r in head)
            rest_prod = n_prod - sum(int(r["pc"]) for r in head)
            category = f"(rest: {rest_count} categories)"
            plot.append(
                {"category": category, "reference": rest_ref / n_ref, "production": rest_prod / n_prod, "new": False}
            )

    def one_sided(zero: str) -> list[str]:
        side = [row for row in rows if row[zero] == 0 and row["side_rank"] <= NEW_NAMES_SHOWN]
        return [str(row["v"]) for row in sorted(side, key=lambda row: row["side_rank"])]

    return CategorySummary(
        categories=[str(row["v"]) for row in kept],
        reference_counts=[int(row["rc"]) for row in kept],
        production_counts=[int(row["pc"]) for row in kept],
        pooled_reference=pooled[0],
        pooled_production=pooled[1],
        pooled_count=pooled[2],
        n_reference=n_ref,
        n_production=n_prod,
        reference_rows=ref_rows,
        production_rows=prod_rows,
        reference_missing=0 if multi else ref_rows - n_ref,
        production_missing=0 if multi else prod_rows - n_prod,
        new=one_sided("rc"),
        new_count=int(first["n_new"]) if first else 0,
        vanished=one_sided("pc"),
        vanished_count=int(first["n_vanished"]) if first else 0,
        plot=plot,
    )


def _plot_edges(r: NumericSummary, p: NumericSummary, bins: int) -> list[float]:
    """Plot edges of the merged path: ``bins`` equal bars from the lower p01 to the upper p99 (as DuckDB's)."""
    if r.n and p.n:
        lo, hi = min(r.quantiles[0.01], p.quantiles[0.01]), max(r.quantiles[0.99], p.quantiles[0.99])
    else:
        lo, hi = 0.0, 1.0
    if hi <= lo:
        pad = max(0.5, abs(lo) * 1e-9)
        lo, hi = lo - pad, hi + pad
    import numpy as np

    t = np.linspace(0.0, 1.0, bins + 1)
    cut = [float(v) for v in lo * (1.0 - t) + hi * t]
    cut[0], cut[-1] = lo, hi
    return [float(v) for v in cut]
