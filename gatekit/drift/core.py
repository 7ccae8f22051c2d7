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
import tempfile
import time
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
    default_features,
    explicit_features,
)
from gatekit.drift.sources import file_format, iter_batches, parse_since
from gatekit.drift.stats import OTHER
from gatekit.errors import ConfigError, DatasetError
from gatekit.production.mlflow_traces import in_progress_note
from gatekit.production.sources import load_results_map, open_side
from gatekit.redact import redact_secrets, scrub_field

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
            "verdict": report["settings"]["verdict"],
            "engine": report.get("engine"),
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
    explicit = bool(cfg.numeric or cfg.categorical)
    specs = explicit_features(cfg.numeric, cfg.categorical) if explicit else default_features()
    _check_feature_names(cfg, specs)
    results_map = load_results_map(Path(cfg.reference_results)) if cfg.reference_results else None

    from gatekit.production.engine import get_engine

    engine = get_engine(cfg.engine)
    try:
        with tempfile.TemporaryDirectory(prefix="gatekit-drift-") as work:
            ref = open_side(
                engine,
                cfg.reference,
                "reference",
                specs,
                timestamp_field=cfg.timestamp_field,
                results_map=results_map,
                workdir=Path(work),
                explicit=explicit,
                tracking_uri=cfg.tracking_uri,
            )
            prod = open_side(
                engine,
                cfg.production,
                "production",
                specs,
                timestamp_field=cfg.timestamp_field,
                workdir=Path(work),
                explicit=explicit,
                tracking_uri=cfg.tracking_uri,
                since=cfg.since,
                since_anchor=since_anchor,
            )
            ref_rows, _ = engine.count_rows(ref.table)
            prod_rows_read, _ = engine.count_rows(prod.table)
            if ref_rows == 0:
                raise DatasetError(f"reference {cfg.reference}: no rows; point --reference at a non-empty dataset")
            if prod_rows_read == 0:
                raise DatasetError(f"production {cfg.production}: no rows; check the path or glob")
            window = None
            without_ts = 0
            if cfg.since:
                window = _window(engine, prod.table, cfg, since_anchor)
                without_ts = engine.count_rows(prod.table, timestamps=True)[1] or 0
                prod.table = engine.restrict(prod.table, window["start_epoch_s"], window["end_epoch_s"])
            prod_rows, _ = engine.count_rows(prod.table)
            if prod_rows == 0:
                newest = window["newest"] if window else None
                raise DatasetError(
                    f"production {cfg.production}: no rows in the --since {cfg.since} window "
                    f"(anchor {since_anchor}, newest timestamp {newest}); widen --since or check the logs are current"
                )
            read_s = time.perf_counter() - started
            features, skipped, warnings = _test_features(specs, engine, ref, prod, cfg, explicit)
    finally:
        engine.close()

    if not features:
        reasons = "; ".join(f"{s['name']}: {s['reason']}" for s in skipped) or "no features"
        raise DatasetError(f"drift: no feature could be tested ({reasons}); name features with --numeric/--categorical")
    _decide(features, cfg)
    features, coarse = _too_coarse(features)
    skipped += coarse
    if not features:
        reasons = "; ".join(f"{s['name']}: {s['reason']}" for s in skipped)
        raise DatasetError(f"drift: no feature could be tested ({reasons}); give each side more rows (a wider --since)")
    is_drift, reason, drifted = verdict(features, cfg)
    if not is_drift:
        _refuse_untested(features, skipped, cfg, explicit)
    share = len(drifted) / len(features)
    warnings[:0] = [  # hung requests have no outcome yet: never silently out of the comparison
        in_progress_note(opened.in_progress, f"{name} {redact_secrets(str(spec))}")
        for name, opened, spec in (("reference", ref, cfg.reference), ("production", prod, cfg.production))
        if opened.in_progress
    ]
    if without_ts:
        warnings.insert(
            0,
            f"{without_ts} production rows have no readable '{cfg.timestamp_field}' "
            "and were left out of the --since window",
        )
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "kind": "gatekit.drift",
        "drift": is_drift,
        "reason": reason,
        "drifted": drifted,
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reference": {  # paths as written: without the secrets the detectors find (as the canary's source)
            "spec": None if cfg.reference is None else redact_secrets(str(cfg.reference)),
            "files": [redact_secrets(str(p)) for p in ref.files],
            "format": ref.kind,
            "rows": ref_rows,
            "results": cfg.reference_results,
            "traces_in_progress": ref.in_progress,
        },
        "production": {
            "spec": None if cfg.production is None else redact_secrets(str(cfg.production)),
            "files": len(prod.files),
            "format": prod.kind,
            "rows_read": prod_rows_read,
            "rows_in_window": prod_rows,
            "rows_without_timestamp": without_ts,
            "traces_in_progress": prod.in_progress,
            "window": window,
        },
        "engine": cfg.engine,
        "settings": {
            "alpha": cfg.alpha,
            "ks_floor": cfg.ks_floor,
            "cramers_v_floor": cfg.cramers_v_floor,
            "max_drift_share": cfg.max_drift_share,
            "verdict": cfg.verdict,
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


def _window(engine: Any, table: Any, cfg: DriftConfig, anchor: str) -> dict[str, Any]:
    """The --since window: it ends at the newest production timestamp (or now) and spans ``cfg.since``."""
    seconds = parse_since(cfg.since or "")
    newest = engine.newest_timestamp(table)
    if newest is None or not math.isfinite(newest):
        raise DatasetError(
            f"production {cfg.production}: --since needs timestamps, but no row has a readable "
            f"'{cfg.timestamp_field}' (ISO-8601 or epoch seconds); fix the logs or drop --since"
        )
    if not _MIN_EPOCH_S <= newest <= _MAX_EPOCH_S:
        raise DatasetError(
            f"production {cfg.production}: the newest '{cfg.timestamp_field}' is {newest:.6g} epoch seconds, "
            "outside the years 1 to 9999 (epoch microseconds?); write ISO-8601, epoch seconds or milliseconds"
        )
    now = datetime.now(UTC).timestamp()
    if anchor == "newest" and newest > now + _FUTURE_SLACK_S:
        ahead = engine.count_rows(engine.restrict(table, now + _FUTURE_SLACK_S, newest))[0]
        raise DatasetError(
            f"production {cfg.production}: {ahead:,} row(s) have a '{cfg.timestamp_field}' more than a day after "
            f"now (newest {_iso(newest)}), and the --since window would end there, holding little but them; fix "
            "their time stamps, or anchor the window with --since-anchor now"
        )
    end = now if anchor == "now" else newest
    if end - seconds < _MIN_EPOCH_S:
        raise ConfigError(f"--since {cfg.since}: the window reaches before year 1; give a shorter window")
    return {
        "since": cfg.since,
        "anchor": anchor,
        "start": _iso(end - seconds),
        "end": _iso(end),
        "newest": _iso(newest),
        "start_epoch_s": end - seconds,
        "end_epoch_s": end,
    }


_FUTURE_SLACK_S = 86_400.0  # clock skew between the machines that log and the one that judges
_MIN_EPOCH_S = datetime(1, 1, 1, tzinfo=UTC).timestamp()  # the range a window's ends can be written in
_MAX_EPOCH_S = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC).timestamp()


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).isoformat(timespec="seconds")


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
    specs: list[FeatureSpec], engine: Any, ref: Any, prod: Any, cfg: DriftConfig, explicit: bool
) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    """Test every feature in the engine; only summaries come back. Returns (features, skipped, warnings)."""
    from gatekit.drift import plots, stats

    features: list[dict[str, Any]] = []
    skipped: list[dict[str, Any]] = []
    warnings: list[str] = []
    testable: list[FeatureSpec] = []
    for spec in specs:
        lacking = [
            side for side, opened in (("reference", ref), ("production", prod)) if not opened.seen.get(spec.name)
        ]
        if lacking:
            if explicit:
                side = lacking[0]
                opened = ref if side == "reference" else prod
                columns = ", ".join(peek_columns(opened.files[0])[:30])
                raise DatasetError(
                    f"{side} {opened.files[0]}: feature {spec.name!r} not found (columns: {columns}); "
                    "fix the name in --numeric/--categorical (dotted paths reach into nested JSON)"
                )
            reason = f"not in {' or '.join(lacking)}"
            skipped.append({"name": spec.name, "kind": spec.kind, "reason": reason, "hint": spec.hint})
            continue
        testable.append(spec)
    numeric = [spec.name for spec in testable if spec.kind == NUMERIC]
    categorical = [spec.name for spec in testable if spec.kind != NUMERIC]
    compared = engine.compare_numeric(ref.table, prod.table, numeric, cfg.ecdf_points, cfg.histogram_bins)
    cats = engine.categories(ref.table, prod.table, categorical, cfg.rare_min_expected, plots.TOP_CATEGORIES)
    for side, opened in (("reference", ref), ("production", prod)):
        for name in numeric:
            summary = getattr(compared[name], side)
            non_finite = summary.non_finite + opened.non_finite.get(name, 0)
            if non_finite:
                warnings.append(
                    f"{side}: {name}: {non_finite} non-finite value(s) (Infinity, NaN or beyond 1.8e308) "
                    "counted as missing"
                )
            rounded = opened.rounded.get(name, 0)
            if rounded:  # (scipy on the integers themselves may find a D this cannot see)
                warnings.append(
                    f"{side}: {name}: {rounded} integer(s) beyond 2^53 (9,007,199,254,740,992) read as the nearest "
                    "double: integers that differ only below a double's precision compare as equal"
                )
    for spec in testable:
        if spec.kind == NUMERIC:
            comparison = compared[spec.name]
            r, p = comparison.reference, comparison.production
            r_rows, r_missing, p_rows, p_missing, r_n, p_n = r.rows, r.missing, p.rows, p.missing, r.n, p.n
        else:
            cat = cats[spec.name]
            r_rows, r_missing, p_rows, p_missing = (
                cat.reference_rows,
                cat.reference_missing,
                cat.production_rows,
                cat.production_missing,
            )
            r_n, p_n = cat.n_reference, cat.n_production
        base: dict[str, Any] = {
            "name": spec.name,
            "kind": spec.kind,
            "n_reference": r_n,
            "n_production": p_n,
            "reference_rows": r_rows,
            "production_rows": p_rows,
            "reference_missing": r_missing,
            "production_missing": p_missing,
        }
        if not explicit and r_rows and r_missing == r_rows and p_missing < p_rows:
            # a derived feature the reference never holds (a gate run's results.jsonl has no input text, so its input
            # features are null in every row): as a column the reference lacks, not a missing rate that "drifted"
            # from 100 % to what production logs. A feature production stops logging is still flagged (below).
            reason = "not in reference (null in every reference row)"
            skipped.append({"name": spec.name, "kind": spec.kind, "reason": reason, "hint": spec.hint})
            continue
        empty = [side for side, n in (("reference", r_n), ("production", p_n)) if n == 0]
        if empty:
            what = "tool calls" if spec.multi else "values"
            sides = [opened for side, opened in (("reference", ref), ("production", prod)) if side in empty]
            texts = sum(opened.non_numeric.get(spec.name, 0) for opened in sides) if spec.kind == NUMERIC else 0
            why = f"all missing; {texts:,} of them are not numbers" if texts else "all missing"
            skipped.append(
                {"name": spec.name, "kind": spec.kind, "reason": f"no {what} in {' or '.join(empty)} ({why})"}
            )
        elif spec.kind == NUMERIC and _ks_powerless(r_n, p_n, cfg.alpha):
            # the two complete separations are the likeliest extremes: P(D = 1) = 2 / C(n + m, n)
            skipped.append(
                {
                    "name": spec.name,
                    "kind": spec.kind,
                    "reason": f"too few values to detect drift ({r_n} reference, {p_n} production): even completely "
                    f"separated samples give KS p = {min(1.0, 2 / math.comb(r_n + p_n, r_n)):.3g} > alpha {cfg.alpha:g}",
                }
            )
        elif spec.kind == NUMERIC:
            got = comparison.ks
            ks = stats.ks_from_statistic(
                got.d, got.numerator, got.n_reference, got.n_production, location=got.location, sign=got.sign
            )
            cut = comparison.edges
            features.append(
                {
                    **base,
                    "test": "ks",
                    "statistic": ks["statistic"],
                    "effect_name": "ks_d",
                    "effect_size": ks["statistic"],
                    "p_value": ks["p_value"],
                    "method": ks["method"],
                    "ks_shape": got.shape,
                    "d_interval": ks["d_interval"],
                    "d_location": ks["d_location"],
                    "reference_non_numeric": ref.non_numeric.get(spec.name, 0),
                    "production_non_numeric": prod.non_numeric.get(spec.name, 0),
                    "reference_stats": _describe(r),
                    "production_stats": _describe(p),
                    "plot": {
                        "x_range": [cut[0], cut[-1]],
                        "ecdf_reference": r.ecdf,
                        "ecdf_production": p.ecdf,
                        "bin_edges": cut,
                        "hist_reference": [c / r.n for c in comparison.reference_bins],
                        "hist_production": [c / p.n for c in comparison.production_bins],
                        "quantiles_exact": {"reference": r.exact_quantiles, "production": p.exact_quantiles},
                    },
                }
            )
        else:
            # a list column counts every item (tool_names, or one named with --categorical, e.g. the production log's
            # tool_names or rules): the items of one row are one cluster, on both sides (Rao-Scott); without it, a
            # named --categorical tool_names flagged 31 of 40 samples of one distribution (20 calls a request)
            listed = spec.multi or all(opened.table.features[spec.name].multi for opened in (ref, prod))
            chi = stats.chi2_pooled(
                cat.categories,
                cat.reference_counts,
                cat.production_counts,
                cat.pooled_reference,
                cat.pooled_production,
                cat.pooled_count,
                cfg.rare_min_expected,
                exact=not listed,
            )
            if listed:
                _cluster_correct(chi, engine, ref, prod, spec.name, cat.categories, cat.pooled_count)
        if spec.kind != NUMERIC and not empty and chi["dof"] == 0 and cat.pooled_count:
            # every category rare, pooled into one (other) column: no test exists; p = 1 would be an unknown as a pass
            skipped.append(
                {
                    "name": spec.name,
                    "kind": spec.kind,
                    "reason": (
                        f"every one of its {cat.pooled_count:,} categories is rare (expected count under "
                        f"{cfg.rare_min_expected:g} per side): no chi-square test possible; {cat.new_count:,} "
                        f"production categories are new, {cat.vanished_count:,} "
                        "reference ones vanished (an id-like field: bucket it, or leave it out)"
                    ),
                }
            )
        elif spec.kind != NUMERIC and not empty:
            smallest = chi["min_expected_count"]
            if smallest is not None and smallest < cfg.rare_min_expected and chi["test"] == "chi2":
                # (the pooled column beside one category, of a list feature: its p-value is the cluster-corrected
                # chi-square's; other features' is then Fisher's exact test's)
                label = chi["min_expected_category"]
                column = (
                    f"{OTHER} column ({cat.pooled_count:,} {fmt.noun(cat.pooled_count, 'rare category', 'rare categories')} pooled)"
                    if label == OTHER
                    else (f"category {_category_label(str(label))!r}")
                )
                warnings.append(
                    f"{spec.name}: the {column} has an expected count of {smallest:.3g}, under {cfg.rare_min_expected:g}"
                    ": its chi-square p-value is only approximate; gather more rows, or bucket the rare values"
                )
            features.append(
                {
                    **base,
                    "test": chi["test"],
                    "statistic": chi["statistic"],
                    "effect_name": "cramers_v",
                    "effect_size": chi["cramers_v"],
                    "p_value": chi["p_value"],
                    "dof": chi["dof"],
                    **(
                        {"design_effect": chi["design_effect"], "statistic_uncorrected": chi["statistic_uncorrected"]}
                        if "design_effect" in chi
                        else {}
                    ),  # fmt: skip
                    "cramers_v_unweighted": chi["cramers_v_unweighted"],
                    # category names are production (or golden) values: scrubbed before drift.json / the report
                    "new_categories": [_category_label(str(c)) for c in cat.new[:100]],
                    "new_categories_count": cat.new_count,
                    "vanished_categories": [_category_label(str(c)) for c in cat.vanished[:100]],
                    "pooled_categories": cat.pooled_count,
                    "plot": {"categories": [_scrubbed_plot_row(row) for row in cat.plot]},
                }
            )
        all_missing = r_missing == r_rows and p_missing == p_rows  # nothing to compare on either side
        if not spec.multi and (r_missing + p_missing) > 0 and r_rows and p_rows and not all_missing:
            miss = stats.missing_rate_test(r_missing, r_rows, p_missing, p_rows, cfg.rare_min_expected)
            features.append(
                {
                    "name": f"{spec.name}.{MISSING_RATE}",
                    "kind": MISSING_RATE,
                    "of": spec.name,
                    "test": miss["test"],
                    "statistic": miss["statistic"],
                    "effect_name": "cramers_v",
                    "effect_size": miss["cramers_v"],
                    "p_value": miss["p_value"],
                    "dof": 1,
                    "n_reference": r_rows,
                    "n_production": p_rows,
                    "reference_rate": miss["reference_rate"],
                    "production_rate": miss["production_rate"],
                }
            )
    return features, skipped, warnings


