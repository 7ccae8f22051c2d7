"""The Spark engine on a real local Spark session: the same D and p as scipy and as the DuckDB engine (ties
included, both KS shapes), numeric summaries, plot bins and category counts; a Spark table as a source.

One local session for the whole test process (``conftest.spark``, ~10 s to start). Java missing: skipped locally, a
failure on CI. Spark jobs are the cost here, so each dataset is compared once per KS shape (every feature in one
engine call) and the tests assert on those results.
"""

from __future__ import annotations

import math
import os
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from scipy import stats

from gatekit.production import spark_engine as se
from gatekit.production.engine import CATEGORICAL, NUMERIC, FeatureColumn, FileSource

FEATURES = [
    FeatureColumn("latency_ms", NUMERIC),
    FeatureColumn("input_chars", NUMERIC),
    FeatureColumn("role", CATEGORICAL),
    FeatureColumn("tool_names", CATEGORICAL, multi=True),
]


def _write(path: Path, rng: np.random.Generator, n: int, shift: float, roles: list[str], with_ts: bool = True) -> dict:
    latency = np.round(rng.lognormal(6.0 + shift, 0.4, n), 0)  # rounded: many ties
    chars = rng.integers(5, 60, n).astype(float)
    latency_list: list[float | None] = [float(v) for v in latency]
    latency_list[0] = None  # missing
    latency_list[1] = math.nan  # non-finite, counted as missing
    role = [roles[i % len(roles)] for i in range(n)]
    role[2] = ""  # empty = missing
    tools = [["search"] * (i % 3) + (["refund"] if i % 7 == 0 else []) for i in range(n)]
    columns = {
        "timestamp": pa.array([1_796_000_000_000_000 + i * 1_000_000 for i in range(n)], pa.timestamp("us", tz="UTC")),
        "latency_ms": pa.array(latency_list, pa.float64()),
        "input_chars": pa.array(chars.astype(np.int64), pa.int64()),
        "role": pa.array(role, pa.string()),
        "tool_names": pa.array(tools, pa.list_(pa.string())),
    }
    if not with_ts:
        columns.pop("timestamp")
    pq.write_table(pa.table(columns), path)
    finite = np.array([v for v in latency_list if v is not None and not math.isnan(v)])
    return {"latency": finite, "chars": chars, "role": role, "tools": tools, "n": n}


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spark-data")
    rng = np.random.default_rng(14)
    ref = _write(folder / "reference.parquet", rng, 400, 0.0, ["support", "sales", "admin"])
    prod = _write(folder / "production.parquet", rng, 3000, 0.08, ["support", "sales", "ops", "guest"])
    return {"folder": folder, "ref": ref, "prod": prod}


def _source(path: Path) -> FileSource:
    return FileSource(paths=(str(path),), format="parquet", columns={}, timestamp="timestamp", label=path.name)


@pytest.fixture(scope="module")
def engine(spark):
    with se.SparkEngine(session=spark) as eng:
        yield eng
    assert not spark.sparkContext._jsc.sc().isStopped()  # a session passed in is not stopped by the engine


@pytest.fixture(scope="module")
def tables(engine, data):
    ref = engine.open_files(_source(data["folder"] / "reference.parquet"), FEATURES)
    prod = engine.open_files(_source(data["folder"] / "production.parquet"), FEATURES)
    return ref, prod


def _check(ks, expected) -> None:
    """D, p, location and sign as scipy's ks_2samp reports them (p from the engine's exact D and numerator)."""
    from gatekit.drift.stats import ks_from_statistic

    got = ks_from_statistic(ks.d, ks.numerator, ks.n_reference, ks.n_production)
    assert got["statistic"] == expected.statistic and got["p_value"] == pytest.approx(expected.pvalue, rel=1e-12)
    assert ks.d == pytest.approx(expected.statistic, rel=1e-13, abs=1e-15)  # count / n in double precision
    assert ks.numerator == round(ks.d * ks.n_reference * ks.n_production)
    assert (ks.location, ks.sign) == (expected.statistic_location, expected.statistic_sign)


def _ks(engine, a, b, name):
    return engine.compare_numeric(a, b, [name], 20, 10)[name].ks


