"""attack18b: a body sent in one-byte chunks costs the lean client linear time and memory.

The chunked parser cut the buffer after every chunk (``buffer = buffer[end:]``, a copy of the rest) and kept each
chunk as its own object: a 256 KiB read holding ~40,000 one-byte chunks copied ~5 GB and blocked the event loop
for ~1 s, so a 4 MiB answer in one-byte chunks (well under ``max_response_bytes``) took minutes while every
other case's latency paid for it, and the pieces cost ~60 bytes each. Now the parser walks the buffer with an
offset and appends the chunks to one body.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any

from conftest import best_thread_time

from gatekit.agents.http_client import HttpPool, _Connection

BODY_BYTES = 4 * 1024 * 1024


def _serve_tiny_chunks() -> tuple[socket.socket, int]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)

    def answer() -> None:
        conn, _ = listener.accept()
        with conn:
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
            block = b"1\r\nx\r\n" * 65536
            try:
                for _ in range(BODY_BYTES // 65536):
                    conn.sendall(block)
                conn.sendall(b"0\r\n\r\n")
                time.sleep(0.5)
            except OSError:
                pass  # the client gave up

    threading.Thread(target=answer, daemon=True).start()
    return listener, int(listener.getsockname()[1])


def test_a_body_in_one_byte_chunks_is_read_in_linear_time() -> None:
    listener, port = _serve_tiny_chunks()

    async def scenario() -> tuple[Any, float, float]:
        lag = 0.0

        async def ticker() -> None:
            # the loop's own CPU time between two ticks (this thread's): what one read blocked it for, not the
            # seconds a busy machine may leave the process waiting for a core
            nonlocal lag
            while True:
                started = time.thread_time()
                await asyncio.sleep(0.01)
                lag = max(lag, time.thread_time() - started)

        watch = asyncio.create_task(ticker())
        pool = HttpPool(f"http://127.0.0.1:{port}/v1", "POST", {}, 1, 2.0, "test-agent")
        cpu_started = time.thread_time()
        try:
            # only a guard against a hang: a busy machine stretched the ~3 s read past the 30 s this waited before
            response = await asyncio.wait_for(pool.request(b"{}"), 300)
        finally:
            await pool.close()
            watch.cancel()
        return response, lag, time.thread_time() - cpu_started

    try:
        response, lag, cpu = asyncio.run(scenario())
    finally:
        listener.close()
    assert response.status == 200 and response.body == b"x" * BODY_BYTES
    # (~3 s here; 15.6 s when each chunk copied the rest of the buffer)
    assert cpu < 8.0, f"{cpu:.2f} CPU seconds to read {BODY_BYTES:,} bytes in one-byte chunks"
    assert lag < 1.0, f"the event loop was blocked for {lag:.2f} CPU seconds in one read"


def test_one_read_of_many_one_byte_chunks_is_parsed_in_linear_time() -> None:
    """The parser alone, on one read of 160,000 one-byte chunks: thread CPU time, best of three (~0.09 s; ~1.8 s
    when each chunk copied the rest of the buffer)."""
    chunks = 160_000
    data = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1\r\nx\r\n" * chunks + b"0\r\n\r\n"
    loop = asyncio.new_event_loop()
    bodies: list[bytes] = []

    def one_read() -> None:
        connection = _Connection()
        connection.waiter = loop.create_future()
        connection.data_received(data)
        bodies.append(connection.waiter.result().body)

    try:
        seconds = best_thread_time(one_read)
    finally:
        loop.close()
    assert bodies[-1] == b"x" * chunks
    assert seconds < 0.6, f"{seconds:.3f} s of CPU for one read"