def _cluster_correct(
    chi: dict[str, Any], engine: Any, ref: Any, prod: Any, name: str, kept: list[str], pooled_count: int
) -> None:
    """Rao-Scott first-order correction of a list feature's chi-square: calls of one request are one cluster.

    The engines give per-request sums over the tested table's columns (kept categories, then the pooled
    ``(other)`` column, or the last kept one when ``(other)`` was merged into it); ``chi`` gets the corrected
    statistic and p-value, the design effect and the plain statistic. No-op when nothing was tested.
    """
    from gatekit.drift import stats

    if chi["dof"] <= 0:
        return
    width = len(chi["table"][0])
    columns = {category: index for index, category in enumerate(kept)}
    rest = width - 1 if pooled_count else None
    sums = [engine.cluster_sums(side.table, name, columns, rest, width) for side in (ref, prod)]
    delta = stats.rao_scott_first_order(chi["table"], [s.yy for s in sums], [s.ym for s in sums], [s.mm for s in sums])
    chi["statistic_uncorrected"] = chi["statistic"]
    chi["design_effect"] = delta
    if delta != 1.0:  # one call per request: exactly the plain test, scipy's own p-value kept
        chi["statistic"], chi["p_value"] = stats.rao_scott_chi2(chi["statistic"], chi["dof"], delta)


