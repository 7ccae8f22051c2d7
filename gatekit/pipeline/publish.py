"""Stage 6, publish: write the verdict where it is read, the same for the CLI and Python callers.

Order: the JUnit XML (``junit:``; first, so a path that cannot be written is known before any
promotion); verdict.json and report.html in ``out``; the MLflow run (with those files as
artifacts); promotion (``promote`` only, after the run is fully logged); the GitHub step
summary, annotations and outputs (when ``GITHUB_ACTIONS=true``). A failing sink never hides the verdict: MLflow down gives exit
3 with the local files written; an unwritable JUnit path gives exit 2 (bad path) or 3. When MLflow or the promotion
fails after the JUnit XML was written, it is written again carrying the final exit (suite ``gatekit.<kind>.run``).
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TextIO

from gatekit import __version__
from gatekit.errors import EXIT_INFRA, EXIT_USAGE, SinkError
from gatekit.models import CheckStatus
from gatekit.pipeline.checks import Assessment
from gatekit.pipeline.model import PromotionPart, Verdict
from gatekit.pipeline.prepare import Prepared
from gatekit.redact import display_path, display_spec, redact_urls

log = logging.getLogger(__name__)


def write_local(verdict: Verdict, out: Path, t0: float) -> None:
    """Write ``verdict.json`` and ``report.html`` (atomically) with the duration so far."""
    from gatekit.fsio import atomic_write_text
    from gatekit.report.html import write_report

    verdict.duration_s = round(time.perf_counter() - t0, 3)
    atomic_write_text(out / "verdict.json", verdict.to_json())
    write_report(verdict, out / "report.html")


def publish(
    verdict: Verdict,
    prep: Prepared,
    assessment: Assessment,
    *,
    t0: float,
    env: Mapping[str, str] | None = None,
    stream: TextIO | None = None,
    say: Callable[[str], None] | None = None,
) -> Verdict:
    """Write files, log to MLflow, promote, write JUnit and GitHub outputs; return the verdict as published."""
    env = os.environ if env is None else env
    out = prep.out
    junit_exit: int | None = None  # the exit code the JUnit file carries (None: no file written)
    if prep.config.junit is not None:
        # before MLflow and the promotion: a JUnit file that cannot be written exits non-zero, and a run that exits
        # non-zero must not have moved the alias (promote skips on a non-zero exit code)
        if _write_junit(verdict, prep.config.junit, say):
            junit_exit = verdict.exit_code
    try:
        if prep.config.no_mlflow:
            verdict.mlflow.skipped = True
            if verdict.command == "promote":
                from gatekit.promotion import DEFAULT_ALIAS

                verdict.promotion = PromotionPart(
                    alias=prep.config.alias or DEFAULT_ALIAS,
                    action="skipped",
                    dry_run=prep.config.dry_run,
                    message="not promoted: MLflow logging is off (--no-mlflow)",
                )
            write_local(verdict, out, t0)
        else:
            _log_mlflow(verdict, prep, assessment, t0)
    except SinkError as exc:
        log.warning("MLflow logging failed: %s", exc)
        verdict.mlflow.error = str(exc)
        verdict.reasons = [*verdict.reasons, f"MLflow logging failed: {exc}"]
        verdict.exit_code = EXIT_INFRA
        write_local(verdict, out, t0)
        if verdict.mlflow.run_id:  # the run was logged (the promotion failed after it): it must not say exit 0
            from gatekit.sinks.mlflow import log_run_artifact, resolve_tracking_uri

            uri = resolve_tracking_uri(prep.config.tracking_uri)
            try:
                _retag_exit(uri, verdict)
                log_run_artifact(uri, str(verdict.mlflow.run_id), out / "verdict.json")
            except SinkError as again:  # the tracking server is failing too: verdict.json says why
                log.warning("MLflow run %s keeps its logged exit code: %s", verdict.mlflow.run_id, again)
    if prep.config.junit is not None and junit_exit is not None and verdict.exit_code != junit_exit:
        # MLflow or the promotion failed after the JUnit file was written: rewritten, it carries the final exit
        # (suite gatekit.<kind>.run); a rewrite that fails leaves the earlier file and that exit code stands
        if not _write_junit(verdict, prep.config.junit, say, keep_exit=True):
            write_local(verdict, out, t0)  # verdict.json names the JUnit file that was not rewritten
    from gatekit.sinks.github import publish as publish_github

    # annotations go to stderr when stdout carries JSON; the caller chooses the stream
    publish_github(verdict, env, stream=stream if stream is not None else sys.stdout)
    return verdict


def _log_mlflow(verdict: Verdict, prep: Prepared, assessment: Assessment, t0: float) -> None:
    from gatekit.sinks.mlflow import log_run, log_run_artifact, resolve_tracking_uri

    config = prep.config
    tracking_uri = resolve_tracking_uri(config.tracking_uri)
    verdict.mlflow.tracking_uri = redact_urls(tracking_uri)
    write_local(verdict, prep.out, t0)

    def before_artifacts(mlflow_run_id: str, experiment_id: str) -> None:
        verdict.mlflow.run_id = mlflow_run_id
        verdict.mlflow.experiment_id = experiment_id
        write_local(verdict, prep.out, t0)

    out = prep.out
    # the version the agent loaded and replayed: an alias candidate is not looked up again after the replay
    replayed = getattr(prep.agent, "model_version", None)
    replayed = str(replayed) if replayed is not None else None
    from gatekit.promotion import registry_mismatch

    # a model read from another registry: its name/version here is another model; neither tagged nor promoted
    mismatch = registry_mismatch(getattr(prep.agent, "registry_uri", None), prep.agent_spec, tracking_uri)
    # the version of that number now in the registry is not the one replayed (deleted and registered again)
    swapped = None if mismatch else _version_swapped(tracking_uri, prep, replayed)
    model_tags = {} if mismatch or swapped else _model_tags(prep.agent_spec, tracking_uri, replayed)
    log_run(
        tracking_uri,
        config.experiment,
        config.run_name or run_name(verdict),
        params=_mlflow_params(prep),
        metrics=_mlflow_metrics(assessment),
        tags={
            "gatekit.verdict": verdict.verdict,
            # the exit code as logged; set again when the promotion changes it (an alias moved, a registry refusal)
            "gatekit.exit_code": str(verdict.exit_code),
            "gatekit.kind": "gate",
            "gatekit.command": verdict.command,
            "gatekit.candidate": display_spec(prep.agent_spec),
            "gatekit.dataset_sha256": prep.dataset.sha256,
            "gatekit.version": __version__,
            **_ci_tags(),
            **model_tags,
        },
        artifacts=[out / "verdict.json", out / "report.html", out / "results.jsonl", out / "governance_traces.jsonl"]
        + ([out / "drift.json", out / "drift.html"] if verdict.drift is not None else []),
        dataset={
            "name": display_path(prep.dataset.path.stem),
            "path": display_path(prep.dataset.path),
            "sha256": prep.dataset.sha256,
            "records": [c.to_dict() for c in prep.dataset.cases],
        },
        before_artifacts=before_artifacts,
        start_time_ms=int(prep.started.timestamp() * 1000),
    )
    log.info("logged MLflow run %s at %s", verdict.mlflow.run_id, verdict.mlflow.tracking_uri)
    _tag_model_version(tracking_uri, model_tags, verdict)
    # Only after the run is fully logged, only on pass
    if verdict.command == "promote":
        from gatekit.promotion import DEFAULT_ALIAS, PromotionError, promote, undo_promotion

        alias = config.alias or DEFAULT_ALIAS
        requested = config.alias is not None or bool(config.dry_run)
        promotable = verdict.verdict == "pass" and verdict.exit_code in (None, 0) and verdict.sample is None
        moved = _alias_moved(tracking_uri, prep, alias) if promotable and not mismatch else None
        moved = swapped if promotable and swapped else moved
        if moved:
            block = {
                "alias": alias,
                "action": "skipped",
                "dry_run": config.dry_run,
                "message": f"not promoted: {moved}",
            }
            verdict.exit_code = EXIT_INFRA
            verdict.reasons = [*verdict.reasons, f"not promoted: {moved}"]
        elif mismatch:  # (prepare refuses this before the replay; the registry URI changed since)
            block = {
                "alias": alias,
                "action": "skipped",
                "dry_run": config.dry_run,
                "message": f"not promoted: {mismatch}",
            }
            if verdict.verdict == "pass":
                verdict.exit_code = EXIT_USAGE
                verdict.reasons = [*verdict.reasons, mismatch]
        else:
            try:
                block = promote(
                    verdict, alias=alias, tracking_uri=tracking_uri, dry_run=config.dry_run, replayed=replayed
                )
            except PromotionError as exc:  # verdict.json says where the alias was left (exit 3)
                verdict.promotion = PromotionPart.model_validate({**exc.block, "requested": requested})
                raise
        block["requested"] = requested
        verdict.promotion = PromotionPart.model_validate(block)
        write_local(verdict, out, t0)  # verdict.json / report.html now carry the promotion block
        try:
            for name in ("verdict.json", "report.html"):
                log_run_artifact(tracking_uri, str(verdict.mlflow.run_id), out / name)
            _retag_exit(tracking_uri, verdict)
        except SinkError as exc:
            if block["action"] != "promoted":
                raise
            # the gate exits 3: the alias it moved goes back (a promotion is never an exit 3)
            why = f"logging the verdict after the alias moved failed: {exc}"
            error = undo_promotion(tracking_uri, block, why, moved=True)
            verdict.promotion = PromotionPart.model_validate(error.block)
            raise error from None


def _retag_exit(tracking_uri: str, verdict: Verdict) -> None:
    """``gatekit.exit_code`` of the logged run: the exit code the gate ends with."""
    from gatekit.sinks.mlflow import set_run_tags

    if verdict.mlflow.run_id:
        set_run_tags(tracking_uri, str(verdict.mlflow.run_id), {"gatekit.exit_code": str(verdict.exit_code)})


def _alias_moved(tracking_uri: str, prep: Prepared, alias: str) -> str | None:
    """Why the alias must not be moved: someone moved it while the gate ran (None when it holds what it held)."""
    if prep.alias_holder is None:
        return None
    from gatekit.promotion import parse_model_spec, quoted_name
    from gatekit.sinks.mlflow import registry_alias_version

    ref = parse_model_spec(prep.agent_spec)
    if ref is None:
        return None
    now = registry_alias_version(tracking_uri, ref.name, alias) or "none"
    if now == prep.alias_holder:
        return None

    def shown(holder: str) -> str:
        return "no version" if holder == "none" else f"version {holder}"

    return (
        f"alias '{alias}' of {quoted_name(ref.name)} was moved during the run ({shown(prep.alias_holder)} at the start, "
        f"{shown(now)} now); gatekit does not overwrite it: rerun the gate against the new holder"
    )


def _version_swapped(tracking_uri: str, prep: Prepared, replayed: str | None) -> str | None:
    """Why the registered version ``replayed`` is not the model the gate replayed (None when it is).

    A version number names a model only while the registered model lives: deleted and registered again during the
    run, ``name/1`` is another model (another run, source, creation time), and the gate tagged and promoted it.
    """
    from gatekit.promotion import parse_model_spec, quoted_name
    from gatekit.sinks.mlflow import registry_model_version

    identity = getattr(prep.agent, "model_identity", None)
    ref = parse_model_spec(prep.agent_spec)
    if ref is None or replayed is None or not isinstance(identity, dict):
        return None
    info = registry_model_version(tracking_uri, ref.name, replayed)
    what = f"version {replayed} of registered model {quoted_name(ref.name)}"
    if info is None:
        return f"{what} was deleted during the run; nothing is tagged nor promoted"
    if info["identity"] == identity:
        return None
    now, then = info["identity"], identity
    return (
        f"{what} is not the model replayed: it was registered again during the run (now from run "
        f"{now['run_id'] or 'none'}, created {now['created']}; replayed: run {then['run_id'] or 'none'}, created "
        f"{then['created']}); nothing is tagged nor promoted: gate the new version"
    )


def run_name(verdict: Verdict) -> str:
    """Default MLflow run name: ``gate · <candidate> · <verdict>``."""
    return f"gate · {display_spec(verdict.candidate.spec)} · {verdict.verdict}"[:250]


def _model_tags(agent_spec: str, tracking_uri: str, replayed: str | None) -> dict[str, str]:
    from gatekit.promotion import model_tags

    return model_tags(agent_spec, tracking_uri, replayed)


def _ci_tags() -> dict[str, str]:
    from gatekit.sinks.github import ci_tags

    return ci_tags(os.environ)


def _tag_model_version(tracking_uri: str, model_tags: Mapping[str, str], verdict: Verdict) -> None:
    """Tag the registered model version under test with this gate's verdict and run id."""
    from gatekit.promotion import TAG_MODEL_NAME, TAG_MODEL_VERSION
    from gatekit.sinks.mlflow import registry_set_version_tag

    name, version = model_tags.get(TAG_MODEL_NAME), model_tags.get(TAG_MODEL_VERSION)
    if not (name and version):
        return
    registry_set_version_tag(tracking_uri, name, version, "gatekit.verdict", verdict.verdict)
    registry_set_version_tag(tracking_uri, name, version, "gatekit.verdict_run_id", str(verdict.mlflow.run_id))


