"""``gatekit canary``, ``gatekit watch`` and ``gatekit rollback``: parse options, call the library, map to exit codes.

cli.py registers these functions; this module imports only typer at load time (DuckDB, Spark,
MLflow are imported by the library functions that need them).
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any, TextIO

import typer

from gatekit.errors import EXIT_INFRA, ConfigError, GatekitError

LogsOpt = Annotated[
    str,
    typer.Option(
        "--logs",
        metavar="SOURCE",
        help="Production-log rows: a file, folder or glob (JSONL, Parquet, CSV), mlflow:EXPERIMENT or spark-table:NAME.",
    ),
]
RulesOpt = Annotated[
    str | None,
    typer.Option(
        "--rules", metavar="FILE", help="Rollout rules (thresholds/rollout.yaml); default: the built-in rules."
    ),
]
_DEFAULT_URI = "(default: MLFLOW_TRACKING_URI, else ./mlflow.db)."
TRACKING_HELP = "MLflow tracking URI " + _DEFAULT_URI
EngineOpt = Annotated[str, typer.Option("--engine", metavar="NAME", help="duckdb or spark.")]
CanaryVersionOpt = Annotated[
    str | None,
    typer.Option(
        "--canary-version",
        metavar="VERSION",
        help="Judge only the canary rows with this agent_version (default: the rules' canary_version).",
    ),
]
BaselineVersionOpt = Annotated[
    str | None,
    typer.Option(
        "--baseline-version",
        metavar="VERSION",
        help="Judge only the baseline rows with this agent_version (default: the rules' baseline_version).",
    ),
]


def _fail(exc: BaseException, annotations: TextIO | None = None) -> typer.Exit:
    """One line on stderr (no traceback), the GitHub annotation / outputs, and the exit code (2 bad input, 3 else).

    ``annotations``: where the GitHub annotation goes (stderr under ``--json``: stdout is for JSON only).
    """
    import os
    import sys

    from gatekit.fsio import path_too_long
    from gatekit.redact import scrub_message
    from gatekit.sinks.github import publish_error as publish_github_error

    exc = path_too_long(exc) or exc  # a path given: bad input (exit 2), not an internal error
    if isinstance(exc, GatekitError):
        message, code = f"error: {scrub_message(str(exc))}", exc.exit_code
    else:
        message = " ".join(f"internal error (fails closed): {type(exc).__name__}: {scrub_message(str(exc))}".split())
        code = EXIT_INFRA
    typer.echo(_visible(message), err=True)
    publish_github_error(message.removeprefix("error: "), code, os.environ, stream=annotations or sys.stdout)
    return typer.Exit(code)


def _stopped(what: str, annotations: TextIO | None) -> typer.Exit:
    """A stop (Ctrl-C, SIGTERM): one line, the GitHub annotation / outputs with exit code 130, exit 130."""
    import os
    import sys

    from gatekit.interrupts import EXIT_INTERRUPTED
    from gatekit.sinks.github import publish_error as publish_github_error

    message = f"interrupted: {what}"
    typer.echo(message, err=True)
    publish_github_error(message, EXIT_INTERRUPTED, os.environ, stream=annotations or sys.stdout)
    return typer.Exit(EXIT_INTERRUPTED)


def _no_empty_path(**flags: str | None) -> None:
    """An empty ``--logs`` / ``--rules`` / ``--out`` (an unset variable) is refused, not read as the working folder."""
    for name, value in flags.items():
        if value is not None and not value.strip():
            raise ConfigError(f"--{name} {value!r}: empty path; give one (is a variable in the command unset?)")


def _visible(text: str) -> str:
    r"""``text`` as one terminal line: control characters (an ANSI escape from a log's value or a path) escaped.

    A line break in a path (``--logs $'a\nb.jsonl'``) is shown as ``\n``: it never starts a line of its own.
    """
    from gatekit.report.text import one_line

    return one_line(text)


def canary_command(
    logs: LogsOpt,
    rules: RulesOpt = None,
    stage: Annotated[
        float | None, typer.Option("--stage", metavar="PCT", help="The stage being judged (default: the first).")
    ] = None,
    now: Annotated[
        str | None,
        typer.Option("--now", metavar="TIMESTAMP", help="Judge the windows complete at this time (default: now)."),
    ] = None,
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            metavar="TIMESTAMP",
            help="Start of the stage, exact: earlier rows are not judged (default: the first row's window).",
        ),
    ] = None,
    out: Annotated[str, typer.Option("--out", metavar="DIR", help="Where canary.json/.html go.")] = "reports/canary",
    engine: EngineOpt = "duckdb",
    no_mlflow: Annotated[bool, typer.Option("--no-mlflow", metavar="", help="Do not log an MLflow run.")] = False,
    experiment: Annotated[str, typer.Option(metavar="NAME", help="MLflow experiment.")] = "gatekit-canary",
    tracking_uri: Annotated[str | None, typer.Option(metavar="URI", help=TRACKING_HELP)] = None,
    as_json: Annotated[bool, typer.Option("--json", metavar="", help="Print canary.json to stdout.")] = False,
    canary_version: CanaryVersionOpt = None,
    baseline_version: BaselineVersionOpt = None,
) -> None:
    """Judge a canary stage: exit 0 promote, 1 rollback, 4 hold, 2 bad input, 3 infrastructure."""
    import sys

    from gatekit.canary.command import run_canary
    from gatekit.interrupts import stops_interrupt

    annotations = sys.stderr if as_json else None  # stdout holds canary.json alone under --json
    try:
        _no_empty_path(logs=logs, rules=rules, out=out)
        # Ctrl-C / SIGTERM: exit 130, no canary.json (DuckDB turned a stop into its own error: exit 2 or 3)
        with stops_interrupt("judging the canary", sigint=True):
            result = run_canary(
                logs, rules=rules, stage=stage, now=now, since=since, out=Path(out), engine=engine,
                log_to_mlflow=not no_mlflow, experiment=experiment, tracking_uri=tracking_uri,
                canary_version=canary_version, baseline_version=baseline_version, stream=annotations,
            )  # fmt: skip
    except KeyboardInterrupt:
        raise _stopped("no canary decision was published (no canary.json); rerun gatekit canary", annotations) from None
    except GatekitError as exc:  # MLflow failed after the judgement: show it (its outputs are published), exit 3
        judged = getattr(exc, "result", None)
        if judged is None:
            raise _fail(exc, annotations) from None
        _show(judged, as_json)
        raise _fail_after_judgement(exc, annotations) from None
    except Exception as exc:  # noqa: BLE001 - bad input exits 2, anything else fails closed with 3
        raise _fail(exc, annotations) from None
    _show(result, as_json)
    raise typer.Exit(result.exit_code)


def _fail_after_judgement(exc: GatekitError, annotations: TextIO | None = None) -> typer.Exit:
    """The error after a judgement that was written and published (MLflow failed): one line, its exit code."""
    import os
    import sys

    from gatekit.redact import scrub_message
    from gatekit.report.text import command_data_escape

    message = scrub_message(str(exc))
    typer.echo(_visible(f"error: {message}"), err=True)
    if str(os.environ.get("GITHUB_ACTIONS", "")).lower() == "true":
        print(f"::error title=gatekit::{command_data_escape(message)}", file=annotations or sys.stdout)
    return typer.Exit(exc.exit_code)


def _show(result: Any, as_json: bool) -> None:
    """The judgement on stdout: canary.json (``--json``) or the decision, its reasons and the files."""
    data = result.data
    if as_json:
        from gatekit.jsonio import to_json

        typer.echo(to_json(data, ensure_ascii=False))
    else:
        head = f"canary {result.decision.upper()} at stage {data['stage']:g}%"
        if data["next_stage"] is not None:
            head += f" → next stage {data['next_stage']:g}%"
        typer.echo(head)
        for reason in data["reasons"]:
            typer.echo(_visible(f"  - {reason}"))
        for key, path in (data.get("files") or {}).items():
            typer.echo(_visible(f"  {key}: {path}"))
        if data.get("mlflow"):
            typer.echo(f"  mlflow run: {data['mlflow']['run_id']}")


def watch_command(
    logs: LogsOpt,
    rules: RulesOpt = None,
    engine: EngineOpt = "duckdb",
    since: Annotated[
        str | None,
        typer.Option("--since", metavar="TIMESTAMP", help="Judge windows from this time (default: when watch starts)."),
    ] = None,
    interval: Annotated[
        float | None,
        typer.Option("--interval", metavar="SECONDS", help="Seconds between polls (default: window/4, ≤5)."),
    ] = None,
    timeout: Annotated[
        float | None,
        typer.Option(
            "--timeout",
            metavar="SECONDS",
            help="Stop when no rule fired in time: exit 0 (4 if a rule had no data or a label's rows mixed versions).",
        ),
    ] = None,
    on_rollback: Annotated[
        str | None,
        typer.Option(
            "--on-rollback", metavar="CMD", help="Command to run when a rule fires (split like a shell, no shell)."
        ),
    ] = None,
    canary_version: CanaryVersionOpt = None,
    baseline_version: BaselineVersionOpt = None,
    tracking_uri: Annotated[
        str | None, typer.Option(metavar="URI", help="MLflow tracking URI of --logs mlflow:EXPERIMENT " + _DEFAULT_URI)
    ] = None,
) -> None:
    """Follow a growing log; exit 1 as soon as a rollback rule fires."""
    from gatekit.canary.rules import load_rules
    from gatekit.canary.watch import StoppedAfterRollback, watch

    try:
        argv = shlex.split(on_rollback) if on_rollback else None
    except ValueError as exc:
        from gatekit.redact import scrub_message

        shown = scrub_message(f"error: --on-rollback: cannot split {on_rollback!r}: {exc}; check the quotes")
        typer.echo(_visible(shown), err=True)
        raise typer.Exit(2) from None
    from gatekit.interrupts import stops_interrupt

    try:
        _no_empty_path(logs=logs, rules=rules)
        # Ctrl-C / SIGTERM: exit 130 (SIGTERM killed the watch silently; a stop inside a query was a read error)
        with stops_interrupt("watching", sigint=True):
            code = watch(
                logs, load_rules(rules).with_versions(baseline_version, canary_version), engine=engine, since=since, interval_s=interval, timeout_s=timeout,
                on_rollback=argv, emit=lambda line: typer.echo(_visible(line), err=True), tracking_uri=tracking_uri,
            )  # fmt: skip
    except StoppedAfterRollback:  # the rollback decision was printed (and its command run): it stands
        typer.echo("interrupted after the rollback decision: the decision stands (exit 1)", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        raise _stopped("the watch ended without a decision", None) from None
    except Exception as exc:  # noqa: BLE001
        raise _fail(exc) from None
    raise typer.Exit(code)


def rollback_command(
    model: Annotated[str, typer.Option("--model", metavar="NAME", help="Registered model name.")],
    alias: Annotated[str, typer.Option("--alias", metavar="ALIAS", help="Alias to move back.")] = "production",
    tracking_uri: Annotated[str | None, typer.Option(metavar="URI", help=TRACKING_HELP)] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", metavar="", help="Show what would change; change nothing.")
    ] = False,
    from_version: Annotated[
        str | None,
        typer.Option(
            "--from-version",
            metavar="VERSION",
            help="Only if the alias holds this version (the failed one); done already is exit 0, not a second step back.",
        ),
    ] = None,
) -> None:
    """Move a registered-model alias back to the version that held it before the last gatekit promotion."""
    from gatekit.promotion import rollback
    from gatekit.sinks.mlflow import check_sqlite_store, env_publish_timeout, publish_deadline

    try:
        # a sqlite:///PATH store whose PATH is a folder, FIFO or device: exit 2 at once (MLflow retried for 126 s);
        # not the gate's whole check_store_opens, whose advice (--no-mlflow) rollback has no use for
        check_sqlite_store(tracking_uri)
        # all of its registry requests together, as a gate's publish: a server answering each one just under MLflow's
        # timeout (30 s, three tries) held the rollback step of a failed canary for minutes
        with publish_deadline(env_publish_timeout()):
            block = rollback(model, alias=alias, tracking_uri=tracking_uri, dry_run=dry_run, from_version=from_version)
    except Exception as exc:  # noqa: BLE001
        raise _fail(exc) from None
    import logging

    logging.getLogger("gatekit.rollback").warning("%s", block["message"])
    typer.echo(_visible(block["message"]))
    raise typer.Exit(0)
