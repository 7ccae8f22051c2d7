"""Config precedence (flag > GATEKIT_* env > gatekit.yaml > default) and strict validation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import gatekit
from gatekit.config import load_config
from gatekit.errors import ConfigError


def test_precedence_flag_env_file_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "sub" / "gatekit.yaml"
    cfg.parent.mkdir()
    cfg.write_text("dataset: data/cases.jsonl\nconcurrency: 3\ntimeout: 5\nretries: 4\n")
    monkeypatch.setenv("GATEKIT_TIMEOUT", "7.5")
    monkeypatch.setenv("GATEKIT_RETRIES", "1")
    config = load_config(cfg, {"retries": 0, "concurrency": None})
    assert config.concurrency == 3  # file (flag not given)
    assert config.timeout == 7.5  # env beats file
    assert config.retries == 0  # flag beats env
    assert config.experiment == "gatekit"  # default
    assert config.dataset == cfg.parent / "data" / "cases.jsonl"  # relative to the config file


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    cfg = tmp_path / "gatekit.yaml"
    cfg.write_text("dataset: a.jsonl\nagent_options:\n  modle: x\n")
    with pytest.raises(ConfigError, match=r"gatekit.yaml:3: unknown key 'agent_options.modle'"):
        load_config(cfg)


def test_bad_values_and_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "gatekit.yaml"
    cfg.write_text("concurrency: 0\n")
    with pytest.raises(ConfigError, match=r"gatekit.yaml:1: concurrency"):
        load_config(cfg)
    cfg.write_text("concurrency: 2\n")
    monkeypatch.setenv("GATEKIT_CONCURRENCY", "many")
    with pytest.raises(ConfigError, match="GATEKIT_CONCURRENCY='many': expected a whole number, such as 4$"):
        load_config(cfg)
    monkeypatch.setenv("GATEKIT_CONCURRENCY", "2")
    monkeypatch.setenv("GATEKIT_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="GATEKIT_TIMEOUT='soon': expected a number, such as 2.5$"):
        load_config(cfg)


def test_public_api_is_explicit_and_light() -> None:
    assert gatekit.__all__ == ["__version__", "check_drift", "run_canary", "run_gate"]
    code = "import sys, gatekit; print(json.dumps(sorted(m for m in ('mlflow','pandas','scipy') if m in sys.modules)))"
    out = subprocess.run([sys.executable, "-c", "import json;" + code], capture_output=True, text=True, check=True)
    assert json.loads(out.stdout) == []


def test_schema_command_prints_json_schema() -> None:
    out = subprocess.run([sys.executable, "-m", "gatekit", "schema"], capture_output=True, text=True, check=True)
    schema = json.loads(out.stdout)
    assert schema["additionalProperties"] is False
    assert {"dataset", "agent", "concurrency", "tracking_uri"} <= set(schema["properties"])
