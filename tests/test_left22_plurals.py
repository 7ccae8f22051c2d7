"""left22: counts in CLI and report text take the singular for one ("1 case", not "1 cases")."""

from __future__ import annotations

import json
import re
from pathlib import Path

from spine_project import make_project, run_cli

from gatekit.fmt import noun


def test_noun_is_singular_for_exactly_one() -> None:
    assert [f"{n} {noun(n, 'case')}" for n in (0, 1, 2)] == ["0 cases", "1 case", "2 cases"]
    assert noun(1, "category", "categories") == "category" and noun(3, "category", "categories") == "categories"
    assert noun(None, "case") == "cases" and noun(True, "case") == "cases"  # no count: never read as one


def test_a_one_case_gate_says_1_case(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", cases=1, min_cases=5)
    proc = run_cli(root, "eval", "--no-mlflow", env={"CI": "true"})
    text = proc.stdout + proc.stderr
    assert proc.returncode == 4, text  # inconclusive: too few cases
    assert "(1 case, exit 4)" in text and "gatekit eval: 1 case from " in text, text
    assert "only 1 case finished; at least 5 are needed" in text, text
    verdict = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert any("only 1 case finished" in check["message"] for check in verdict["checks"]), verdict["checks"]
    # a count of one, not a throughput that ends in 1 ("71.1 cases/s" held "1 cases": a data-less CI run)
    assert not re.search(r"(?<![\d.])1 cases(?!/s)", text), text


def test_policy_check_of_a_one_rule_policy_says_1_rule(tmp_path: Path) -> None:
    policy = tmp_path / "one.yaml"
    policy.write_text("id: one\nversion: '1'\nrules:\n  - {id: tools, kind: tools, allow: [lookup]}\n", encoding="utf-8")
    proc = run_cli(tmp_path, "policy", "check", str(policy))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip().endswith("one v1, 1 rule"), proc.stdout
