"""End to end: a leaking agent through `gatekit eval`; no raw sensitive value in any file written."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from governance_agents import RAW_VALUES
from spine_project import make_project, run_cli

REPO = REPO_ROOT


@pytest.mark.slow
def test_no_raw_sensitive_value_in_any_output_file_or_mlflow_artifact(tmp_path: Path) -> None:
    root = make_project(tmp_path / "proj", agent="python:governance_agents:leaky", cases=3)
    shutil.copy(REPO / "policies" / "default.yaml", root / "policy.yaml")
    proc = run_cli(root, "eval")
    assert proc.returncode == 1, proc.stdout + proc.stderr  # secrets are denied -> governance.deny_count fails
    traces = [json.loads(line) for line in (root / "out" / "governance_traces.jsonl").read_text().splitlines()]
    assert len(traces) == 3 and {t["outcome"] for t in traces} == {"deny"}
    assert traces[0]["redactions"] == {"AWS_ACCESS_KEY": 1, "CREDIT_CARD": 1, "EMAIL_ADDRESS": 2, "GITHUB_TOKEN": 1}
    # the dataset has no timestamps: the per-minute budget is skipped and the run says so (trace, verdict, report)
    note = "token-budget: per_user_per_minute not evaluated: no timestamp"
    assert all(t["notes"] == [note] for t in traces)
    verdict = json.loads((root / "out" / "verdict.json").read_text())
    assert verdict["governance"]["notes"] == [{"note": note, "cases": 3, "text": f"{note} (all 3 cases)"}]
    assert f"{note} (all 3 cases)" in (root / "out" / "report.html").read_text()
    results = (root / "out" / "results.jsonl").read_text()
    assert "[EMAIL_ADDRESS]" in results and "[AWS_ACCESS_KEY]" in results
    scanned = 0
    for path in root.rglob("*"):
        if not path.is_file() or path.name == "cases.jsonl":
            continue
        data = path.read_bytes()
        scanned += 1
        for raw in RAW_VALUES:
            assert raw.encode() not in data, f"{raw!r} leaked into {path.relative_to(root)}"
    assert scanned >= 5  # verdict, report, results, traces, mlflow store/artifacts
    assert any(p.suffix == ".db" or "mlruns" in p.parts or "mlartifacts" in p.parts for p in root.rglob("*"))
