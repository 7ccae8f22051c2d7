"""Stage 1, prepare: validate every input and set up the output folder before the first case runs.

Bad input raises a ``GatekitError`` subclass (exit 2) here, before any file is touched
except the output folder's lock.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from gatekit.agents import AgentOptions, resolve_agent
from gatekit.config import GateConfig, refuse_misplaced_paths, require
from gatekit.dataset import Dataset, load_dataset
from gatekit.errors import AgentError, ConfigError
from gatekit.metrics import load_pricing
from gatekit.models import Case
from gatekit.redact import url_host
from gatekit.replay import ReplaySettings
from gatekit.verdict import Thresholds, load_thresholds

log = logging.getLogger(__name__)


@dataclass
class Prepared:
    """Everything validated and opened for one gate run."""

    config: GateConfig
    command: str
    started: datetime
    dataset: Dataset
    cases: list[Case]
    agent_spec: str
    agent: Any
    thresholds: Thresholds
    pricing: Any
    policy: Any
    baseline: Any | None
    out: Path
    run_id: str
    resumed: Any  # gatekit.replay.ResumeState
    settings: ReplaySettings
    sample: dict[str, int] | None
    # ``promote`` of a registered model: the version holding the target alias when the run started ("none": no
    # version); None when not read. An alias moved during the run is not overwritten.
    alias_holder: str | None = None

    @property
    def total_cases(self) -> int:
        """Cases times repeats: how many judgements the run makes."""
        return len(self.cases) * self.config.repeat


def _checks_can_be_measured(config: GateConfig, thresholds: Thresholds, policy: Any) -> None:
    """A check of a rule the policy does not have, or of K passes out of fewer --repeat runs, is refused now.

    Both were "unknown" after the whole replay, a FAIL a typo in a rule id caused.
    """
    import difflib
    import re

    where = config.thresholds
    ids = [rule.id for rule in (*policy.rules, *policy.stop_rules)]
    for name in thresholds.checks:
        per_rule = re.fullmatch(r"governance\.rule\.(.+)\.(?:violation_block_rate|false_positive_rate)", name)
        if per_rule and per_rule.group(1) not in ids:
            close = difflib.get_close_matches(per_rule.group(1), ids, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else f"its rules: {', '.join(ids) or 'none'}"
            raise ConfigError(
                f"{where}: checks.{name}: the policy {policy.id!r} has no enabled rule {per_rule.group(1)!r}; {hint}"
            )
        k_of_n = re.fullmatch(r"pass_k_of_n\.(\d+)", name)
        if k_of_n and int(k_of_n.group(1)) > config.repeat:
            raise ConfigError(
                f"{where}: checks.{name}: no case can pass {k_of_n.group(1)} of --repeat {config.repeat} runs; "
                f"run with --repeat {k_of_n.group(1)} or more, or lower K"
            )


def _out_outside_production(config: GateConfig, out: Path) -> None:
    """``--out`` inside the ``--production`` folder: the drift check read the run's own files as production logs."""
    if not config.production:
        return
    import glob

    production = Path(config.production)
    try:
        base = out.resolve()
        folders = [production.resolve()] if production.is_dir() else []
        # a glob: the files it matches now that lie in --out (a later run's outputs would be read the same way)
        inside = [m for m in glob.glob(config.production, recursive=True) if Path(m).resolve().is_relative_to(base)]
    except (OSError, RuntimeError, ValueError):
        return
    if any(base == folder or base.is_relative_to(folder) for folder in folders) or inside:
        raise ConfigError(
            f"--out {out} is inside --production {config.production}: the drift check would read the run's own "
            "files (results.jsonl, verdict.json ...) as production logs; choose an --out outside it"
        )


