"""Round 22x against the enforcing proxy: large answers, read from the upstream and handed to the client.

Real parts only: the proxy served on 127.0.0.1 (its own thread and event loop), a real HTTP upstream that answers
the bytes a test chooses (``serve_http``), raw sockets for a client that stops reading, real row files and
``/metrics``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from conftest import Reply, best_thread_time, policy_file, stub_upstream
from runtime.proxy_harness import chat, request, serving

from gatekit.runtime.openai_wire import WireError, read_stream

# only the secrets rule: a long answer is judged quickly, and no token budget refuses it
POLICY = """\
id: attack22x
version: "1"
rules:
  - id: no-secrets
    kind: sensitive_data
    scan: [output, tool_arguments]
    outcomes:
      secrets: deny
"""
WORDS = "Your order W123 ships tomorrow. "


def _chunk(delta: dict, finish: str | None = None) -> bytes:
    event = {"id": "c1", "object": "chat.completion.chunk", "model": "m-test"}
    event["choices"] = [{"index": 0, "delta": delta, "finish_reason": finish}]
    return b"data: " + json.dumps(event).encode() + b"\n\n"


def _many_deltas(megabytes: float) -> bytes:
    """A stream of ``megabytes`` of events: one content delta, then empty deltas (keep-alive-like), then [DONE]."""
    empty = b'data: {"choices":[{"index":0,"delta":{}}]}\n\n'
    filler = empty * int(megabytes * 1024 * 1024 // len(empty))
    return _chunk({"role": "assistant", "content": WORDS}) + filler + _chunk({}, "stop") + b"data: [DONE]\n\n"


BIG_CONTENT = WORDS * 200_000  # ~6 MiB of answer: more than the socket buffers of a client that never reads
ANSWERS: dict[str, tuple[str, bytes]] = {
    "many-deltas": ("text/event-stream", _many_deltas(3)),
    "big": (
        "application/json",
        json.dumps(
            {
                "id": "x",
                "model": "m-test",
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": BIG_CONTENT}, "finish_reason": "stop"}
                ],
            }
        ).encode(),
    ),
}


def _reply(body: dict) -> Reply:
    return 200, *ANSWERS[body["model"]]


@pytest.fixture(scope="module")
def upstream() -> Iterator[str]:
    with stub_upstream(_reply) as url:
        yield url


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return policy_file(tmp_path, POLICY)


def _metric(base: str, name: str) -> float:
    for line in request(f"{base}/metrics", method="GET").body.decode().splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


# --- reading a streamed answer ------------------------------------------------------------------------------


def _stream_of(deltas: list[dict]) -> bytes:
    return b"".join(_chunk(delta) for delta in deltas) + _chunk({}, "stop") + b"data: [DONE]\n\n"


@pytest.mark.parametrize("part", ["content", "arguments"])
def test_a_stream_of_many_small_deltas_is_reassembled_in_linear_time(part: str) -> None:
    """Each delta was appended to the text so far (a copy of all of it per event): 16 MiB of one-word deltas took
    ~35 s of CPU on the proxy's event loop (quadratic). Four times the events now cost about four times as much."""

    def delta(i: int) -> dict:
        piece = f"{i:07d}" * 32  # 224 characters
        if part == "content":
            return {"content": piece}
        return {"tool_calls": [{"index": 0, "id": "c1", "function": {"name": "lookup", "arguments": piece}}]}

    small = _stream_of([delta(i) for i in range(4_000)])
    large = _stream_of([delta(i) for i in range(16_000)])
    answer = read_stream(large).choices[0]
    text = answer.content if part == "content" else answer.tool_calls[0].arguments
    assert text == "".join(f"{i:07d}" * 32 for i in range(16_000))  # every piece, in order
    ratio = best_thread_time(lambda: read_stream(large), 2) / best_thread_time(lambda: read_stream(small), 2)
    assert ratio < 7, f"4x the deltas cost {ratio:.1f}x the CPU: not linear"


