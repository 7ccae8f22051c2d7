"""fix18e: the JUnit XML carries the run's final exit when MLflow fails after it was written.

JUnit is written before MLflow logging (an unwritable path must be known before any promotion), so a run whose
checks all passed and whose MLflow logging then failed (exit 3) left a JUnit file that read green. It is now
written again with suite ``gatekit.gate.run``: one ``<error type="exit_3">`` naming the failure.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

from conftest import failing_tracking_server
from spine_project import make_project, run_cli


def test_a_later_mlflow_failure_is_in_the_junit_file(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", cases=2)
    with failing_tracking_server() as uri:  # reachable before the replay, failing when the run is logged
        proc = run_cli(root, "eval", "--tracking-uri", uri, "--junit", "j.xml")
    assert proc.returncode == 3, proc.stdout + proc.stderr
    verdict = json.loads((root / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert (verdict["verdict"], verdict["exit_code"]) == ("pass", 3)  # every check passed
    junit = ET.parse(root / "j.xml").getroot()
    assert (junit.get("tests"), junit.get("failures"), junit.get("errors")) == (
        str(len(verdict["checks"]) + 1),
        "0",
        "1",
    )
    suite = junit.find("testsuite[@name='gatekit.gate.run']")
    assert suite is not None and suite.get("errors") == "1"
    error = suite.find("testcase[@name='exit_code']/error")
    assert error is not None and error.get("type") == "exit_3"
    assert error.get("message", "").startswith("exit 3 (verdict pass): MLflow logging failed:"), error.get("message")
    assert "404" in (error.text or "") and uri in (error.text or "")  # the failure itself, naming the server


def test_a_run_that_exits_as_its_checks_say_has_no_run_suite(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", cases=2)
    proc = run_cli(root, "eval", "--no-mlflow", "--junit", "j.xml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    junit = ET.parse(root / "j.xml").getroot()
    assert junit.find("testsuite[@name='gatekit.gate.run']") is None and junit.get("errors") == "0"
    assert [s.get("name") for s in junit.findall("testsuite")] == ["gatekit.gate.checks", "gatekit.gate.cases"]
