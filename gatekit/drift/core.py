"""``check_drift``: golden dataset (or last period's logs) vs production, feature by feature.

Read both sides batch by batch (only the needed columns), derive the same features on
each, test each feature (KS for numbers, chi-square for labels, chi-square for the
missing-value rate), correct for testing many features (Benjamini-Hochberg), and call
a feature drifted only when it is significant AND its effect size reaches a floor.

This module only computes: ``compute_drift`` returns the drift.json content. Writing
drift.json / drift.html and logging the MLflow run is ``gatekit.drift.publish``
(``check_drift`` = compute + publish); nothing here imports ``gatekit.report`` or
``gatekit.sinks``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from gatekit import fmt
from gatekit.drift.config import DriftConfig
from gatekit.drift.features import (
    CATEGORICAL,
    NUMERIC,
    FeatureSpec,
    SideValues,
    add_batch,
    default_features,
    explicit_features,
)
from gatekit.drift.sources import (
    Batch,
    epoch_seconds,
    file_format,
    iter_batches,
    parse_since,
    resolve_paths,
    top_level,
)
from gatekit.errors import ConfigError, DatasetError

SCHEMA_VERSION = 1
MISSING_RATE = "missing_rate"


@dataclass
class DriftResult:
    """The drift.json content (``compute_drift``) and, once published, where it was written and logged."""

    report: dict[str, Any]
    json_path: Path | None = None
    html_path: Path | None = None
    run_id: str | None = None
    experiment_id: str | None = None
    warnings: list[str] = field(default_factory=list)

    @property
    def drift(self) -> bool:
        """Whether the dataset as a whole drifted."""
        return bool(self.report["drift"])

    @property
    def exit_code(self) -> int:
        """0 no drift, 1 drift (errors raise instead: 2 bad input, 3 MLflow)."""
        return 1 if self.drift else 0

    @property
    def drifted(self) -> list[str]:
        """Names of the drifted features."""
        return list(self.report["drifted"])

    def summary(self) -> dict[str, Any]:
        """A compact JSON-ready summary (for the gate verdict and the CLI)."""
        report = self.report
        return {
            "drift": report["drift"],
            "reason": report["reason"],
            "drifted": report["drifted"],
            "features_tested": report["summary"]["features_tested"],
            "features_drifted": report["summary"]["features_drifted"],
            "drift_share": report["summary"]["drift_share"],
            "max_drift_share": report["settings"]["max_drift_share"],
            "features": [
                {
                    k: f.get(k)
                    for k in (
                        "name", "kind", "effect_name", "effect_size", "effect_floor", "p_value", "q_value",
                        "drifted", "critical", "n_reference", "n_production", "new_categories",
                    )
                    if k in f
                }
                for f in report["features"]
            ],
            "skipped": report["skipped"],
            "reference_rows": report["reference"]["rows"],
            "production_rows": report["production"]["rows_in_window"],
            "json_path": str(self.json_path) if self.json_path else None,
            "html_path": str(self.html_path) if self.html_path else None,
            "mlflow_run_id": self.run_id,
        }  # fmt: skip


def drift_config(config: DriftConfig | None = None, **overrides: Any) -> DriftConfig:
    """``config`` (default: all defaults) with the non-None ``overrides`` applied.

    Paths are turned into strings and feature lists copied; empty lists count as not given.
    """
    update: dict[str, Any] = {}
    for key, value in overrides.items():
        if value is None or (isinstance(value, list) and not value):
            continue
        update[key] = list(value) if isinstance(value, list) else str(value) if isinstance(value, Path) else value
    return (config or DriftConfig()).model_copy(update=update)


def compute_drift(cfg: DriftConfig, since_anchor: str = "newest") -> DriftResult:
    """Compare ``cfg.reference`` with ``cfg.production`` and return the drift report (nothing is written).

    ``cfg.since`` keeps production rows whose timestamp is within that window of the newest
    production timestamp (``since_anchor="newest"``, reproducible) or of the current time
    (``"now"``). Raises ``DatasetError``/``ConfigError`` (exit 2) for bad input, including a
    missing reference or production.
    """
    if not cfg.reference:
        raise ConfigError("drift: no reference given; pass --reference PATH (or drift.reference in gatekit.yaml)")
    if not cfg.production:
        raise ConfigError("drift: no production logs given; pass --production PATH_OR_GLOB (or drift.production)")
    if since_anchor not in ("newest", "now"):
        raise ConfigError(f"--since-anchor {since_anchor!r}: use 'newest' or 'now'")
    started = time.perf_counter()
    ref_paths = resolve_paths(cfg.reference, "reference")
    prod_paths = resolve_paths(cfg.production, "production")
    explicit = bool(cfg.numeric or cfg.categorical)
    specs = explicit_features(cfg.numeric, cfg.categorical) if explicit else default_features()
    _check_feature_names(cfg, specs)
    wanted: set[str] = set().union(*(spec.columns() for spec in specs))

    window = _window(prod_paths, cfg, since_anchor) if cfg.since else None
    results_map = _load_results(Path(cfg.reference_results)) if cfg.reference_results else None

    ref_batches = _reference_batches(ref_paths, wanted | {"id"}, results_map)
    ref_acc, ref_info = _accumulate(ref_batches, specs, None, cfg)
    prod_acc, prod_info = _accumulate(_batches(prod_paths, wanted | top_level(cfg.timestamp_field)), specs, window, cfg)
    read_s = time.perf_counter() - started

    if ref_info["rows"] == 0:
        raise DatasetError(f"reference {cfg.reference}: no rows; point --reference at a non-empty dataset")
    if prod_info["rows_read"] == 0:
        raise DatasetError(f"production {cfg.production}: no rows; check the path or glob")
    if prod_info["rows"] == 0:
        newest = window["newest"] if window else None
        raise DatasetError(
            f"production {cfg.production}: no rows in the --since {cfg.since} window "
            f"(anchor {since_anchor}, newest timestamp {newest}); widen --since or check the logs are current"
        )

    features, skipped = _test_features(specs, ref_acc, prod_acc, cfg, ref_paths, prod_paths, explicit)
    if not features:
        reasons = "; ".join(f"{s['name']}: {s['reason']}" for s in skipped) or "no features"
        raise DatasetError(f"drift: no feature could be tested ({reasons}); name features with --numeric/--categorical")
    _decide(features, cfg)
    drifted = [f["name"] for f in features if f["drifted"]]
    critical_drifted = [f["name"] for f in features if f["drifted"] and f["critical"]]
    share = len(drifted) / len(features)
    is_drift = bool(critical_drifted) or share > cfg.max_drift_share
    if critical_drifted:
        reason = f"critical feature(s) drifted: {', '.join(critical_drifted)}"
    elif is_drift:
        allowed = fmt.rate(cfg.max_drift_share, 0)
        reason = f"{len(drifted)} of {len(features)} features drifted ({fmt.rate(share, 0)} > {allowed} allowed)"
    elif drifted:
        reason = (
            f"{len(drifted)} of {len(features)} features drifted ({fmt.rate(share, 0)}, at most "
            f"{fmt.rate(cfg.max_drift_share, 0)} allowed) and none is critical"
        )
    else:
        reason = f"no feature drifted ({len(features)} tested)"

    warnings = list(prod_info["warnings"]) + list(ref_info["warnings"]) + _non_finite_warnings(specs, ref_acc, prod_acc)
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": "gatekit.drift",
        "drift": is_drift,
        "reason": reason,
        "drifted": drifted,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reference": {
            "spec": cfg.reference,
            "files": [str(p) for p in ref_paths],
            "rows": ref_info["rows"],
            "results": cfg.reference_results,
        },
        "production": {
            "spec": cfg.production,
            "files": len(prod_paths),
            "rows_read": prod_info["rows_read"],
            "rows_in_window": prod_info["rows"],
            "rows_without_timestamp": prod_info["rows_without_timestamp"],
            "window": window,
        },
        "settings": {
            "alpha": cfg.alpha,
            "ks_floor": cfg.ks_floor,
            "cramers_v_floor": cfg.cramers_v_floor,
            "max_drift_share": cfg.max_drift_share,
            "critical": sorted({*cfg.critical, *(k for k, v in cfg.features.items() if v.critical)}),
            "feature_selection": "explicit" if explicit else "derived",
            "rare_min_expected": cfg.rare_min_expected,
        },
        "summary": {
            "features_tested": len(features),
            "features_drifted": len(drifted),
            "drift_share": share,
            "features_skipped": len(skipped),
        },
        "features": features,
        "skipped": skipped,
        "warnings": warnings,
        "timings_s": {"read": round(read_s, 3), "total": round(time.perf_counter() - started, 3)},
    }
    report = _json_safe(report)
    return DriftResult(report=report, warnings=warnings)


# --- reading ------------------------------------------------------------------------------------------------


def _batches(paths: list[Path], wanted: set[str] | None) -> Iterator[Batch]:
    for path in paths:
        yield from iter_batches(path, wanted)


def _window(prod_paths: list[Path], cfg: DriftConfig, anchor: str) -> dict[str, Any]:
    """First pass over production timestamps only: the window's start and end."""
    import numpy as np

    seconds = parse_since(cfg.since or "")
    newest = -math.inf
    for batch in _batches(prod_paths, top_level(cfg.timestamp_field)):
        stamps = epoch_seconds(batch, cfg.timestamp_field)
        if np.isfinite(stamps).any():
            newest = max(newest, float(np.nanmax(stamps)))
    if not math.isfinite(newest):
        raise DatasetError(
            f"production {cfg.production}: --since needs timestamps, but no row has a readable "
            f"'{cfg.timestamp_field}' (ISO-8601 or epoch seconds); fix the logs or drop --since"
        )
    end = datetime.now(UTC).timestamp() if anchor == "now" else newest
    return {
        "since": cfg.since,
        "anchor": anchor,
        "start": _iso(end - seconds),
        "end": _iso(end),
        "newest": _iso(newest),
        "start_epoch_s": end - seconds,
        "end_epoch_s": end,
    }


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="seconds")


