"""attack22g: ``drift.drifted_features`` of a drift that could not be computed was 0, and its threshold passed.

With ``--production`` naming logs with no rows, the ``drift`` check failed ("drift check failed: ... no rows") while
``drift.drifted_features: {max: 0}`` passed at 0 beside it, and 0 was the value MLflow logged: an unknown shown as no
drift. Without ``--production`` the check failed saying only "metric could not be measured".
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import REPO_ROOT
from spine_project import run_cli

AGENT = """
def run(case_input, context=None):
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def _gate(root: Path, *extra: str) -> tuple[int, dict[str, Any]]:
    (root / "agent22d.py").write_text(AGENT, encoding="utf-8")
    rows = "".join(json.dumps({"id": f"c{i}", "input": f"hello there {i}"}) + "\n" for i in range(3))
    (root / "ds.jsonl").write_text(rows, encoding="utf-8")
    (root / "th.yaml").write_text("min_cases: 1\nchecks:\n  drift.drifted_features: {max: 0}\n", encoding="utf-8")
    args = ["eval", "--dataset", "ds.jsonl", "--agent", "python:agent22d:run", "--thresholds", "th.yaml"]
    args += ["--policy", str(REPO_ROOT / "policies" / "default.yaml"), "--no-mlflow", "--out", "out", *extra]
    proc = run_cli(root, *args, seed_mlflow=False)
    return proc.returncode, json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))


def _check(verdict: dict[str, Any], name: str) -> dict[str, Any]:
    return next(c for c in verdict["checks"] if c["name"] == name)


def test_drift_that_could_not_be_computed_has_no_drifted_feature_count(tmp_path: Path) -> None:
    (tmp_path / "prod.jsonl").write_text("", encoding="utf-8")
    code, verdict = _gate(tmp_path, "--production", "prod.jsonl")
    assert code == 1 and verdict["verdict"] == "fail"
    check = _check(verdict, "drift.drifted_features")
    assert check["value"] is None and check["status"] == "fail", check
    assert check["message"].startswith("drift could not be computed: production prod.jsonl: no rows"), check
    assert _check(verdict, "drift")["status"] == "fail"


def test_without_production_data_the_check_says_why_it_is_unknown(tmp_path: Path) -> None:
    code, verdict = _gate(tmp_path)
    assert code == 1
    check = _check(verdict, "drift.drifted_features")
    assert check["value"] is None and check["status"] == "fail"
    assert check["message"] == "no production data given (--production), so drift was not measured"
