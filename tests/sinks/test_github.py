"""GitHub Actions sink: step summary, annotations, outputs, JUnit XML, CI tags.

The summary is rendered with a real GFM-table markdown renderer (markdown-it-py, a
dependency of rich) to prove that agent-controlled text cannot inject markup; the
outputs file is read back with GitHub's own ``name=value`` / heredoc rules.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from conftest import verdict_data
from markdown_it import MarkdownIt

from gatekit.pipeline.model import Verdict
from gatekit.sinks import github

EVIL = "evil|id <script>alert(1)</script> [x](http://evil.example) @octocat `rm` **b** 100%\n::error::pwned\x07"


def make_verdict(**overrides: Any) -> Verdict:
    verdict: dict[str, Any] = {
        **verdict_data(),
        "schema_version": 1,
        "kind": "gate",
        "command": "promote",
        "verdict": "fail",
        "exit_code": 1,
        "reasons": ["latency_p95_ms 2300 > 2000"],
        "checks": [
            {
                "name": "latency_p95_ms",
                "value": 2300.0,
                "limit": 2000,
                "op": "<",
                "interval": [2100.0, 2500.0],
                "status": "fail",
                "message": "latency_p95_ms 2300 > 2000",
                "unit": "ms",
            },
            {
                "name": "error_rate",
                "value": 0.0,
                "limit": 0.01,
                "op": "<",
                "interval": [0.0, 0.06],
                "status": "inconclusive",
                "message": "error_rate 0 < 0.01 but the 95% interval reaches 0.06",
                "unit": "",
            },
            {
                "name": "cost_per_1k_tokens_usd",
                "value": 0.012,
                "limit": 0.05,
                "op": "<",
                "interval": None,
                "status": "pass",
                "message": "",
                "unit": "usd",
            },
        ],
        "metrics": {"cases": 3},
        "governance": {
            "policy": {"id": "default", "version": "1", "sha256": "ab" * 32},
            "outcomes": {"allow": 1, "allow_with_redaction": 0, "require_review": 1, "deny": 1},
            "denied_cases": [{"case_id": EVIL, "reasons": ["tool " + EVIL]}],
        },
        "drift": None,
        "dataset": {"path": "datasets/golden.jsonl", "format": "jsonl", "sha256": "cd" * 32, "cases": 3},
        "candidate": {"spec": "python:examples.demo_agent:run"},
        "mlflow": {
            "run_id": "abc123",
            "experiment_id": "7",
            "tracking_uri": "http://127.0.0.1:5000",
            "error": None,
        },
        "out_dir": "reports/latest",
        "failed_cases": [{"case_id": EVIL, "error_type": "timeout", "error_message": EVIL}],
    }
    verdict.update(overrides)
    return Verdict.model_validate(verdict)


def gha_env(tmp_path: Path) -> dict[str, str]:
    return {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary.md"),
        "GITHUB_OUTPUT": str(tmp_path / "output.txt"),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/agent",
        "GITHUB_RUN_ID": "42",
    }


def read_github_output(path: Path) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT the way the runner does: ``k=v`` lines and ``k<<DELIM`` heredocs."""
    values: dict[str, str] = {}
    lines = path.read_text(encoding="utf-8").split("\n")
    i = 0
    while i < len(lines):
        line = lines[i]
        if not line:
            i += 1
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            key, delim = line.split("<<", 1)
            body = []
            i += 1
            while lines[i] != delim:
                body.append(lines[i])
                i += 1
            values[key] = "\n".join(body)
        else:
            key, value = line.split("=", 1)
            values[key] = value
        i += 1
    return values


