"""attack18a: a feature named with --numeric/--categorical that nothing could be tested about is not a pass.

``--numeric latency_ms --numeric retries`` where ``retries`` holds only text (or a handful of values, or only
rare categories) printed "NO DRIFT" and exited 0 — in a gate, "production matches the golden dataset" — with
the feature listed as skipped: an unknown passed as "no drift". Now that is exit 2 naming the feature and why,
unless the data drifted anyway (exit 1 stands) or the feature's missing rate was tested.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, one_line_exit_2
from scipy.stats import ks_2samp

from gatekit.drift.core import compute_drift, drift_config
from gatekit.errors import DatasetError


def _jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def _sides(tmp_path: Path, ref_y: list, prod_y: list, shift: float = 0.0) -> tuple[str, str]:
    ref = [{"x": float(i % 50), "y": ref_y[i % len(ref_y)] if i < len(ref_y) else None} for i in range(200)]
    prod = [{"x": float(i % 50) + shift, "y": prod_y[i % len(prod_y)] if i < len(prod_y) else None} for i in range(200)]
    return _jsonl(tmp_path / "ref.jsonl", ref), _jsonl(tmp_path / "prod.jsonl", prod)


def test_a_named_numeric_feature_holding_only_text_is_exit_2(tmp_path: Path) -> None:
    _sides(tmp_path, ["high"] * 200, ["low"] * 200)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", "ref.jsonl", "--production", "prod.jsonl"]
    command += ["--numeric", "x", "--numeric", "y", "--no-mlflow", "--out", "out"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    line = one_line_exit_2(proc)  # was exit 0: NO DRIFT (1 tested), y skipped
    assert "y: no values in reference or production (all missing; 400 of them are not numbers)" in line
    assert "--numeric/--categorical" in line
    assert not (tmp_path / "out" / "drift.json").exists()


def test_a_few_values_with_their_missing_rate_tested_still_give_a_verdict(tmp_path: Path) -> None:
    reference, production = _sides(tmp_path, [1.0, 2.0, 3.0], [7.0, 8.0, 9.0])  # 3 and 3: KS powerless
    report = compute_drift(drift_config(reference=reference, production=production, numeric=["x", "y"])).report
    assert report["drift"] is False and [f["name"] for f in report["features"]] == ["x", "y.missing_rate"]
    assert report["skipped"][0]["name"] == "y" and "too few values" in report["skipped"][0]["reason"]


def test_a_drift_found_stands_beside_an_untested_feature(tmp_path: Path) -> None:
    reference, production = _sides(tmp_path, ["high"] * 200, ["low"] * 200, shift=20.0)
    report = compute_drift(drift_config(reference=reference, production=production, numeric=["x", "y"])).report
    expected = ks_2samp([float(i % 50) for i in range(200)], [float(i % 50) + 20 for i in range(200)])
    assert report["drift"] is True and report["drifted"] == ["x"]  # exit 1: blocking either way
    assert report["features"][0]["p_value"] == pytest.approx(expected.pvalue, rel=1e-9, abs=1e-300)
    assert [s["name"] for s in report["skipped"]] == ["y"]


def test_a_named_categorical_feature_of_only_rare_ids_is_exit_2(tmp_path: Path) -> None:
    ref = [{"x": float(i % 50), "session": f"r{i}"} for i in range(200)]
    prod = [{"x": float(i % 50), "session": f"p{i}"} for i in range(200)]
    reference, production = _jsonl(tmp_path / "r.jsonl", ref), _jsonl(tmp_path / "p.jsonl", prod)
    with pytest.raises(DatasetError, match="session: every one of its 400 categories is rare"):
        compute_drift(drift_config(reference=reference, production=production, numeric=["x"], categorical=["session"]))


def test_a_critical_feature_that_is_not_tested_is_no_pass(tmp_path: Path) -> None:
    ref = [{"id": f"c{i}", "input": "q" * (i % 20 + 1), "context": {"role": "admin"}} for i in range(100)]
    prod = [{"input": "q" * (i % 20 + 1), "latency_ms": 100 + i, "context": {"role": "admin"}} for i in range(100)]
    reference, production = _jsonl(tmp_path / "ref.jsonl", ref), _jsonl(tmp_path / "prod.jsonl", prod)
    for verdict in ("any", "share"):  # was NO DRIFT (4 tested), exit 0, with latency_ms "skipped: not in reference"
        with pytest.raises(DatasetError, match=r"latency_ms: not in reference \(golden datasets carry no measure"):
            compute_drift(drift_config(reference=reference, production=production, critical=["latency_ms"],
                                       verdict=verdict))  # fmt: skip
    report = compute_drift(drift_config(reference=reference, production=production, critical=["context.role"])).report
    assert report["drift"] is False and "latency_ms" in {s["name"] for s in report["skipped"]}  # not critical: listed


def test_the_text_count_is_of_the_side_without_numbers(tmp_path: Path) -> None:
    reference, production = _sides(tmp_path, [1.0, "n/a"] * 100, ["low"] * 150)  # reference: 100 numbers, 100 texts
    report = compute_drift(drift_config(reference=reference, production=production, numeric=["x", "y"])).report
    assert report["drift"] is True  # y's missing rate: 50 % vs 100 %
    (skip,) = report["skipped"]
    assert skip["reason"] == "no values in production (all missing; 150 of them are not numbers)"
