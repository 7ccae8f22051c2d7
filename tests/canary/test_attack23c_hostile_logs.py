"""attack23c: hostile production logs judged alike on DuckDB and Spark.

- Time text: DuckDB's and Spark's casts each read more than RFC 3339, and not the same. A zone name
  (``2026-11-01T01:30:00 America/New_York``, an hour that happens twice) was read by both an hour apart; ``+24:00``,
  ``T24:00:00`` and ``T12:00Z`` by DuckDB only (a canary promoted there was refused on Spark), ``+2026-...``, ``T12``,
  ``T12:00:00 +05:30`` and ``12:00:00.123 Z`` by Spark only, ``T12:00:00UTC`` by Spark only. Now one shape
  (``gatekit.rfc3339.TIMESTAMP_TEXT_SQL``) is read by both, to the same instant, and other text is refused by both
  naming the file and line.
- A folder of logs holding an empty file (the file logrotate's ``create`` just made, a writer's file before its first
  request) was refused: "mixes production-log files with other files: legacy (...)" (exit 2), where ``gatekit watch``
  waits on such a file. A file with no row now holds nothing to judge.

Real files, real DuckDB, a real local Spark session.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from canary.guarded_traffic import gatekit_cli
from canary.traffic import T0, now_after, stamp, traffic, write_jsonl
from gatekit.canary.core import CanaryResult, analyse, parse_time
from gatekit.canary.engine import open_engine
from gatekit.canary.rules import RolloutRules
from gatekit.errors import DatasetError
from gatekit.production.duckdb_engine import DuckDBEngine
from gatekit.production.engine import FeatureColumn, FileSource

RULES = RolloutRules.model_validate(
    {
        "rollback": [{"rule": "error_rate > 1% for 3 consecutive windows"}],
        "compare": {"min_requests": 100, "metrics": {"latency_ms": "10%", "error_rate": "0.5pp"}},
    }
)


def judge(path: Path, engine: str = "duckdb", spark: Any = None, minutes: int = 10) -> CanaryResult:
    eng = open_engine(str(path), engine, spark=spark) if engine == "spark" else open_engine(str(path), engine)
    try:
        return analyse(eng, RULES, stage=RULES.stages[0], now_us=parse_time(now_after(minutes), "now"))
    finally:
        eng.close()


def _instant(y: int, mo: int, d: int, h: int = 0, mi: int = 0, s: float = 0.0, offset_min: int = 0) -> float:
    """Epoch seconds of a wall clock at a UTC offset, by datetime arithmetic (no parser involved)."""
    wall = datetime(y, mo, d, h, mi, tzinfo=UTC) + timedelta(seconds=s)
    return (wall - timedelta(minutes=offset_min)).timestamp()


# text both engines read, and the instant it is (several were read by one engine only)
READ = {
    "2026-03-01T12:00:00Z": _instant(2026, 3, 1, 12),
    "2026-03-01T12:00Z": _instant(2026, 3, 1, 12),  # (Spark refused it: no seconds)
    "2026-03-01t12:00z": _instant(2026, 3, 1, 12),
    "2026-03-01T12:00:00UTC": _instant(2026, 3, 1, 12),  # (DuckDB refused it)
    "2026-03-01T12:00 UTC": _instant(2026, 3, 1, 12),  # (Spark refused it)
    "2026-03-01 12:00:00.5 UTC": _instant(2026, 3, 1, 12, 0, 0.5),
    "2026-03-01T12:00+05:30": _instant(2026, 3, 1, 12, offset_min=330),  # (Spark refused it)
    "2026-03-01T12:00:00+0530": _instant(2026, 3, 1, 12, offset_min=330),
    "2026-03-01 12:00:00-08": _instant(2026, 3, 1, 12, offset_min=-480),
    "2026-03-01T12:00:00+18:00": _instant(2026, 3, 1, 12, offset_min=1080),
    "2026-03-01T1:2:3Z": _instant(2026, 3, 1, 1, 2, 3),
    "2026-3-1": _instant(2026, 3, 1),
    "2026-03-01T12:00:00.123456789Z": _instant(2026, 3, 1, 12, 0, 0.123456),
    "2024-02-29T23:59:59.Z": _instant(2024, 2, 29, 23, 59, 59),
    "1969-12-31T23:59:59Z": -1.0,
}
# text refused by both (each was read by one engine or both): a zone name, an hour or offset past the clock, a
# signed year, a space before the zone, an hour without minutes, a leap second, a date that does not exist
REFUSED = [
    "2026-11-01T01:30:00 America/New_York",
    "2026-03-01T12:00:00 Europe/Paris",
    "2026-03-01T12:00:00 GMT",
    "2026-03-01T12:00:00+24:00",
    "2026-03-01T12:00:00+19:00",
    "2026-03-01T24:00:00Z",
    "+2026-03-01T12:00:00Z",
    "10000-01-01T00:00:00Z",
    "2026-03-01T12",
    "2026-03-01T12:00:00 +05:30",
    "2026-03-01T12:00:00.123 Z",
    "2026-03-01  12:00:00",
    "2026-03-01T12:00:00+1",
    "2026-03-01T12:00:60Z",
    "2026-02-29T12:00:00Z",
    "2026-03-01T12:00:00Z\n",
]


def _stamps_file(path: Path, texts: list[str]) -> FileSource:
    rows = [{"schema_version": 1, "timestamp": t, "request_id": f"r{i}", "x": 1.0} for i, t in enumerate(texts)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return FileSource((str(path),), "jsonl", {})


def test_duckdb_reads_the_shared_time_text_to_the_same_instants(tmp_path: Path) -> None:
    engine = DuckDBEngine()
    try:
        table = engine.open_files(_stamps_file(tmp_path / "p.jsonl", list(READ)), [FeatureColumn("x", "numeric")])
        got = [row[0] for row in engine._con.execute(f"SELECT __ts FROM {table.handle}").fetchall()]
    finally:
        engine.close()
    assert got == pytest.approx(list(READ.values()), abs=1e-6)


def test_spark_reads_the_shared_time_text_to_the_same_instants(tmp_path: Path, spark: Any) -> None:
    from gatekit.production.spark_engine import SparkEngine

    table = SparkEngine(session=spark).open_files(
        _stamps_file(tmp_path / "p.jsonl", list(READ)), [FeatureColumn("x", "numeric")]
    )
    got = [float(row[0]) for row in table.handle.df.select("__ts").collect()]
    assert got == pytest.approx(list(READ.values()), abs=1e-6)


def _log_with_stamp(tmp_path: Path, text: str) -> Path:
    rows = traffic(10, per_minute=60, seed=3)
    rows[5] = {**rows[5], "timestamp": text}
    return write_jsonl(tmp_path / "prod.jsonl", rows)


@pytest.mark.parametrize("text", REFUSED)
def test_duckdb_refuses_other_time_text_naming_the_line(tmp_path: Path, text: str) -> None:
    log = _log_with_stamp(tmp_path, text)
    with pytest.raises(DatasetError) as refused:
        judge(log)
    assert f"{log}:6: field 'timestamp' must be an RFC 3339 timestamp" in str(refused.value)


def test_spark_refuses_the_same_time_text_naming_the_line(tmp_path: Path, spark: Any) -> None:
    # (the ones Spark alone read before, and the zone name it read an hour away from DuckDB)
    for n, text in enumerate(["2026-11-01T01:30:00 America/New_York", "+2026-03-01T12:00:00Z", "2026-03-01T12"]):
        folder = tmp_path / str(n)
        folder.mkdir()
        log = _log_with_stamp(folder, text)
        with pytest.raises(DatasetError) as refused:
            judge(log, "spark", spark)
        assert f"{log}:6: field 'timestamp' must be an RFC 3339 timestamp" in str(refused.value), text


def test_a_canary_stamped_with_a_zone_name_is_judged_alike_on_both_engines(tmp_path: Path, spark: Any) -> None:
    # the canary's failing requests stamped by a writer in New York local time with its zone name: DuckDB judged the
    # log (promote), Spark refused it; now both refuse it, naming the first such line
    rows = traffic(10, per_minute=60, seed=4)
    for row in rows:
        if row["variant"] == "canary" and row["timestamp"] >= "2026-03-01T12:05":
            stamp = datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")) - timedelta(hours=5)
            row["timestamp"] = stamp.strftime("%Y-%m-%d %H:%M:%S.%f") + " America/New_York"
            row["error"] = "http_5xx"
    log = write_jsonl(tmp_path / "prod.jsonl", rows)
    first = 1 + next(i for i, r in enumerate(rows) if r["timestamp"].endswith("New_York"))
    for engine in ("duckdb", "spark"):
        with pytest.raises(DatasetError) as refused:
            judge(log, engine, spark)
        assert f"{log}:{first}: field 'timestamp'" in str(refused.value), engine


@pytest.mark.parametrize("empty", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_an_empty_file_in_a_folder_of_logs_holds_nothing(tmp_path: Path, spark: Any, empty: bytes) -> None:
    folder = tmp_path / "logs"
    folder.mkdir()
    write_jsonl(folder / "production-1.jsonl", traffic(10, per_minute=60, seed=5))
    alone = judge(folder)
    (folder / "production.jsonl").write_bytes(empty)  # logrotate's `create`: the new file, no row yet
    for engine in ("duckdb", "spark"):
        result = judge(folder, engine, spark)
        assert result.data["decision"] == alone.data["decision"] == "promote", engine
        assert result.data["rows_seen"] == alone.data["rows_seen"] == 1200, engine


def _two_canary_pods(tmp_path: Path, label: str) -> Path:
    """Two canary pods: one labelled ``canary`` (healthy), one labelled ``label`` whose requests all fail."""
    rows = traffic(10, per_minute=200, seed=6)
    canary = [row for row in rows if row["variant"] == "canary"]
    for row in canary[1::2]:
        row["variant"] = label
        row["error"] = "http_5xx"
    return write_jsonl(tmp_path / "prod.jsonl", rows)


@pytest.mark.parametrize("label", ["CANARY", "Canary", " canary "])
def test_canary_rows_labelled_otherwise_but_for_case_hold_the_stage(tmp_path: Path, label: str) -> None:
    # the failing pod's rows are in no window: judged on the healthy pod's rows alone, the stage was promoted
    result = judge(_two_canary_pods(tmp_path, label)).data
    assert result["decision"] == "hold" and result["exit_code"] == 4
    assert result["reasons"][0].startswith("inconclusive: rows labelled like the judged variants")
    assert f"{label!r} (" in result["reasons"][0]


def test_spark_holds_the_same_stage(tmp_path: Path, spark: Any) -> None:
    result = judge(_two_canary_pods(tmp_path, "Canary"), "spark", spark).data
    assert result["decision"] == "hold", result["reasons"]
    assert "'Canary' (" in result["reasons"][0]


def test_another_variant_name_is_no_lookalike(tmp_path: Path) -> None:
    # a third variant of another name (an A/B arm) is not the canary's: judged as before
    result = judge(_two_canary_pods(tmp_path, "canary-b")).data
    assert result["decision"] == "promote", result["reasons"]


def test_watch_holds_at_the_timeout_on_rows_labelled_otherwise(tmp_path: Path) -> None:
    """The two pods' traffic moved to the last 12 complete minutes (a watch judges up to the wall clock)."""
    log = _two_canary_pods(tmp_path, "Canary")
    end = datetime.now(UTC).replace(second=0, microsecond=0)
    shift = end - timedelta(minutes=12) - T0
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    for row in rows:
        row["timestamp"] = stamp(datetime.fromisoformat(row["timestamp"].replace("Z", "+00:00")) + shift)
    write_jsonl(log, rows)
    rules = tmp_path / "rollout.yaml"
    rules.write_text("rollback:\n  - rule: error_rate > 1% for 3 consecutive windows\n", encoding="utf-8")
    proc = gatekit_cli("watch", "--logs", str(log), "--rules", str(rules), "--since", stamp(T0 + shift),
                       "--timeout", "0", "--interval", "0.1")  # fmt: skip
    assert proc.returncode == 4, proc.stdout + proc.stderr  # it was 0: "no rollback rule fired"
    assert "HOLD: inconclusive: rows labelled like the judged variants" in proc.stderr
    assert "'Canary' (" in proc.stderr


