"""GitHub Actions sink: publishes a verdict as step summary, annotations and step outputs; CI tags for MLflow.

Rendering lives in ``gatekit.report`` (markdown summary, JUnit XML, escaping); this module
only writes what they render to the places GitHub Actions reads. The old names
(``render_summary``, ``write_junit``, ``md_escape`` ...) are re-exported here.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

from gatekit.pipeline.model import Verdict
from gatekit.report.junit import write_junit
from gatekit.report.markdown import mlflow_run_url, render_drift_summary, render_summary
from gatekit.report.text import (
    check_sentence,
    command_data_escape,
    command_property_escape,
    format_value,
    md_escape,
    plain_text,
    xml_text,
)

__all__ = [
    "annotation_lines",
    "ci_tags",
    "command_data_escape",
    "command_property_escape",
    "format_value",
    "md_escape",
    "mlflow_run_url",
    "plain_text",
    "publish",
    "publish_drift_summary",
    "publish_error",
    "render_summary",
    "step_outputs",
    "write_junit",
    "xml_text",
]

_MAX_ROWS = 50
_MAX_ANNOTATIONS = 20


# ---------------------------------------------------------------------------------------------
# drift summary (gatekit drift): rendered by gatekit.report.markdown
# ---------------------------------------------------------------------------------------------


def publish_drift_summary(report: Mapping[str, Any], exit_code: int, env: Mapping[str, str] = os.environ) -> bool:
    """Append the drift summary (``gatekit.report.markdown.render_drift_summary``) to ``$GITHUB_STEP_SUMMARY`` under GitHub Actions."""
    path = env.get("GITHUB_STEP_SUMMARY")
    if str(env.get("GITHUB_ACTIONS", "")).lower() != "true" or not path:
        return False
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(render_drift_summary(report, exit_code) + "\n")
    except OSError:
        return False
    return True


# ---------------------------------------------------------------------------------------------
# annotations and outputs
# ---------------------------------------------------------------------------------------------


def annotation_lines(verdict: Verdict) -> list[str]:
    """Workflow-command lines: ``::error`` per failed check, ``::warning`` per inconclusive one."""
    out: list[str] = []
    for check in verdict.checks:
        level = {"fail": "error", "inconclusive": "warning"}.get(check.status)
        if level is None:
            continue
        title = command_property_escape(f"gatekit {check.status}: {check.name}")
        out.append(f"::{level} title={title}::{command_data_escape(check_sentence(check))}")
    if len(out) > _MAX_ANNOTATIONS:
        # GitHub shows at most 10 errors per step anyway; keep the log readable
        extra = len(out) - _MAX_ANNOTATIONS
        out = out[:_MAX_ANNOTATIONS] + [f"::warning title=gatekit::{extra} more checks did not pass; see verdict.json"]
    verdict_status = verdict.verdict
    if not out and verdict_status in {"fail", "inconclusive"}:
        level = "error" if verdict_status == "fail" else "warning"
        reasons = "; ".join(verdict.reasons) or verdict_status
        out.append(f"::{level} title=gatekit {verdict_status}::{command_data_escape(reasons)}")
    if verdict.exit_code not in (None, 0, 1, 4):
        # exit 2 / 3 / 130 after the verdict (MLflow down, a promotion refused, an output not written): the step
        # fails though the checks may all pass; one ::error says why (the last reason is the run-level one)
        why = verdict.reasons[-1] if verdict.reasons else "the run did not finish"
        title = command_property_escape(f"gatekit exit {verdict.exit_code}")
        out.append(
            f"::error title={title}::{command_data_escape(f'exit code {verdict.exit_code} (verdict {verdict_status}): {why}')}"
        )
    return out


def step_outputs(verdict: Verdict) -> dict[str, str]:
    """The values written to ``$GITHUB_OUTPUT``."""
    return {
        "verdict": verdict.verdict,
        "run_id": verdict.mlflow.run_id or "",
        "report_path": str(Path(verdict.out_dir) / "report.html") if verdict.out_dir else "",
        "exit_code": "" if verdict.exit_code is None else str(verdict.exit_code),
    }


def write_outputs(path: str, values: Mapping[str, str]) -> None:
    """Append step outputs to ``$GITHUB_OUTPUT``; a value with a line break goes in a ``key<<delimiter`` block.

    Written as ``key=value``, such a value would add output lines of its own (a later ``decision=`` wins).
    """
    with open(path, "a", encoding="utf-8") as fh:
        for key, value in values.items():
            if "\n" in value or "\r" in value:
                delimiter = f"ghadelimiter_{uuid.uuid4()}"
                fh.write(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                fh.write(f"{key}={value}\n")


def publish(verdict: Verdict, env: Mapping[str, str] = os.environ, stream: TextIO | None = None) -> bool:
    """Publish a verdict to GitHub Actions when ``GITHUB_ACTIONS=true``; return whether it did.

    Appends the markdown summary to ``$GITHUB_STEP_SUMMARY``, prints ``::error`` /
    ``::warning`` annotations to ``stream`` (stdout) and writes ``verdict``, ``run_id``,
    ``report_path`` and ``exit_code`` to ``$GITHUB_OUTPUT``. Never raises on an
    unwritable summary file: the gate's exit code, not the summary, blocks the deploy.
    """
    if str(env.get("GITHUB_ACTIONS", "")).lower() != "true":
        return False
    stream = stream if stream is not None else sys.stdout
    for line in annotation_lines(verdict):
        print(line, file=stream)
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        try:
            with open(summary_path, "a", encoding="utf-8") as fh:
                fh.write(render_summary(verdict, env) + "\n")
        except OSError as exc:
            print(
                f"::warning title=gatekit::cannot write the step summary ({command_data_escape(exc)})",
                file=stream,
            )
    output_path = env.get("GITHUB_OUTPUT")
    if output_path:
        try:
            write_outputs(output_path, step_outputs(verdict))
        except OSError as exc:
            print(
                f"::warning title=gatekit::cannot write step outputs ({command_data_escape(exc)})",
                file=stream,
            )
    stream.flush()
    return True


def publish_error(
    message: str, exit_code: int, env: Mapping[str, str] = os.environ, stream: TextIO | None = None
) -> bool:
    """Publish a run that ended without a verdict (exit 2 bad input, 3 internal/infrastructure error).

    One ``::error`` annotation, a one-paragraph step summary and the step outputs (``verdict``
    empty, ``exit_code`` set), when ``GITHUB_ACTIONS=true``; return whether it did.
    """
    if str(env.get("GITHUB_ACTIONS", "")).lower() != "true":
        return False
    from gatekit.redact import scrub_message

    # the last guard of what reaches the job log and the summary: a caller passing an error's raw text (a path or a
    # production value holding a token) must not get it published where the console showed it scrubbed
    message = scrub_message(message)
    stream = stream if stream is not None else sys.stdout
    print(f"::error title=gatekit::{command_data_escape(message)}", file=stream)
    summary_path = env.get("GITHUB_STEP_SUMMARY")
    if summary_path:
        with contextlib.suppress(OSError):
            with open(summary_path, "a", encoding="utf-8") as fh:
                fh.write(f"## gatekit: 🛑 ERROR (exit code {exit_code})\n\n{md_escape(message, 2000)}\n\n")
    output_path = env.get("GITHUB_OUTPUT")
    if output_path:
        try:
            write_outputs(output_path, {"verdict": "", "run_id": "", "report_path": "", "exit_code": str(exit_code)})
        except OSError as exc:
            print(f"::warning title=gatekit::cannot write step outputs ({command_data_escape(exc)})", file=stream)
    stream.flush()
    return True


# ---------------------------------------------------------------------------------------------
# CI tags for MLflow runs
# ---------------------------------------------------------------------------------------------

_PR_REF = re.compile(r"^refs/pull/(\d+)/(?:merge|head)$")


def ci_tags(env: Mapping[str, str] = os.environ) -> dict[str, str]:
    """Tags that make a run findable by commit, branch and pull request (GitHub Actions env).

    ``gatekit.git_commit`` (GITHUB_SHA), ``gatekit.git_branch`` (GITHUB_HEAD_REF on pull
    requests, else GITHUB_REF_NAME), ``gatekit.pr_number`` (from ``refs/pull/N/merge``),
    ``gatekit.ci_run_url``, plus MLflow's own ``mlflow.source.git.commit`` /
    ``mlflow.source.git.branch`` so the UI shows them. Empty outside CI.
    """
    tags: dict[str, str] = {}
    sha = env.get("GITHUB_SHA", "").strip()
    if sha:
        tags["gatekit.git_commit"] = sha
        tags["mlflow.source.git.commit"] = sha
    branch = env.get("GITHUB_HEAD_REF", "").strip() or env.get("GITHUB_REF_NAME", "").strip()
    match = _PR_REF.match(env.get("GITHUB_REF", "").strip())
    if match:
        tags["gatekit.pr_number"] = match.group(1)
        if not env.get("GITHUB_HEAD_REF", "").strip():
            branch = ""  # GITHUB_REF_NAME is "N/merge" on pull requests, not a branch
    if branch:
        tags["gatekit.git_branch"] = branch
        tags["mlflow.source.git.branch"] = branch
    if env.get("GITHUB_REPOSITORY"):
        tags["gatekit.git_repository"] = env["GITHUB_REPOSITORY"]
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY") and env.get("GITHUB_RUN_ID"):
        tags["gatekit.ci_run_url"] = (
            f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
        )
    return tags
