"""Leak paths, round 11: what the gate writes from places other than the agent's output.

One real ``gatekit eval`` in a subprocess against a real HTTP agent on 127.0.0.1 that echoes the
credentials the gate sends (the API key from ``api_key_env`` and a header value read from the
environment: opaque strings no detector recognises) into an HTTP 401 body, the output, a tool name,
an argument key and value and the model name; the golden dataset carries secrets and PII in the
case context (user, role, env, scope) and timestamp. The run logs to a real MLflow sqlite store with
JUnit and the GitHub step summary / outputs switched on; every byte written (and stdout / stderr) is
searched for each planted value. A case id holding a secret or PII is refused at load (exit 2) with a
message that names the line and field, never the value.
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

API_KEY = "Opaq9KeyValue77zzQ"  # opaque: no detector finds it; only the gate knows it is a credential
TEAM_KEY = "TeamSecret55qqW"  # a header value read from ${PROBE11_TEAM}
GH_TOKEN = "ghp_Ctx0role1Zq23456789abcdefghijklmnopq"
USER_EMAIL = "jane.roe.ctx@leak11.example.com"
SCOPE_CARD = "4111 1111 1111 1111"
ENV_IBAN = "DE89370400440532013000"
TS_SSN = "219-09-9999"

PLANTED: list[tuple[str, str]] = [
    ("agent API key echoed by the endpoint", API_KEY),
    ("header value from the environment echoed", TEAM_KEY),
    ("context.role: GitHub token", GH_TOKEN),
    ("context.user: e-mail", USER_EMAIL),
    ("context.scope: card", SCOPE_CARD),
    ("context.env: IBAN", ENV_IBAN),
    ("case timestamp: SSN", TS_SSN),
]

POLICY = """\
id: leak-paths-11
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
"""

THRESHOLDS = """\
min_cases: 1
checks:
  error_rate: {max: 1%}
"""


class _Echo(BaseHTTPRequestHandler):
    """Echoes the gate's own credentials back: in a 401 body, or all over a chat completion."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        team = self.headers.get("X-Team-Key") or ""
        if "[unauthorised]" in body:
            status = 401
            answer: dict[str, Any] = {"error": {"message": f"invalid api key {key!r} for team key {team}"}}
        else:
            status = 200
            call = {
                "id": "c1",
                "type": "function",
                "function": {"name": f"tool-{key}", "arguments": json.dumps({key: team, "nested": [[team]]})},
            }
            answer = {
                "id": "x",
                "object": "chat.completion",
                "model": f"model-{key}",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": f"echo {key} {team}", "tool_calls": [call]},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4},
            }
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def echo_server() -> Iterator[int]:
    with serve_http(_Echo) as port:
        yield port


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    github = root / "github"
    github.mkdir(exist_ok=True)
    env.update(
        {
            "PYTHONPATH": str(TESTS_DIR) + os.pathsep + env.get("PYTHONPATH", ""),
            "GITHUB_ACTIONS": "true",
            "GITHUB_STEP_SUMMARY": str(github / "summary.md"),
            "GITHUB_OUTPUT": str(github / "output.txt"),
            "PROBE11_KEY": API_KEY,
            "PROBE11_TEAM": TEAM_KEY,
        }
    )
    return env


def _gate(root: Path, port: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "gatekit",
            "eval",
            "--agent",
            f"http://127.0.0.1:{port}/v1/chat/completions",
            "--tracking-uri",
            f"sqlite:///{root / 'mlflow.db'}",
            "--junit",
            str(root / "junit.xml"),
        ],
        cwd=root,
        env=_env(root),
        capture_output=True,
        text=True,
        timeout=300,
    )


def _write_inputs(root: Path, rows: list[dict[str, Any]]) -> dict[str, str]:
    inputs = {
        "cases.jsonl": "".join(json.dumps(r) + "\n" for r in rows),
        "policy.yaml": POLICY,
        "thresholds.yaml": THRESHOLDS,
        "gatekit.yaml": (
            "dataset: cases.jsonl\nthresholds: thresholds.yaml\npolicy: policy.yaml\nout: out\nconcurrency: 2\n"
            "timeout: 10\nretries: 0\nexperiment: leak-paths-11\nagent_options:\n  model: m-test\n"
            "  api_key_env: PROBE11_KEY\n  headers: {X-Team-Key: '${PROBE11_TEAM}'}\n"
        ),
    }
    for name, text in inputs.items():
        (root / name).write_text(text, encoding="utf-8")
    return inputs


