"""A lean HTTP/1.1 keep-alive client on asyncio protocols, for plain ``http://`` agents.

Why not aiohttp for everything: in the replay benchmark (2,000 cases, concurrency 64, 50 ms agent)
every answer of a round arrives at almost the same moment and is processed serially by one event
loop, so per-request client CPU becomes latency. aiohttp spends ~90 us per request in its client
machinery (request/response objects, a writer task per request, timers, cookie and redirect
handling); even a bare aiohttp loop with no gatekit code stays below 90 % of ideal throughput on
a 2-core machine. This client does one ``transport.write`` of a pre-built request head and parses
the answer in ``data_received``: ~30 us per request. ``https://`` (TLS, certificates) and anything
the user forces with ``agent_options.extra.http_client: aiohttp`` still go through aiohttp.

What it handles: ``Content-Length`` and ``chunked`` bodies, bodies delimited by the server closing
the connection, ``1xx`` interim responses, ``Connection: close`` and HTTP/1.0, gzip/deflate
``Content-Encoding``, a pool of at most ``limit`` connections reused while the server keeps them
alive. An idle connection the server closed (or reset, or wrote to unasked) is found before a request is
written on it — the socket is polled: an idle connection has nothing to read — and a fresh one is taken.
A request is never sent twice unless its method is idempotent: a connection lost after the request was
written may have lost it after the server read it (a chat call started, its cost spent), so for a POST it
is a ``connection`` error that is not retried (``retryable=False``, the message says so); an idempotent
method (GET, PUT, ...) on a reused connection that closed before a byte of the answer is sent again once
on a fresh connection. A cancelled request (the replay's per-attempt timeout) closes its connection: it
cannot be reused mid-response.
A body is capped at ``max_response_bytes`` both as sent and once decompressed (incrementally,
on a worker thread when large), so a compression bomb is an invalid response, not 8 GB of RSS.
"""

from __future__ import annotations

import asyncio
import re
import select
import urllib.parse
import zlib
from typing import Any

from gatekit.agents.base import DEFAULT_MAX_RESPONSE_BYTES, AgentCallError
from gatekit.models import ErrorType
from gatekit.redact import scrub_message_cut

_MAX_HEAD = 64 * 1024
# interim (1xx) responses before the real one: 100 Continue, a few 103 Early Hints. Unbounded, a server streaming
# "100 Continue" heads kept the event loop busy cutting them (0.4 s stalls, every other case's latency with it)
_MAX_INTERIM = 16
_HEX_SIZE = re.compile(rb"[0-9A-Fa-f]{1,64}")
_DECIMAL = re.compile(r"[0-9]{1,64}")
_NO_BODY_STATUSES = (204, 304)
# RFC 9110 9.2.2: sending one of these twice has the effect of sending it once
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"})


class HttpProtocolError(Exception):
    """The server's answer is not valid HTTP/1.x (status line, headers or framing)."""


class ConnectionLost(Exception):
    """The connection closed before a whole response arrived.

    ``sent``: the request was written (it may have reached the server); ``got_bytes``: part of an answer came.
    """

    def __init__(self, message: str, *, got_bytes: bool, sent: bool = True) -> None:
        super().__init__(message)
        self.got_bytes = got_bytes
        self.sent = sent


class Response:
    """A whole HTTP response: status, headers (lower-case names), body bytes."""

    __slots__ = ("status", "headers", "body", "keep_alive")

    def __init__(self, status: int, headers: dict[str, str], body: bytes, keep_alive: bool) -> None:
        self.status = status
        self.headers = headers
        self.body = body
        self.keep_alive = keep_alive


