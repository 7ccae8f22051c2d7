"""Re-export: the drift settings model lives in ``gatekit.drift_config`` (plain configuration data)."""

from gatekit.drift_config import DEFAULT_CRAMERS_V_FLOOR, DEFAULT_KS_FLOOR, DriftConfig, DriftFeatureRule

__all__ = ["DEFAULT_CRAMERS_V_FLOOR", "DEFAULT_KS_FLOOR", "DriftConfig", "DriftFeatureRule"]
