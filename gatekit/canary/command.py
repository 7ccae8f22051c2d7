"""``run_canary``: the library entry point behind ``gatekit canary`` (judge, then publish).

Judge with :func:`gatekit.canary.core.analyse`, then write ``canary.json`` + ``canary.html`` to
``out``, log one MLflow run (tag ``gatekit.kind=canary``) and, under GitHub Actions, append the
step summary and write the step outputs. The files are written before MLflow is called, so an
MLflow failure (exit 3) never loses the judgement.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from gatekit.canary.core import AHEAD_TOLERANCE_S, CanaryResult, analyse, parse_time
from gatekit.canary.engine import open_engine
from gatekit.canary.rules import RolloutRules, load_rules
from gatekit.errors import ConfigError, SinkError


def run_canary(
    logs: str,
    *,
    rules: RolloutRules | str | Path | None = None,
    stage: float | None = None,
    now: str | None = None,
    since: str | None = None,
    out: str | Path | None = "reports/canary",
    engine: str = "duckdb",
    log_to_mlflow: bool = True,
    experiment: str = "gatekit-canary",
    tracking_uri: str | None = None,
    env: Mapping[str, str] = os.environ,
    canary_version: str | None = None,
    baseline_version: str | None = None,
    stream: TextIO | None = None,
) -> CanaryResult:
    """Judge a canary stage from production logs and publish the result; see the module docstring.

    Raises ``ConfigError`` / ``DatasetError`` (exit 2) for bad input and ``SinkError`` (exit 3) when
    MLflow fails (with ``error.result`` set: the files are already written). GitHub annotations go to ``stream``
    (default stdout; the CLI's ``--json`` passes stderr, so stdout stays one JSON document).
    """
    from gatekit.redact import check_experiment_name, redact_secrets, redact_urls

    try:  # before any work: a name holding a secret is never stored (and redacted, it would name another experiment)
        check_experiment_name(experiment)
    except ValueError as exc:
        raise ConfigError(f"--experiment: {exc}") from None
    if log_to_mlflow:  # a file store MLflow 3 will not open: exit 2 now, not exit 3 after the judgement
        from gatekit.sinks.mlflow import check_store_opens

        check_store_opens(tracking_uri)
    cfg = rules if isinstance(rules, RolloutRules) else load_rules(rules)
    cfg = cfg.with_versions(baseline_version, canary_version)  # --baseline-version / --canary-version
    chosen_stage = cfg.stages[0] if stage is None else float(stage)
    now_us = parse_time(now, "--now") if now else None
    since_us = parse_time(since, "--since") if since else None
    if since_us is not None:
        _check_window_range(since_us, now_us, cfg.window_seconds, now, since)
    eng = open_engine(logs, engine, tracking_uri=tracking_uri)  # tracking_uri: for mlflow:<experiment> logs
    try:
        clock_us = now_us if now_us is not None else int(datetime.now(UTC).timestamp() * 1_000_000)
        result = analyse(
            eng, cfg, stage=chosen_stage, now_us=clock_us, since_us=since_us, source=redact_secrets(redact_urls(logs)),
            # judged at the current time: rows stamped past it come from a clock that is ahead (not with --now, where
            # later rows are the traffic after a finished period)
            ahead_us=None if now_us is not None else clock_us + AHEAD_TOLERANCE_S * 1_000_000,
        )  # fmt: skip
    finally:
        eng.close()
    result.data["generated_at"] = datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    try:
        if out is not None:
            write_files(result, Path(out))
        if log_to_mlflow:
            try:
                log_canary_run(result, experiment=experiment, tracking_uri=tracking_uri)
            except SinkError as exc:
                exc.result = result  # type: ignore[attr-defined]
                # the judgement stands without its MLflow run: a workflow reading steps.<id>.outputs.decision must
                # still see rollback (exit_code says MLflow failed)
                publish_github(result, env, exit_code=exc.exit_code, stream=stream)
                raise
    except KeyboardInterrupt:  # stopped while publishing: no canary.json / canary.html claims a decision
        for path in (result.data.get("files") or {}).values():
            Path(path).unlink(missing_ok=True)
        raise
    publish_github(result, env, stream=stream)
    return result


def _check_window_range(since_us: int, now_us: int | None, window_s: int, now: str | None, since: str | None) -> None:
    """``--since`` must leave at least one complete window before ``--now``; else no window is judged (was "hold")."""
    from gatekit.canary.core import iso

    window_us = window_s * 1_000_000
    end_us = now_us if now_us is not None else int(datetime.now(UTC).timestamp() * 1_000_000)
    if end_us // window_us > since_us // window_us:
        return
    shown_now = f"--now {now}" if now else f"--now (the current time, {iso(end_us)})"
    raise ConfigError(
        f"--since {since} and {shown_now}: no complete {window_s}-second window between them "
        "(--since must be at least one window before --now); check the two times"
    )


def write_files(result: CanaryResult, out_dir: Path) -> None:
    """Write ``canary.json`` and ``canary.html`` into ``out_dir`` (atomically); their paths go on the result."""
    from gatekit.fsio import atomic_write_text, make_output_folder
    from gatekit.jsonio import to_json
    from gatekit.report.canary_html import render_canary_html

    try:
        make_output_folder(out_dir)
    except OSError as exc:
        raise ConfigError(str(exc.strerror)) from None
    try:
        json_path, html_path = out_dir / "canary.json", out_dir / "canary.html"
        result.data["files"] = {"json": str(json_path), "html": str(html_path)}
        atomic_write_text(json_path, to_json(result.data, ensure_ascii=False) + "\n")
        atomic_write_text(html_path, render_canary_html(result.data))
    except OSError as exc:
        raise ConfigError(f"--out {out_dir}: cannot write the report ({exc}); choose a writable folder") from None


def log_canary_run(result: CanaryResult, *, experiment: str, tracking_uri: str | None) -> None:
    """Log one MLflow run: decision tags, per-rule and per-metric metrics, the files as artifacts."""
    from gatekit import __version__
    from gatekit.sinks.github import ci_tags
    from gatekit.sinks.mlflow import env_publish_timeout, log_run, publish_deadline

    data = result.data
    metrics: dict[str, float] = {
        "canary.exit_code": float(data["exit_code"]),
        "canary.windows_total": float(data["windows_total"]),
        "canary.windows_with_data": float(data["windows_with_data"]),
        "canary.rows_seen": float(data["rows_seen"]),
    }
    for k, rule in enumerate(data["rules"]):
        metrics[f"canary.rule{k}.fired"] = 1.0 if rule["fired"] else 0.0
        metrics[f"canary.rule{k}.longest_streak"] = float(rule["longest_streak"])
        metrics[f"canary.rule{k}.bad_windows"] = float(rule["bad_windows"])
        metrics[f"canary.rule{k}.no_data_windows"] = float(rule["no_data_windows"])
    for comp in data["comparisons"]:
        name = comp["metric"]
        for key in ("difference", "p_value"):
            if isinstance(comp.get(key), int | float):
                metrics[f"canary.{name}.{key}"] = float(comp[key])
        for end, value in zip(("low", "high"), comp.get("interval") or [], strict=False):
            if isinstance(value, int | float):
                metrics[f"canary.{name}.interval_{end}"] = float(value)
    params = {
        "logs": data["source"],
        "engine": data["engine"],
        "stage": data["stage"],
        "window_seconds": data["window_seconds"],
        "since": data["since"] or "",
        "until": data["until"] or "",
        "rules": "; ".join(r["rule"] for r in data["rules"]),
    }
    tags = {
        "gatekit.kind": "canary",
        "gatekit.canary.decision": data["decision"],
        "gatekit.canary.stage": f"{data['stage']:g}",
        "gatekit.canary.next_stage": "" if data["next_stage"] is None else f"{data['next_stage']:g}",
        "gatekit.version": __version__,
        **ci_tags(),
    }
    if data.get("rollback"):
        tags["gatekit.canary.rollback_rule"] = str(data["rollback"]["rule"])
        tags["gatekit.canary.rollback_since"] = str(data["rollback"]["since"])
    files = data.get("files") or {}
    artifacts = [Path(p) for p in files.values()]
    run_name = f"canary-{data['stage']:g}-{data['decision']}"

    def stamp_run(run_id: str, experiment_id: str) -> None:  # canary.json names its run, before it is uploaded
        data["mlflow"] = {"run_id": run_id, "experiment_id": experiment_id}
        if files:
            write_files(result, Path(files["json"]).parent)

    with publish_deadline(env_publish_timeout()):  # all of its requests together, as the gate's publish
        run_id, experiment_id = log_run(
            tracking_uri, experiment, run_name, params, metrics, tags, artifacts, before_artifacts=stamp_run
        )
    data["mlflow"] = {"run_id": run_id, "experiment_id": experiment_id}


def summary_markdown(data: Mapping[str, Any]) -> str:
    """The GitHub step summary of a canary judgement: decision, reasons, rules, comparisons (all escaped)."""
    from gatekit.report.text import md_escape

    icon = {"promote": "✅", "hold": "⏸️", "rollback": "🛑"}.get(str(data["decision"]), "")
    lines = [f"## gatekit canary: {icon} {str(data['decision']).upper()} (stage {data['stage']:g}%)", ""]
    if data.get("next_stage") is not None:
        lines.append(f"Next stage: **{data['next_stage']:g}%**\n")
    for reason in data["reasons"]:
        lines.append(f"- {md_escape(reason, 600)}")
    lines += ["", "| rule | fired | since | longest streak | bad | no-data |", "|---|---|---|---|---|---|"]
    for r in data["rules"]:
        lines.append(
            f"| {md_escape(r['rule'])} | {'**yes**' if r['fired'] else 'no'} | {md_escape(r['since'] or '—')} "
            f"| {r['longest_streak']} | {r['bad_windows']} | {r['no_data_windows']} |"
        )
    if data["comparisons"]:
        lines += ["", "| metric | status | estimate | interval | allowed | p |", "|---|---|---|---|---|---|"]
        for c in data["comparisons"]:
            interval = c.get("interval") or [None, None]
            lines.append(
                f"| {md_escape(c['metric'])}{' (critical)' if c['critical'] else ''} | {c['status']} "
                f"| {_num(c.get('difference'))} | [{_num(interval[0])}, {_num(interval[1])}] "
                f"| +{_num(c['allowed_increase'])}{' (relative)' if c.get('relative') else ''} | {_num(c.get('p_value'))} |"
            )
    return "\n".join(lines) + "\n"


def _num(value: Any) -> str:
    return "—" if not isinstance(value, int | float) else f"{value:.4g}"


def publish_github(
    result: CanaryResult, env: Mapping[str, str] = os.environ, exit_code: int | None = None,
    stream: TextIO | None = None,
) -> bool:  # fmt: skip
    """Under GitHub Actions: append the step summary, write outputs (decision, stage, next_stage, run_id, report_path, exit_code).

    ``exit_code``: the process's exit code when it is not the decision's (3: the judgement was made and written,
    MLflow failed).
    """
    if str(env.get("GITHUB_ACTIONS", "")).lower() != "true":
        return False
    from gatekit.report.text import command_data_escape
    from gatekit.sinks.github import write_outputs

    data = result.data
    level = {"rollback": "error", "hold": "warning"}.get(result.decision)
    if level:
        print(
            f"::{level} title=gatekit canary {result.decision}::{command_data_escape('; '.join(data['reasons']))}",
            file=stream or sys.stdout,
        )
    summary = env.get("GITHUB_STEP_SUMMARY")
    try:
        if summary:
            with open(summary, "a", encoding="utf-8") as fh:
                fh.write(summary_markdown(data) + "\n")
        output = env.get("GITHUB_OUTPUT")
        if output:
            values = {
                "decision": result.decision,
                "stage": f"{data['stage']:g}",
                "next_stage": "" if data["next_stage"] is None else f"{data['next_stage']:g}",
                "run_id": (data.get("mlflow") or {}).get("run_id", ""),
                "report_path": (data.get("files") or {}).get("html", ""),
                "exit_code": str(result.exit_code if exit_code is None else exit_code),
            }
            write_outputs(output, values)  # a value with a line break cannot add outputs of its own
    except OSError as exc:
        print(
            f"::warning title=gatekit::cannot write the step summary or outputs ({command_data_escape(exc)})",
            file=stream or sys.stdout,
        )
    return True
