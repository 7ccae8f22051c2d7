"""The ``gatekit`` command line: parses options, calls the library, maps outcomes to exit codes.

No logic lives here. Heavy modules (mlflow, pandas, scipy) are imported by the
library functions that need them, so ``gatekit --help`` stays fast.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer

from gatekit.errors import EXIT_INFRA, EXIT_USAGE, GatekitError
from gatekit.fmt import noun


def _plain_metavars(params: list[Any]) -> list[Any]:
    """Flags show no type label, values an upper-case name (``FILE``), never ``<bool>`` / ``<list[str]>``."""
    for param in params:
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""
        elif param.metavar is None and param.name:
            param.metavar = param.name.upper()
        if param.param_type_name == "argument":  # the name says it; no ``<path>`` type column
            param.display_type_rich = lambda ctx=None: None
    return params


# `gatekit COMMAND --help` ends with these: what a first run of each command looks like
_EXAMPLES: dict[str, tuple[str, ...]] = {
    "promote": (
        "gatekit promote    (reads ./gatekit.yaml)",
        "gatekit promote --agent models:/support-agent@candidate --alias production",
        "gatekit promote --baseline champion --junit reports/junit.xml",
    ),
    "eval": (
        "gatekit eval --no-mlflow    (reads ./gatekit.yaml; logs nothing)",
        "gatekit eval --agent python:my_agent:run --dataset datasets/golden.jsonl --sample 20",
        "gatekit eval -c conf/gatekit.yaml --out reports/try1",
    ),
    "report": ("gatekit report reports/latest/verdict.json --out reports/latest",),
    "drift": (
        "gatekit drift --reference datasets/golden.jsonl --production 'logs/*.jsonl'",
        "gatekit drift --reference datasets/golden.jsonl --production logs/ --engine spark",
    ),
    "canary": ("gatekit canary --logs 'logs/*.jsonl' --rules thresholds/rollout.yaml --stage 10",),
    "watch": ("gatekit watch --logs logs/production.jsonl --rules thresholds/rollout.yaml --timeout 3600",),
    "rollback": ("gatekit rollback --model support-agent --alias production --dry-run",),
    "schema": ("gatekit schema config > gatekit.schema.json", "gatekit schema thresholds"),
    "traces": ("gatekit traces reports/latest/governance_traces.jsonl --outcome deny",),
    "init": ("gatekit init    (in your agent's repository)", "gatekit init path/to/repo"),
    "check": ("gatekit policy check policies/default.yaml",),
    "test": ("gatekit policy test policies/tests",),
    "serve": ("gatekit guard serve --upstream https://api.openai.com/v1 --policy policies/default.yaml --port 8787",),
}


class _Command(typer.core.TyperCommand):
    """A command whose ``--help`` shows no ``<bool>`` type label, and ends with examples."""

    def __init__(self, name: str | None, *args: Any, **kwargs: Any) -> None:
        if not kwargs.get("epilog") and name in _EXAMPLES:
            kwargs["epilog"] = "Examples:\n\n" + "\n\n".join(f"  {line}" for line in _EXAMPLES[name])
        super().__init__(name, *args, **kwargs)

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_metavars(super().get_params(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option


class _Group(typer.core.TyperGroup):
    """A command group whose ``--help`` shows no ``<bool>`` type label; its commands neither."""

    command_class = _Command

    def get_params(self, ctx: Any) -> list[Any]:
        return _plain_metavars(super().get_params(ctx))

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)
        if option is not None:
            option.metavar = ""
        return option


app = typer.Typer(
    name="gatekit",
    cls=_Group,
    help="Decide whether an AI agent build may reach production: replay, measure, govern, check drift, gate.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
)


_state = {"debug": False}


def _version(value: bool) -> None:
    if value:
        from gatekit import __version__

        typer.echo(f"gatekit {__version__}")
        raise typer.Exit(0)


@app.callback()
def _main(
    verbose: Annotated[
        int, typer.Option("--verbose", "-v", count=True, metavar="", help="Log progress to stderr (-vv: debug).")
    ] = 0,
    debug: Annotated[
        bool, typer.Option("--debug", metavar="", help="Debug logging; an internal error prints its traceback.")
    ] = False,
    version: Annotated[
        bool,
        typer.Option("--version", metavar="", callback=_version, is_eager=True, help="Print the version and exit."),
    ] = False,
) -> None:
    """Decide whether an AI agent build may reach production: replay, measure, govern, check drift, gate."""
    import logging

    _state["debug"] = debug
    level = logging.DEBUG if debug or verbose >= 2 else logging.INFO if verbose else logging.WARNING
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for handler in logging.getLogger().handlers:  # a logged agent error or path shows its controls escaped
        if getattr(handler, "stream", None) is sys.stderr and not isinstance(handler.formatter, _VisibleFormatter):
            handler.setFormatter(_VisibleFormatter("%(levelname)s %(name)s: %(message)s"))
    logging.getLogger("gatekit").setLevel(level)
    from gatekit.redact import add_credential_env

    add_credential_env()  # OPENAI_API_KEY, HF_TOKEN ... echoed by an agent, a server or production data: never written


def _shown(text: str) -> str:
    """``text`` for the terminal: control characters (an ANSI escape from a file name or a test's text) escaped."""
    from gatekit.report.text import visible_controls

    return visible_controls(text)


def _json_line(text: str) -> str:
    r"""A JSON line for the terminal: DEL, C1, bidi controls and lone surrogates as ``\u009b`` escapes (still JSON).

    A bidi control in a tool or model name (``\u202e`` turns ``tnemyap`` into ``payment`` on screen) is shown escaped,
    as every other display of untrusted text shows it.
    """
    import re

    return re.sub(
        "[\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]",
        lambda m: f"\\u{ord(m.group()):04x}",
        text,
    )


class _VisibleFormatter(logging.Formatter):
    r"""A log line's control characters (ESC, BEL, C1) shown as ``\x1b`` escapes, never sent to the terminal raw."""

    def format(self, record: logging.LogRecord) -> str:
        """The formatted record, controls escaped (line breaks of a traceback stay)."""
        return _shown(super().format(record))


def _err(message: str) -> None:
    r"""``message`` on stderr in one line: a line break in a quoted path or spec is shown as ``\n``."""
    from gatekit.redact import scrub_message
    from gatekit.report.text import one_line

    # messages quote paths, labels, specs: no secret, no PII, no terminal control sequence, no line of their own
    typer.echo(one_line(scrub_message(message)), err=True)


def _say(message: str) -> None:
    r"""A progress line on stderr (:func:`_err`), kept one line: a line break in it is shown as ``\n``."""
    _err(message.replace("\r", "\\r").replace("\n", "\\n"))


def _fail_user(exc: GatekitError) -> typer.Exit:
    from gatekit.redact import scrub_message

    message = scrub_message(str(exc))  # messages quote the agent spec and paths: no URL credentials, secrets, PII
    # one line: a line break in a quoted path or spec is shown, never starts a line of its own (``::warning::``)
    _err("error: " + message.replace("\r", "\\r").replace("\n", "\\n"))
    _annotate_error(message, exc.exit_code)
    return typer.Exit(exc.exit_code)


def _fail_internal(exc: BaseException, what: str = "the gate fails closed") -> typer.Exit:
    from gatekit.fsio import path_too_long
    from gatekit.redact import redact_secrets, scrub_message

    too_long = path_too_long(exc)  # a path given: bad input (exit 2), not an internal error
    if too_long is not None:
        return _fail_user(too_long)
    message = f"internal error ({what}): {type(exc).__name__}: {scrub_message(str(exc))}"
    if _state["debug"]:
        import traceback

        typer.echo(_shown(redact_secrets("".join(traceback.format_exception(exc))).rstrip()), err=True)
    _err(" ".join(message.split()))
    _annotate_error(message, EXIT_INFRA)
    return typer.Exit(EXIT_INFRA)


def _color(word: str) -> str:
    colors = {
        "pass": typer.colors.GREEN,
        "fail": typer.colors.RED,
        "inconclusive": typer.colors.YELLOW,
        "error": typer.colors.RED,
    }
    return typer.style(word.upper(), fg=colors.get(word), bold=True)


ConfigOpt = Annotated[
    Path | None,
    typer.Option("--config", "-c", metavar="FILE", help="gatekit.yaml to read (default: ./gatekit.yaml)."),
]
# (paths as text: an empty --out "" from an unset CI variable is refused, not read as "." -- load_config)
DatasetOpt = Annotated[str | None, typer.Option(metavar="FILE", help="Golden dataset (.jsonl, .csv, .parquet).")]
AgentOpt = Annotated[
    str | None, typer.Option(metavar="SPEC", help="Candidate agent spec, e.g. python:examples.demo_agent:run.")
]
ThresholdsOpt = Annotated[str | None, typer.Option(metavar="FILE", help="Thresholds file (thresholds/*.yaml).")]
PolicyOpt = Annotated[str | None, typer.Option(metavar="FILE", help="Governance policy file (policies/*.yaml).")]
OutOpt = Annotated[str | None, typer.Option(metavar="DIR", help="Output folder (default: reports/latest).")]
ConcurrencyOpt = Annotated[int | None, typer.Option(metavar="N", help="Cases in flight at once (default: 8).")]
TimeoutOpt = Annotated[float | None, typer.Option(metavar="SECONDS", help="Seconds per attempt (default: 30).")]
RetriesOpt = Annotated[int | None, typer.Option(metavar="N", help="Retries after a failed attempt (default: 2).")]
ExperimentOpt = Annotated[str | None, typer.Option(metavar="NAME", help="MLflow experiment (default: gatekit).")]
TrackingOpt = Annotated[
    str | None,
    typer.Option(metavar="URI", help="MLflow tracking URI (default: MLFLOW_TRACKING_URI, else ./mlflow.db)."),
]
RunNameOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="MLflow run name (default: gate · <candidate> · <verdict>).")
]
NoMlflowOpt = Annotated[bool, typer.Option("--no-mlflow", metavar="", help="Do not log to MLflow (nor promote).")]
ProductionOpt = Annotated[
    str | None,
    typer.Option(
        metavar="PATH", help="Production logs (file, folder or glob): adds a drift check against the golden dataset."
    ),
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", metavar="", help="Print only the verdict (and promotion) line.")
]
JsonOpt = Annotated[
    bool, typer.Option("--json", metavar="", help="Print verdict.json to stdout instead of the summary.")
]
JunitOpt = Annotated[
    str | None,
    typer.Option(metavar="FILE", help="Also write JUnit XML here (one testcase per check and per failed case)."),
]
AliasOpt = Annotated[
    str | None, typer.Option(metavar="ALIAS", help="Model-registry alias to set on PASS (default: production).")
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(
        metavar="REF", help="Baseline run to compare with: a model alias (or name@alias), a run id, or last-pass."
    ),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", metavar="", help="Show what promotion would do; change nothing.")]
RepeatOpt = Annotated[
    int | None, typer.Option(metavar="K", help="Run every case K times (per-case pass counts, k-of-n).")
]
ResumeOpt = Annotated[
    bool | None,
    typer.Option("--resume", metavar="", help="Continue an interrupted run from results.jsonl in the same --out."),
]
SampleOpt = Annotated[
    int | None, typer.Option(metavar="N", help="Replay a random sample of N cases (a sample never promotes).")
]
SeedOpt = Annotated[int | None, typer.Option(metavar="N", help="Seed for --sample (default: 0).")]
DeadlineOpt = Annotated[
    float | None,
    typer.Option(
        metavar="SECONDS", help="Seconds for the whole replay; unfinished cases make the verdict inconclusive."
    ),
]
PublishTimeoutOpt = Annotated[
    float | None,
    typer.Option(
        metavar="SECONDS",
        help="Seconds for all MLflow logging and promotion together (default: 120); past it: exit 3.",
    ),
]
ModelOpt = Annotated[
    str | None, typer.Option(metavar="NAME", help="Model name sent to an OpenAI-compatible agent endpoint.")
]


def _run(command: str, flags: dict[str, Any], config_path: Path | None, quiet: bool, as_json: bool) -> None:
    """Parse the configuration, run the gate (which publishes), print, exit with the verdict's code."""
    from gatekit.config import load_config

    try:
        model = flags.pop("model", None)  # --model overrides agent_options.model only
        config = load_config(config_path, flags)
        if model is not None:
            config.agent_options.model = model
        from gatekit.gate import run_gate

        emit = None if (quiet or as_json) else _say
        # annotations go to stderr with --json so stdout stays valid JSON (the runner reads both)
        result = run_gate(config, command=command, emit=emit, stream=sys.stderr if as_json else sys.stdout)
        _print_summary(result.verdict, quiet=quiet, as_json=as_json)
    except GatekitError as exc:
        raise _fail_user(exc) from None
    except KeyboardInterrupt:
        message = (
            "interrupted: finished cases are in results.jsonl; no verdict was published (a verdict.json written "
            "before the stop says exit_code 130); rerun with --resume (same --out) to continue"
        )
        _err(message)
        # the step outputs say exit 130 too (they were missing: an action step read no exit code at all)
        _annotate_error(message, 130)
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - fail closed on any internal error
        raise _fail_internal(exc) from None
    raise typer.Exit(result.exit_code)


def _annotate_error(message: str, exit_code: int = EXIT_USAGE) -> None:
    """``::error`` annotation, step summary and step outputs for a run that ended without a verdict."""
    from gatekit.pipeline.publish import publish_error

    publish_error(message, exit_code, os.environ)


def _print_summary(verdict: Any, *, quiet: bool, as_json: bool) -> None:
    """The verdict line, then (unless quiet) what did not pass, governance, files, MLflow, promotion."""
    if as_json:
        typer.echo(verdict.to_json().rstrip("\n"))
        return
    from gatekit.report.console import run_error, summary_lines, verdict_line

    typer.echo(verdict_line(verdict, _color("error" if run_error(verdict) else verdict.verdict)))
    from gatekit.redact import scrub_message

    for line in summary_lines(verdict, quiet=quiet):
        typer.echo(_shown(scrub_message(line)))  # the files' paths: no secret, no PII, no ESC


def _gate_options(
    config: ConfigOpt = None,
    dataset: DatasetOpt = None,
    agent: AgentOpt = None,
    thresholds: ThresholdsOpt = None,
    policy: PolicyOpt = None,
    out: OutOpt = None,
    concurrency: ConcurrencyOpt = None,
    timeout: TimeoutOpt = None,
    retries: RetriesOpt = None,
    experiment: ExperimentOpt = None,
    tracking_uri: TrackingOpt = None,
    run_name: RunNameOpt = None,
    no_mlflow: NoMlflowOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    junit: JunitOpt = None,
    baseline: BaselineOpt = None,
    repeat: RepeatOpt = None,
    resume: ResumeOpt = None,
    sample: SampleOpt = None,
    seed: SeedOpt = None,
    deadline: DeadlineOpt = None,
    model: ModelOpt = None,
    production: ProductionOpt = None,
    publish_timeout: PublishTimeoutOpt = None,
) -> tuple[dict[str, Any], Path | None, bool, bool]:
    flags = {
        "dataset": dataset,
        "agent": agent,
        "thresholds": thresholds,
        "policy": policy,
        "out": out,
        "concurrency": concurrency,
        "timeout": timeout,
        "retries": retries,
        "experiment": experiment,
        "tracking_uri": tracking_uri,
        "run_name": run_name,
        "no_mlflow": no_mlflow or None,  # None lets gatekit.yaml decide
        "junit": junit,
        "baseline": baseline,
        "repeat": repeat,
        "resume": resume,
        "sample": sample,
        "seed": seed,
        "deadline": deadline,
        "model": model,
        "production": production,
        "publish_timeout": publish_timeout,
    }
    return flags, config, quiet, as_json


@app.command(
    "promote",
    cls=_Command,
    help="Replay the golden dataset through the candidate, judge it, log to MLflow; exit 0 only on PASS.",
)
def promote(
    config: ConfigOpt = None,
    dataset: DatasetOpt = None,
    agent: AgentOpt = None,
    thresholds: ThresholdsOpt = None,
    policy: PolicyOpt = None,
    out: OutOpt = None,
    concurrency: ConcurrencyOpt = None,
    timeout: TimeoutOpt = None,
    retries: RetriesOpt = None,
    experiment: ExperimentOpt = None,
    tracking_uri: TrackingOpt = None,
    run_name: RunNameOpt = None,
    no_mlflow: NoMlflowOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    junit: JunitOpt = None,
    alias: AliasOpt = None,
    baseline: BaselineOpt = None,
    dry_run: DryRunOpt = False,
    repeat: RepeatOpt = None,
    resume: ResumeOpt = None,
    sample: SampleOpt = None,
    seed: SeedOpt = None,
    deadline: DeadlineOpt = None,
    model: ModelOpt = None,
    production: ProductionOpt = None,
    publish_timeout: PublishTimeoutOpt = None,
) -> None:
    """Gate, then set the registry alias on PASS."""
    flags, config_path, quiet, as_json = _gate_options(
        config, dataset, agent, thresholds, policy, out, concurrency, timeout, retries, experiment, tracking_uri,
        run_name, no_mlflow, quiet, as_json, junit, baseline, repeat, resume, sample, seed, deadline, model,
        production, publish_timeout,
    )  # fmt: skip
    flags["alias"] = alias
    flags["dry_run"] = dry_run or None  # None lets gatekit.yaml decide
    _run("promote", flags, config_path, quiet, as_json)


@app.command("eval", cls=_Command, help="The same run as promote, but never promotes anything.")
def eval_(
    config: ConfigOpt = None,
    dataset: DatasetOpt = None,
    agent: AgentOpt = None,
    thresholds: ThresholdsOpt = None,
    policy: PolicyOpt = None,
    out: OutOpt = None,
    concurrency: ConcurrencyOpt = None,
    timeout: TimeoutOpt = None,
    retries: RetriesOpt = None,
    experiment: ExperimentOpt = None,
    tracking_uri: TrackingOpt = None,
    run_name: RunNameOpt = None,
    no_mlflow: NoMlflowOpt = False,
    quiet: QuietOpt = False,
    as_json: JsonOpt = False,
    junit: JunitOpt = None,
    baseline: BaselineOpt = None,
    repeat: RepeatOpt = None,
    resume: ResumeOpt = None,
    sample: SampleOpt = None,
    seed: SeedOpt = None,
    deadline: DeadlineOpt = None,
    model: ModelOpt = None,
    production: ProductionOpt = None,
    publish_timeout: PublishTimeoutOpt = None,
) -> None:
    """Gate without promotion."""
    flags, config_path, quiet, as_json = _gate_options(
        config, dataset, agent, thresholds, policy, out, concurrency, timeout, retries, experiment, tracking_uri,
        run_name, no_mlflow, quiet, as_json, junit, baseline, repeat, resume, sample, seed, deadline, model,
        production, publish_timeout,
    )  # fmt: skip
    _run("eval", flags, config_path, quiet, as_json)


@app.command("report", cls=_Command, help="Re-render report.html from a saved verdict.json.")
def report(
    verdict_path: Annotated[Path, typer.Argument(help="verdict.json written by promote/eval.")],
    out: Annotated[
        Path | None,
        typer.Option(
            metavar="PATH",
            help="Where to write: a file, or a folder to hold report.html (default: next to the verdict).",
        ),
    ] = None,
) -> None:
    """Re-render the HTML report."""
    from jinja2 import UndefinedError
    from pydantic import ValidationError

    from gatekit.pipeline.model import Verdict
    from gatekit.report.html import write_report

    if not verdict_path.exists():
        from gatekit.fsio import missing_file_hint

        _err(
            f"error: {verdict_path}: verdict file not found; pass the verdict.json written by gatekit promote/eval"
            f"{missing_file_hint(verdict_path)}"
        )
        raise typer.Exit(EXIT_USAGE) from None
    try:
        verdict = Verdict.from_file(verdict_path)
    except ValidationError as exc:  # a ValueError too: checked first for the field-by-field message
        _err(
            f"error: {verdict_path}: not a gatekit verdict.json ({_validation_summary(exc)}); "
            "pass the verdict.json written by gatekit promote/eval"
        )
        raise typer.Exit(EXIT_USAGE) from None
    except (OSError, ValueError) as exc:
        _err(f"error: {verdict_path}: cannot read verdict ({exc}); pass the verdict.json written by gatekit promote")
        raise typer.Exit(EXIT_USAGE) from None
    target = out or verdict_path.with_name("report.html")
    if target.is_dir():  # `--out reports/latest`: a folder, as every other --out of gatekit is
        target = target / "report.html"
    from gatekit.fsio import same_file

    for source in (verdict_path, verdict_path.with_name("results.jsonl")):
        if same_file(target, source):  # the report written over the verdict (or the results) it was rendered from
            _err(f"error: --out {target} is {source}, which the report is rendered from; pass another --out file")
            raise typer.Exit(EXIT_USAGE)
    try:
        write_report(verdict, target, results_path=verdict_path.with_name("results.jsonl"))
    except GatekitError as exc:  # an edited or corrupted results.jsonl next to it: bad input, its line named
        raise _fail_user(exc) from None
    except OSError as exc:
        _err(f"error: {target}: cannot write the report ({exc.strerror or exc}); pass a writable --out file")
        raise typer.Exit(EXIT_USAGE) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, UndefinedError) as exc:
        _err(
            f"error: {verdict_path}: not a complete gatekit verdict ({type(exc).__name__}: {exc}); "
            "pass the verdict.json written by gatekit promote/eval"
        )
        raise typer.Exit(EXIT_USAGE) from None
    typer.echo(str(target))