NAMES = ["latency_ms", "input_chars"]
LIMITS = (se.SMALL_SIDE_MAX_DISTINCT, 5)  # both KS shapes on this data: small side, merged


@pytest.fixture(scope="module")
def compared(spark, tables):
    """Per KS shape: both numeric features compared (50 bins, 12 ECDF points), and latency the other way round."""
    ref, prod = tables
    out = {}
    for limit in LIMITS:
        engine = se.SparkEngine(session=spark, small_side_max_distinct=limit)
        out[limit] = (engine.compare_numeric(ref, prod, NAMES, 50, 12), _ks(engine, prod, ref, "latency_ms"))
    return out


@pytest.mark.parametrize("limit", LIMITS)
def test_ks_equals_scipy_both_shapes(compared, data, limit):
    forward, reverse = compared[limit]
    for name, key in (("latency_ms", "latency"), ("input_chars", "chars")):
        ks = forward[name].ks
        assert ks.shape == ("small_side" if limit > 5 else "merged")
        _check(ks, stats.ks_2samp(data["ref"][key], data["prod"][key]))
        assert (ks.n_reference, ks.n_production) == (len(data["ref"][key]), len(data["prod"][key]))
    # the reference as the larger side: the orientation flips, D, location and sign stay scipy's
    _check(reverse, stats.ks_2samp(data["prod"]["latency"], data["ref"]["latency"]))


TIE_CASES = [
    ([1.0, 1.0, 2.0, 2.0, 3.0], [1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 4.0]),
    ([5.0] * 10, [5.0] * 3 + [6.0]),
    ([0.0, -0.0, 1.0], [0.0, 1.0, 1.0]),
    ([1.0, 2.0, 3.0], [1.0, 2.0, 3.0]),
    ([10.0, 20.0], [1.0, 2.0, 3.0, 30.0, 31.0]),
]
EMPTY_CASES = [([1.0, 2.0], [None, math.nan]), ([None, math.nan], [1.0, 2.0])]  # an empty side, either way round


@pytest.fixture(scope="module")
def tiny(spark):
    """Each tiny case as its own feature column of one reference and one production frame (shorter columns padded
    with nulls, which are missing), compared in one engine call per KS shape. The frames come from Arrow tables
    (a list of rows would start Spark's Python worker daemon just to read them)."""
    cases = TIE_CASES + EMPTY_CASES
    names = [f"x{i}" for i in range(len(cases))]
    features = [FeatureColumn(n, NUMERIC) for n in names]

    def frame(columns):
        rows = max(len(c) for c in columns)
        padded = {n: pa.array(c + [None] * (rows - len(c)), pa.float64()) for n, c in zip(names, columns, strict=True)}
        return spark.createDataFrame(pa.table(padded))

    ref_df, prod_df = frame([a for a, _ in cases]), frame([b for _, b in cases])
    fast = se.SparkEngine(session=spark, persist=False)  # tiny frames: caching them costs more than it saves
    merged = se.SparkEngine(session=spark, persist=False, small_side_max_distinct=1)
    out = []
    for engine in (fast, merged):
        ta = engine.open_dataframe(ref_df, features, timestamp=None)
        tb = engine.open_dataframe(prod_df, features, timestamp=None)
        got = engine.compare_numeric(ta, tb, names, 20, 10)
        out.append([got[n].ks for n in names])
    return out


def test_ks_ties_and_identical_sides(tiny):
    for per_engine in tiny:
        for (a, b), ks in zip(TIE_CASES, per_engine, strict=False):
            _check(ks, stats.ks_2samp(a, b))


def test_ks_with_an_empty_side_is_unknown(tiny):
    for per_engine in tiny:
        for ks in per_engine[len(TIE_CASES) :]:
            assert math.isnan(ks.d) and ks.location is None  # unknown, never 0