def _csv_log(path: Path, header: list[str], columns: list[str]) -> Path:
    """The traffic as CSV: ``header`` written, the cells of ``columns`` (the same length) below it."""
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        for row in traffic(10, per_minute=60, seed=9):
            writer.writerow(["" if row.get(c) is None else row[c] for c in columns])
    return path


COLUMNS = ["schema_version", "timestamp", "request_id", "variant", "latency_ms", "error", "cost_usd", "outcome"]


def test_csv_header_names_with_spaces_around_them_are_read_alike(tmp_path: Path, spark: Any) -> None:
    # DuckDB read ` request_id ` as request_id (and judged the log); Spark found no request_id column (exit 2)
    header = [f" {name} " if name in ("request_id", "variant") else name for name in COLUMNS]
    log = _csv_log(tmp_path / "prod.csv", header, COLUMNS)
    duck, on_spark = judge(log).data, judge(log, "spark", spark).data
    assert duck["decision"] == on_spark["decision"] == "promote"
    assert duck["rows_seen"] == on_spark["rows_seen"] == 1200


def test_a_csv_header_naming_a_column_twice_is_refused_on_both_engines(tmp_path: Path, spark: Any) -> None:
    # DuckDB read the first `variant` cell (the second as variant_1), Spark neither ("no variant column"): refused
    log = _csv_log(tmp_path / "prod.csv", [*COLUMNS, "variant"], [*COLUMNS, "request_id"])
    for engine in ("duckdb", "spark"):
        with pytest.raises(DatasetError) as refused:
            judge(log, engine, spark)
        assert f"{log}:1: the header names column 'variant' twice" in str(refused.value), engine