def _validation_summary(exc: Any) -> str:
    """``command: Field required; dataset: Field required; and 5 more``: a pydantic error on one line."""
    errors = exc.errors()
    parts = [f"{'.'.join(str(p) for p in e.get('loc', ())) or 'file'}: {e.get('msg', 'invalid')}" for e in errors[:3]]
    more = f"; and {len(errors) - 3} more" if len(errors) > 3 else ""
    return " ".join(("; ".join(parts) + more).split())  # one line whatever the messages hold


# `gatekit drift`; the command lives in gatekit/drift/command.py
from gatekit.drift.command import drift_command  # noqa: E402 - kept in this separated block

app.command(
    "drift",
    cls=_Command,
    help="Golden dataset vs production logs: per-feature KS / chi-square, drift.html + MLflow; "
    "exit 0 no drift, 1 drift, 2 bad input, 3 MLflow unreachable.",
)(drift_command)


# `gatekit canary`, `gatekit watch`, `gatekit rollback`; the commands live in gatekit/canary/cli.py
from gatekit.canary.cli import canary_command, rollback_command, watch_command  # noqa: E402

app.command(
    "canary",
    cls=_Command,
    help="Judge a canary stage from production logs: rollback rules over consecutive windows and canary vs "
    "baseline comparisons; exit 0 promote, 1 rollback, 4 hold, 2 bad input, 3 infrastructure.",
)(canary_command)
app.command("watch", cls=_Command, help="Follow a growing production log; exit 1 as soon as a rollback rule fires.")(
    watch_command
)
app.command(
    "rollback",
    cls=_Command,
    help="Move a registered-model alias back to the version that held it before the last gatekit promotion.",
)(rollback_command)