@pytest.fixture(scope="module")
def gate_run(echo_server: int, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Run the gate once; return every byte it wrote, by where it was written."""
    root = tmp_path_factory.mktemp("leak11")
    context = {"user": USER_EMAIL, "role": GH_TOKEN, "env": ENV_IBAN, "scope": f"card {SCOPE_CARD}"}
    rows = [
        {"id": "c-echo", "input": "please [echo]", "context": context, "timestamp": f"ssn {TS_SSN}"},
        {"id": "c-unauthorised", "input": "please [unauthorised]", "context": context},
    ]
    inputs = _write_inputs(root, rows)
    from mlflow_store import fresh_store

    fresh_store(root / "mlflow.db")
    proc = _gate(root, echo_server)
    written = {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file() and path.name not in inputs
    }
    written["<stdout>"] = proc.stdout.encode()
    written["<stderr>"] = proc.stderr.encode()
    return {"root": root, "proc": proc, "written": written}


def test_the_gate_ran_and_wrote_everywhere(gate_run: dict[str, Any]) -> None:
    proc, written = gate_run["proc"], gate_run["written"]
    assert proc.returncode == 1, proc.stdout + proc.stderr  # the 401 and the denied tool fail the gate
    for name in ("out/verdict.json", "out/report.html", "out/results.jsonl", "out/governance_traces.jsonl"):
        assert name in written, f"{name} was not written: {sorted(written)}"
    assert any(name.startswith("mlruns/") and name.endswith("governance_traces.jsonl") for name in written)
    results = {r["case_id"]: r for r in map(json.loads, written["out/results.jsonl"].splitlines())}
    # the echoed credentials are masked where they were (the policy found none of them)
    echo = results["c-echo"]["response"]
    assert echo["output"] == "echo [GENERIC_SECRET] [GENERIC_SECRET]"
    assert echo["model"] == "model-[GENERIC_SECRET]"
    assert echo["tool_calls"][0]["name"] == "tool-[GENERIC_SECRET]"
    assert echo["tool_calls"][0]["arguments"] == {
        "[GENERIC_SECRET]": "[GENERIC_SECRET]",
        "nested": [["[GENERIC_SECRET]"]],
    }
    assert "HTTP 401" in results["c-unauthorised"]["error_message"]
    assert "[GENERIC_SECRET]" in results["c-unauthorised"]["error_message"]
    # the context is written, scrubbed: which entity was there stays readable
    traces = [json.loads(line) for line in written["out/governance_traces.jsonl"].splitlines()]
    echo_trace = next(t for t in traces if t["case_id"] == "c-echo")
    assert echo_trace["context"] == {
        "user": "[EMAIL_ADDRESS]",
        "role": "[GITHUB_TOKEN]",
        "env": "[IBAN_CODE]",
        "scope": "card [CREDIT_CARD]",
    }
    assert echo_trace["case_timestamp"] == "ssn [US_SSN]"


@pytest.mark.parametrize(("raw",), [pytest.param(raw, id=name) for name, raw in PLANTED])
def test_no_planted_value_is_written_anywhere(gate_run: dict[str, Any], raw: str) -> None:
    leaks = [name for name, data in gate_run["written"].items() if raw.encode() in data]
    assert not leaks, f"{raw!r} leaked into {leaks}"


@pytest.mark.parametrize(
    ("case_id", "entity"),
    [
        pytest.param(f"refund-{GH_TOKEN}", "GITHUB_TOKEN", id="token"),
        pytest.param(USER_EMAIL, "EMAIL_ADDRESS", id="email"),
        pytest.param(4111111111111111, "CREDIT_CARD", id="integer-card"),
    ],
)
def test_a_case_id_with_a_secret_or_pii_is_refused_without_quoting_it(
    tmp_path: Path, echo_server: int, case_id: Any, entity: str
) -> None:
    """Ids are written as they are to every row, trace, report and MLflow run: one with a finding is bad input."""
    rows = [{"id": "fine-1", "input": "please [echo]"}, {"id": case_id, "input": "please [echo]"}]
    _write_inputs(tmp_path, rows)
    proc = _gate(tmp_path, echo_server)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    assert "line 2" in proc.stderr and "'id' holds what looks like" in proc.stderr and entity in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    written = [proc.stdout.encode(), proc.stderr.encode()] + [
        path.read_bytes() for path in tmp_path.rglob("*") if path.is_file() and path.name != "cases.jsonl"
    ]
    assert not any(str(case_id).encode() in data for data in written)
    assert not (tmp_path / "out" / "results.jsonl").exists()


def test_a_bad_dataset_row_is_named_without_quoting_its_pii(tmp_path: Path, echo_server: int) -> None:
    """The one-line dataset error names line and field; a value or key it shows is scrubbed first."""
    rows = [
        {"id": "a", "input": "x", "expected": {"output_contains": [4111111111111111]}},
        {"id": "b", "input": "x", USER_EMAIL: 1},
    ]
    _write_inputs(tmp_path, rows)
    proc = _gate(tmp_path, echo_server)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and "Traceback" not in proc.stderr
    assert "line 1: 'expected.output_contains' must hold only strings, got int [CREDIT_CARD]" in proc.stderr
    assert "line 2: unknown key '[EMAIL_ADDRESS]'" in proc.stderr
    assert "4111111111111111" not in proc.stderr + proc.stdout and USER_EMAIL not in proc.stderr + proc.stdout
