"""Round 22x: an upstream answer that is not valid HTTP is named alike by both of the proxy's upstream clients.

docs/proxy.md: the lean client (plain http://) and aiohttp (https://, --forward-client-auth) "apply the same limits
and give the same answers". A real upstream on 127.0.0.1 writes the raw bytes of each answer.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
from conftest import serve_http
from runtime.proxy_harness import chat, serving

_BODY = json.dumps(
    {"id": "x", "model": "m", "choices": [{"index": 0, "message": {"content": "fine"}, "finish_reason": "stop"}]}
).encode()


def _answer(*headers: str, body: bytes = _BODY, length: int | None = None) -> bytes:
    # "Connection: close": the upstream closes after each answer, and says so; without it the client pooled the
    # connection and, on a loaded machine, reused it before the close arrived (a lost answer, not this test's subject)
    head = ["HTTP/1.1 200 OK", "Content-Type: application/json", "Connection: close", *headers]
    head.append(f"Content-Length: {len(body) if length is None else length}")
    return ("\r\n".join(head) + "\r\n\r\n").encode() + body


# model -> the raw answer, and what the client is told: (status, error code, the row's error)
ANSWERS: dict[str, tuple[bytes, tuple[int, str, str]]] = {
    # a Content-Encoding the proxy cannot decode (aiohttp: "could not be reached")
    "brotli": (
        _answer("Content-Encoding: br", body=b"\x0b\x02\x80" + _BODY),
        (502, "upstream_invalid", "invalid_response"),
    ),
    # a body that is not what its Content-Encoding says (aiohttp: "could not be reached")
    "gzip-lie": (_answer("Content-Encoding: gzip"), (502, "upstream_invalid", "invalid_response")),
    # a header line of 100 KB (aiohttp: "could not be reached"; the lean client: "over 16777216 bytes")
    "long-header": (_answer("X-Padding: " + "a" * 100_000), (502, "upstream_invalid", "invalid_response")),
    # a redirect, never followed (the row said http_4xx)
    "redirect": (
        b"HTTP/1.1 307 Temporary Redirect\r\nLocation: http://elsewhere.example/v1\r\nConnection: close\r\nContent-Length: 0\r\n\r\n",
        (502, "upstream_http_307", "invalid_response"),
    ),
    # the connection closed before the body's declared length: lost, as both clients said already
    "cut-short": (_answer(length=len(_BODY) + 50), (502, "upstream_unreachable", "connection")),
}


class _Upstream(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.wfile.write(ANSWERS[body["model"]][0])
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve_http(_Upstream) as port:
        yield f"http://127.0.0.1:{port}/v1"


@pytest.mark.parametrize("client", ["auto", "aiohttp"])
def test_an_upstream_answer_that_is_not_valid_http_is_upstream_invalid_from_either_client(
    upstream: str, tmp_path: Path, client: str
) -> None:
    rows = tmp_path / "rows.jsonl"
    told = {}
    with serving(upstream, http_client=client, log_to=rows) as server:
        for model in ANSWERS:
            answer = chat(server.url, model)
            told[model] = (answer.status, answer.json().get("error", {}).get("code"))
    written = {
        model: json.loads(line)["error"] for model, line in zip(ANSWERS, rows.read_text().splitlines(), strict=True)
    }
    for model, (_, (status, code, row_error)) in ANSWERS.items():
        assert told[model] == (status, code), (model, told[model])
        assert written[model] == row_error, (model, written[model])


# --- a tool name that carries what the checks would have caught elsewhere ----------------------------------------

DENY_LIST_POLICY = """\
id: attack22x-deny-list
version: "1"
rules:
  - id: tools
    kind: tools
    deny: [drop_database]
    outcome: deny
  - id: pii
    kind: sensitive_data
    scan: [output, tool_arguments]
    outcomes:
      EMAIL_ADDRESS: allow_with_redaction
  - id: no-secrets
    kind: sensitive_data
    scan: [output, tool_arguments]
    outcomes:
      secrets: deny