def _load_results(path: Path) -> dict[str, dict[str, Any]]:
    """First result row per ``case_id`` of a gate run's results.jsonl, as measurement fields."""
    from gatekit.results import read_results_file

    if not path.is_file():
        raise DatasetError(f"--reference-results {path}: no such file; pass a gate run's results.jsonl")
    measured: dict[str, dict[str, Any]] = {}
    for row in read_results_file(path).rows:
        case_id = str(row["case_id"])
        if case_id in measured:
            continue
        raw_response = row.get("response")
        response: dict[str, Any] = raw_response if isinstance(raw_response, dict) else {}
        raw_usage = response.get("usage")
        usage: dict[str, Any] = raw_usage if isinstance(raw_usage, dict) else {}
        cost = response.get("cost_usd", row.get("cost_usd"))
        fields: dict[str, Any] = {"latency_ms": row.get("latency_ms"), "usage": usage, "cost_usd": cost}
        if "tool_calls" in response:
            fields["tool_calls"] = response.get("tool_calls")
        measured[case_id] = fields
    return measured


def _reference_batches(
    paths: list[Path], wanted: set[str], results: dict[str, dict[str, Any]] | None
) -> Iterator[Batch]:
    matched = 0
    for batch in _batches(paths, None if results is not None else wanted):
        if results is None:
            yield batch
            continue
        rows = []
        for row in batch.python_rows():
            extra = results.get(str(row.get("id")))
            if extra is not None:
                matched += 1
                row = {**row, **extra}
            rows.append(row)
        yield Batch(batch.path, len(rows), rows=rows, first_line=batch.first_line)
    if results is not None and matched == 0:
        raise DatasetError(
            "--reference-results: no case_id matches an id in the reference dataset; "
            "pass the results.jsonl of a run on this dataset"
        )


