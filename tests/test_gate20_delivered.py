"""pass_rate counts what was delivered: a denied or reviewed response did not pass; expectations see the redaction."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from spine_project import run_cli

from gatekit.regression import regression_checks

AGENT = """
ANSWERS = {
    "plain": "The answer is 42.",
    "secret": "The answer is 42, says Project Falcon.",
    "held": "The answer is 42. HOLDME",
    "mail-hidden": "Write to alice.doe@example.com for the answer 42.",
    "mail-shown": "Write to alice.doe@example.com for the answer 42.",
}


def run(case_input, context=None):
    return {"output": ANSWERS[case_input], "usage": {"input_tokens": 5, "output_tokens": 5}, "cost_usd": 0.0}
"""

POLICY = """\
id: g20
version: "1"
rules:
  - id: falcon
    kind: sensitive_terms
    terms: [Project Falcon]
    outcome: deny
  - id: hold
    kind: condition
    when: contains(output, "HOLDME")
    outcome: require_review
  - id: pii
    kind: sensitive_data
    scan: [output]
    outcomes: {EMAIL_ADDRESS: allow_with_redaction}
"""


def _case(case_id: str, answer: str, **expected: Any) -> dict[str, Any]:
    return {"id": case_id, "input": answer, "expected": expected}


CASES = [
    _case("plain", "plain", output_contains=["42"]),
    _case("denied", "secret", output_contains=["42"]),
    _case("held", "held", output_contains=["42"]),
    # the case says the policy must hold it: held is what it asks for, so the expectations decide
    _case("held-as-labelled", "held", output_contains=["42"], governance="require_review"),
    # delivered redacted: the address the case must not show is not shown ...
    _case("mail-hidden", "mail-hidden", output_not_contains=["alice.doe@example.com"]),
    # ... and the address the case wants is not delivered
    _case("mail-shown", "mail-shown", output_contains=["alice.doe@example.com"]),
]


def _project(root: Path, cases: list[dict[str, Any]], checks: str) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "agent_g20.py").write_text(AGENT, encoding="utf-8")
    (root / "cases.jsonl").write_text("".join(json.dumps(c) + "\n" for c in cases), encoding="utf-8")
    (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (root / "th.yaml").write_text(f"min_cases: 1\nchecks:\n{checks}", encoding="utf-8")
    return root


def _eval(root: Path) -> Any:
    return run_cli(
        root,
        "eval",
        "--dataset",
        "cases.jsonl",
        "--agent",
        "python:agent_g20:run",
        "--policy",
        "policy.yaml",
        "--thresholds",
        "th.yaml",
        "--out",
        "out",
        "--junit",
        "junit.xml",
        "--no-mlflow",
        seed_mlflow=False,
    )


def _rows(root: Path) -> dict[str, dict[str, Any]]:
    lines = (root / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["case_id"]: row for row in map(json.loads, lines)}


def test_pass_rate_counts_what_was_delivered(tmp_path: Path) -> None:
    root = _project(tmp_path / "p", CASES, "  pass_rate: {min: 75%}\n")
    proc = _eval(root)
    verdict = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    rows = _rows(root)
    outcomes = {k: r["decision"]["outcome"] for k, r in rows.items()}
    assert outcomes == {
        "plain": "allow",
        "denied": "deny",
        "held": "require_review",
        "held-as-labelled": "require_review",
        "mail-hidden": "allow_with_redaction",
        "mail-shown": "allow_with_redaction",
    }
    passed = {k: r["passed"] for k, r in rows.items()}
    # old code: denied, held and mail-shown passed, mail-hidden did not (5 of 6, the gate passed)
    assert passed == {
        "plain": True,
        "denied": False,
        "held": False,
        "held-as-labelled": True,
        "mail-hidden": True,
        "mail-shown": False,
    }
    # the agent's answers met the expectations; governance did not deliver two of them
    met = {k: r["expectations_met"] for k, r in rows.items()}
    assert met == {**passed, "denied": True, "held": True}
    assert rows["denied"]["expectation_misses"] == ["denied by governance: the response was not delivered"]
    assert rows["held"]["expectation_misses"][0].startswith("held for review")
    # (the miss names the expected text scrubbed, as everything the run writes)
    assert rows["mail-shown"]["expectation_misses"] == ['output does not contain "[EMAIL_ADDRESS]"']
    assert verdict["metrics"]["pass_rate"] == 0.5 and verdict["metrics"]["scored_cases"] == 6
    check = next(c for c in verdict["checks"] if c["name"] == "pass_rate")
    assert check["status"] == "fail" and check["value"] == 0.5
    assert verdict["verdict"] == "fail" and proc.returncode == 1, proc.stderr
    assert {r["case_id"] for r in verdict["unpassed_cases"]} == {"denied", "held", "mail-shown"}
    html = (root / "out" / "report.html").read_text(encoding="utf-8")
    assert "denied by governance: the response was not delivered" in html
    # JUnit: the failed pass_rate check, and the denied case as a failed case
    suites = {s.get("name"): s for s in ET.parse(root / "junit.xml").getroot().iter("testsuite")}
    failed_checks = {t.get("name") for t in suites["gatekit.gate.checks"] if t.find("failure") is not None}
    assert "pass_rate" in failed_checks
    denied = [t for t in suites["gatekit.gate.cases"] if t.find("failure") is not None]
    assert [(t.get("name"), t.find("failure").get("type")) for t in denied] == [("denied", "governance_deny")]  # type: ignore[union-attr]


def test_correct_answers_all_denied_never_pass_on_pass_rate(tmp_path: Path) -> None:
    cases = [_case(f"c{i}", "secret", output_contains=["42"]) for i in range(30)]
    root = _project(tmp_path / "p", cases, "  pass_rate: {min: 75%, confidence: 0.95}\n  error_rate: {max: 10%}\n")
    proc = _eval(root)
    verdict = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    check = next(c for c in verdict["checks"] if c["name"] == "pass_rate")
    assert verdict["metrics"]["pass_rate"] == 0.0 and check["status"] == "fail"  # old: 1.0, pass
    assert verdict["verdict"] == "fail" and proc.returncode == 1


def _row(case_id: str, passed: bool, outcome: str, *, new: bool) -> dict[str, Any]:
    row: dict[str, Any] = {"case_id": case_id, "ok": True, "passed": passed, "decision": {"outcome": outcome}}
    if new:
        row["expectations_met"] = True
    return row


def test_regression_reads_an_older_baseline_as_delivered() -> None:
    """A baseline logged before ``expectations_met`` counted its denied answers as passed: they were not delivered."""
    cases = [f"c{i}" for i in range(20)]
    baseline = [_row(c, True, "deny" if i < 6 else "allow", new=False) for i, c in enumerate(cases)]
    candidate = [_row(c, i >= 6, "deny" if i < 6 else "allow", new=True) for i, c in enumerate(cases)]
    (check,) = regression_checks(candidate, baseline, {"pass_rate": "1pp"})
    assert check.value == 0.0 and check.status.value == "pass", check.message  # old: +30pp, fail


def test_resume_reads_rows_of_an_older_gatekit_as_delivered(tmp_path: Path) -> None:
    """Rows an older gatekit wrote (no ``expectations_met``) passed denied and reviewed answers; --resume keeps them."""
    root = _project(tmp_path / "p", CASES, "  pass_rate: {min: 75%}\n")
    _eval(root)
    rows = []
    for row in _rows(root).values():
        row.pop("expectations_met")
        if row["case_id"] in ("denied", "held"):  # as the older gatekit scored them
            row["passed"], row["expectation_misses"] = True, []
        rows.append(json.dumps(row) + "\n")
    (root / "out" / "results.jsonl").write_text("".join(rows[:4]), encoding="utf-8")  # interrupted after 4 cases
    (root / "out" / "verdict.json").unlink()
    proc = run_cli(
        root,
        "eval",
        "--dataset",
        "cases.jsonl",
        "--agent",
        "python:agent_g20:run",
        "--policy",
        "policy.yaml",
        "--thresholds",
        "th.yaml",
        "--out",
        "out",
        "--no-mlflow",
        "--resume",
        seed_mlflow=False,
    )
    assert "4 finished cases" in proc.stderr, proc.stderr
    verdict = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["metrics"]["pass_rate"] == 0.5  # old: 5 of 6 (0.83), a passing gate
    assert verdict["verdict"] == "fail" and proc.returncode == 1
    unpassed = {r["case_id"]: r["expectation_misses"] for r in verdict["unpassed_cases"]}
    assert unpassed["denied"] == ["denied by governance: the response was not delivered"]
