"""GitHub Actions sink: step summary, annotations, step outputs, JUnit XML and CI tags.

Everything here works on the saved verdict dict (``verdict.json``) so it can run
after the gate, and again from a saved file. Agent-controlled text (case ids,
error messages, reasons) is untrusted: it is escaped for markdown, for workflow
commands and for XML before it leaves this module.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import re
import sys
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from pathlib import Path
from typing import Any, TextIO

# GitHub refuses step summaries over 1 MiB; stay well below with bounded lists.
_MAX_ROWS = 50
_MAX_CELL_CHARS = 300
_MAX_ANNOTATIONS = 20

_VERDICT_BADGE = {
    "pass": "✅ PASS",
    "fail": "❌ FAIL",
    "inconclusive": "⚠️ INCONCLUSIVE",
}
_STATUS_BADGE = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "⚠️ inconclusive"}

# ---------------------------------------------------------------------------------------------
# escaping
# ---------------------------------------------------------------------------------------------

# Backslash-escape every punctuation mark that can start markup inside a line (links, emphasis,
# code, tables, autolinks, @mentions); line-start-only markers (#, -, +, >) cannot occur mid-cell.
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()!|~:@$])")
# XML 1.0 forbids most C0 controls (and lone surrogates / U+FFFE / U+FFFF) even when escaped.
# C0/C1 controls (newlines, ESC for terminal sequences) and Unicode line/paragraph separators
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u0085]")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def md_escape(value: object, limit: int = _MAX_CELL_CHARS) -> str:
    """Escape ``value`` so it renders as literal text inside a GitHub markdown table cell.

    HTML is neutralised (GitHub renders inline HTML in summaries), markdown punctuation is
    backslash-escaped, and line breaks become spaces so a cell stays one row.
    """
    text = " ".join(str(value).split())
    text = _truncate(text, limit)
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)  # ESC, BEL ...
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    # '>' is already an entity; escape the rest of the markdown punctuation.
    return _MD_SPECIAL.sub(r"\\\1", text)


def plain_text(value: object, limit: int = _MAX_CELL_CHARS) -> str:
    r"""Return ``value`` as inert one-line text for a terminal or a CI job log.

    Control characters (line breaks, ANSI escapes) are shown as backslash escapes (``\n``), so
    untrusted text cannot start a new log line, and ``::`` is percent-encoded, so it cannot
    form a GitHub workflow command (``::add-mask::``, ``::stop-commands::``) either.
    """
    text = _truncate(str(value), limit)
    text = _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)
    return text.replace("::", "%3A%3A")


def command_data_escape(value: object) -> str:
    """Escape the message part of a workflow command (``::error ...::MESSAGE``)."""
    return str(value).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def command_property_escape(value: object) -> str:
    """Escape a property value of a workflow command (``title=...``, ``file=...``)."""
    return command_data_escape(value).replace(":", "%3A").replace(",", "%2C")


def xml_text(value: object, limit: int = 4000) -> str:
    """Return ``value`` as text that is legal in XML 1.0 (ElementTree escapes ``<&"`` itself)."""
    return _XML_INVALID.sub("\ufffd", _truncate(str(value), limit))


# ---------------------------------------------------------------------------------------------
# formatting
# ---------------------------------------------------------------------------------------------


def format_value(value: object, unit: str = "") -> str:
    """Format a check value or limit for people: 4 significant digits, unit appended."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        text = str(value).lower()
    elif isinstance(value, int):
        text = str(value)
    elif isinstance(value, float):
        if math.isnan(value):
            return "n/a"
        text = f"{value:.4g}"
    else:
        text = str(value)
    if unit and unit not in {"count", "ratio", "fraction"}:
        return f"{text} {unit}" if unit.isalpha() and len(unit) > 2 else f"{text}{unit}"
    return text


def _interval(check: Mapping[str, Any]) -> str:
    interval = check.get("interval")
    if not interval or len(interval) != 2:
        return ""
    unit = str(check.get("unit") or "")
    return f"[{format_value(interval[0], unit)}, {format_value(interval[1], unit)}]"


def _limit(check: Mapping[str, Any]) -> str:
    op = str(check.get("op") or "")
    limit = format_value(check.get("limit"), str(check.get("unit") or ""))
    return f"{op} {limit}".strip() if check.get("limit") is not None else "—"


def _check_sentence(check: Mapping[str, Any]) -> str:
    """One line describing a check: its message if any, else ``name value op limit``."""
    message = str(check.get("message") or "").strip()
    if message:
        return message
    unit = str(check.get("unit") or "")
    value = format_value(check.get("value"), unit)
    return f"{check.get('name')} = {value} (limit {_limit(check)})"


# ---------------------------------------------------------------------------------------------
# markdown step summary
# ---------------------------------------------------------------------------------------------


def mlflow_run_url(verdict: Mapping[str, Any]) -> str | None:
    """Link to the run in the MLflow UI when the tracking URI is a server, else ``None``."""
    info = verdict.get("mlflow") or {}
    uri = str(info.get("tracking_uri") or "")
    run_id, experiment_id = info.get("run_id"), info.get("experiment_id")
    if not (uri.startswith(("http://", "https://")) and run_id and experiment_id is not None):
        return None
    return f"{uri.rstrip('/')}/#/experiments/{experiment_id}/runs/{run_id}"


def render_summary(verdict: Mapping[str, Any], env: Mapping[str, str] | None = None) -> str:
    """Render the markdown step summary for one verdict (gate or drift)."""
    env = env if env is not None else {}
    kind = str(verdict.get("kind") or "gate")
    status = str(verdict.get("verdict") or "error")
    badge = _VERDICT_BADGE.get(status, f"🛑 {md_escape(status.upper())}")
    candidate = (verdict.get("candidate") or {}).get("spec")
    if candidate:
        from gatekit.redact import display_spec

        candidate = display_spec(str(candidate))
    lines: list[str] = [f"## gatekit {md_escape(kind)}: {badge}", ""]
    facts = []
    if candidate:
        facts.append(f"candidate `{_code(candidate)}`")
    dataset = verdict.get("dataset") or {}
    if dataset.get("cases") is not None:
        facts.append(f"{dataset.get('cases')} cases")
    if verdict.get("exit_code") is not None:
        facts.append(f"exit code {verdict.get('exit_code')}")
    if facts:
        lines += [" · ".join(facts), ""]

    reasons = [str(r) for r in verdict.get("reasons") or []]
    if reasons:
        lines.append("**Why:**")
        lines += [f"- {md_escape(r)}" for r in reasons[:_MAX_ROWS]]
        if len(reasons) > _MAX_ROWS:
            lines.append(f"- … and {len(reasons) - _MAX_ROWS} more")
        lines.append("")

    checks = list(verdict.get("checks") or [])
    if checks:
        # failing checks first, then inconclusive, then passing: the reader sees why in one screen
        order = {"fail": 0, "inconclusive": 1, "pass": 2}
        checks.sort(key=lambda c: order.get(str(c.get("status")), 3))
        lines += [
            "### Checks",
            "",
            "| check | value | limit | interval | status |",
            "|---|---:|---:|---|---|",
        ]
        for check in checks[:_MAX_ROWS]:
            unit = str(check.get("unit") or "")
            lines.append(
                "| {} | {} | {} | {} | {} |".format(
                    md_escape(check.get("name")),
                    md_escape(format_value(check.get("value"), unit)),
                    md_escape(_limit(check)),
                    md_escape(_interval(check)),
                    _STATUS_BADGE.get(str(check.get("status")), md_escape(check.get("status"))),
                )
            )
        if len(checks) > _MAX_ROWS:
            lines.append(f"\n… {len(checks) - _MAX_ROWS} more checks in verdict.json")
        lines.append("")

    governance = verdict.get("governance") or {}
    outcomes = governance.get("outcomes") or {}
    if outcomes:
        lines += ["### Governance", ""]
        policy = governance.get("policy") or {}
        if policy.get("id"):
            sha = str(policy.get("sha256") or "")[:12]
            pid, version = _code(policy.get("id")), _code(policy.get("version"))
            lines += [f"policy `{pid}` version `{version}` sha256 `{_code(sha)}`", ""]
        lines += ["| outcome | cases |", "|---|---:|"]
        for name in ("allow", "allow_with_redaction", "require_review", "deny"):
            if name in outcomes:
                lines.append(f"| {name} | {int(outcomes[name])} |")
        denied = list(governance.get("denied_cases") or [])
        if denied:
            lines += ["", "| denied case | reasons |", "|---|---|"]
            for row in denied[:_MAX_ROWS]:
                reasons_text = "; ".join(str(r) for r in row.get("reasons") or [])
                lines.append(f"| {md_escape(row.get('case_id'))} | {md_escape(reasons_text)} |")
        lines.append("")

    drift = verdict.get("drift")
    if isinstance(drift, Mapping):
        lines += ["### Drift", ""]
        lines.append("Drift detected." if drift.get("drift") else "No drift detected.")
        features = [f for f in drift.get("features") or [] if isinstance(f, Mapping)]
        if features:
            lines += ["", "| feature | test | statistic | p-value | drift |", "|---|---|---:|---:|---|"]
            for feat in features[:_MAX_ROWS]:
                lines.append(
                    "| {} | {} | {} | {} | {} |".format(
                        md_escape(feat.get("name") or feat.get("feature")),
                        md_escape(feat.get("test") or ""),
                        md_escape(format_value(feat.get("statistic"))),
                        md_escape(format_value(feat.get("p_value"))),
                        "yes" if feat.get("drift") else "no",
                    )
                )
        lines.append("")

    failed = list(verdict.get("failed_cases") or [])
    if failed:
        lines += ["### Failed cases", "", "| case | error | message |", "|---|---|---|"]
        for row in failed[:_MAX_ROWS]:
            lines.append(
                f"| {md_escape(row.get('case_id'))} | {md_escape(row.get('error_type') or '')} "
                f"| {md_escape(row.get('error_message') or '')} |"
            )
        if len(failed) > _MAX_ROWS:
            lines.append(f"\n… {len(failed) - _MAX_ROWS} more in results.jsonl")
        lines.append("")

    promotion = verdict.get("promotion")
    if isinstance(promotion, Mapping) and promotion.get("model"):
        lines += ["### Promotion", "", md_escape(promotion.get("message") or json.dumps(promotion)), ""]

    lines += ["### Report", ""]
    out_dir = verdict.get("out_dir")
    if out_dir:
        lines.append(f"- files: `{_code(out_dir)}` (report.html, verdict.json, results.jsonl)")
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY") and env.get("GITHUB_RUN_ID"):
        run_url = f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
        lines.append(f"- workflow artifact: [run artifacts]({_url(run_url)}#artifacts)")
    url = mlflow_run_url(verdict)
    info = verdict.get("mlflow") or {}
    if url:
        lines.append(f"- MLflow run: [{md_escape(info.get('run_id'))}]({_url(url)})")
    elif info.get("run_id"):
        lines.append(f"- MLflow run id: `{_code(info.get('run_id'))}`")
    if info.get("error"):
        lines.append(f"- MLflow error: {md_escape(info.get('error'))}")
    lines.append("")
    return "\n".join(lines)


def render_drift_summary(report: Mapping[str, Any], exit_code: int) -> str:
    """Markdown step summary of a ``gatekit drift`` report; feature and category names are escaped."""
    status = "🔴 DRIFT" if report.get("drift") else "🟢 NO DRIFT"
    lines = [f"## gatekit drift: {status}", "", md_escape(report.get("reason") or "", 2000), ""]
    features = [f for f in report.get("features") or [] if isinstance(f, Mapping)]
    shown = [f for f in features if f.get("drifted") or f.get("significant")]
    if shown:
        lines += ["| feature | kind | effect | q-value | drifted | new categories |", "|---|---|---:|---:|---|---|"]
        for feat in shown[:_MAX_ROWS]:
            new = [str(c) for c in feat.get("new_categories") or []][:5]
            lines.append(
                "| {} | {} | {} | {} | {} | {} |".format(
                    md_escape(feat.get("name")),
                    md_escape(feat.get("kind") or ""),
                    md_escape(format_value(feat.get("effect_size"))),
                    md_escape(format_value(feat.get("q_value"))),
                    "yes" if feat.get("drifted") else "no",
                    md_escape(", ".join(new)),
                )
            )
        lines.append("")
    for skipped in (report.get("skipped") or [])[:_MAX_ROWS]:
        if isinstance(skipped, Mapping):
            lines.append(f"- skipped {md_escape(skipped.get('name'))}: {md_escape(skipped.get('reason'))}")
    lines += ["", f"Exit code {exit_code} (0 no drift, 1 drift, 2 bad input, 3 MLflow unreachable).", ""]
    return "\n".join(lines)


def publish_drift_summary(report: Mapping[str, Any], exit_code: int, env: Mapping[str, str] = os.environ) -> bool:
    """Append :func:`render_drift_summary` to ``$GITHUB_STEP_SUMMARY`` under GitHub Actions."""
    path = env.get("GITHUB_STEP_SUMMARY")
    if str(env.get("GITHUB_ACTIONS", "")).lower() != "true" or not path:
        return False
    try:
        with open(path, "a", encoding="utf-8") as fh:
            fh.write(render_drift_summary(report, exit_code) + "\n")
    except OSError:
        return False
    return True


def _code(value: object) -> str:
    # inside `code` spans only the backtick matters; drop it and line breaks
    return _truncate(" ".join(str(value).split()).replace("`", "'"), _MAX_CELL_CHARS)


def _url(value: str) -> str:
    return value.replace(" ", "%20").replace(")", "%29").replace("(", "%28")


# ---------------------------------------------------------------------------------------------
# annotations and outputs
# ---------------------------------------------------------------------------------------------


def annotation_lines(verdict: Mapping[str, Any]) -> list[str]:
    """Workflow-command lines: ``::error`` per failed check, ``::warning`` per inconclusive one."""
    out: list[str] = []
    thresholds = verdict.get("thresholds")
    file_prop = ""
    if isinstance(thresholds, Mapping) and thresholds.get("path"):
        file_prop = f"file={command_property_escape(thresholds['path'])},"
    for check in verdict.get("checks") or []:
        status = str(check.get("status"))
        level = {"fail": "error", "inconclusive": "warning"}.get(status)
        if level is None:
            continue
        title = command_property_escape(f"gatekit {status}: {check.get('name')}")
        out.append(f"::{level} {file_prop}title={title}::{command_data_escape(_check_sentence(check))}")
    if len(out) > _MAX_ANNOTATIONS:
        # GitHub shows at most 10 errors per step anyway; keep the log readable
        extra = len(out) - _MAX_ANNOTATIONS
        out = out[:_MAX_ANNOTATIONS] + [f"::warning title=gatekit::{extra} more checks did not pass; see verdict.json"]
    verdict_status = str(verdict.get("verdict") or "")
    if not out and verdict_status in {"fail", "inconclusive"}:
        level = "error" if verdict_status == "fail" else "warning"
        reasons = "; ".join(str(r) for r in verdict.get("reasons") or []) or verdict_status
        out.append(f"::{level} title=gatekit {verdict_status}::{command_data_escape(reasons)}")
    return out


def step_outputs(verdict: Mapping[str, Any]) -> dict[str, str]:
    """The values written to ``$GITHUB_OUTPUT``."""
    info = verdict.get("mlflow") or {}
    out_dir = str(verdict.get("out_dir") or "")
    report = str(Path(out_dir) / "report.html") if out_dir else ""
    return {
        "verdict": str(verdict.get("verdict") or ""),
        "run_id": str(info.get("run_id") or ""),
        "report_path": report,
        "exit_code": "" if verdict.get("exit_code") is None else str(verdict.get("exit_code")),
    }


def _write_outputs(path: str, values: Mapping[str, str]) -> None:
    with open(path, "a", encoding="utf-8") as fh:
        for key, value in values.items():
            if "\n" in value or "\r" in value:
                delimiter = f"ghadelimiter_{uuid.uuid4()}"
                fh.write(f"{key}<<{delimiter}\n{value}\n{delimiter}\n")
            else:
                fh.write(f"{key}={value}\n")


def publish(verdict: Mapping[str, Any], env: Mapping[str, str] = os.environ, stream: TextIO | None = None) -> bool:
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
            _write_outputs(output_path, step_outputs(verdict))
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
            _write_outputs(output_path, {"verdict": "", "run_id": "", "report_path": "", "exit_code": str(exit_code)})
        except OSError as exc:
            print(f"::warning title=gatekit::cannot write step outputs ({command_data_escape(exc)})", file=stream)
    stream.flush()
    return True


# ---------------------------------------------------------------------------------------------
# JUnit XML
# ---------------------------------------------------------------------------------------------


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


def write_junit(verdict: Mapping[str, Any], results_path: Path, out_path: Path) -> Path:
    """Write JUnit XML: one testcase per check and one per failed case; return ``out_path``.

    Failed checks and inconclusive checks are ``<failure>`` (inconclusive is never a
    pass); cases come from ``results_path`` (results.jsonl), or from the verdict's
    ``failed_cases`` when that file is missing.
    """
    kind = str(verdict.get("kind") or "gate")
    root = ET.Element("testsuites", name=f"gatekit {kind}")

    checks_suite = ET.SubElement(root, "testsuite", name=f"gatekit.{kind}.checks")
    n_checks = n_check_failures = 0
    for check in verdict.get("checks") or []:
        n_checks += 1
        case = ET.SubElement(
            checks_suite,
            "testcase",
            classname=f"gatekit.{kind}.checks",
            name=xml_text(check.get("name"), 200),
        )
        status = str(check.get("status"))
        sentence = xml_text(_check_sentence(check))
        if status != "pass":
            n_check_failures += 1
            failure = ET.SubElement(case, "failure", message=sentence, type=xml_text(status, 50))
            failure.text = xml_text(json.dumps(check, default=str, ensure_ascii=False))
        else:
            ET.SubElement(case, "system-out").text = sentence
    checks_suite.set("tests", str(n_checks))
    checks_suite.set("failures", str(n_check_failures))
    checks_suite.set("errors", "0")
    checks_suite.set("skipped", "0")

    cases_suite = ET.SubElement(root, "testsuite", name=f"gatekit.{kind}.cases")
    from gatekit.results import read_result_rows

    rows = read_result_rows(Path(results_path))
    failed: list[tuple[str, float | None, str, str]] = []
    if rows:
        for row in rows:
            found = _case_failure(row)
            if found is None:
                continue
            case_id = str(row.get("case_id"))
            if row.get("repeat"):
                case_id = f"{case_id}#{row.get('repeat')}"
            latency = row.get("latency_ms")
            failed.append((case_id, latency if isinstance(latency, int | float) else None, *found))
    else:
        for row in verdict.get("failed_cases") or []:
            failed.append(
                (
                    str(row.get("case_id")),
                    None,
                    str(row.get("error_type") or "error"),
                    str(row.get("error_message") or ""),
                )
            )
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

    root.set("tests", str(n_checks + len(failed)))
    root.set("failures", str(n_check_failures + len(failed)))
    root.set("errors", "0")
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
