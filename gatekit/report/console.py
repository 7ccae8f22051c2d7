"""The terminal summary of a gate verdict: the verdict line, then what did not pass, governance, files.

Agent-controlled text is made inert for a terminal or CI log (``plain_text``).
"""

from __future__ import annotations

import os

from gatekit.fmt import noun
from gatekit.pipeline.model import CheckResult, Verdict
from gatekit.report.text import interval_text, one_line, plain_text
from gatekit.verdict import describe


def run_error(verdict: Verdict) -> bool:
    """The run exits 2, 3 or 130 after its verdict (MLflow down, a promotion refused, a file not written, a stop)."""
    return verdict.exit_code not in (None, 0, 1, 4)


def verdict_line(verdict: Verdict, word: str | None = None) -> str:
    """``PASS  eval <candidate> (30 cases, exit 0)``; ``word`` is the (coloured) verdict word.

    A run that exits 2, 3 or 130 after its verdict is ``ERROR  ... (30 cases, exit 3; checks PASS)``: it read
    ``PASS`` first.
    """
    cases = verdict.metrics.get("cases", verdict.dataset.cases)
    failed = run_error(verdict)
    shown = word if word is not None else ("ERROR" if failed else verdict.verdict.upper())
    checks = f"; checks {verdict.verdict.upper()}" if failed else ""
    return (
        f"{shown}  {verdict.command} {plain_text(verdict.candidate.spec, 500)} "
        f"({cases} {noun(cases, 'case')}, exit {verdict.exit_code}{checks})"
    )


def check_line(check: CheckResult) -> str:
    """One check as a line; a passing check whose interval straddles its limit says so."""
    text = describe(check.to_check())
    if check.status == "pass" and check.straddles:
        text += f": interval {interval_text(check)} straddles the limit (the measured value decided)"
    return text


def summary_lines(verdict: Verdict, *, quiet: bool = False) -> list[str]:
    """Lines after the verdict line: promotion first (when it applies or was asked for), then the details.

    A promotion skipped because the candidate is no registered model (a python:, http: or cmd: agent) is
    recorded in verdict.json but not printed unless ``--alias`` / ``--dry-run`` asked for one.
    """
    lines: list[str] = []
    promotion = verdict.promotion
    shown = promotion is not None and (
        promotion.requested or promotion.model is not None or promotion.action != "skipped"
    )
    if verdict.command == "promote" and promotion is not None and shown:
        lines.append(f"  PROMOTION    {plain_text(promotion.message or promotion.action, 2000)}")
    if quiet:
        return lines
    if verdict.errors.dominant is not None:
        lines.append(f"  ERRORS       {plain_text(verdict.errors.dominant.describe(), 2000)}")
    for check in verdict.checks:
        if check.status != "pass":
            lines.append(f"  {check.status.upper():<12} {plain_text(check_line(check), 2000)}")
        elif check.straddles:
            lines.append(f"  {'PASS?':<12} {plain_text(check_line(check), 2000)}")
    if verdict.mlflow.error:
        lines.append(f"  MLFLOW       {plain_text(verdict.mlflow.error, 2000)}")
    g = verdict.governance.outcomes
    metrics = verdict.metrics
    lat = metrics.get("latency_p95_ms")
    governance = (
        f"governance allow {g.get('allow', 0)}, redacted {g.get('allow_with_redaction', 0)}, "
        f"review {g.get('require_review', 0)}, deny {g.get('deny', 0)}"
    )
    if verdict.governance.errored:
        governance += f", errored {verdict.governance.errored} (no response to judge)"
    lines.append(
        f"  latency p95 {'—' if lat is None else f'{lat:.1f} ms'} · errors {metrics.get('errors')}/{metrics.get('cases')}"
        f" · {governance}"
    )
    # one line each: a line break in --out or the tracking URI must not start a log line (``::error::``) of its own
    lines.append(f"  report {one_line(os.path.join(verdict.out_dir, 'report.html'))}")
    if verdict.mlflow.run_id:
        lines.append(f"  MLflow run {one_line(verdict.mlflow.run_id)} at {one_line(str(verdict.mlflow.tracking_uri))}")
    elif verdict.mlflow.skipped:
        lines.append("  MLflow       not logged (--no-mlflow)")
    return lines
