"""The ``drift:`` section of gatekit.yaml (features, effect-size floors, critical features, verdict share).

Plain configuration data: no stage imports here, so ``gatekit.config`` can use it without the drift package.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from gatekit.yamlio import refuse_bool

DEFAULT_KS_FLOOR = 0.1
DEFAULT_CRAMERS_V_FLOOR = 0.1


class DriftFeatureRule(BaseModel):
    """Per-feature overrides, keyed by the feature name (``latency_ms``, ``context.role``, ...)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    effect_floor: float | None = Field(
        default=None,
        ge=0.0,
        le=1.0,
        description="KS D (numeric) or Cramér's V (categorical) a drift must reach.",
    )
    critical: bool = Field(default=False, description="When this feature drifts, the whole dataset drifts.")

    _no_bool = field_validator("effect_floor", mode="before")(refuse_bool)


class DriftConfig(BaseModel):
    """Settings for ``gatekit drift`` (and the drift check of ``gatekit promote --production``).

    Command-line flags override these values; the lead's config loader reads them from
    the ``drift:`` section of gatekit.yaml.
    """

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    reference: str | None = Field(default=None, description="Golden dataset or reference logs (file, glob, folder).")
    production: str | None = Field(default=None, description="Production logs (file, glob or folder).")
    reference_results: str | None = Field(
        default=None,
        description="A gate run's results.jsonl supplying latency/tokens/cost/tool calls per case_id.",
    )
    since: str | None = Field(default=None, description="Only production rows newer than this (7d, 24h, 30m, 2w).")
    timestamp_field: str = Field(default="timestamp", description="Dotted path of the production timestamp.")
    numeric: list[str] = Field(default_factory=list, description="Numeric features (dotted paths); exactly these.")
    categorical: list[str] = Field(default_factory=list, description="Categorical features (dotted paths).")
    out: str = Field(default="reports/drift", description="Folder for drift.json and drift.html.")
    experiment: str = Field(default="gatekit-drift", description="MLflow experiment name.")
    run_name: str | None = None
    tracking_uri: str | None = Field(default=None, description="Default: MLFLOW_TRACKING_URI, else ./mlflow.db.")
    alpha: float = Field(default=0.05, gt=0.0, lt=1.0, description="False discovery rate (Benjamini-Hochberg).")
    ks_floor: float = Field(default=DEFAULT_KS_FLOOR, ge=0.0, le=1.0, description="Default effect floor on KS D.")
    cramers_v_floor: float = Field(
        default=DEFAULT_CRAMERS_V_FLOOR, ge=0.0, le=1.0, description="Default effect floor on Cramér's V."
    )
    max_drift_share: float = Field(
        default=0.5,
        ge=0.0,
        le=1.0,
        description="With verdict: share, the dataset drifts when MORE than this share of features drift.",
    )
    verdict: Literal["any", "share"] = Field(
        default="any",
        description="any: drift when any feature drifts (significant after BH and beyond its floor); "
        "share: when a critical feature or more than max_drift_share of the features drift.",
    )
    engine: Literal["duckdb", "spark"] = Field(default="duckdb", description="Where the statistics are computed.")
    critical: list[str] = Field(default_factory=list, description="Features whose drift alone means dataset drift.")
    features: dict[str, DriftFeatureRule] = Field(default_factory=dict, description="Per-feature overrides.")
    rare_min_expected: float = Field(
        default=5.0, ge=0.0, description="Categories with a smaller expected count are pooled into '(other)'."
    )
    ecdf_points: int = Field(default=200, ge=10, le=5000, description="Points per ECDF curve in the report.")
    histogram_bins: int = Field(default=30, ge=5, le=200, description="Shared histogram bins in the report.")

    _no_bool = field_validator(
        "alpha",
        "ks_floor",
        "cramers_v_floor",
        "max_drift_share",
        "rare_min_expected",
        "ecdf_points",
        "histogram_bins",
        mode="before",
    )(refuse_bool)

    @field_validator("numeric", "categorical", "critical")
    @classmethod
    def _no_blank_names(cls, names: list[str]) -> list[str]:
        for name in names:
            if not name or not name.strip():
                raise ValueError("feature names must not be empty")
        return [name.strip() for name in names]

    @field_validator("experiment")
    @classmethod
    def _no_secret_in_experiment(cls, name: str) -> str:
        from gatekit.redact import check_experiment_name  # (detectors: only when a config is validated)

        return check_experiment_name(name)

    def floor_for(self, feature: str, kind: str) -> float:
        """Return the effect floor for ``feature`` (per-feature override, else the default for ``kind``)."""
        rule = self.features.get(feature)
        if rule is not None and rule.effect_floor is not None:
            return rule.effect_floor
        return self.ks_floor if kind == "numeric" else self.cramers_v_floor

    def is_critical(self, feature: str) -> bool:
        """Return whether ``feature`` is marked critical (in ``critical`` or ``features.<name>.critical``)."""
        rule = self.features.get(feature)
        return feature in self.critical or bool(rule is not None and rule.critical)
