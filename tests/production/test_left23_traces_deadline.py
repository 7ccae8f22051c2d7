"""left23: reading ``mlflow:<experiment>`` traces has one overall deadline, ``GATEKIT_TRACES_TIMEOUT``.

MLflow bounds each request (its timeout and retries), not the read: a server answering every page slowly, each just
within the request timeout, kept ``gatekit drift`` / ``canary`` reading for pages x timeout (an experiment that
keeps growing: without end). Past the deadline the read stops with exit 3 and one line naming the variable.
A real ``mlflow server`` behind a real HTTP proxy on 127.0.0.1 that holds every request for a while.
"""

from __future__ import annotations

import contextlib
import http.client
import http.server
import os
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT, serve_http

mlflow = pytest.importorskip("mlflow")
pytestmark = pytest.mark.slow  # a real mlflow server and a gatekit subprocess


@contextlib.contextmanager
def delaying_proxy(upstream: str, delay_s: float) -> Iterator[tuple[str, list[str]]]:
    """``(uri, paths forwarded)``: a proxy to ``upstream`` holding each request ``delay_s`` before forwarding it."""
    target = urllib.parse.urlsplit(upstream)
    forwarded: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _forward(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if self.path != "/health":
                time.sleep(delay_s)  # slow, but each answer well within MLflow's request timeout
            forwarded.append(self.path)
            skip = ("host", "connection", "content-length")
            headers = {k: v for k, v in self.headers.items() if k.lower() not in skip}
            conn = http.client.HTTPConnection(str(target.hostname), target.port, timeout=30)
            try:
                conn.request(self.command, self.path, body=body or None, headers=headers)
                answer = conn.getresponse()
                data = answer.read()
            finally:
                conn.close()
            self.send_response(answer.status)
            for key, value in answer.getheaders():
                if key.lower() not in ("transfer-encoding", "connection", "content-length"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_DELETE = _forward  # noqa: N815 - the http.server names

        def log_message(self, *args: object) -> None:
            return

    with serve_http(Handler) as port:
        yield f"http://127.0.0.1:{port}", forwarded


@pytest.fixture(scope="module")
def experiment(mlflow_server, tmp_path_factory) -> str:  # type: ignore[no-untyped-def]
    """An experiment on the server holding 12 finished traces (name returned)."""
    client = mlflow.MlflowClient(tracking_uri=mlflow_server.uri)
    name = f"left23-deadline-{tmp_path_factory.mktemp('x').name}"
    experiment_id = client.create_experiment(name)
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(mlflow_server.uri)  # (MLflow exports the client's traces to the global store)
    try:
        base_ns = time.time_ns() - 3600 * 10**9
        for i in range(12):
            at = base_ns + i * 10**9
            root = client.start_trace(f"t{i}", inputs={"q": f"q{i}"}, experiment_id=experiment_id, start_time_ns=at)
            client.end_trace(root.trace_id, outputs="ok", end_time_ns=at + 5 * 10**6)
        mlflow.flush_trace_async_logging()
    finally:
        mlflow.set_tracking_uri(previous)
    return name


def _drift(uri: str, name: str, out: Path, timeout: str | None) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GATEKIT_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    if timeout is not None:
        env["GATEKIT_TRACES_TIMEOUT"] = timeout
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", "datasets/retail_golden.jsonl"]
    command += ["--production", f"mlflow:{name}", "--tracking-uri", uri, "--no-mlflow", "--out", str(out)]
    started = time.monotonic()
    proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=300)
    return proc, time.monotonic() - started


def test_a_slow_server_is_given_up_at_the_traces_deadline(  # type: ignore[no-untyped-def]
    mlflow_server, experiment: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each request held 1.5 s: reading the 12 traces takes a lookup and two searches per page, well past a 3 s
    deadline. The old reader went on to the end; now exit 3 within about the deadline, naming the variable."""
    from gatekit.production import mlflow_traces

    with delaying_proxy(mlflow_server.uri, 1.5) as (uri, forwarded):
        # (in-process first, page size 2: the read needs 13+ requests, 20 s; the deadline ends it)
        monkeypatch.setenv("GATEKIT_TRACES_TIMEOUT", "3")
        started = time.monotonic()
        with pytest.raises(mlflow_traces.TracesTimeout) as caught:
            mlflow_traces.spill_traces(f"mlflow:{experiment}", tmp_path / "spill", tracking_uri=uri, page_size=2)
        took = time.monotonic() - started
        monkeypatch.delenv("GATEKIT_TRACES_TIMEOUT")
        assert took < 6, took
        assert "GATEKIT_TRACES_TIMEOUT" in str(caught.value) and f"mlflow:{experiment}" in str(caught.value)
        assert 0 < len(forwarded) < 6, forwarded
        proc, took = _drift(uri, experiment, tmp_path / "drift", "3")
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "did not finish within 3 s (GATEKIT_TRACES_TIMEOUT" in lines[0] and uri in lines[0], lines
    assert took < 60, took  # the gatekit start (imports) and 3 s of reading; it never ran to the end


def test_a_read_within_the_deadline_is_unchanged(mlflow_server, experiment: str, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from gatekit.production.mlflow_traces import spill_traces

    spill = spill_traces(f"mlflow:{experiment}", tmp_path, tracking_uri=mlflow_server.uri, page_size=5)
    assert spill.rows == 12 and spill.pages == 3


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan", "90000"])
def test_a_bad_traces_timeout_is_refused(tmp_path: Path, value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A value that is no deadline is bad input (exit 2), before anything is read."""
    from gatekit.errors import ConfigError
    from gatekit.production.mlflow_traces import spill_traces

    monkeypatch.setenv("GATEKIT_TRACES_TIMEOUT", value)
    with pytest.raises(ConfigError, match=r"GATEKIT_TRACES_TIMEOUT=.*above 0 and at most 86400"):
        spill_traces("mlflow:any", tmp_path, tracking_uri=f"sqlite:///{tmp_path / 'none.db'}")
    assert not (tmp_path / "none.db").exists()
