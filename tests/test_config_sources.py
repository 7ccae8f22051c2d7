"""A bad value from a flag or a GATEKIT_* variable is blamed on that flag or variable, not on gatekit.yaml."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gatekit.config import load_config
from gatekit.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def test_bad_flag_value_names_the_flag(tmp_path: Path) -> None:
    cfg = tmp_path / "gatekit.yaml"
    cfg.write_text("dataset: cases.jsonl\nconcurrency: 8\ntimeout: 10\n")
    with pytest.raises(ConfigError) as info:
        load_config(cfg, {"concurrency": 0})
    assert str(info.value).startswith("--concurrency: concurrency: Input should be greater than or equal to 1")
    assert "gatekit.yaml" not in str(info.value)


def test_bad_env_value_names_the_variable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cfg = tmp_path / "gatekit.yaml"
    cfg.write_text("timeout: 10\n")
    monkeypatch.setenv("GATEKIT_TIMEOUT", "-1")
    with pytest.raises(ConfigError, match=r"^GATEKIT_TIMEOUT: timeout: Input should be greater than 0"):
        load_config(cfg, {})


def test_bad_file_value_still_names_file_and_line(tmp_path: Path) -> None:
    cfg = tmp_path / "gatekit.yaml"
    cfg.write_text("dataset: cases.jsonl\nconcurrency: 0\n")
    with pytest.raises(ConfigError, match=r"gatekit.yaml:2: concurrency"):
        load_config(cfg, {"timeout": 5})


def test_cli_bad_flag_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "gatekit.yaml").write_text("dataset: cases.jsonl\nconcurrency: 8\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env = {k: v for k, v in env.items() if not k.startswith("GATEKIT_")}
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "eval", "--concurrency", "0", "--no-mlflow"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "error: --concurrency: concurrency: Input should be greater than or equal to 1"
    ]
