"""``gatekit drift``: parse options, call ``check_drift``, print a short summary, map to an exit code.

cli.py registers ``drift_command``; this module imports only typer at load time.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from gatekit import fmt
from gatekit.errors import EXIT_INFRA, GatekitError

_NUMERIC_HELP = "Numeric feature (dotted path into nested JSON). Repeat for more. With any of these or "
_NUMERIC_HELP += "--categorical, exactly the named features are tested; without, features are derived."


def load_drift_config(config_path: Path | None, flags: dict[str, Any]) -> Any:
    """Build a ``DriftConfig`` from the ``drift:`` section of gatekit.yaml and the given flags.

    ``config_path`` None means ``./gatekit.yaml`` if it exists. Relative paths in the
    file are resolved against its folder; the file's top-level ``tracking_uri`` is used
    when ``drift.tracking_uri`` is not set. Flags that are None are ignored.
    """
    from pydantic import BaseModel, ConfigDict, ValidationError

    from gatekit.drift.config import DriftConfig
    from gatekit.errors import ConfigError
    from gatekit.yamlio import pydantic_message, read_yaml, sourced_message

    class _File(BaseModel):
        model_config = ConfigDict(extra="ignore")
        drift: DriftConfig | None = None

    path = config_path
    if path is None and Path("gatekit.yaml").exists():
        path = Path("gatekit.yaml")
    section: dict[str, Any] = {}
    top_uri = None
    if path is not None:
        data, lines = read_yaml(path, ConfigError, "config")
        raw = data.get("drift") or {}
        if not isinstance(raw, dict):
            raise ConfigError(f"{path}:{lines.get(('drift',), '?')}: drift: must be a mapping of settings")
        try:
            _File.model_validate({"drift": raw})
        except ValidationError as exc:
            raise ConfigError(pydantic_message(path, exc, lines, _File)) from None
        section = dict(raw)
        for key in ("reference", "production", "reference_results", "out"):
            value = section.get(key)
            if isinstance(value, str) and not Path(value).is_absolute() and str(path.parent) not in ("", "."):
                section[key] = str(path.parent / value)
        top_uri = data.get("tracking_uri")
        from gatekit.config import _store_uri_relative_to  # sqlite:///rel.db: relative to the file, like the paths

        if isinstance(section.get("tracking_uri"), str):
            section["tracking_uri"] = _store_uri_relative_to(path.parent, section["tracking_uri"])
        if isinstance(top_uri, str):
            top_uri = _store_uri_relative_to(path.parent, top_uri)
    if top_uri and not section.get("tracking_uri"):
        section["tracking_uri"] = top_uri
    for key, value in flags.items():
        if key in ("reference", "production", "reference_results", "out") and value is not None and not value.strip():
            flag = "--" + key.replace("_", "-")  # (--out "" wrote drift.json and drift.html into the working folder)
            raise ConfigError(f"{flag} {value!r}: empty path; give one (is a variable in the command unset?)")
        if value is not None and value != []:
            section[key] = value
    try:
        return DriftConfig.model_validate(section)
    except ValidationError as exc:
        given = {key: f"--{key.replace('_', '-')}" for key, value in flags.items() if value is not None and value != []}
        raise ConfigError(sourced_message(path, exc, {}, given, DriftConfig)) from None


def _line(feature: dict[str, Any]) -> str:
    from gatekit.sinks.github import plain_text as safe

    letter = "D" if feature["effect_name"] == "ks_d" else "V"
    mark = "≥" if feature["effect_size"] >= feature["effect_floor"] else "<"
    digits = fmt.digits_apart(feature["effect_size"], feature["effect_floor"], 3)  # never "V=0.577 < 0.577"
    extra = ""
    if feature.get("new_categories"):
        shown = ", ".join(_category(c) for c in feature["new_categories"][:5])
        more = feature.get("new_categories_count", 0) - 5
        extra = f"  new: {shown}" + (f" (+{more})" if more > 0 else "")
    crit = " [critical]" if feature.get("critical") else ""
    return (
        f"    {safe(feature['name'], 120):<28} {safe(feature['kind'], 40):<12} "
        f"{letter}={fmt.number(feature['effect_size'], digits)} {mark} {fmt.number(feature['effect_floor'], digits)}  "
        f"q={fmt.number(feature['q_value'], 3)}  n={fmt.count(feature['n_reference'])}/{fmt.count(feature['n_production'])}"
        f"{crit}{extra}"
    )


def _category(name: str) -> str:
    """A category name for the terminal; one that only looks like another (edge spaces, decomposed accents) quoted.

    "admin " and "admin", or "café" written with a combining accent, are different categories: printed plainly
    they read the same, and "new: admin" next to a reference "admin" makes no sense.
    """
    import unicodedata

    from gatekit.sinks.github import plain_text as safe

    if name != name.strip() or unicodedata.normalize("NFC", name) != name:
        return safe(ascii(name), 80)
    return safe(name, 80)


def print_summary(report: dict[str, Any], html_path: Path | None, run_id: str | None, uri: str | None) -> None:
    """Print drift yes/no first, then the drifted features with D/V, q and floor.

    Feature and category names come from production data: every one is printed through
    ``plain_text`` (one line, no workflow commands, no terminal escapes).
    """
    from gatekit.sinks.github import plain_text as safe

    word = (
        typer.style("DRIFT", fg=typer.colors.RED, bold=True)
        if report["drift"]
        else typer.style("NO DRIFT", fg=typer.colors.GREEN, bold=True)
    )
    typer.echo(f"{word}  {safe(report['reason'], 2000)}")
    drifted = [f for f in report["features"] if f["drifted"]]
    small = [f for f in report["features"] if f["significant"] and not f["drifted"]]
    if drifted:
        typer.echo("  drifted:")
        for feature in drifted:
            typer.echo(_line(feature))
    if small:
        typer.echo("  significant but below the effect floor (not drift):")
        for feature in small:
            typer.echo(_line(feature))
    for skipped in report["skipped"]:
        typer.echo(f"  skipped {safe(skipped['name'], 120)}: {safe(skipped['reason'], 500)}")
    for warning in report.get("warnings", []):
        typer.echo(f"  warning: {safe(warning, 500)}")
    prod = report["production"]
    typer.echo(
        f"  reference {fmt.count(report['reference']['rows'])} {fmt.noun(report['reference']['rows'], 'row')} · "
        f"production {fmt.count(prod['rows_in_window'])} {fmt.noun(prod['rows_in_window'], 'row')}"
    )
    if html_path is not None:
        typer.echo(f"  report {safe(html_path, 1000)}")
    if run_id:
        typer.echo(f"  MLflow run {safe(run_id, 100)}" + (f" at {safe(uri, 1000)}" if uri else ""))


def drift_command(
    reference: Annotated[
        str | None, typer.Option(metavar="SOURCE", help="Golden dataset or reference logs (file, folder, glob).")
    ] = None,
    production: Annotated[
        str | None,
        typer.Option(
            metavar="SOURCE",
            help="Production logs: file, folder or glob; mlflow:EXPERIMENT (MLflow traces); "
            "spark-table:NAME (with --engine spark).",
        ),
    ] = None,
    reference_results: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="A gate run's results.jsonl: latency/tokens/cost/tool calls per case_id."),
    ] = None,
    since: Annotated[
        str | None, typer.Option(metavar="DURATION", help="Only production rows of the last 7d / 24h / 30m / 2w.")
    ] = None,
    since_anchor: Annotated[
        str,
        typer.Option(
            metavar="newest|now", help="Window ends at the 'newest' production timestamp (reproducible) or 'now'."
        ),
    ] = "newest",
    timestamp_field: Annotated[
        str | None, typer.Option(metavar="FIELD", help="Dotted path of the production timestamp (default: timestamp).")
    ] = None,
    numeric: Annotated[list[str] | None, typer.Option(metavar="FIELD", help=_NUMERIC_HELP)] = None,
    categorical: Annotated[
        list[str] | None, typer.Option(metavar="FIELD", help="Categorical feature (dotted path). Repeat.")
    ] = None,
    critical: Annotated[
        list[str] | None, typer.Option(metavar="FIELD", help="Feature whose drift alone means drift. Repeat.")
    ] = None,
    verdict: Annotated[
        str | None,
        typer.Option(
            metavar="any|share",
            help="any (default): drift when any feature drifts; share: when a critical one or more than "
            "--max-drift-share of them drift.",
        ),
    ] = None,
    max_drift_share: Annotated[
        float | None,
        typer.Option(
            metavar="SHARE", help="With --verdict share: drift when more than this share drift (default: 0.5)."
        ),
    ] = None,
    engine: Annotated[
        str | None,
        typer.Option(
            metavar="duckdb|spark", help="Where statistics are computed: duckdb (default, in-process) or spark."
        ),
    ] = None,
    out: Annotated[
        str | None, typer.Option(metavar="DIR", help="Folder for drift.json and drift.html (default: reports/drift).")
    ] = None,
    experiment: Annotated[
        str | None, typer.Option(metavar="NAME", help="MLflow experiment (default: gatekit-drift).")
    ] = None,
    tracking_uri: Annotated[
        str | None,
        typer.Option(metavar="URI", help="MLflow tracking URI (default: MLFLOW_TRACKING_URI, else ./mlflow.db)."),
    ] = None,
    run_name: Annotated[
        str | None, typer.Option(metavar="NAME", help="MLflow run name (default: drift-YYYY-MM-DD).")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", "-c", metavar="FILE", help="gatekit.yaml (its drift: section).")
    ] = None,
    no_mlflow: Annotated[bool, typer.Option("--no-mlflow", help="Write the files only; log no MLflow run.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the drift summary as JSON.")] = False,
) -> None:
    """Compare a golden dataset with production logs: exit 0 no drift, 1 drift, 2 bad input, 3 MLflow."""
    flags = {
        "reference": reference, "production": production, "reference_results": reference_results,
        "since": since, "timestamp_field": timestamp_field, "numeric": numeric, "categorical": categorical,
        "critical": critical, "verdict": verdict, "engine": engine,
        "max_drift_share": max_drift_share, "out": out, "experiment": experiment,
        "tracking_uri": tracking_uri, "run_name": run_name,
    }  # fmt: skip
    from gatekit.redact import scrub_message
    from gatekit.sinks.github import plain_text as safe
    from gatekit.sinks.github import publish_drift_summary, publish_error

    result = None
    error: GatekitError | None = None
    try:
        from gatekit.drift.publish import check_drift
        from gatekit.interrupts import stops_interrupt

        cfg = load_drift_config(config, flags)
        if not no_mlflow:
            from gatekit.sinks.mlflow import check_store_opens

            check_store_opens(cfg.tracking_uri)  # a file store MLflow 3 refuses: exit 2 now, not exit 3 after
        # Ctrl-C / SIGTERM: exit 130 and no drift.json (DuckDB turned a stop into "Query interrupted": exit 3)
        with stops_interrupt("computing drift", sigint=True):
            result = check_drift(config=cfg, since_anchor=since_anchor, log_to_mlflow=not no_mlflow)
    except KeyboardInterrupt:
        from gatekit.interrupts import EXIT_INTERRUPTED

        message = "interrupted: no drift result was published (no drift.json); rerun gatekit drift"
        typer.echo(message, err=True)
        publish_error(message, EXIT_INTERRUPTED)
        raise typer.Exit(EXIT_INTERRUPTED) from None
    except GatekitError as exc:
        result = getattr(exc, "result", None)
        error = exc
        if result is None:
            typer.echo(f"error: {safe(scrub_message(str(exc)), 2000)}", err=True)
            publish_error(str(exc), exc.exit_code)
            raise typer.Exit(exc.exit_code) from None
    except Exception as exc:  # noqa: BLE001 - fail closed on any internal error
        from gatekit.fsio import path_too_long

        too_long = path_too_long(exc)  # a path given: bad input (exit 2), not an internal error
        if too_long is not None:
            typer.echo(f"error: {safe(scrub_message(str(too_long)), 2000)}", err=True)
            publish_error(str(too_long), too_long.exit_code)
            raise typer.Exit(too_long.exit_code) from None
        message = f"internal error (drift fails closed): {type(exc).__name__}: {exc}"
        typer.echo(safe(scrub_message(message), 2000), err=True)
        publish_error(message, EXIT_INFRA)
        raise typer.Exit(EXIT_INFRA) from None
    if as_json:
        typer.echo(json.dumps(result.summary(), indent=2))
    else:
        print_summary(result.report, result.html_path, result.run_id, _shown_uri(cfg.tracking_uri, result.run_id))
    code = error.exit_code if error is not None else result.exit_code
    publish_drift_summary(result.report, code)
    if error is not None:
        where = f" (drift.json and drift.html are in {result.json_path.parent})" if result.json_path else ""
        typer.echo(scrub_message(f"error: {safe(error, 2000)}{where}"), err=True)
        raise typer.Exit(error.exit_code)
    raise typer.Exit(result.exit_code)


def _shown_uri(configured: str | None, run_id: str | None) -> str | None:
    """The tracking URI the run went to (the default too), without credentials; None when nothing was logged."""
    if not run_id:
        return None
    from gatekit.redact import redact_urls
    from gatekit.sinks.mlflow import resolve_tracking_uri

    return redact_urls(resolve_tracking_uri(configured))
