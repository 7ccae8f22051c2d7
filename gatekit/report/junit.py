"""JUnit XML of a gate verdict: one testcase per check and one per failed case (CI test reports)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from gatekit.errors import EXIT_FAIL, EXIT_INCONCLUSIVE, EXIT_PASS
from gatekit.pipeline.model import Verdict
from gatekit.report.text import check_sentence, xml_text

# failed cases listed one testcase each; past it one testcase says how many more (results.jsonl has them all): a
# run of 100,000 failing cases wrote 260 MB of XML no CI test report opens
MAX_LISTED_CASES = 1000


def _case_failure(row: Mapping[str, Any]) -> tuple[str, str] | None:
    """``(type, message)`` when a results.jsonl row failed (agent error or governance DENY), else ``None``.

    A response that merely missed its expectations is not a failed case: ``pass_rate`` judges those.
    """
    if not row.get("ok", True):
        return str(row.get("error_type") or "error"), str(row.get("error_message") or "the agent call failed")
    decision = row.get("decision") or {}
    if str(decision.get("outcome")) == "deny":
        return "governance_deny", "; ".join(str(r) for r in decision.get("reasons") or []) or "denied by policy"
    return None


def _run_error(root: ET.Element, verdict: Verdict, kind: str) -> int:
    """A suite ``gatekit.<kind>.run`` with one ``<error>`` when the run exits 2, 3 or 130 after its verdict; 1 if added.

    MLflow down, a promotion refused, an unwritable output, a stop while publishing: the checks may all pass while
    the run fails, and a CI test report must not read green. Exits 0, 1 and 4 follow from the checks shown: no
    suite is added for them.
    """
    if verdict.exit_code in (None, EXIT_PASS, EXIT_FAIL, EXIT_INCONCLUSIVE):
        return 0
    suite = ET.SubElement(root, "testsuite", name=f"gatekit.{kind}.run", tests="1", failures="0", errors="1")
    suite.set("skipped", "0")
    case = ET.SubElement(suite, "testcase", classname=f"gatekit.{kind}.run", name="exit_code")
    last = verdict.reasons[-1] if verdict.reasons else "the run did not finish"
    error = ET.SubElement(
        case,
        "error",
        message=xml_text(f"exit {verdict.exit_code} (verdict {verdict.verdict}): {last}", 500),
        type=f"exit_{verdict.exit_code}",
    )
    error.text = xml_text("\n".join(verdict.reasons))
    return 1


def write_junit(verdict: Verdict, results_path: Path, out_path: Path) -> Path:
    """Write JUnit XML: one testcase per check and one per failed case; return ``out_path``.

    Failed checks and inconclusive checks are ``<failure>`` (inconclusive is never a
    pass); cases come from ``results_path`` (results.jsonl), or from the verdict's
    ``failed_cases`` when that file is missing; past :data:`MAX_LISTED_CASES` failed cases, one testcase
    ``<N> more failed cases`` stands for the rest. A verdict that exits 2 or 3 (set after it was decided:
    MLflow, promotion, an output) adds suite ``gatekit.<kind>.run`` with one ``<error>``.
    """
    kind = verdict.kind
    root = ET.Element("testsuites", name=f"gatekit {kind}")

    checks_suite = ET.SubElement(root, "testsuite", name=f"gatekit.{kind}.checks")
    n_checks = n_check_failures = 0
    for check in verdict.checks:
        n_checks += 1
        case = ET.SubElement(
            checks_suite,
            "testcase",
            classname=f"gatekit.{kind}.checks",
            name=xml_text(check.name, 200),
        )
        status = check.status
        sentence = xml_text(check_sentence(check))
        if status != "pass":
            n_check_failures += 1
            failure = ET.SubElement(case, "failure", message=sentence, type=xml_text(status, 50))
            # json.dumps, not model_dump_json: a message quoting a path that is not UTF-8 holds a lone surrogate,
            # which xml_text shows escaped (pydantic's JSON encoder raised on it)
            failure.text = xml_text(json.dumps(check.model_dump(mode="json"), ensure_ascii=False))
        else:
            ET.SubElement(case, "system-out").text = sentence
    checks_suite.set("tests", str(n_checks))
    checks_suite.set("failures", str(n_check_failures))
    checks_suite.set("errors", "0")
    checks_suite.set("skipped", "0")

    cases_suite = ET.SubElement(root, "testsuite", name=f"gatekit.{kind}.cases")
    from gatekit.results import iter_result_rows

    failed: list[tuple[str, float | None, str, str]] = []
    unlisted = 0
    any_row = False
    for row in iter_result_rows(Path(results_path)):  # one row at a time: 100,000 large rows held 1.7 GB whole
        any_row = True
        found = _case_failure(row)
        if found is None:
            continue
        if len(failed) >= MAX_LISTED_CASES:
            unlisted += 1
            continue
        case_id = str(row.get("case_id"))
        if row.get("repeat"):
            case_id = f"{case_id}#{row.get('repeat')}"
        latency = row.get("latency_ms")
        failed.append((case_id, latency if isinstance(latency, int | float) else None, *found))
    if not any_row:
        for verdict_row in verdict.failed_cases[:MAX_LISTED_CASES]:
            failed.append(
                (verdict_row.case_id, None, verdict_row.error_type or "error", verdict_row.error_message or "")
            )
    if unlisted:  # one more testcase, failing too: the report stays red and says where the rest are
        more = f"{unlisted} more failed cases not listed here (the first {MAX_LISTED_CASES} are); see results.jsonl"
        failed.append((f"{unlisted} more failed cases", None, "more_failed_cases", more))
    for case_id, latency_ms, failure_type, message in failed:
        case = ET.SubElement(cases_suite, "testcase", classname=f"gatekit.{kind}.cases", name=xml_text(case_id, 200))
        if latency_ms is not None:
            case.set("time", f"{latency_ms / 1000.0:.3f}")
        failure = ET.SubElement(case, "failure", message=xml_text(message, 500), type=xml_text(failure_type, 50))
        failure.text = xml_text(message)
    cases_suite.set("tests", str(len(failed)))
    cases_suite.set("failures", str(len(failed)))
    cases_suite.set("errors", "0")
    cases_suite.set("skipped", "0")

    errors = _run_error(root, verdict, kind)
    root.set("tests", str(n_checks + len(failed) + errors))
    root.set("failures", str(n_check_failures + len(failed)))
    root.set("errors", str(errors))
    out_path = Path(out_path)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    tree = ET.ElementTree(root)
    ET.indent(tree)
    data = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    if out_path.is_char_device():  # /dev/stdout and friends cannot be replaced, only written
        out_path.write_bytes(data)
        return out_path
    from gatekit.fsio import atomic_write_bytes

    atomic_write_bytes(out_path, data)
    return out_path