def test_a_tool_name_streamed_in_many_pieces_is_refused_as_soon_as_it_is_too_long() -> None:
    """A name growing by one piece per event was copied whole at each, and refused only after the last one."""
    pieces = [{"tool_calls": [{"index": 0, "function": {"name": "ab"[i % 2]}}]} for i in range(1_000)]
    with pytest.raises(WireError, match="event 257: a tool call's name is longer than 256"):
        read_stream(_stream_of(pieces))


def test_a_large_streamed_answer_is_read_off_the_event_loop(upstream: str, policy: Path) -> None:
    """Reading a streamed answer ran on the event loop: while 3 MiB of small events were parsed (seconds), no other
    request — not even /healthz — was answered."""
    with serving(upstream, policy=policy) as server:
        result: dict[str, object] = {}

        def big() -> None:
            started = time.monotonic()
            result["answer"] = chat(server.url, "many-deltas", stream=True)
            result["seconds"] = time.monotonic() - started

        thread = threading.Thread(target=big)
        thread.start()
        time.sleep(0.1)
        worst = 0.0
        while thread.is_alive():
            started = time.monotonic()
            assert request(f"{server.url}/healthz", method="GET").status == 200
            worst = max(worst, time.monotonic() - started)
            time.sleep(0.01)
        thread.join()
    events = result["answer"].events()  # type: ignore[attr-defined]
    assert events[0]["choices"][0]["delta"]["content"] == WORDS and events[-1] == "[DONE]"
    seconds = float(result["seconds"])  # type: ignore[arg-type]
    assert worst < max(0.5, seconds / 3), f"/healthz waited {worst:.2f} s of the {seconds:.2f} s the answer took"


# --- handing a large answer to the client ---------------------------------------------------------------------


@contextmanager
def _not_reading(port: int) -> Iterator[socket.socket]:
    """A client that sends a chat request for the big answer and reads nothing (a tiny receive buffer)."""
    body = json.dumps({"model": "big", "messages": [{"role": "user", "content": "Where is my order?"}]}).encode()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    head = f"POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n"
    sock.sendall(head.encode() + body)
    try:
        yield sock
    finally:
        sock.close()


def _read_all(sock: socket.socket, timeout_s: float) -> tuple[bytes, bool]:
    """Everything the proxy sends until it closes the connection (True) or goes quiet for ``timeout_s`` (False)."""
    sock.settimeout(timeout_s)
    received = bytearray()
    try:
        while chunk := sock.recv(1 << 20):
            received += chunk
    except TimeoutError:
        return bytes(received), False
    except ConnectionResetError:
        pass
    return bytes(received), True


@pytest.mark.parametrize("client", ["auto", "aiohttp"])
def test_a_client_that_stops_reading_a_large_answer_is_disconnected_and_frees_its_slot(
    upstream: str, policy: Path, tmp_path: Path, client: str
) -> None:
    """aiohttp wrote a returned answer with no time limit: a client that read nothing kept its connection and its
    6 MiB answer in the proxy's memory for as long as it liked, past --max-in-flight (its slot was already free)."""
    rows = tmp_path / "rows.jsonl"
    with serving(upstream, policy=policy, http_client=client, idle_timeout_s=1.0, log_to=rows) as server:
        whole = chat(server.url, "big")  # a client that reads gets the whole answer, written in pieces
        assert whole.status == 200 and whole.json()["choices"][0]["message"]["content"] == BIG_CONTENT
        with _not_reading(server.port) as sock:
            deadline = time.monotonic() + 30  # judged, then 1 s without progress ends the connection and its slot
            while _metric(server.url, "gatekit_guard_requests_in_flight") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert _metric(server.url, "gatekit_guard_requests_in_flight") == 0
            received, closed = _read_all(sock, timeout_s=3)
        assert closed and len(received) < len(BIG_CONTENT), (closed, len(received))
        assert chat(server.url, "big").status == 200  # the proxy serves on
    lines = rows.read_text().splitlines()
    assert len(lines) == 3 and all(json.loads(line)["error"] is None for line in lines)  # one row per request
