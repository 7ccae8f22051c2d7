"""Leak paths, round 13: credentials gatekit forwards or sends, and labels and paths a user gave.

- ``gatekit guard serve --forward-client-auth``: the client's own ``Authorization`` goes upstream; a real
  upstream on 127.0.0.1 echoes it (bare and whole) into the model, the id, the content, a tool call's name and
  arguments. Neither the answer, nor the production-log row, nor the decision traces may carry it; and the
  masking is the request's own: another client's data is never compared with it.
- The MLflow tracking token and basic-auth password: a tracking server on 127.0.0.1 that echoes them bare in
  an error body; the gate's stderr, verdict and every file it wrote must not carry them.
- ``--variant`` / ``--agent-version`` and file paths holding a secret or an e-mail: scrubbed in rows, error
  messages and MLflow, with the exit codes unchanged.
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

TESTS_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(TESTS_DIR / "runtime"))

from proxy_harness import chat, serving  # noqa: E402

CLIENT_A = "CliOpaqueTokA77q9"  # opaque: no detector finds it; only the proxy knows it is a credential
CLIENT_B = "CliOpaqueTokB55w3"
BIG = 70_000  # past the proxy's off-loop threshold (64 KiB): the answer is checked on a worker thread


def _files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


class _EchoClientAuth(BaseHTTPRequestHandler):
    """An upstream that echoes the Authorization it was sent (bare and whole) all over a chat completion."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)))
        header = self.headers.get("Authorization") or ""
        token = header.removeprefix("Bearer ")
        said = body["messages"][-1]["content"]
        tool = "lookup_order" if "[allowed-tool]" in said else f"tool-{token}"
        padding = "x" * BIG if "[big]" in said else ""
        arguments = json.dumps({"order": f"W1 {token}", token: header})
        call = {"id": f"call-{token}", "type": "function", "function": {"name": tool, "arguments": arguments}}
        message = {"role": "assistant", "content": f"auth {header} | said {said} {padding}", "tool_calls": [call]}
        meta = {"id": f"chatcmpl-{token}", "model": f"model-{token}", "system_fingerprint": header}
        usage = {"prompt_tokens": 3, "completion_tokens": 4}
        if body.get("stream"):  # one chunk with the whole message, then the end of the stream
            call = {"index": 0, **call}
            delta = {**message, "tool_calls": [call]}
            chunk = {**meta, "object": "chat.completion.chunk", "usage": usage,
                     "choices": [{"index": 0, "delta": delta, "finish_reason": "tool_calls"}]}  # fmt: skip
            data = f"data: {json.dumps(chunk)}\n\ndata: [DONE]\n\n".encode()
            kind = "text/event-stream"
        else:
            choices = [{"index": 0, "message": message, "finish_reason": "tool_calls"}]
            data = json.dumps({**meta, "object": "chat.completion", "choices": choices, "usage": usage}).encode()
            kind = "application/json"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@pytest.fixture(scope="module")
def echo_upstream() -> Iterator[int]:
    with serve_http(_EchoClientAuth) as port:
        yield port