@app.command(
    "schema",
    cls=_Command,
    help="Print the JSON Schema of gatekit.yaml, a thresholds file, verdict.json or a production-log row "
    "(config, thresholds, verdict, production-log).",
)
def schema(
    kind: Annotated[str, typer.Argument(help="config, thresholds, verdict or production-log")] = "config",
) -> None:
    """Print a JSON Schema."""
    import json

    from gatekit.config import GateConfig
    from gatekit.pipeline.model import verdict_json_schema
    from gatekit.production.schema import json_schema as production_log_schema
    from gatekit.verdict import thresholds_json_schema

    schemas = {
        "config": GateConfig.model_json_schema,
        "thresholds": thresholds_json_schema,
        "verdict": verdict_json_schema,
        "production-log": production_log_schema,
    }
    if kind not in schemas:
        import difflib

        close = difflib.get_close_matches(kind[:100], list(schemas), n=1, cutoff=0.6)
        meant = f"did you mean {close[0]!r}? " if close else ""
        shown = kind if len(kind) <= 60 else f"{kind[:57]}..."  # (a pasted file was echoed whole)
        _err(f"error: unknown schema {shown!r}; {meant}use one of: {', '.join(schemas)}")
        raise typer.Exit(EXIT_USAGE)
    typer.echo(json.dumps(schemas[kind](), indent=2))


