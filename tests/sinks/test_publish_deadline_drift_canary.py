"""drift and canary log an MLflow run under the same overall publish deadline as the gate.

publish20 bounded the gate's publishing (``--publish-timeout``, ``GATEKIT_PUBLISH_TIMEOUT``, default 120 s);
``gatekit drift`` and ``gatekit canary`` called ``log_run`` with no deadline, so a tracking server answering every
request just under MLflow's per-request timeout held them for requests x retries x timeout. The server here is a
real HTTP server on 127.0.0.1 that answers ``/health`` at once and every MLflow API call with 503 after 1.5 s.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from canary.traffic import now_after, traffic, write_jsonl
from conftest import slow_tracking_server

from gatekit.errors import ConfigError, SinkError

SLOW = {  # one request alone: 10 retries of 1.5 s
    "MLFLOW_HTTP_REQUEST_TIMEOUT": "2",
    "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "10",
    "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR": "0",
    "MLFLOW_HTTP_REQUEST_BACKOFF_JITTER": "0",
    "GATEKIT_PUBLISH_TIMEOUT": "2",
}


@pytest.fixture
def slow_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for key, value in SLOW.items():
        monkeypatch.setenv(key, value)


def _jsonl(path: Path, rows: list[dict[str, float]]) -> str:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return str(path)


def test_drift_gives_up_a_slow_tracking_server_at_the_publish_timeout(tmp_path: Path, slow_env: None) -> None:
    from gatekit.drift.config import DriftConfig
    from gatekit.drift.publish import check_drift

    ref = _jsonl(tmp_path / "ref.jsonl", [{"x": float(i)} for i in range(100)])
    prod = _jsonl(tmp_path / "prod.jsonl", [{"x": float(i + 1)} for i in range(100)])
    with slow_tracking_server(1.5) as uri:
        began = time.monotonic()
        with pytest.raises(SinkError, match=r"within the publish timeout \(2 s") as caught:
            check_drift(ref, prod, numeric=["x"], out=tmp_path / "out", config=DriftConfig(tracking_uri=uri))
        took = time.monotonic() - began
    assert took < 10, took  # old code: one request alone took 16.5 s, a run a dozen of them
    assert "GATEKIT_PUBLISH_TIMEOUT" in str(caught.value)
    assert (tmp_path / "out" / "drift.json").exists()  # the local files are written first


def test_canary_gives_up_a_slow_tracking_server_at_the_publish_timeout(tmp_path: Path, slow_env: None) -> None:
    from gatekit.canary.command import run_canary

    logs = write_jsonl(tmp_path / "healthy.jsonl", traffic(30))
    with slow_tracking_server(1.5) as uri:
        began = time.monotonic()
        with pytest.raises(SinkError, match=r"within the publish timeout \(2 s"):
            run_canary(str(logs), now=now_after(30), out=tmp_path / "out", tracking_uri=uri)
        took = time.monotonic() - began
    assert took < 10, took
    assert (tmp_path / "out" / "canary.json").exists()


@pytest.mark.parametrize("text", ["0", "-5", "abc", "nan", "1e9"])
def test_a_bad_publish_timeout_in_the_environment_is_refused(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    from gatekit.sinks.mlflow import env_publish_timeout

    monkeypatch.setenv("GATEKIT_PUBLISH_TIMEOUT", text)
    with pytest.raises(ConfigError, match="GATEKIT_PUBLISH_TIMEOUT"):
        env_publish_timeout()
    monkeypatch.setenv("GATEKIT_PUBLISH_TIMEOUT", "7.5")
    assert env_publish_timeout() == 7.5
