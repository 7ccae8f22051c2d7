"""runtime20: ``--no-stream-usage`` — a streamed request is forwarded without ``stream_options`` when asked.

The proxy added ``stream_options.include_usage: true`` to every streamed request: an OpenAI-compatible upstream that
refuses unknown ``stream_options`` (HTTP 400) could not be streamed through the proxy at all. With the switch off the
request goes as the client sent it, and a streamed answer without token counts is held to the token budgets by an
estimate from its text (unknown is not zero), said in the trace's notes and in ``/metrics``.

Real parts: the proxy on 127.0.0.1 (a thread, and ``gatekit guard serve`` as a process) in front of the real chat
upstream of ``chat_upstream.py``, real trace and row files.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import free_port, wait_http
from runtime.chat_upstream import ChatUpstream, chat_upstream
from runtime.proxy_harness import DEFAULT_POLICY, chat, kill_if_running, reassemble, request, serve_process, serving

NOTE = "token-budget: tokens estimated: usage not reported"
SHORT = "Your order W123 ships tomorrow."


@pytest.fixture(scope="module")
def upstream() -> Iterator[ChatUpstream]:
    with chat_upstream() as server:
        yield server


def _metric(base: str, name: str) -> float:
    text = request(f"{base}/metrics", method="GET").body.decode()
    return float(next(line.split()[1] for line in text.splitlines() if line.startswith(f"{name} ")))


def _lines(path: Path, count: int) -> list[dict]:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = path.read_text().splitlines() if path.exists() else []
        if len(lines) >= count:
            return [json.loads(line) for line in lines]
        time.sleep(0.02)
    raise AssertionError(f"{path} has fewer than {count} lines")


def test_an_upstream_refusing_stream_options_is_streamed_with_the_switch_off_and_held_to_the_budget(
    upstream: ChatUpstream, tmp_path: Path
) -> None:
    with serving(upstream.url) as server:  # the default asks for the usage: this upstream refuses the request
        refused = chat(server.url, "strict-options", stream=True)
    assert refused.status == 400 and refused.json()["error"]["code"] == "upstream_http_400"

    traces, rows = tmp_path / "traces.jsonl", tmp_path / "rows.jsonl"
    before = len(upstream.received)
    with serving(upstream.url, stream_usage=False, trace_to=traces, log_to=rows) as server:
        short = chat(server.url, "strict-options", stream=True)
        long = chat(server.url, "strict-options-long", stream=True)
        unreported = _metric(server.url, "gatekit_guard_usage_unreported_total")
    sent = [entry["body"] for entry in upstream.received[before:]]
    assert [body["model"] for body in sent] == ["strict-options", "strict-options-long"]
    assert all("stream_options" not in body for body in sent)  # forwarded as the client sent it
    assert short.status == 200 and reassemble(short.events())["content"] == SHORT
    # unknown is not zero: the ~6,000-word answer is over the 4k output budget by the estimate from its text
    [error, done] = long.events()
    assert done == "[DONE]" and error["error"]["rule"] == "token-budget", error
    assert "(estimated: usage not reported)" in error["error"]["reason"]
    assert unreported == 2
    notes = [record["notes"] for record in _lines(traces, 2)]
    assert sum(NOTE in note for note in notes) == 2, notes
    assert [row["output_tokens"] for row in _lines(rows, 2)] == [None, None]  # the row keeps them unknown


def test_with_the_switch_off_a_client_asking_for_the_usage_itself_gets_it_counted(
    upstream: ChatUpstream, tmp_path: Path
) -> None:
    traces = tmp_path / "traces.jsonl"
    before = len(upstream.received)
    with serving(upstream.url, stream_usage=False, trace_to=traces) as server:
        answer = chat(server.url, "plain", stream=True, stream_options={"include_usage": True})
        unreported = _metric(server.url, "gatekit_guard_usage_unreported_total")
    assert upstream.received[before]["body"]["stream_options"] == {"include_usage": True}
    events = answer.events()
    assert events[-2]["usage"] == {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}
    assert unreported == 0
    assert all(NOTE not in record["notes"] for record in _lines(traces, 1))


def test_gatekit_guard_serve_takes_no_stream_usage(upstream: ChatUpstream) -> None:
    port = free_port()
    proc = serve_process(
        "--upstream", upstream.url, "--policy", str(DEFAULT_POLICY), "--port", str(port), "--no-stream-usage"
    )
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
        answer = chat(f"http://127.0.0.1:{port}", "strict-options", stream=True)
        proc.terminate()
        _, err = proc.communicate(timeout=20)
    finally:
        kill_if_running(proc)
    assert answer.status == 200 and reassemble(answer.events())["content"] == SHORT
    assert "--no-stream-usage: streamed answers carry no token counts" in err
