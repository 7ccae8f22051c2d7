"""attack18c: the step summary had no bound of its own, only per-row and per-cell ones measured in raw characters.

Escaping grows a cell: ``@`` becomes ``@&#8203;`` (8 bytes), a bidi control ``\\\\u202e`` (7), so a verdict whose
case ids, error messages, denied reasons and drift feature names are all such characters rendered a summary of
0.88 MiB, close to GitHub's 1 MiB per step (over it, GitHub drops the summary), and a second summary appended in
the same step (``gatekit drift``) could pass it. ``render_summary`` now cuts at 512 KiB on a line boundary and
says so; the PR comment (GitHub refuses bodies over 65,536 characters) is cut on a line boundary too.
"""

from __future__ import annotations

from typing import Any

from conftest import verdict_data

from gatekit.pipeline.model import Verdict
from gatekit.report.markdown import MAX_SUMMARY_BYTES, render_summary
from gatekit.sinks.pr_comment import MAX_BODY_CHARS, comment_body


def _hostile_verdict(char: str) -> Verdict:
    failed = {"case_id": "", "error_type": char * 300, "error_message": char * 3000, "attempts": 1}
    data: dict[str, Any] = {
        **verdict_data(),
        "command": "eval",
        "verdict": "fail",
        "exit_code": 1,
        "reasons": [char * 3000] * 100,
        "candidate": {"spec": "python:agent:run"},
        "dataset": {"path": "d.jsonl", "format": "jsonl", "cases": 100, "sha256": "ab" * 32},
        "gatekit_version": "0.0.0",
        "started_at": "2026-12-07T08:00:00+00:00",
        "out_dir": "out",
        "failed_cases": [{**failed, "case_id": char * 250 + str(i)} for i in range(100)],
        "governance": {
            "policy": {"id": "default", "version": "1", "sha256": "cd" * 32},
            "outcomes": {"allow": 0, "allow_with_redaction": 0, "require_review": 0, "deny": 100},
            "denied_cases": [{"case_id": char * 250 + str(i), "reasons": [char * 3000] * 5} for i in range(100)],
        },
        "drift": {
            "drift": True,
            "features": [{"name": char * 300, "test": char * 300, "statistic": 1.0, "p_value": 0.1, "drift": True}]
            * 100,
        },
    }
    return Verdict.model_validate(data)


def test_the_summary_stays_under_its_bound_and_says_it_was_cut() -> None:
    for char in ("@", "\u202e", "<"):
        text = render_summary(_hostile_verdict(char))
        size = len(text.encode("utf-8"))
        assert size <= MAX_SUMMARY_BYTES, (char, size)
        assert MAX_SUMMARY_BYTES <= 512 * 1024
        table_rows = [line for line in text.splitlines() if line.startswith("|")]
        assert table_rows and all(line.endswith("|") for line in table_rows)  # no row cut in half
        if char != "<":
            assert "summary cut at 512 KiB" in text.splitlines()[-1], text[-300:]


def test_a_small_summary_is_not_touched() -> None:
    verdict = _hostile_verdict("x")
    text = render_summary(verdict.model_copy(update={"failed_cases": verdict.failed_cases[:2]}))
    assert "summary cut" not in text


def test_the_pr_comment_is_cut_on_a_line_boundary() -> None:
    summary = "\n".join(f"| row {i} | " + "@&#8203;" * 40 + " |" for i in range(400))
    body = comment_body(summary)
    assert len(body) <= MAX_BODY_CHARS
    lines = body.splitlines()
    assert lines[-1].startswith("… (cut")
    assert all(line.endswith("|") for line in lines if line.startswith("|"))
