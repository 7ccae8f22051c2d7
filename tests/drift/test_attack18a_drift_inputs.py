"""attack18a: the same data through CSV and JSON Lines gives the same verdict; odd time stamps are bad input.

* A CSV cell ``NA`` (Namibia, "not applicable" as a role), ``null``, ``N/A`` or ``NaN`` was read as a missing
  value (pyarrow's default null strings), while the same label in JSON Lines is a category: the same rows
  through the two formats gave "DRIFT" (a vanished category and a jump in the missing rate). Only an empty
  cell is missing, as the docs say; a ``NaN`` cell in a numeric column is non-finite and warned about, as in
  JSON Lines.
* Time stamps in epoch microseconds, or a ``--since`` reaching before year 1, ended in "internal error"
  (exit 3) instead of one line naming the problem (exit 2).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, one_line_exit_2
from scipy.stats import chi2_contingency, ks_2samp

from gatekit.drift.core import compute_drift, drift_config
from gatekit.errors import DatasetError

LABELS = ["NA", "null", "NULL", "N/A", "n/a", "nan", "NaN", "#N/A", "-nan", "1.#IND", "US"]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def _csv(path: Path, rows: list[dict]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_csv_labels_that_look_like_nulls_are_categories_as_in_jsonl(tmp_path: Path) -> None:
    ref = [{"country": label} for label in LABELS for _ in range(20)]
    prod = [{"country": label} for label in LABELS for _ in range(30)]
    reference = _jsonl(tmp_path / "ref.jsonl", ref)
    for production in (_jsonl(tmp_path / "prod.jsonl", prod), _csv(tmp_path / "prod.csv", prod)):
        report = compute_drift(drift_config(reference=reference, production=production, categorical=["country"])).report
        assert report["drift"] is False, (production.name, report["reason"])
        (feature,) = report["features"]  # no country.missing_rate: nothing is missing on either side
        assert feature["production_missing"] == 0 and feature["n_production"] == len(prod), production.name
        assert feature["new_categories"] == [] and feature["vanished_categories"] == []
        assert feature["dof"] == len(LABELS) - 1 and feature["p_value"] == 1.0


def test_csv_labels_that_look_like_nulls_are_counted_like_scipy(tmp_path: Path) -> None:
    ref = [{"role": "NA"}] * 60 + [{"role": "admin"}] * 40
    prod = [{"role": "NA"}] * 30 + [{"role": "admin"}] * 70
    report = compute_drift(
        drift_config(reference=_csv(tmp_path / "r.csv", ref), production=_csv(tmp_path / "p.csv", prod),
                     categorical=["role"])
    ).report  # fmt: skip
    (feature,) = report["features"]
    expected = chi2_contingency([[60, 40], [30, 70]], correction=False)
    assert abs(feature["statistic"] - expected.statistic) < 1e-9
    assert abs(feature["p_value"] - expected.pvalue) < 1e-12
    assert report["drift"] is True and report["drifted"] == ["role"]


def test_csv_nan_in_a_numeric_column_is_non_finite_as_in_jsonl(tmp_path: Path) -> None:
    ref_values = [float(i % 40) for i in range(200)]
    prod_values = [float(i % 40) + 3 for i in range(200)]
    ref = [{"x": v} for v in ref_values]
    prod = [{"x": "NaN" if i % 10 == 0 else v} for i, v in enumerate(prod_values)]
    reference = _jsonl(tmp_path / "ref.jsonl", ref)
    kept = [v for i, v in enumerate(prod_values) if i % 10]
    expected = ks_2samp(ref_values, kept, method="exact")
    for production in (_jsonl(tmp_path / "prod.jsonl", prod), _csv(tmp_path / "prod.csv", prod)):
        report = compute_drift(drift_config(reference=reference, production=production, numeric=["x"])).report
        feature = report["features"][0]
        assert feature["name"] == "x" and feature["n_production"] == len(kept), production.name
        assert feature["statistic"] == expected.statistic and abs(feature["p_value"] - expected.pvalue) < 1e-12
        assert report["warnings"] == [
            "production: x: 20 non-finite value(s) (Infinity, NaN or beyond 1.8e308) counted as missing"
        ], production.name


def test_csv_na_in_a_numeric_column_is_counted_as_not_a_number(tmp_path: Path) -> None:
    ref = [{"x": float(i)} for i in range(100)]
    prod = [{"x": "NA" if i % 4 == 0 else float(i)} for i in range(100)]
    report = compute_drift(
        drift_config(reference=_jsonl(tmp_path / "ref.jsonl", ref), production=_csv(tmp_path / "p.csv", prod),
                     numeric=["x"])
    ).report  # fmt: skip
    feature = report["features"][0]
    assert feature["production_non_numeric"] == 25 and feature["production_missing"] == 25


def _drift_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", "ref.jsonl", "--production", "prod.jsonl"]
    command += ["--numeric", "x", "--no-mlflow", "--out", "out", *args]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def _timed(tmp_path: Path, scale: int) -> None:
    newest = 1_796_119_200  # 2026-12-01T10:00:00Z
    _jsonl(tmp_path / "ref.jsonl", [{"x": i} for i in range(100)])
    _jsonl(tmp_path / "prod.jsonl", [{"x": i, "timestamp": (newest - i * 86_400) * scale} for i in range(100)])


def test_epoch_microseconds_are_bad_input_not_an_internal_error(tmp_path: Path) -> None:
    _timed(tmp_path, 1_000_000)
    line = one_line_exit_2(_drift_cli(tmp_path, "--since", "7d"))  # was exit 3: "ValueError: year 58886 ..."
    assert "'timestamp'" in line and "years 1 to 9999" in line and "internal error" not in line


def test_a_window_reaching_before_year_one_is_bad_input(tmp_path: Path) -> None:
    _timed(tmp_path, 1000)
    line = one_line_exit_2(_drift_cli(tmp_path, "--since", "1000000w"))  # was exit 3: "year -17139 is out of range"
    assert "--since 1000000w" in line and "year 1" in line


def test_epoch_milliseconds_window_keeps_its_days(tmp_path: Path) -> None:
    _timed(tmp_path, 1000)
    proc = _drift_cli(tmp_path, "--since", "7d")
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    report = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    assert report["production"]["rows_in_window"] == 8  # days 0..7: both ends of the window are inside
    assert report["production"]["window"]["newest"] == "2026-12-01T10:00:00+00:00"


def test_an_integer_beyond_float_range_is_non_finite_not_an_internal_error(tmp_path: Path) -> None:
    ref_values = [float(i) for i in range(100)]
    kept = [float(i) for i in range(2, 100)]
    _jsonl(tmp_path / "ref.jsonl", [{"x": v} for v in ref_values])
    huge = "1" + "0" * 400  # a JSON integer no float holds: as "1e309", non-finite (counted as missing, warned)
    lines = [f'{{"x": {huge}}}', f'{{"x": -{huge}}}', *(json.dumps({"x": v}) for v in kept)]
    (tmp_path / "prod.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    proc = _drift_cli(tmp_path)
    assert proc.returncode == 0, (proc.returncode, proc.stdout, proc.stderr)  # was 3: OverflowError
    report = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    feature = report["features"][0]
    expected = ks_2samp(ref_values, kept, method="exact")
    assert feature["n_production"] == 98 and feature["production_non_numeric"] == 0
    assert feature["statistic"] == expected.statistic and abs(feature["p_value"] - expected.pvalue) < 1e-12
    assert report["warnings"] == [
        "production: x: 2 non-finite value(s) (Infinity, NaN or beyond 1.8e308) counted as missing"
    ]


def test_one_non_finite_or_huge_timestamp_is_a_row_without_time(tmp_path: Path) -> None:
    _timed(tmp_path, 1)
    good = (tmp_path / "prod.jsonl").read_text(encoding="utf-8")
    for odd in ("1e400", "1" + "0" * 400, '"Infinity"', "NaN"):
        (tmp_path / "prod.jsonl").write_text(good + f'{{"x": 5, "timestamp": {odd}}}\n', encoding="utf-8")
        proc = _drift_cli(tmp_path, "--since", "7d")  # was exit 2 "no row has a readable 'timestamp'" / exit 3
        assert proc.returncode == 1, (odd, proc.returncode, proc.stdout, proc.stderr)
        report = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
        production = report["production"]
        assert (production["rows_read"], production["rows_in_window"], production["rows_without_timestamp"]) == (
            101, 8, 1
        ), odd
        assert report["warnings"][0].startswith("1 production rows have no readable 'timestamp'"), odd


def test_one_row_stamped_in_the_future_does_not_become_the_whole_window(tmp_path: Path) -> None:
    import time

    now = time.time()
    _jsonl(tmp_path / "ref.jsonl", [{"x": i} for i in range(100)])
    rows = [{"x": i + 50, "timestamp": now - i * 3600 - 1800} for i in range(200)]  # every value 50 above
    rows.append({"x": 50, "timestamp": "2099-01-01T00:00:00Z"})  # one garbled time stamp
    _jsonl(tmp_path / "prod.jsonl", rows)
    line = one_line_exit_2(_drift_cli(tmp_path, "--since", "7d"))  # was exit 0: NO DRIFT, "production 1 rows"
    assert "1 row(s)" in line and "2099-01-01T00:00:00+00:00" in line and "--since-anchor now" in line
    proc = _drift_cli(tmp_path, "--since", "7d", "--since-anchor", "now")
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    report = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    assert report["production"]["rows_in_window"] == 168 and report["drifted"] == ["x"]


def test_parquet_integers_beyond_two_to_the_53_are_read_as_floats_like_jsonl(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    ref_values = list(range(0, 200, 2))
    big = [2**53 + 1, 2**63 - 1, 3 * 2**60]  # ids, byte counts, nanoseconds: no float holds them exactly
    pq.write_table(pa.table({"x": pa.array(ref_values, pa.int64())}), tmp_path / "ref.parquet")
    pq.write_table(pa.table({"x": pa.array([*big, *range(97)], pa.int64())}), tmp_path / "prod.parquet")
    pq.write_table(pa.table({"x": pa.array([2**64 - 1, *range(99)], pa.uint64())}), tmp_path / "prod_u.parquet")
    _jsonl(tmp_path / "prod.jsonl", [{"x": v} for v in [*big, *range(97)]])
    expected = ks_2samp([float(v) for v in ref_values], [float(v) for v in [*big, *range(97)]], method="exact")
    reports = {}
    for name in ("prod.parquet", "prod.jsonl", "prod_u.parquet"):  # was: ArrowInvalid, "internal error", exit 3
        cfg = drift_config(reference=tmp_path / "ref.parquet", production=tmp_path / name, numeric=["x"])
        reports[name] = compute_drift(cfg).report["features"][0]
    for name in ("prod.parquet", "prod.jsonl"):
        assert reports[name]["statistic"] == expected.statistic and reports[name]["p_value"] == expected.pvalue
        assert reports[name]["n_production"] == 100 and reports[name]["production_missing"] == 0
    assert reports["prod_u.parquet"]["n_production"] == 100


def test_a_parquet_time_stamp_beyond_the_nanosecond_range_is_read(tmp_path: Path) -> None:
    import time
    from datetime import UTC, datetime

    import pyarrow as pa
    import pyarrow.parquet as pq

    now = time.time()
    stamps = [datetime.fromtimestamp(now - i * 3600 - 1800, UTC) for i in range(199)]
    stamps.append(datetime(2999, 1, 1, tzinfo=UTC))  # fine in milliseconds, beyond int64 nanoseconds (2262)
    values = [float(i % 50) for i in range(200)]
    pq.write_table(pa.table({"x": values[:100]}), tmp_path / "ref.parquet")
    pq.write_table(pa.table({"x": values, "timestamp": pa.array(stamps, pa.timestamp("ms", tz="UTC"))}),
                   tmp_path / "prod.parquet")  # fmt: skip
    cfg = drift_config(reference=tmp_path / "ref.parquet", production=tmp_path / "prod.parquet", numeric=["x"],
                       since="2d")  # fmt: skip
    report = compute_drift(cfg, since_anchor="now").report  # was ArrowInvalid: "internal error", exit 3
    assert report["production"]["rows_in_window"] == 48 and report["production"]["rows_without_timestamp"] == 0
    with pytest.raises(DatasetError, match=r"1 row\(s\) have a 'timestamp' more than a day after now"):
        compute_drift(cfg)


def test_a_parquet_date_column_is_a_time_stamp(tmp_path: Path) -> None:
    from datetime import date, timedelta

    import pyarrow as pa
    import pyarrow.parquet as pq

    days = [date(2026, 12, 1) - timedelta(days=i) for i in range(100)]
    pq.write_table(pa.table({"x": [float(i) for i in range(100)]}), tmp_path / "ref.parquet")
    pq.write_table(pa.table({"x": [float(i) for i in range(100)], "day": pa.array(days, pa.date32())}),
                   tmp_path / "prod.parquet")  # fmt: skip
    cfg = drift_config(reference=tmp_path / "ref.parquet", production=tmp_path / "prod.parquet", numeric=["x"],
                       since="7d", timestamp_field="day")  # fmt: skip
    report = compute_drift(cfg).report  # was exit 2: "no row has a readable 'day'"
    assert report["production"]["window"]["newest"] == "2026-12-01T00:00:00+00:00"
    assert report["production"]["rows_in_window"] == 8


def test_a_utf8_byte_order_mark_is_not_part_of_the_first_column_or_line(tmp_path: Path) -> None:
    rows = [{"x": float(i), "role": f"r{i % 3}"} for i in range(100)]
    reference = _csv(tmp_path / "ref.csv", rows)
    text = (tmp_path / "ref.csv").read_text(encoding="utf-8")
    (tmp_path / "prod.csv").write_text(text, encoding="utf-8-sig")  # Excel's "CSV UTF-8", PowerShell
    (tmp_path / "prod.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8-sig")
    for name in ("prod.csv", "prod.jsonl"):  # was exit 2: "Column '\ufeffx' ... does not exist" / "Unexpected BOM"
        cfg = drift_config(reference=reference, production=tmp_path / name, numeric=["x"], categorical=["role"])
        report = compute_drift(cfg).report
        assert [(f["name"], f["statistic"], f["n_production"]) for f in report["features"]] == [
            ("x", 0.0, 100), ("role", 0.0, 100)
        ], name
