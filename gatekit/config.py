"""Configuration: ``gatekit.yaml`` + ``GATEKIT_*`` environment + flags, validated strictly.

Precedence: command-line flag > ``GATEKIT_<FIELD>`` environment > gatekit.yaml > default.
Relative paths in gatekit.yaml are resolved against the folder that holds it (a ``sqlite:///`` or ``file:``
``tracking_uri`` too);
relative paths given as flags or environment are resolved against the working directory.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic.json_schema import SkipJsonSchema

from gatekit.drift_config import DriftConfig
from gatekit.errors import ConfigError
from gatekit.yamlio import read_yaml, refuse_bool, sourced_message

DEFAULT_CONFIG_FILE = "gatekit.yaml"


class AgentOptionsConfig(BaseModel):
    """Adapter settings (``agent_options:`` in gatekit.yaml)."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    model: str | None = None
    api_key_env: str | None = Field(default=None, description="Name of the env var that holds the API key.")
    headers: dict[str, str] = Field(default_factory=dict)
    extra: dict[str, Any] = Field(default_factory=dict, description="Adapter-specific settings.")


class GateConfig(BaseModel):
    """Everything ``gatekit promote`` / ``gatekit eval`` needs."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)

    dataset: Path | None = None
    agent: str | None = None
    thresholds: Path | None = None
    policy: Path | None = None
    pricing: Path | None = None
    out: Path = Path("reports/latest")
    concurrency: int = Field(default=8, ge=1, le=4096)
    timeout: float = Field(default=30.0, gt=0, description="Seconds per attempt.")
    retries: int = Field(default=2, ge=0, le=20)
    deadline: float | None = Field(default=None, gt=0, description="Seconds for the whole replay.")
    start_timeout: float = Field(
        default=120.0, gt=0, le=86400, description="Seconds for the agent to start (import, model load, worker)."
    )
    publish_timeout: float = Field(
        default=120.0,
        gt=0,
        le=86400,
        description="Seconds for all MLflow logging and promotion together; past it: exit 3, the local files stay.",
    )
    repeat: int = Field(default=1, ge=1, le=1000)
    sample: int | None = Field(default=None, ge=1)
    seed: int = 0
    resume: bool = False
    experiment: str = "gatekit"
    tracking_uri: str | None = None
    run_name: str | None = None
    production: str | None = None
    alias: str | None = None
    baseline: str | None = None
    junit: Path | None = None
    dry_run: bool = False
    no_mlflow: bool = Field(default=False, description="Do not log to MLflow (and never promote).")
    stop_after_identical_failures: int = Field(
        default=10,
        ge=0,
        description="Stop the run (FAIL) when the first N cases all fail with the same error; 0 disables.",
    )
    agent_options: AgentOptionsConfig = Field(default_factory=AgentOptionsConfig)
    drift: DriftConfig | None = None
    _no_bool = field_validator(
        "concurrency",
        "timeout",
        "retries",
        "deadline",
        "publish_timeout",
        "repeat",
        "sample",
        "seed",
        "stop_after_identical_failures",
        mode="before",
    )(refuse_bool)
    # set by load_config, not a setting: kept out of `gatekit schema config` and refused in the file
    config_path: SkipJsonSchema[Path | None] = Field(default=None, exclude=True)
    # set by load_config: an input path in the file that exists from the working directory only -> what to write
    _misplaced: dict[str, str] = PrivateAttr(default_factory=dict)

    @field_validator("experiment")
    @classmethod
    def _no_secret_in_experiment(cls, name: str) -> str:
        from gatekit.redact import check_experiment_name  # (detectors: only when a config is validated)

        return check_experiment_name(name)


_PATH_FIELDS = ("dataset", "thresholds", "policy", "pricing", "out", "junit")
_INPUT_FIELDS = ("dataset", "thresholds", "policy", "pricing")  # (the paths read, so they must exist)
# (how an error names the kind an environment variable must hold)
_KIND_NAMES: dict[type, str] = {
    int: "a whole number, such as 4",
    float: "a number, such as 2.5",
    str: "a string",
    bool: "true or false (also 1/0, yes/no, on/off)",
}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")
_ENV_FIELDS = {
    "dataset": str,
    "agent": str,
    "thresholds": str,
    "policy": str,
    "pricing": str,
    "out": str,
    "concurrency": int,
    "timeout": float,
    "retries": int,
    "deadline": float,
    "start_timeout": float,
    "publish_timeout": float,
    "repeat": int,
    "experiment": str,
    "tracking_uri": str,
    "run_name": str,
    "production": str,
    "sample": int,
    "seed": int,
    "alias": str,
    "baseline": str,
    "junit": str,
    "stop_after_identical_failures": int,
    # every field is reachable from the environment (the README's precedence rule): a GATEKIT_DRY_RUN or
    # GATEKIT_NO_MLFLOW that is silently ignored would promote or log where the user asked for neither
    "resume": bool,
    "dry_run": bool,
    "no_mlflow": bool,
}


# settings that are mappings in gatekit.yaml: one environment variable cannot hold them, so a set one is refused
# rather than ignored (a run would use other options than the user meant)
_STRUCTURED_FIELDS = ("agent_options", "drift")


def _env_value(kind: type, text: str) -> Any:
    """An environment variable's text as ``kind``; ``ValueError`` when it is not one."""
    if kind is bool:
        word = text.strip().lower()
        if word in _TRUE or word in _FALSE:
            return word in _TRUE
        raise ValueError(text)
    return kind(text)


