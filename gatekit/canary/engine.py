"""Where the canary's SQL runs: DuckDB in-process (default) or a Spark session.

The production engine (``gatekit.production``) opens SOURCE — a file, folder or glob of JSONL / Parquet /
CSV production-log rows (older logs through the legacy mapping), ``mlflow:<experiment>`` traces, or
``spark-table:<name>`` on Spark — and this module exposes it as a view ``gk_canary_rows`` of the columns
the canary reads, on which the SQL of ``gatekit.canary.sql`` runs unchanged on either engine; only small
summary rows come back to Python.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Protocol

from gatekit.errors import DatasetError, GatekitError

TABLE = "gk_canary_rows"
# the production-log columns the canary reads, and their types in each engine
CANARY_COLUMNS = (
    "timestamp", "request_id", "variant", "latency_ms", "error", "cost_usd", "outcome", "agent_version", "schema_version",
)  # fmt: skip
NUMERIC_COLUMNS = ("latency_ms", "cost_usd", "schema_version")
REQUIRED_COLUMNS = ("request_id", "variant")


class InfrastructureError(GatekitError):
    """The engine itself failed (Spark did not start, out of memory): exit 3."""

    exit_code = 3


class Engine(Protocol):
    """A SQL engine holding the production rows as ``gk_canary_rows``."""

    dialect: str

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ``sql`` and return its (small) result."""
        ...

    def close(self) -> None:
        """Release the engine's resources."""
        ...


