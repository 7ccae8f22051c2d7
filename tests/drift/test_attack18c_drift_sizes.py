"""attack18c: one huge production category was copied whole into drift.json (twice) and drift.html.

A context value of 1 MB that 60 production rows share became a new category and a plot row: drift.json grew by
2 MB, drift.html by 1 MB, per such value (100 new categories are listed, so a crafted log made reports of hundreds
of MB, uploaded to MLflow as artifacts). Category names are now scrubbed, then cut to 200 characters (``…``), in
drift.json, drift.html and the gate's verdict/report. Real CLI runs.
"""

from __future__ import annotations

import json
from pathlib import Path

from canary.traffic import write_jsonl
from spine_project import run_cli

SECRET = "sk-proj-" + "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Ji1Hg0Fe"
HUGE = "A" * 190 + " " + SECRET + " " + "B" * 1_000_000


def _write(tmp_path: Path) -> None:
    ref = [{"id": f"r{i}", "input": "order?", "context": {"role": "customer"}} for i in range(60)]
    prod = [{"id": f"p{i}", "input": "order?", "context": {"role": HUGE if i < 40 else "customer"}} for i in range(60)]
    write_jsonl(tmp_path / "ref.jsonl", ref)
    write_jsonl(tmp_path / "prod.jsonl", prod)


def test_a_huge_category_is_cut_in_drift_json_and_html(tmp_path: Path) -> None:
    _write(tmp_path)
    proc = run_cli(tmp_path, "drift", "--reference", "ref.jsonl", "--production", "prod.jsonl", "--no-mlflow")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    out = tmp_path / "reports" / "drift"
    data = (out / "drift.json").read_text(encoding="utf-8")
    page = (out / "drift.html").read_text(encoding="utf-8")
    assert len(data) < 100_000 and len(page) < 100_000, (len(data), len(page))
    assert "sk-proj" not in data and "sk-proj" not in page  # scrubbed before it was cut: no half secret
    (role,) = [f for f in json.loads(data)["features"] if f["name"] == "context.role"]
    assert role["drifted"] and role["new_categories_count"] == 1
    (shown,) = role["new_categories"]
    assert len(shown) <= 200 and shown.startswith("A" * 190) and shown.endswith("…")
    assert shown in [row["category"] for row in role["plot"]["categories"]]


def test_the_gate_s_drift_block_is_cut_too(tmp_path: Path) -> None:
    _write(tmp_path)
    (tmp_path / "agentd.py").write_text(
        "def run(case_input, context=None):\n    return {'output': 'ok', 'cost_usd': 0.0}\n", encoding="utf-8"
    )
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    from conftest import REPO_ROOT

    proc = run_cli(
        tmp_path, "eval", "--dataset", "ref.jsonl", "--agent", "python:agentd:run", "--thresholds", "th.yaml",
        "--policy", str(REPO_ROOT / "policies" / "default.yaml"), "--production", "prod.jsonl", "--no-mlflow",
        "--out", "out", env={"PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    for name in ("verdict.json", "report.html", "drift.json", "drift.html"):
        text = (tmp_path / "out" / name).read_text(encoding="utf-8")
        assert len(text) < 300_000 and "B" * 300 not in text and "sk-proj" not in text, name