def _outputs_clear_of_inputs(config: GateConfig) -> None:
    """Refuse an output path that is an input file, before anything is written or removed.

    ``--junit cases.jsonl`` replaced the golden dataset with JUnit XML (and a failed agent start removed it as a
    stale report); a dataset, thresholds or policy kept as ``results.jsonl`` / ``verdict.json`` in ``--out`` was
    overwritten by the run's own files; ``--junit out/verdict.json`` was replaced by the verdict.
    """
    from gatekit.fsio import LOCK_FILE, same_file
    from gatekit.replay import RESULTS_FILE, STALE_OUTPUTS, STATE_FILE

    inputs: dict[str, Path] = {}
    for name in ("dataset", "thresholds", "policy", "pricing"):
        value = getattr(config, name)
        if value is not None:
            inputs[f"the {name} file"] = Path(value)
    if config.config_path is not None:
        inputs["the config file"] = Path(config.config_path)
    if config.production and Path(config.production).is_file():
        inputs["the --production file"] = Path(config.production)
    out = Path(config.out)
    _out_outside_production(config, out)
    outputs = {
        name: out / name for name in (RESULTS_FILE, "governance_traces.jsonl", STATE_FILE, *STALE_OUTPUTS, LOCK_FILE)
    }
    written = [
        (f"--out {out}: its {name}", path, "move that file out of the output folder or choose another --out")
        for name, path in outputs.items()
    ]
    if config.junit is not None:
        junit = Path(config.junit)
        for name, path in outputs.items():
            if same_file(junit, path):
                raise ConfigError(
                    f"--junit {junit} is the run's own {name} in --out {out}, which the run writes too; "
                    "pass another path for the JUnit XML"
                )
        written.insert(0, (f"--junit {junit}", junit, "pass another path for the JUnit XML"))
    for what, path, hint in written:
        for label, source in inputs.items():
            if same_file(path, source):
                raise ConfigError(f"{what} is {label} ({source}): the run would write over it; {hint}")


def prepare(config: GateConfig, *, command: str, started: datetime, locks: list[Any]) -> Prepared:
    """Load and check config, dataset, thresholds, pricing, policy, agent, baseline; lock ``out``.

    The output lock is appended to ``locks``; the caller releases it when the run ends.
    """
    refuse_misplaced_paths(config)
    dataset_path = require(config, "dataset")
    agent_spec = require(config, "agent")
    _outputs_clear_of_inputs(config)
    thresholds = load_thresholds(require(config, "thresholds"))
    pricing = load_pricing(config.pricing)
    from gatekit.governance import load_policy

    policy = load_policy(require(config, "policy"))
    _checks_can_be_measured(config, thresholds, policy)
    dataset = load_dataset(dataset_path)
    cases, sample = _sample(config, dataset)
    options = agent_options(config)
    if command == "promote":
        from gatekit.promotion import check_alias

        check_alias(config.alias)  # refused now, not by MLflow after the whole replay
    if not config.no_mlflow:  # a file store MLflow 3 refuses or a server that is down: now, not after the replay
        from gatekit.sinks.mlflow import check_tracking_store

        check_tracking_store(config.tracking_uri)
    try:
        agent = resolve_agent(agent_spec, options)
        _same_registry(config, command, agent, agent_spec)
        pinned = _pinned_version(agent)  # models:/name@alias looked up now: a missing model fails here
    except AgentError as exc:  # the folder says the run failed and why, not the last run's verdict or nothing
        from gatekit.pipeline.provisional import write_failed_start

        error = in_config_file(config, exc)
        write_failed_start(config=config, command=command, started=started, dataset=dataset, exc=error, locked=False)
        raise error from None
    if config.production:
        import glob

        from gatekit.drift.sources import resolve_paths

        if not glob.glob(config.production) and not Path(config.production).exists():
            raise ConfigError(
                f"--production {config.production}: no file or folder matches; pass production logs "
                "(.jsonl/.parquet/.csv, a folder or a glob)"
            )
        # a FIFO, a device, a folder or glob of no log file: refused now, not by a failed drift check (exit 1)
        # after the whole replay
        resolve_paths(config.production, "production")
    baseline = _baseline(config, thresholds, agent_spec, dataset.sha256)
    out = Path(config.out)
    from gatekit.fsio import OutputLock, make_output_folder

    try:
        make_output_folder(out)
    except OSError as exc:
        raise ConfigError(str(exc.strerror)) from None

    locks.append(OutputLock(out).acquire())
    from gatekit.replay import prepare_results

    order = [(case.id, r) for r in range(config.repeat) for case in cases]
    resumed = prepare_results(
        out,
        resume=config.resume,
        run_id=started.strftime("%Y%m%dT%H%M%S") + f"-{os.getpid()}",
        identity=_run_identity(config, dataset.sha256, policy, pinned),
        order=order,
    )
    settings = ReplaySettings(
        concurrency=config.concurrency,
        timeout_s=config.timeout,
        retries=config.retries,
        repeat=config.repeat,
        deadline_s=config.deadline,
        skip=resumed.finished,
        keep=frozenset(filter(None, [url_host(agent_spec)])),
    )
    workers = getattr(agent, "workers", None)  # a cmd: agent's pool (extra.workers)
    if type(workers) is int and 0 < workers < settings.concurrency:
        # a case waiting for a busy worker would be timed meanwhile: its latency and its timeout, never the agent's
        settings.concurrency = workers
    log.debug("prepared: %d cases x %d repeats, out %s, run %s", len(cases), config.repeat, out, resumed.run_id)
    return Prepared(
        config=config,
        command=command,
        started=started,
        dataset=dataset,
        cases=cases,
        agent_spec=agent_spec,
        agent=agent,
        thresholds=thresholds,
        pricing=pricing,
        policy=policy,
        baseline=baseline,
        out=out,
        run_id=resumed.run_id,
        resumed=resumed,
        settings=settings,
        sample=sample,
        alias_holder=_alias_holder(config, command, agent_spec),
    )


