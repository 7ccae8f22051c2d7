"""The engine interface: where production rows are read and the drift statistics are computed.

An engine (DuckDB in-process by default, Spark on a cluster) opens each side of a drift comparison
as a *feature table* — one row per request, one column per feature, plus ``__ts`` (UTC epoch seconds,
null when unknown) — and answers a few questions about it with small Python summaries. Nothing
row-sized ever comes back: counts, quantiles, at most a few thousand ECDF / histogram points, and
the exact two-sample KS statistic D with both sample sizes (p-values are computed from those by
scipy in ``gatekit.drift.stats``, the same for every engine).

A feature column holds DOUBLE (numeric; NaN / ±Infinity are counted as non-finite and treated as
missing), VARCHAR (categorical; empty strings are missing) or a list of VARCHAR (multi-valued
categorical such as tool names: one count per element).

``get_engine("duckdb" | "spark")`` returns an engine; an engine is a context manager (``close``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from gatekit.errors import ConfigError

TS_COLUMN = "__ts"
# a JSON Lines / CSV / Spark-table source's ``schema_version`` as a number: the first row count also takes its max()
SCHEMA_COLUMN = "__schema"
NUMERIC = "numeric"
CATEGORICAL = "categorical"

# quantile levels every numeric summary carries (the report's p05 / p50 / p95 and the plot range p01..p99)
SUMMARY_LEVELS = (0.01, 0.05, 0.5, 0.95, 0.99)


@dataclass(frozen=True)
class FeatureColumn:
    """One feature of a feature table: its name (a column of the table), kind and whether it is a list."""

    name: str
    kind: str  # NUMERIC | CATEGORICAL
    multi: bool = False


@dataclass(frozen=True)
class FileSource:
    """Production-log files an engine reads directly (``format``: parquet, jsonl or csv).

    ``columns`` maps each feature name to the production-log column it reads (``context.role`` ->
    ``role``); ``timestamp`` names the timestamp column (None: no ``__ts``).
    """

    paths: tuple[str, ...]
    format: str
    columns: dict[str, str]
    timestamp: str | None = "timestamp"
    label: str = ""


@dataclass
class FeatureTable:
    """One side of a comparison opened by an engine: an engine-specific ``handle`` and its features.

    ``handle`` is whatever the engine needs (a DuckDB view name, a Spark DataFrame); callers only pass
    it back to the same engine. ``present`` names the features the source actually has (a feature the
    source lacks is skipped, not tested); ``notes`` carries per-feature counts the engine cannot see
    (values that were not numbers when a legacy file was converted), keyed by feature name.
    """

    handle: Any
    features: dict[str, FeatureColumn]
    present: set[str]
    label: str
    has_timestamp: bool = False
    notes: dict[str, dict[str, int]] = field(default_factory=dict)
    versioned: bool = False  # the handle has ``SCHEMA_COLUMN``: ``count_rows`` refuses rows of a newer format


@dataclass
class NumericSummary:
    """One numeric feature on one side: counts, moments, quantiles and ECDF points for the plot.

    ``rows`` counts every row, ``n`` the finite values, ``missing`` = rows - n (null, non-numeric or
    non-finite), ``non_finite`` the NaN / ±Infinity among them. ``quantiles`` maps each level of
    ``SUMMARY_LEVELS`` to a value; ``ecdf`` is ``[[x, F(x)], ...]`` with at most the requested points.
    ``exact_quantiles`` says whether the quantiles are exact (small sides) or sketched (large ones).
    """

    rows: int
    n: int
    missing: int
    non_finite: int
    mean: float | None
    min: float | None
    max: float | None
    quantiles: dict[float, float]
    ecdf: list[list[float]]
    exact_quantiles: bool = True


@dataclass
class KSStatistic:
    """The exact two-sample KS statistic ``d`` = sup |F_ref - F_prod| and where it is attained.

    ``d`` is the double-precision difference ``c_ref / n_ref - c_prod / n_prod`` scipy computes;
    ``numerator`` is the same difference as an exact integer over ``n_ref * n_prod`` (scipy's exact
    p-value path rounds D to that rational). ``gatekit.drift.stats.ks_from_statistic`` turns both
    into scipy's statistic and p-value.

    ``sign`` is +1 when the reference ECDF is above the production one at ``location``, -1 below
    (scipy's ``statistic_sign``). ``shape`` says how it was computed: ``small_side`` (one side's
    distinct values as boundaries, the other streamed through) or ``merged`` (both sides grouped by
    distinct value, with cumulative sums).
    """

    d: float
    n_reference: int
    n_production: int
    location: float | None
    sign: int
    shape: str
    numerator: int = 0  # |c_ref * n_prod - c_prod * n_ref| at the extreme: D = numerator / (n_ref * n_prod)


@dataclass
class NumericComparison:
    """A numeric feature on both sides: the KS statistic, each side's summary, and the plot's histogram.

    ``edges`` are the plot's bin edges (shared by both sides); ``*_bins`` the counts per bin: bin j holds
    ``edges[j] <= x < edges[j+1]``, values below the first inner edge go to bin 0 and values at or above
    the last inner edge to the last bin (like ``numpy.searchsorted``).
    """

    ks: KSStatistic
    reference: NumericSummary
    production: NumericSummary
    edges: list[float]
    reference_bins: list[int]
    production_bins: list[int]


@dataclass
class CategorySummary:
    """A categorical feature on both sides, reduced to the pooled contingency table and the plot rows.

    ``categories`` / ``reference_counts`` / ``production_counts``: the kept categories (expected count ≥
    ``min_expected`` in both rows), most frequent first; ``pooled_*``: the rare ones summed (pooled
    names: ``pooled_count``). ``new`` / ``vanished``: up to 100 category names seen on one side only,
    with their full counts. ``plot``: the most common categories by share (for the report), the rest
    summed. Missing values are counted per side.
    """

    categories: list[str]
    reference_counts: list[int]
    production_counts: list[int]
    pooled_reference: int
    pooled_production: int
    pooled_count: int
    n_reference: int
    n_production: int
    reference_rows: int
    production_rows: int
    reference_missing: int
    production_missing: int
    new: list[str]
    new_count: int
    vanished: list[str]
    vanished_count: int
    plot: list[dict[str, Any]]


@dataclass
class ClusterSums:
    """Per-request sums of a list feature (tool names) over the columns j of its tested contingency table.

    A request (row) i makes m_i calls, y_ij of them in column j: ``yy[j] = Σ_i y_ij²``, ``ym[j] = Σ_i y_ij m_i`` and
    ``mm = Σ_i m_i²``. Calls of one request are not independent observations; these sums give the design effect of
    the Rao-Scott correction (``gatekit.drift.stats.rao_scott_first_order``).
    """

    yy: list[int]
    ym: list[int]
    mm: int


@runtime_checkable
class Engine(Protocol):
    """What ``gatekit drift`` needs from an engine. Every method returns small Python values."""

    name: str

    def open_files(self, source: FileSource, features: list[FeatureColumn]) -> FeatureTable:
        """Open production-log files as a feature table (bad files raise ``DatasetError`` naming the file)."""
        ...

    def newest_timestamp(self, table: FeatureTable) -> float | None:
        """The newest ``__ts`` of the table (epoch seconds), None when no row has one."""
        ...

    def restrict(self, table: FeatureTable, start_epoch_s: float, end_epoch_s: float) -> FeatureTable:
        """The rows whose ``__ts`` lies in [start, end] (rows without a timestamp are left out)."""
        ...

    def count_rows(self, table: FeatureTable, timestamps: bool = False) -> tuple[int, int | None]:
        """(rows, rows without a timestamp); the second is None unless ``timestamps`` is asked for.

        On a ``versioned`` table the same scan takes the largest ``schema_version``: rows of a newer production-log
        format anywhere in the source are ``DatasetError`` (``gatekit.production.schema.check_newest_format``).
        """
        ...

    def numeric_summaries(self, table: FeatureTable, names: list[str], ecdf_points: int) -> dict[str, NumericSummary]:
        """Counts, moments, quantiles and ``ecdf_points`` ECDF points of each named numeric feature."""
        ...

    def compare_numeric(
        self, reference: FeatureTable, production: FeatureTable, names: list[str], ecdf_points: int, bins: int
    ) -> dict[str, NumericComparison]:
        """For each numeric feature: the exact KS D, both sides' summaries and a shared ``bins``-bar histogram.

        A feature with no finite value on a side is returned with ``ks.d`` NaN (the caller skips it).
        Engines are free to choose how many scans this takes; DuckDB's small-side path reads the large
        side once for all features.
        """
        ...

    def categories(
        self, reference: FeatureTable, production: FeatureTable, names: list[str], min_expected: float, plot_top: int
    ) -> dict[str, CategorySummary]:
        """Category counts of both sides for each feature, rare categories pooled in the engine (Cochran's rule)."""
        ...

    def cluster_sums(
        self, table: FeatureTable, name: str, columns: dict[str, int], rest: int | None, width: int
    ) -> ClusterSums:
        """Per-request sums of list feature ``name`` over ``width`` table columns (``ClusterSums``).

        ``columns`` maps a category name to its column; any other name goes to ``rest`` (None: left out).
        """
        ...

    def close(self) -> None:
        """Release the engine's resources (temporary views, files, sessions it started)."""
        ...


ENGINES = ("duckdb", "spark")


def get_engine(name: str = "duckdb", **options: Any) -> Engine:
    """Return the engine called ``name`` (``duckdb`` or ``spark``); an unknown name is a ``ConfigError``."""
    if name == "duckdb":
        from gatekit.production.duckdb_engine import DuckDBEngine

        return DuckDBEngine(**options)
    if name == "spark":
        try:
            from gatekit.production.spark_engine import SparkEngine  # type: ignore[import-not-found,unused-ignore]
        except ImportError as exc:
            raise ConfigError(
                f"--engine spark is not available here ({exc}); install pyspark (gatekit's spark extra: pip install 'pyspark>=4,<5') "
                "or use --engine duckdb"
            ) from None
        engine: Engine = SparkEngine(**options)
        return engine
    raise ConfigError(f"--engine {name!r}: unknown engine; valid engines: {', '.join(ENGINES)}")
