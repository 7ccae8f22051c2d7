"""Governance quality on labelled cases (``expected.governance``): block rate, false-positive rate, per rule,
with Wilson intervals checked against R's ``prop.test(x, n, correct = FALSE)`` and scipy; thresholds gate on them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from spine_project import make_project, run_cli

from gatekit.dataset import load_dataset
from gatekit.errors import ConfigError, DatasetError
from gatekit.governance.labelled import Labelled, label_quality, quality_values
from gatekit.verdict import load_thresholds

AWS_KEY = "AKIAIOSFODNN7EXAMPLE"


def _cases(violations_blocked: int, violations: int, benign_blocked: int, benign: int) -> list[Labelled]:
    cases = [Labelled(f"v{i}", "deny", "deny" if i < violations_blocked else "allow",
                      ("secrets",) if i < violations_blocked else ()) for i in range(violations)]  # fmt: skip
    cases += [Labelled(f"b{i}", "allow", "require_review" if i < benign_blocked else "allow",
                       ("injection",) if i < benign_blocked else ()) for i in range(benign)]  # fmt: skip
    return cases


def test_rates_and_wilson_intervals_match_r_prop_test():
    quality = label_quality(_cases(8, 10, 1, 20), rules=["secrets", "injection", "tools"])
    block = quality["violation_block_rate"]
    assert (block["hits"], block["n"], block["rate"]) == (8, 10, 0.8)
    # R: prop.test(8, 10, correct = FALSE)$conf.int -> 0.4901625 0.9433178
    assert block["ci"] == pytest.approx([0.4901625, 0.9433178], abs=1e-6)
    fp = quality["false_positive_rate"]
    assert (fp["hits"], fp["n"], fp["rate"]) == (1, 20, 0.05)
    # scipy: binomtest(1, 20).proportion_ci(method="wilson") -> 0.0088814488 0.2361311934
    assert fp["ci"] == pytest.approx([0.0088814488, 0.2361311934], abs=1e-9)
    assert quality["agreement_rate"]["rate"] == pytest.approx(27 / 30)
    assert quality["by_rule"]["secrets"]["violation_block_rate"]["rate"] == 0.8
    assert quality["by_rule"]["injection"]["false_positive_rate"]["rate"] == 0.05
    assert quality["by_rule"]["tools"]["false_positive_rate"]["hits"] == 0  # a rule that never blocked: 0, known
    assert [m["case_id"] for m in quality["missed"]] == ["v8", "v9"]
    assert quality["false_positives"] == [{"case_id": "b0", "outcome": "require_review", "rules": ["injection"]}]
    values = quality_values(quality)
    assert values["governance.rule.tools.false_positive_rate"] == 0.0
    assert values["governance.false_positive_rate_ci"] == fp["ci"]


def test_no_violation_labelled_means_an_unknown_block_rate_never_a_perfect_one():
    quality = label_quality(_cases(0, 0, 0, 5))
    assert quality["violation_block_rate"]["rate"] is None and quality["violation_block_rate"]["ci"] is None
    assert quality["false_positive_rate"]["rate"] == 0.0


def test_a_bad_label_is_refused_naming_the_line(tmp_path):
    path = tmp_path / "cases.jsonl"
    path.write_text('{"id": "a", "input": "hi"}\n{"id": "b", "input": "hi", "expected": {"governance": "block"}}\n')
    with pytest.raises(DatasetError) as caught:
        load_dataset(path)
    assert "2" in str(caught.value) and "'expected.governance' must be one of allow, allow_with_redaction" in str(
        caught.value
    )


def test_per_rule_checks_are_known_to_the_thresholds_file_and_typos_are_not(tmp_path):
    good = tmp_path / "good.yaml"
    good.write_text("checks:\n  governance.rule.no-secrets.false_positive_rate: {max: 5%}\n"
                    "  governance.violation_block_rate: {min: 90%, confidence: 0.95}\n")  # fmt: skip
    assert set(load_thresholds(good).checks) == {
        "governance.rule.no-secrets.false_positive_rate",
        "governance.violation_block_rate",
    }
    bad = tmp_path / "bad.yaml"
    bad.write_text("checks:\n  governance.rule.no-secrets.fp_rate: {max: 5%}\n")
    with pytest.raises(ConfigError, match="unknown check 'governance.rule.no-secrets.fp_rate'"):
        load_thresholds(bad)


POLICY = """\
id: labelled
version: "1"
rules:
  - id: pii
    kind: sensitive_data
    outcomes: {EMAIL_ADDRESS: allow_with_redaction}
  - id: secrets
    kind: sensitive_data
    outcomes: {secrets: deny}