# Governance (policy check / policy test / traces)
policy_app = typer.Typer(
    cls=_Group, help="Validate governance policies and run their unit tests.", no_args_is_help=True
)
app.add_typer(policy_app, name="policy")


@policy_app.command("check", cls=_Command, help="Validate policy files; exit 0 when all are valid, 2 otherwise.")
def policy_check(files: Annotated[list[Path], typer.Argument(help="Policy files (policies/*.yaml).")]) -> None:
    """Load every file; print one line per file."""
    from gatekit.governance import load_policy

    failed = False
    for file in files:
        try:
            policy = load_policy(file)
        except GatekitError as exc:
            _err(f"error: {exc}")
            failed = True
            continue
        counted = len(policy.rules) + len(policy.stop_rules)
        typer.echo(_shown(f"ok {file}: {policy.id} v{policy.version}, {counted} {noun(counted, 'rule')}"))
    if failed:
        raise typer.Exit(EXIT_USAGE)


@policy_app.command(
    "test", cls=_Command, help="Run policy unit tests (YAML); exit 0 all pass, 1 a test failed, 2 bad files."
)
def policy_test(directory: Annotated[str, typer.Argument(help="Directory (or file) of policy tests.")]) -> None:
    """Run the tests and print one line per test."""
    from gatekit.errors import ConfigError
    from gatekit.governance.testing import run_policy_tests

    try:
        if not directory.strip():  # ('' was '.': every YAML file below the working folder read as a test)
            raise ConfigError(f"{directory!r}: empty path; name the folder (or file) of policy tests")
        results = run_policy_tests(Path(directory))
    except GatekitError as exc:
        raise _fail_user(exc) from None
    for result in results:
        typer.echo(_shown(f"{'PASS' if result.passed else 'FAIL'} {result.file}: {result.name}"))
        for failure in result.failures:
            typer.echo(_shown(f"    {failure}"))
    failed = sum(not r.passed for r in results)
    typer.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