def _too_coarse(features: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(features, skipped): a feature that did not drift on a side with fewer values than 1 / its effect floor is skipped.

    k values give a distribution function (or shares) in steps of 1/k: with one production row in the window D is
    about 0.5 whatever production is like, and only a value in the reference's far tails could be significant. Its
    "no drift" would be no evidence of none (it passed as "no feature drifted"); a drift it shows is kept.
    """
    kept: list[dict[str, Any]] = []
    coarse: list[dict[str, Any]] = []
    for feature in features:
        small = min(feature["n_reference"], feature["n_production"])
        floor = feature["effect_floor"]
        if feature["drifted"] or floor <= 0 or small * floor >= 1:
            kept.append(feature)
            continue
        side = "production" if feature["n_production"] <= feature["n_reference"] else "reference"
        what = "rows" if feature["kind"] == MISSING_RATE else "values"
        coarse.append(
            {
                "name": feature["name"],
                "kind": feature["kind"],
                **{
                    key: feature[key]
                    for key in ("of", "n_reference", "n_production", "reference_non_numeric", "production_non_numeric")
                    if key in feature
                },
                "reason": f"too few {what} to show no drift ({small:,} in {side}): {small:,} of them move in steps of "
                f"{1 / small:.3g}, coarser than the effect floor {floor:g}; it needs {math.ceil(1 / floor - 1e-9):,} "
                "a side",
            }
        )
    return kept, coarse


def _refuse_untested(
    features: list[dict[str, Any]], skipped: list[dict[str, Any]], cfg: DriftConfig, explicit: bool
) -> None:
    """No "no drift" while a named (--numeric/--categorical) or critical feature had nothing tested, nor its missing rate."""
    tested = {feature.get("of", feature["name"]) for feature in features}
    untested = [
        s
        for s in skipped
        if s.get("of", s["name"]) not in tested and (explicit or cfg.is_critical(s.get("of", s["name"])))
    ]
    if untested:
        reasons = "; ".join(
            f"{s['name']}: {s['reason']}" + (f" ({s['hint']})" if s.get("hint") else "") for s in untested
        )
        raise DatasetError(
            f"drift: no verdict: {reasons}; a feature named with --numeric/--categorical or --critical that cannot "
            "be tested is no evidence of no drift: fix its data or leave it out"
        )


def _describe(summary: Any) -> dict[str, Any]:
    q = summary.quantiles
    return {
        "mean": summary.mean,
        "p05": q.get(0.05),
        "p50": q.get(0.5),
        "p95": q.get(0.95),
        "min": summary.min,
        "max": summary.max,
        "exact": summary.exact_quantiles,
    }


def verdict(features: list[dict[str, Any]], cfg: DriftConfig) -> tuple[bool, str, list[str]]:
    """(drift, reason, drifted names) by ``cfg.verdict``; the reason always names the drifted features.

    ``any`` (default): any tested feature significant after Benjamini-Hochberg and beyond its effect
    floor is drift. ``share``: drift when a critical feature drifts or more than ``max_drift_share`` do.
    """
    drifted = [f["name"] for f in features if f["drifted"]]
    critical = [f["name"] for f in features if f["drifted"] and f["critical"]]
    share = len(drifted) / len(features)
    names = ", ".join(drifted)
    if not drifted:
        return False, f"no feature drifted ({len(features)} tested)", drifted
    if cfg.verdict == "any":
        return True, f"{len(drifted)} of {len(features)} features drifted: {names}", drifted
    if critical:
        return True, f"critical feature(s) drifted: {', '.join(critical)} (all drifted: {names})", drifted
    allowed = fmt.rate(cfg.max_drift_share, 0)
    if share > cfg.max_drift_share:
        return (
            True,
            f"{len(drifted)} of {len(features)} features drifted ({fmt.rate(share, 0)} > {allowed} allowed): {names}",
            drifted,
        )
    return (
        False,
        f"{len(drifted)} of {len(features)} features drifted ({fmt.rate(share, 0)}, at most {allowed} allowed "
        f"by the share rule) and none is critical: {names}",
        drifted,
    )


def _ks_powerless(n_ref: int, n_prod: int, alpha: float) -> bool:
    """True when no two samples of these sizes can reach KS p <= ``alpha`` (exact two-sided p at D = 1).

    ``2 / C(n + m, min(n, m))``, exact in integers (cheap while the smaller side is small; beyond 64 values it is
    below 1e-37, so no alpha a person sets is above it).
    """
    small = min(n_ref, n_prod)
    return small <= 64 and 2 / math.comb(n_ref + n_prod, small) > alpha


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


_CATEGORY_CHARS = 200  # a category name as drift.json, the reports and the verdict show it


def _category_label(value: Any) -> Any:
    """A category name as written: scrubbed, then (never before: no half secret) cut to 200 characters with ``…``.

    A production value is untrusted: one of 1 MB shared by many rows was copied whole into drift.json, drift.html,
    verdict.json and report.html. A number or null without a finding stays as it is.
    """
    shown = scrub_field(value)
    if isinstance(shown, str) and len(shown) > _CATEGORY_CHARS:
        return shown[: _CATEGORY_CHARS - 1] + "…"
    return shown


def _scrubbed_plot_row(row: dict[str, Any]) -> dict[str, Any]:
    """A plot row of a categorical feature with its category name scrubbed and cut (the shares are the raw values')."""
    if "category" not in row:
        return row
    return {**row, "category": _category_label(row["category"])}
