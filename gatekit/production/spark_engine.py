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

KS is exact in both shapes, as in the DuckDB engine and with the same arithmetic (``count / n`` in double
precision, as scipy computes it), so D is scipy's to the last bit:

* **small side** (one side has at most ``SMALL_SIDE_MAX_DISTINCT`` distinct values): that side's sorted
  distinct values r_1 < … < r_K come to the driver; the other side is streamed once through a
  ``Bucketizer`` (binary search per row) to count values per interval [r_k, r_{k+1}) and its maximum,
  and through a broadcast equi-join to count values equal to each r_k. Between two boundaries the small
  side's ECDF is flat, so the supremum is attained at a boundary or at the large side's last value before
  the next one — both ECDF values are known from those counts. Memory is bounded by K.
* **merged** (both sides large): both sides grouped by distinct value, cumulative sums in a window over
  the sorted groups, the extreme differences taken with ``max(struct(diff, -x))`` (smallest x on ties,
  like scipy's ``argmax``).

A session is passed in (``SparkEngine(session=spark)``, ``get_engine("spark", session=spark)``), else the
caller's active session is used; else one is started (the ``spark-submit`` master, or ``local[*]``) and stopped
on ``close``. A session the engine did not start is never stopped.
"""

from __future__ import annotations

import math
import os
import shutil
from dataclasses import dataclass
from typing import Any

from gatekit.errors import ConfigError, DatasetError
from gatekit.production.engine import (
    NUMERIC,
    SUMMARY_LEVELS,
    TS_COLUMN,
    CategorySummary,
    FeatureColumn,
    FeatureTable,
    FileSource,
    KSStatistic,
    NumericComparison,
    NumericSummary,
)
from gatekit.production.stats_sql import EXACT_QUANTILE_MAX_ROWS, NEW_NAMES_SHOWN, SMALL_SIDE_MAX_DISTINCT

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
            f"--engine spark needs pyspark ({exc}); pip install 'agent-gatekit[spark]', or use --engine duckdb"
        ) from None
    builder = SparkSession.builder.appName(app_name)
    if not os.environ.get("SPARK_REMOTE"):
        home = java_home()
        if home is None:
            raise ConfigError("--engine spark needs Java 17+: install a JDK or set JAVA_HOME, or use --engine duckdb")
        os.environ.setdefault("JAVA_HOME", home)
        if not SparkConf().contains("spark.master"):
            builder = builder.master(f"local[{threads}]")
    return (
        builder.config("spark.ui.enabled", "false")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )


@dataclass
class _Handle:
    """A feature table on Spark: the projected DataFrame and the internal column of each feature."""

    df: Any
    cols: dict[str, str]


class SparkEngine:
    """The ``Engine`` protocol on a Spark session (see the module docstring)."""

    name = "spark"

    def __init__(self, session: Any = None, persist: bool = True) -> None:
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

    # --- opening sources ---------------------------------------------------------------------------------

    def open_files(self, source: FileSource, features: list[FeatureColumn]) -> FeatureTable:
        """Open production-log files (or, with ``format="table"``, a Spark table) as a feature table."""
        label = source.label or (source.paths[0] if len(source.paths) == 1 else f"{len(source.paths)} files")
        if source.format == "table":
            return self.open_table(source.paths[0], features, source.columns, source.timestamp, label=label)
        reader = self.spark.read
        try:
            if source.format == "parquet":
                df = reader.parquet(*source.paths)
            elif source.format == "jsonl":
                df = reader.option("mode", "PERMISSIVE").json(list(source.paths))
            elif source.format == "csv":
                df = reader.option("header", "true").option("mode", "PERMISSIVE").csv(list(source.paths))
            else:
                raise ConfigError(
                    f"{label}: the Spark engine reads parquet, jsonl, csv or a table, not {source.format}"
                )
        except ConfigError:
            raise
        except Exception as exc:  # noqa: BLE001 - a file Spark cannot read: one line naming it
            raise DatasetError(f"{label}: Spark could not read it ({_first_line(exc)}); check the file") from None
        return self._project(df, features, source.columns, source.timestamp, label)

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
        return self._project(df, features, columns or {}, timestamp, label or f"spark-table:{name}")

    def open_dataframe(
        self,
        df: Any,
        features: list[FeatureColumn],
        columns: dict[str, str] | None = None,
        timestamp: str | None = "timestamp",
        label: str = "dataframe",
    ) -> FeatureTable:
        """Open a Spark DataFrame a Python caller already holds."""
        return self._project(df, features, columns or {}, timestamp, label)

    def _project(
        self, df: Any, features: list[FeatureColumn], columns: dict[str, str], timestamp: str | None, label: str
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
                expr = col.try_cast("double") if not isinstance(field.dataType, T.DoubleType) else col
            elif feature.multi:
                if isinstance(field.dataType, T.ArrayType):
                    expr = col.cast("array<string>")
                else:
                    expr = F.when(col.isNull(), F.lit(None)).otherwise(F.array(col.cast("string")))
            else:
                expr = col.cast("string")
            exprs.append(expr.alias(internal))
        has_ts = False
        ts_field = _field(df.schema, timestamp) if timestamp else None
        if ts_field is not None and timestamp is not None:
            exprs.append(_epoch_seconds(F.col(_quoted_path(df.schema, timestamp)), ts_field.dataType).alias(TS_COLUMN))
            has_ts = True
        else:
            exprs.append(F.lit(None).cast("double").alias(TS_COLUMN))
        projected = df.select(*exprs)
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
        )

    # --- rows and time windows -----------------------------------------------------------------------------

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

    def count_rows(self, table: FeatureTable) -> tuple[int, int]:
        """(rows, rows without a timestamp)."""
        from pyspark.sql import functions as F

        row = table.handle.df.agg(F.count(F.lit(1)), F.count_if(F.col(TS_COLUMN).isNull())).first()
        return int(row[0]), int(row[1])

    # --- numeric features ------------------------------------------------------------------------------------

    def numeric_summaries(self, table: FeatureTable, names: list[str], ecdf_points: int) -> dict[str, NumericSummary]:
        """Counts, mean, min, max, quantiles at ``SUMMARY_LEVELS`` and up to ``ecdf_points`` ECDF points."""
        from pyspark.sql import functions as F

        if not names:
            return {}
        df = table.handle.df
        parts = [F.count(F.lit(1)).alias("rows")]
        for i, name in enumerate(names):
            raw, x = F.col(table.handle.cols[name]), _clean(table.handle.cols[name])
            parts += [
                F.count(x).alias(f"n{i}"),
                F.count_if(raw.isNotNull() & (F.isnan(raw) | raw.isin(math.inf, -math.inf))).alias(f"nf{i}"),
                F.avg(x).alias(f"mean{i}"),
                F.min(x).alias(f"min{i}"),
                F.max(x).alias(f"max{i}"),
            ]
        first = df.agg(*parts).first()
        rows = int(first["rows"])
        exact = rows <= EXACT_QUANTILE_MAX_ROWS
        steps = max(ecdf_points, 2)
        ecdf_levels = [k / (steps - 1) for k in range(steps)]
        levels = [float(v) for v in SUMMARY_LEVELS] + ecdf_levels
        q_parts = []
        for i, name in enumerate(names):
            x = _clean(table.handle.cols[name])
            q = F.percentile(x, levels) if exact else F.percentile_approx(x, levels, _APPROX_ACCURACY)
            q_parts.append(q.alias(f"q{i}"))
        quantiles = df.agg(*q_parts).first()
        out: dict[str, NumericSummary] = {}
        for i, name in enumerate(names):
            n = int(first[f"n{i}"])
            values = [float(v) for v in quantiles[f"q{i}"] or []] if n else []
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

    def compare_numeric(
        self, reference: FeatureTable, production: FeatureTable, edges: dict[str, list[float]]
    ) -> dict[str, NumericComparison]:
        """For each feature in ``edges``: the exact KS D and both sides' counts per plot bin."""
        ref_bins, prod_bins = self.histograms(reference, edges), self.histograms(production, edges)
        return {
            name: NumericComparison(
                ks=self.ks_statistic(reference, production, name),
                reference_bins=ref_bins[name],
                production_bins=prod_bins[name],
            )
            for name in edges
        }

    def ks_statistic(self, reference: FeatureTable, production: FeatureTable, name: str) -> KSStatistic:
        """The exact two-sample KS D (ties included) of a numeric feature, computed in Spark."""
        from pyspark.sql import functions as F

        ref = reference.handle.df.select(_clean(reference.handle.cols[name]).alias("v")).where(F.col("v").isNotNull())
        prod = production.handle.df.select(_clean(production.handle.cols[name]).alias("v")).where(
            F.col("v").isNotNull()
        )
        for small, large, flip in ((ref, prod, False), (prod, ref, True)):
            rows = small.groupBy("v").count().orderBy("v").limit(SMALL_SIDE_MAX_DISTINCT + 1).collect()
            if len(rows) <= SMALL_SIDE_MAX_DISTINCT:
                values = [float(r["v"]) for r in rows]
                counts = [int(r["count"]) for r in rows]
                n_small = sum(counts)
                if n_small == 0:
                    return _empty_ks(ref, prod)
                hi, lo, n_large = _small_side_ks(values, counts, large)
                if n_large == 0:
                    return _empty_ks(ref, prod)
                n_ref, n_prod = (n_large, n_small) if flip else (n_small, n_large)
                if flip:  # F_small - F_large = -(F_ref - F_prod): the extremes swap
                    hi, lo = (-lo[0], lo[1], -lo[2]), (-hi[0], hi[1], -hi[2])
                return _ks(hi, lo, n_ref, n_prod, "small_side")
        n_ref, n_prod = ref.count(), prod.count()
        hi, lo = _merged_ks(ref, prod, n_ref, n_prod)
        return _ks(hi, lo, n_ref, n_prod, "merged")

    # --- categorical features -----------------------------------------------------------------------------------

    def categories(
        self, reference: FeatureTable, production: FeatureTable, name: str, min_expected: float, plot_top: int
    ) -> CategorySummary:
        """Category counts of both sides joined in Spark, rare ones pooled there (Cochran's rule)."""
        from pyspark.sql import functions as F

        multi = reference.features[name].multi
        ref_col, prod_col = reference.handle.cols[name], production.handle.cols[name]
        ref_rows, _ = self.count_rows(reference)
        prod_rows, _ = self.count_rows(production)
        r = _labels(reference.handle.df, ref_col, multi).groupBy("v").agg(F.count(F.lit(1)).alias("rc"))
        p = _labels(production.handle.df, prod_col, multi).groupBy("v").agg(F.count(F.lit(1)).alias("pc"))
        joined = r.join(p, on="v", how="full_outer").select(
            "v", F.coalesce("rc", F.lit(0)).alias("rc"), F.coalesce("pc", F.lit(0)).alias("pc")
        )
        joined = joined.persist()
        kept: list[Any] = []
        pooled: Any = (0, 0, 0)
        plot: list[dict[str, Any]] = []
        try:
            totals = joined.agg(F.sum("rc"), F.sum("pc")).first()
            n_ref, n_prod = int(totals[0] or 0), int(totals[1] or 0)
            if n_ref and n_prod:
                smaller, total = min(n_ref, n_prod), n_ref + n_prod
                keep = (F.col("rc") + F.col("pc")) * F.lit(smaller) / F.lit(total) >= F.lit(float(min_expected))
                kept = joined.where(keep).orderBy((F.col("rc") + F.col("pc")).desc(), F.col("v")).collect()
                pooled = joined.where(~keep).agg(F.sum("rc"), F.sum("pc"), F.count(F.lit(1))).first()
                plot = _plot(joined, n_ref, n_prod, plot_top)
            new, new_count = _one_sided(joined, "new")
            vanished, vanished_count = _one_sided(joined, "vanished")
        finally:
            joined.unpersist()
        return CategorySummary(
            categories=[str(row["v"]) for row in kept],
            reference_counts=[int(row["rc"]) for row in kept],
            production_counts=[int(row["pc"]) for row in kept],
            pooled_reference=int(pooled[0] or 0),
            pooled_production=int(pooled[1] or 0),
            pooled_count=int(pooled[2] or 0),
            n_reference=n_ref,
            n_production=n_prod,
            reference_rows=ref_rows,
            production_rows=prod_rows,
            reference_missing=0 if multi else ref_rows - n_ref,
            production_missing=0 if multi else prod_rows - n_prod,
            new=new,
            new_count=new_count,
            vanished=vanished,
            vanished_count=vanished_count,
            plot=plot,
        )

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


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return (text[0] if text else type(exc).__name__)[:300]


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
    """UTC epoch seconds of a timestamp column (timestamp, ISO-8601 text, or epoch seconds / milliseconds)."""
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    if isinstance(data_type, T.TimestampType | T.TimestampNTZType | T.DateType):
        return F.unix_micros(col.cast("timestamp")) / F.lit(1e6)
    if isinstance(data_type, T.NumericType):
        number = col.cast("double")
        return F.when(F.abs(number) > F.lit(1e11), number / F.lit(1000.0)).otherwise(number)
    text = col.cast("string")
    number = text.try_cast("double")
    parsed = F.unix_micros(F.try_to_timestamp(text)) / F.lit(1e6)
    return F.when(number.isNotNull(), F.when(F.abs(number) > F.lit(1e11), number / 1000.0).otherwise(number)).otherwise(
        parsed
    )


def _clean(col: str) -> Any:
    """The finite value of a DOUBLE column, else NULL; -0.0 becomes 0.0."""
    from pyspark.sql import functions as F

    raw = F.col(col)
    return F.when(~F.isnan(raw) & ~raw.isin(math.inf, -math.inf), raw + F.lit(0.0))


def _labels(df: Any, col: str, multi: bool) -> Any:
    """One row per category value (lists exploded), empty strings and nulls left out."""
    from pyspark.sql import functions as F

    value = F.explode_outer(F.col(col)) if multi else F.col(col)
    return df.select(value.alias("v")).where(F.col("v").isNotNull() & (F.col("v") != ""))


def _one_sided(joined: Any, side: str) -> tuple[list[str], int]:
    from pyspark.sql import functions as F

    cond = F.col("rc") == 0 if side == "new" else F.col("pc") == 0
    rows = joined.where(cond)
    names = [row["v"] for row in rows.orderBy("v").limit(NEW_NAMES_SHOWN).collect()]
    return names, rows.count() if len(names) >= NEW_NAMES_SHOWN else len(names)


def _plot(joined: Any, n_ref: int, n_prod: int, top: int) -> list[dict[str, Any]]:
    """The ``top`` categories by summed share (shares per side), then the rest summed, as the DuckDB engine."""
    from pyspark.sql import functions as F

    share = F.col("rc") / F.lit(n_ref) + F.col("pc") / F.lit(n_prod)
    head = joined.orderBy(share.desc(), F.col("v")).limit(top).collect()
    plot = [
        {"category": str(r["v"]), "reference": r["rc"] / n_ref, "production": r["pc"] / n_prod, "new": r["rc"] == 0}
        for r in head
    ]
    rest_count = joined.count() - len(head)
    if rest_count > 0:
        rest_ref = n_ref - sum(int(r["rc"]) for r in head)
        rest_prod = n_prod - sum(int(r["pc"]) for r in head)
        category = f"(rest: {rest_count} categories)"
        plot.append(
            {"category": category, "reference": rest_ref / n_ref, "production": rest_prod / n_prod, "new": False}
        )
    return plot


def _empty_ks(ref: Any, prod: Any) -> KSStatistic:
    """No finite value on a side: D is unknown (NaN), never 0."""
    return KSStatistic(math.nan, ref.count(), prod.count(), None, 1, "empty")


def _small_side_ks(
    values: list[float], counts: list[int], large: Any
) -> tuple[tuple[float, Any, int], tuple[float, Any, int], int]:
    """Max and min of F_small - F_large with their (first) locations, and the large side's count.

    One pass over the large side: ``b`` = how many boundaries are <= x (binary search, ``Bucketizer``) and
    ``b2`` = how many are >= x (the same on -x); x equals a boundary exactly when ``b + b2 = K + 1``. Grouped
    by (b, equal): counts and the largest value, at most 2K + 1 rows.
    """
    from pyspark.ml.feature import Bucketizer
    from pyspark.sql import functions as F

    k_total = len(values)
    n_small = sum(counts)
    bucketizer = Bucketizer(
        splitsArray=[[-math.inf, *values, math.inf], [-math.inf, *(-v for v in reversed(values)), math.inf]],
        inputCols=["v", "neg"],
        outputCols=["b", "b2"],
    )
    bucketed = bucketizer.transform(large.select("v", (-F.col("v")).alias("neg")))
    grouped = bucketed.groupBy(F.col("b").cast("int").alias("b"), (F.col("b") + F.col("b2") == k_total + 1).alias("eq"))
    per_bucket: dict[int, tuple[int, float]] = {}
    equal: dict[int, int] = {}  # boundary index -> values of the large side equal to it
    for row in grouped.agg(F.count(F.lit(1)).alias("c"), F.max("v").alias("m")).collect():
        b, c, m = int(row["b"]), int(row["c"]), float(row["m"])
        old_c, old_m = per_bucket.get(b, (0, -math.inf))
        per_bucket[b] = (old_c + c, max(old_m, m))
        if row["eq"]:
            equal[b - 1] = c
    n_large = sum(c for c, _ in per_bucket.values())
    if n_large == 0:
        return (math.nan, None, 0), (math.nan, None, 0), 0
    # (F_small - F_large, location, c_small * n_large - c_large * n_small): max and min, first (smallest) location
    best_max: tuple[float, Any, int] = (-math.inf, None, 0)
    best_min: tuple[float, Any, int] = (math.inf, None, 0)
    cum_small = 0
    cum_large = 0  # values of the large side below the current boundary
    for k, value in enumerate(values):
        below_count, below_max = per_bucket.get(k, (0, math.nan))
        # the large side's last value in [r_{k-1}, r_k) (bucket k; bucket 0 is below r_1)
        lt = cum_large + below_count
        candidates = []
        if below_count and not (k > 0 and below_max == values[k - 1]):
            candidates.append((cum_small / n_small - lt / n_large, below_max, cum_small * n_large - lt * n_small))
        le = lt + equal.get(k, 0)
        cum_small += counts[k]
        candidates.append((cum_small / n_small - le / n_large, value, cum_small * n_large - le * n_small))
        cum_large = lt
        for candidate in candidates:
            if candidate[0] > best_max[0]:
                best_max = candidate
            if candidate[0] < best_min[0]:
                best_min = candidate
    # above the last boundary the small side's ECDF is 1 and the large side's rises to 1: |diff| only shrinks
    return best_max, best_min, n_large


def _ks(hi: tuple[float, Any, int], lo: tuple[float, Any, int], n_ref: int, n_prod: int, shape: str) -> KSStatistic:
    """D, location, sign and exact numerator from the extremes of F_ref - F_prod (scipy: -1 only when min wins)."""
    if -lo[0] > hi[0]:
        return KSStatistic(-lo[0], n_ref, n_prod, lo[1], -1, shape, abs(int(lo[2])))
    return KSStatistic(hi[0], n_ref, n_prod, hi[1], 1, shape, abs(int(hi[2])))


def _merged_ks(ref: Any, prod: Any, n_ref: int, n_prod: int) -> tuple[tuple[float, Any, int], tuple[float, Any, int]]:
    """D of two large sides: grouped by value, cumulative counts in a window, extremes with their locations."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    both = ref.select("v", F.lit(1).alias("r"), F.lit(0).alias("p")).unionByName(
        prod.select("v", F.lit(0).alias("r"), F.lit(1).alias("p"))
    )
    grouped = both.groupBy("v").agg(F.sum("r").alias("cr"), F.sum("p").alias("cp"))
    window = Window.orderBy("v").rowsBetween(Window.unboundedPreceding, Window.currentRow)
    cum = grouped.select("v", F.sum("cr").over(window).alias("r"), F.sum("cp").over(window).alias("p"))
    diff = F.col("r").cast("double") / F.lit(float(n_ref)) - F.col("p").cast("double") / F.lit(float(n_prod))
    numerator = F.col("r") * F.lit(n_prod) - F.col("p") * F.lit(n_ref)  # exact in 64 bits up to ~3e9 rows a side
    diffs = cum.select("v", diff.alias("d"), numerator.alias("k"))
    row = diffs.agg(
        F.max(F.struct(F.col("d"), (-F.col("v")).alias("nv"), F.col("k"))).alias("hi"),
        F.min(F.struct(F.col("d"), F.col("v"), F.col("k"))).alias("lo"),
    ).first()
    hi, lo = row["hi"], row["lo"]
    return (float(hi["d"]), -float(hi["nv"]), int(hi["k"])), (float(lo["d"]), float(lo["v"]), int(lo["k"]))
