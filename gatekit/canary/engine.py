"""Where the canary's SQL runs: DuckDB in-process (default) or a Spark session.

An engine opens a production-log SOURCE as a table named ``gk_canary_rows`` (the production-log
columns the canary reads, typed from ``gatekit.production.schema.COLUMNS``) and runs SQL written once
in ``gatekit.canary.sql``; only small summary rows come back to Python. SOURCE is a file, a folder
or a glob of JSONL / Parquet / CSV production-log rows; on Spark it may also be a table name
(``table:db.name``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from gatekit.errors import DatasetError, GatekitError

TABLE = "gk_canary_rows"
# the production-log columns the canary reads, and their types in each engine
CANARY_COLUMNS = ("timestamp", "request_id", "variant", "latency_ms", "error", "cost_usd", "outcome")
_DUCK_TYPES = {"timestamp": "TIMESTAMPTZ", "string": "VARCHAR", "number": "DOUBLE", "integer": "BIGINT"}
_SPARK_TYPES = {"timestamp": "TIMESTAMP", "string": "STRING", "number": "DOUBLE", "integer": "BIGINT"}


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


def _column_types(kinds: dict[str, str]) -> dict[str, str]:
    from gatekit.production.schema import COLUMNS

    by_name = {c.name: c for c in COLUMNS}
    return {name: kinds[by_name[name].type] for name in CANARY_COLUMNS}


def _files(source: str) -> list[Path]:
    from gatekit.drift.sources import resolve_paths

    return resolve_paths(source, "logs")


def _by_format(files: list[Path]) -> dict[str, list[str]]:
    from gatekit.drift.sources import file_format

    groups: dict[str, list[str]] = {}
    for path in files:
        groups.setdefault(file_format(path), []).append(str(path))
    return groups


class DuckDBEngine:
    """DuckDB in-process: files are scanned where they are, in bounded memory (spilling to a temp folder)."""

    dialect = "duckdb"

    def __init__(self, source: str, *, memory_limit: str | None = None, threads: int | None = None) -> None:
        import duckdb

        self._con = duckdb.connect(":memory:")
        self._con.execute("SET TimeZone = 'UTC'")
        if memory_limit:
            self._con.execute(f"SET memory_limit = '{memory_limit}'")
        if threads:
            self._con.execute(f"SET threads = {int(threads)}")
        self.source = source
        types = _column_types(_DUCK_TYPES)
        parts = []
        for fmt, paths in _by_format(_files(source)).items():
            listed = "[" + ", ".join(_quote(p) for p in paths) + "]"
            cols = ", ".join(f"{c}" for c in CANARY_COLUMNS)
            if fmt == "parquet":
                casts = ", ".join(f"CAST({c} AS {types[c]}) AS {c}" for c in CANARY_COLUMNS)
                parts.append(f"SELECT {casts} FROM read_parquet({listed}, union_by_name = true)")
            elif fmt == "csv":
                spec = "{" + ", ".join(f"{_quote(c)}: {_quote(types[c])}" for c in CANARY_COLUMNS) + "}"
                parts.append(
                    f"SELECT {cols} FROM read_csv({listed}, header = true, union_by_name = true, types = {spec})"
                )
            else:
                spec = "{" + ", ".join(f"{_quote(c)}: {_quote(types[c])}" for c in CANARY_COLUMNS) + "}"
                parts.append(f"SELECT {cols} FROM read_json({listed}, format = 'newline_delimited', columns = {spec})")
        self._con.execute(f"CREATE OR REPLACE VIEW {TABLE} AS " + " UNION ALL ".join(parts))

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ``sql``; a file that does not parse is ``DatasetError`` naming the source."""
        import duckdb

        try:
            return self._con.execute(sql).fetchall()
        except (duckdb.InvalidInputException, duckdb.ConversionException, duckdb.IOException) as exc:
            first = str(exc).strip().splitlines()[0][:300]
            raise DatasetError(f"--logs {self.source}: cannot read the production rows: {first}") from None
        except duckdb.OutOfMemoryException as exc:
            raise InfrastructureError(f"DuckDB ran out of memory: {str(exc)[:200]}") from None

    def close(self) -> None:
        """Close the connection."""
        self._con.close()


class SparkEngine:
    """A Spark session (the active one, or a local one): files through Spark's readers, or ``table:NAME``."""

    dialect = "spark"

    def __init__(self, source: str, spark: Any = None) -> None:
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise InfrastructureError("--engine spark needs pyspark: pip install pyspark") from None
        try:
            self._spark = spark or SparkSession.getActiveSession() or _local_session(SparkSession)
        except Exception as exc:  # noqa: BLE001 - a session that does not start is an infrastructure error
            raise InfrastructureError(f"cannot start a Spark session: {type(exc).__name__}: {str(exc)[:200]}") from None
        self._spark.conf.set("spark.sql.session.timeZone", "UTC")
        self.source = source
        types = _column_types(_SPARK_TYPES)
        cols = ", ".join(f"CAST({c} AS {types[c]}) AS {c}" for c in CANARY_COLUMNS)
        if source.startswith("table:"):
            frame = self._spark.table(source.removeprefix("table:"))
        else:
            schema = ", ".join(f"`{c}` {types[c]}" for c in CANARY_COLUMNS)
            frames = []
            for fmt, paths in _by_format(_files(source)).items():
                if fmt == "parquet":
                    frames.append(self._spark.read.parquet(*paths))
                elif fmt == "csv":
                    frames.append(self._spark.read.csv(paths, header=True, schema=schema))
                else:
                    frames.append(self._spark.read.json(paths, schema=schema, mode="FAILFAST"))
            frame = frames[0]
            for other in frames[1:]:
                frame = frame.unionByName(other, allowMissingColumns=True)
        frame.createOrReplaceTempView("gk_canary_raw")
        self._spark.sql(f"SELECT {cols} FROM gk_canary_raw").createOrReplaceTempView(TABLE)

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ``sql`` on the session and collect its (small) result."""
        try:
            return [tuple(r) for r in self._spark.sql(sql).collect()]
        except Exception as exc:  # noqa: BLE001 - classify: bad data vs engine failure
            text = str(exc).strip().splitlines()[0][:300] if str(exc).strip() else type(exc).__name__
            if "MALFORMED" in text.upper() or "PARSE" in text.upper() or "CAST" in text.upper():
                raise DatasetError(f"--logs {self.source}: cannot read the production rows: {text}") from None
            raise InfrastructureError(f"Spark failed: {text}") from None

    def close(self) -> None:
        """Drop the views; the session stays (it may be shared)."""
        self._spark.catalog.dropTempView(TABLE)
        self._spark.catalog.dropTempView("gk_canary_raw")


def _local_session(session_cls: Any) -> Any:
    return (
        session_cls.builder.master("local[1]")
        .appName("gatekit-canary")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.ui.showConsoleProgress", "false")
        .getOrCreate()
    )


def _quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def open_engine(source: str, engine: str = "duckdb", **options: Any) -> Engine:
    """Open ``source`` on ``engine`` (``duckdb`` or ``spark``)."""
    if engine == "duckdb":
        return DuckDBEngine(source, **options)
    if engine == "spark":
        return SparkEngine(source, **options)
    raise DatasetError(f"--engine {engine!r}: unknown engine; use duckdb or spark")
