"""attack18c: drift feature names (production columns) made MLflow metric names that collided or broke the run.

``m@x`` and ``m#x`` both became ``drift.m_x.*``: the second feature's numbers replaced the first's, so MLflow said
``drift.m_x.drifted = 0`` for a feature that drifted (D = 1). A column ``a//b`` gave ``drift.a//b.ks_d``, which MLflow
refuses (a name that resolves to another path), so the whole drift run ended in exit 3 "MLflow failed"; a 300-char
column name went over MLflow's 250-char key limit the same way. Now a name that had to be changed or cut carries a
short hash of the original, so each feature keeps its own metrics, and the run is logged. Real sqlite store.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from spine_project import run_cli

from gatekit.drift.publish import metric_name

LONG = "k" * 300
COLUMNS = ["m@x", "m#x", "a//b", LONG]


def _rows(n: int, shift: float, seed: int, day: str) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        row: dict[str, object] = {"id": f"r{i}", "input": "hi", "timestamp": f"2026-12-{day}T00:00:00Z"}
        row.update({c: rng.uniform(0, 1) for c in COLUMNS})
        row["m@x"] = rng.uniform(shift, shift + 1)  # only m@x drifts
        rows.append(row)
    return rows


def test_metric_names_are_distinct_valid_and_clean_names_are_kept() -> None:
    names = {metric_name(c, "ks_d") for c in COLUMNS}
    assert len(names) == len(COLUMNS)
    for name in names:
        assert "//" not in name and len(name) <= 250, name
    assert metric_name("ContextTokens", "ks_d") == "drift.ContextTokens.ks_d"
    assert metric_name("context.role", "p_value") == "drift.context.role.p_value"


@pytest.mark.slow
def test_hostile_feature_names_each_keep_their_metrics_in_mlflow(tmp_path: Path) -> None:
    for name, rows in (("ref.jsonl", _rows(100, 0.0, 1, "01")), ("prod.jsonl", _rows(100, 5.0, 2, "02"))):
        (tmp_path / name).write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    args = ["--reference", "ref.jsonl", "--production", "prod.jsonl", "--out", "out", "--experiment", "d18c"]
    for column in COLUMNS:
        args += ["--numeric", column]
    proc = run_cli(tmp_path, "drift", *args, env={"MLFLOW_TRACKING_URI": uri})
    assert proc.returncode == 1, proc.stdout + proc.stderr  # drift, logged (not 3: MLflow failed)

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("d18c").experiment_id])
    metrics = run.data.metrics
    report = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    by_name = {f["name"]: f for f in report["features"]}
    assert set(by_name) == set(COLUMNS)
    for column in COLUMNS:
        feature = by_name[column]
        assert metrics[metric_name(column, "drifted")] == (1.0 if feature["drifted"] else 0.0)
        assert metrics[metric_name(column, "ks_d")] == pytest.approx(feature["effect_size"])
        assert metrics[metric_name(column, "p_value")] == pytest.approx(feature["p_value"])
    assert by_name["m@x"]["drifted"] and not by_name["m#x"]["drifted"]
    assert metrics[metric_name("m@x", "drifted")] == 1.0 and metrics[metric_name("m#x", "drifted")] == 0.0
