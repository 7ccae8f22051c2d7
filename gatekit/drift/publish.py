"""Publish a drift result: write drift.json + drift.html and log one MLflow run.

``check_drift`` (the library entry point, used by ``gatekit drift``) and
``drift_check_for_gate`` (the gate's drift check) are both compute + publish:
:func:`gatekit.drift.core.compute_drift`, then :func:`publish_drift`. Rendering is
``gatekit.report.drift_html``; the MLflow calls go through ``gatekit.sinks.mlflow``.
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gatekit.drift.config import DriftConfig
from gatekit.drift.core import DriftResult, compute_drift, drift_config
from gatekit.errors import ConfigError, SinkError


def check_drift(
    reference: str | Path | None = None,
    production: str | Path | None = None,
    *,
    reference_results: str | Path | None = None,
    since: str | None = None,
    since_anchor: str = "newest",
    timestamp_field: str | None = None,
    numeric: list[str] | None = None,
    categorical: list[str] | None = None,
    out: str | Path | None = None,
    config: DriftConfig | None = None,
    experiment: str | None = None,
    tracking_uri: str | None = None,
    run_name: str | None = None,
    log_to_mlflow: bool = True,
    write_files: bool = True,
) -> DriftResult:
    """Compare ``reference`` with ``production``, write drift.json/drift.html and log an MLflow run.

    Arguments override the matching ``config`` fields. ``since`` keeps production rows
    whose timestamp is within that window of the newest production timestamp
    (``since_anchor="newest"``, reproducible) or of the current time (``"now"``).
    Raises ``DatasetError``/``ConfigError`` (exit 2) for bad input and ``SinkError``
    (exit 3) when MLflow fails; the files are written first and the result is attached
    to the error as ``error.result``.
    """
    cfg = drift_config(
        config,
        reference=reference, production=production, reference_results=reference_results, since=since,
        timestamp_field=timestamp_field, numeric=numeric, categorical=categorical, out=out,
        experiment=experiment, tracking_uri=tracking_uri, run_name=run_name,
    )  # fmt: skip
    result = compute_drift(cfg, since_anchor)
    publish_drift(result, cfg, write_files=write_files, log_to_mlflow=log_to_mlflow)
    return result


def drift_check_for_gate(reference_cases_path: str | Path, production: str | Path, **opts: Any) -> dict[str, Any]:
    """Run the drift check for ``gatekit promote --production`` and return a JSON-ready summary.

    ``opts`` are ``check_drift`` keyword arguments (``since``, ``numeric``, ``categorical``,
    ``reference_results``, ``config``, ``out``...). No MLflow run of its own (the gate logs
    one); drift.json/drift.html go to ``out`` when given, else nothing is written.
    Returns ``{"drift", "reason", "drifted", "features", "skipped", ...}``; bad input
    raises ``DatasetError``/``ConfigError`` (exit 2).
    """
    opts = dict(opts)
    opts.setdefault("log_to_mlflow", False)
    opts.setdefault("write_files", opts.get("out") is not None)
    return check_drift(reference_cases_path, production, **opts).summary()


def publish_drift(result: DriftResult, cfg: DriftConfig, *, write_files: bool, log_to_mlflow: bool) -> None:
    """Write the files to ``cfg.out`` and/or log the MLflow run; set the paths and run id on ``result``.

    A folder that cannot be written is ``ConfigError`` (exit 2); an MLflow failure is
    ``SinkError`` (exit 3) with ``result`` attached as ``error.result`` (files already written). A stop
    (``KeyboardInterrupt``) while publishing removes the files this call wrote.
    """
    try:
        if write_files:
            write_drift_files(result, Path(cfg.out))
        if log_to_mlflow:
            try:
                log_drift_run(result, cfg)
            except SinkError as exc:
                exc.result = result  # type: ignore[attr-defined]
                raise
    except KeyboardInterrupt:  # stopped while publishing: no drift.json / drift.html claims a result
        for path in (result.json_path, result.html_path):
            if path is not None:
                path.unlink(missing_ok=True)
        result.json_path = result.html_path = None
        raise


def write_drift_files(result: DriftResult, out_dir: Path) -> None:
    """Write ``drift.json`` and ``drift.html`` into ``out_dir`` (atomically)."""
    from gatekit.fsio import atomic_write_text, make_output_folder
    from gatekit.jsonio import to_json
    from gatekit.report.drift_html import render_drift_html

    try:
        make_output_folder(out_dir)
    except OSError as exc:
        raise ConfigError(str(exc.strerror)) from None
    try:
        result.json_path = out_dir / "drift.json"
        atomic_write_text(result.json_path, to_json(result.report, ensure_ascii=False) + "\n")
        result.html_path = out_dir / "drift.html"
        atomic_write_text(result.html_path, render_drift_html(result.report))
    except OSError as exc:
        raise ConfigError(f"--out {out_dir}: cannot write the report ({exc}); choose a writable folder") from None


_METRIC_UNSAFE = re.compile(r"[^A-Za-z0-9_\-. ]")  # "/" too: MLflow refuses names that read as other paths
_METRIC_FEATURE_CHARS = 200  # MLflow keys hold 250 characters


def metric_name(feature: str, stat: str) -> str:
    """MLflow metric name for one feature statistic: ``drift.<feature>.<stat>``.

    Characters MLflow refuses become ``_``, and then a short hash of the real name is appended: ``a(b)`` and
    ``a[b]`` must not share (and overwrite) one set of metrics. A name over 200 characters is cut (MLflow refuses
    keys over 250) and hashed the same way.
    """
    escaped = _METRIC_UNSAFE.sub("_", feature)
    if escaped != feature or len(escaped) > _METRIC_FEATURE_CHARS:
        escaped = (
            escaped[:_METRIC_FEATURE_CHARS]
            + "_"
            + hashlib.sha256(feature.encode("utf-8", "surrogatepass")).hexdigest()[:8]
        )
    return f"drift.{escaped}.{stat}"


def log_drift_run(result: DriftResult, cfg: DriftConfig) -> None:
    """Log one MLflow run (params, per-feature metrics, tags, the written files as artifacts)."""
    from gatekit import __version__
    from gatekit.sinks.mlflow import env_publish_timeout, log_run, publish_deadline

    report = result.report
    metrics: dict[str, float] = {
        "drift.drift": 1.0 if report["drift"] else 0.0,
        "drift.features_tested": float(report["summary"]["features_tested"]),
        "drift.features_drifted": float(report["summary"]["features_drifted"]),
        "drift.drift_share": float(report["summary"]["drift_share"]),
        "drift.reference_rows": float(report["reference"]["rows"]),
        "drift.production_rows": float(report["production"]["rows_in_window"]),
    }
    for feature in report["features"]:
        name = feature["name"]
        metrics[metric_name(name, feature["effect_name"])] = float(feature["effect_size"])
        metrics[metric_name(name, "p_value")] = float(feature["p_value"])
        metrics[metric_name(name, "q_value")] = float(feature["q_value"])
        metrics[metric_name(name, "drifted")] = 1.0 if feature["drifted"] else 0.0
    params = {
        "reference": cfg.reference,
        "production": cfg.production,
        "reference_results": cfg.reference_results or "",
        "since": cfg.since or "",
        "alpha": cfg.alpha,
        "ks_floor": cfg.ks_floor,
        "cramers_v_floor": cfg.cramers_v_floor,
        "max_drift_share": cfg.max_drift_share,
        "features": ",".join(f["name"] for f in report["features"]),
    }
    tags = {
        "gatekit.kind": "drift",
        "gatekit.drift": "true" if report["drift"] else "false",
        "gatekit.drifted": ",".join(report["drifted"])[:4000],
        "gatekit.version": __version__,
    }
    artifacts = [p for p in (result.json_path, result.html_path) if p is not None]
    run_name = cfg.run_name or f"drift-{datetime.now(UTC):%Y-%m-%d}"
    with publish_deadline(env_publish_timeout()):  # all of its requests together, as the gate's publish
        result.run_id, result.experiment_id = log_run(
            cfg.tracking_uri, cfg.experiment, run_name, params, metrics, tags, artifacts
        )
