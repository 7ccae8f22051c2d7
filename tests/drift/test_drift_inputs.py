"""check_drift on real files: golden JSONL vs production logs in JSONL / Parquet / CSV, odd columns, windows."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from gatekit.drift import DriftConfig, check_drift, drift_check_for_gate
from gatekit.errors import ConfigError, DatasetError

ROLES = ["customer", "agent", "admin"]


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _golden(n: int = 200, seed: int = 1) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        words = " ".join("word" for _ in range(rng.randint(5, 40)))
        inp = words if i % 2 else {"messages": [{"role": "user", "content": words}]}
        rows.append(
            {
                "id": f"case-{i}",
                "input": inp,
                "expected": {"tool_calls": [{"name": rng.choice(["lookup_order", "refund"]), "arguments": {}}]},
                "context": {"user": f"u{i}", "role": rng.choice(ROLES), "env": "production", "scope": "orders"},
                "tags": [],
            }
        )
    return rows


def _production(n: int = 2000, seed: int = 2, roles=ROLES, long_inputs=False, start=1_700_000_000) -> list[dict]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        count = rng.randint(30, 120) if long_inputs else rng.randint(5, 40)
        words = " ".join("word" for _ in range(count))
        rows.append(
            {
                "input": {"messages": [{"role": "user", "content": words}]} if i % 2 else words,
                "context": {"role": rng.choice(roles), "env": "production", "scope": "orders"},
                "tool_calls": [{"name": rng.choice(["lookup_order", "refund"]), "arguments": {}}],
                "latency_ms": rng.gauss(800, 100),
                "usage": {"input_tokens": count, "output_tokens": rng.randint(10, 100)},
                "timestamp": start + i * 60,
            }
        )
    return rows


def _feature(result, name):
    return next(f for f in result.report["features"] if f["name"] == name)


def test_golden_vs_production_derived_features(tmp_path):
    ref = _write_jsonl(tmp_path / "golden.jsonl", _golden())
    prod = _write_jsonl(tmp_path / "prod.jsonl", _production(roles=[*ROLES, "<script>alert(1)</script>"]))
    result = check_drift(ref, prod, out=tmp_path / "out", log_to_mlflow=False)
    names = {f["name"] for f in result.report["features"]}
    assert {"input_chars", "input_tokens_est", "turns", "tool_calls", "context.role", "tool_names"} <= names
    skipped = {s["name"]: s for s in result.report["skipped"]}
    assert (
        skipped["latency_ms"]["reason"] == "not in reference" and "--reference-results" in skipped["latency_ms"]["hint"]
    )
    assert "output_tokens" in skipped and "cost_usd" in skipped
    role = _feature(result, "context.role")
    assert role["new_categories"] == ["<script>alert(1)</script>"]
    assert not _feature(result, "input_chars")["drifted"]
    html = (tmp_path / "out" / "drift.html").read_text()
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "http://" not in html and "https://" not in html  # self-contained
    saved = json.loads((tmp_path / "out" / "drift.json").read_text())
    # the new role is drift under the default verdict rule (any feature beyond its floor), named in the reason
    assert saved["schema_version"] == 1 and saved["drift"] is True and saved["drifted"] == ["context.role"]
    assert "context.role" in saved["reason"]
    for feature in saved["features"]:
        for key in ("name", "kind", "statistic", "p_value", "q_value", "effect_floor", "drifted", "n_reference"):
            assert key in feature


def test_long_inputs_drift(tmp_path):
    ref = _write_jsonl(tmp_path / "golden.jsonl", _golden())
    prod = _write_jsonl(tmp_path / "prod.jsonl", _production(long_inputs=True))
    result = check_drift(ref, prod, out=tmp_path / "out", log_to_mlflow=False)
    assert _feature(result, "input_chars")["drifted"] and _feature(result, "input_tokens_est")["drifted"]
    assert result.drift and "input_chars" in result.report["reason"]  # default rule: any drifted feature
    share = check_drift(ref, prod, out=tmp_path / "out3", log_to_mlflow=False, config=DriftConfig(verdict="share"))
    assert share.drift is False  # share rule: 2 of ~7 features, below 50 %, and none critical
    assert "input_chars" in share.report["reason"]  # still named
    critical = check_drift(
        ref, prod, out=tmp_path / "out2", log_to_mlflow=False,
        config=DriftConfig(critical=["input_chars"], verdict="share"),
    )
    assert critical.drift and "input_chars" in critical.report["reason"]


def test_reference_results_supply_latency(tmp_path):
    golden = _golden(100)
    ref = _write_jsonl(tmp_path / "golden.jsonl", golden)
    results = [
        {"case_id": g["id"], "ok": True, "latency_ms": 3000 + i,
         "response": {"usage": {"input_tokens": 5, "output_tokens": 50}, "cost_usd": 0.001, "tool_calls": []}}
        for i, g in enumerate(golden)
    ]  # fmt: skip
    res = _write_jsonl(tmp_path / "results.jsonl", results)
    prod = _write_jsonl(tmp_path / "prod.jsonl", _production())
    result = check_drift(ref, prod, reference_results=res, out=tmp_path / "out", log_to_mlflow=False)
    latency = _feature(result, "latency_ms")
    assert latency["n_reference"] == 100 and latency["statistic"] == 1.0 and latency["drifted"]
    assert _feature(result, "output_tokens")["n_reference"] == 100


def test_all_missing_and_mixed_types(tmp_path):
    ref_rows = [{"latency_ms": 100 + i, "region": "eu", "flag": 1} for i in range(300)]
    prod_rows = [{"latency_ms": None, "region": "eu", "flag": "1"} for _ in range(300)]
    prod_rows += [{"latency_ms": v, "region": r, "flag": 1.0} for v, r in (("120", "eu"), ("abc", "us"), (True, "eu"))]
    ref = _write_jsonl(tmp_path / "ref.jsonl", ref_rows)
    prod = _write_jsonl(tmp_path / "prod.jsonl", prod_rows)
    result = check_drift(
        ref, prod, numeric=["latency_ms"], categorical=["region", "flag"], out=tmp_path / "o", log_to_mlflow=False
    )
    skipped = {s["name"]: s for s in result.report["skipped"]}
    # one numeric value ("120") survives: too few to show no drift (attack21d); its missing rate drifts
    latency = skipped["latency_ms"]
    assert latency["reason"].startswith("too few values to show no drift (1 in production)")
    assert latency["n_production"] == 1 and latency["production_non_numeric"] == 2
    missing = _feature(result, "latency_ms.missing_rate")
    assert missing["production_rate"] == pytest.approx(302 / 303) and missing["drifted"]
    flag = _feature(result, "flag")  # 1, "1" and 1.0 are the same label
    assert flag["statistic"] == 0.0 and flag["new_categories"] == []
    assert _feature(result, "region")["new_categories"] == ["us"]


def test_all_missing_numeric_is_skipped_but_missing_rate_drifts(tmp_path):
    ref = _write_jsonl(tmp_path / "ref.jsonl", [{"x": float(i), "y": i % 3} for i in range(100)])
    prod = _write_jsonl(tmp_path / "prod.jsonl", [{"x": None, "y": i % 3} for i in range(100)])
    result = check_drift(ref, prod, numeric=["x", "y"], out=tmp_path / "o", log_to_mlflow=False)
    skipped = {s["name"]: s["reason"] for s in result.report["skipped"]}
    assert skipped["x"] == "no values in production (all missing)"
    assert _feature(result, "x.missing_rate")["drifted"]
    assert _feature(result, "y")["statistic"] == 0.0
    assert result.drift and result.drifted == ["x.missing_rate"]  # default rule: any drifted feature
    share = check_drift(
        ref, prod, numeric=["x", "y"], out=tmp_path / "o2", log_to_mlflow=False, config=DriftConfig(verdict="share")
    )
    assert not share.drift  # share rule: 1 of 2 tested features drifted, 50 % is not more than 50 %
    strict = check_drift(ref, prod, numeric=["x", "y"], write_files=False, log_to_mlflow=False,
                         config=DriftConfig(critical=["x"]))  # fmt: skip
    assert strict.drift and "x.missing_rate" in strict.report["reason"]  # critical x makes its missing rate critical


def test_constant_columns(tmp_path):
    ref = _write_jsonl(tmp_path / "ref.jsonl", [{"x": 5, "c": "a"} for _ in range(50)])
    same = _write_jsonl(tmp_path / "same.jsonl", [{"x": 5, "c": "a"} for _ in range(80)])
    other = _write_jsonl(tmp_path / "other.jsonl", [{"x": 6, "c": "b"} for _ in range(80)])
    quiet = check_drift(ref, same, numeric=["x"], categorical=["c"], out=tmp_path / "q", log_to_mlflow=False)
    assert not quiet.drift and _feature(quiet, "x")["statistic"] == 0.0 and _feature(quiet, "c")["p_value"] == 1.0
    loud = check_drift(ref, other, numeric=["x"], categorical=["c"], out=tmp_path / "l", log_to_mlflow=False)
    assert loud.drift and _feature(loud, "x")["statistic"] == 1.0 and _feature(loud, "c")["effect_size"] == 1.0


def test_parquet_csv_and_jsonl_agree_on_nested_paths(tmp_path):
    rows = _production(3000, seed=5)
    ref_rows = _production(500, seed=6)
    jsonl = _write_jsonl(tmp_path / "prod.jsonl", rows)
    flat = {
        "usage": [r["usage"] for r in rows],
        "context": [r["context"] for r in rows],
        "latency_ms": [r["latency_ms"] for r in rows],
    }
    pq.write_table(pa.table(flat), tmp_path / "prod.parquet")
    csv_lines = ["usage.output_tokens,context.role,latency_ms"]
    csv_lines += [f"{r['usage']['output_tokens']},{r['context']['role']},{r['latency_ms']}" for r in rows]
    (tmp_path / "prod.csv").write_text("\n".join(csv_lines) + "\n")
    ref = _write_jsonl(tmp_path / "ref.jsonl", ref_rows)
    kwargs = {"numeric": ["usage.output_tokens", "latency_ms"], "categorical": ["context.role"], "log_to_mlflow": False}
    results = [check_drift(ref, p, out=tmp_path / p.suffix[1:], **kwargs) for p in
               (jsonl, tmp_path / "prod.parquet", tmp_path / "prod.csv")]  # fmt: skip
    for name in ("usage.output_tokens", "latency_ms", "context.role"):
        values = [(_feature(r, name)["statistic"], _feature(r, name)["p_value"]) for r in results]
        assert values[1] == pytest.approx(values[0]), name
        assert values[2] == pytest.approx(values[0]), name


def test_folder_and_glob_of_daily_files(tmp_path):
    days = tmp_path / "logs"
    days.mkdir()
    for day in range(3):
        rows = _production(300, seed=day, start=1_700_000_000 + day * 86400)
        _write_jsonl(days / f"2024-01-0{day + 1}.jsonl", rows)
    ref = _write_jsonl(tmp_path / "golden.jsonl", _golden())
    by_folder = check_drift(ref, days, out=tmp_path / "a", log_to_mlflow=False)
    by_glob = check_drift(ref, str(days / "*.jsonl"), out=tmp_path / "b", log_to_mlflow=False)
    assert by_folder.report["production"]["rows_read"] == by_glob.report["production"]["rows_read"] == 900
    window = check_drift(ref, days, since="1d", out=tmp_path / "c", log_to_mlflow=False)
    # newest row is day 3 + 299 min; one day back reaches into day 2's file
    assert 300 <= window.report["production"]["rows_in_window"] < 900


def test_empty_production_window_is_a_clear_error(tmp_path):
    ref = _write_jsonl(tmp_path / "golden.jsonl", _golden())
    prod = _write_jsonl(tmp_path / "prod.jsonl", _production(100, start=1_500_000_000))  # 2017
    with pytest.raises(DatasetError, match=r"no rows in the --since 7d window .*anchor now"):
        check_drift(ref, prod, since="7d", since_anchor="now", write_files=False, log_to_mlflow=False)
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    with pytest.raises(DatasetError, match="no rows"):
        check_drift(ref, empty, write_files=False, log_to_mlflow=False)
    no_ts = _write_jsonl(tmp_path / "nots.jsonl", [{"input": "x"}])
    with pytest.raises(DatasetError, match="--since needs timestamps"):
        check_drift(ref, no_ts, since="7d", write_files=False, log_to_mlflow=False)


def test_bad_input_errors(tmp_path):
    ref = _write_jsonl(tmp_path / "golden.jsonl", _golden())
    prod = _write_jsonl(tmp_path / "prod.jsonl", _production(50))
    with pytest.raises(
        DatasetError,
        match=r"golden.jsonl: feature 'latncy_ms' not found \(columns: context, expected, id, input, tags\)",
    ):
        check_drift(ref, prod, numeric=["latncy_ms"], write_files=False, log_to_mlflow=False)
    with pytest.raises(DatasetError, match="no such file"):
        check_drift(ref, tmp_path / "nope.jsonl", write_files=False, log_to_mlflow=False)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"input": "a"}\n{not json\n')
    with pytest.raises(DatasetError, match=r"bad.jsonl:2: invalid JSON"):
        check_drift(ref, bad, write_files=False, log_to_mlflow=False)
    with pytest.raises(ConfigError, match="--since"):
        check_drift(ref, prod, since="week", write_files=False, log_to_mlflow=False)
    with pytest.raises(Exception, match="extra"):
        DriftConfig.model_validate({"ks_flor": 0.2})


def test_per_feature_floor_and_gate_summary(tmp_path):
    ref = _write_jsonl(tmp_path / "golden.jsonl", _golden())
    prod = _write_jsonl(tmp_path / "prod.jsonl", _production(long_inputs=True))
    config = DriftConfig.model_validate({"features": {"input_chars": {"effect_floor": 0.99, "critical": True}}})
    summary = drift_check_for_gate(ref, prod, config=config)
    assert "input_chars" not in summary["drifted"] and "input_tokens_est" in summary["drifted"]
    assert summary["drift"] is True  # default rule: input_tokens_est drifted
    feature = next(f for f in summary["features"] if f["name"] == "input_chars")
    assert feature["effect_floor"] == 0.99 and feature["critical"] is True
    assert summary["json_path"] is None and summary["mlflow_run_id"] is None
    json.dumps(summary)


def test_html_stays_small_for_large_inputs(tmp_path):
    import numpy as np

    rng = np.random.default_rng(0)
    n = 300_000
    pq.write_table(
        pa.table({"x": rng.lognormal(size=n), "c": rng.choice(list("abcdefghij"), size=n)}), tmp_path / "p.parquet"
    )
    pq.write_table(
        pa.table({"x": rng.lognormal(size=5000), "c": rng.choice(list("abcdefghij"), size=5000)}),
        tmp_path / "r.parquet",
    )
    result = check_drift(tmp_path / "r.parquet", tmp_path / "p.parquet", numeric=["x"], categorical=["c"],
                         out=tmp_path / "o", log_to_mlflow=False)  # fmt: skip
    assert result.html_path.stat().st_size < 120_000 and result.json_path.stat().st_size < 120_000
    assert _feature(result, "x")["n_production"] == n
