"""``DuckDBEngine``: the default engine, DuckDB in-process — files, folders and globs read out of core.

Each side becomes a view over ``read_parquet`` / ``read_json`` / ``read_csv`` (explicit column types
from the production-log schema; only the columns the features need are read). The statistics are
the SQL of ``gatekit.production.stats_sql``; per-side numeric summaries are one scan, KS and the
plot's histograms one more scan of the large side, categories one group-by per feature. DuckDB runs
with a memory limit (default 1 GB) and spills to a private temp folder, removed on ``close``.
"""

from __future__ import annotations

import math
import shutil
import tempfile
from typing import Any

from gatekit.errors import DatasetError
from gatekit.production import stats_sql as q
from gatekit.production.engine import (
    CATEGORICAL,
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
from gatekit.production.schema import COLUMNS

_SQL_TYPE = {"integer": "DOUBLE", "number": "DOUBLE", "string": "VARCHAR", "timestamp": "TIMESTAMPTZ"}
_SCHEMA_TYPE = {c.name: c.type for c in COLUMNS}


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:400]


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
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        self.small_side_max_distinct = small_side_max_distinct
        self._views = 0
        self._rows: dict[str, tuple[int, int]] = {}

    # --- plumbing -------------------------------------------------------------------------------------------

    def _run(self, sql: str, params: dict[str, Any] | None = None, where: str = "") -> list[tuple[Any, ...]]:
        import duckdb

        try:
            return self._con.execute(sql, params or {}).fetchall()
        except duckdb.Error as exc:
            raise DatasetError(
                f"{where or 'production data'}: DuckDB cannot read it ({_one_line(exc)}); fix or remove that file"
            ) from None

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
            return f"read_csv({paths}, header = true, union_by_name = true, types = {typed})"
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
            reader = f"read_csv({paths}, header = true, union_by_name = true, all_varchar = true)"
        rows = self._run(f"DESCRIBE SELECT * FROM {reader}", where=where)
        return {str(r[0]): str(r[1]) for r in rows}

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
                    types[column] = "DOUBLE"
                    select.append(f"CAST({q.ident(column)} AS DOUBLE) AS {q.ident(feature.name)}")
                elif feature.multi:
                    types[column] = "VARCHAR[]"
                    expr = q.ident(column)
                    if source.format == "csv":  # a list in a CSV cell is JSON text
                        types[column] = "VARCHAR"
                        expr = f"CAST(json({expr}) AS VARCHAR[])"
                    select.append(f"CAST({expr} AS VARCHAR[]) AS {q.ident(feature.name)}")
                else:
                    types[column] = "VARCHAR"
                    select.append(f"CAST({q.ident(column)} AS VARCHAR) AS {q.ident(feature.name)}")
            else:
                kind = "DOUBLE" if feature.kind == NUMERIC else "VARCHAR[]" if feature.multi else "VARCHAR"
                select.append(f"CAST(NULL AS {kind}) AS {q.ident(feature.name)}")
        has_ts = bool(source.timestamp and source.timestamp in available)
        if has_ts and source.timestamp:
            ts = q.ident(source.timestamp)
            kind = available.get(source.timestamp, "")
            if source.timestamp == TS_COLUMN or kind in ("DOUBLE", "FLOAT", "BIGINT", "INTEGER"):
                types[source.timestamp] = "DOUBLE"
                select.append(f"CAST({ts} AS DOUBLE) AS {TS_COLUMN}")
            else:
                types[source.timestamp] = "TIMESTAMPTZ"
                select.append(f"epoch(CAST({ts} AS TIMESTAMPTZ)) AS {TS_COLUMN}")
        else:
            select.append(f"CAST(NULL AS DOUBLE) AS {TS_COLUMN}")
        reader = self._reader(source, types)
        view = self._view(f"SELECT {', '.join(select)} FROM {reader}", where)
        return FeatureTable(
            handle=view,
            features={f.name: f for f in features},
            present=present,
            label=where,
            has_timestamp=has_ts,
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

    def count_rows(self, table: FeatureTable) -> tuple[int, int]:
        """(rows, rows without a timestamp), cached per view."""
        if table.handle not in self._rows:
            row = self._run(
                f"SELECT count(*), count(*) FILTER (WHERE {TS_COLUMN} IS NULL) FROM {table.handle}", where=table.label
            )[0]
            self._rows[table.handle] = (int(row[0]), int(row[1]))
        return self._rows[table.handle]

    # --- numeric --------------------------------------------------------------------------------------------

    def numeric_summaries(self, table: FeatureTable, names: list[str], ecdf_points: int) -> dict[str, NumericSummary]:
        """One scan for all ``names``: counts, moments, quantiles (exact up to 1M rows, t-digest above)."""
        if not names:
            return {}
        rows, _ = self.count_rows(table)
        exact = rows <= q.EXACT_QUANTILE_MAX_ROWS
        steps = max(ecdf_points, 2)
        ecdf_levels = [i / (steps - 1) for i in range(steps)]
        levels = list(SUMMARY_LEVELS) + ecdf_levels
        row = self._run(q.numeric_summary_sql(table.handle, names, levels, exact), where=table.label)[0]
        out: dict[str, NumericSummary] = {}
        for i, name in enumerate(names):
            base = 1 + 6 * i
            n, non_finite, mean, low, high, quantiles = row[base : base + 6]
            values = [float(v) for v in quantiles] if quantiles else []
            summary_q = dict(zip(SUMMARY_LEVELS, values[: len(SUMMARY_LEVELS)], strict=False))
            ecdf_x = values[len(SUMMARY_LEVELS) :]
            ecdf: list[list[float]] = []
            for level, x in zip(ecdf_levels, ecdf_x, strict=False):
                if ecdf and ecdf[-1][0] == x:
                    ecdf[-1][1] = max(level, 1.0 / max(int(n), 1))
                    continue
                ecdf.append([x, max(level, 1.0 / max(int(n), 1))])
            out[name] = NumericSummary(
                rows=int(row[0]),
                n=int(n),
                missing=int(row[0]) - int(n),
                non_finite=int(non_finite),
                mean=None if mean is None else float(mean),
                min=None if low is None else float(low),
                max=None if high is None else float(high),
                quantiles=summary_q,
                ecdf=ecdf,
                exact_quantiles=exact,
            )
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
        self, reference: FeatureTable, production: FeatureTable, edges: dict[str, list[float]]
    ) -> dict[str, NumericComparison]:
        """Exact KS D per feature (small-side or merged shape) and both sides' plot-bin counts."""
        sides = {"reference": reference, "production": production}
        ref_rows, prod_rows = self.count_rows(reference)[0], self.count_rows(production)[0]
        small_name = "reference" if ref_rows <= prod_rows else "production"
        large_name = "production" if small_name == "reference" else "reference"
        scans: dict[str, list[tuple[str, list[float]]]] = {"reference": [], "production": []}
        plan: dict[str, dict[str, Any]] = {}
        for name, cut in edges.items():
            inner = sorted(set(cut[1:-1]))
            entry: dict[str, Any] = {"inner": inner, "bins": {}}
            for side in sides:
                entry["bins"][side] = len(scans[side])
                scans[side].append((name, inner))
            small = self._distinct(sides[small_name], name)
            if small is None:
                entry["shape"] = "merged"
            else:
                entry["shape"] = "small_side"
                entry["small"] = small
                entry["ks_index"] = len(scans[large_name])
                scans[large_name].append((name, [v for v, _ in small]))
            plan[name] = entry
        counted = {side: self._boundary_scan(sides[side], scans[side]) for side in sides}
        out: dict[str, NumericComparison] = {}
        locate: list[tuple[str, float, float]] = []
        pending: dict[str, dict[str, Any]] = {}
        for name, cut in edges.items():
            entry = plan[name]
            bins = {side: self._bins(cut, entry["inner"], counted[side][entry["bins"][side]]) for side in sides}
            if entry["shape"] == "merged":
                ks = self._merged_ks(reference, production, name)
            else:
                le, lt, n_large = counted[large_name][entry["ks_index"]]
                found = _small_side_ks(entry["small"], le, lt, n_large, small_is_reference=small_name == "reference")
                ks = found["ks"]
                if found["between"] is not None:
                    locate.append((name, *found["between"]))
                    pending[name] = found
            out[name] = NumericComparison(ks=ks, reference_bins=bins["reference"], production_bins=bins["production"])
        if locate:  # D attained at the large side's last value below a boundary: find that value (one scan)
            parts = []
            for name, lo, hi in locate:
                x = q.clean_number(name)
                low = "" if math.isinf(lo) else f"{x} >= {lo!r} AND "
                parts.append(f"max({x}) FILTER (WHERE {low}{x} < {hi!r})")
            large = sides[large_name]
            row = self._run(f"SELECT {', '.join(parts)} FROM {large.handle}", where=large.label)[0]
            for (name, _, _), value in zip(locate, row, strict=True):
                if value is not None:
                    out[name].ks.location = float(value)
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
        self, reference: FeatureTable, production: FeatureTable, name: str, min_expected: float, plot_top: int
    ) -> CategorySummary:
        """Counts joined and pooled in DuckDB; only kept categories, pooled sums and the plot rows return."""
        multi = reference.features[name].multi
        self._run(
            "CREATE OR REPLACE TEMP TABLE gk_cat AS "
            + q.category_counts_sql(reference.handle, production.handle, name, multi),
            where=production.label,
        )
        n_ref, n_prod = (int(v or 0) for v in self._run("SELECT sum(rc), sum(pc) FROM gk_cat")[0])
        ref_rows, prod_rows = self.count_rows(reference)[0], self.count_rows(production)[0]
        cats: list[str] = []
        ref_counts: list[int] = []
        prod_counts: list[int] = []
        pooled_ref = pooled_prod = pooled_count = 0
        plot: list[dict[str, Any]] = []
        new: list[str] = []
        vanished: list[str] = []
        new_count = vanished_count = 0
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
        for side, names in (("new", new), ("vanished", vanished)):
            rows = self._run(q.one_sided_sql("gk_cat", side, q.NEW_NAMES_SHOWN))
            names.extend(str(r[0]) for r in rows)
            if side == "new":
                new_count = int(rows[0][1]) if rows else 0
            else:
                vanished_count = int(rows[0][1]) if rows else 0
        self._run("DROP TABLE IF EXISTS gk_cat")
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
            reference_missing=0 if multi else ref_rows - n_ref,
            production_missing=0 if multi else prod_rows - n_prod,
            new=new,
            new_count=new_count,
            vanished=vanished,
            vanished_count=vanished_count,
            plot=plot,
        )


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
