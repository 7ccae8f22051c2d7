"""The enforcing proxy (``gatekit guard serve``): OpenAI-compatible chat completions, guarded.

It sits in front of any upstream and enforces the same policy file, through the same
:class:`gatekit.runtime.Enforcer`, as the in-process guard.

One request, in order::

    read the body (≤ max_request_bytes, JSON)        400 / 413
    enforcer.check_request(messages, context)         blocked → policy error or refusal
    forward upstream (one pooled aiohttp session)     502 down / 504 timeout / upstream status
    read the whole answer (streamed answers too)      502 when it is not a chat completion
    enforcer.check_tool_call(...) per proposed call   blocked → the call never reaches the client
    enforcer.check_response(...) per choice           content redacted
    write a new body from the checked parts only      JSON, or server-sent events ending [DONE]

Nothing of an upstream answer reaches the client unchecked: a streamed answer is buffered,
checked and re-emitted; an upstream error becomes a gatekit error without the upstream's body;
any exception inside the proxy fails closed (HTTP 500, ``type: policy_error``). The upstream key
comes from an environment variable and goes only into the upstream request's ``Authorization``
header; the client's own ``Authorization`` is not forwarded unless configured. No header and no
content is ever logged.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import functools
import itertools
import json
import logging
import math
import os
import re
import stat
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gatekit.agents.base import AgentCallError
from gatekit.errors import ConfigError
from gatekit.fmt import noun
from gatekit.models import ErrorType
from gatekit.redact import add_known_secret, mask_request_secrets, request_secrets, scrub, scrub_cut
from gatekit.runtime.decision import PolicyViolation, ReviewRequired
from gatekit.runtime.openai_wire import (
    MAX_CHOICES,
    Completion,
    WireError,
    check_unicode,
    completion_body,
    error_body,
    read_completion,
    read_stream,
    refusal_completion,
    sse_event,
    stream_events,
)
from gatekit.runtime.proxy_metrics import ProxyMetrics

if TYPE_CHECKING:  # aiohttp is imported where it is used: ``gatekit --help`` never pays for it
    from aiohttp import ClientSession, web

    from gatekit.agents.http_client import HttpPool

log = logging.getLogger(__name__)

ON_DENY = ("error", "refusal")
MODES = ("enforce", "evaluate")
EVENT_LOOPS = ("auto", "asyncio", "uvloop")
GC_YOUNG_THRESHOLD = 20_000  # allocations between young-generation collections while serving (Python's default: 700)
CONTEXT_HEADER = "X-Gatekit-Context"
_MAX_USER = 256  # characters of a body's ``user`` kept in the request context
_MAX_CONTEXT_HEADER = 4096
_OFF_LOOP_CHARS = 64 * 1024  # texts longer than this are checked on a worker thread, not on the event loop
_DELIVER_PIECE = 64 * 1024  # an answer longer than this is written in pieces, each taken within --idle-timeout
_HEADER_NAME = re.compile(r"[A-Za-z0-9!#$%&'*+.^_`|~-]{1,128}")  # an HTTP field name (RFC 9110 token)
_CHAT_PATHS = frozenset({"/v1/chat/completions", "/chat/completions"})
_OUTCOMES = ("allow", "allow_with_redaction", "require_review", "deny")
_RANK = {name: rank for rank, name in enumerate(_OUTCOMES)}
_STAGE_WORDS = {"request": "request", "tool_call": "tool call proposed by the model", "response": "response"}


@dataclass(frozen=True)
class ProxySettings:
    """Everything ``gatekit guard serve`` is configured with (flags map one to one)."""

    upstream: str
    policy: Path
    host: str = "127.0.0.1"
    port: int = 8787
    log_to: Path | None = None
    trace_to: Path | None = None
    variant: str | None = None
    agent_version: str | None = None
    on_deny: str = "error"
    mode: str = "enforce"
    upstream_key_env: str = "OPENAI_API_KEY"
    forward_client_auth: bool = False
    context: dict[str, str] = field(default_factory=dict)
    max_request_bytes: int = 4 * 1024 * 1024
    max_response_bytes: int = 16 * 1024 * 1024
    upstream_timeout_s: float = 120.0
    request_read_timeout_s: float = 30.0  # a client's whole body must arrive within this (else 408)
    idle_timeout_s: float = 75.0  # a connection with no whole request head for this long is closed
    connect_timeout_s: float = 10.0
    max_connections: int = 256
    max_in_flight: int = 1024  # chat requests handled at once; more are answered 503 before their body is read
    # names a loopback-bound proxy also answers to in Host (a reverse proxy on the machine passing its own name on)
    allowed_hosts: tuple[str, ...] = ()
    # the header an authenticating gateway in front sets to the user (context.user, per-user budgets): the body's
    # ``user`` and X-Gatekit-Context's are then ignored, and a request without it is refused (401)
    user_header: str | None = None
    # "auto": gatekit's lean keep-alive client for a plain http:// upstream (aiohttp for https://, and when the
    # client's Authorization is forwarded); "aiohttp": one pooled aiohttp ClientSession always
    http_client: str = "auto"
    # "auto": uvloop when it is installed (a faster event loop: ~10 % less proxy CPU per request), else asyncio's
    event_loop: str = "auto"
    # ask a streaming upstream for its token counts (stream_options.include_usage); off (--no-stream-usage) for an
    # upstream that refuses stream_options: the budgets then estimate a streamed answer's tokens from its text
    stream_usage: bool = True

    def checked(self) -> ProxySettings:
        """Raise ``ConfigError`` naming the flag when a setting cannot work."""
        upstream_url(self.upstream)
        if self.on_deny not in ON_DENY:
            raise ConfigError(f"--on-deny: {self.on_deny!r} is not one of {', '.join(ON_DENY)}")
        if self.mode not in MODES:
            raise ConfigError(f"--mode: {self.mode!r} is not one of {', '.join(MODES)}")
        if self.max_in_flight < 1:
            raise ConfigError(f"--max-in-flight: {self.max_in_flight} must be at least 1")
        if not 0 <= self.port <= 65535:
            raise ConfigError(f"--port: {self.port} is not a TCP port (0-65535)")
        if self.event_loop not in EVENT_LOOPS:
            raise ConfigError(f"--loop: {self.event_loop!r} is not one of {', '.join(EVENT_LOOPS)}")
        if self.event_loop == "uvloop" and loop_factory("uvloop") is None:
            raise ConfigError(
                "--loop uvloop: uvloop is not installed (gatekit's fast extra: pip install uvloop), or use --loop auto"
            )
        from gatekit.runtime.labels import variant_problem

        problem = variant_problem(self.variant)
        if problem is not None:
            raise ConfigError(f"--variant: {problem}")
        if self.http_client not in ("auto", "aiohttp"):
            raise ConfigError(f"http_client: {self.http_client!r} is not 'auto' or 'aiohttp'")
        if self.user_header is not None and not _HEADER_NAME.fullmatch(self.user_header):
            raise ConfigError(f"--user-header: {self.user_header[:80]!r} is not an HTTP header name (e.g. X-User-Id)")
        if not self.upstream_key_env.replace("_", "").isalnum():
            raise ConfigError(f"--upstream-key-env: {self.upstream_key_env!r} is not an environment variable name")
        for name, value in (
            ("--upstream-timeout", self.upstream_timeout_s),
            ("--connect-timeout", self.connect_timeout_s),
            ("--read-timeout", self.request_read_timeout_s),
            ("--idle-timeout", self.idle_timeout_s),
        ):
            if not (value > 0 and math.isfinite(value)):  # (inf waited forever: a client or upstream held a slot)
                raise ConfigError(f"{name}: must be a finite number of seconds > 0")
        for name, path in (("--log-to", self.log_to), ("--trace-to", self.trace_to)):
            if path is not None:
                _check_appendable(name, Path(path))
        return self


def _check_appendable(flag: str, path: Path) -> None:
    """Refuse a rows or traces path that can never be written (a folder, FIFO, device, path under a file, no access).

    Once serving, a sink that fails is counted and requests go on; a path that could never work is a
    configuration error at start, not a proxy that serves every request without a production-log row.
    """
    from gatekit.fsio import file_kind, path_too_long
    from gatekit.redact import display_path

    problem = None
    try:
        mode: int | None = os.stat(path).st_mode  # (a symlink is judged by what it points to)
    except OSError as exc:
        too_long = path_too_long(exc)  # (was "cannot listen on 127.0.0.1:8787: File name too long")
        if too_long is not None:
            raise ConfigError(f"{flag} {display_path(too_long)}") from None
        mode = None
    if path.is_dir():
        problem = "is a folder; give a file path such as logs/production.jsonl"
    elif mode is not None and not stat.S_ISREG(mode):  # a FIFO blocks the writer, a device swallows the rows
        problem = f"is {file_kind(mode)}, not a regular file; give a file path such as logs/production.jsonl"
    else:
        folder = path.parent
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # the nearest existing ancestor: the folders below it are created on write
        if not folder.is_dir():
            problem = f"{display_path(folder)} is not a folder"
        elif path.exists() and not os.access(path, os.W_OK):
            problem = "is not writable"
        elif not path.exists() and not os.access(folder, os.W_OK | os.X_OK):
            problem = f"cannot create files in {display_path(folder)}"
    if problem:
        raise ConfigError(f"{flag} {display_path(path)}: {problem}")


def upstream_url(url: str) -> str:
    """The chat-completions URL of an upstream given as a base (``http://host/v1``) or the full URL."""
    from urllib.parse import urlsplit

    from gatekit.redact import redact_url

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"--upstream: {redact_url(url)!r} is not an http(s):// URL (e.g. http://127.0.0.1:8000/v1)")
    if parts.username or parts.password:
        raise ConfigError("--upstream: put no credentials in the URL; the key comes from --upstream-key-env")
    path = parts.path.rstrip("/")
    if not path.endswith("/chat/completions"):
        path += "/chat/completions"
    return parts._replace(path=path, fragment="").geturl()