class ProductionEngine:
    """The production engine (``gatekit.production``: DuckDB by default, or Spark) holding the rows as ``gk_canary_rows``.

    The source is opened by ``gatekit.production.sources.open_side``: production-log files read directly
    (DuckDB memory-limited and spilling; Spark's readers), ``gatekit eval`` results and older logs converted
    once through the documented legacy mapping, ``mlflow:<experiment>`` traces, ``spark-table:<name>`` (Spark).
    The view exposes the timestamp as integer epoch microseconds (``ts_us``) so the SQL is the same text on
    both engines.
    """

    def __init__(
        self, source: str, engine: str = "duckdb", *, spark: Any = None, tracking_uri: str | None = None,
        paths: list[Path] | None = None, **options: Any,
    ) -> None:  # fmt: skip
        import shutil
        import tempfile

        from gatekit.drift.features import FeatureSpec
        from gatekit.production.engine import get_engine
        from gatekit.production.sources import open_side

        if engine not in ("duckdb", "spark"):
            raise DatasetError(f"--engine {engine!r}: unknown engine; use duckdb or spark")
        self.dialect = engine
        self.source = source
        self.in_progress = 0
        self.oldest_in_progress_ms: int | None = None
        self._workdir = tempfile.mkdtemp(prefix="gatekit-canary-")
        if engine == "spark" and spark is not None:
            options["session"] = spark
        try:
            production: Any = get_engine(engine, **options)
            self._engine = production
        except BaseException:
            shutil.rmtree(self._workdir, ignore_errors=True)
            raise
        try:
            specs = [
                FeatureSpec(name, "numeric" if name in NUMERIC_COLUMNS else "categorical", paths=(name,))
                for name in CANARY_COLUMNS
                if name != "timestamp"
            ]
            opened = open_side(
                self._engine, source, "logs", specs, workdir=Path(self._workdir), tracking_uri=tracking_uri, paths=paths
            )
            table = opened.table
            self.in_progress = opened.in_progress  # MLflow traces still in progress, left out (said in canary.json)
            self.oldest_in_progress_ms = opened.oldest_in_progress_ms
            missing = [c for c in REQUIRED_COLUMNS if c not in table.present]
            if (missing or not table.has_timestamp) and _no_row_yet(opened.files):
                # a log with no row yet (logrotate's new file, a guard before its first request): an empty log,
                # hold (nothing has arrived yet), as an empty Parquet file; it was "the rows have no request_id ..."
                self._empty_view(engine)
                return
            if missing or not table.has_timestamp:
                what = ", ".join(missing + ([] if table.has_timestamp else ["timestamp"]))
                raise DatasetError(
                    f"--logs {source}: the rows have no {what} column; the canary needs timestamp, request_id and "
                    "variant (see docs/production-log.md)"
                )
            names = [c for c in CANARY_COLUMNS if c != "timestamp"]
            ts = "CAST(round(__ts * 1000000) AS BIGINT) AS ts_us"
            if engine == "duckdb":
                connection = self._engine.connection
                connection.execute("SET enable_progress_bar = false")
                connection.execute(
                    f"CREATE OR REPLACE TEMP VIEW {TABLE} AS SELECT {ts}, {', '.join(names)} FROM {table.handle}"
                )
            else:
                handle = table.handle  # a projected DataFrame and the internal column of each feature
                cols = ", ".join(
                    f"{handle.cols[n]} AS {n}"
                    if n in table.present
                    else f"CAST(NULL AS {'DOUBLE' if n in NUMERIC_COLUMNS else 'STRING'}) AS {n}"
                    for n in names
                )  # a column the rows lack (agent_version in older logs) is null, as on DuckDB
                handle.df.createOrReplaceTempView("gk_canary_projected")
                self._engine.spark.sql(f"SELECT {ts}, {cols} FROM gk_canary_projected").createOrReplaceTempView(TABLE)
        except BaseException:
            self.close()
            raise

    def _empty_view(self, engine: str) -> None:
        """``gk_canary_rows`` with the canary's columns and no row."""
        cols = ", ".join(
            f"CAST(NULL AS {'DOUBLE' if n in NUMERIC_COLUMNS else 'VARCHAR' if engine == 'duckdb' else 'STRING'}) AS {n}"
            for n in CANARY_COLUMNS
            if n != "timestamp"
        )
        select = f"SELECT CAST(NULL AS BIGINT) AS ts_us, {cols} WHERE 1 = 0"
        if engine == "duckdb":
            self._engine.connection.execute(f"CREATE OR REPLACE TEMP VIEW {TABLE} AS {select}")
        else:
            self._engine.spark.sql(select).createOrReplaceTempView(TABLE)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ``sql`` and return its (small) result; bad data is ``DatasetError``, an engine failure exit 3."""
        if self.dialect == "duckdb":
            import duckdb

            try:
                return list(self._engine.connection.execute(sql).fetchall())
            except duckdb.OutOfMemoryException as exc:
                raise InfrastructureError(f"DuckDB ran out of memory: {_engine_text(exc, 200)}") from None
            except duckdb.Error as exc:
                found = self._engine.locate_problem()  # DuckDB's own line numbers can be off
                if found:
                    raise DatasetError(f"{found}; fix or remove that line (see docs/production-log.md)") from None
                first = _engine_text(exc, 300)
                raise DatasetError(
                    f"--logs {self.source}: cannot read the production rows: {first}; fix or remove that row "
                    "(docs/production-log.md)"
                ) from None
        try:
            return [tuple(r) for r in self._engine.spark.sql(sql).collect()]
        except Exception as exc:  # noqa: BLE001 - classify: bad data vs engine failure
            found = self._engine.locate_problem(exc)  # Spark's refusal names no file or line
            if found:
                raise DatasetError(f"{found}; fix or remove that line (see docs/production-log.md)") from None
            text = _engine_text(exc, 300) or type(exc).__name__
            if any(word in text.upper() for word in ("MALFORMED", "PARSE", "CAST")):
                raise DatasetError(f"--logs {self.source}: cannot read the production rows: {text}") from None
            raise InfrastructureError(f"Spark failed: {text}") from None

    def close(self) -> None:
        """Close the production engine (a Spark session it did not start stays) and remove the work folder."""
        import shutil

        try:
            if self.dialect == "spark" and hasattr(self._engine, "spark"):
                self._engine.spark.catalog.dropTempView(TABLE)
                self._engine.spark.catalog.dropTempView("gk_canary_projected")
            if hasattr(self, "_engine"):
                self._engine.close()
        finally:
            shutil.rmtree(self._workdir, ignore_errors=True)


def _no_row_yet(files: list[Path]) -> bool:
    """Whether every JSON Lines / CSV file read holds no row (0 bytes, blank lines, a byte-order mark alone)."""
    from gatekit.production.sources import EMPTY, sniff

    return bool(files) and all(sniff(path) == EMPTY for path in files)


def open_engine(source: str, engine: str = "duckdb", **options: Any) -> Engine:
    """Open ``source`` on ``engine`` (``duckdb`` or ``spark``; ``spark=`` a session to reuse)."""
    return ProductionEngine(source, engine, **options)


_FILE_NAMED = re.compile(r'(in file "[^"]*")')
# a quoted value in an engine's message, closed by a quote or cut by the engine with "..." (DuckDB: cast errors)
_QUOTED_VALUE = re.compile(r'"[^"]*?(?:"|\.\.\.|$)')
# DuckDB's advice to its own users (``Try setting 'auto_detect' to true, ... 'ignore_errors' to true``): no gatekit flag
_ENGINE_ADVICE = re.compile(r"\s*Try setting '(?:auto_detect|ignore_errors|format|records)'.*$")


def _engine_text(exc: BaseException, limit: int) -> str:
    """An engine's error on one line without the bad row's value, scrubbed before the cut.

    DuckDB and Spark quote the value they could not read ("Failed to cast value: "<the value>"), possibly
    cut (a piece of a secret no detector finds): every quoted value except the file's name is withheld;
    the file and line the engine names stay.
    """
    from gatekit.redact import scrub_cut

    parts = _FILE_NAMED.split(_ENGINE_ADVICE.sub("", " ".join(str(exc).split())))
    text = "".join(part if i % 2 else _QUOTED_VALUE.sub('"<value withheld>"', part) for i, part in enumerate(parts))
    return scrub_cut(text, limit) or ""