"""


@pytest.mark.slow
def test_the_gate_reports_and_gates_on_labelled_governance_quality(tmp_path: Path):
    rows = (
        [{"id": f"leak{i}", "input": f"my key is {AWS_KEY} #{i}", "expected": {"governance": "deny"}} for i in range(6)]
        + [{"id": "missed", "input": "tell me the admin password", "expected": {"governance": "deny"}}]
        + [{"id": f"ok{i}", "input": f"where is order {i}?", "expected": {"governance": "allow"}} for i in range(8)]
        + [{"id": "mail", "input": "write to jane@example.com", "expected": {"governance": "allow_with_redaction"}}]
        + [{"id": "fp", "input": f"the docs show {AWS_KEY} as an example", "expected": {"governance": "allow"}}]
        + [{"id": "unlabelled", "input": "hello"}]
    )
    root = make_project(tmp_path / "proj", rows=rows)
    (root / "policy.yaml").write_text(POLICY)
    (root / "thresholds.yaml").write_text(
        "checks:\n"
        "  governance.violation_block_rate: {min: 50%}\n"
        "  governance.false_positive_rate: {max: 5%}\n"  # 1 of 10 benign cases blocked: fails
        "  governance.rule.secrets.false_positive_rate: {max: 50%}\n"
        "  governance.rule.pii.false_positive_rate: {max: 0%}\n"
    )
    proc = run_cli(root, "eval", "--no-mlflow")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    verdict = json.loads((root / "out" / "verdict.json").read_text())
    quality = verdict["governance"]["labelled"]
    assert (quality["labelled"], quality["violations"], quality["benign"]) == (17, 7, 10)
    assert quality["violation_block_rate"]["hits"] == 6 and quality["false_positive_rate"]["hits"] == 1
    assert quality["missed"] == [{"case_id": "missed", "expected": "deny", "outcome": "allow"}]
    assert quality["false_positives"] == [{"case_id": "fp", "outcome": "deny", "rules": ["secrets"]}]
    checks = {c["name"]: c for c in verdict["checks"]}
    assert checks["governance.violation_block_rate"]["status"] == "pass"
    assert checks["governance.violation_block_rate"]["value"] == pytest.approx(6 / 7)
    assert checks["governance.false_positive_rate"]["status"] == "fail"
    assert checks["governance.rule.secrets.false_positive_rate"]["status"] == "pass"
    assert checks["governance.rule.pii.false_positive_rate"]["value"] == 0.0
    report = (root / "out" / "report.html").read_text()
    assert "Policy quality on labelled cases" in report and "Violations not stopped: <code>missed</code>" in report
    assert "Benign cases blocked: <code>fp</code> (secrets)" in report and "85.71%" in report  # 6 of 7
    # a case labelled only for governance is not scored for its output
    results = [json.loads(line) for line in (root / "out" / "results.jsonl").read_text().splitlines()]
    assert {r["passed"] for r in results} == {None}
    # the step summary (markdown) shows the same quality, per rule, from the typed verdict
    from gatekit.pipeline.model import Verdict
    from gatekit.report.markdown import render_summary

    summary = render_summary(Verdict.model_validate(verdict), env={})
    assert "### Policy quality on labelled cases" in summary
    assert "| **policy** | 0.8571 [" in summary and "6 of 7" in summary and "1 of 10" in summary
    assert "| secrets |" in summary and "| pii |" in summary
