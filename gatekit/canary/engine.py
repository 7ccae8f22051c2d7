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
NUMERIC_COLUMNS = ("latency_ms", "cost_usd")
REQUIRED_COLUMNS = ("request_id", "variant")
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
    """DuckDB in-process through ``gatekit.production``: files scanned where they are, memory-limited, spilling.

    The source is opened by ``gatekit.production.sources.open_side`` (production-log files read directly;
    eval results and older logs converted once through the documented legacy mapping), then exposed as
    ``gk_canary_rows`` with the timestamp as integer epoch microseconds (``ts_us``).
    """

    dialect = "duckdb"

    def __init__(self, source: str, *, memory_limit: str = "1GB", threads: int | None = None) -> None:
        import shutil
        import tempfile

        from gatekit.drift.features import FeatureSpec
        from gatekit.production.engine import get_engine
        from gatekit.production.sources import open_side

        self.source = source
        self._workdir = tempfile.mkdtemp(prefix="gatekit-canary-")
        self._engine: Any = get_engine("duckdb", memory_limit=memory_limit, threads=threads)
        try:
            specs = [
                FeatureSpec(name, "numeric" if name in NUMERIC_COLUMNS else "categorical", paths=(name,))
                for name in CANARY_COLUMNS
                if name != "timestamp"
            ]
            opened = open_side(self._engine, source, "logs", specs, workdir=Path(self._workdir))
            table = opened.table
            missing = [c for c in REQUIRED_COLUMNS if c not in table.present]
            if missing or not table.has_timestamp:
                what = ", ".join(missing + ([] if table.has_timestamp else ["timestamp"]))
                raise DatasetError(
                    f"--logs {source}: the rows have no {what} column; the canary needs timestamp, request_id and "
                    "variant (see docs/production-log.md)"
                )
            cols = ", ".join(c for c in CANARY_COLUMNS if c != "timestamp")
            run: Any = getattr(self._engine, "_run")  # noqa: B009 - the production engine's connection, one more view
            run(
                f"CREATE OR REPLACE TEMP VIEW {TABLE} AS SELECT CAST(round(__ts * 1000000) AS BIGINT) AS ts_us, "
                f"{cols} FROM {table.handle}",
                where=source,
            )
        except BaseException:
            self._engine.close()
            shutil.rmtree(self._workdir, ignore_errors=True)
            raise

    def rows(self, sql: str) -> list[tuple[Any, ...]]:
        """Run ``sql``; a file that does not parse is ``DatasetError`` naming the source."""
        import duckdb

        try:
            return list(self._engine._con.execute(sql).fetchall())
        except duckdb.OutOfMemoryException as exc:
            raise InfrastructureError(f"DuckDB ran out of memory: {str(exc)[:200]}") from None
        except duckdb.Error as exc:
            first = " ".join(str(exc).split())[:300]
            raise DatasetError(f"--logs {self.source}: cannot read the production rows: {first}") from None

    def close(self) -> None:
        """Close the engine and remove its work folder."""
        import shutil

        try:
            self._engine.close()
        finally:
            shutil.rmtree(self._workdir, ignore_errors=True)


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
        cols = ", ".join(
            "unix_micros(CAST(timestamp AS TIMESTAMP)) AS ts_us"
            if c == "timestamp"
            else f"CAST({c} AS {types[c]}) AS {c}"
            for c in CANARY_COLUMNS
        )
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
