"""The gate's arithmetic fails closed: a metric over nothing is unknown (a failing check), never 0."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import REPO_ROOT
from spine_project import run_cli

FAILING_AGENT = """
def run(case_input, context=None):
    raise RuntimeError("the model endpoint is down")
"""


def _gate(root: Path, agent: str, cases: list[dict[str, Any]], checks: str, *args: str) -> tuple[Any, dict[str, Any]]:
    root.mkdir(parents=True, exist_ok=True)
    (root / "agent_g20a.py").write_text(agent, encoding="utf-8")
    (root / "cases.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    (root / "th.yaml").write_text(f"min_cases: 1\nchecks:\n{checks}", encoding="utf-8")
    proc = run_cli(
        root,
        "eval",
        "--dataset",
        "cases.jsonl",
        "--agent",
        "python:agent_g20a:run",
        "--policy",
        str(REPO_ROOT / "policies" / "default.yaml"),
        "--thresholds",
        "th.yaml",
        "--out",
        "out",
        "--retries",
        "0",
        "--no-mlflow",
        *args,
        seed_mlflow=False,
    )
    return proc, json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))


def test_cost_and_governance_rates_of_a_run_where_every_call_failed_are_unknown(tmp_path: Path) -> None:
    cases = [{"id": f"c{i}", "input": "question"} for i in range(4)]
    checks = (
        "  cost_total_usd: {max: 1}\n  governance.deny_rate: {max: 5%}\n  governance.review_rate: {max: 5%}\n"
        "  tokens_input: {max: 1000}\n"
    )
    proc, verdict = _gate(tmp_path / "p", FAILING_AGENT, cases, checks)
    assert proc.returncode == 1
    by_name = {c["name"]: c for c in verdict["checks"]}
    # old code: cost_total_usd 0.0 and both rates 0.0, three passing checks over no cost and no decision
    for name in ("cost_total_usd", "governance.deny_rate", "governance.review_rate", "tokens_input"):
        assert by_name[name]["status"] == "fail" and by_name[name]["value"] is None, by_name[name]
        assert "no case" in by_name[name]["message"], by_name[name]
    assert verdict["metrics"]["cost_total_usd"] is None
    assert verdict["governance"]["deny_rate"] is None and verdict["governance"]["review_rate"] is None
