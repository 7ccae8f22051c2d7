"""attack18a: every tested feature has its own MLflow metrics, whatever its name.

Feature names are escaped for MLflow by replacing the characters it refuses with ``_``. ``a(b)`` and ``a[b]``
both became ``drift.a_b_.*``: the second feature's metrics overwrote the first's, so the run showed
``drifted = 0`` for a feature that drifted (drift.json said 1). A name with a path in it (``x/../y``) made
MLflow refuse the whole run (exit 3) although the drift verdict was computed. A column named ``x.missing_rate``
tested beside ``x`` gave two results of one name (and one set of metrics): refused now.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mlflow_store import fresh_store

from gatekit.drift.config import DriftConfig
from gatekit.drift.core import compute_drift, drift_config
from gatekit.drift.publish import check_drift, metric_name
from gatekit.errors import ConfigError


def _jsonl(path: Path, rows: list[dict]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def _run_metrics(uri: str, run_id: str) -> dict[str, float]:
    from mlflow.tracking import MlflowClient

    return dict(MlflowClient(tracking_uri=uri).get_run(run_id).data.metrics)


def test_names_that_escape_alike_keep_their_own_metrics(tmp_path: Path) -> None:
    uri = fresh_store(tmp_path / "mlflow.db")
    names = ["a(b)", "a[b]", "a_b_", "x/../y"]
    ref = [{name: float(i) for name in names} for i in range(100)]
    prod = [{**{name: float(i) for name in names}, "a(b)": float(i + 60)} for i in range(100)]
    result = check_drift(
        _jsonl(tmp_path / "ref.jsonl", ref), _jsonl(tmp_path / "prod.jsonl", prod),
        numeric=names, out=tmp_path / "out", config=DriftConfig(tracking_uri=uri),
    )  # fmt: skip
    assert result.drifted == ["a(b)"] and result.run_id  # was SinkError (exit 3) for x/../y
    metrics = _run_metrics(uri, result.run_id)
    keys = [metric_name(name, "drifted") for name in names]
    assert len(set(keys)) == len(names), keys
    assert [metrics[key] for key in keys] == [1.0, 0.0, 0.0, 0.0]  # a(b)'s 1.0 was overwritten by a[b]'s 0.0
    assert metrics[metric_name("a(b)", "ks_d")] == result.report["features"][0]["effect_size"] == 0.6
    assert sum(1 for key in metrics if key.endswith(".drifted")) == len(names)


def test_plain_names_keep_their_metric_names() -> None:
    assert metric_name("latency_ms", "ks_d") == "drift.latency_ms.ks_d"
    assert metric_name("context.role", "cramers_v") == "drift.context.role.cramers_v"
    assert metric_name("context.role.missing_rate", "p_value") == "drift.context.role.missing_rate.p_value"


def test_a_feature_named_like_another_ones_missing_rate_is_refused(tmp_path: Path) -> None:
    ref = [{"x": float(i), "x.missing_rate": float(i % 50)} for i in range(100)]
    prod = [{"x": None if i < 40 else float(i), "x.missing_rate": float(i % 50)} for i in range(100)]
    reference, production = _jsonl(tmp_path / "ref.jsonl", ref), _jsonl(tmp_path / "prod.jsonl", prod)
    # was: two results named x.missing_rate (x's drifted missing rate, and the column), one MLflow metric set
    with pytest.raises(ConfigError, match="'x.missing_rate' has the name of the missing-rate test of feature 'x'"):
        compute_drift(drift_config(reference=reference, production=production, numeric=["x", "x.missing_rate"]))
    alone = compute_drift(drift_config(reference=reference, production=production, numeric=["x.missing_rate"]))
    assert [f["name"] for f in alone.report["features"]] == ["x.missing_rate"]  # a column of that name alone is fine
