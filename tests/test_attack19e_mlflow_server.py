"""attack19e: a gate publishing to a real ``mlflow server`` that prints, asks for credentials, fails or hangs.

* MLflow printed ``🏃 View run ... at: <tracking URI>/#/...`` on stdout when the run ended: ``--json`` was no JSON,
  and a password in the URI (``http://user:pw@host``, which MLflow accepts) was printed with it.
* A tracking URI with credentials was "unreachable" (gatekit's ``/health`` probe took ``user:pw@host`` for the host).
* A server that failed after the run was created left it RUNNING for ever, and no message said which run it was.
* A slow server printed urllib3's "Retrying ..." warning for every retry before gatekit's one line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import ProxyRule, attack_gate, attack_project, mlflow_proxy

pytestmark = pytest.mark.slow

PASSWORD = "Pw-19e-s3cret-horse-battery"


def _project(tmp_path: Path) -> Path:
    return attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)])


def _no_password(proc: object, *folders: Path) -> None:
    for text in (proc.stdout, proc.stderr):  # type: ignore[attr-defined]
        assert PASSWORD not in text
    for folder in folders:
        for path in folder.rglob("*"):
            if path.is_file():
                assert PASSWORD.encode() not in path.read_bytes(), path


def failing_after(trigger: str, failures: int, mode: str = "fail") -> ProxyRule:
    """A :func:`conftest.mlflow_proxy` rule: once a request path holds ``trigger``, the next ``failures`` API
    requests are answered 503 (``mode="fail"``) or never (``"hang"``), then passed through again."""
    state = {"armed": False, "left": failures}

    def rule(method: str, path: str, body: bytes) -> str:
        fail = state["armed"] and state["left"] > 0 and path != "/health"
        if fail:
            state["left"] -= 1
        if trigger in path:
            state["armed"] = True
        return mode if fail else "pass"

    return rule


def test_json_stdout_is_only_the_verdict_with_a_tracking_server(tmp_path: Path, mlflow_server: object) -> None:
    project = _project(tmp_path)
    uri = mlflow_server.uri  # type: ignore[attr-defined]
    proc = attack_gate(project, "--out", "out", "--tracking-uri", uri, "--experiment", "a19e-json", "--json")
    assert proc.returncode == 0, proc.stderr
    verdict = json.loads(proc.stdout)  # "🏃 View run gate · ... at: http://..." came first: not JSON
    assert verdict["verdict"] == "pass" and verdict["mlflow"]["run_id"]
    assert "View run" not in proc.stdout + proc.stderr


def test_credentials_in_the_tracking_uri_log_the_run_and_are_never_shown(tmp_path: Path, mlflow_server: object) -> None:
    project = _project(tmp_path)
    host = mlflow_server.uri.removeprefix("http://")  # type: ignore[attr-defined]
    uri = f"http://gate-bot:{PASSWORD}@{host}"
    proc = attack_gate(project, "--out", "out", "--tracking-uri", uri, "--experiment", "a19e-auth")
    # was exit 3: "MLflow tracking server http://***@127.0.0.1:... is unreachable (Name or service not known)"
    assert proc.returncode == 0, (proc.stdout, proc.stderr)
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    run_id = verdict["mlflow"]["run_id"]
    assert run_id and verdict["mlflow"]["tracking_uri"] == f"http://***@{host}"
    from mlflow import MlflowClient

    run = MlflowClient(tracking_uri=mlflow_server.uri).get_run(run_id)  # type: ignore[attr-defined]
    assert run.info.status == "FINISHED"
    stored = json.dumps([run.data.params, run.data.tags, run.info.run_name])
    assert PASSWORD not in stored
    _no_password(proc, project / "out", mlflow_server.root / "artifacts")  # type: ignore[attr-defined]


def test_a_server_failing_after_the_run_was_created_leaves_it_failed_and_named(
    tmp_path: Path, mlflow_server: object
) -> None:
    project = _project(tmp_path)
    upstream = mlflow_server.uri  # type: ignore[attr-defined]
    # a restart: MLflow's client tries each request 3 times (2 retries), the server is back for the 4th request
    with mlflow_proxy(upstream, failing_after("/runs/create", failures=3)) as (uri, seen, _held):
        proc = attack_gate(project, "--out", "out", "--tracking-uri", uri, "--experiment", "a19e-restart")
    assert proc.returncode == 3, (proc.stdout, proc.stderr, seen)
    assert "Traceback" not in proc.stderr
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["exit_code"] == 3 and verdict["mlflow"]["error"]
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=upstream)
    experiment = client.get_experiment_by_name("a19e-restart")
    runs = client.search_runs([experiment.experiment_id])
    assert len(runs) == 1, seen
    # it stayed RUNNING, and nothing named it
    assert runs[0].info.status == "FAILED", seen
    assert f"MLflow run {runs[0].info.run_id} is marked FAILED" in verdict["mlflow"]["error"]
    assert f"MLflow run {runs[0].info.run_id} is marked FAILED" in proc.stdout


def test_a_hanging_server_says_one_line_not_a_warning_per_retry(tmp_path: Path, mlflow_server: object) -> None:
    project = _project(tmp_path)
    hanging = failing_after("/health", failures=100, mode="hang")
    with mlflow_proxy(mlflow_server.uri, hanging) as (uri, seen, held):  # type: ignore[attr-defined]
        proc = attack_gate(project, "--out", "out", "--tracking-uri", uri, env={"MLFLOW_HTTP_REQUEST_TIMEOUT": "1"})
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    # bounded by counting, not by the wall clock of a whole gate (start-up and replay took 73 s on a busy machine):
    # the one hung request was tried 1 + 2 times (MLFLOW_HTTP_REQUEST_MAX_RETRIES=2), each attempt given up at the
    # 1 s read timeout, not held for the 30 s the server would hang
    hung = [line for line in seen if line.endswith("hang")]
    assert len(hung) == 3 and len(held) == 3, (seen, held)
    assert max(held) < 15, held
    # urllib3: "WARNING urllib3.connectionpool: Retrying (Retry(total=1, ...)) after connection broken by ..."
    assert "Retrying" not in proc.stderr, proc.stderr
    warnings = [line for line in proc.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 1 and "MLflow logging failed" in warnings[0], proc.stderr