STRICT_TOOLS = "id: strict\nversion: '1'\nrules:\n  - id: t\n    kind: tools\n    allow: [lookup_order]\n"


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_forwarded_client_token_echoed_upstream_is_masked_in_answers_rows_and_traces(
    tmp_path: Path, echo_upstream: int, stream: bool
) -> None:
    """Fails on 7745007: the echoed client token reached the answer, the row's model and the traces raw."""
    policy = tmp_path / "strict.yaml"
    policy.write_text(STRICT_TOOLS)
    logs = tmp_path / "logs"
    with serving(
        f"http://127.0.0.1:{echo_upstream}/v1",
        policy,
        forward_client_auth=True,
        log_to=logs / "production.jsonl",
        trace_to=logs / "governance_traces.jsonl",
    ) as server:
        auth = {"Authorization": f"Bearer {CLIENT_A}"}
        allowed = chat(server.url, "m", "hello [allowed-tool]", stream=stream, headers=auth)
        big = chat(server.url, "m", "hello [allowed-tool] [big]", stream=stream, headers=auth)
        denied = chat(server.url, "m", "hello", stream=stream, headers=auth)
        # another client sends A's token as its own words (and its own token): A's is not masked for B, B's is
        other = chat(
            server.url, "m", f"repeat {CLIENT_A} [allowed-tool]", headers={"Authorization": f"Bearer {CLIENT_B}"}
        )
    answers = [allowed, big, denied]
    assert [a.status for a in answers] == [200, 200, 200 if stream else 403], [a.body[:300] for a in answers]
    if stream:
        denied_error = next(e for e in denied.events() if isinstance(e, dict) and "error" in e)["error"]
    else:
        denied_error = denied.json()["error"]
        shown = allowed.json()
        assert shown["model"] == "model-[GENERIC_SECRET]" and shown["id"] == "chatcmpl-[GENERIC_SECRET]"
        message = shown["choices"][0]["message"]
        assert message["content"].startswith("auth [GENERIC_SECRET] | said hello")
        assert json.loads(message["tool_calls"][0]["function"]["arguments"]) == {
            "order": "W1 [GENERIC_SECRET]",
            "[GENERIC_SECRET]": "[GENERIC_SECRET]",
        }
    # the denied tool's name is quoted in the policy error: masked, the rule still named
    assert denied_error["rule"] == "t" and "tool-[GENERIC_SECRET]" in denied_error["message"]
    for answer in answers:
        assert CLIENT_A.encode() not in answer.body, answer.body.decode()[answer.body.find(CLIENT_A.encode()) - 200 :][
            :300
        ]
    # the other client's answer: its own token masked, A's token (its own words) left as it wrote it
    assert other.status == 200
    other_text = other.json()["choices"][0]["message"]["content"]
    assert CLIENT_B not in other_text and f"said repeat {CLIENT_A}" in other_text
    written = _files(logs)
    rows = [json.loads(line) for line in written["production.jsonl"].splitlines()]
    assert len(rows) == 4
    assert [r["model"] for r in rows[:3]] == ["model-[GENERIC_SECRET]"] * 3
    assert rows[2]["tool_names"] == ["tool-[GENERIC_SECRET]"] and rows[2]["outcome"] == "deny"
    traces = [json.loads(line) for line in written["governance_traces.jsonl"].splitlines()]
    assert any("tool-[GENERIC_SECRET]" in " ".join(t["reasons"]) for t in traces)
    for raw in (CLIENT_A, CLIENT_B):
        leaks = [name for name, data in written.items() if raw.encode() in data]
        assert not leaks, f"{raw!r} leaked into {leaks}"


def test_request_secrets_are_the_requests_own_and_bounded() -> None:
    """The per-request mask is a context, not a global set: gone after the request, never seen by another."""
    import contextvars

    from gatekit.redact import mask_known, request_secrets, scrub

    text = f"model-{CLIENT_A}"
    assert scrub(text) == text  # opaque: no detector finds it
    with request_secrets(f"Bearer {CLIENT_A}"):
        assert scrub(text) == "model-[GENERIC_SECRET]"
        assert mask_known([text]) == ["model-[GENERIC_SECRET]"]
        assert contextvars.copy_context().run(scrub, text) == "model-[GENERIC_SECRET]"
        with request_secrets(*(f"Bearer many-tokens-{i:04d}" for i in range(50))) as inner:
            assert len(inner) == 8  # bounded however many values are given
    assert scrub(text) == text  # the request ended: nothing accumulated
    assert contextvars.Context().run(scrub, text) == text  # another request's context never had it


MLFLOW_TOKEN = "MlfTok3nOpaque88rT"  # opaque: only the environment says it is the tracking server's token
MLFLOW_USER = "gate-bot"
MLFLOW_PASSWORD = "MlfPassw0rdOpaque4"


