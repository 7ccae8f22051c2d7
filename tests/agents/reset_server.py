"""A raw HTTP server on 127.0.0.1 (a thread) that reads requests in full, counts them, and resets the connection
instead of answering from a given request on: a server that received a chat call and then lost the connection.
"""

from __future__ import annotations

import json
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from contextlib import contextmanager

ANSWER = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": "done"}}]}).encode()


class Counts:
    def __init__(self) -> None:
        self.requests = 0  # requests read in full (head and body)
        self.connections = 0
        self.lock = threading.Lock()


@contextmanager
def reset_server(*, reset_from: int | None, close_after: bool = False) -> Iterator[tuple[str, Counts]]:
    """Answer each request on a connection until its ``reset_from``-th: read that one in full, then reset.

    ``close_after``: close each connection right after its first answer, without saying so (no
    ``Connection: close``), as a server whose keep-alive timeout ran out does.
    """
    counts = Counts()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            sock: socket.socket = self.request
            with counts.lock:
                counts.connections += 1
            reader = sock.makefile("rb")
            number = 0
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                length = next(
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                reader.read(length)
                number += 1
                with counts.lock:
                    counts.requests += 1
                if reset_from is not None and number >= reset_from:  # read it all, then reset: no answer
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    sock.close()
                    return
                sock.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                    % (len(ANSWER), ANSWER)
                )
                if close_after:
                    sock.shutdown(socket.SHUT_RDWR)
                    sock.close()
                    return

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    server = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/v1/chat/completions", counts
    finally:
        server.shutdown()
        server.server_close()