def render_html(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").enable("strikethrough").render(markdown)


def test_publish_does_nothing_outside_github_actions(tmp_path: Path) -> None:
    env = gha_env(tmp_path)
    env["GITHUB_ACTIONS"] = "false"
    out = io.StringIO()
    assert github.publish(make_verdict(), env, stream=out) is False
    assert out.getvalue() == ""
    assert not (tmp_path / "summary.md").exists()
    assert not (tmp_path / "output.txt").exists()


def test_publish_writes_summary_annotations_and_outputs(tmp_path: Path) -> None:
    env = gha_env(tmp_path)
    out = io.StringIO()
    (tmp_path / "summary.md").write_text("previous step\n", encoding="utf-8")
    assert github.publish(make_verdict(), env, stream=out) is True

    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert summary.startswith("previous step\n")  # appended, never truncated
    assert "## gatekit gate: ❌ FAIL" in summary
    html = render_html(summary)
    # the checks table: failing first, with value / limit / interval / status
    rows = re.findall(r"<tr>\s*<td>(.*?)</td>\s*<td.*?>(.*?)</td>\s*<td.*?>(.*?)</td>", html, re.S)
    assert ("latency_p95_ms", "2300 ms", "&lt; 2000 ms") in rows
    assert rows.index(("latency_p95_ms", "2300 ms", "&lt; 2000 ms")) < rows.index(
        ("cost_per_1k_tokens_usd", "0.012 usd", "&lt; 0.05 usd")
    )
    assert "| deny | 1 |" in summary
    assert "http://127.0.0.1:5000/#/experiments/7/runs/abc123" in summary
    assert "https://github.com/acme/agent/actions/runs/42#artifacts" in summary
    assert "reports/latest" in summary

    lines = out.getvalue().splitlines()
    assert lines[0].startswith("::error title=gatekit fail%3A latency_p95_ms::latency_p95_ms 2300 > 2000")
    assert lines[1].startswith("::warning title=gatekit inconclusive%3A error_rate::")
    assert len(lines) == 2  # the passing check is not annotated

    outputs = read_github_output(tmp_path / "output.txt")
    assert outputs == {
        "verdict": "fail",
        "run_id": "abc123",
        "report_path": str(Path("reports/latest") / "report.html"),
        "exit_code": "1",
    }


def test_summary_escapes_agent_controlled_text(tmp_path: Path) -> None:
    summary = github.render_summary(make_verdict(), gha_env(tmp_path))
    html = render_html(summary)
    assert "<script>" not in html
    assert "evil.example" in html  # the text is shown ...
    assert 'href="http://evil.example"' not in html  # ... but never becomes a link
    assert "<strong>b</strong>" not in html and "<code>rm</code>" not in html
    assert "**b**" in html  # literal asterisks
    # every table row keeps exactly its columns although the text contains '|'
    for table in re.findall(r"<table>.*?</table>", html, re.S):
        header_cells = len(re.findall(r"<th[ >]", table.split("</thead>")[0]))
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("</thead>")[1], re.S):
            assert len(re.findall(r"<td", row)) == header_cells
    # the injected workflow command never starts a line of the summary
    assert not any(line.startswith("::") for line in summary.splitlines())


def test_annotations_escape_newlines_and_percent() -> None:
    verdict = make_verdict(
        checks=[{"name": "x,y:z", "value": 1, "limit": 0, "op": "<=", "status": "fail", "message": EVIL}]
    )
    (line,) = github.annotation_lines(verdict)
    assert "\n" not in line and "\r" not in line
    match = re.fullmatch(r"::error title=(?P<title>[^:]*)::(?P<msg>.*)", line)
    assert match is not None
    title = match["title"].replace("%3A", ":").replace("%2C", ",").replace("%25", "%")
    assert title == "gatekit fail: x,y:z"
    msg = match["msg"].replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
    assert msg == EVIL.replace("\x07", "\\x07")  # a BEL (any control but a line break) is shown escaped


def test_verdict_without_checks_still_annotates_fail() -> None:
    lines = github.annotation_lines(make_verdict(checks=[], reasons=["agent unreachable"]))
    assert lines == ["::error title=gatekit fail::agent unreachable"]
    assert github.annotation_lines(make_verdict(checks=[], verdict="pass", reasons=[])) == []


def test_outputs_with_newline_use_a_heredoc(tmp_path: Path) -> None:
    env = gha_env(tmp_path)
    verdict = make_verdict(out_dir="reports/a\nb")
    github.publish(verdict, env, stream=io.StringIO())
    outputs = read_github_output(tmp_path / "output.txt")
    assert outputs["report_path"] == str(Path("reports/a\nb") / "report.html")
    assert outputs["verdict"] == "fail"