def load_config(config_path: Path | None = None, overrides: dict[str, Any] | None = None) -> GateConfig:
    """Build a ``GateConfig`` from gatekit.yaml, ``GATEKIT_*`` env vars and ``overrides`` (flags).

    ``config_path`` None means ``./gatekit.yaml`` if it exists, else defaults only.
    ``overrides`` values that are None are ignored (the flag was not given).
    """
    data: dict[str, Any] = {}
    lines: dict[tuple[str, ...], int] = {}
    sources: dict[str, str] = {}  # key -> the env var or flag that set it (an error names it, not the file)
    misplaced: dict[str, str] = {}  # key -> an input path in the file that exists from the working directory only
    path = config_path
    if path is None and Path(DEFAULT_CONFIG_FILE).exists():
        path = Path(DEFAULT_CONFIG_FILE)
    if path is not None:
        data, lines = read_yaml(path, ConfigError, "config")
        if "config_path" in data:  # an internal field: the file would be silently overridden by its own path
            line = lines.get(("config_path",))
            raise ConfigError(f"{path}{f':{line}' if line else ''}: unknown key 'config_path'; remove it")
        for key in _PATH_FIELDS:
            if isinstance(data.get(key), str) and not data[key].strip():
                raise ConfigError(f"{path}:{lines.get((key,), '?')}: {key}: empty path; give one or remove the key")
        base = path.parent
        for key in _PATH_FIELDS:
            if isinstance(data.get(key), str):
                written = data[key]
                data[key] = str(_relative_to(base, written))
                if key in _INPUT_FIELDS and not Path(data[key]).exists() and Path(written).exists():
                    misplaced[key] = written
        _resolve_agent_cwd(data, base)
        if isinstance(data.get("tracking_uri"), str):
            data["tracking_uri"] = _store_uri_relative_to(base, data["tracking_uri"])
    for key, kind in _ENV_FIELDS.items():
        env_value = os.environ.get(f"GATEKIT_{key.upper()}")
        if env_value:
            try:
                data[key] = _env_value(kind, env_value)
                sources[key] = f"GATEKIT_{key.upper()}"
            except ValueError:
                kind_name = _KIND_NAMES.get(kind, kind.__name__)
                raise ConfigError(f"GATEKIT_{key.upper()}={env_value!r}: expected {kind_name}") from None
    _refuse_misspelt_env()
    for key, value in (overrides or {}).items():
        if value is not None:
            flag = "--" + key.replace("_", "-")
            if key in _PATH_FIELDS and isinstance(value, str) and not value.strip():  # (an unset variable: '.')
                raise ConfigError(f"{flag} {value!r}: empty path; give one (is a variable in the command unset?)")
            data[key] = value
            sources[key] = flag
    try:
        config = GateConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(sourced_message(path, exc, lines, sources, GateConfig)) from None
    config.config_path = path
    if path is not None:
        config._misplaced = {
            key: f"{path}:{lines.get((key,), '?')}: {key}: {data[key]} not found: paths in gatekit.yaml are relative "
            f"to its folder ({path.parent}), not to the working directory; write {os.path.relpath(written, path.parent)}"
            for key, written in misplaced.items()
            if key not in sources
        }
    return config