class _Connection(asyncio.Protocol):
    """One keep-alive connection; at most one request in flight."""

    def __init__(self, max_body: int = DEFAULT_MAX_RESPONSE_BYTES) -> None:
        self.max_body = max_body
        self.transport: Any = None
        self.poller: Any = None  # a poll object on the socket: an idle connection the server closed reads as ready
        self.closed = False
        self.waiter: asyncio.Future[Response] | None = None
        self._buffer: bytes | bytearray = b""
        self._got_bytes = False
        # per-response parser state
        self._head: tuple[int, dict[str, str], bool] | None = None
        self._length = -1  # Content-Length; -1 chunked or until close
        self._chunked = False
        self._body = bytearray()  # a chunked body so far
        self._chunk_bytes = 0
        self._interim = 0

    # --- asyncio.Protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport
        sock = transport.get_extra_info("socket")
        if sock is not None and hasattr(select, "poll"):  # asked before the connection is reused (_usable)
            try:
                self.poller = select.poll()
                self.poller.register(sock.fileno(), select.POLLIN | select.POLLPRI)
            except (OSError, ValueError):
                self.poller = None

    def data_received(self, data: bytes) -> None:
        if self.waiter is None or self.waiter.done():
            # bytes nobody asked for: the connection's state is unknown, never reuse it
            self.close()
            return
        self._got_bytes = True
        if not self._buffer:
            self._buffer = data
        elif isinstance(self._buffer, bytearray):
            self._buffer += data  # amortised: a large body arriving in many reads stays linear
        else:
            self._buffer = bytearray(self._buffer) + data
        try:
            self._parse()
        except HttpProtocolError as exc:
            self._fail(exc)
            self.close()
        except Exception as exc:  # noqa: BLE001 - a parser error is the answer's fault: never asyncio's "fatal error"
            self._fail(HttpProtocolError(f"unreadable response ({type(exc).__name__}: {str(exc)[:80]})"))
            self.close()

    def eof_received(self) -> bool:
        self._finish_on_close()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._finish_on_close(exc)

    # --- requests -----------------------------------------------------------------------------

    async def exchange(self, request: bytes) -> Response:
        """Write one request and wait for its whole response."""
        if self.closed or self.transport.is_closing():  # known closed before a byte of the request was written
            raise ConnectionLost(
                "server closed the connection before the request was sent", got_bytes=False, sent=False
            )
        loop = asyncio.get_running_loop()
        self.waiter = waiter = loop.create_future()
        self._got_bytes = False
        self._buffer = b""
        self._head = None
        self._interim = 0
        self.transport.write(request)
        try:
            return await waiter
        finally:
            self.waiter = None

    def close(self) -> None:
        """Close the connection (an in-flight response is abandoned)."""
        self.closed = True
        if self.transport is not None:
            self.transport.close()

    # --- parsing ------------------------------------------------------------------------------

    def _parse(self) -> None:
        while self._head is None:
            end = self._buffer.find(b"\r\n\r\n")
            if end < 0 or end > _MAX_HEAD:  # (a head that came in one read is held to the bound too)
                if len(self._buffer) > _MAX_HEAD:
                    raise HttpProtocolError("response headers larger than 64 KiB")
                return
            head = self._buffer[:end]
            self._buffer = self._buffer[end + 4 :]
            status, headers, keep_alive = _parse_head(head)
            if 100 <= status < 200:
                self._interim += 1
                if self._interim > _MAX_INTERIM:
                    raise HttpProtocolError(f"more than {_MAX_INTERIM} interim (1xx) responses before the answer")
                continue  # interim response (100 Continue, 103 Early Hints): the real one follows
            self._head = (status, headers, keep_alive)
            self._body = bytearray()
            self._chunk_bytes = 0
            encoding = headers.get("transfer-encoding", "")
            self._chunked = "chunked" in encoding.lower()
            if self._chunked:
                self._length = -1
            elif status in _NO_BODY_STATUSES:
                self._length = 0
            elif "content-length" in headers:
                length_text = headers["content-length"]
                if not _DECIMAL.fullmatch(length_text):  # digits only: int() also reads "+5", "1_0", "٣"
                    raise HttpProtocolError(f"bad Content-Length {length_text[:40]!r}")
                self._length = int(length_text)
                if self._length > self.max_body:
                    raise too_large(self.max_body)
            else:
                self._length = -1  # delimited by the server closing the connection
        if self._chunked:
            self._parse_chunks()
        elif self._length < 0 and len(self._buffer) > self.max_body:
            raise too_large(self.max_body)  # delimited by close, and already too long
        elif self._length >= 0 and len(self._buffer) >= self._length:
            body = self._buffer[: self._length]
            self._buffer = self._buffer[self._length :]
            self._complete(body)

    def _parse_chunks(self) -> None:
        # Walks the buffer with an offset and appends to one body: cutting the buffer after every chunk copied
        # the rest each time (a read of one-byte chunks: quadratic, the loop stalled) and a list of pieces cost
        # ~60 bytes per chunk.
        buffer = self._buffer
        at = 0
        try:
            while True:
                line_end = buffer.find(b"\r\n", at)
                if line_end < 0:
                    if len(buffer) - at > _MAX_HEAD:
                        raise HttpProtocolError("chunk size line too long")
                    return
                size_text = buffer[at:line_end].split(b";", 1)[0].strip()
                # hex digits only (RFC 9112 7.1): int(..., 16) also reads "-6", "+a", "0x1f" and "1_0" — a negative
                # size moved the offset backwards (a "-6" after a chunk parsed itself forever, the event loop stuck
                # with no timeout able to fire) or lowered the byte count below the max_response_bytes cap
                if not _HEX_SIZE.fullmatch(size_text):
                    raise HttpProtocolError(f"bad chunk size {bytes(size_text[:20])!r}")
                size = int(size_text, 16)
                if size == 0:
                    # last chunk; optional trailer lines end with an empty line
                    if buffer[line_end : line_end + 4] == b"\r\n\r\n":
                        stop = line_end + 4
                    else:
                        trailer_end = buffer.find(b"\r\n\r\n", line_end)
                        if trailer_end < 0:
                            if len(buffer) - line_end > _MAX_HEAD:  # trailer lines without the closing blank line
                                raise HttpProtocolError("chunked trailers larger than 64 KiB")
                            return
                        stop = trailer_end + 4
                    at = 0
                    self._buffer = buffer[stop:]  # before _complete: bytes left over mean no reuse
                    body, self._body = self._body, bytearray()
                    self._complete(body)
                    return
                start = line_end + 2
                if self._chunk_bytes + size > self.max_body:
                    raise too_large(self.max_body)
                if len(buffer) < start + size + 2:
                    return  # the rest of this chunk is still to come
                if buffer[start + size : start + size + 2] != b"\r\n":
                    raise HttpProtocolError("chunk not followed by CRLF")
                self._body += buffer[start : start + size]
                self._chunk_bytes += size
                at = start + size + 2
        finally:
            if at:
                self._buffer = buffer[at:]

    def _complete(self, body: bytes | bytearray) -> None:
        assert self._head is not None
        status, headers, keep_alive = self._head
        self._head = None
        if self._buffer:  # more bytes than one response: never reuse this connection
            keep_alive = False
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(Response(status, headers, bytes(body), keep_alive))

    def _finish_on_close(self, exc: Exception | None = None) -> None:
        waiter = self.waiter
        if waiter is None or waiter.done():
            return
        if self._head is not None and not self._chunked and self._length < 0 and exc is None:
            self._complete(self._buffer)  # body delimited by the close
            self._buffer = b""
            return
        where = "while reading the response" if self._got_bytes else "before any response"
        reason = f": {exc}" if exc else ""
        waiter.set_exception(ConnectionLost(f"server closed the connection {where}{reason}", got_bytes=self._got_bytes))

    def _fail(self, exc: Exception) -> None:
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)


