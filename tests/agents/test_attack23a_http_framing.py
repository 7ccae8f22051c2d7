"""attack23a: the lean HTTP client reads a chunk size and a Content-Length as digits only.

``int(size, 16)`` also reads ``-6``, ``+a``, ``0x1f`` and ``1_0``. A negative chunk size moved the parser's offset
backwards: ``-6`` after any chunk pointed back at its own line and was parsed again forever — on the event loop, so
no per-attempt timeout could fire and the gate hung with a core at 100 % on 11 bytes of body. Negative sizes also
lowered the byte count the ``max_response_bytes`` cap is held to, so a body past the cap was accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from gatekit.agents.base import AgentCallError
from gatekit.agents.http_client import HttpPool
from gatekit.models import ErrorType

ROOT = Path(__file__).resolve().parents[2]
CHUNKED = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"


@contextmanager
def raw_server(answer: bytes) -> Iterator[int]:
    """A socket server on 127.0.0.1 writing ``answer`` to every request, then holding the connection open."""
    server = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        held: list[socket.socket] = []
        server.settimeout(0.1)
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            conn.recv(65536)
            conn.sendall(answer)
            held.append(conn)
        for conn in held:
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        done.set()
        thread.join(5)
        server.close()


def test_a_negative_chunk_size_is_a_bad_response_not_a_stuck_gate(tmp_path: Path) -> None:
    """End to end through the CLI: the old gate never returned (the hang guard below killed it)."""
    (tmp_path / "ds.jsonl").write_text(json.dumps({"id": "c1", "input": "hello"}) + "\n", encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 0%}\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GATEKIT_")}
    env["PYTHONPATH"] = str(ROOT)
    with raw_server(CHUNKED + b"1\r\n{\r\n-6\r\n") as port:
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--thresholds", "th.yaml"]
                + ["--agent", f"http://127.0.0.1:{port}/v1", "--out", "out", "--no-mlflow", "--timeout", "3"]
                + ["--policy", str(ROOT / "policies" / "default.yaml"), "--retries", "0"],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=90,
            )
        except subprocess.TimeoutExpired:
            pytest.fail("the gate hung on a negative chunk size (the --timeout 3 never fired)")
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr[-2000:])
    row = json.loads((tmp_path / "out" / "results.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert row["error_type"] == "invalid_response" and "bad chunk size" in row["error_message"], row


async def _ask(port: int, cap: int) -> Any:
    pool = HttpPool(f"http://127.0.0.1:{port}/", "POST", {}, 1, 2.0, "test-agent", cap)
    try:
        return await asyncio.wait_for(pool.request(b"{}"), 5)
    except AgentCallError as exc:
        return exc
    finally:
        await pool.close()


def test_negative_chunk_sizes_cannot_lower_the_body_cap() -> None:
    # 80 chunks of "-2" took 160 off the count: a 120-byte body passed a 100-byte cap
    body = b"-2\r\n" * 80 + b"78\r\n" + b"A" * 120 + b"\r\n0\r\n\r\n"
    with raw_server(CHUNKED + body) as port:
        answer = asyncio.run(_ask(port, 100))
    assert isinstance(answer, AgentCallError), answer
    assert answer.error_type is ErrorType.INVALID_RESPONSE and "bad chunk size" in str(answer)


@pytest.mark.parametrize(
    "framing",
    [
        b"Transfer-Encoding: chunked\r\n\r\n+2\r\nok\r\n0\r\n\r\n",
        b"Transfer-Encoding: chunked\r\n\r\n0x2\r\nok\r\n0\r\n\r\n",
        b"Transfer-Encoding: chunked\r\n\r\n0_2\r\nok\r\n0\r\n\r\n",
        b"Content-Length: +2\r\n\r\nok",
        b"Content-Length: 0_2\r\n\r\nok",
    ],
)
def test_sizes_that_are_not_plain_digits_are_refused(framing: bytes) -> None:
    with raw_server(b"HTTP/1.1 200 OK\r\n" + framing) as port:
        answer = asyncio.run(_ask(port, 1000))
    assert isinstance(answer, AgentCallError), answer
    assert answer.error_type is ErrorType.INVALID_RESPONSE and "bad HTTP response" in str(answer), str(answer)


def test_plain_hex_chunk_sizes_with_extensions_still_read() -> None:
    with raw_server(
        b"HTTP/1.1 200 OK\r\n" + b"Transfer-Encoding: chunked\r\n\r\n2;x=1\r\nok\r\nA \r\n0123456789\r\n0\r\n\r\n"
    ) as port:
        answer = asyncio.run(_ask(port, 1000))
    assert not isinstance(answer, Exception), answer
    assert answer.status == 200 and answer.body == b"ok0123456789"


@contextmanager
def endless_interim_server() -> Iterator[int]:
    """A server answering every request with "100 Continue" heads, as fast as the client reads them, never the answer."""
    server = socket.create_server(("127.0.0.1", 0))
    heads = b"HTTP/1.1 100 Continue\r\n\r\n" * 4000

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = server.accept()
            conn.recv(65536)
            conn.settimeout(10)
            with conn:
                while True:
                    conn.sendall(heads)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        server.close()
        thread.join(15)


def test_endless_interim_responses_are_a_bad_response() -> None:
    """Old: the event loop spent ~0.4 s at a time cutting heads (10 ticks of 10 ms in 3 s) until the timeout."""

    async def scenario() -> Any:
        with endless_interim_server() as port:
            pool = HttpPool(f"http://127.0.0.1:{port}/", "POST", {}, 1, 2.0, "test-agent")
            try:
                return await asyncio.wait_for(pool.request(b"{}"), 3)
            except (AgentCallError, TimeoutError) as exc:
                return exc
            finally:
                await pool.close()

    answer = asyncio.run(scenario())
    assert isinstance(answer, AgentCallError), repr(answer)  # was: TimeoutError, the whole attempt spent
    assert answer.error_type is ErrorType.INVALID_RESPONSE and "interim (1xx)" in str(answer)


def test_a_status_of_latin1_digits_is_a_bad_response() -> None:
    """ "HTTP/1.1 ²²² OK": isdigit() held and int() raised inside asyncio's data_received (its "fatal error" traceback
    on stderr), and the POST failed as a lost connection instead of a bad answer."""
    with raw_server("HTTP/1.1 \u00b2\u00b2\u00b2 OK\r\nContent-Length: 2\r\n\r\n{}".encode("latin-1")) as port:
        answer = asyncio.run(_ask(port, 1000))
    assert isinstance(answer, AgentCallError), answer
    assert answer.error_type is ErrorType.INVALID_RESPONSE and "bad status line" in str(answer), str(answer)
