"""left23: a tracking server that refuses gatekit's credentials (HTTP 401 / 403) says what to set.

The gate ended in exit 3 with ``MLflow (...) failed: MlflowException: API request to endpoint ... failed with error
code 401 != 200`` (or ``RestException: UNAUTHENTICATED``): nothing of ``MLFLOW_TRACKING_TOKEN`` or
``MLFLOW_TRACKING_USERNAME`` / ``MLFLOW_TRACKING_PASSWORD``, what MLflow's client authenticates with. The one line now
names them (and which are set), never a value. A real HTTP server on 127.0.0.1 answers as ``mlflow server
--app-name basic-auth`` does: ``/health`` open, every API call 401 with its text body (or 403 "Permission denied").
"""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_gate, attack_project, serve_http

pytest.importorskip("mlflow")
pytestmark = pytest.mark.slow  # real gate and drift subprocesses (mlflow imported: ~7-12 s each)

TOKEN = "tok-left23-Zq8vX1pLm4"  # noqa: S105 - a test value, asserted never to be printed
# what MLflow's basic-auth app answers (mlflow/server/auth: make_basic_auth_response, make_forbidden_response)
BODIES = {
    "401": "You are not authenticated. Please see https://www.mlflow.org/docs/latest/auth/index.html on how to "
    "authenticate.",
    "403": "Permission denied",
    # a gateway answering in MLflow's JSON error form: RestException, not MlflowException
    "401-json": json.dumps({"error_code": "UNAUTHENTICATED", "message": "You are not authenticated."}),
}


@contextlib.contextmanager
def refusing_server(kind: str) -> Iterator[tuple[str, list[str]]]:
    """``(uri, Authorization headers seen)``: ``/health`` 200, every other request refused as ``kind`` says."""
    seen: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length:
                self.rfile.read(length)
            if self.path == "/health":
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"OK")
                return
            seen.append(self.headers.get("Authorization") or "")
            body = BODIES[kind].encode()
            self.send_response(int(kind[:3]))
            if kind.startswith("401"):
                self.send_header("WWW-Authenticate", 'Basic realm="mlflow"')
            self.send_header("Content-Type", "application/json" if kind.endswith("json") else "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = do_PATCH = do_DELETE = _answer  # noqa: N815 - the http.server names

        def log_message(self, *args: object) -> None:
            return

    with serve_http(Handler) as port:
        yield f"http://127.0.0.1:{port}", seen


def _no_token_anywhere(proc: subprocess.CompletedProcess[str], *folders: Path) -> None:
    assert TOKEN not in proc.stdout + proc.stderr
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                assert TOKEN.encode() not in path.read_bytes(), path


@pytest.mark.parametrize("kind", ["401", "403", "401-json"])
def test_a_refused_gate_run_names_the_credential_variables_and_never_the_token(tmp_path: Path, kind: str) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(2)])
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_TRACKING_TOKEN"] = TOKEN
    with refusing_server(kind) as (uri, seen):
        proc = attack_gate(project, "--out", "out", "--tracking-uri", uri, env=env)
    assert seen and all(header == f"Bearer {TOKEN}" for header in seen), seen  # the token was sent, and refused
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)
    assert "Traceback" not in proc.stderr
    lines = [line for line in (proc.stdout + proc.stderr).splitlines() if "refused the request" in line]
    assert lines, proc.stdout + proc.stderr
    line = lines[-1]
    assert f"HTTP {kind[:3]}" in line, line
    for name in ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"):
        assert name in line, line
    assert "credentials given (MLFLOW_TRACKING_TOKEN)" in line, line  # which one is set: its name only
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert any("MLFLOW_TRACKING_TOKEN" in reason for reason in verdict["reasons"]), verdict["reasons"]
    _no_token_anywhere(proc, project / "out")


def test_a_refused_trace_read_without_credentials_says_to_set_them(tmp_path: Path) -> None:
    """``gatekit drift --production mlflow:EXP`` (the trace reader) against a server refusing an anonymous client:
    exit 3, one line naming the variables to set."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GATEKIT_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    with refusing_server("401") as (uri, seen):
        command = [sys.executable, "-m", "gatekit", "drift", "--reference", "datasets/retail_golden.jsonl"]
        command += ["--production", "mlflow:prod", "--tracking-uri", uri, "--no-mlflow", "--out", str(tmp_path)]
        proc = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert seen == [""] * len(seen) and seen, seen  # nothing was sent
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in proc.stderr, proc.stderr
    assert "mlflow:prod" in lines[0] and "HTTP 401" in lines[0] and "no credentials are set" in lines[0], lines
    assert "set MLFLOW_TRACKING_TOKEN" in lines[0] and "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD" in lines[0]


def test_a_basic_auth_user_is_named_but_not_its_password(tmp_path: Path) -> None:
    """Basic auth (username + password) refused with 403: the names of both variables, neither value."""
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(MLFLOW_TRACKING_USERNAME="alice-left23", MLFLOW_TRACKING_PASSWORD=TOKEN)
    with refusing_server("403") as (uri, seen):
        proc = attack_gate(project, "--out", "out", "--tracking-uri", uri, env=env)
    assert seen and all(header.startswith("Basic ") for header in seen), seen
    assert proc.returncode == 3, (proc.returncode, proc.stdout, proc.stderr)
    line = next(line for line in proc.stderr.splitlines()[::-1] if "refused the request" in line)
    assert "credentials given (MLFLOW_TRACKING_USERNAME, MLFLOW_TRACKING_PASSWORD)" in line, line
    assert "HTTP 403, permission denied" in line and "alice-left23" not in line, line
    _no_token_anywhere(proc, project / "out")
