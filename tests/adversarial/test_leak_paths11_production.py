"""Leak paths, round 11: the runtime guard's records and the production-log readers.

- The runtime guard writes a production-log row, decision traces and MLflow GUARDRAIL spans (a real
  sqlite store) per request; a caller-given request id, the context (user, role, env, scope), the tool
  names, the model and a failure text carry secrets and PII, and none may be written raw.
- ``gatekit drift`` tests a categorical production column whose values are secrets and PII: the category
  names in drift.json, drift.html and the MLflow run are scrubbed.
- ``gatekit canary`` reading a row DuckDB cannot cast names the file and line, never the value.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

TESTS_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS_DIR / "runtime"))

from runtime_helpers import FakeClock, write_policy  # noqa: E402

from gatekit.runtime import Enforcer, PolicyViolation  # noqa: E402


def _github_token(tag: str) -> str:
    """A GitHub token shape (ghp_ + 36 letters and digits) naming where it was planted."""
    return "ghp_" + (tag + "Zq0123456789abcdefghijklmnopqrstuvwxyz")[:36]


GH_REQUEST = _github_token("ReqId")
GH_ROLE = _github_token("Role")
GH_TOOL = _github_token("Tool")
GH_MODEL = _github_token("Model")
USER_EMAIL = "rt.user11@leak11.example.com"
FAIL_EMAIL = "rt.fail11@leak11.example.com"
SCOPE_IBAN = "GB82WEST12345698765432"
ENV_SSN = "219-09-9999"
AWS_KEY = "AKIAQYLPMN5HFIQR7XYZ"

RUNTIME_PLANTED = [GH_REQUEST, GH_ROLE, GH_TOOL, GH_MODEL, USER_EMAIL, FAIL_EMAIL, SCOPE_IBAN, ENV_SSN]


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_runtime_rows_traces_and_spans_hold_no_raw_value(tmp_path: Path) -> None:
    mlflow = pytest.importorskip("mlflow")
    from mlflow_store import fresh_store

    from gatekit.runtime.mlflow_spans import MlflowTracer

    uri = fresh_store(tmp_path / "mlflow.db")
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        experiment = mlflow.MlflowClient(tracking_uri=uri).create_experiment(
            "guard", artifact_location=str(tmp_path / "artifacts")
        )
        logs = tmp_path / "logs"
        guard = Enforcer.from_file(
            write_policy(tmp_path),
            trace_to=str(logs / "governance_traces.jsonl"),
            log_to=str(logs / "production.jsonl"),
            tracer=MlflowTracer(experiment),
            clock=FakeClock(),
        )
        context = {"user": USER_EMAIL, "role": GH_ROLE, "env": f"ssn {ENV_SSN}", "scope": SCOPE_IBAN}
        with guard.request("hello", context, request_id=f"req-{GH_REQUEST}") as req:
            req.check_request()
            with pytest.raises(PolicyViolation):  # not on the allow-list: denied on the raw name
                req.check_tool_call(f"lookup-{GH_TOOL}", {"order": "W1"})
        with guard.request("hello", {"user": USER_EMAIL}) as req:
            req.check_response({"output": "fine", "model": f"m-{GH_MODEL}"})
        with guard.request("hello", {}, request_id=f"req-{GH_REQUEST}-2") as req:
            req.fail(f"upstream said {FAIL_EMAIL}")
        guard.close()
        mlflow.flush_trace_async_logging()
        traces = mlflow.MlflowClient().search_traces(locations=[experiment], max_results=100)
        spans_text = json.dumps([t.to_dict() for t in traces], default=str)
    finally:
        mlflow.set_tracking_uri(previous)

    written = _files(logs)
    written["<mlflow spans>"] = spans_text.encode()
    rows = [json.loads(line) for line in written["production.jsonl"].splitlines()]
    assert len(rows) == 3 and len(traces) >= 3
    first = rows[0]
    # which entity was there stays readable; the join between row and trace stays
    assert first["request_id"] == first["trace_id"] == "req-[GITHUB_TOKEN]"
    assert (first["user"], first["role"], first["env"], first["scope"]) == (
        "[EMAIL_ADDRESS]",
        "[GITHUB_TOKEN]",
        "ssn [US_SSN]",
        "[IBAN_CODE]",
    )
    assert first["tool_names"] == ["lookup-[GITHUB_TOKEN]"]
    assert rows[1]["model"] == "m-[GITHUB_TOKEN]"
    assert rows[2]["error"] == "upstream said [EMAIL_ADDRESS]"
    traces_rows = [json.loads(line) for line in written["governance_traces.jsonl"].splitlines()]
    denied = next(t for t in traces_rows if t["outcome"] == "deny")
    assert denied["case_id"] == "req-[GITHUB_TOKEN]"
    assert denied["actions"]["tool_names"] == ["lookup-[GITHUB_TOKEN]"]
    assert any("lookup-[GITHUB_TOKEN]" in reason for reason in denied["reasons"])
    assert denied["attributes"]["gen_ai.tool.name"] == "lookup-[GITHUB_TOKEN]"
    assert "lookup-[GITHUB_TOKEN]" in spans_text
    for raw in RUNTIME_PLANTED:
        leaks = [name for name, data in written.items() if raw.encode() in data]
        assert not leaks, f"{raw!r} leaked into {leaks}"


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("MLFLOW_TRACKING_URI", None)
    env["PYTHONPATH"] = str(TESTS_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    return env


def _row(i: int, **fields: Any) -> dict[str, Any]:
    row = {
        "schema_version": 1,
        "timestamp": f"2026-12-06T08:{i % 60:02d}:{i // 60:02d}.000Z",
        "request_id": f"r{i}",
        "variant": "canary",
        "latency_ms": 10.0 + i % 7,
        "outcome": "allow",
    }
    row.update(fields)
    return row


@pytest.mark.slow
def test_drift_category_names_are_scrubbed_in_every_output(tmp_path: Path) -> None:
    from mlflow_store import fresh_store

    reference = [_row(i, env="prod") for i in range(200)]
    planted = [f"key {AWS_KEY}", USER_EMAIL, f"acct {SCOPE_IBAN}"]
    production = [_row(i, env="prod" if i % 4 else planted[i % 3]) for i in range(200)]
    (tmp_path / "reference.jsonl").write_text("".join(json.dumps(r) + "\n" for r in reference), encoding="utf-8")
    (tmp_path / "production.jsonl").write_text("".join(json.dumps(r) + "\n" for r in production), encoding="utf-8")
    fresh_store(tmp_path / "mlflow.db")
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "drift", "--reference", "reference.jsonl", "--production",
         "production.jsonl", "--categorical", "env", "--out", "out",
         "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr  # a quarter of the rows in new categories: drift
    drift = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    env_feature = next(f for f in drift["features"] if f["name"] == "env")
    assert sorted(env_feature["new_categories"]) == ["[EMAIL_ADDRESS]", "acct [IBAN_CODE]", "key [AWS_ACCESS_KEY]"]
    shown = {row["category"] for row in env_feature["plot"]["categories"]}
    assert "prod" in shown and "[EMAIL_ADDRESS]" in shown
    written = _files(tmp_path)
    written["<stdout>"], written["<stderr>"] = proc.stdout.encode(), proc.stderr.encode()
    assert any(name.startswith("mlruns/") for name in written), sorted(written)
    for raw in (AWS_KEY, USER_EMAIL, SCOPE_IBAN):
        leaks = [name for name, data in written.items() if raw.encode() in data and name != "production.jsonl"]
        assert not leaks, f"{raw!r} leaked into {leaks}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        pytest.param("latency_ms", f"slow {GH_REQUEST} {USER_EMAIL}", id="cast-to-number"),
        pytest.param("timestamp", f"{USER_EMAIL} {GH_REQUEST}", id="timestamp"),
    ],
)
def test_canary_error_on_a_bad_row_names_the_line_not_the_value(tmp_path: Path, field: str, value: str) -> None:
    rows = [_row(i) for i in range(30)] + [_row(30, **{field: value})]
    (tmp_path / "logs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "canary", "--logs", "logs.jsonl", "--no-mlflow", "--out", "out",
         "--now", "2026-12-06T09:00:00Z"],
        cwd=tmp_path, env=_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "logs.jsonl:31:" in proc.stderr and f"field '{field}'" in proc.stderr  # the line and field, not the value
    written = [proc.stdout, proc.stderr] + [p.read_text("utf-8", "replace") for p in (tmp_path / "out").rglob("*")]
    for piece in (GH_REQUEST, GH_REQUEST[:12], USER_EMAIL, USER_EMAIL[:8]):
        assert not any(piece in text for text in written), (piece, proc.stderr)


PROXY_KEY = "Upstr3amOpaqueKey9x"  # no detector finds it: only the proxy knows it is its key


class _EchoKeyUpstream(BaseHTTPRequestHandler):
    """An OpenAI-compatible upstream that puts the key it was sent into the model and a tool call's name."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        call = {"id": "c1", "type": "function", "function": {"name": f"tool-{key}", "arguments": "{}"}}
        message = {"role": "assistant", "content": f"key {key}", "tool_calls": [call]}
        data = json.dumps(
            {
                "id": "x",
                "object": "chat.completion",
                "model": f"model-{key}",
                "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}],
                "usage": {"prompt_tokens": 3, "completion_tokens": 4},
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_the_proxy_writes_no_echoed_key_nor_the_clients_user_or_context(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from proxy_harness import chat, serving

    upstream = ThreadingHTTPServer(("127.0.0.1", 0), _EchoKeyUpstream)
    threading.Thread(target=upstream.serve_forever, daemon=True).start()
    policy = tmp_path / "lax.yaml"
    policy.write_text("id: lax\nversion: '1'\nrules:\n  - id: t\n    kind: tools\n    allow: ['*']\n")
    monkeypatch.setenv("GATEKIT_TEST_UPSTREAM_KEY", PROXY_KEY)
    logs = tmp_path / "logs"
    try:
        with serving(
            f"http://127.0.0.1:{upstream.server_address[1]}/v1",
            policy,
            upstream_key_env="GATEKIT_TEST_UPSTREAM_KEY",
            log_to=logs / "production.jsonl",
            trace_to=logs / "governance_traces.jsonl",
        ) as server:
            context = json.dumps({"role": GH_ROLE, "scope": SCOPE_IBAN})
            answer = chat(server.url, "m", headers={"X-Gatekit-Context": context}, user=USER_EMAIL)
    finally:
        upstream.shutdown()
        upstream.server_close()
    assert answer.status == 200, answer.body
    assert PROXY_KEY not in answer.body.decode()  # (the proxy masked its key in what it handed on before)
    written = _files(logs)
    rows = [json.loads(line) for line in written["production.jsonl"].splitlines()]
    assert len(rows) == 1
    # the model as handed on (the key masked as in the answer); the tool name as judged, scrubbed before writing
    assert rows[0]["model"] == "model-***" and rows[0]["tool_names"] == ["tool-[GENERIC_SECRET]"]
    assert (rows[0]["user"], rows[0]["role"], rows[0]["scope"]) == ("[EMAIL_ADDRESS]", "[GITHUB_TOKEN]", "[IBAN_CODE]")
    for raw in (PROXY_KEY, USER_EMAIL, GH_ROLE, SCOPE_IBAN):
        leaks = [name for name, data in written.items() if raw.encode() in data]
        assert not leaks, f"{raw!r} leaked into {leaks}"


def test_gate_results_converted_to_production_rows_carry_the_context_scrubbed(tmp_path: Path) -> None:
    """A golden case's context (user, role, scope) becomes row columns: scrubbed, as the runtime guard writes them."""
    from gatekit.production.convert import eval_rows, write_parquet

    context = {"user": USER_EMAIL, "role": GH_ROLE, "env": "prod", "scope": SCOPE_IBAN}
    (tmp_path / "cases.jsonl").write_text(json.dumps({"id": "c1", "input": "hi", "context": context}) + "\n")
    result = {"case_id": "c1", "repeat": 0, "ok": True, "latency_ms": 5.0, "started_at": "2026-12-06T08:00:00Z",
              "response": {"output": "ok", "tool_calls": [], "usage": {}, "model": "m"}, "decision": None}  # fmt: skip
    (tmp_path / "results.jsonl").write_text(json.dumps(result) + "\n")
    rows = list(eval_rows(tmp_path / "results.jsonl", tmp_path / "cases.jsonl"))
    assert [(r["user"], r["role"], r["env"], r["scope"]) for r in rows] == [
        ("[EMAIL_ADDRESS]", "[GITHUB_TOKEN]", "prod", "[IBAN_CODE]")
    ]
    write_parquet(rows, tmp_path / "rows.parquet")
    data = (tmp_path / "rows.parquet").read_bytes()
    assert not any(raw.encode() in data for raw in (USER_EMAIL, GH_ROLE, SCOPE_IBAN))