def test_a_percentile_exactly_at_a_rule_limit_is_judged_alike_on_both_engines(tmp_path: Path, spark: Any) -> None:
    # p99 of these 11 latencies is 2999.9991 + 0.9 * 0.001 = 3000 (numpy: 3000.0); DuckDB's percentile_cont gave
    # 3000.0000000000005 (the window bad: rollback), Spark's 3000.0 (ok: promote)
    latencies = [2900.0 + k for k in range(9)] + [2999.9991, 3000.0001]
    rows = []
    for minute in range(3):
        for k, latency in enumerate(latencies):
            for variant in ("baseline", "canary"):
                moment = T0 + timedelta(minutes=minute, seconds=k)
                rows.append({"schema_version": 1, "timestamp": stamp(moment), "request_id": f"{variant}-{minute}-{k}",
                             "variant": variant, "latency_ms": latency, "error": None, "outcome": "allow"})  # fmt: skip
    log = write_jsonl(tmp_path / "prod.jsonl", rows)
    rules = RolloutRules.model_validate(
        {
            "min_windows": 3,
            "rollback": [{"metric": "latency_p99_ms", "op": ">", "threshold": "3000ms", "for": 1, "min_requests": 5}],
        }
    )
    decided = []
    for engine in ("duckdb", "spark"):
        eng = open_engine(str(log), engine, spark=spark) if engine == "spark" else open_engine(str(log), engine)
        try:
            data = analyse(eng, rules, stage=rules.stages[0], now_us=parse_time(now_after(3), "now")).data
        finally:
            eng.close()
        assert [w["canary"]["latency_p99_ms"] for w in data["windows"]] == [3000.0] * 3, engine
        assert not data["rules"][0]["fired"] and data["rules"][0]["bad_windows"] == 0, engine
        decided.append(data["decision"])
    assert decided[0] == decided[1] != "rollback"