def _refuse_misspelt_env() -> None:
    """A set ``GATEKIT_*`` variable one typo away from a setting is an error: ``GATEKIT_DRYRUN=1`` promoted for real.

    So is a structured setting (``GATEKIT_AGENT_OPTIONS``, ``GATEKIT_DRIFT``): it can only be set in gatekit.yaml.
    Other ``GATEKIT_*`` names (the watch's ``GATEKIT_ROLLBACK_*``, the action's ``GATEKIT_DRIFT_*``) are left alone.
    """
    import difflib

    for key in _STRUCTURED_FIELDS:
        if os.environ.get(f"GATEKIT_{key.upper()}"):
            raise ConfigError(
                f"GATEKIT_{key.upper()}: {key} cannot come from the environment; set {key} in gatekit.yaml "
                "and unset the variable"
            )
    for name, value in os.environ.items():
        if not value or not name.startswith("GATEKIT_") or name[8:].lower() in _ENV_FIELDS:
            continue
        close = difflib.get_close_matches(name[8:].lower(), list(_ENV_FIELDS), n=1, cutoff=0.8)
        if close:
            raise ConfigError(
                f"{name}: not a gatekit setting; did you mean GATEKIT_{close[0].upper()}? fix or unset it"
            )


def _relative_to(base: Path, value: str) -> Path:
    candidate = Path(value)
    if candidate.is_absolute() or str(base) in ("", "."):
        return candidate
    return base / candidate


def _store_uri_relative_to(base: Path, uri: str) -> str:
    """A ``tracking_uri`` in gatekit.yaml naming a local file is a path like the others: relative to the file.

    ``sqlite:///mlflow.db`` (three slashes: relative) in ``proj/gatekit.yaml`` run as ``gatekit eval -c
    proj/gatekit.yaml`` from elsewhere logged to a new ``mlflow.db`` in the working directory, and ``--baseline`` /
    ``promote`` read that empty store instead of the project's.
    """
    for prefix in ("sqlite:///", "file:"):
        if uri.startswith(prefix) and not uri.startswith("file://"):
            path, query, rest = uri[len(prefix) :].partition("?")
            if path and not path.startswith("/") and path != ":memory:":
                return f"{prefix}{_relative_to(base, path)}{query}{rest}"
    return uri


def _resolve_agent_cwd(data: dict[str, Any], base: Path) -> None:
    """A ``cmd:`` agent's ``agent_options.extra.cwd`` in gatekit.yaml is a path like the others: relative to the file."""
    options = data.get("agent_options")
    extra = options.get("extra") if isinstance(options, dict) else None
    if isinstance(extra, dict) and isinstance(extra.get("cwd"), str) and extra["cwd"].strip():
        extra["cwd"] = str(_relative_to(base, extra["cwd"]))


def refuse_misplaced_paths(config: GateConfig) -> None:
    """An input path in gatekit.yaml written relative to the working directory, not to the file: ``ConfigError``.

    ``conf/gatekit.yaml`` saying ``dataset: datasets/golden.jsonl`` (the file moved, or run with ``-c``) named
    ``conf/datasets/golden.jsonl`` "not found" with nothing saying why ``conf/``; the message says what to write.
    """
    for key in ("dataset", "thresholds", "policy", "pricing"):
        if key in config._misplaced and getattr(config, key) is not None and not Path(getattr(config, key)).exists():
            raise ConfigError(config._misplaced[key])


def require(config: GateConfig, field: str) -> Any:
    """Return a required config value or raise a ConfigError that says how to set it.

    Without a config file (none given, no ./gatekit.yaml here) the message says so: the usual cause is running
    gatekit from another folder than the project's.
    """
    value = getattr(config, field)
    if value is None:
        flag = f"--{field.replace('_', '-')}"
        if config.config_path is None:
            raise ConfigError(
                f"no {field} given and no {DEFAULT_CONFIG_FILE} in {Path.cwd()}: run gatekit from the folder that "
                f"holds {DEFAULT_CONFIG_FILE}, pass --config FILE (or {flag}), or run `gatekit init` to write one"
            )
        raise ConfigError(f"no {field} given: pass {flag} or set '{field}:' in {config.config_path}")
    return value
