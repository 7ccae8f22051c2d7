"""The ``gatekit`` command line: parses options, calls the library, maps outcomes to exit codes.

No logic lives here. Heavy modules (mlflow, pandas, scipy) are imported by the
library functions that need them, so ``gatekit --help`` stays fast.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from gatekit.errors import EXIT_INFRA, EXIT_USAGE, GatekitError

app = typer.Typer(
    name="gatekit",
    help="Decide whether an AI agent build may reach production: replay, measure, govern, check drift, gate.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=False,
)


def _err(message: str) -> None:
    typer.echo(message, err=True)


def _fail_user(exc: GatekitError) -> typer.Exit:
    from gatekit.redact import redact_secrets

    message = redact_secrets(str(exc))  # messages quote the agent spec: no URL credentials, no secrets
    _err(f"error: {message}")
    _annotate_error(message, exc.exit_code)
    return typer.Exit(exc.exit_code)


def _fail_internal(exc: BaseException, what: str = "the gate fails closed") -> typer.Exit:
    from gatekit.redact import redact_secrets

    message = f"internal error ({what}): {type(exc).__name__}: {redact_secrets(str(exc))}"
    _err(" ".join(message.split()))
    _annotate_error(message, EXIT_INFRA)
    return typer.Exit(EXIT_INFRA)


def _color(word: str) -> str:
    colors = {"pass": typer.colors.GREEN, "fail": typer.colors.RED, "inconclusive": typer.colors.YELLOW}
    return typer.style(word.upper(), fg=colors.get(word), bold=True)


ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="gatekit.yaml to read (default: ./gatekit.yaml).")
]
DatasetOpt = Annotated[Path | None, typer.Option(help="Golden dataset (.jsonl, .csv, .parquet).")]
AgentOpt = Annotated[str | None, typer.Option(help="Candidate agent spec, e.g. python:examples.demo_agent:run.")]
ThresholdsOpt = Annotated[Path | None, typer.Option(help="Thresholds file (thresholds/*.yaml).")]
PolicyOpt = Annotated[Path | None, typer.Option(help="Governance policy file (policies/*.yaml).")]
OutOpt = Annotated[Path | None, typer.Option(help="Output folder [default: reports/latest].")]
ConcurrencyOpt = Annotated[int | None, typer.Option(help="Cases in flight at once [default: 8].")]
TimeoutOpt = Annotated[float | None, typer.Option(help="Seconds per attempt [default: 30].")]
RetriesOpt = Annotated[int | None, typer.Option(help="Retries after a failed attempt [default: 2].")]
ExperimentOpt = Annotated[str | None, typer.Option(help="MLflow experiment [default: gatekit].")]
TrackingOpt = Annotated[
    str | None, typer.Option(help="MLflow tracking URI [default: MLFLOW_TRACKING_URI, else ./mlflow.db].")
]
RunNameOpt = Annotated[str | None, typer.Option(help="MLflow run name.")]
ProductionOpt = Annotated[
    str | None,
    typer.Option(help="Production logs (file, folder or glob): adds a drift check against the golden dataset."),
]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="Print only the verdict line.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print verdict.json to stdout instead of the summary.")]
# Options
JunitOpt = Annotated[
    Path | None, typer.Option(help="Also write JUnit XML here (one testcase per check and per failed case).")
]
AliasOpt = Annotated[
    str | None, typer.Option(help="Model-registry alias to set on PASS (promote only) [default: production].")
]
BaselineOpt = Annotated[
    str | None,
    typer.Option(help="Baseline run to compare with: a model alias (or name@alias), a run id, or last-pass."),
]
DryRunOpt = Annotated[bool, typer.Option("--dry-run", help="Show what promotion would do; change nothing.")]


# Options
RepeatOpt = Annotated[int | None, typer.Option(help="Run every case K times (per-case pass counts, k-of-n).")]
ResumeOpt = Annotated[
    bool | None, typer.Option("--resume", help="Continue an interrupted run from results.jsonl in the same --out.")
]
SampleOpt = Annotated[int | None, typer.Option(help="Replay a random sample of N cases (a sample never promotes).")]
SeedOpt = Annotated[int | None, typer.Option(help="Seed for --sample (default 0).")]
DeadlineOpt = Annotated[
    float | None, typer.Option(help="Seconds for the whole replay; unfinished cases make the verdict inconclusive.")
]
ModelOpt = Annotated[str | None, typer.Option(help="Model name sent to an OpenAI-compatible agent endpoint.")]


def _run(command: str, flags: dict[str, Any], config_path: Path | None, quiet: bool, as_json: bool) -> None:
    from gatekit.config import load_config

    try:
        model = flags.pop("model", None)  # --model overrides agent_options.model only
        config = load_config(config_path, flags)
        if model is not None:
            config.agent_options.model = model
        from gatekit.gate import run_gate

        emit = None if (quiet or as_json) else (lambda msg: typer.echo(msg, err=True))
        result = run_gate(config, command=command, emit=emit)
    except GatekitError as exc:
        raise _fail_user(exc) from None
    except KeyboardInterrupt:
        _err(
            "interrupted: finished cases are in results.jsonl; no verdict was written; "
            "rerun with --resume (same --out) to continue"
        )
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - fail closed on any internal error
        raise _fail_internal(exc) from None
    try:
        verdict = _publish_ci(result.verdict, config.junit, as_json)
        _print_summary(verdict, quiet=quiet, as_json=as_json)
    except Exception as exc:  # noqa: BLE001 - verdict.json is written; CI output failed: fail closed
        raise _fail_internal(exc, f"verdict.json in {result.out_dir} is complete") from None
    raise typer.Exit(int(verdict["exit_code"]))


# GitHub Actions output and JUnit XML, after verdict.json is written
def _publish_ci(verdict: dict[str, Any], junit: Path | None, as_json: bool) -> dict[str, Any]:
    """Write the JUnit XML and the GitHub outputs; return the verdict as published.

    A JUnit file that cannot be written is an output the user asked for and did not get:
    exit 2 for a bad path (a directory, no permission), 3 for a failing disk. The verdict
    files stay as written; the step outputs are still written, with that exit code.
    """
    from gatekit.errors import EXIT_USAGE
    from gatekit.sinks.github import publish, write_junit

    if junit is not None:
        try:
            write_junit(verdict, Path(verdict["out_dir"]) / "results.jsonl", junit)
        except OSError as exc:
            bad_path = isinstance(exc, IsADirectoryError | NotADirectoryError | PermissionError | FileNotFoundError)
            code = EXIT_USAGE if bad_path else EXIT_INFRA
            hint = "pass a writable file path" if bad_path else "check the disk"
            message = (
                f"--junit {junit}: cannot write the JUnit XML ({exc.strerror or exc}); {hint}; "
                f"the verdict ({verdict['verdict']}) is in {Path(verdict['out_dir']) / 'verdict.json'}"
            )
            _err(f"error: {message}")
            verdict = {**verdict, "exit_code": code, "reasons": [*verdict.get("reasons", []), message]}
    # annotations go to stderr with --json so stdout stays valid JSON (the runner reads both)
    publish(verdict, os.environ, stream=sys.stderr if as_json else sys.stdout)
    return verdict


def _annotate_error(message: str, exit_code: int = EXIT_USAGE) -> None:
    """``::error`` annotation, step summary and step outputs for a run that ended without a verdict."""
    from gatekit.sinks.github import publish_error

    publish_error(message, exit_code, os.environ)


def _print_summary(verdict: dict[str, Any], *, quiet: bool, as_json: bool) -> None:
    if as_json:
        from gatekit.jsonio import to_json

        typer.echo(to_json(verdict))
        return
    from gatekit.models import Check, CheckStatus
    from gatekit.sinks.github import plain_text as safe
    from gatekit.verdict import describe

    word = verdict["verdict"]
    metrics = verdict["metrics"]
    typer.echo(
        f"{_color(word)}  {verdict['command']} {safe(verdict['candidate']['spec'], 500)} "
        f"({metrics['cases']} cases, exit {verdict['exit_code']})"
    )
    if quiet:
        return
    for c in verdict["checks"]:
        if c["status"] != "pass":
            check = Check(
                c["name"], c["value"], c["limit"], c["op"], CheckStatus(c["status"]), None, c["message"], c["unit"]
            )
            typer.echo(f"  {c['status'].upper():<12} {safe(describe(check), 2000)}")
    if verdict["mlflow"].get("error"):
        typer.echo(f"  MLFLOW       {safe(verdict['mlflow']['error'], 2000)}")
    g = verdict["governance"]["outcomes"]
    lat = metrics.get("latency_p95_ms")
    typer.echo(
        f"  latency p95 {'—' if lat is None else f'{lat:.1f} ms'} · errors {metrics['errors']}/{metrics['cases']}"
        f" · governance allow {g['allow']}, redacted {g['allow_with_redaction']}, review {g['require_review']},"
        f" deny {g['deny']}"
    )
    out = verdict["out_dir"]
    typer.echo(f"  report {os.path.join(out, 'report.html')}")
    if verdict["mlflow"].get("run_id"):
        typer.echo(f"  MLflow run {verdict['mlflow']['run_id']} at {verdict['mlflow']['tracking_uri']}")


def _gate_command(command: str):  # noqa: ANN202 - returns a typer command function
    def gate(
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
    ) -> None:
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
            "junit": junit,
            "alias": alias,
            "baseline": baseline,
            "dry_run": dry_run or None,  # None lets gatekit.yaml decide
            "repeat": repeat,
            "resume": resume,
            "sample": sample,
            "seed": seed,
            "deadline": deadline,
            "model": model,
            "production": production,
        }
        _run(command, flags, config, quiet, as_json)

    return gate


app.command(
    "promote",
    help="Replay the golden dataset through the candidate, judge it, log to MLflow; exit 0 only on PASS.",
)(_gate_command("promote"))
app.command("eval", help="The same run as promote, but never promotes anything.")(_gate_command("eval"))


@app.command("report", help="Re-render report.html from a saved verdict.json.")
def report(
    verdict_path: Annotated[Path, typer.Argument(help="verdict.json written by promote/eval.")],
    out: Annotated[Path | None, typer.Option(help="Where to write [default: report.html next to it].")] = None,
) -> None:
    """Re-render the HTML report."""
    import json

    try:
        verdict = json.loads(verdict_path.read_text(encoding="utf-8"))
        if not isinstance(verdict, dict) or "verdict" not in verdict:
            raise ValueError("not a gatekit verdict.json")
    except (OSError, ValueError) as exc:
        _err(f"error: {verdict_path}: cannot read verdict ({exc}); pass the verdict.json written by gatekit promote")
        raise typer.Exit(EXIT_USAGE) from None
    from jinja2 import UndefinedError

    from gatekit.report.html import write_report

    target = out or verdict_path.with_name("report.html")
    try:
        write_report(verdict, target, results_path=verdict_path.with_name("results.jsonl"))
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


# `gatekit drift`; the command lives in gatekit/drift/command.py
from gatekit.drift.command import drift_command  # noqa: E402 - kept in this separated block

app.command(
    "drift",
    help="Golden dataset vs production logs: per-feature KS / chi-square, drift.html + MLflow; "
    "exit 0 no drift, 1 drift, 2 bad input, 3 MLflow unreachable.",
)(drift_command)


@app.command("schema", help="Print the JSON Schema of gatekit.yaml (or a thresholds file) for editor completion.")
def schema(
    kind: Annotated[str, typer.Argument(help="config or thresholds")] = "config",
) -> None:
    """Print a JSON Schema."""
    import json

    from pydantic import BaseModel

    from gatekit.config import GateConfig
    from gatekit.verdict import Thresholds

    models: dict[str, type[BaseModel]] = {"config": GateConfig, "thresholds": Thresholds}
    if kind not in models:
        _err(f"error: unknown schema {kind!r}; use one of: {', '.join(models)}")
        raise typer.Exit(EXIT_USAGE)
    typer.echo(json.dumps(models[kind].model_json_schema(), indent=2))


# Governance (policy check / policy test / traces)
policy_app = typer.Typer(help="Validate governance policies and run their unit tests.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")


@policy_app.command("check", help="Validate policy files; exit 0 when all are valid, 2 otherwise.")
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
        typer.echo(f"ok {file}: {policy.id} v{policy.version}, {len(policy.rules) + len(policy.stop_rules)} rules")
    if failed:
        raise typer.Exit(EXIT_USAGE)


@policy_app.command("test", help="Run policy unit tests (YAML); exit 0 all pass, 1 a test failed, 2 bad files.")
def policy_test(directory: Annotated[Path, typer.Argument(help="Directory (or file) of policy tests.")]) -> None:
    """Run the tests and print one line per test."""
    from gatekit.governance.testing import run_policy_tests

    try:
        results = run_policy_tests(directory)
    except GatekitError as exc:
        raise _fail_user(exc) from None
    for result in results:
        typer.echo(f"{'PASS' if result.passed else 'FAIL'} {result.file}: {result.name}")
        for failure in result.failures:
            typer.echo(f"    {failure}")
    failed = sum(not r.passed for r in results)
    typer.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(1)


@app.command("traces", help="Filter governance audit traces (governance_traces.jsonl); prints JSONL.")
def traces(
    file: Annotated[Path, typer.Argument(help="governance_traces.jsonl")],
    outcome: Annotated[str | None, typer.Option(help="allow, allow_with_redaction, require_review, deny")] = None,
    rule: Annotated[str | None, typer.Option(help="Only decisions where this rule id fired.")] = None,
    case: Annotated[str | None, typer.Option(help="Only this case id.")] = None,
) -> None:
    """Print the matching trace rows, one JSON object per line."""
    import json

    from gatekit.governance.traces import filter_traces

    try:
        for row in filter_traces(file, outcome=outcome, rule=rule, case=case):
            typer.echo(json.dumps(row, ensure_ascii=False))
    except GatekitError as exc:
        raise _fail_user(exc) from None
    except UnicodeDecodeError:
        _err(f"error: {file}: not UTF-8 text; pass the governance_traces.jsonl written by gatekit promote/eval")
        raise typer.Exit(EXIT_USAGE) from None


# Gatekit init
@app.command(
    "init",
    help="Scaffold gatekit.yaml, a sample dataset, thresholds, a policy and a GitHub workflow; never overwrites.",
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
    typer.echo(
        f"{len(result.created)} created, {len(result.skipped)} skipped. Next: point 'agent:' in gatekit.yaml at your "
        "agent, then run `gatekit eval`."
    )


def main() -> None:
    """Console-script entry point."""
    try:
        app()
    except KeyboardInterrupt:  # pragma: no cover - typer handles most
        sys.exit(130)
    except Exception as exc:  # noqa: BLE001 - last line of defence: one line, exit 3, no traceback
        message = " ".join(f"internal error: {type(exc).__name__}: {exc}".split())
        print(message, file=sys.stderr)
        _annotate_error(message, EXIT_INFRA)
        sys.exit(EXIT_INFRA)