def test_same_d_and_p_as_duckdb(spark, compared, tables, data):
    from gatekit.production.duckdb_engine import DuckDBEngine

    ref, prod = tables
    for limit in LIMITS:  # both KS shapes
        with DuckDBEngine(small_side_max_distinct=limit) as duck:
            d_ref = duck.open_files(_source(data["folder"] / "reference.parquet"), FEATURES)
            d_prod = duck.open_files(_source(data["folder"] / "production.parquet"), FEATURES)
            want = duck.compare_numeric(d_ref, d_prod, NAMES, 50, 12)
            want_cats = duck.categories(d_ref, d_prod, ["role", "tool_names"], 5.0, 3)
        got = compared[limit][0]
        for name in NAMES:
            g, w = got[name], want[name]
            assert g.ks == w.ks  # D, numerator, sizes, location, sign, shape
            assert (g.edges, g.reference_bins, g.production_bins) == (w.edges, w.reference_bins, w.production_bins)
            for side in ("reference", "production"):
                gs, ws = getattr(g, side), getattr(w, side)
                assert (gs.rows, gs.n, gs.missing, gs.non_finite, gs.min, gs.max) == (
                    ws.rows, ws.n, ws.missing, ws.non_finite, ws.min, ws.max,
                )  # fmt: skip
                assert gs.mean == pytest.approx(ws.mean, rel=1e-12)
                assert gs.quantiles == pytest.approx(ws.quantiles, rel=1e-12)
                assert [x for x, _ in gs.ecdf] == pytest.approx([x for x, _ in ws.ecdf], rel=1e-12)
                assert [f for _, f in gs.ecdf] == [f for _, f in ws.ecdf]
    spark_engine = se.SparkEngine(session=spark)  # category counts do not depend on the KS shape
    assert spark_engine.categories(ref, prod, ["role", "tool_names"], 5.0, 3) == want_cats


def test_numeric_summaries_against_numpy(engine, tables, data):
    _, prod = tables
    got = engine.numeric_summaries(prod, ["latency_ms"], 20)["latency_ms"]
    values = data["prod"]["latency"]
    assert (got.rows, got.n, got.missing, got.non_finite) == (3000, 2998, 2, 1)
    assert got.mean == pytest.approx(values.mean(), rel=1e-12)
    assert (got.min, got.max) == (values.min(), values.max())
    for level, value in got.quantiles.items():
        assert value == pytest.approx(np.quantile(values, level), rel=1e-12)  # exact, linear interpolation
    assert got.exact_quantiles and len(got.ecdf) <= 20 and got.ecdf[-1] == [values.max(), 1.0]


def test_histograms_against_numpy(engine, tables, data):
    ref, _ = tables
    edges = [0.0, 250.0, 400.0, 600.0, 5000.0]
    got = engine.histograms(ref, {"latency_ms": edges})["latency_ms"]
    values = data["ref"]["latency"]
    inner = np.searchsorted(edges[1:-1], values, side="right")
    assert got == [int((inner == j).sum()) for j in range(len(edges) - 1)] and sum(got) == len(values)


def test_categories_against_counter(engine, tables, data):
    ref, prod = tables
    both = engine.categories(ref, prod, ["role", "tool_names"], 5.0, 10)
    got = both["role"]
    rc = Counter(v for v in data["ref"]["role"] if v)
    pc = Counter(v for v in data["prod"]["role"] if v)
    assert got.n_reference == sum(rc.values()) and got.n_production == sum(pc.values())
    assert got.reference_missing == 1 and got.production_missing == 1
    assert got.new == ["guest", "ops"] and got.new_count == 2 and got.vanished == ["admin"] and got.vanished_count == 1
    for cat, r, p in zip(got.categories, got.reference_counts, got.production_counts, strict=True):
        assert (r, p) == (rc[cat], pc[cat])
    tools = both["tool_names"]
    flat = Counter(t for row in data["prod"]["tools"] for t in row)
    assert (
        tools.n_production == sum(flat.values())
        and dict(zip(tools.categories, tools.production_counts, strict=True)) == flat
    )


def test_rows_time_window_and_restrict(engine, tables):
    ref, prod = tables
    assert engine.count_rows(prod, timestamps=True) == (3000, 0) and engine.count_rows(prod) == (3000, None)
    newest = engine.newest_timestamp(prod)
    assert newest == 1_796_000_000.0 + 2999
    window = engine.restrict(prod, newest - 99, newest)
    assert engine.count_rows(window) == (100, None)


