"""Find the baseline gate run in MLflow and load its per-case results.

``--baseline`` names it: ``last-pass`` (newest passing gate run on this dataset), a 32-hex
run id, ``name@alias`` or a bare alias of the candidate's registered model. Every MLflow
call goes through ``gatekit.sinks.mlflow``; the comparison itself is ``gatekit.regression``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from gatekit.errors import ConfigError
from gatekit.promotion import TAG_GATE_RUN, TAG_MODEL_NAME, TAG_MODEL_VERSION, parse_model_spec
from gatekit.regression import CaseSummaries, summarise
from gatekit.results import iter_result_rows

LAST_PASS = "last-pass"
_RUN_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class Baseline:
    """A baseline gate run and its per-case results."""

    run_id: str
    description: str
    summaries: CaseSummaries  # its results.jsonl, one summary per case (the rows were read one at a time)
    dataset_sha256: str

    def to_dict(self) -> dict[str, Any]:
        """The ``baseline`` block of verdict.json."""
        return {
            "run_id": self.run_id,
            "source": self.description,
            "cases": len(self.summaries.cases),
            "dataset_sha256": self.dataset_sha256,
        }


def _gate_run_for_version(tracking_uri: str | None, experiment: str, name: str, version: str) -> str | None:
    from gatekit.sinks.mlflow import registry_model_version, search_runs

    info = registry_model_version(tracking_uri, name, version)
    if info and info["tags"].get(TAG_GATE_RUN):
        return str(info["tags"][TAG_GATE_RUN])
    # a name with both quote characters cannot be written in a filter: its runs are matched on this side only
    by_name = _literal(name)
    filter_string = " and ".join(
        ["tags.`gatekit.kind` = 'gate'", f"tags.`{TAG_MODEL_VERSION}` = {_literal(version)}"]
        + ([f"tags.`{TAG_MODEL_NAME}` = {by_name}"] if by_name else [])
    )
    runs = search_runs(tracking_uri, experiment, filter_string, max_results=50 if by_name else 500)
    runs = [r for r in runs if r["tags"].get(TAG_MODEL_NAME) == name]
    finished = [r for r in runs if r.get("status", "FINISHED") == "FINISHED"]  # logged in full (see last-pass)
    passing = [r for r in finished if r["tags"].get("gatekit.verdict") == "pass"]
    chosen = (passing or finished)[:1]
    return chosen[0]["run_id"] if chosen else None


def _literal(value: str) -> str | None:
    r"""``value`` as a string of an MLflow search filter, or None when it holds both quote characters.

    MLflow takes the text between the quotes as it is, with no escapes: ``'o\'neil'`` (the backslash escape used
    before) matched no run, so a registered model named ``o'neil`` (or ``a\b``) never found its gate run.
    """
    for quote in ("'", '"'):
        if quote not in value:
            return f"{quote}{value}{quote}"
    return None


def load_baseline(
    baseline: str,
    *,
    tracking_uri: str | None,
    experiment: str,
    candidate_spec: str | None,
    dataset_sha256: str,
) -> Baseline:
    """Find the baseline gate run named by ``baseline`` and load its results.jsonl.

    ``baseline`` is ``last-pass`` (newest passing gate run on this dataset in
    ``experiment``), a 32-hex MLflow run id, ``name@alias`` or a bare alias of the
    candidate's registered model. Raises ``ConfigError`` (exit 2) when it cannot be
    found, is not a gate run, was measured on another dataset, or has no results;
    ``SinkError`` (exit 3) when MLflow fails.
    """
    from gatekit.sinks.mlflow import get_run, registry_alias_version, run_artifact_file, search_runs

    spec = baseline.strip()
    if spec == LAST_PASS:
        # FINISHED: a run whose logging failed (status FAILED, the gate exited 3) is tagged ``pass`` before its
        # artifacts upload; picked as the last pass, it blocked every later gate ("no results.jsonl artifact")
        filter_string = (
            "tags.`gatekit.kind` = 'gate' and tags.`gatekit.verdict` = 'pass' "
            f"and tags.`gatekit.dataset_sha256` = {_literal(dataset_sha256)} and attributes.status = 'FINISHED'"
        )
        runs = search_runs(tracking_uri, experiment, filter_string, max_results=1)
        if not runs:
            raise ConfigError(
                f"--baseline last-pass: no passing gate run on dataset sha256 {dataset_sha256[:12]} "
                f"in experiment '{experiment}'; run a passing gate on this dataset first or pass a run id"
            )
        run_id, description = runs[0]["run_id"], f"last passing gate run {runs[0]['run_id']}"
    elif _RUN_ID.match(spec):
        run_id, description = spec, f"run {spec}"
    else:
        if "@" in spec:
            name, alias = spec.split("@", 1)
            name = name.removeprefix("models:/")
        else:
            ref = parse_model_spec(candidate_spec)
            if ref is None:
                raise ConfigError(
                    f"--baseline {spec}: an alias needs a registered model; the candidate "
                    f"{candidate_spec!r} is not one, so write --baseline <model name>@{spec}, a run id, "
                    "or last-pass"
                )
            name, alias = ref.name, spec
        version = registry_alias_version(tracking_uri, name, alias)
        if version is None:
            raise ConfigError(
                f"--baseline {spec}: registered model '{name}' has no alias '{alias}'; "
                "set it (gatekit promote --alias) or pass a run id / last-pass"
            )
        found = _gate_run_for_version(tracking_uri, experiment, name, version)
        if found is None:
            raise ConfigError(
                f"--baseline {spec}: no gatekit gate run found for models:/{name}/{version} "
                f"(alias '{alias}') in experiment '{experiment}'; run `gatekit eval` on that version first"
            )
        run_id, description = found, f"alias {name}@{alias} -> version {version} -> gate run {found}"

    run = get_run(tracking_uri, run_id)
    if run is None:
        raise ConfigError(f"--baseline {spec}: MLflow has no run {run_id}; check the id and the tracking URI")
    tags = run["tags"]
    if tags.get("gatekit.kind", "gate") != "gate":
        raise ConfigError(
            f"--baseline {spec}: run {run_id} is a gatekit {tags.get('gatekit.kind')} run, not a gate run"
        )
    baseline_sha = tags.get("gatekit.dataset_sha256")
    if not baseline_sha:
        raise ConfigError(
            f"--baseline {spec}: run {run_id} has no gatekit.dataset_sha256 tag, so it is not a gatekit gate run"
        )
    if baseline_sha != dataset_sha256:
        raise ConfigError(
            f"--baseline {spec}: run {run_id} was measured on dataset sha256 {baseline_sha[:12]}, "
            f"this gate replays {dataset_sha256[:12]}; a baseline must use the same golden dataset: "
            "re-run the baseline on this dataset or choose another --baseline"
        )
    with run_artifact_file(tracking_uri, run_id, "results.jsonl") as local:  # streamed, never read whole
        rows = iter_result_rows(local, f"baseline run {run_id} results.jsonl") if local is not None else iter(())
        summaries = summarise(rows)
    if not summaries.rows:
        raise ConfigError(
            f"--baseline {spec}: run {run_id} has no results.jsonl artifact with cases; pick a finished gate run"
        )
    return Baseline(run_id=run_id, description=description, summaries=summaries, dataset_sha256=baseline_sha)