def _write_junit(verdict: Verdict, junit: Path, say: Callable[[str], None] | None, *, keep_exit: bool = False) -> bool:
    """Write the JUnit XML; True when written.

    An unwritable path sets exit 2 (bad path) or 3 (failing disk) and says why; with ``keep_exit`` (the rewrite
    after a later failure) a non-zero exit code set earlier stays.
    """
    from gatekit.fsio import InputFileError
    from gatekit.report.junit import write_junit

    try:
        write_junit(verdict, Path(verdict.out_dir) / "results.jsonl", junit)
        return True
    except OSError as exc:
        bad_path = isinstance(exc, IsADirectoryError | NotADirectoryError | PermissionError | FileNotFoundError)
        bad_path = bad_path or isinstance(exc, InputFileError)  # a FIFO or a socket there: never replaced
        bad_path = bad_path or Path(junit).is_dir()  # ``--junit /``: the rename onto a mount point is EBUSY
        bad_path = bad_path or Path(junit).parent.is_file()  # ``--junit a-file/x.xml``: mkstemp says EEXIST
        hint = "pass a writable file path" if bad_path else "check the disk"
        message = (
            f"--junit {junit}: cannot write the JUnit XML ({exc.strerror or exc}); {hint}; "
            f"the verdict ({verdict.verdict}) is in {Path(verdict.out_dir) / 'verdict.json'}"
        )
        if say is not None:  # the run's own error line; a log record as well printed it twice
            say(f"error: {message}")
        else:  # quiet, --json or a library call: the log record is the one line
            log.error("%s", message)
        if not (keep_exit and verdict.exit_code not in (None, 0)):
            verdict.exit_code = EXIT_USAGE if bad_path else EXIT_INFRA
        verdict.reasons = [*verdict.reasons, message]
        return False