def test_spark_table_and_temp_view_sources(spark, engine, data):
    df = spark.read.parquet(str(data["folder"] / "production.parquet"))
    df.write.mode("overwrite").saveAsTable("agent_requests")
    spark.read.parquet(str(data["folder"] / "reference.parquet")).createOrReplaceTempView("golden")
    ref = engine.open_table("golden", FEATURES)
    prod = engine.open_files(FileSource(paths=("agent_requests",), format="table", columns={}), FEATURES)
    assert prod.label == "agent_requests" and prod.has_timestamp and prod.present == {f.name for f in FEATURES}
    _check(_ks(engine, ref, prod, "latency_ms"), stats.ks_2samp(data["ref"]["latency"], data["prod"]["latency"]))
    from gatekit.errors import DatasetError

    with pytest.raises(DatasetError, match="spark-table:nope: no such table"):
        engine.open_table("nope", FEATURES)
    assert se.is_spark_table_spec("spark-table:db.t") and se.table_of("spark-table:db.t") == "db.t"


def test_missing_feature_and_timestamp_text(engine, spark):
    from gatekit.errors import DatasetError

    times = ["2026-12-06T08:00:00.000Z", "2026-12-06T09:00:00Z", None]
    df = spark.createDataFrame(pa.table({"timestamp": times, "latency_ms": ["3.5", None, None]}))
    table = engine.open_dataframe(df, [FeatureColumn("latency_ms", NUMERIC), FeatureColumn("cost_usd", NUMERIC)])
    assert table.present == {"latency_ms"} and table.has_timestamp
    assert engine.count_rows(table, timestamps=True) == (3, 1)
    # text that is no time is refused, as on DuckDB (attack16c), not read as a row without a timestamp
    bad = spark.createDataFrame(pa.table({"timestamp": [*times[:2], "not a time"], "latency_ms": [1.0, 2.0, 3.0]}))
    refused = engine.open_dataframe(bad, [FeatureColumn("latency_ms", NUMERIC)], label="bad-times")
    with pytest.raises(DatasetError, match="bad-times: .*CANNOT_PARSE_TIMESTAMP"):
        engine.count_rows(refused, timestamps=True)
    assert engine.newest_timestamp(table) == 1_796_544_000.0 + 3600
    summary = engine.numeric_summaries(table, ["latency_ms"], 10)["latency_ms"]
    assert (summary.n, summary.missing, summary.mean) == (1, 2, 3.5)
    # text that is no number is refused, as on DuckDB (attack16c), not counted as a missing value
    oops = spark.createDataFrame(pa.table({"timestamp": times, "latency_ms": ["3.5", "oops", None]}))
    refused = engine.open_dataframe(oops, [FeatureColumn("latency_ms", NUMERIC)], label="oops")
    with pytest.raises(DatasetError, match="oops: .*CANNOT_PARSE_NUMBER"):
        engine.numeric_summaries(refused, ["latency_ms"], 10)


def test_java_home_detection(monkeypatch, tmp_path):
    def jdk(name: str) -> Path:
        java = tmp_path / name / "bin" / "java"
        java.parent.mkdir(parents=True)
        java.write_text("#!/bin/sh\n")
        java.chmod(0o755)
        return tmp_path / name

    first, second = jdk("jdk-a"), jdk("jdk-b")
    monkeypatch.setenv("JAVA_HOME", str(first))
    monkeypatch.setenv("PATH", str(second / "bin"))
    assert se.java_home() == str(first)  # a valid JAVA_HOME wins
    monkeypatch.setenv("JAVA_HOME", str(tmp_path / "nothing"))
    assert se.java_home() == str(second)  # else the java on PATH
    monkeypatch.setenv("PATH", str(tmp_path))
    found = se.java_home()  # else a JDK under /usr/lib/jvm, if the machine has one
    assert found is None or (found.startswith("/usr/lib/jvm/") and os.path.exists(os.path.join(found, "bin", "java")))


# --- gatekit drift --engine spark, end to end -------------------------------------------------------------------

