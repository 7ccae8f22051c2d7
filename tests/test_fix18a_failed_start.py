"""fix18a: an agent that fails to start leaves a failing verdict.json saying why (before: no verdict.json at all).

The exit code is unchanged (2 for a spec or agent that cannot start, docs/ci.md); the reason is scrubbed of
secrets and stored as JSON (escaped). An earlier run's PASS in the same folder is replaced, also when the agent
fails while being resolved (before the output folder was locked: ``models:/name@alias`` with no such model).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project, free_port

SECRET = "sk-proj-" + "Q3vN8xT2mK7pL4wR9sY6uB1cD5fG0hJ"


def _project(tmp_path: Path) -> Path:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)])
    (project / "agent18b.py").write_text(
        f"raise RuntimeError('cannot load weights; token {SECRET} \\x1b[31m')\n\ndef run(x):\n    return 'ok'\n",
        encoding="utf-8",
    )
    return project


def _failed_start(project: Path, agent: str, env: dict[str, str] | None = None) -> dict:
    first = attack_gate(project, "--no-mlflow", "--out", "out", "--junit", "junit.xml", env=env)
    assert first.returncode == 0, first.stderr
    proc = attack_gate(project, "--no-mlflow", "--out", "out", "--junit", "junit.xml", env=env, agent=agent)
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)  # as before: bad agent, exit 2
    assert "Traceback" not in proc.stderr
    assert not (project / "junit.xml").exists() and not (project / "out" / "report.html").exists()
    text = (project / "out" / "verdict.json").read_text(encoding="utf-8")
    assert SECRET not in text and "\x1b" not in text
    verdict = json.loads(text)
    assert verdict["verdict"] == "fail" and verdict["exit_code"] == 2, verdict
    assert verdict["command"] == "eval" and verdict["dataset"]["cases"] == 3
    assert len(verdict["reasons"]) == 1 and verdict["reasons"][0].startswith("the agent failed to start: ")
    return verdict


@pytest.mark.parametrize(
    ("agent", "why"),
    [
        ("python:no_such_module18:run", "module 'no_such_module18' not found"),
        ("python:agent18b:run", "importing agent18b failed: RuntimeError: cannot load weights"),
        ("cmd:/nonexistent/agent18 --serve", "cannot start '/nonexistent/agent18'"),
        (f"cmd:{sys.executable} -c 'import sys; sys.exit(3)'", "the command exited at once with code 3"),
    ],
    ids=["bad-module-path", "import-error", "cmd-not-found", "cmd-exits"],
)
def test_a_failed_start_writes_a_failing_verdict_with_the_reason(tmp_path: Path, agent: str, why: str) -> None:
    verdict = _failed_start(_project(tmp_path), agent)
    assert why in verdict["reasons"][0], verdict["reasons"]


@pytest.mark.slow
@pytest.mark.parametrize("spec", ["models:/gk-nope18@champion", "models:/gk-nope18/1"], ids=["alias", "version"])
def test_a_missing_mlflow_model_writes_a_failing_verdict(tmp_path: Path, spec: str) -> None:
    from mlflow_store import fresh_store

    project = _project(tmp_path)
    uri = fresh_store(tmp_path / "mlflow.db")
    verdict = _failed_start(project, spec, env={"MLFLOW_TRACKING_URI": uri})
    assert "gk-nope18" in verdict["reasons"][0], verdict["reasons"]


def test_an_http_endpoint_refusing_connections_fails_the_gate_with_a_verdict(tmp_path: Path) -> None:
    project = _project(tmp_path)
    port = free_port()  # nothing listens there: every connection is refused
    proc = attack_gate(
        project, "--no-mlflow", "--out", "out", "--retries", "0", agent=f"http://127.0.0.1:{port}/v1/chat/completions"
    )
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    verdict = json.loads((project / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["verdict"] == "fail" and verdict["errors"]["by_type"], verdict["errors"]
