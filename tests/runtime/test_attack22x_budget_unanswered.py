"""Round 22x: a request sent to the model whose answer is never judged still counts on the token budgets.

The proxy counted a request's tokens when it judged (or noted) the upstream's answer. A client that closed its
connection before the answer came, or an upstream whose answer was lost or refused (a 5xx, too large, not a chat
completion), counted nothing: the model had read the prompt (billed), and a user could spend past a per-user budget
by hanging up each time. Unknown is not zero: such a request now counts its prompt, estimated from its text.
Real parts: the proxy on 127.0.0.1, a real upstream, raw sockets for the client that hangs up, real row files.
"""

from __future__ import annotations

import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import yaml
from conftest import serve_http
from runtime.proxy_harness import chat, serving

POLICY = {"id": "unanswered", "version": "1", "rules": [
    {"id": "budget", "kind": "token_budget", "per_user_per_minute": "1k"},
]}  # fmt: skip
PROMPT = "Where is my order W123, and when will it arrive? " * 40  # ~2,000 characters: hundreds of tokens
ANSWER = {
    "id": "x",
    "model": "m",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Tomorrow."}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 20, "completion_tokens": 3, "total_tokens": 23},
}


class _Upstream(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if body["model"] == "slow":
            time.sleep(1.0)
        if body["model"] == "broken":
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        payload = json.dumps(ANSWER).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with serve_http(_Upstream) as port:
        yield f"http://127.0.0.1:{port}/v1"


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(POLICY))
    return path


def _hang_up(port: int, user: str) -> None:
    """Send a chat request for the slow model and close the connection before its answer."""
    body = json.dumps({"model": "slow", "user": user, "messages": [{"role": "user", "content": PROMPT}]}).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode() + body)
        time.sleep(0.3)  # judged and sent upstream, the answer not yet come


def _rows(path: Path, count: int) -> list[dict]:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.05)
    raise AssertionError(f"{path} has fewer than {count} rows")


def test_a_client_that_hangs_up_before_each_answer_cannot_spend_past_its_budget(
    upstream: str, policy: Path, tmp_path: Path
) -> None:
    rows = tmp_path / "rows.jsonl"
    with serving(upstream, policy=policy, log_to=rows) as server:
        for _ in range(6):
            _hang_up(server.port, "mallory")
        _rows(rows, 6)  # every hung-up request ended (its row written, its prompt counted)
        mallory = chat(server.url, "plain", PROMPT, user="mallory")
        other = chat(server.url, "plain", PROMPT, user="alice")  # another user's window is untouched
    assert mallory.status == 403, mallory.body  # was 200: the six prompts the model read counted nothing
    assert mallory.json()["error"]["rule"] == "budget"
    assert other.status == 200
    written = _rows(rows, 8)
    assert [row["error"] for row in written[:6]] == ["client_closed"] * 6
    assert all(row["input_tokens"] is None for row in written[:6])  # the row keeps them unknown, never a guess


def test_an_upstream_error_after_the_request_was_sent_counts_the_prompt(
    upstream: str, policy: Path, tmp_path: Path
) -> None:
    with serving(upstream, policy=policy) as server:
        failed = [chat(server.url, "broken", PROMPT, user="mallory").status for _ in range(6)]
        after = chat(server.url, "plain", PROMPT, user="mallory")
    assert failed == [502] * 6
    assert after.status == 403 and after.json()["error"]["rule"] == "budget"


@pytest.mark.parametrize("client", ["auto", "aiohttp"])
def test_an_upstream_never_reached_counts_nothing(policy: Path, client: str) -> None:
    """A refused connect sent nothing: the user is not charged for a request the upstream never saw."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # free now: connections to it are refused until the upstream starts there
    with serving(f"http://127.0.0.1:{port}/v1", policy=policy, http_client=client) as server:
        refused = [chat(server.url, "plain", PROMPT, user="bob").status for _ in range(6)]
        upstream = http.server.ThreadingHTTPServer(("127.0.0.1", port), _Upstream)
        thread = threading.Thread(target=upstream.serve_forever, daemon=True)
        thread.start()
        try:
            answered = chat(server.url, "plain", PROMPT, user="bob")
        finally:
            upstream.shutdown()
            upstream.server_close()
    assert refused == [502] * 6
    assert answered.status == 200, answered.body  # six prompts never sent: nothing on bob's budget