def _usable(connection: _Connection) -> bool:
    """Whether an idle keep-alive connection can carry a request: open, and nothing to read on it.

    An idle connection has nothing to read: readable means the server closed it (EOF), reset it, or wrote bytes
    nobody asked for — written to, the request would be lost after it left (and, not idempotent, not sent again).
    The event loop learns of a close only when it next runs; the socket is asked directly (one ``poll``).
    """
    if connection.closed or connection.transport is None or connection.transport.is_closing():
        return False
    if connection.poller is None:
        return True
    try:
        return not connection.poller.poll(0)
    except (OSError, ValueError):
        return False


def _parse_head(head: bytes | bytearray) -> tuple[int, dict[str, str], bool]:
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if (
        len(parts) < 2
        or not parts[0].startswith("HTTP/1.")
        or len(parts[1]) != 3
        or not parts[1].isascii()
        or not parts[1].isdigit()
    ):
        raise HttpProtocolError(
            f"bad status line {scrub_message_cut(lines[0], 80)!r}"
        )  # (the server's: scrubbed, then cut)
    status = int(parts[1])
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise HttpProtocolError(f"bad header line {scrub_message_cut(line, 80)!r}")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    connection = headers.get("connection", "").lower()
    keep_alive = "close" not in connection if parts[0] != "HTTP/1.0" else "keep-alive" in connection
    return status, headers, keep_alive


