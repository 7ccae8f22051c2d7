"""attack16: the upstream's ``model``, ``id``, ``system_fingerprint`` and tool-call ids reach the client checked.

The proxy writes back only the parts it checked; the answer's metadata strings went back as the upstream
wrote them (only the upstream key was masked), so an upstream could hand a client personal data or a
credential in ``model`` or ``system_fingerprint`` — while the production-log row scrubbed the same ``model``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler

import pytest
from conftest import serve_http
from runtime.proxy_harness import chat, serving

SSN = "219-09-9999"
AWS = "AKIAIOSFODNN7EXAMPLE"
GITHUB = "ghp_Ctx0role1Zq23456789abcdefghijklmnopq"
EMAIL = "jane.doe@example.com"
PLANTED = (SSN, AWS, GITHUB, EMAIL)


def _answer(stream: bool) -> bytes:
    meta = {"id": f"chatcmpl-{EMAIL}", "created": 1, "model": f"gpt {SSN} {AWS}", "system_fingerprint": f"fp {GITHUB}"}
    call = {"id": f"call_{EMAIL}", "type": "function", "function": {"name": "get_order_details", "arguments": "{}"}}
    if not stream:
        message = {"role": "assistant", "content": "fine", "tool_calls": [call]}
        return json.dumps({**meta, "choices": [{"index": 0, "message": message, "finish_reason": "stop"}]}).encode()
    chunks = [
        {**meta, "choices": [{"index": 0, "delta": {"role": "assistant", "content": "fine"}}]},
        {**meta, "choices": [{"index": 0, "delta": {"tool_calls": [{"index": 0, **call}]}}]},
        {**meta, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]},
    ]
    return "".join(f"data: {json.dumps(c)}\n\n" for c in chunks).encode() + b"data: [DONE]\n\n"


class _Upstream(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        stream = bool(request.get("stream"))
        body = _answer(stream)
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream" if stream else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve_http(_Upstream) as port:
        yield f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize("stream", [False, True])
def test_answer_metadata_is_scrubbed_before_the_client_sees_it(upstream: str, tmp_path, stream: bool) -> None:
    rows = tmp_path / "rows.jsonl"
    with serving(upstream, log_to=rows) as server:
        answer = chat(server.url, "gpt-4o-mini", stream=stream)
    assert answer.status == 200, answer.body
    text = answer.body.decode()
    leaked = [value for value in PLANTED if value in text]
    assert not leaked, (leaked, text)
    first = answer.events()[0] if stream else answer.json()
    assert first["model"] == "gpt [US_SSN] [AWS_ACCESS_KEY]"
    assert first["system_fingerprint"] == "fp [GITHUB_TOKEN]"
    assert "[EMAIL_ADDRESS]" in first["id"]
    assert "content" in text and "fine" in text  # the checked content still arrives


def test_ordinary_ids_and_model_names_reach_the_client_unchanged() -> None:
    from gatekit.redact import scrub

    for value in (
        "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "call_5oPcZ6dYt0RPsjm2JHdV8Nuj",
        "fp_44709d6fcb",
        "gpt-4o-mini-2024-07-18",
        "meta-llama/Llama-3.1-8B-Instruct",
        "toolu_01A09q90qw90lq917835lq9",
    ):
        assert scrub(value) == value