def _accumulate(
    batches: Iterator[Batch], specs: list[FeatureSpec], window: dict[str, Any] | None, cfg: DriftConfig
) -> tuple[dict[str, SideValues], dict[str, Any]]:
    import numpy as np

    accs = {spec.name: SideValues(kind=spec.kind, multi=spec.multi) for spec in specs}
    info: dict[str, Any] = {"rows": 0, "rows_read": 0, "rows_without_timestamp": 0, "warnings": []}
    for batch in batches:
        info["rows_read"] += batch.num_rows
        if window is not None:
            stamps = epoch_seconds(batch, cfg.timestamp_field)
            missing = ~np.isfinite(stamps)
            info["rows_without_timestamp"] += int(missing.sum())
            with np.errstate(invalid="ignore"):
                mask = (stamps >= window["start_epoch_s"]) & (stamps <= window["end_epoch_s"])
            if not mask.all():
                batch = batch.filter(mask)
            if batch.num_rows == 0:
                continue
        info["rows"] += batch.num_rows
        for spec in specs:
            add_batch(spec, batch, accs[spec.name])
    if info["rows_without_timestamp"]:
        info["warnings"].append(
            f"{info['rows_without_timestamp']} production rows have no readable '{cfg.timestamp_field}' "
            "and were left out of the --since window"
        )
    return accs, info