class _EchoingTracking(BaseHTTPRequestHandler):
    """An agent (POST /v1/chat/completions) and an MLflow tracking server that refuses every API call, quoting
    the credential it was sent, bare: the token, or the basic-auth password and its base64 header value."""

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - the base class's name
        return

    def _send(self, status: int, data: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        if self.path.startswith("/health"):
            self._send(200, b"OK", "text/plain")
        else:
            self._refuse()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.startswith("/v1/"):
            json.loads(body)
            message = {"role": "assistant", "content": "your order W1 ships tomorrow"}
            answer = {"id": "x", "object": "chat.completion", "model": "m",
                      "choices": [{"index": 0, "message": message, "finish_reason": "stop"}],
                      "usage": {"prompt_tokens": 3, "completion_tokens": 4}}  # fmt: skip
            self._send(200, json.dumps(answer).encode(), "application/json")
        else:
            self._refuse()

    def _refuse(self) -> None:
        import base64

        scheme, _, credential = (self.headers.get("Authorization") or "").partition(" ")
        said = credential
        if scheme == "Basic":
            said = f"{credential} = {base64.b64decode(credential).decode()}"
        self._send(403, f"credential {said} is not allowed here".encode(), "text/plain")


@pytest.fixture(scope="module")
def tracking_server() -> Iterator[int]:
    with serve_http(_EchoingTracking) as port:
        yield port


@pytest.mark.slow
@pytest.mark.parametrize("auth", ["token", "basic"])
def test_a_tracking_server_echoing_its_credential_bare_gets_it_nowhere(
    tmp_path: Path, tracking_server: int, auth: str
) -> None:
    """Fails on 7745007: the bare token / password was quoted in the MLflow error on stderr, verdict and report."""
    import base64

    (tmp_path / "cases.jsonl").write_text(json.dumps({"id": "c1", "input": "where is W1?"}) + "\n")
    (tmp_path / "strict.yaml").write_text(STRICT_TOOLS)
    (tmp_path / "thresholds.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 1%}\n")
    (tmp_path / "gatekit.yaml").write_text(
        "dataset: cases.jsonl\nthresholds: thresholds.yaml\npolicy: strict.yaml\nout: out\ntimeout: 10\nretries: 0\n"
        "experiment: leak-paths-13\nagent_options:\n  model: m\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
    env["PYTHONPATH"] = str(TESTS_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    if auth == "token":
        env["MLFLOW_TRACKING_TOKEN"] = MLFLOW_TOKEN
        planted = [MLFLOW_TOKEN]
    else:
        env.update({"MLFLOW_TRACKING_USERNAME": MLFLOW_USER, "MLFLOW_TRACKING_PASSWORD": MLFLOW_PASSWORD})
        planted = [MLFLOW_PASSWORD, base64.b64encode(f"{MLFLOW_USER}:{MLFLOW_PASSWORD}".encode()).decode()]
    base = f"http://127.0.0.1:{tracking_server}"
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "eval", "--agent", f"{base}/v1/chat/completions", "--tracking-uri", base],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 3, proc.stdout + proc.stderr  # MLflow failed: an infrastructure error, as before
    # the refusal names the variables to set, not the server's body (which echoed the credential: left23)
    assert "MLflow" in proc.stderr and "403" in proc.stderr and "MLFLOW_TRACKING_" in proc.stderr, proc.stderr
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["exit_code"] == 3 and "MLFLOW_TRACKING_" in verdict["mlflow"]["error"]
    written = _files(tmp_path)
    written["<stdout>"], written["<stderr>"] = proc.stdout.encode(), proc.stderr.encode()
    for raw in planted:
        leaks = [name for name, data in written.items() if raw.encode() in data]
        assert not leaks, f"{raw!r} leaked into {leaks}: {proc.stderr}"


LIVE_KEY = "sk-live-4eC39HqLyjWDarjtT1zdp7dc"
OWNER_EMAIL = "ops.lead13@leak13.example.com"
FOLDER_CARD = "4111 1111 1111 1111"


def test_proxy_variant_agent_version_and_policy_path_are_scrubbed(tmp_path: Path, echo_upstream: int) -> None:
    """Fails on 7745007: --variant / --agent-version went into every row raw, the policy path onto stderr raw."""
    import signal

    from conftest import free_port, wait_http
    from proxy_harness import kill_if_running, serve_process

    folder = tmp_path / OWNER_EMAIL
    folder.mkdir()
    policy = folder / "lax.yaml"
    policy.write_text("id: lax\nversion: '1'\nrules:\n  - id: t\n    kind: tools\n    allow: ['*']\n")
    rows = tmp_path / "rows.jsonl"
    port = free_port()
    proc = serve_process(
        "--upstream", f"http://127.0.0.1:{echo_upstream}/v1", "--policy", str(policy), "--port", str(port),
        "--log-to", str(rows), "--variant", "canary", "--agent-version", LIVE_KEY,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
        answer = chat(f"http://127.0.0.1:{port}", "m", "hello [allowed-tool]")
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        kill_if_running(proc)
    assert proc.returncode == 0 and answer.status == 200, err
    assert "gatekit guard: serving" in err and "[EMAIL_ADDRESS]/lax.yaml" in err, err
    row = json.loads(rows.read_text())
    # a --variant holding an e-mail is refused at configuration since attack17g (tests/runtime/test_attack17g_*)
    assert (row["variant"], row["agent_version"]) == ("canary", "[API_TOKEN]")
    for raw in (OWNER_EMAIL, LIVE_KEY):
        assert raw not in out + err + rows.read_text(), raw


def _gate_inputs(root: Path, dataset: str) -> None:
    (root / dataset).parent.mkdir(parents=True, exist_ok=True)
    (root / dataset).write_text(json.dumps({"id": "c1", "input": "where is W1?"}) + "\n")
    (root / "strict.yaml").write_text(STRICT_TOOLS)
    (root / "thresholds.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 1%}\n  pass_rate: {min: 0.5}\n")


def _gate_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
    env["PYTHONPATH"] = str(TESTS_DIR) + os.pathsep + env.get("PYTHONPATH", "")
    return env


@pytest.mark.slow
def test_a_dataset_path_with_an_email_and_a_secret_is_written_nowhere(tmp_path: Path, tracking_server: int) -> None:
    """Fails on 7745007: the path went raw into stderr, verdict.json, report.html, the MLflow params and dataset."""
    from mlflow_store import fresh_store

    dataset = f"{OWNER_EMAIL}/card {FOLDER_CARD}/{LIVE_KEY}.jsonl"
    _gate_inputs(tmp_path, dataset)
    fresh_store(tmp_path / "mlflow.db")
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "eval", "--agent", f"http://127.0.0.1:{tracking_server}/v1/chat/completions",
         "--dataset", dataset, "--thresholds", "thresholds.yaml", "--policy", "strict.yaml", "--out", "out",
         "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}"],
        cwd=tmp_path, env=_gate_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # no case has `expected`: pass_rate is unknown, the gate is not a pass (as before)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 case from [EMAIL_ADDRESS]/card [CREDIT_CARD]/[API_TOKEN].jsonl" in proc.stderr, proc.stderr
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["dataset"]["path"] == "[EMAIL_ADDRESS]/card [CREDIT_CARD]/[API_TOKEN].jsonl"
    assert "add `expected:`" in json.dumps(verdict) and "[EMAIL_ADDRESS]" in json.dumps(verdict["checks"])
    written = {k: v for k, v in _files(tmp_path).items() if not k.startswith(OWNER_EMAIL)}
    assert any(name.startswith("mlruns/") for name in written), sorted(written)
    written["<stdout>"], written["<stderr>"] = proc.stdout.encode(), proc.stderr.encode()
    for raw in (OWNER_EMAIL, FOLDER_CARD, LIVE_KEY):
        leaks = [name for name, data in written.items() if raw.encode() in data]
        assert not leaks, f"{raw!r} leaked into {leaks}"


@pytest.mark.parametrize(
    "argv",
    [
        pytest.param(["eval", "--dataset", f"{OWNER_EMAIL}/{LIVE_KEY}.jsonl"], id="missing-dataset"),
        pytest.param(["canary", "--logs", "logs.jsonl", "--no-mlflow", "--now", "2026-12-06T09:00:00Z"], id="canary"),
    ],
)
def test_error_lines_scrub_paths_and_values_with_the_exit_code_unchanged(tmp_path: Path, argv: list[str]) -> None:
    """Fails on 7745007: a missing dataset's path, or a production row's variant, was quoted raw in the error."""
    _gate_inputs(tmp_path, "cases.jsonl")
    rows = [{"schema_version": 1, "timestamp": f"2026-12-06T08:{i:02d}:00.000Z", "request_id": f"r{i}",
             "variant": f"{LIVE_KEY} {OWNER_EMAIL}", "latency_ms": 10.0, "outcome": "allow"} for i in range(30)]  # fmt: skip
    (tmp_path / "logs.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", *argv, *(["--agent", "python:nowhere:agent", "--thresholds",
         "thresholds.yaml", "--policy", "strict.yaml", "--no-mlflow"] if argv[0] == "eval" else [])],
        cwd=tmp_path, env=_gate_env(), capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "[EMAIL_ADDRESS]" in proc.stderr and "[API_TOKEN]" in proc.stderr, proc.stderr
    for raw in (OWNER_EMAIL, LIVE_KEY, LIVE_KEY[:16]):
        assert raw not in proc.stdout + proc.stderr, proc.stderr


def test_the_proxys_own_key_echoed_into_a_tool_call_id_is_masked(
    tmp_path: Path, echo_upstream: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fails on 7745007: the proxy unkeyed the model, content, tool names and arguments, but not a tool call's id."""
    key = "Upstr3amOpaqueKey13x"
    monkeypatch.setenv("GATEKIT_TEST_UPSTREAM_KEY", key)
    policy = tmp_path / "strict.yaml"
    policy.write_text(STRICT_TOOLS)
    with serving(
        f"http://127.0.0.1:{echo_upstream}/v1", policy, upstream_key_env="GATEKIT_TEST_UPSTREAM_KEY"
    ) as server:
        answer = chat(server.url, "m", "hello [allowed-tool]")
    assert answer.status == 200, answer.body
    assert answer.json()["choices"][0]["message"]["tool_calls"][0]["id"] == "call-***"
    assert key.encode() not in answer.body