REPO = Path(__file__).resolve().parents[2]


def _production_log(path: Path, rng: np.random.Generator, n: int, shift: float, roles: list[str]) -> None:
    from gatekit.production.schema import COLUMN_NAMES, arrow_schema

    columns: dict[str, list] = {name: [None] * n for name in COLUMN_NAMES}
    columns["schema_version"] = [1] * n
    columns["request_id"] = [f"r{i}" for i in range(n)]
    columns["latency_ms"] = [float(v) for v in np.round(rng.lognormal(6.0 + shift, 0.4, n), 0)]
    columns["input_chars"] = [int(v) for v in rng.integers(5, 60, n)]
    columns["role"] = [roles[i % len(roles)] for i in range(n)]
    columns["tool_names"] = [["search"] * (i % 3) for i in range(n)]
    columns["timestamp"] = [datetime.fromtimestamp(1_796_000_000 + i, UTC) for i in range(n)]
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.table(columns, schema=arrow_schema()), path)


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("drift-logs")
    rng = np.random.default_rng(7)
    _production_log(folder / "reference.parquet", rng, 500, 0.0, ["support", "sales"])
    _production_log(folder / "prod" / "part-0.parquet", rng, 1500, 0.25, ["support", "sales", "ops"])
    _production_log(folder / "prod" / "part-1.parquet", rng, 1500, 0.25, ["support", "sales", "ops"])
    return folder


def _drift_args(folder: Path, production: str, engine: str, out: str) -> list[str]:
    return [
        "drift", "--reference", str(folder / "reference.parquet"), "--production", production,
        "--numeric", "latency_ms", "--numeric", "input_chars", "--categorical", "role",
        "--engine", engine, "--out", str(folder / out), "--no-mlflow", "--json",
    ]  # fmt: skip


def _features(summary: dict) -> dict[str, dict]:
    return {f["name"]: f for f in summary["features"]}


