"""Run ``benchmarks/drift_bare.sql`` (the bare-DuckDB baseline) on a reference and production Parquet glob.

Usage: ``python benchmarks/drift_bare.py REF.parquet 'PROD/*.parquet' [--memory-limit 1GB]``; prints one line
per statistic (test, feature, value, dof). Same DuckDB settings as gatekit's engine (memory limit, threads).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import duckdb

SQL = Path(__file__).with_name("drift_bare.sql")


def main() -> None:
    """Substitute the paths into the SQL script and run it statement by statement."""
    parser = argparse.ArgumentParser()
    parser.add_argument("reference")
    parser.add_argument("production")
    parser.add_argument("--memory-limit", default="1GB")
    args = parser.parse_args()

    def quote(text: str) -> str:
        return "'" + text.replace("'", "''") + "'"

    script = SQL.read_text().replace("{ref}", quote(args.reference)).replace("{prod}", quote(args.production))
    with tempfile.TemporaryDirectory() as spill:
        con = duckdb.connect()
        con.execute(f"SET memory_limit = {quote(args.memory_limit)}")
        con.execute(f"SET temp_directory = {quote(spill)}")
        con.execute("SET preserve_insertion_order = false")
        code = "\n".join(line for line in script.splitlines() if not line.lstrip().startswith("--"))
        rows: list[tuple[object, ...]] = []
        for statement in code.split(";"):
            if statement.strip():
                rows = con.execute(statement).fetchall()
        for row in rows:
            print(*row)
        con.close()


if __name__ == "__main__":
    main()