def test_unwritable_summary_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    env = gha_env(tmp_path)
    env["GITHUB_STEP_SUMMARY"] = str(tmp_path / "missing-dir" / "summary.md")
    out = io.StringIO()
    assert github.publish(make_verdict(), env, stream=out)
    assert "cannot write the step summary" in out.getvalue()
    assert read_github_output(tmp_path / "output.txt")["verdict"] == "fail"


def write_results(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"case_id": "half-writ', encoding="utf-8")
    return path


def test_junit_has_one_testcase_per_check_and_per_failed_case(tmp_path: Path) -> None:
    results = write_results(
        tmp_path / "results.jsonl",
        [
            {
                "case_id": "ok-1",
                "ok": True,
                "passed": True,
                "latency_ms": 10.0,
                "decision": {"outcome": "allow"},
            },
            {
                "case_id": EVIL,
                "ok": False,
                "error_type": "timeout",
                "error_message": EVIL,
                "latency_ms": 30000.0,
            },
            {"case_id": "wrong-1", "ok": True, "passed": False, "latency_ms": 12.0},
            {
                "case_id": "deny-1",
                "ok": True,
                "passed": True,
                "decision": {"outcome": "deny", "reasons": ["tool x"]},
            },
        ],
    )
    out = github.write_junit(make_verdict(), results, tmp_path / "junit" / "gatekit.xml")
    root = ET.parse(out).getroot()  # parses: control characters were replaced
    assert root.tag == "testsuites"
    assert root.get("tests") == "5" and root.get("failures") == "4"
    checks, cases = root.findall("testsuite")
    assert [tc.get("name") for tc in checks.findall("testcase")] == [
        "latency_p95_ms",
        "error_rate",
        "cost_per_1k_tokens_usd",
    ]
    types = [tc.find("failure").get("type") if tc.find("failure") is not None else None for tc in checks]
    assert types == ["fail", "inconclusive", None]
    by_name = {tc.get("name"): tc for tc in cases.findall("testcase")}
    assert set(by_name) == {EVIL.replace("\x07", "\\x07"), "deny-1"}  # a missed expectation is not a failure
    timeout_case = by_name[EVIL.replace("\x07", "\\x07")]
    assert timeout_case.get("time") == "30.000"
    assert timeout_case.find("failure").get("type") == "timeout"
    assert "<script>" in timeout_case.find("failure").get("message")  # kept as text, escaped in the file
    assert "<script>" not in out.read_text(encoding="utf-8")
    assert by_name["deny-1"].find("failure").get("type") == "governance_deny"


def test_junit_falls_back_to_verdict_failed_cases(tmp_path: Path) -> None:
    out = github.write_junit(make_verdict(), tmp_path / "absent.jsonl", tmp_path / "j.xml")
    cases = ET.parse(out).getroot().findall("testsuite")[1]
    assert cases.get("tests") == "1"
    assert cases.find("testcase/failure").get("type") == "timeout"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {
                "GITHUB_SHA": "f" * 40,
                "GITHUB_REF": "refs/pull/17/merge",
                "GITHUB_REF_NAME": "17/merge",
                "GITHUB_HEAD_REF": "feature/faster",
            },
            {
                "gatekit.git_commit": "f" * 40,
                "mlflow.source.git.commit": "f" * 40,
                "gatekit.pr_number": "17",
                "gatekit.git_branch": "feature/faster",
                "mlflow.source.git.branch": "feature/faster",
            },
        ),
        (
            {
                "GITHUB_SHA": "a" * 40,
                "GITHUB_REF": "refs/heads/main",
                "GITHUB_REF_NAME": "main",
                "GITHUB_HEAD_REF": "",
            },
            {
                "gatekit.git_commit": "a" * 40,
                "mlflow.source.git.commit": "a" * 40,
                "gatekit.git_branch": "main",
                "mlflow.source.git.branch": "main",
            },
        ),
        ({}, {}),
    ],
)
def test_ci_tags(env: dict[str, str], expected: dict[str, str]) -> None:
    assert github.ci_tags(env) == expected


def test_ci_tags_run_url() -> None:
    tags = github.ci_tags({"GITHUB_SERVER_URL": "https://github.com", "GITHUB_REPOSITORY": "a/b", "GITHUB_RUN_ID": "9"})
    assert tags == {
        "gatekit.git_repository": "a/b",
        "gatekit.ci_run_url": "https://github.com/a/b/actions/runs/9",
    }
