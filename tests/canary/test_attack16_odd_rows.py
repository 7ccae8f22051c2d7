"""attack16: production rows whose values the canary cannot judge are refused, not counted as healthy.

An ``outcome`` the format does not know (``DENY``, ``blocked``) was counted as a governed request that was
not denied, so ``deny_rate > 0 for 1 window`` stayed ok and the stage promoted; a negative, NaN or infinite
``latency_ms`` / ``cost_usd`` (which the row writer refuses) went into the percentiles and rank sums.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from canary.traffic import now_after, traffic, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
NOW = now_after(30)


def _canary(logs: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "gatekit", "canary", "--logs", str(logs), "--now", NOW, "--out", str(out)]
    return subprocess.run([*command, "--no-mlflow", *extra], env=env, capture_output=True, text=True, timeout=120)


def _spoil(rows: list[dict[str, Any]], minute_prefix: str, **values: Any) -> list[dict[str, Any]]:
    """Set ``values`` on the canary rows whose request id starts with ``minute_prefix`` (one window's rows)."""
    return [({**r, **values} if r["request_id"].startswith(minute_prefix) else r) for r in rows]


def _raw_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    # json.dumps writes NaN / Infinity as the bare words, as many log writers do
    path.write_text("".join(json.dumps(r, allow_nan=True) + "\n" for r in rows), encoding="utf-8")
    return path


def test_healthy_traffic_still_promotes(tmp_path: Path) -> None:
    proc = _canary(write_jsonl(tmp_path / "ok.jsonl", traffic(30)), tmp_path / "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"outcome": "DENY"}, "outcome"),
        ({"outcome": "blocked"}, "outcome"),
        ({"latency_ms": -5.0}, "latency_ms"),
        ({"latency_ms": float("nan")}, "latency_ms"),
        ({"latency_ms": float("inf")}, "latency_ms"),
        ({"cost_usd": -0.5}, "cost_usd"),
    ],
)
def test_a_value_the_format_does_not_allow_is_exit_2_naming_the_column_and_window(
    tmp_path: Path, values: dict[str, Any], words: str
) -> None:
    logs = _raw_jsonl(tmp_path / "odd.jsonl", _spoil(traffic(30), "canary-12-", **values))
    proc = _canary(logs, tmp_path / "out")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert words in lines[0] and str(logs) in lines[0] and "2026-03-01T12:12:00Z" in lines[0], lines[0]
    assert not (tmp_path / "out" / "canary.json").exists()


@pytest.mark.slow
@pytest.mark.parametrize("values", [{"outcome": "DENY"}, {"latency_ms": float("nan")}, {"cost_usd": float("-inf")}])
def test_spark_refuses_the_same_rows(tmp_path: Path, spark: Any, values: dict[str, Any]) -> None:
    """The same SQL text on Spark: an unknown outcome, a NaN latency, an infinite cost are refused there too."""
    from typer.testing import CliRunner

    from gatekit.cli import app

    logs = _raw_jsonl(tmp_path / "odd.jsonl", _spoil(traffic(30), "canary-12-", **values))
    args = ["canary", "--logs", str(logs), "--now", NOW, "--no-mlflow", "--engine", "spark", "--out", str(tmp_path)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2, result.output
    assert next(iter(values)) in result.output and "2026-03-01T12:12:00Z" in result.output
