"""prod20: a CSV production-log row with more or fewer cells than the header is refused alike on DuckDB and Spark.

Spark's CSV reader (``mode=PERMISSIVE``) padded a short row with nulls and cut a long one without a word, and with
column pruning even ``FAILFAST`` let such a row through when its missing cells were not among the columns read: drift
and canary judged rows DuckDB refused. Now both engines refuse the file in one line naming the file and the line
(``rows.csv:22: 7 cells where the header has 6; fix or remove that line``): exit 2. Real files, real DuckDB, a real
local Spark session, a real ``gatekit canary`` subprocess.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from canary.traffic import T0, now_after, stamp

from gatekit.canary.core import analyse, parse_time
from gatekit.canary.engine import open_engine
from gatekit.canary.rules import RolloutRules
from gatekit.errors import DatasetError
from gatekit.production.engine import FeatureColumn, FileSource, get_engine

ROOT = Path(__file__).resolve().parents[2]
HEADER = ["schema_version", "timestamp", "request_id", "variant", "latency_ms", "error"]
RULES = {"rollback": [{"rule": "error_rate > 5% for 3 consecutive windows"}], "min_requests": 5}


def _log(tmp_path: Path, cells: int) -> Path:
    """Two minutes of baseline and canary rows; line 22 (the header is line 1) has ``cells`` cells."""
    from datetime import timedelta

    lines = [",".join(HEADER)]
    for i in range(60):
        variant = "canary" if i % 2 else "baseline"
        moment = stamp(T0 + timedelta(seconds=2 * i))
        lines.append(f"1,{moment},r{i},{variant},{100 + i}.5,")
    lines[21] = ",".join((lines[21].split(",") + ["x", "y"])[:cells])
    path = tmp_path / "rows.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _drift_read(engine_name: str, spark: Any, path: Path) -> None:
    engine = get_engine(engine_name, session=spark) if engine_name == "spark" else get_engine("duckdb")
    try:
        source = FileSource((str(path),), "csv", {"latency_ms": "latency_ms"}, label=str(path))
        table = engine.open_files(source, [FeatureColumn("latency_ms", "numeric")])
        engine.numeric_summaries(table, ["latency_ms"], 10)
    finally:
        engine.close()


def _canary_judge(engine_name: str, spark: Any, path: Path) -> None:
    options = {"spark": spark} if engine_name == "spark" else {}
    eng = open_engine(str(path), engine_name, **options)
    try:
        rules = RolloutRules.model_validate(RULES)
        analyse(eng, rules, stage=rules.stages[0], now_us=parse_time(now_after(3), "now"))
    finally:
        eng.close()


@pytest.mark.parametrize("cells", [7, 3])
def test_a_csv_row_of_another_width_is_refused_by_both_engines_naming_the_line(
    tmp_path: Path, spark: Any, cells: int
) -> None:
    path = _log(tmp_path, cells)
    want = rf"^{path}:22: {cells} cells where the header has 6; fix or remove that line"
    for name in ("duckdb", "spark"):
        with pytest.raises(DatasetError, match=want):  # drift's read of one numeric column (Spark padded it)
            _drift_read(name, spark, path)
        with pytest.raises(DatasetError, match=want):  # the canary's windows query
            _canary_judge(name, spark, path)


def test_the_same_file_of_right_widths_reads_on_spark(tmp_path: Path, spark: Any) -> None:
    """The refusal is the row's width, not the reader's mode: a file whose rows all fit is judged."""
    path = _log(tmp_path, 6)
    for name in ("duckdb", "spark"):
        _drift_read(name, spark, path)
        _canary_judge(name, spark, path)


def test_gatekit_canary_exits_2_in_one_line(tmp_path: Path) -> None:
    path = _log(tmp_path, 7)
    rules = tmp_path / "rollout.yaml"
    rules.write_text("min_requests: 5\nrollback:\n  - 'error_rate > 5% for 3 consecutive windows'\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "canary", "--logs", str(path), "--rules", str(rules), "--now",
         now_after(3), "--out", str(tmp_path / "out"), "--no-mlflow"],
        cwd=ROOT, capture_output=True, text=True, timeout=120, env={**__import__("os").environ, "PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert f"{path}:22: 7 cells where the header has 6; fix or remove that line" in lines[0]