def test_a_key_twice_in_a_row_is_refused_naming_the_line_on_both_engines(tmp_path: Path, spark: Any) -> None:
    # DuckDB: "cannot read the production rows: JSON transform error ... has duplicate key"; Spark: "Spark could not
    # read it ([COLUMN_ALREADY_EXISTS] ...)": neither said which line, in the form every other refusal has
    rows = traffic(10, per_minute=60, seed=10)
    lines = [json.dumps(r) for r in rows]
    lines[49] = lines[49].replace('"variant": "', '"variant": "canary", "variant": "', 1)
    log = tmp_path / "prod.jsonl"
    log.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for engine in ("duckdb", "spark"):
        with pytest.raises(DatasetError) as refused:
            judge(log, engine, spark)
        assert str(refused.value).startswith(f"{log}:50: the key 'variant' twice in one row; fix"), engine


@pytest.mark.parametrize("name", ["production.jsonl", "production.csv"])
def test_a_log_with_no_row_yet_holds_the_stage(tmp_path: Path, spark: Any, name: str) -> None:
    # it was exit 2, "the rows have no request_id, variant column; the canary needs ...": nothing has arrived yet
    log = tmp_path / name
    log.write_bytes(b"")
    for engine in ("duckdb", "spark"):
        data = judge(log, engine, spark).data
        assert (data["decision"], data["exit_code"], data["rows_seen"]) == ("hold", 4, 0), engine