def _sample(config: GateConfig, dataset: Dataset) -> tuple[list[Case], dict[str, int] | None]:
    cases = dataset.cases
    if config.sample is None or config.sample >= len(cases):
        return cases, None
    import random

    rng = random.Random(config.seed)
    picked = sorted(rng.sample(cases, config.sample), key=lambda c: c.line)
    return picked, {"size": config.sample, "seed": config.seed, "of": len(cases)}


def _alias_holder(config: GateConfig, command: str, agent_spec: str) -> str | None:
    """The version that holds the alias ``promote`` would move, read before the run (``none`` when unset)."""
    from gatekit.promotion import DEFAULT_ALIAS, parse_model_spec

    ref = parse_model_spec(agent_spec)
    if command != "promote" or config.no_mlflow or config.dry_run or ref is None:
        return None
    from gatekit.sinks.mlflow import registry_alias_version, resolve_tracking_uri

    holder = registry_alias_version(resolve_tracking_uri(config.tracking_uri), ref.name, config.alias or DEFAULT_ALIAS)
    return holder or "none"


def _same_registry(config: GateConfig, command: str, agent: Any, agent_spec: str) -> None:
    """``promote`` of a ``models:/`` agent read from one registry is refused when it would be promoted in another."""
    registry = getattr(agent, "registry", None)
    if command != "promote" or config.no_mlflow or not callable(registry):
        return
    from gatekit.promotion import registry_mismatch
    from gatekit.sinks.mlflow import resolve_tracking_uri

    why = registry_mismatch(registry(), agent_spec, resolve_tracking_uri(config.tracking_uri))
    if why is not None:
        raise ConfigError(why)


def _baseline(config: GateConfig, thresholds: Thresholds, agent_spec: str, dataset_sha256: str) -> Any | None:
    """Find the baseline run and its results before any case runs (``--baseline``)."""
    if not config.baseline:
        return None
    from gatekit.baseline import load_baseline
    from gatekit.regression import parse_limits

    if not thresholds.max_regression:
        raise ConfigError(
            f"--baseline {config.baseline}: {config.thresholds} has no 'max_regression:' limits; "
            "add e.g. max_regression: {error_rate: 0.5pp, latency_p95_ms: 10%}"
        )
    limits, _level = parse_limits(thresholds.max_regression)
    if not limits:  # only ``confidence:``: the baseline was loaded and nothing compared with it
        raise ConfigError(
            f"--baseline {config.baseline}: 'max_regression:' in {config.thresholds} sets no metric limit (only "
            "'confidence'), so nothing would be compared; add e.g. error_rate: 0.5pp, latency_p95_ms: 10%"
        )
    return load_baseline(
        config.baseline,
        tracking_uri=config.tracking_uri,
        experiment=config.experiment,
        candidate_spec=agent_spec,
        dataset_sha256=dataset_sha256,
    )


