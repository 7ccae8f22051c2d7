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
from pathlib import Path

import pytest
from conftest import Reply, policy_file, replying_handler, stub_upstream
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


ARRIVED = threading.Semaphore(0)  # released by each request for the slow model the upstream receives
RELEASE = threading.Event()  # the slow model's answers are held until it is set


def _reply(body: dict) -> Reply:
    if body["model"] == "slow":
        ARRIVED.release()
        RELEASE.wait(60)
    if body["model"] == "broken":
        return 500, "", b""
    return 200, "application/json", json.dumps(ANSWER).encode()


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with stub_upstream(_reply) as url:
        yield url


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return policy_file(tmp_path, POLICY)


def _hang_up(port: int, user: str) -> None:
    """Send a chat request for the slow model and close the connection before its answer."""
    body = json.dumps({"model": "slow", "user": user, "messages": [{"role": "user", "content": PROMPT}]}).encode()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n"
        sock.sendall(head.encode() + body)
        assert ARRIVED.acquire(timeout=60)  # judged and sent upstream; its answer is held until the test ends


def _rows(path: Path, count: int) -> list[dict]:
    deadline = time.monotonic() + 60  # a hang guard only
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
        try:
            for _ in range(6):
                _hang_up(server.port, "mallory")
            _rows(rows, 6)  # every hung-up request ended (its row written, its prompt counted)
        finally:
            RELEASE.set()
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
        upstream = http.server.ThreadingHTTPServer(("127.0.0.1", port), replying_handler(_reply))
        thread = threading.Thread(target=upstream.serve_forever, daemon=True)
        thread.start()
        try:
            answered = chat(server.url, "plain", PROMPT, user="bob")
        finally:
            upstream.shutdown()
            upstream.server_close()
    assert refused == [502] * 6
    assert answered.status == 200, answered.body  # six prompts never sent: nothing on bob's budget
