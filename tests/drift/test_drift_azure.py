"""Drift on real production traffic: the Azure LLM inference trace 2023 (copied in tests/data, CC-BY-4.0)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import TESTS_DIR

from gatekit.drift import DriftConfig, check_drift

DATA = TESTS_DIR / "data" / "azure-llm-trace"
CODE = DATA / "AzureLLMInferenceTrace_code.csv"
CONV = DATA / "AzureLLMInferenceTrace_conv.csv"


def _feature(result, name):
    return next(f for f in result.report["features"] if f["name"] == name)


def _run(ref, prod, out, **kwargs):
    return check_drift(ref, prod, numeric=["ContextTokens"], out=out, log_to_mlflow=False, **kwargs)


def test_code_vs_conv_context_tokens_is_flagged(tmp_path):
    result = _run(CODE, CONV, tmp_path)
    feature = _feature(result, "ContextTokens")
    assert feature["statistic"] == pytest.approx(0.346, abs=0.001)
    assert feature["method"] == "asymp"  # 19,366 rows: beyond the exact range
    assert feature["q_value"] < 1e-100
    assert feature["drifted"] and result.drift and result.exit_code == 1
    assert feature["n_reference"] == 8819 and feature["n_production"] == 19366


def test_random_half_split_of_conv_is_not_flagged(tmp_path):
    conv = pd.read_csv(CONV)
    mask = np.random.default_rng(20231116).random(len(conv)) < 0.5
    conv[mask].to_csv(tmp_path / "a.csv", index=False)
    conv[~mask].to_csv(tmp_path / "b.csv", index=False)
    result = _run(tmp_path / "a.csv", tmp_path / "b.csv", tmp_path / "out")
    feature = _feature(result, "ContextTokens")
    assert feature["p_value"] > 0.05
    assert feature["statistic"] < 0.03
    assert not feature["drifted"] and not result.drift and result.exit_code == 0


def test_first_vs_second_half_by_time_is_significant_but_below_the_floor(tmp_path):
    conv = pd.read_csv(CONV).sort_values("TIMESTAMP", kind="stable")
    half = len(conv) // 2
    conv.iloc[:half].to_csv(tmp_path / "first.csv", index=False)
    conv.iloc[half:].to_csv(tmp_path / "second.csv", index=False)
    result = _run(tmp_path / "first.csv", tmp_path / "second.csv", tmp_path / "out")
    feature = _feature(result, "ContextTokens")
    assert feature["p_value"] < 1e-20  # p-values alone would cry wolf
    assert 0.07 < feature["statistic"] < 0.1
    assert feature["significant"] and not feature["drifted"]
    assert not result.drift
    # the same data with a lower floor is drift: the floor is what decides
    lower = _run(tmp_path / "first.csv", tmp_path / "second.csv", tmp_path / "out2", config=DriftConfig(ks_floor=0.05))
    assert _feature(lower, "ContextTokens")["drifted"] and lower.drift


def test_since_window_on_real_timestamps(tmp_path):
    # the trace spans 18:15:46 -> 19:14:08; the last 30 minutes before the newest row hold about half of it
    result = _run(CODE, CONV, tmp_path, since="30m", timestamp_field="TIMESTAMP")
    window = result.report["production"]["window"]
    assert window["end"] == "2023-11-16T19:14:08+00:00"
    rows = result.report["production"]["rows_in_window"]
    conv = pd.read_csv(CONV, parse_dates=["TIMESTAMP"])
    expected = int((conv["TIMESTAMP"] >= conv["TIMESTAMP"].max() - pd.Timedelta(minutes=30)).sum())
    assert rows == expected and 0 < rows < 19366