@app.command("traces", cls=_Command, help="Filter governance audit traces (governance_traces.jsonl); prints JSONL.")
def traces(
    file: Annotated[Path, typer.Argument(help="governance_traces.jsonl")],
    outcome: Annotated[
        str | None,
        typer.Option(metavar="OUTCOME", help="Only this outcome: allow, allow_with_redaction, require_review, deny."),
    ] = None,
    rule: Annotated[
        str | None, typer.Option(metavar="RULE_ID", help="Only decisions where this rule id fired.")
    ] = None,
    case: Annotated[str | None, typer.Option(metavar="CASE_ID", help="Only this case id.")] = None,
) -> None:
    """Print the matching trace rows, one JSON object per line."""
    import json

    from gatekit.governance.traces import filter_traces

    if not file.exists():
        from gatekit.fsio import missing_file_hint

        _err(
            f"error: {file}: traces file not found; pass the governance_traces.jsonl written by gatekit promote/eval"
            f"{missing_file_hint(file)}"
        )
        raise typer.Exit(EXIT_USAGE) from None
    try:
        for row in filter_traces(file, outcome=outcome, rule=rule, case=case):
            typer.echo(_json_line(json.dumps(row, ensure_ascii=False)))
    except GatekitError as exc:
        raise _fail_user(exc) from None
    except UnicodeDecodeError:
        _err(f"error: {file}: not UTF-8 text; pass the governance_traces.jsonl written by gatekit promote/eval")
        raise typer.Exit(EXIT_USAGE) from None