"""


def _named_calls(*names: str) -> bytes:
    calls = [
        {"id": f"c{i}", "type": "function", "function": {"name": name, "arguments": "{}"}}
        for i, name in enumerate(names)
    ]
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    body = {"id": "x", "model": "m", "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls"}]}
    return _answer(body=json.dumps(body).encode())


def _named_call_events(*names: str) -> bytes:
    calls = [{"index": i, "id": f"c{i}", "function": {"name": name, "arguments": "{}"}} for i, name in enumerate(names)]
    events = [
        {"id": "x", "model": "m", "choices": [{"index": 0, "delta": {"tool_calls": calls}, "finish_reason": None}]},
        {"id": "x", "model": "m", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]},
    ]
    payload = b"".join(b"data: " + json.dumps(e).encode() + b"\n\n" for e in events) + b"data: [DONE]\n\n"
    return _answer("Content-Type: text/event-stream", body=payload)


LEAKY_NAMES = ("mail_jane.doe@example.com_now", "key_AKIAIOSFODNN7EXAMPLE")
NAMED = {"leaky-names": (_named_calls(*LEAKY_NAMES), _named_call_events(*LEAKY_NAMES))}


class _NamesUpstream(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        stream = body.get("stream") is True
        self.wfile.write(NAMED[body["model"]][1 if stream else 0])
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("stream", [False, True], ids=["json", "stream"])
def test_a_tool_name_holding_personal_data_or_a_credential_reaches_the_client_redacted(
    tmp_path: Path, stream: bool
) -> None:
    """No rule scans a tool's name for secrets or personal data: with a deny-list only, the proxy handed
    ``key_AKIA...`` and an e-mail address to the client whole (the row had them redacted)."""
    policy = tmp_path / "policy.yaml"
    policy.write_text(DENY_LIST_POLICY)
    with serve_http(_NamesUpstream) as port, serving(f"http://127.0.0.1:{port}/v1", policy=policy) as server:
        answer = chat(server.url, "leaky-names", stream=stream)
    assert answer.status == 200
    text = answer.body.decode()
    assert "AKIAIOSFODNN7EXAMPLE" not in text and "jane.doe" not in text, text
    if stream:
        calls = [
            c
            for e in answer.events()
            if e != "[DONE]"
            for ch in e["choices"]
            for c in ch["delta"].get("tool_calls") or []
        ]
    else:
        calls = answer.json()["choices"][0]["message"]["tool_calls"]
    assert [call["function"]["name"] for call in calls] == ["[EMAIL_ADDRESS]_now", "key_[AWS_ACCESS_KEY]"]


# --- finish_reason: where the client looks for the calls ----------------------------------------------------------


def _finishing(finish: str, **message: object) -> bytes:
    choice = {"index": 0, "message": {"role": "assistant", "content": None, **message}, "finish_reason": finish}
    return _answer(body=json.dumps({"id": "x", "model": "m", "choices": [choice]}).encode())


_CALL = {"name": "get_order_details", "arguments": '{"order_id": "#W1"}'}
NAMED["function-call-over-tool-calls"] = (
    _finishing("function_call", tool_calls=[{"id": "c1", "type": "function", "function": _CALL}]),
    b"",
)
NAMED["tool-calls-over-function-call"] = (_finishing("tool_calls", function_call=_CALL), b"")


@pytest.mark.parametrize(
    ("model", "finish", "field"),
    [
        ("function-call-over-tool-calls", "tool_calls", "tool_calls"),
        ("tool-calls-over-function-call", "function_call", "function_call"),
    ],
)
def test_finish_reason_names_the_field_the_calls_are_in(model: str, finish: str, field: str) -> None:
    """An upstream's finish_reason naming the other kind of call was handed on as it came: a client of the tools API
    told "function_call" looked for message.function_call, which the answer did not hold (and the reverse)."""
    with serve_http(_NamesUpstream) as port, serving(f"http://127.0.0.1:{port}/v1") as server:
        answer = chat(server.url, model)
    assert answer.status == 200, answer.body
    choice = answer.json()["choices"][0]
    assert choice["finish_reason"] == finish and field in choice["message"]


# --- n written as a lenient upstream reads it ---------------------------------------------------------------------


class _Counting(BaseHTTPRequestHandler):
    received: list[object] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _Counting.received.append(body.get("n"))
        self.wfile.write(_answer())
        self.close_connection = True

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.parametrize("n", [17.0, "17", " 17 ", 1e300])
def test_more_choices_than_the_guard_checks_written_as_a_float_or_text_is_refused_before_the_upstream(
    n: object,
) -> None:
    """Only an integer n over 16 was refused: 17.0 or "17" went upstream, where a lenient validator (vLLM, LiteLLM)
    reads 17 and generates (bills) 17 choices the proxy then refuses (502)."""
    _Counting.received = []
    with serve_http(_Counting) as port, serving(f"http://127.0.0.1:{port}/v1") as server:
        refused = chat(server.url, "plain", n=n)
        fine = chat(server.url, "plain", n=2.0)
    assert refused.status == 400 and refused.json()["error"]["code"] == "bad_n"
    assert fine.status == 200 and _Counting.received == [2.0]  # only the n=2.0 request reached the upstream
