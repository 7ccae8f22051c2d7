"""attack18c: ``gatekit drift`` over a file whose name is not UTF-8 ended in "internal error (drift fails closed)".

A reference or production file named with a byte such as 0xff (held by Python as ``r\\udcff.jsonl``) reached
drift.json, written with ``ensure_ascii=False``: UTF-8 cannot encode the lone surrogate, so the run died before any
file was written. drift.json now holds it as its JSON escape (reads back as the same name); drift.html, the step
summary and the MLflow params show it escaped. Real CLI, real sqlite store.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from canary.traffic import write_jsonl
from spine_project import run_cli


def test_drift_over_a_file_whose_name_is_not_utf8(tmp_path: Path) -> None:
    name = os.fsdecode(b"ref\xff.jsonl")
    rows = [{"id": f"r{i}", "input": "order?", "context": {"role": "a" if i % 2 else "b"}} for i in range(40)]
    try:
        write_jsonl(tmp_path / name, rows)
    except (OSError, UnicodeEncodeError):
        pytest.skip("this file system refuses names that are not UTF-8")
    write_jsonl(tmp_path / "prod.jsonl", [{**r, "id": f"p{i}"} for i, r in enumerate(rows)])
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    summary = tmp_path / "summary.md"
    env = {"MLFLOW_TRACKING_URI": uri, "GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    proc = run_cli(tmp_path, "drift", "--reference", name, "--production", "prod.jsonl", "--out", "out", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    assert data["reference"]["spec"].endswith(name)  # the JSON escape reads back as the same name
    assert "ref\\udcff.jsonl" in (tmp_path / "out" / "drift.html").read_text(encoding="utf-8")
    summary.read_text(encoding="utf-8")

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=uri)
    (run,) = client.search_runs([client.get_experiment_by_name("gatekit-drift").experiment_id])
    assert "ref" in run.data.params["reference"]
