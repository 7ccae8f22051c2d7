"""Leak test: a hostile agent plants secrets and PII in every field gatekit writes; none may come out.

One real ``gatekit eval`` in a subprocess against a real HTTP agent on 127.0.0.1 whose URL carries
credentials, logging to a real MLflow sqlite store, with JUnit and the GitHub step summary / outputs
switched on. Then every byte gatekit wrote (``--out``, the MLflow database and artifact store,
JUnit, GitHub files) and its stdout and stderr are searched for each planted raw value.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from conftest import serve_http

pytestmark = pytest.mark.slow

TESTS_DIR = Path(__file__).resolve().parents[1]

TOOL_NAME = "exfil_AKIAIOSFODNN7EXAMPLE_jane.doe@example.com"
MODEL_NAME = "gpt-4o-AKIAI44QH8DHBEXAMPLE-model.owner@example.org"
ARG_KEY_EMAIL = "key.owner@example.net"
CARD = 4111111111111111
SSN = 219099999
PASSWORD = "s3cretpass"
ARG_PASSWORD = "hunter2"  # a tool argument under a "password" key: no detector finds it, its key says what it is
URL_TOKEN = "tok9f8e7d6c5b4a39281706Zq"
LONG_ERROR_KEY = "AKIAZQ7XEXAMPLE3LONG"  # starts at char 1984 of the case's error message: 16 chars before 2000
BODY_KEY = "AKIAW5RBEXAMPLE7BODY"  # starts at byte 290 of an HTTP 500 body: 10 chars before the 300-byte cut
_ERROR_PREFIX = "endpoint returned an error: "  # what the HTTP adapter puts before the endpoint's message

# (name, raw value or fragment that must not appear)
PLANTED: list[tuple[str, str]] = [
    ("tool name: AWS key", "AKIAIOSFODNN7EXAMPLE"),
    ("tool name: e-mail", "jane.doe@example.com"),
    ("model: AWS key", "AKIAI44QH8DHBEXAMPLE"),
    ("model: e-mail", "model.owner@example.org"),
    ("URL query password", PASSWORD),
    ("URL query token", URL_TOKEN),
    ("long error: whole key", LONG_ERROR_KEY),
    ("long error: the piece before the 2000-char cut", LONG_ERROR_KEY[:16]),
    ("HTTP error body: the piece before the 300-byte cut", BODY_KEY[:10]),
    ("non-string tool argument: card number", str(CARD)),
    ("non-string tool argument: SSN", str(SSN)),
    ("tool argument dict key: e-mail", ARG_KEY_EMAIL),
    ("tool argument under a password key", ARG_PASSWORD),
]

POLICY = """\
id: leak-test
version: "1"
rules:
  - id: tool-allow-list
    kind: tools
    allow: [lookup_order]
    outcome: deny
  - id: pii
    kind: sensitive_data
    scan: [output, tool_arguments]
    outcomes:
      EMAIL_ADDRESS: allow_with_redaction
      CREDIT_CARD: allow_with_redaction
      US_SSN: allow_with_redaction
      AWS_ACCESS_KEY: deny
      GENERIC_SECRET: deny
"""

THRESHOLDS = """\
min_cases: 1
checks:
  error_rate: {max: 1%}
  governance.deny_count: {max: 0}