def peek_columns(path: Path) -> list[str]:
    """Top-level column names of a data file (for error messages)."""
    fmt = file_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return list(pq.ParquetFile(path).schema_arrow.names)
    for batch in iter_batches(path, None):
        if fmt == "csv":
            return list(batch.table.column_names)
        return sorted(batch.columns())
    return []


# --- testing ------------------------------------------------------------------------------------------------


def _test_features(
    specs: list[FeatureSpec],
    ref: dict[str, SideValues],
    prod: dict[str, SideValues],
    cfg: DriftConfig,
    ref_paths: list[Path],
    prod_paths: list[Path],
    explicit: bool,
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    from gatekit.drift import plots, stats

    features: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    for spec in specs:
        r, p = ref[spec.name], prod[spec.name]
        lacking = [side for side, acc in (("reference", r), ("production", p)) if not acc.seen]
        if lacking:
            if explicit:
                side = lacking[0]
                paths = ref_paths if side == "reference" else prod_paths
                columns = ", ".join(peek_columns(paths[0])[:30])
                raise DatasetError(
                    f"{side} {paths[0]}: feature {spec.name!r} not found (columns: {columns}); "
                    "fix the name in --numeric/--categorical (dotted paths reach into nested JSON)"
                )
            reason = f"not in {' or '.join(lacking)}"
            skipped.append({"name": spec.name, "kind": spec.kind, "reason": reason, "hint": spec.hint})
            continue
        base: dict[str, Any] = {
            "name": spec.name,
            "kind": spec.kind,
            "n_reference": r.present,
            "n_production": p.present,
            "reference_rows": r.rows,
            "production_rows": p.rows,
            "reference_missing": r.missing,
            "production_missing": p.missing,
        }
        empty = [side for side, acc in (("reference", r), ("production", p)) if acc.present == 0]
        if empty:
            what = "tool calls" if spec.multi else "values"
            skipped.append(
                {
                    "name": spec.name,
                    "kind": spec.kind,
                    "reason": f"no {what} in {' or '.join(empty)} (all missing)",
                }
            )
        elif spec.kind == NUMERIC:
            # sorted once, in place: ks_2samp, quantiles and histograms are all faster on sorted data
            ref_values, prod_values = r.values(), p.values()
            ref_values.sort()
            prod_values.sort()
            ks = stats.ks_test(ref_values, prod_values)
            features.append(
                {
                    **base,
                    "test": "ks",
                    "statistic": ks["statistic"],
                    "effect_name": "ks_d",
                    "effect_size": ks["statistic"],
                    "p_value": ks["p_value"],
                    "method": ks["method"],
                    "d_interval": ks["d_interval"],
                    "d_location": ks["d_location"],
                    "reference_non_numeric": r.non_numeric,
                    "production_non_numeric": p.non_numeric,
                    "reference_stats": plots.describe(ref_values),
                    "production_stats": plots.describe(prod_values),
                    "plot": plots.numeric_plot(ref_values, prod_values, cfg.ecdf_points, cfg.histogram_bins),
                }
            )
        else:
            chi = stats.chi2_test(r.counts, p.counts, min_expected=cfg.rare_min_expected)
            features.append(
                {
                    **base,
                    "test": "chi2",
                    "statistic": chi["statistic"],
                    "effect_name": "cramers_v",
                    "effect_size": chi["cramers_v"],
                    "p_value": chi["p_value"],
                    "dof": chi["dof"],
                    "cramers_v_unweighted": chi["cramers_v_unweighted"],
                    "new_categories": chi["new_categories"][:100],
                    "new_categories_count": len(chi["new_categories"]),
                    "vanished_categories": chi["vanished_categories"][:100],
                    "pooled_categories": len(chi["pooled_categories"]),
                    "plot": plots.categorical_plot(r.counts, p.counts, set(chi["new_categories"])),
                }
            )
        if not spec.multi and r.seen and p.seen and (r.missing + p.missing) > 0 and r.rows and p.rows:
            miss = stats.missing_rate_test(r.missing, r.rows, p.missing, p.rows)
            features.append(
                {
                    "name": f"{spec.name}.{MISSING_RATE}",
                    "kind": MISSING_RATE,
                    "of": spec.name,
                    "test": "chi2",
                    "statistic": miss["statistic"],
                    "effect_name": "cramers_v",
                    "effect_size": miss["cramers_v"],
                    "p_value": miss["p_value"],
                    "dof": 1,
                    "n_reference": r.rows,
                    "n_production": p.rows,
                    "reference_rate": miss["reference_rate"],
                    "production_rate": miss["production_rate"],
                }
            )
    return features, skipped


def _decide(features: list[dict[str, Any]], cfg: DriftConfig) -> None:
    from gatekit.drift.stats import bh_qvalues

    qvalues = bh_qvalues([f["p_value"] for f in features])
    for feature, q in zip(features, qvalues, strict=True):
        kind = NUMERIC if feature["kind"] == NUMERIC else CATEGORICAL
        parent = feature.get("of")
        floor = cfg.floor_for(feature["name"], kind)
        feature["q_value"] = q
        feature["effect_floor"] = floor
        feature["significant"] = q <= cfg.alpha
        feature["drifted"] = bool(q <= cfg.alpha and feature["effect_size"] >= floor)
        feature["critical"] = cfg.is_critical(feature["name"]) or bool(parent and cfg.is_critical(parent))


def _check_feature_names(cfg: DriftConfig, specs: list[FeatureSpec]) -> None:
    """Refuse ``critical`` / ``features`` names that match no tested feature (a typo would silently disarm them)."""
    names = [spec.name for spec in specs]
    allowed = set(names) | {f"{name}.{MISSING_RATE}" for name in names}
    for source, given in (("--critical (drift.critical)", cfg.critical), ("drift.features", list(cfg.features))):
        unknown = [name for name in given if name not in allowed]
        if unknown:
            shown = ", ".join(repr(name[:80]) for name in unknown[:5])
            raise ConfigError(
                f"{source}: unknown feature(s) {shown}; valid names: {', '.join(names)} (and <name>.{MISSING_RATE})"
            )


def _non_finite_warnings(
    specs: list[FeatureSpec], ref: dict[str, SideValues], prod: dict[str, SideValues]
) -> list[str]:
    warnings = []
    for spec in specs:
        for side, acc in (("reference", ref[spec.name]), ("production", prod[spec.name])):
            if acc.non_finite:
                warnings.append(
                    f"{side}: {spec.name}: {acc.non_finite} non-finite value(s) (Infinity, NaN or beyond 1.8e308) "
                    "counted as missing"
                )
    return warnings


def _json_safe(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if hasattr(value, "item"):  # numpy scalar
        return _json_safe(value.item())
    return value