def test_cli_drift_engine_spark_in_a_subprocess_matches_duckdb(logs):
    import json
    import subprocess
    import sys

    from typer.testing import CliRunner

    from gatekit.cli import app

    duck = CliRunner().invoke(app, _drift_args(logs, str(logs / "prod" / "*.parquet"), "duckdb", "out-duck"))
    assert duck.exit_code == 1, duck.output
    from spark_session import subprocess_env

    env = subprocess_env({**os.environ, "PYTHONPATH": str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")})
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", *_drift_args(logs, str(logs / "prod" / "*.parquet"), "spark", "out-spark")],
        cwd=logs, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr[-3000:]
    spark_summary = json.loads(proc.stdout[proc.stdout.index("{") :])
    duck_summary = json.loads(duck.stdout[duck.stdout.index("{") :])
    assert spark_summary["engine"] == "spark" and duck_summary["engine"] == "duckdb"
    assert spark_summary["drift"] is True and spark_summary["production_rows"] == 3000
    got, want = _features(spark_summary), _features(duck_summary)
    assert got.keys() == want.keys() == {"latency_ms", "input_chars", "role"}
    for name in got:
        for key in ("effect_size", "p_value", "q_value", "drifted", "n_reference", "n_production"):
            assert got[name][key] == want[name][key], (name, key)
    report = json.loads((logs / "out-spark" / "drift.json").read_text())
    assert (logs / "out-spark" / "drift.html").is_file() and report["drift"] is True


def test_cli_drift_spark_table_uses_the_callers_session(spark, logs):
    """``--production spark-table:<name>``: the in-process CLI finds the caller's active session and reads the table."""
    import json

    from typer.testing import CliRunner

    from gatekit.cli import app

    spark.read.parquet(str(logs / "prod")).write.mode("overwrite").saveAsTable("prod_requests")
    result = CliRunner().invoke(app, _drift_args(logs, "spark-table:prod_requests", "spark", "out-table"))
    assert result.exit_code == 1, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    duck = CliRunner().invoke(app, _drift_args(logs, str(logs / "prod" / "*.parquet"), "duckdb", "out-duck2"))
    want = _features(json.loads(duck.stdout[duck.stdout.index("{") :]))
    for name, feature in _features(summary).items():
        assert (feature["effect_size"], feature["p_value"]) == (want[name]["effect_size"], want[name]["p_value"])
    assert not spark.sparkContext._jsc.sc().isStopped()  # the caller's session is not stopped
    bad = CliRunner().invoke(app, _drift_args(logs, "spark-table:prod_requests", "duckdb", "out-bad"))
    assert bad.exit_code == 2 and "needs --engine spark" in bad.output
    missing = CliRunner().invoke(app, _drift_args(logs, "spark-table:no_such_table", "spark", "out-missing"))
    assert missing.exit_code == 2 and "no such table" in missing.output


def test_unreadable_data_is_a_one_line_dataset_error(engine, spark, tmp_path):
    from gatekit.errors import DatasetError

    broken = tmp_path / "broken.parquet"
    broken.write_bytes(b"PAR1 this is not a parquet file")
    with pytest.raises(DatasetError, match="broken.parquet: Spark could not read it") as exc:
        engine.open_files(_source(broken), FEATURES)
    assert "\n" not in str(exc.value)
    pair = pa.struct([("a", pa.float64()), ("b", pa.float64())])
    odd = spark.createDataFrame(pa.table({"latency_ms": pa.array([{"a": 1.0, "b": 2.0}], pair)}))
    with pytest.raises(DatasetError, match="odd: Spark cannot read the feature columns"):
        engine.open_dataframe(odd, [FeatureColumn("latency_ms", NUMERIC)], timestamp=None, label="odd")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_text_formats_match_duckdb(engine, tmp_path, fmt):
    """Production-log JSON Lines and CSV (lists as JSON text in a cell, RFC 3339 timestamps) read alike."""
    import csv
    import json

    from gatekit.production.duckdb_engine import DuckDBEngine
    from gatekit.production.schema import make_row

    rng = np.random.default_rng(3)
    paths = {}
    for side, n, shift in (("ref", 60, 0.0), ("prod", 240, 0.3)):
        rows = [
            make_row(
                timestamp=1_796_000_000 + i,
                request_id=f"{side}{i}",
                latency_ms=float(round(rng.lognormal(5 + shift, 0.5), 1)),
                role=["a", "b", "c"][i % 3] if i % 11 else None,
                tool_names=["search"] * (i % 3) + (["refund"] if i % 5 == 0 else []),
            )  # fmt: skip
            for i in range(n)
        ]
        path = tmp_path / f"{side}.{fmt}"
        with path.open("w", newline="") as handle:
            if fmt == "jsonl":
                handle.writelines(json.dumps(row) + "\n" for row in rows)
            else:
                writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
                writer.writeheader()
                for row in rows:
                    writer.writerow({k: json.dumps(v) if isinstance(v, list | dict) else v for k, v in row.items()})
        columns = {"latency_ms": "latency_ms", "role": "role", "tool_names": "tool_names"}
        paths[side] = FileSource((str(path),), fmt, columns, timestamp="timestamp", label=path.name)
    features = [FeatureColumn("latency_ms", NUMERIC), FeatureColumn("role", CATEGORICAL), FeatureColumn("tool_names", CATEGORICAL, multi=True)]  # fmt: skip
    with DuckDBEngine() as duck:
        d_ref, d_prod = duck.open_files(paths["ref"], features), duck.open_files(paths["prod"], features)
        want = (duck.newest_timestamp(d_prod), duck.count_rows(d_prod, timestamps=True))
        want_ks = duck.compare_numeric(d_ref, d_prod, ["latency_ms"], 20, 8)["latency_ms"].ks
        want_cats = duck.categories(d_ref, d_prod, ["role", "tool_names"], 5.0, 5)
    ref, prod = engine.open_files(paths["ref"], features), engine.open_files(paths["prod"], features)
    assert (
        (engine.newest_timestamp(prod), engine.count_rows(prod, timestamps=True)) == want == (1_796_000_239.0, (240, 0))
    )
    assert engine.compare_numeric(ref, prod, ["latency_ms"], 20, 8)["latency_ms"].ks == want_ks
    assert engine.categories(ref, prod, ["role", "tool_names"], 5.0, 5) == want_cats