# Runtime enforcement (guard serve)
guard_app = typer.Typer(
    cls=_Group, help="Enforce a policy in production: the OpenAI-compatible guard proxy.", no_args_is_help=True
)
app.add_typer(guard_app, name="guard")


@guard_app.command(
    "serve",
    cls=_Command,
    help="Serve an OpenAI-compatible /v1/chat/completions proxy that enforces POLICY in front of an upstream; "
    "runs until SIGINT/SIGTERM; exit 2 on bad configuration.",
)
def guard_serve(
    upstream: Annotated[str, typer.Option(metavar="URL", help="Upstream base URL, e.g. http://127.0.0.1:8000/v1.")],
    policy: Annotated[Path, typer.Option(metavar="FILE", help="Governance policy file (policies/*.yaml).")],
    port: Annotated[int, typer.Option(metavar="N", help="Port to listen on (0: any free port).")] = 8787,
    host: Annotated[str, typer.Option(metavar="HOST", help="Address to listen on.")] = "127.0.0.1",
    log_to: Annotated[
        Path | None, typer.Option(metavar="FILE", help="Append production-log rows here (JSONL).")
    ] = None,
    trace_to: Annotated[Path | None, typer.Option(metavar="FILE", help="Append decision traces here (JSONL).")] = None,
    variant: Annotated[
        str | None, typer.Option(metavar="NAME", help="Traffic variant on every row (e.g. canary).")
    ] = None,
    agent_version: Annotated[
        str | None, typer.Option(metavar="VERSION", help="Agent version on every row (e.g. a git sha).")
    ] = None,
    on_deny: Annotated[
        str,
        typer.Option(metavar="error|refusal", help="A blocked answer: HTTP 403 policy error, or a refusal message."),
    ] = "error",
    mode: Annotated[
        str, typer.Option(metavar="enforce|evaluate", help="evaluate: decide and record, never block.")
    ] = "enforce",
    upstream_key_env: Annotated[
        str, typer.Option(metavar="NAME", help="Environment variable holding the upstream API key.")
    ] = "OPENAI_API_KEY",
    forward_client_auth: Annotated[
        bool,
        typer.Option(
            "--forward-client-auth",
            metavar="",
            help="Send the client's Authorization header upstream instead of the key (never the key).",
        ),
    ] = False,
    context: Annotated[
        list[str] | None, typer.Option(metavar="KEY=VALUE", help="Request context for every request (repeatable).")
    ] = None,
    upstream_timeout: Annotated[
        float, typer.Option(metavar="SECONDS", help="Seconds to wait for a whole upstream answer.")
    ] = 120.0,
    read_timeout: Annotated[
        float, typer.Option(metavar="SECONDS", help="Seconds a client has to send its whole request body (else 408).")
    ] = 30.0,
    idle_timeout: Annotated[
        float,
        typer.Option(
            metavar="SECONDS",
            help="Close a connection idle this long, or one that has not sent a whole request head (raise it above "
            "a load balancer's idle timeout).",
        ),
    ] = 75.0,
    max_in_flight: Annotated[
        int, typer.Option(metavar="N", help="Chat requests handled at once; more are answered 503 at once.")
    ] = 1024,
    allow_host: Annotated[
        list[str] | None,
        typer.Option(
            metavar="NAME",
            help="Listening on loopback, also answer requests whose Host names NAME (repeatable; e.g. a local "
            "reverse proxy passing its own name on).",
        ),
    ] = None,
    user_header: Annotated[
        str | None,
        typer.Option(
            metavar="NAME",
            help="Take the user (per-user budgets, rows) only from this header, set by an authenticating gateway; "
            "a request without it is refused (401).",
        ),
    ] = None,
    loop: Annotated[
        str,
        typer.Option(
            "--loop", metavar="auto|asyncio|uvloop", help="Event loop (auto: uvloop when installed, else asyncio)."
        ),
    ] = "auto",
    stream_usage: Annotated[
        bool,
        typer.Option(
            "--stream-usage/--no-stream-usage",
            help="Ask a streaming upstream for token counts (stream_options.include_usage); --no-stream-usage for "
            "an upstream that refuses stream_options (the token budgets then estimate streamed answers' tokens).",
        ),
    ] = True,
) -> None:
    """Parse the flags and run the proxy until stopped."""
    from gatekit.runtime.proxy import ProxySettings, parse_context, run_proxy

    try:
        settings = ProxySettings(
            upstream=upstream,
            policy=policy,
            host=host,
            port=port,
            log_to=log_to,
            trace_to=trace_to,
            variant=variant,
            agent_version=agent_version,
            on_deny=on_deny,
            mode=mode,
            upstream_key_env=upstream_key_env,
            forward_client_auth=forward_client_auth,
            context=parse_context(context or []),
            upstream_timeout_s=upstream_timeout,
            request_read_timeout_s=read_timeout,
            idle_timeout_s=idle_timeout,
            max_in_flight=max_in_flight,
            allowed_hosts=tuple(allow_host or ()),
            user_header=user_header,
            event_loop=loop,
            stream_usage=stream_usage,
        ).checked()
        run_proxy(settings, announce=_err)
    except GatekitError as exc:
        raise _fail_user(exc) from None
    except OSError as exc:  # the port is taken, or the address cannot be bound
        _err(f"error: cannot listen on {host}:{port}: {exc.strerror or exc}; pick another --port or --host")
        raise typer.Exit(EXIT_USAGE) from None


