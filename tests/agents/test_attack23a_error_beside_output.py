"""attack23a: an answer whose ``error`` says the call failed is an error even when it has an ``output`` field too.

``{"output": null, "error": "upstream model returned HTTP 500"}`` — what a wrapper that always sends both fields
answers when its model call fails — was a successful empty answer for a ``python:`` agent, a ``cmd:`` worker, an HTTP
agent in ``json`` mode and an MLflow pyfunc with an ``error`` column: governance judged an empty answer, and a gate of
forty such cases passed with an error rate of 0 %. ``null``, ``false``, ``""``, ``{}`` and ``[]`` still say nothing.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import attack_gate, serve_http
from mlflow_store import fresh_store

from gatekit.agents import AgentOptions
from gatekit.agents.http import HttpAgent
from gatekit.dataset import Case
from gatekit.replay import ReplaySettings, run_case

FAILED = {"output": None, "error": "upstream model returned HTTP 500"}
ANSWERS = {
    "failed": FAILED,
    "failed_object": {"output": "", "error": {"message": "quota exceeded", "code": 429}},
    "failed_with_text": {"output": "partial", "error": "stream cut"},
    "no_error_null": {"output": "fine", "error": None},
    "no_error_empty": {"output": "fine", "error": ""},
    "no_error_false": {"output": "fine", "error": False},
    "no_error_object": {"output": "fine", "error": {}},
}
FAILING = {"failed", "failed_object", "failed_with_text"}

AGENT = f"""
import json
ANSWERS = json.loads({json.dumps(json.dumps(ANSWERS))})

def run(case_input, context=None):
    return ANSWERS[case_input]
"""

WORKER = f"""
import json, sys
ANSWERS = json.loads({json.dumps(json.dumps(ANSWERS))})
for line in sys.stdin:
    request = json.loads(line)
    print(json.dumps({{"id": request["id"], **ANSWERS[request["input"]]}}), flush=True)
"""


def _project(tmp_path: Path) -> Path:
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps({"id": k, "input": k}) + "\n" for k in ANSWERS), "utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 0%}\n", encoding="utf-8")
    (tmp_path / "agent23a.py").write_text(AGENT, encoding="utf-8")
    (tmp_path / "worker23a.py").write_text(WORKER, encoding="utf-8")
    return tmp_path


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["case_id"]: row for row in map(json.loads, lines)}


def _check(rows: dict[str, dict[str, Any]], error_type: str) -> None:
    assert set(rows) == set(ANSWERS)
    for name, row in rows.items():
        if name in FAILING:  # was ok, with the answer "" / "partial"
            assert not row["ok"], (name, row)
            assert row["error_type"] == error_type, (name, row)
            assert (
                "quota exceeded" in row["error_message"]
                or "upstream" in row["error_message"]
                or ("stream cut" in row["error_message"])
            ), row
        else:
            assert row["ok"] and row["response"]["output"] == "fine", (name, row)


@pytest.mark.parametrize("agent", ["python:agent23a:run", "cmd:python worker23a.py"])
def test_a_python_or_cmd_agent_reporting_an_error_beside_its_output_fails_the_gate(tmp_path: Path, agent: str) -> None:
    project = _project(tmp_path)
    proc = attack_gate(project, "--out", "out", "--no-mlflow", "--retries", "0", agent=agent)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr[-2000:])  # was 0: a PASS
    # a python: agent's returned error is garbage for the case (not retried); a cmd: worker's is its error protocol
    _check(_rows(project / "out"), "invalid_response" if agent.startswith("python:") else "exception")


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", "0"))))
        raw = json.dumps(ANSWERS[body["input"]]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def test_an_http_json_agent_reporting_an_error_beside_its_output_is_an_invalid_response() -> None:
    async def scenario(port: int) -> dict[str, Any]:
        agent = HttpAgent(f"http://127.0.0.1:{port}/agent", AgentOptions(concurrency=1, extra={"mode": "json"}))
        await agent.start()
        settings = ReplaySettings(retries=0, timeout_s=5, handle_sigterm=False)
        try:
            return {
                name: (await run_case(agent, Case(id=name, input=name, context={}), settings)).to_dict()
                for name in ANSWERS
            }
        finally:
            await agent.close()

    with serve_http(_Handler) as port:
        rows = asyncio.run(scenario(port))
    _check(rows, "invalid_response")


SHAPES = textwrap.dedent(
    """
    import mlflow
    import pandas as pd
    from mlflow.pyfunc import PythonModel


    class WithErrorColumn(PythonModel):
        def predict(self, context, model_input, params=None):
            text = str(model_input)
            if text == "failed":
                return pd.DataFrame({"output": [None], "error": ["upstream model returned HTTP 500"]})
            return pd.DataFrame({"output": ["fine"], "error": [None]})


    mlflow.models.set_model(WithErrorColumn())
    """
)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    import mlflow

    root = tmp_path_factory.mktemp("mlflow-23a")
    uri = fresh_store(root / "mlflow.db")
    (root / "shapes.py").write_text(SHAPES, encoding="utf-8")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        mlflow.set_experiment("models")
        with mlflow.start_run():
            mlflow.pyfunc.log_model(
                name="m", python_model=str(root / "shapes.py"), registered_model_name="gk23a-error-column"
            )
        yield uri
    finally:
        mlflow.set_tracking_uri(previous)


@pytest.mark.slow
def test_an_mlflow_model_with_an_error_column_fails_its_case(tmp_path: Path, store: str) -> None:
    project = tmp_path
    (project / "ds.jsonl").write_text(
        "".join(json.dumps({"id": k, "input": k}) + "\n" for k in ("failed", "fine")), encoding="utf-8"
    )
    (project / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 0%}\n", encoding="utf-8")
    proc = attack_gate(
        project,
        *("--out", "out", "--no-mlflow", "--retries", "0"),
        agent="models:/gk23a-error-column/1",
        env={"MLFLOW_TRACKING_URI": store},
    )
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr[-2000:])  # was 0: a PASS
    rows = _rows(project / "out")
    assert not rows["failed"]["ok"] and rows["failed"]["error_type"] == "invalid_response", rows["failed"]
    assert "upstream model returned HTTP 500" in rows["failed"]["error_message"]
    assert rows["fine"]["ok"] and rows["fine"]["response"]["output"] == "fine", rows["fine"]