def _pinned_version(agent: Any) -> str | None:
    """The registered model version an MLflow agent will load (an alias looked up once, now), else None."""
    pin = getattr(agent, "pin_version", None)
    version = pin() if callable(pin) else None
    return None if version is None else str(version)


def _run_identity(
    config: GateConfig, dataset_sha256: str, policy: Any, model_version: str | None = None
) -> dict[str, Any]:
    """What ``--resume`` checks: dataset, agent (hashed; with the model version an alias named), policy, ..."""
    from gatekit.replay import file_sha256, run_identity

    options = config.agent_options
    parts: list[Any] = [config.agent, options.model]
    if model_version is not None:  # models:/name@candidate moved between the run and its --resume: another agent
        parts.append(f"model version {model_version}")
    if options.headers or options.extra:
        # the agent's settings as written (``${VAR}`` unexpanded): another extra.body (temperature, a system prompt),
        # extra.params, extra.env or header resumed the run on another agent, mixing its cases with the first one's
        # (left out when unset, so a run an older gatekit started without them still resumes)
        extra = dict(options.extra)
        if isinstance(extra.get("cwd"), str):  # (resolved against gatekit.yaml's folder: the same from anywhere)
            extra["cwd"] = os.path.abspath(extra["cwd"])
        parts.append({"headers": options.headers, "extra": extra})
    try:
        agent = json.dumps(parts, default=str, sort_keys=True)
    except TypeError:  # (keys of mixed types in extra cannot be sorted: as written)
        agent = json.dumps(parts, default=str)
    return run_identity(
        dataset_sha256=dataset_sha256,
        agent=agent,
        repeat=config.repeat,
        sample=config.sample,
        seed=config.seed,
        policy={"id": policy.id, "version": policy.version, "sha256": policy.sha256},
        thresholds_sha256=file_sha256(config.thresholds),
        pricing_sha256=file_sha256(config.pricing),
        agent_code_sha256=_agent_code_sha256(str(config.agent or "")),
        timeout_s=config.timeout,
        retries=config.retries,
    )


def _agent_code_sha256(spec: str) -> str | None:
    """sha256 of a ``python:`` agent's module file: an agent edited between a run and its ``--resume`` is refused.

    None for other agents (their code is elsewhere) and when the module cannot be located without running it.
    """
    import importlib.util
    import sys

    from gatekit.replay import file_sha256

    if not spec.startswith("python:"):
        return None
    module = spec.removeprefix("python:").partition(":")[0]
    cwd = os.getcwd()
    if cwd not in sys.path:
        sys.path.insert(0, cwd)  # as the agent loader does
    from gatekit.agents.exit_guard import AgentExitCalled, guarding

    try:
        with guarding():  # finding pkg.module imports pkg: its os._exit must not end the gate silently
            found = importlib.util.find_spec(module)
    except (Exception, SystemExit, AgentExitCalled):  # noqa: BLE001 - the agent loader says why (exit 2)
        return None
    origin = getattr(found, "origin", None)
    return file_sha256(origin) if origin and Path(origin).is_file() else None


def in_config_file(config: GateConfig, exc: BaseException) -> BaseException:
    """An agent error about ``agent_options.*`` (set only in gatekit.yaml) with the file named in front."""
    if isinstance(exc, AgentError) and config.config_path is not None and str(exc).startswith("agent_options."):
        return AgentError(f"{config.config_path}: {exc}")
    return exc


def agent_options(config: GateConfig) -> AgentOptions:
    """The agent adapter's options from a loaded ``GateConfig`` (concurrency, timeout, ``agent_options``)."""
    return AgentOptions(
        concurrency=config.concurrency,
        timeout_s=config.timeout,
        model=config.agent_options.model,
        api_key_env=config.agent_options.api_key_env,
        headers=dict(config.agent_options.headers),
        extra=dict(config.agent_options.extra),
        config_dir=str(config.config_path.parent.resolve()) if config.config_path is not None else None,
    )