# Gatekit init
@app.command(
    "init",
    cls=_Command,
    help="Scaffold gatekit.yaml, a sample dataset, thresholds, canary rollout rules, a policy, an example agent, "
    "a GitHub workflow and the .gitignore lines for mlflow.db, mlruns/ and reports/; never overwrites.",
)
def init(
    path: Annotated[Path, typer.Argument(help="Repository root to scaffold into.")] = Path("."),
) -> None:
    """Write the starter files that do not exist yet and report the ones left alone."""
    from gatekit.init import init_project

    try:
        result = init_project(path)
    except GatekitError as exc:
        raise _fail_user(exc) from None
    for created in result.created:
        typer.echo(f"  created  {created}")
    for updated in result.updated:
        typer.echo(f"  updated  {updated} (missing lines appended)")
    for skipped in result.skipped:
        typer.echo(f"  skipped  {skipped} (exists, left unchanged)")
    for note in result.notes:
        typer.echo(f"  note     {note}")
    there = "" if path.resolve() == Path.cwd().resolve() else f" in {path} (cd {path})"
    typer.echo(
        f"{len(result.created)} created, {len(result.skipped)} skipped. Next: point 'agent:' in gatekit.yaml at your "
        f"agent, then run `gatekit eval`{there}."
    )


def main() -> None:
    """Console-script entry point."""
    try:
        # a usage error is raised here, printed below in one line; "gatekit" under `python -m gatekit` too
        code = app(standalone_mode=False, prog_name="gatekit")
    except KeyboardInterrupt:  # pragma: no cover - typer handles most
        _exit(130)
    except typer.Abort:  # pragma: no cover - no command prompts
        _exit(1)
    except Exception as exc:  # noqa: BLE001 - last line of defence: one line, exit 3, no traceback
        if _is_usage_error(exc):
            _usage_error(exc)
        from gatekit.fsio import path_too_long

        too_long = path_too_long(exc)  # a path given to any command: bad input (exit 2), not an internal error
        if too_long is not None:
            sys.exit(_fail_user(too_long).exit_code)
        if _state["debug"]:
            import traceback

            traceback.print_exception(exc, file=sys.stderr)
        from gatekit.redact import scrub_message

        try:
            message = _shown(scrub_message(" ".join(f"internal error: {type(exc).__name__}: {exc}".split())))
        except Exception:  # noqa: BLE001 - redaction failed too: the message may hold anything, so it is not shown
            message = f"internal error: {type(exc).__name__} (its message is not shown: it could not be redacted)"
        print(message, file=sys.stderr)
        _annotate_error(message, EXIT_INFRA)
        _exit(EXIT_INFRA)
    _exit(code if isinstance(code, int) else 0)