"""


def _chat(message: dict[str, Any], model: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 7, "total_tokens": 12},
    }


class _Hostile(BaseHTTPRequestHandler):
    """Answers each case by the marker in its user message."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        text = json.dumps(body)
        status, answer = 200, b""
        if "[tools]" in text:
            arguments = {"card": CARD, "ssn": SSN, ARG_KEY_EMAIL: 1, "password": ARG_PASSWORD}
            call = {
                "id": "call_1",
                "type": "function",
                "function": {"name": TOOL_NAME, "arguments": json.dumps(arguments)},
            }
            answer = json.dumps(
                _chat({"role": "assistant", "content": "done", "tool_calls": [call]}, MODEL_NAME)
            ).encode()
        elif "[long_error]" in text:
            pad = 1984 - len(_ERROR_PREFIX)
            message = ("lorem ipsum " * 200)[:pad] + LONG_ERROR_KEY + " and then some more words"
            answer = json.dumps({"error": {"message": message}}).encode()
        elif "[http_500]" in text:
            status = 500
            answer = (("upstream failure " * 20)[:290] + BODY_KEY + " trailing text").encode()
        else:
            answer = json.dumps(_chat({"role": "assistant", "content": "fine"}, "m-test")).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if status == 200 else "text/plain")
        self.send_header("Content-Length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)


@pytest.fixture(scope="module")
def hostile_server() -> Iterator[int]:
    with serve_http(_Hostile) as port:
        yield port


@pytest.fixture(scope="module")
def gate_run(hostile_server: int, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the gate once; return every byte it wrote, by where it was written."""
    root = tmp_path_factory.mktemp("leak")
    rows = [{"id": f"c-{mark}", "input": f"please [{mark}]"} for mark in ("tools", "long_error", "http_500", "plain")]
    inputs = {
        "cases.jsonl": "".join(json.dumps(r) + "\n" for r in rows),
        "policy.yaml": POLICY,
        "thresholds.yaml": THRESHOLDS,
        "pricing.yaml": "models:\n  m-test: {input_per_1m: 1.0, output_per_1m: 2.0}\n",
        "gatekit.yaml": (
            "dataset: cases.jsonl\nthresholds: thresholds.yaml\npricing: pricing.yaml\npolicy: policy.yaml\n"
            "out: out\nconcurrency: 2\ntimeout: 10\nretries: 0\nexperiment: leak-test\n"
        ),
    }
    for name, text in inputs.items():
        (root / name).write_text(text, encoding="utf-8")
    github = root / "github"
    github.mkdir()
    from mlflow_store import fresh_store

    fresh_store(root / "mlflow.db")  # a migrated empty store: the real process skips MLflow's migrations
    # URL user-info is refused up front (exit 2, see test_url_user_info_is_refused_without_printing_it);
    # secret query values are accepted and must never be shown or stored
    agent = f"http://127.0.0.1:{hostile_server}/v1/chat/completions?token={URL_TOKEN}&password={PASSWORD}&model=x"
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    env.update(
        {
            "PYTHONPATH": str(TESTS_DIR) + os.pathsep + env.get("PYTHONPATH", ""),
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(github / "summary.md"),
            "GITHUB_OUTPUT": str(github / "output.txt"),
        }
    )
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatekit",
            "eval",
            "--agent",
            agent,
            "--tracking-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--junit",
            str(root / "junit.xml"),
        ],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    written = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in inputs
    }
    written["<stdout>"] = proc.stdout.encode()
    written["<stderr>"] = proc.stderr.encode()
    return {"root": root, "proc": proc, "written": written, "port": hostile_server}


def test_the_gate_ran_and_wrote_everywhere(gate_run: dict[str, Any]) -> None:
    proc, written = gate_run["proc"], gate_run["written"]
    assert proc.returncode == 1, proc.stdout + proc.stderr  # errors and the denied tool fail the gate
    for name in (
        "out/verdict.json",
        "out/report.html",
        "out/results.jsonl",
        "out/governance_traces.jsonl",
        "out/replay_state.json",
        "junit.xml",
        "mlflow.db",
        "github/summary.md",
        "github/output.txt",
    ):
        assert name in written, f"{name} was not written: {sorted(written)}"
    assert any(name.startswith("mlruns/") and name.endswith("results.jsonl") for name in written)
    verdict = json.loads(written["out/verdict.json"])
    # the allow-list decided on the raw name: the tool is denied, and the reason names it scrubbed
    denied = verdict["governance"]["denied_cases"]
    assert [r["case_id"] for r in denied] == ["c-tools"]
    assert any("is not on the allow-list" in reason for reason in denied[0]["reasons"])
    assert denied[0]["tools"] == ["exfil_[AWS_ACCESS_KEY]_[EMAIL_ADDRESS]"]
    # the configured endpoint stays readable in the spec and in error messages; its credentials do not
    port = gate_run["port"]
    assert verdict["candidate"]["spec"] == f"http://127.0.0.1:{port}/v1/chat/completions?token=***&password=***&model=x"
    errors = {row["case_id"]: row["error_message"] for row in verdict["failed_cases"]}
    assert f"127.0.0.1:{port}" in errors["c-http_500"] and "[IP_ADDRESS]" not in errors["c-http_500"]
    results = [json.loads(line) for line in written["out/results.jsonl"].splitlines()]
    long_error = next(r for r in results if r["case_id"] == "c-long_error")["error_message"]
    assert "[AWS_ACCESS_KEY]" in long_error and len(long_error) <= 2000


@pytest.mark.parametrize(
    ("raw",),
    [pytest.param(raw, id=name) for name, raw in PLANTED],
)
def test_no_planted_value_is_written_anywhere(gate_run: dict[str, Any], raw: str) -> None:
    leaks = [name for name, data in gate_run["written"].items() if raw.encode() in data]
    assert not leaks, f"{raw!r} leaked into {leaks}"


def test_url_user_info_is_refused_without_printing_it(tmp_path: Path) -> None:
    """An agent URL with user:password@ exits 2 before any case; the password is written nowhere."""
    (tmp_path / "cases.jsonl").write_text(json.dumps({"id": "a", "input": "hi"}) + "\n", encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "thresholds.yaml").write_text(THRESHOLDS, encoding="utf-8")
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatekit",
            "eval",
            "--dataset",
            "cases.jsonl",
            "--policy",
            "policy.yaml",
            "--thresholds",
            "thresholds.yaml",
            "--out",
            "out",
            "--agent",
            f"http://admin:{PASSWORD}@127.0.0.1:9/v1/chat/completions",
            "--tracking-uri",
            f"sqlite:///{tmp_path / 'mlflow.db'}",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "user-info" in proc.stderr
    written = [proc.stdout.encode(), proc.stderr.encode()] + [
        path.read_bytes() for path in tmp_path.rglob("*") if path.is_file() and path.suffix not in (".jsonl", ".yaml")
    ]
    assert not any(PASSWORD.encode() in data for data in written)


RESULT_EMAIL = "result.owner@example.net"
RESULT_CARD = "5555 5555 5555 4444"
RESULT_AWS = "AKIARESULT7EXAMPLE9Q"
RESULT_PASSWORD = "Tr0ub4dorRes7"
RESULT_AGENT = f"""
def run(case_input, context=None):
    if "[secret]" in str(case_input):  # a tool handed the agent a credential: denied, written nowhere
        result = {{"owner": {{"password": {RESULT_PASSWORD!r}}}, "key": {RESULT_AWS!r}}}
    else:  # personal data in a tool result: redacted, the rest kept
        result = "order W1 for {RESULT_EMAIL}, paid with {RESULT_CARD}"
    return {{"output": "done", "tool_calls": [{{"name": "lookup_order", "arguments": {{}}, "result": result}}]}}
"""


def test_a_secret_in_a_tool_result_is_written_nowhere(tmp_path: Path) -> None:
    """A tool call's attached result is kept (the gate judges it as the guard does) and redacted like the arguments.

    Fails on the old code: the result was dropped, so the row carried no redacted result (and, kept without the
    redaction, it would have carried the raw values into results.jsonl and MLflow).
    """
    rows = [{"id": "c-pii", "input": "please [pii]"}, {"id": "c-secret", "input": "please [secret]"}]
    (tmp_path / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (tmp_path / "thresholds.yaml").write_text(THRESHOLDS, encoding="utf-8")
    (tmp_path / "result_agent.py").write_text(RESULT_AGENT, encoding="utf-8")
    from mlflow_store import fresh_store

    fresh_store(tmp_path / "mlflow.db")
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    env["PYTHONPATH"] = os.pathsep.join([str(tmp_path), str(TESTS_DIR), env.get("PYTHONPATH", "")])
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "gatekit",
            "eval",
            "--dataset",
            "cases.jsonl",
            "--policy",
            "policy.yaml",
            "--thresholds",
            "thresholds.yaml",
            "--out",
            "out",
            "--agent",
            "python:result_agent:run",
            "--tracking-uri",
            f"sqlite:///{tmp_path / 'mlflow.db'}",
            "--experiment",
            "leak-results",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the credential is denied
    inputs = {"cases.jsonl", "policy.yaml", "thresholds.yaml", "result_agent.py"}
    written = {
        str(p.relative_to(tmp_path)): p.read_bytes()
        for p in tmp_path.rglob("*")
        if p.is_file() and p.name not in inputs and "__pycache__" not in p.parts
    }
    written["<stdout>"], written["<stderr>"] = proc.stdout.encode(), proc.stderr.encode()
    assert any(name.startswith("mlruns/") and name.endswith("results.jsonl") for name in written), sorted(written)
    for raw in (RESULT_EMAIL, RESULT_CARD, RESULT_AWS, RESULT_PASSWORD):
        leaks = [name for name, data in written.items() if raw.encode() in data]
        assert not leaks, f"{raw!r} leaked into {leaks}"
    results = {r["case_id"]: r for r in map(json.loads, written["out/results.jsonl"].splitlines())}
    pii, secret = results["c-pii"], results["c-secret"]
    assert pii["response"]["tool_calls"][0]["result"] == "order W1 for [EMAIL_ADDRESS], paid with [CREDIT_CARD]"
    assert pii["decision"]["outcome"] == "allow_with_redaction"
    assert secret["decision"]["outcome"] == "deny"
    assert "[GENERIC_SECRET]" in secret["response"]["tool_calls"][0]["result"]
    assert "[AWS_ACCESS_KEY]" in secret["response"]["tool_calls"][0]["result"]