def _mlflow_params(prep: Prepared) -> dict[str, Any]:
    config, policy = prep.config, prep.policy
    return {
        "agent": display_spec(prep.agent_spec),
        "dataset": display_path(config.dataset),
        "dataset_sha256": prep.dataset.sha256,
        "thresholds": display_path(config.thresholds),
        "policy": display_path(config.policy),
        "policy_id": policy.id,
        "policy_version": policy.version,
        "policy_sha256": policy.sha256,
        "concurrency": config.concurrency,
        "timeout_s": config.timeout,
        "retries": config.retries,
        "repeat": config.repeat,
        "sample": config.sample,
    }


def _mlflow_metrics(assessment: Assessment) -> dict[str, float]:
    metrics: dict[str, float] = {}
    for key, value in assessment.values.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        metrics[key] = float(value)
    metrics["checks_failed"] = float(sum(c.status is CheckStatus.FAIL for c in assessment.checks))
    metrics["checks_inconclusive"] = float(sum(c.status is CheckStatus.INCONCLUSIVE for c in assessment.checks))
    return metrics


def publish_error(message: str, exit_code: int, env: Mapping[str, str] | None = None) -> bool:
    """Publish a run that ended without a verdict (exit 2 or 3) to GitHub Actions, when running there."""
    from gatekit.sinks.github import publish_error as publish_github_error

    return publish_github_error(message, exit_code, os.environ if env is None else env)