_EXIT_GRACE_S = 3.0  # once the interpreter is joining threads, how long the agent's get before the process ends


def _exit(code: int) -> NoReturn:
    """End with ``code``; the threads an in-process agent left running cannot hold the process.

    The interpreter joins every non-daemon thread (and every ThreadPoolExecutor worker) before it exits: one a
    ``python:`` agent (or an MLflow model) started and never stopped kept gatekit running for ever after its verdict
    was written, and the CI job hung. When agent code left such threads, a watchdog (a daemon thread) waits for the
    interpreter's exit to begin and ends the process with ``code`` if that exit has not finished
    :data:`_EXIT_GRACE_S` later. A normal exit (threads that do end, idle executor workers) is not touched; nor is a
    process that is not gatekit's own command (a test calling ``main()``).
    """
    guard = sys.modules.get("gatekit.agents.exit_guard")  # (not imported: no in-process agent ran)
    if guard is not None and guard.left_behind() and _is_the_command():
        _arm_exit_watchdog(code)
    sys.exit(code)


def _is_the_command() -> bool:
    """This process is ``gatekit`` itself: ``python -m gatekit`` or the console script, not a host calling main()."""
    entry = sys.modules.get("__main__")
    spec = getattr(entry, "__spec__", None)
    if spec is not None:
        return spec.name in ("gatekit.__main__", "gatekit")
    return os.path.basename(str(getattr(entry, "__file__", ""))).removesuffix(".py") == "gatekit"


def _arm_exit_watchdog(code: int) -> None:
    import threading
    import time

    exiting = threading.Event()
    register = getattr(threading, "_register_atexit", None)
    if register is not None:
        # run first when the exit begins (before the executors' workers and the other threads are joined)
        register(exiting.set)

    def watch() -> None:
        if register is not None:
            exiting.wait()
        else:
            while threading.main_thread().is_alive():
                time.sleep(0.1)
        time.sleep(_EXIT_GRACE_S)  # the exit is joining threads: one the agent never stops holds it here
        with contextlib.suppress(Exception):
            sys.stdout.flush()
            print(
                "gatekit: threads the agent started still run and hold the exit; ending without them",
                file=sys.stderr,
                flush=True,
            )
        os._exit(code)

    threading.Thread(target=watch, name="gatekit-exit-watchdog", daemon=True).start()


def _is_usage_error(exc: BaseException) -> bool:
    """A command-line usage error of the (vendored) click parser: an unknown option, a bad value, a missing one."""
    module = type(exc).__module__ or ""
    return module.startswith(("typer", "click")) and callable(getattr(exc, "format_message", None))


def _unit_hint(exc: Any) -> str:
    """``--timeout 30s``: the number option's value written with a unit, and what to write (as in gatekit.yaml)."""
    import re

    opts = getattr(getattr(exc, "param", None), "opts", None) or []
    if "number" not in exc.format_message() and "integer" not in exc.format_message():
        return ""
    args = sys.argv[1:]
    for at, arg in enumerate(args):
        name, eq, value = arg.partition("=")
        if name in opts:
            value = value if eq else (args[at + 1] if at + 1 < len(args) else "")
            unit = re.fullmatch(r"\s*[-+]?(?:\d+(?:\.\d*)?|\.\d+)\s*([A-Za-z%]{1,4})\s*", value)
            if unit:
                return f" (got {value[:20]!r}): write the number alone, without {unit.group(1)!r}"
    return ""


_GLOBAL_FLAGS = ("-v", "-vv", "--verbose", "--debug")


def _usage_error(exc: Any) -> None:
    """Print a usage error in one line (``error: Invalid value for '--stage': ...; see 'gatekit canary --help'``)."""
    code = exc.exit_code if isinstance(getattr(exc, "exit_code", None), int) else EXIT_USAGE
    if type(exc).__name__ == "NoArgsIsHelpError":  # (the help was printed: ``gatekit`` or ``gatekit policy`` alone)
        sys.exit(code)
    ctx = getattr(exc, "ctx", None)
    hint = f"; see '{ctx.command_path} --help'" if ctx is not None and getattr(ctx, "command_path", None) else ""
    option = getattr(exc, "option_name", None)
    if type(exc).__name__ == "NoSuchOption" and option in _GLOBAL_FLAGS and ctx is not None and ctx.parent is not None:
        # `gatekit eval -v`: the logging flags are the program's, written before the command (README)
        hint = f"; {option} goes before the command: gatekit {option} {ctx.command_path.split(' ', 1)[-1]} ..."
        exc.possibilities = None  # click's guess (--debug -> "Possible options: --mode") is not the flag meant
    message = " ".join(f"{exc.format_message().rstrip('.')}{_unit_hint(exc)}{hint}".split())
    _err(f"error: {message}")
    _annotate_error(message, code)
    sys.exit(code)