_INLINE_DECODE_BYTES = 4096  # a larger compressed body is inflated on a worker thread
_MAX_GZIP_MEMBERS = 64


class ResponseTooLarge(HttpProtocolError):
    """The body (as sent, or once decompressed) is larger than ``max_response_bytes``."""


def too_large(limit: int, what: str = "response body") -> ResponseTooLarge:
    """The error for a body over the cap, naming the setting that raises it."""
    return ResponseTooLarge(
        f"{what} larger than {limit} bytes; raise agent_options.extra.max_response_bytes if that is expected"
    )


def decode_body(body: bytes, encoding: str, limit: int = DEFAULT_MAX_RESPONSE_BYTES) -> bytes:
    """Undo a gzip/deflate ``Content-Encoding`` into at most ``limit`` bytes.

    Inflates incrementally with zlib's ``max_length``, so a small body that expands to gigabytes
    (a compression bomb) costs at most ``limit + 1`` bytes of memory before it is refused.
    Raises ``HttpProtocolError`` (``ResponseTooLarge`` over the cap) for bad or unknown encodings.
    """
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limit:
            raise too_large(limit)
        return body
    if encoding in ("gzip", "x-gzip"):
        wbits = 16 + zlib.MAX_WBITS
    elif encoding == "deflate":
        # RFC 9110 deflate is zlib-wrapped, but some servers send raw deflate: tell by the header
        zlib_header = len(body) >= 2 and body[0] & 0x0F == 8 and (body[0] * 256 + body[1]) % 31 == 0
        wbits = zlib.MAX_WBITS if zlib_header else -zlib.MAX_WBITS
    else:
        raise HttpProtocolError(
            f"unsupported Content-Encoding {encoding!r}; the agent must send gzip, deflate or no encoding"
        )
    parts: list[bytes] = []
    total = 0
    data = body
    try:
        for _ in range(_MAX_GZIP_MEMBERS):
            inflater = zlib.decompressobj(wbits)
            chunk = inflater.decompress(data, limit - total + 1)
            total += len(chunk)
            if total > limit or inflater.unconsumed_tail:
                raise too_large(limit, "decompressed response body")
            parts.append(chunk)
            if not inflater.eof:
                raise HttpProtocolError(f"cannot decode {encoding} body: truncated")
            data = inflater.unused_data
            if wbits != 16 + zlib.MAX_WBITS or not data.startswith(b"\x1f\x8b"):
                break  # one member (trailing bytes after a deflate stream are ignored, as zlib does)
    except zlib.error as exc:
        raise HttpProtocolError(f"cannot decode {encoding} body: {exc}") from None
    return b"".join(parts)


async def decode_off_loop(body: bytes, encoding: str, limit: int) -> bytes:
    """:func:`decode_body`, on a worker thread when the body is large enough to take time."""
    if len(body) <= _INLINE_DECODE_BYTES or encoding.strip().lower() in ("", "identity"):
        return decode_body(body, encoding, limit)
    return await asyncio.to_thread(decode_body, body, encoding, limit)


