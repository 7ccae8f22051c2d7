"""Markdown summaries: of a gate verdict (the GitHub step summary, a PR comment) and of a drift report.

Every agent-controlled value is escaped (``gatekit.report.text``); lists are bounded so
the summary stays far below GitHub's 1 MiB limit.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gatekit.fmt import noun
from gatekit.pipeline.model import LabelledQuality, LabelledRate, Verdict
from gatekit.report.text import check_digits, format_value, interval_text, limit_text, md_escape, visible_controls

_MAX_ROWS = 50
_MAX_CELL_CHARS = 300
# GitHub drops a step's summary over 1 MiB; escaping grows a 300-character cell up to 8x ("@" -> "@&#8203;")
MAX_SUMMARY_BYTES = 512 * 1024
_VERDICT_BADGE = {"pass": "✅ PASS", "fail": "❌ FAIL", "inconclusive": "⚠️ INCONCLUSIVE"}
_STATUS_BADGE = {"pass": "✅ pass", "fail": "❌ fail", "inconclusive": "⚠️ inconclusive"}
_ORDER = {"fail": 0, "inconclusive": 1, "pass": 2}
# the exit codes a verdict itself maps to (pass 0, fail 1, inconclusive 4); anything else is a run-level error
_VERDICT_EXITS = (None, 0, 1, 4)


def _code(value: object) -> str:
    # inside `code` spans only the backtick matters; drop it and line breaks (controls, bidi, surrogates escaped)
    text = visible_controls(" ".join(str(value).split()).replace("`", "'"))
    return text if len(text) <= _MAX_CELL_CHARS else text[: _MAX_CELL_CHARS - 1] + "…"


def _url(value: str) -> str:
    return value.replace(" ", "%20").replace(")", "%29").replace("(", "%28")


def _rate_cell(rate: LabelledRate) -> str:
    if rate.rate is None:
        return "unknown: none labelled"
    interval = f" [{format_value(rate.ci[0], 'fraction')}, {format_value(rate.ci[1], 'fraction')}]" if rate.ci else ""
    return f"{format_value(rate.rate, 'fraction')}{interval} · {rate.hits} of {rate.n}"


def _labelled_lines(quality: LabelledQuality) -> list[str]:
    """Policy quality on labelled cases: block rate on violations and false-positive rate on benign ones, per rule."""
    lines = [
        "### Policy quality on labelled cases",
        "",
        f"{quality.labelled} {noun(quality.labelled, 'case states', 'cases state')} `expected.governance`: "
        f"{quality.violations} {noun(quality.violations, 'violation')}, {quality.benign} "
        f"benign{f', {quality.unjudged} not judged (the agent failed)' if quality.unjudged else ''}; "
        f"{round(quality.level * 100)}% Wilson intervals.",
        "",
        "| rule | violations blocked | benign blocked (false positives) |",
        "|---|---|---|",
        f"| **policy** | {_rate_cell(quality.violation_block_rate)} | {_rate_cell(quality.false_positive_rate)} |",
    ]
    for name, rule in sorted(quality.by_rule.items())[:_MAX_ROWS]:
        lines.append(
            f"| {md_escape(name)} | {_rate_cell(rule.violation_block_rate)} | {_rate_cell(rule.false_positive_rate)} |"
        )
    lines.append("")
    return lines


def mlflow_run_url(verdict: Verdict) -> str | None:
    """Link to the run in the MLflow UI when the tracking URI is a server, else ``None``."""
    info = verdict.mlflow
    uri = info.tracking_uri or ""
    if not (uri.startswith(("http://", "https://")) and info.run_id and info.experiment_id is not None):
        return None
    return f"{uri.rstrip('/')}/#/experiments/{info.experiment_id}/runs/{info.run_id}"


def render_summary(verdict: Verdict, env: Mapping[str, str] | None = None) -> str:
    """Render the markdown summary of one gate verdict."""
    from gatekit.redact import display_spec

    env = env if env is not None else {}
    badge = _VERDICT_BADGE.get(verdict.verdict, f"🛑 {md_escape(verdict.verdict.upper())}")
    if verdict.exit_code not in _VERDICT_EXITS:
        # MLflow down, a promotion refused, an output not written, a stop: the step fails whatever the checks say,
        # so the headline does not read green (the checks' verdict stays visible after it)
        badge = f"🛑 ERROR (exit code {verdict.exit_code}) · checks {badge}"
    lines: list[str] = [f"## gatekit {md_escape(verdict.kind)}: {badge}", ""]
    facts = [
        f"candidate `{_code(display_spec(verdict.candidate.spec))}`",
        f"{verdict.dataset.cases} {noun(verdict.dataset.cases, 'case')}",
    ]
    if verdict.exit_code is not None:
        facts.append(f"exit code {verdict.exit_code}")
    lines += [" · ".join(facts), ""]

    if verdict.reasons:
        lines.append("**Why:**")
        lines += [f"- {md_escape(r)}" for r in verdict.reasons[:_MAX_ROWS]]
        if len(verdict.reasons) > _MAX_ROWS:
            lines.append(f"- … and {len(verdict.reasons) - _MAX_ROWS} more")
        lines.append("")

    checks = sorted(verdict.checks, key=lambda c: _ORDER.get(c.status, 3))
    if checks:
        # failing checks first, then inconclusive, then passing: the reader sees why in one screen
        lines += ["### Checks", "", "| check | value | limit | interval | status |", "|---|---:|---:|---|---|"]
        for check in checks[:_MAX_ROWS]:
            interval = interval_text(check)
            if check.straddles:
                interval += " (straddles the limit)"
            lines.append(
                f"| {md_escape(check.name)} | {md_escape(format_value(check.value, check.unit, check_digits(check)))} | {md_escape(limit_text(check))} | {md_escape(interval)} | {_STATUS_BADGE.get(check.status, md_escape(check.status))} |"
            )
        if len(checks) > _MAX_ROWS:
            lines.append(f"\n… {len(checks) - _MAX_ROWS} more checks in verdict.json")
        lines.append("")

    governance = verdict.governance
    if governance.outcomes:
        lines += ["### Governance", ""]
        policy = governance.policy
        if policy is not None:
            lines += [
                f"policy `{_code(policy.id)}` version `{_code(policy.version)}` sha256 `{_code(policy.sha256[:12])}`",
                "",
            ]
        lines += ["| outcome | cases |", "|---|---:|"]
        for name in ("allow", "allow_with_redaction", "require_review", "deny"):
            if name in governance.outcomes:
                lines.append(f"| {name} | {int(governance.outcomes[name])} |")
        if governance.errored:
            lines.append(f"| errored (no response to judge) | {governance.errored} |")
        if governance.denied_cases:
            lines += ["", "| denied case | reasons |", "|---|---|"]
            for row in governance.denied_cases[:_MAX_ROWS]:
                lines.append(f"| {md_escape(row.case_id)} | {md_escape('; '.join(row.reasons))} |")
        lines.append("")
    if governance.labelled is not None:
        lines += _labelled_lines(governance.labelled)

    drift = verdict.drift
    if isinstance(drift, Mapping):
        lines += ["### Drift", "", "Drift detected." if drift.get("drift") else "No drift detected."]
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

    if verdict.failed_cases:
        lines += ["### Failed cases", ""]
        if verdict.errors.dominant is not None:
            lines += [f"Most failed the same way: {md_escape(verdict.errors.dominant.describe())}", ""]
        lines += ["| case | error | message |", "|---|---|---|"]
        for row in verdict.failed_cases[:_MAX_ROWS]:
            lines.append(
                f"| {md_escape(row.case_id)} | {md_escape(row.error_type or '')} | {md_escape(row.error_message or '')} |"
            )
        if len(verdict.failed_cases) > _MAX_ROWS:
            lines.append(f"\n… {len(verdict.failed_cases) - _MAX_ROWS} more in results.jsonl")
        lines.append("")

    promotion = verdict.promotion
    if promotion is not None and promotion.model:
        lines += ["### Promotion", "", md_escape(promotion.message or promotion.action), ""]

    lines += ["### Report", "", f"- files: `{_code(verdict.out_dir)}` (report.html, verdict.json, results.jsonl)"]
    if env.get("GITHUB_SERVER_URL") and env.get("GITHUB_REPOSITORY") and env.get("GITHUB_RUN_ID"):
        run_url = f"{env['GITHUB_SERVER_URL']}/{env['GITHUB_REPOSITORY']}/actions/runs/{env['GITHUB_RUN_ID']}"
        lines.append(f"- workflow artifact: [run artifacts]({_url(run_url)}#artifacts)")
    url = mlflow_run_url(verdict)
    info = verdict.mlflow
    if url:
        lines.append(f"- MLflow run: [{md_escape(info.run_id)}]({_url(url)})")
    elif info.run_id:
        lines.append(f"- MLflow run id: `{_code(info.run_id)}`")
    if info.error:
        lines.append(f"- MLflow error: {md_escape(info.error)}")
    lines.append("")
    return bounded("\n".join(lines))


def bounded(text: str, limit: int = MAX_SUMMARY_BYTES) -> str:
    """``text`` cut on a line boundary to at most ``limit`` UTF-8 bytes, with a last line saying so."""
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    note = (
        "\n\n… summary cut at 512 KiB (GitHub keeps at most 1 MiB per step); verdict.json and report.html hold it all\n"
    )
    head = data[: limit - len(note.encode("utf-8"))].decode("utf-8", "ignore")
    return head.rsplit("\n", 1)[0] + note


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
    return bounded("\n".join(lines))