class _Reply(Exception):
    """A finished error answer raised out of the request path (the client gets it as JSON)."""

    def __init__(
        self,
        status: int,
        message: str,
        kind: str,
        code: str,
        metric: str | None = None,
        row_error: str | None = None,
        retry_after: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.body = error_body(message, kind, code)
        self.metric = metric  # the error kind counted in /metrics
        self.row_error = row_error  # the production-log row's ``error``
        self.retry_after = retry_after
        self.never_sent = False  # an upstream error before the request was written (a refused connect): nothing spent


@dataclass
class _Exchange:
    """One request as the proxy handles it."""

    request_id: str
    started: float
    stream: bool = False
    stream_usage: bool = False  # the client asked for the usage chunk of a stream (stream_options.include_usage)


class GuardProxy:
    """The proxy: an aiohttp application around one :class:`gatekit.runtime.Enforcer`."""

    def __init__(
        self, settings: ProxySettings, enforcer: Any, *, upstream_key: str | None = None, batches: tuple[Any, ...] = ()
    ) -> None:
        self.settings = settings.checked()
        self.enforcer = enforcer
        self._batches = batches  # the batched trace / row files (proxy_sinks): attached to the loop, closed on stop
        self.url = upstream_url(settings.upstream)
        self.metrics = ProxyMetrics()
        self.metrics.sinks = {batch.kind: batch for batch in batches}
        self._key = upstream_key
        # request ids: 32 hex characters, a random prefix per proxy and a counter, like the enforcer's own ids
        # (no getrandom syscall per request, as uuid4 made)
        self._id_prefix = uuid.uuid4().hex[:16]
        self._ids = itertools.count(1)
        self._outcomes: dict[str, int] = {}  # request id -> rank of its strongest outcome so far
        self._observer = getattr(enforcer, "on_decision", None)  # a caller's own observer keeps seeing decisions
        enforcer.on_decision = self._on_decision
        self._session: ClientSession | None = None
        self._pool: HttpPool | None = None
        self._loopback = _loopback_name(settings.host)  # served on loopback only: a Host naming another is refused
        self._allowed_hosts = frozenset(name.strip().lower().rstrip(".") for name in settings.allowed_hosts)
        if upstream_key is not None and (
            upstream_key != upstream_key.strip() or not upstream_key.isprintable() or not upstream_key.isascii()
        ):  # (a header value is ASCII: a key with "✓" failed every request, or the start with a traceback)
            raise ConfigError(
                f"the upstream key in ${settings.upstream_key_env} has spaces, line breaks, control or non-ASCII "
                "characters"
            )
        self._runner: web.ServerRunner | None = None
        from aiohttp import web as aiohttp_web  # the proxy cannot serve without it; imported when one is built

        self._web = aiohttp_web
        self._upstream_headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
        if upstream_key:
            # with --forward-client-auth the client's own Authorization goes upstream *instead*: a client that sends
            # none is not given the operator's key (it would spend it unauthenticated); the key is still masked
            if not settings.forward_client_auth:
                self._upstream_headers["Authorization"] = f"Bearer {upstream_key}"
            # an upstream echoing the key into a model or tool name must not get it into rows and traces either
            add_known_secret(upstream_key)

    @classmethod
    def from_settings(cls, settings: ProxySettings) -> GuardProxy:
        """Load the policy into an Enforcer and read the upstream key from the environment.

        Traces and rows are built and encoded on the enforcer's background writer thread (``background=True``:
        ~85 us per request that the event loop no longer spends; measured side by side, added p99 12.6 vs
        18.0 ms, throughput 91 vs 88 % of direct) and go to batched files (:mod:`gatekit.runtime.proxy_sinks`):
        one ``write(2)`` per batch a few milliseconds later; on stop the writer thread runs everything queued,
        then the files are flushed, so every finished request's row is on disk when ``stop`` returns.
        """
        from gatekit.runtime import Enforcer
        from gatekit.runtime.proxy_sinks import RowFile, TraceFile

        settings.checked()
        traces = TraceFile(settings.trace_to) if settings.trace_to is not None else None
        rows = RowFile(settings.log_to) if settings.log_to is not None else None
        enforcer = Enforcer.from_file(
            settings.policy,
            trace_to=traces,
            log_to=rows,
            variant=settings.variant,
            agent_version=settings.agent_version,
            mode="evaluate" if settings.mode == "evaluate" else "enforce",
            source="proxy",
            background=True,  # traces and rows built on the enforcer's writer thread, not on the event loop
        )
        batches = tuple(sink.batch for sink in (traces, rows) if sink is not None)
        return cls(settings, enforcer, upstream_key=os.environ.get(settings.upstream_key_env) or None, batches=batches)

    # --- application ---------------------------------------------------------------------------------

    def server(self) -> web.Server:
        """The aiohttp low-level server: four routes dispatched by hand (no router, no middleware).

        The proxy's own CPU per request is what its throughput is made of; aiohttp's application layer
        (router, middleware chain, signals) adds work without adding a check.
        """
        from aiohttp import web

        # keepalive_timeout closes a connection idle for that long — also one that never finished its request head
        # (aiohttp's default, 3630 s, let a client trickling header bytes hold a connection for an hour).
        # handler_cancellation: a client that closes its connection cancels its request — the upstream exchange is
        # closed (no answer generated and billed for nobody) and the --max-in-flight slot is freed at once; without
        # it the request ran on until the upstream answered, holding the slot (up to --upstream-timeout)
        return web.Server(
            self._dispatch,
            access_log=None,
            logger=_ServerLog(),  # type: ignore[arg-type]
            keepalive_timeout=self.settings.idle_timeout_s,
            handler_cancellation=True,
        )

    async def start(self, host: str | None = None, port: int | None = None) -> int:
        """Serve in the running event loop; return the bound port (``port=0`` picks a free one)."""
        from aiohttp import web

        await self._open_session()
        for batch in self._batches:
            batch.attach(asyncio.get_running_loop())
        self._runner = web.ServerRunner(self.server(), handle_signals=False, shutdown_timeout=10.0)
        await self._runner.setup()
        site = web.TCPSite(
            self._runner, host or self.settings.host, self.settings.port if port is None else port, backlog=1024
        )
        try:
            await site.start()
        except BaseException:
            await self.stop()
            raise
        server = site._server  # the bound socket tells the port when 0 was asked for
        sockets = getattr(server, "sockets", None) or []
        return int(sockets[0].getsockname()[1]) if sockets else int(self.settings.port)

    async def stop(self) -> None:
        """Stop serving (requests in flight finish, up to 10 s), close the upstream session and the sinks."""
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        await self._close_session()

    async def _open_session(self) -> None:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=self.settings.max_connections, ttl_dns_cache=300)
        timeout = aiohttp.ClientTimeout(
            total=self.settings.upstream_timeout_s, sock_connect=self.settings.connect_timeout_s
        )
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=timeout, cookie_jar=aiohttp.DummyCookieJar(), trust_env=False
        )
        if self.url.startswith("http://") and self.settings.http_client == "auto":
            from gatekit.agents.http_client import HttpPool

            self._pool = HttpPool(
                self.url,
                "POST",
                self._upstream_headers,
                self.settings.max_connections,
                self.settings.connect_timeout_s,
                _shown_url(self.url),
                max_body=self.settings.max_response_bytes,
            )

    async def _close_session(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        close = getattr(self.enforcer, "close", None)
        if callable(close):
            close()
        for batch in self._batches:  # every finished request's row and traces are on disk before stop returns
            batch.attach(None)
            batch.close()

    # --- routes ------------------------------------------------------------------------------------------

    async def _dispatch(self, request: web.BaseRequest) -> web.StreamResponse:
        path, method = request.path, request.method
        if path in _CHAT_PATHS:
            if method != "POST":
                return self._json_reply(405, error_body("use POST", "invalid_request_error", "method_not_allowed"))
            return await self._chat_fail_closed(request)
        if path == "/metrics" and method in ("GET", "HEAD"):
            return self._metrics()
        if path == "/healthz" and method in ("GET", "HEAD"):
            return self._health()
        return self._json_reply(404, error_body(f"no route {path[:100]!r}", "invalid_request_error", "not_found"))

    def _metrics(self) -> web.Response:
        from aiohttp import web

        payload, content_type = self.metrics.render()
        return web.Response(body=payload, headers={"Content-Type": content_type})

    def _health(self) -> web.Response:
        body = {"status": "ok", "upstream": _shown_url(self.url), "mode": self.settings.mode}
        return self._json_reply(200, body)

    def _json_reply(self, status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
        return self._web.Response(
            status=status,
            body=json.dumps(body, ensure_ascii=False, allow_nan=False).encode(),
            content_type="application/json",
            headers=headers,
        )

    async def _chat_fail_closed(self, request: web.BaseRequest) -> web.StreamResponse:
        """Any exception while handling a chat request: HTTP 500 ``policy_error``, nothing of the upstream.

        The answer carries the request's ``X-Gatekit-Request-Id`` (its production-log row has the same id).
        """
        exchange = _Exchange(request_id=f"{self._id_prefix}{next(self._ids):016x}", started=time.perf_counter())
        try:
            return await self._chat(request, exchange)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - fail closed: no upstream content, a policy error instead
            log.error("guard failure (request withheld): %s", type(exc).__name__)
            self.metrics.error("guard_failure")
            self.metrics.request(500)
            message = "the guard failed while handling this request; nothing was passed on (fail closed)"
            headers = {"X-Gatekit-Request-Id": exchange.request_id}
            return self._json_reply(500, error_body(message, "policy_error", "guard_failure"), headers)

    # --- the chat-completions path ---------------------------------------------------------------------

    def _allowed_host(self, host: str) -> bool:
        name = host.strip().lower()
        if ":" in name and not name.endswith("]"):
            name = name.rsplit(":", 1)[0]
        return name.rstrip(".") in self._allowed_hosts

    def _from_a_web_page(self, request: web.BaseRequest) -> _Reply | None:
        """A 403 for a chat request a browser sent on a web page's behalf, else None.

        The proxy holds the upstream key, so any page a user of the machine opens could spend it: a browser sends a
        cross-site ``POST`` with a ``text/plain`` body without asking first (no CORS preflight), and a page whose
        name is re-pointed at 127.0.0.1 (DNS rebinding) can even read the answers. Browsers name the page in
        ``Origin`` (API clients and SDKs send none), and a rebound page's requests carry its own name in ``Host``:
        a request with an ``Origin``, or — on a loopback address — a ``Host`` that is not a loopback name, is refused.
        """
        if request.headers.get("Origin") is not None:
            return _Reply(
                403, "requests from web pages (an Origin header) are not served: the proxy spends its upstream key",
                "invalid_request_error", "forbidden_origin", "bad_request", "bad_request",
            )  # fmt: skip
        host = request.headers.get("Host")  # (an HTTP/1.0 client may send none: no page's name either)
        if self._loopback and host is not None and not _loopback_name(host) and not self._allowed_host(host):
            return _Reply(
                403, "the proxy listens on a loopback address: the Host header must name it (localhost, 127.0.0.1, --allow-host)",
                "invalid_request_error", "forbidden_host", "bad_request", "bad_request",
            )  # fmt: skip
        return None

    async def _chat(self, request: web.BaseRequest, exchange: _Exchange) -> web.StreamResponse:
        foreign = self._from_a_web_page(request)
        if foreign is not None:  # spending the upstream key for a web page the user happens to visit: refused
            self._record_refused("bad_request", exchange)
            return self._error_reply(foreign, exchange)
        if self.metrics.in_flight >= self.settings.max_in_flight:
            # every request in flight holds its body and answer (up to 4 + 16 MiB): beyond the bound, refused at once,
            # before its body is read, so a flood of connections cannot grow the proxy's memory without end
            reply = _Reply(
                503, f"the guard is handling {self.settings.max_in_flight} {noun(self.settings.max_in_flight, 'request')}; retry shortly",
                "server_error", "overloaded", "overloaded", "overloaded", "1",
            )  # fmt: skip
            self._record_refused("overloaded", exchange)
            return self._error_reply(reply, exchange)
        self.metrics.enter()
        opened = False  # the request's scope is open: it writes the row, errors included
        try:
            try:
                raw, body = await self._read_body(request)
                context = self._context(request, body)
            except _Reply as reply:  # not a request the guard could judge: counted, and a row with its error
                self._record_refused(reply.row_error or "bad_request", exchange)
                return self._error_reply(reply, exchange)
            except asyncio.CancelledError:  # the client went away before its whole body arrived
                self._cancelled(request)
                self._record_refused(self._cancel_reason(request), exchange)
                raise
            exchange.stream = body.get("stream") is True
            self._outcomes[exchange.request_id] = -1
            client_auth = request.headers.get("Authorization") if self.settings.forward_client_auth else None
            scope = self.enforcer.request({"messages": body["messages"]}, context, request_id=exchange.request_id)
            # the client's token goes upstream: an upstream echoing it must not get it into this request's answer,
            # row, traces or spans (masked for this request only, never compared with another client's data)
            masked = request_secrets(client_auth) if client_auth else contextlib.nullcontext()
            with masked, scope:  # one production-log row per request, written on exit (errors included)
                opened = True
                try:
                    response = await self._guarded(request, scope, raw, body, exchange, client_auth)
                except _Reply as reply:
                    scope.fail(reply.row_error or "proxy_error")
                    return self._error_reply(reply, exchange)
                except asyncio.CancelledError:  # the client closed its connection: the upstream call was cancelled
                    self._cancelled(request)
                    scope.fail(self._cancel_reason(request))
                    raise
            # the row is written; the answer is handed over while the request still holds its --max-in-flight slot
            return await self._deliver(request, response)
        except Exception:
            if not opened:  # the 500 guard_failure of _chat_fail_closed: before the scope opened, its row is here
                self._record_refused("guard_failure", exchange)
            raise
        finally:
            self._outcomes.pop(exchange.request_id, None)
            self.metrics.leave()

    async def _deliver(self, request: web.BaseRequest, response: web.StreamResponse) -> web.StreamResponse:
        """Write a large answer here, piece by piece: a client that stops taking it is disconnected.

        aiohttp writes a returned answer after the handler is done, with no time limit: a client that never read
        kept its connection, and the whole answer (up to 16 MiB) in memory, for as long as it liked — past every
        bound (the answer's --max-in-flight slot was already free). Here each 64 KiB piece must be taken within
        --idle-timeout, and the request keeps its slot until the answer is written; a small answer (one piece) is
        returned whole, as before (the socket's buffers take it).
        """
        body = response.body if isinstance(response, self._web.Response) else None
        if not isinstance(body, bytes) or len(body) <= _DELIVER_PIECE:
            return response
        stream = self._web.StreamResponse(status=response.status, headers=response.headers)
        stream.content_length = len(body)
        view = memoryview(body)
        seconds = self.settings.idle_timeout_s
        try:
            async with asyncio.timeout(seconds):
                await stream.prepare(request)
            for at in range(0, len(body), _DELIVER_PIECE):
                async with asyncio.timeout(seconds):
                    await stream.write(view[at : at + _DELIVER_PIECE])
            async with asyncio.timeout(seconds):
                await stream.write_eof()
        except (TimeoutError, ConnectionError) as exc:
            stalled = isinstance(exc, TimeoutError)
            if stalled:  # (a client that closed the connection is not worth a line)
                log.warning("a client took no part of its answer for %g s: connection closed", seconds)
            transport = request.transport
            if transport is not None:
                transport.abort()  # the unsent rest of the answer is dropped with the connection
        return stream

    def _cancelled(self, request: web.BaseRequest) -> None:
        if self._cancel_reason(request) == "client_closed":
            self.metrics.error("client_closed")

    @staticmethod
    def _cancel_reason(request: web.BaseRequest) -> str:
        """Why a request was cancelled: its client closed the connection, or the proxy is stopping."""
        transport = request.transport
        return "client_closed" if transport is None or transport.is_closing() else "cancelled"

    async def _guarded(
        self,
        request: web.BaseRequest,
        scope: Any,
        raw: bytes,
        body: dict[str, Any],
        exchange: _Exchange,
        client_auth: str | None = None,
    ) -> web.StreamResponse:
        try:
            if len(raw) <= _OFF_LOOP_CHARS:
                checked = scope.check_request()
            else:
                checked = await self._off_loop(scope.check_request)
        except PolicyViolation as exc:
            return await self._blocked(request, scope, exchange, exc, {"model": body.get("model")})
        # forwarded from the value the guard judged, never the client's bytes: JSON text can hold what a parser
        # drops (a duplicate key's first value) and an upstream's parser might keep instead
        messages = checked["messages"] if isinstance(checked, dict) and "messages" in checked else body["messages"]
        forwarded = {**body, "messages": messages}
        if exchange.stream:
            options = body.get("stream_options")
            exchange.stream_usage = isinstance(options, dict) and options.get("include_usage") is True
            if self.settings.stream_usage:
                forwarded["stream_options"] = _stream_options(options)
        payload = _dumps(forwarded).encode()
        # from here the model may spend tokens: a request whose answer is never judged (the client leaves, the answer
        # is lost, too large, invalid) counts its prompt, estimated, on the token budgets (unknown is not zero)
        scope.note_sent()
        try:
            answer = await self._call_upstream(payload, client_auth, exchange)
        except _Reply as reply:
            if reply.never_sent:
                scope.note_sent(False)
            raise
        if len(answer) <= _OFF_LOOP_CHARS:
            completion = self._read_answer(answer, exchange.stream)
        else:  # 16 MiB of small stream events is seconds of parsing: never on the loop every other request waits on
            completion = await self._off_loop(self._read_answer, answer, exchange.stream)
        try:
            if len(answer) <= _OFF_LOOP_CHARS:
                self._check_completion(scope, completion)
            else:
                await self._off_loop(self._check_completion, scope, completion)
        except PolicyViolation as exc:
            return await self._blocked(request, scope, exchange, exc, completion.meta)
        return await self._send(request, exchange, completion)

    @staticmethod
    async def _off_loop(fn: Any, *args: Any) -> Any:
        """Run a check of a large text on a worker thread (a short one takes microseconds: it runs on the loop).

        The check runs in a copy of the request's context: what it records is masked as the request's own.
        """
        job = functools.partial(contextvars.copy_context().run, fn, *args)
        future = asyncio.get_running_loop().run_in_executor(None, job)
        try:
            return await asyncio.shield(future)
        except asyncio.CancelledError:
            # the client went away mid-check: the check still runs on its thread, on the request's scope — the
            # scope (its row) is finished only once the check is done with it
            await asyncio.wait([future])
            raise

    def _check_completion(self, scope: Any, completion: Completion) -> None:
        """Every proposed tool call, then each choice's content, through the enforcer; rewrite in place."""
        usage = completion.token_counts()
        if usage["input_tokens"] is None or usage["output_tokens"] is None:
            # unknown is not zero: the token budgets estimate it from the text (their trace says so); counted here
            self.metrics.usage_unreported()
        scope.note_response(usage, completion.model)  # a denied tool call's row still names the model and tokens
        # what is handed on (or quoted in a refusal) never carries the key: the model, the id, the fingerprint;
        # no rule judges these strings, so they are scrubbed as the row's model is (personal data, credentials)
        for meta_key, meta_value in list(completion.meta.items()):
            if isinstance(meta_value, str):
                completion.meta[meta_key] = scrub(self._unkeyed(meta_value)) or ""
        for number, choice in enumerate(completion.choices):
            if number:  # each choice is a response of its own: its calls are counted and judged together apart
                scope.next_response()
            parsed = [call.parsed_arguments() for call in choice.tool_calls]
            for call, arguments in zip(choice.tool_calls, parsed, strict=True):
                scope.check_tool_call(call.name, arguments)  # DENY raises before anything is sent
            calls = [{"name": c.name, "arguments": a} for c, a in zip(choice.tool_calls, parsed, strict=True)]
            # the completion's usage is one for all its choices: counted once (budgets), with the last choice; the
            # others count none of it (0, never unknown: unknown is estimated), or, when the upstream reported no
            # output count, their own output, estimated from their text (the prompt is still counted once)
            last = number == len(completion.choices) - 1
            shown = (
                usage
                if last
                else {"input_tokens": 0, "output_tokens": 0 if usage["output_tokens"] is not None else None}
            )
            result = scope.check_response(choice.content or "", calls, shown, model=completion.model)
            if isinstance(result, dict):  # enforce mode: the response to hand on (redacted)
                output = result.get("output")
                allowed = result.get("tool_calls") or []
            else:  # evaluate mode hands back what came in
                output, allowed = result, calls
            if not isinstance(output, str) or len(allowed) != len(calls):
                raise RuntimeError("the guard returned a response of another shape")  # fail closed
            if choice.content is not None or output:
                choice.content = self._unkeyed(output)
            for call, before, after in zip(choice.tool_calls, parsed, allowed, strict=True):
                arguments = after.get("arguments") if isinstance(after, dict) else before
                # written back from the value the guard judged, never the model's text: JSON text can hold
                # what a parser drops (a duplicate key's first value), which the guard never saw
                call.arguments = self._unkeyed(arguments if isinstance(arguments, str) else _dumps(arguments))
                # judged on the name the model wrote; handed on as the id is: no rule scans a name for personal data or
                # credentials (a deny-list lets "key_AKIA..." through), so they are replaced by their type, as in the row
                call.name = scrub(self._unkeyed(call.name)) or ""
                if call.id:
                    call.id = scrub(self._unkeyed(call.id)) or ""

    def _unkeyed(self, text: str) -> str:
        """``text`` without the upstream key nor the request's forwarded client token (an upstream echoing either)."""
        key = self._key
        text = text.replace(key, "***") if key and len(key) >= 8 and key in text else text
        return mask_request_secrets(text)

    def _on_decision(self, decision: Any) -> None:
        """Every decision of the enforcer: metrics, and the strongest outcome of its request so far."""
        self.metrics.decision(
            decision.stage, decision.outcome, decision.rule_ids, decision.decision_latency_us / 1_000_000
        )
        rank = _RANK.get(decision.outcome, 3)
        current = self._outcomes.get(decision.request_id)
        if current is not None and rank > current:
            self._outcomes[decision.request_id] = rank
        if self._observer is not None:
            self._observer(decision)

    # --- reading the request ---------------------------------------------------------------------------

    async def _read_body(self, request: web.BaseRequest) -> tuple[bytes, dict[str, Any]]:
        from aiohttp.http_exceptions import DecompressSizeError, PayloadEncodingError

        seconds = self.settings.request_read_timeout_s
        try:
            async with asyncio.timeout(seconds):  # a body trickled byte by byte (slowloris) holds nothing for long
                raw = await self._read_raw(request)
        except TimeoutError:
            raise _Reply(
                408, f"request body not received within {seconds:g} s", "invalid_request_error", "request_timeout",
                "bad_request", "bad_request",
            ) from None  # fmt: skip
        except ConnectionError:  # the client went away mid-body: its error, not the guard's (no 500 guard_failure)
            raise _Reply(
                400, "request body was cut short: the client closed the connection", "invalid_request_error",
                "bad_body_encoding", "bad_request", "bad_request",
            ) from None  # fmt: skip
        except (self._web.RequestPayloadError, PayloadEncodingError) as exc:  # aiohttp wraps the parser's error
            if isinstance(exc, DecompressSizeError) or isinstance(exc.__cause__, DecompressSizeError):
                raise _body_too_large(self.settings.max_request_bytes) from None  # grows past what is decompressed
            # the client's error: a body whose Content-Encoding does not decode (gzip, deflate), or cut short
            raise _Reply(
                400, "request body could not be read: its Content-Encoding does not decode or it was cut short",
                "invalid_request_error", "bad_body_encoding", "bad_request", "bad_request",
            ) from None  # fmt: skip
        return raw, self._parse_body(raw)

    async def _read_raw(self, request: web.BaseRequest) -> bytes:
        limit = self.settings.max_request_bytes
        length = request.content_length
        if length is not None and length > limit:
            raise _body_too_large(limit)
        if request.version >= (1, 1) and request.headers.get("Expect", "").lower() == "100-continue":
            # the client waits for this before it sends the body (curl: ~1 s, then sends anyway; some never do);
            # aiohttp's low-level server leaves it to the handler. Sent once the length is known to fit.
            await request.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        if length is not None and "Content-Encoding" not in request.headers:
            raw = await request.content.read()  # the parser stops at Content-Length: bounded already
        else:  # chunked or compressed: count what arrives (decompressed) against the limit
            chunks: list[bytes] = []
            total = 0
            async for chunk in request.content.iter_any():
                total += len(chunk)
                if total > limit:
                    raise _body_too_large(limit)
                chunks.append(chunk)
            raw = b"".join(chunks)
        return raw

    @staticmethod
    def _parse_body(raw: bytes) -> dict[str, Any]:
        try:
            body = _request_json(raw)
        except (ValueError, RecursionError) as exc:
            what = "nested too deeply" if isinstance(exc, RecursionError) else "not valid JSON"
            if isinstance(exc, _NotForwardable):
                what = str(exc)
            raise _Reply(
                400, f"request body is {what}", "invalid_request_error", "bad_json", "bad_request", "bad_request"
            ) from None
        if not isinstance(body, dict):
            raise _Reply(
                400, "request body must be a JSON object", "invalid_request_error", "bad_json", "bad_request", "bad_request"
            )  # fmt: skip
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages or not all(isinstance(m, dict) for m in messages):
            raise _Reply(
                400, "'messages' must be a non-empty list of message objects", "invalid_request_error",
                "bad_messages", "bad_request", "bad_request",
            )  # fmt: skip
        if "stream" in body and not isinstance(body["stream"], bool):
            raise _Reply(
                400, "'stream' must be true or false", "invalid_request_error", "bad_stream", "bad_request", "bad_request"
            )  # fmt: skip
        choices = _number(body.get("n"))
        if choices is not None and choices > MAX_CHOICES:
            # the proxy checks at most MAX_CHOICES choices: asked for more, the upstream would generate (and bill)
            # them all for an answer the proxy must refuse (502) — refused here, before anything is spent
            raise _Reply(
                400, f"'n' must be at most {MAX_CHOICES}: the guard checks at most {MAX_CHOICES} choices of an answer",
                "invalid_request_error", "bad_n", "bad_request", "bad_request",
            )  # fmt: skip
        return body

    def _context(self, request: web.BaseRequest, body: dict[str, Any]) -> dict[str, Any]:
        """The request context: the body's ``user``, the context header, ``--user-header``, then ``--context``.

        The server's values win: a client cannot move itself out of ``env=production`` by a header.
        """
        context: dict[str, Any] = {}
        if isinstance(body.get("user"), str):
            # scrubbed before the cut: a cut through an e-mail address ("jane.doe@exa") is no longer found by the
            # detectors, and the row and the trace would carry its first part
            user = body["user"]
            context["user"] = user if len(user) <= _MAX_USER else scrub_cut(user, _MAX_USER)
        header = request.headers.get(CONTEXT_HEADER)
        if header:
            bad = _Reply(
                400, f"{CONTEXT_HEADER} must be a JSON object of plain values, at most {_MAX_CONTEXT_HEADER} characters",
                "invalid_request_error", "bad_context", "bad_request", "bad_request",
            )  # fmt: skip
            if len(header) > _MAX_CONTEXT_HEADER:
                raise bad
            try:
                extra = _STRICT.decode(header)
            except (ValueError, RecursionError):
                raise bad from None
            if not isinstance(extra, dict) or not all(
                isinstance(v, str | int | float | bool) or v is None for v in extra.values()
            ):
                raise bad
            context.update(extra)
        if self.settings.user_header is not None:
            # the user as an authenticating gateway in front named it: the body's ``user`` and the context header
            # are the client's word, and a per-user budget keyed on them is one a client steps around by omitting
            # or changing them; without the header no per-user budget could apply, so the request is refused
            trusted = request.headers.get(self.settings.user_header, "").strip()
            if not trusted:
                raise _Reply(
                    401, f"the {self.settings.user_header} header naming the user is missing",
                    "invalid_request_error", "missing_user", "bad_request", "bad_request",
                )  # fmt: skip
            context["user"] = trusted if len(trusted) <= _MAX_USER else scrub_cut(trusted, _MAX_USER)
        context.update(self.settings.context)
        return context

    # --- the upstream --------------------------------------------------------------------------------------

    async def _call_upstream(self, payload: bytes, client_auth: str | None, exchange: _Exchange) -> bytes:
        import aiohttp

        if self._pool is not None and not client_auth:
            return await self._call_pool(self._pool, payload)
        if self._session is None:
            raise RuntimeError("the upstream session is not open")
        headers = self._upstream_headers
        if client_auth:
            headers = {**headers, "Authorization": client_auth}
        limit = self.settings.max_response_bytes
        started = time.perf_counter()
        try:
            async with self._session.post(self.url, data=payload, headers=headers, allow_redirects=False) as resp:
                if not 200 <= resp.status < 300:
                    resp.release()
                    raise _upstream_status(resp.status, resp.headers.get("Retry-After"))
                chunks: list[bytes] = []
                total = 0
                async for chunk in resp.content.iter_chunked(64 * 1024):
                    total += len(chunk)
                    if total > limit:
                        raise self._too_large()
                    chunks.append(chunk)
        except _Reply:
            raise
        except TimeoutError:
            raise self._timeout() from None
        except aiohttp.ClientResponseError:
            # (raise_for_status is off: never a status) an answer aiohttp cannot read as HTTP — a header line over
            # 8 KiB, Content-Length with Transfer-Encoding, a Content-Encoding it cannot decode: the upstream answered,
            # so it is upstream_invalid, as the lean client says of the same answer, not "could not be reached"
            raise self._not_http() from None
        except aiohttp.ClientPayloadError as exc:
            from aiohttp.http_exceptions import ContentEncodingError

            if isinstance(exc.__cause__, ContentEncodingError):  # a body its Content-Encoding does not decode
                raise self._not_http() from None
            log.warning("upstream %s unreachable: %s", _shown_url(self.url), type(exc).__name__)
            raise self._unreachable() from None  # cut short: the connection was lost mid-answer
        except (aiohttp.ClientError, OSError) as exc:
            log.warning("upstream %s unreachable: %s", _shown_url(self.url), type(exc).__name__)
            reply = self._unreachable()
            reply.never_sent = isinstance(exc, aiohttp.ClientConnectorError)  # no connection: no request
            raise reply from None
        finally:
            self.metrics.upstream(time.perf_counter() - started)
        return b"".join(chunks)

    async def _call_pool(self, pool: HttpPool, payload: bytes) -> bytes:
        """The same exchange on the lean keep-alive client (``http_client: auto`` and a plain http:// upstream)."""
        started = time.perf_counter()
        try:
            async with asyncio.timeout(self.settings.upstream_timeout_s):
                response = await pool.request(payload)
        except TimeoutError:
            raise self._timeout() from None
        except AgentCallError as exc:
            if exc.error_type is ErrorType.TIMEOUT:
                raise self._timeout() from None
            if exc.error_type is ErrorType.CONNECTION:
                log.warning("upstream %s unreachable", _shown_url(self.url))
                reply = self._unreachable()
                reply.never_sent = exc.never_sent
                raise reply from None
            if "body larger than" in str(exc):  # (headers over 64 KiB are not valid HTTP here, not a body too large)
                raise self._too_large() from None
            raise self._not_http() from None
        finally:
            self.metrics.upstream(time.perf_counter() - started)
        if not 200 <= response.status < 300:
            raise _upstream_status(response.status, response.headers.get("retry-after"))
        return response.body

    def _timeout(self) -> _Reply:
        return _Reply(
            504, f"the upstream did not answer within {self.settings.upstream_timeout_s:g} s",
            "upstream_error", "upstream_timeout", "upstream_timeout", "timeout",
        )  # fmt: skip

    @staticmethod
    def _not_http() -> _Reply:
        return _Reply(
            502, "the upstream's answer is not valid HTTP; it was not passed on",
            "upstream_error", "upstream_invalid", "upstream_invalid", "invalid_response",
        )  # fmt: skip

    @staticmethod
    def _unreachable() -> _Reply:
        return _Reply(
            502, "the upstream could not be reached or closed the connection",
            "upstream_error", "upstream_unreachable", "upstream_connect", "connection",
        )  # fmt: skip

    def _too_large(self) -> _Reply:
        return _Reply(
            502, f"the upstream answer is over {self.settings.max_response_bytes} bytes; it was not passed on",
            "upstream_error", "upstream_too_large", "upstream_invalid", "invalid_response",
        )  # fmt: skip

    def _read_answer(self, raw: bytes, stream: bool) -> Completion:
        try:
            completion = read_stream(raw) if stream else read_completion(_strict_json(raw))
            if _SURROGATE_ESCAPE.search(raw) is not None:  # (an escaped emoji too: checked, then passed)
                check_unicode(completion)
            return completion
        except (WireError, ValueError, RecursionError) as exc:
            reason = str(exc) if isinstance(exc, WireError) else "the answer is not JSON"
            raise _Reply(
                502, f"the upstream answer is not a chat completion ({reason}); it was not passed on",
                "upstream_error", "upstream_invalid", "upstream_invalid", "invalid_response",
            ) from None  # fmt: skip

    # --- answers -------------------------------------------------------------------------------------------

    def _headers(self, exchange: _Exchange) -> dict[str, str]:
        headers = {"X-Gatekit-Request-Id": exchange.request_id}
        rank = self._outcomes.get(exchange.request_id, -1)
        if rank >= 0:
            headers["X-Gatekit-Outcome"] = _OUTCOMES[rank]
        return headers

    def _record_refused(self, error: str, exchange: _Exchange) -> None:
        """The production-log row of a request refused before it was judged (400, 413, a 500 guard failure).

        The row has its ``error`` and no outcome.

        ``gatekit canary`` counts it in the variant's ``error_rate``; the row holds the server's labels and
        ``--context`` values only, never anything of the refused body or headers.
        """
        record = getattr(self.enforcer, "record_refused", None)
        if record is None:
            return
        try:
            record(
                error,
                request_id=exchange.request_id,
                context=dict(self.settings.context),
                latency_ms=(time.perf_counter() - exchange.started) * 1000,
            )
        except Exception as exc:  # noqa: BLE001 - writing the row never fails the answer
            log.warning("gatekit guard: the row of a refused request was not written (%s)", type(exc).__name__)

    def _error_reply(self, reply: _Reply, exchange: _Exchange) -> web.Response:
        if reply.metric:
            self.metrics.error(reply.metric)
        self.metrics.request(reply.status)
        headers = self._headers(exchange)
        if reply.retry_after is not None:
            headers["Retry-After"] = reply.retry_after
        return self._json_reply(reply.status, reply.body, headers)

    async def _send(self, request: web.BaseRequest, exchange: _Exchange, completion: Completion) -> web.StreamResponse:
        self.metrics.request(200)
        headers = self._headers(exchange)
        if not exchange.stream:
            return self._json_reply(200, completion_body(completion), headers)
        return self._events_reply(stream_events(completion, usage=exchange.stream_usage), headers)

    def _events_reply(self, payload: bytes, headers: dict[str, str]) -> web.Response:
        """Server-sent events, written whole (the answer was buffered and checked before any byte is sent)."""
        headers = {**headers, "Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        return self._web.Response(status=200, body=payload, headers=headers)

    async def _blocked(
        self, request: web.BaseRequest, scope: Any, exchange: _Exchange, exc: Any, meta: dict[str, Any]
    ) -> web.StreamResponse:
        """A denied (or unreviewed) request: a policy error or a refusal; nothing of the upstream answer."""
        decision = exc.decision
        review = isinstance(exc, ReviewRequired)
        code = "review_required" if review else "policy_denied"
        scope.fail(code)
        self.metrics.blocked(decision.outcome)
        fired = [r for r in decision.rules if r.get("outcome") == decision.outcome] or list(decision.rules)
        rule = str(fired[0].get("id")) if fired else "(none)"
        # a reason quotes what the model wrote (a denied tool's name, an argument): personal data in it is
        # redacted as in the content it would otherwise have been handed on in, secrets too
        reason = (scrub(str(fired[0].get("reason") or "")) or "") if fired else "no reason given"
        what = "needs human review" if review else "was blocked"
        message = f"the {_STAGE_WORDS.get(decision.stage, 'request')} {what} by policy rule {rule}: {reason}"
        headers = self._headers(exchange)
        if self.settings.on_deny == "refusal":
            completion = refusal_completion(
                meta if isinstance(meta, dict) else {}, f"I can't help with that: {message}."
            )
            return await self._send(request, exchange, completion)
        body = error_body(
            message,
            "policy_violation",
            code,
            rule=rule,
            rules=decision.rule_ids,
            reason=reason,
            outcome=decision.outcome,
            stage=decision.stage,
            request_id=exchange.request_id,
        )
        if exchange.stream:  # the client reads events: an error event, then the end of the stream
            self.metrics.request(200)
            return self._events_reply(sse_event(body) + sse_event("[DONE]"), headers)
        self.metrics.request(403)
        return self._json_reply(403, body, headers)


class _ServerLog:
    """aiohttp's server logger for the proxy: one line naming the error type, never the bytes it quotes.

    aiohttp logs a request it cannot parse (a bad header value, a line too long, a duplicate
    ``Content-Length``) with the offending line quoted and a traceback: the client's
    ``Authorization`` or a key in a URL would reach the proxy's log. Here only the exception type is logged.
    """

    @staticmethod
    def _note(level: int, message: str, exc_info: Any) -> None:
        if not log.isEnabledFor(level):
            return
        exc = exc_info if isinstance(exc_info, BaseException) else sys.exc_info()[1]
        what = type(exc).__name__ if exc is not None else message.split(" from ", 1)[0][:80]
        # (nor the client's address: an IP address is personal data to the policy's detectors)
        log.log(level, "HTTP server: %s (the request's bytes are not logged)", what)

    def isEnabledFor(self, level: int) -> bool:  # noqa: N802 - logging.Logger's name
        return log.isEnabledFor(level)

    def debug(self, message: str, *args: Any, exc_info: Any = None, **_: Any) -> None:
        self._note(logging.DEBUG, message, exc_info)

    def info(self, message: str, *args: Any, exc_info: Any = None, **_: Any) -> None:
        self._note(logging.INFO, message, exc_info)

    def warning(self, message: str, *args: Any, exc_info: Any = None, **_: Any) -> None:
        self._note(logging.WARNING, message, exc_info)

    def error(self, message: str, *args: Any, exc_info: Any = None, **_: Any) -> None:
        self._note(logging.WARNING, message, exc_info)  # a client's malformed request: not the proxy's error

    def exception(self, message: str, *args: Any, exc_info: Any = True, **_: Any) -> None:
        self._note(logging.WARNING, message, exc_info)


def _loopback_name(host: str) -> bool:
    """Whether ``host`` names this machine's loopback: ``localhost``, ``*.localhost`` or a loopback IP address.

    ``host`` is a Host header (``name:port``, ``[v6]:port``) or a listen address.
    """
    import ipaddress

    name = host.strip().lower()
    if name.startswith("["):
        name = name[1 : name.find("]")] if "]" in name else name[1:]
    elif name.count(":") == 1:
        name = name.split(":", 1)[0]
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def _stream_options(options: Any) -> Any:
    """A streamed request's ``stream_options`` as forwarded (``stream_usage`` on): the usage is always asked for.

    Without ``include_usage`` an upstream streams no token counts: the token budgets would have to estimate a
    streamed answer's tokens (as they do with ``--no-stream-usage``). The usage chunk is handed on only to a client
    that asked for it.
    """
    if options is not None and not isinstance(options, dict):
        return options  # the client's own mistake: the upstream answers it (400)
    return {**(options or {}), "include_usage": True}


def _number(value: Any) -> float | None:
    """A request field's number as a lenient upstream reads it: 17, 17.0 and "17" alike (None: no number).

    Upstreams that validate leniently (pydantic's default: vLLM, LiteLLM) take ``n: 17.0`` or ``"17"`` for 17 and
    generate — and bill — that many choices: the bound on ``n`` holds for them too.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int | float) and math.isfinite(value):
        return float(value)
    return None


def _body_too_large(limit: int) -> _Reply:
    return _Reply(
        413, f"request body over {limit} bytes", "invalid_request_error", "body_too_large", "too_large", "too_large"
    )


def _upstream_status(status: int, retry_after: str | None = None) -> _Reply:
    """An upstream non-2xx as a gatekit error: the status class is kept, the upstream's body is not.

    A ``Retry-After`` of whole seconds is passed on with a 429 (a number carries no content).
    """
    message = f"the upstream answered HTTP {status}; its body was not passed on"
    # a redirect (3xx, never followed: it would carry the key elsewhere) is no 4xx: the lean client's invalid_response
    row_error = "http_5xx" if status >= 500 else "http_4xx" if status >= 400 else "invalid_response"
    if status == 429:
        text = retry_after.strip() if retry_after else ""
        # whole seconds, capped at a day (the first digits of a longer number would say "sooner", not "later")
        seconds = None
        if text.isascii() and text.isdigit():
            seconds = "86400" if len(text) > 5 else str(min(int(text), 86_400))
        return _Reply(
            429, message, "upstream_error", "upstream_rate_limited", "upstream_status", "rate_limited", seconds
        )  # fmt: skip
    if status in (400, 404, 413, 422):
        return _Reply(status, message, "upstream_error", f"upstream_http_{status}", "upstream_status", row_error)
    return _Reply(502, message, "upstream_error", f"upstream_http_{status}", "upstream_status", row_error)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_STRICT = json.JSONDecoder(parse_constant=_no_constant)  # NaN / Infinity are not JSON: refused, not parsed


def _strict_json(raw: bytes) -> Any:
    """Parse UTF-8 JSON bytes, refusing NaN and Infinity (``ValueError``, ``RecursionError`` when too deep)."""
    return _STRICT.decode(raw.decode("utf-8"))


class _NotForwardable(ValueError):
    """JSON text that parses but cannot be written again as JSON (the proxy forwards what it parsed)."""


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):  # 1e400 parses as inf: it could never be written upstream as JSON
        raise _NotForwardable(f"not valid JSON: the number {text[:20]} is out of range")
    return value


_REQUEST = json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)
# a \uD800-\uDFFF escape: a surrogate pair (an emoji escaped by an ASCII encoder) or a lone surrogate
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _request_json(raw: bytes) -> Any:
    r"""A client's body: strict JSON (:func:`_strict_json`) that can be forwarded as it was parsed.

    The proxy forwards the value it judged, written again as UTF-8 JSON: a number out of range (``1e400``) or
    a lone surrogate escape (``"\ud800"``, no character) parses but cannot be written, and is the client's
    error (400), not a guard failure.
    """
    body = _REQUEST.decode(raw.decode("utf-8"))
    if _SURROGATE_ESCAPE.search(raw) is not None and not _unicode_text(body):
        raise _NotForwardable("not Unicode text: a string holds a lone surrogate escape (\\ud800-\\udfff)")
    return body


def _unicode_text(value: Any) -> bool:
    """Whether ``value`` (parsed JSON) is written as UTF-8 JSON: no string in it holds a lone surrogate."""
    try:
        _dumps(value).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _shown_url(url: str) -> str:
    from gatekit.redact import redact_url

    return redact_url(url)


def parse_context(pairs: list[str]) -> dict[str, str]:
    """``["env=production", "scope=support"]`` -> a context dict; raise ``ConfigError`` naming a bad pair."""
    context: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--context: {pair[:80]!r} is not KEY=VALUE (e.g. --context env=production)")
        context[key.strip()] = value
    return context


def run_proxy(settings: ProxySettings, *, announce: Any = None) -> None:
    """Serve until SIGINT / SIGTERM, then finish in-flight requests and close the sinks.

    ``announce`` receives one line once the port is bound (the CLI prints it to stderr).
    """
    proxy = GuardProxy.from_settings(settings)
    with asyncio.Runner(loop_factory=loop_factory(settings.event_loop)) as runner:
        runner.run(_serve(proxy, announce))


def _tune_gc() -> None:
    """Keep the garbage collector's pauses out of the request path of a long-running server.

    Measured on the proxy benchmark: with the default thresholds, full (generation 2) collections walked
    every object loaded at start (policy, aiohttp, pydantic models) and stopped the event loop for up to
    100 ms — each such pause lands on every request in flight, i.e. on the p99. ``gc.freeze()`` moves the
    start-up objects out of the collector's sight, and a higher generation-0 threshold makes the (cheap)
    young collections rarer; cycles made while serving are still collected.
    """
    import gc

    gc.collect()
    gc.freeze()
    young, middle, old = gc.get_threshold()
    gc.set_threshold(max(young, GC_YOUNG_THRESHOLD), middle, old)


def loop_factory(choice: str) -> Any:
    """The event-loop factory for ``--loop`` (``None``: asyncio's own); ``auto`` takes uvloop when installed."""
    if choice == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


async def _serve(proxy: GuardProxy, announce: Any) -> None:
    import signal

    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    port = await proxy.start()
    _tune_gc()
    try:
        if announce is not None:
            where = f"http://{proxy.settings.host}:{port}"
            announce(
                f"gatekit guard: serving {where}/v1/chat/completions -> {_shown_url(proxy.url)} "
                f"(policy {proxy.settings.policy}, mode {proxy.settings.mode}, on deny: {proxy.settings.on_deny}); "
                f"metrics {where}/metrics, health {where}/healthz"
            )
            if not proxy.settings.stream_usage:
                announce(
                    "gatekit guard: --no-stream-usage: streamed answers carry no token counts; the token budgets "
                    "estimate them from the text (gatekit_guard_usage_unreported_total, the traces' notes)"
                )
        await stopping.wait()
    finally:
        await proxy.stop()
        if announce is not None:
            announce("gatekit guard: stopped")