class HttpPool:
    """Up to ``limit`` keep-alive connections to one ``http://`` URL."""

    def __init__(
        self,
        url: str,
        method: str,
        headers: dict[str, str],
        limit: int,
        connect_timeout_s: float,
        where: str,
        max_body: int = DEFAULT_MAX_RESPONSE_BYTES,
    ) -> None:
        self.max_body = max_body
        parts = urllib.parse.urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"not a plain http:// URL: {where}")
        self.host = parts.hostname
        self.port = parts.port or 80
        self.where = where
        self.method = method.upper()
        self.connect_timeout_s = connect_timeout_s
        self._limit = asyncio.Semaphore(max(1, limit))
        self._idle: list[_Connection] = []
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        host = f"[{self.host}]" if ":" in self.host else self.host
        host_header = host if parts.port in (None, 80) else f"{host}:{parts.port}"
        lines = [f"{method} {target} HTTP/1.1", f"Host: {host_header}"]
        names = {name.lower() for name in headers}
        defaults = {"user-agent": "gatekit", "accept-encoding": "gzip, deflate", "connection": "keep-alive"}
        lines += [f"{name}: {value}" for name, value in headers.items() if name.lower() != "content-length"]
        lines += [f"{name}: {value}" for name, value in defaults.items() if name not in names]
        for line in lines:
            if "\r" in line or "\n" in line:
                raise ValueError("header values must not contain line breaks")
        self._head = ("\r\n".join(lines) + "\r\nContent-Length: ").encode("latin-1")

    async def request(self, body: bytes) -> Response:
        """Send ``body`` and return the whole response; raise ``AgentCallError`` on failures."""
        async with self._limit:
            request = b"%s%d\r\n\r\n%s" % (self._head, len(body), body)
            idempotent = self.method in IDEMPOTENT_METHODS
            written = False  # the request was written on some connection: it may have reached the server
            for _ in range(2):
                connection = self._take()
                reused = connection is not None
                if connection is None:
                    connection = await self._connect(never_sent=not written)
                try:
                    response = await connection.exchange(request)
                except ConnectionLost as exc:
                    connection.close()
                    written = written or exc.sent
                    if not exc.sent or (reused and not exc.got_bytes and idempotent):
                        continue  # never written (or safe to send twice): once more on a fresh connection
                    if not idempotent:
                        # the server may have read it and started the call (its cost, its side effects): sending
                        # it again could do it twice — the caller sees the error, and it is not retried
                        raise AgentCallError(
                            ErrorType.CONNECTION,
                            f"{self.where}: the connection was lost after the request was sent ({exc}); it may "
                            f"have reached the server, so it is not sent again (a {self.method} is not idempotent)",
                            retryable=False,
                        ) from None
                    raise AgentCallError(ErrorType.CONNECTION, f"{self.where}: {exc}") from None
                except HttpProtocolError as exc:
                    connection.close()
                    raise AgentCallError(
                        ErrorType.INVALID_RESPONSE, f"{self.where}: bad HTTP response: {exc}", retryable=False
                    ) from None
                except BaseException:
                    connection.close()  # cancelled mid-response: the connection cannot be reused
                    raise
                if response.keep_alive and not connection.closed:
                    self._idle.append(connection)
                else:
                    connection.close()
                encoding = response.headers.get("content-encoding")
                if encoding:
                    try:
                        response.body = await decode_off_loop(response.body, encoding, self.max_body)
                    except HttpProtocolError as exc:
                        raise AgentCallError(
                            ErrorType.INVALID_RESPONSE, f"{self.where}: {exc}", retryable=False
                        ) from None
                return response
            raise AgentCallError(
                ErrorType.CONNECTION, f"{self.where}: server keeps closing the connection", never_sent=not written
            )

    def _take(self) -> _Connection | None:
        while self._idle:
            connection = self._idle.pop()
            if _usable(connection):
                return connection
            connection.close()
        return None

    async def _connect(self, *, never_sent: bool = True) -> _Connection:
        """A fresh connection, or an ``AgentCallError``.

        A connect that fails (refused, a name that does not resolve, timed out) carried no request: its error is
        ``never_sent`` unless the caller wrote the request on an earlier connection.
        """
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(self.connect_timeout_s):
                _, connection = await loop.create_connection(lambda: _Connection(self.max_body), self.host, self.port)
        except TimeoutError:
            raise AgentCallError(ErrorType.TIMEOUT, f"{self.where}: connect timed out", never_sent=never_sent) from None
        except OSError as exc:
            raise AgentCallError(
                ErrorType.CONNECTION, f"cannot connect to {self.where}: {exc}", never_sent=never_sent
            ) from None
        return connection

    async def close(self) -> None:
        """Close every idle connection."""
        while self._idle:
            self._idle.pop().close()
        await asyncio.sleep(0)
