"""``http(s)://…`` — an OpenAI-compatible chat endpoint, or any JSON-over-HTTP agent.

Two modes, chosen by ``agent_options.extra.mode`` (default ``openai``; ``json`` when a
``body_template`` is given):

* ``openai``: POST ``{"model", "messages", ...}`` to ``/v1/chat/completions`` (vLLM, Ollama,
  LiteLLM, MLflow AI Gateway, model-serving endpoints) and read ``choices[0].message``,
  its ``tool_calls`` and ``usage``. A spec ending in ``/v1`` gets ``/chat/completions`` appended.
* ``json``: POST ``body_template`` with ``{{input}}``, ``{{messages}}``, ``{{context}}`` and
  ``{{model}}`` filled in, and read the answer with ``response_paths`` (dotted paths such as
  ``data.choices.0.text``). Without ``response_paths`` the body itself must be a gatekit response
  (``{"output", "tool_calls", "usage", "model", "cost_usd"}``) or a plain string.

Plain ``http://`` agents are called through a lean HTTP/1.1 keep-alive client on asyncio
protocols (:mod:`gatekit.agents.http_client`), with a pool as large as the concurrency;
``https://`` agents (and ``extra.http_client: aiohttp``) through one ``aiohttp.ClientSession``
with a connector limit equal to the concurrency. Both were chosen by measurement (see
``benchmarks/replay_throughput.py`` and docs/agents.md): at concurrency 64 the client's CPU per
request is what separates a replay from its ideal throughput. The API key is read from the
environment variable named by ``api_key_env`` and sent as ``Authorization: Bearer``; it is never
logged, stored or put in an error message. Header values may reference environment variables
as ``${NAME}``; a URL with user-info or a header with a line break is refused up front.
A response body is capped at ``extra.max_response_bytes`` (default 8 MiB), as sent and once
decompressed; a larger one is an ``invalid_response`` for its case.
"""

from __future__ import annotations

import email.utils
import json
import os
import re
import time
import urllib.parse
from typing import Any

from gatekit.agents.base import (
    AgentCallError,
    AgentOptions,
    check_cost,
    expand_env,
    max_response_bytes,
    normalise_answer,
    normalise_response,
)
from gatekit.agents.chat_format import invalid, parse_chat_completion
from gatekit.agents.http_client import (
    IDEMPOTENT_METHODS,
    HttpPool,
    HttpProtocolError,
    decode_off_loop,
    too_large,
)
from gatekit.chat import to_messages
from gatekit.errors import AgentError
from gatekit.models import AgentResponse, ErrorType
from gatekit.redact import add_credential_header, add_known_secret, add_url_secrets, scrub_cut, scrub_message_cut

_OPENAI_PASSTHROUGH = ("tools", "tool_choice", "response_format", "temperature", "max_tokens", "seed")
_EXTRA_KEYS = {
    "mode",
    "body",
    "body_template",
    "response_paths",
    "method",
    "cost_header",
    "http_client",
    "max_response_bytes",
}
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
_BAD_HEADER_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_MAX_ERROR_BODY = 300


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
        seconds = when.timestamp() - (time.time() if now is None else now)
    except (TypeError, ValueError, OverflowError, AttributeError):  # a year past 9999 overflows: no usable value
        return None
    return max(0.0, seconds)


def fill_template(template: Any, values: dict[str, Any]) -> Any:
    """Replace ``{{name}}`` placeholders in a JSON-like template.

    A string that is exactly one placeholder becomes the value itself (keeping its JSON
    type); a placeholder inside a longer string is replaced by the value's text.
    """
    if isinstance(template, dict):
        return {key: fill_template(value, values) for key, value in template.items()}
    if isinstance(template, list):
        return [fill_template(value, values) for value in template]
    if isinstance(template, str):
        stripped = template.strip()
        if stripped.startswith("{{") and stripped.endswith("}}") and stripped.count("{{") == 1:
            name = stripped[2:-2].strip()
            if name in values:
                return values[name]

        def text(match: re.Match[str]) -> str:
            value = values.get(match.group(1).strip())
            if value is None:
                return ""
            return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)

        return re.sub(r"\{\{([^{}]+)\}\}", text, template)
    return template


_MISSING = object()


def get_path(body: Any, path: str) -> Any:
    """Follow a dotted path (``a.b.0.c``) into a JSON value; a missing step gives ``_MISSING``."""
    node = body
    for step in path.split("."):
        if isinstance(node, dict) and step in node:
            node = node[step]
        elif isinstance(node, list) and step.lstrip("-").isdigit() and -len(node) <= int(step) < len(node):
            node = node[int(step)]
        else:
            return _MISSING
    return node


def check_url(spec: str) -> None:
    """Refuse an agent URL that cannot be sent as is: no host, a bad port, user-info, whitespace."""
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in spec):
        raise AgentError("agent spec: the URL contains whitespace or control characters; percent-encode them")
    try:
        parts = urllib.parse.urlsplit(spec)
    except ValueError:  # "Invalid IPv6 URL": an unclosed [ was an internal error
        raise AgentError("agent spec: expected http(s)://host[:port]/path (an IPv6 host in [brackets])") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise AgentError("agent spec: expected http(s)://host[:port]/path")
    try:
        port = parts.port  # raises ValueError for a bad port
    except ValueError:
        port = 0
    if port == 0:  # (port 0 reaches no server: every case failed to connect)
        raise AgentError("agent spec: the URL has an invalid port; use a number from 1 to 65535") from None
    if "@" in parts.netloc:
        raise AgentError(
            "agent spec: the URL carries user-info (user:password@); remove it and pass credentials with "
            "agent_options.api_key_env or agent_options.headers"
        )


def check_header(name: str, value: str) -> None:
    """Refuse a header an HTTP/1.1 request cannot carry (the value is never echoed: it may be a secret)."""
    if not _HEADER_NAME.match(name):
        raise AgentError(f"agent_options.headers: {name[:60]!r} is not a valid header name (letters, digits, -)")
    if _BAD_HEADER_VALUE.search(value):
        raise AgentError(
            f"agent_options.headers.{name}: the value contains a line break or control character; remove it"
        )


def _json_limit(exc: BaseException) -> str:
    """Why a JSON text that parses in principle was refused: its nesting, or an integer too long."""
    if isinstance(exc, RecursionError):
        return "nested too deeply"
    return str(exc).split(";")[0][:120]


class HttpAgent:
    """Adapter for an HTTP agent: OpenAI chat completions or generic JSON."""

    def __init__(self, spec: str, options: AgentOptions) -> None:
        self.spec = spec
        self.options = options
        extra = dict(options.extra)
        unknown = set(extra) - _EXTRA_KEYS
        if unknown:
            raise AgentError(
                f"agent_options.extra: unknown key(s) {', '.join(sorted(unknown))} for an HTTP agent; "
                f"valid keys: {', '.join(sorted(_EXTRA_KEYS))}"
            )
        check_url(spec)
        for name, value in options.headers.items():
            check_header(str(name), str(value))
        self.max_response_bytes = max_response_bytes(extra.get("max_response_bytes"))
        self.mode = str(extra.get("mode") or ("json" if "body_template" in extra else "openai"))
        if self.mode not in ("openai", "json"):
            raise AgentError(f"agent_options.extra.mode: {self.mode!r} is not 'openai' or 'json'")
        self.url = spec
        if self.mode == "openai" and spec.rstrip("/").endswith("/v1"):
            self.url = spec.rstrip("/") + "/chat/completions"
        method = extra.get("method", "POST")
        if not isinstance(method, str) or not _HEADER_NAME.match(method):  # an HTTP method is a token (RFC 9110)
            raise AgentError(f"agent_options.extra.method: expected an HTTP method such as POST or GET, got {method!r}")
        self.method = method.upper()
        body_extra = extra.get("body")
        if body_extra is not None and not isinstance(body_extra, dict):  # (was an internal error: dict("abc"))
            raise AgentError(
                f"agent_options.extra.body: expected a mapping of fields added to the request body, got {body_extra!r}"
            )
        self.body_extra: dict[str, Any] = dict(body_extra or {})
        self.body_template: Any = extra.get("body_template", {"input": "{{input}}", "context": "{{context}}"})
        paths = extra.get("response_paths") or {}
        if not isinstance(paths, dict):
            raise AgentError("agent_options.extra.response_paths: expected a mapping of field -> dotted path")
        for field, path in paths.items():
            if not isinstance(path, str) or not path:
                raise AgentError(
                    f"agent_options.extra.response_paths.{field}: expected a dotted path such as data.answer, "
                    f"got {path!r}"
                )
        self.response_paths: dict[str, str] = {str(k): v for k, v in paths.items()}
        self.cost_header = str(extra.get("cost_header", "x-litellm-response-cost")).lower()
        self.http_client = str(extra.get("http_client", "auto")).lower()
        if self.http_client not in ("auto", "aiohttp"):
            raise AgentError(f"agent_options.extra.http_client: {self.http_client!r} is not 'auto' or 'aiohttp'")
        self._session: Any = None
        self._pool: HttpPool | None = None
        self._url: Any = None
        self._where_text = ""

    async def start(self) -> None:
        """Open one client session sized to the run's concurrency and resolve secrets from env."""
        import aiohttp
        import yarl

        add_url_secrets(self.url)  # ?api_key=... is masked where the URL is shown; echoed bare, it is masked too
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        for name, value in self.options.headers.items():
            headers[str(name)] = expand_env(str(value), f"headers.{name}")
            check_header(str(name), headers[str(name)])  # an environment variable may hold a line break
            # a credential written into the config as it is (``Authorization: Token ...``, ``X-Api-Key: ...``):
            # an endpoint echoing it bare (an error body quoting the request) must not get it written
            add_credential_header(str(name), headers[str(name)])
        if not any(name.lower() == "accept-encoding" for name in headers):
            headers["Accept-Encoding"] = "gzip, deflate"
        if self.options.api_key_env:
            key = os.environ.get(self.options.api_key_env)
            if not key:
                raise AgentError(
                    f"agent_options.api_key_env: environment variable {self.options.api_key_env} is "
                    "empty or not set; export the API key there"
                )
            add_known_secret(key)  # an endpoint echoing the key (an error body, a model name) must not get it written
            headers["Authorization"] = f"Bearer {key}"
        concurrency = max(1, self.options.concurrency)
        self._where_text = self._where()
        lean = self.http_client == "auto" and self.method != "HEAD" and self.url.lower().startswith("http://")
        if lean:
            try:
                self._pool = HttpPool(
                    self.url,
                    self.method,
                    headers,
                    concurrency,
                    max(1.0, self.options.timeout_s),
                    self._where_text,
                    self.max_response_bytes,
                )
                return
            except ValueError as exc:
                raise AgentError(f"agent spec / agent_options.headers: {exc}") from None
        connector = aiohttp.TCPConnector(limit=concurrency, limit_per_host=concurrency, ttl_dns_cache=300)
        # The replay engine enforces the per-attempt timeout; this is only a backstop.
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=max(1.0, self.options.timeout_s))
        # Headers live on the session (merged once, not per request); the URL is parsed once.
        # Bodies are decompressed by gatekit (bounded, off the loop), never by aiohttp.
        self._session = aiohttp.ClientSession(
            connector=connector, timeout=timeout, raise_for_status=False, headers=headers, auto_decompress=False
        )
        self._url = yarl.URL(self.url)

    def build_body(self, case_input: Any, context: dict[str, Any]) -> Any:
        """Return the JSON request body for one case."""
        messages = to_messages(case_input)
        if self.mode == "openai":
            body: dict[str, Any] = {"messages": messages}
            if self.options.model:
                body["model"] = self.options.model
            if isinstance(case_input, dict):
                for key in _OPENAI_PASSTHROUGH:
                    if key in case_input:
                        body[key] = case_input[key]
            body.update(self.body_extra)
            return body
        values = {"input": case_input, "messages": messages, "context": context, "model": self.options.model}
        return fill_template(self.body_template, values)

    async def call(self, case_input: Any, context: dict[str, Any]) -> AgentResponse:
        """POST one case and classify whatever comes back."""
        payload = json.dumps(self.build_body(case_input, context), ensure_ascii=False, default=str).encode()
        if self._pool is not None:
            answer = await self._pool.request(payload)
            headers = answer.headers
            status, raw = answer.status, answer.body
            retry_after = parse_retry_after(headers.get("retry-after")) if status >= 300 else None
            cost_header = headers.get(self.cost_header)
        else:
            status, raw, retry_after, cost_header = await self._call_aiohttp(payload)
        self._raise_for_status(status, raw, retry_after, cost_header)
        try:
            response = self.parse_body(raw)
        except AgentCallError:
            raise
        except Exception as exc:  # noqa: BLE001 - the answer came: never a retryable 'exception', which sends it again
            raise invalid(f"{self._where()}: the answer could not be read ({type(exc).__name__})") from None
        if response.cost_usd is None and cost_header:
            # a negative, non-finite or non-numeric cost header makes the response invalid
            response.cost_usd = check_cost(cost_header, f"the {self.cost_header} header")
        return response

    async def _call_aiohttp(self, payload: bytes) -> tuple[int, bytes, float | None, str | None]:
        import aiohttp

        if self._session is None:
            raise RuntimeError("agent not started")
        try:
            # a 3xx is answered as the lean client does (invalid_response naming it), never followed: a redirect
            # to another host would carry the case's input and the configured headers (an API key) there
            async with self._session.request(self.method, self._url, data=payload, allow_redirects=False) as resp:
                raw = await self._read_capped(resp)
                status = resp.status
                encoding = resp.headers.get("Content-Encoding", "")
                retry_after = parse_retry_after(resp.headers.get("Retry-After"))
                cost_header = resp.headers.get(self.cost_header)
        except aiohttp.ClientConnectorError as exc:
            # no connection, so no request (refused, a name that does not resolve, a failed TLS handshake) — unless
            # aiohttp sent an idempotent method on a kept-alive connection first and is connecting to send it again
            raise AgentCallError(
                ErrorType.CONNECTION,
                f"cannot connect to {self._where()}: {exc.os_error}",
                never_sent=self.method not in IDEMPOTENT_METHODS,
            ) from None
        except (aiohttp.ServerDisconnectedError, aiohttp.ClientPayloadError, aiohttp.ClientOSError) as exc:
            # lost after the request was sent (a failed connect is ClientConnectorError, above): the server may have
            # read it and started the call — a method that is not idempotent is not sent again (nor retried)
            message = f"{self._where()}: {type(exc).__name__}: {exc}"
            if self.method in IDEMPOTENT_METHODS:
                raise AgentCallError(ErrorType.CONNECTION, message) from None
            raise AgentCallError(
                ErrorType.CONNECTION,
                f"{message}; the connection was lost after the request was sent and it may have reached the server, "
                f"so it is not sent again (a {self.method} is not idempotent)",
                retryable=False,
            ) from None
        except aiohttp.ConnectionTimeoutError:
            raise AgentCallError(
                ErrorType.TIMEOUT,
                f"{self._where()}: connect timed out",
                never_sent=self.method not in IDEMPOTENT_METHODS,
            ) from None
        except aiohttp.ServerTimeoutError:
            raise AgentCallError(ErrorType.TIMEOUT, f"{self._where()}: connect timed out") from None
        except aiohttp.ClientResponseError as exc:  # malformed status line / headers
            raise AgentCallError(
                ErrorType.INVALID_RESPONSE,
                f"{self._where()}: bad HTTP response: {exc.message}",
                retryable=False,
            ) from None
        try:
            raw = await decode_off_loop(raw, encoding, self.max_response_bytes)
        except HttpProtocolError as exc:  # a bad encoding, or over max_response_bytes once inflated
            raise invalid(f"{self._where()}: {exc}") from None
        return status, raw, retry_after, cost_header

    async def _read_capped(self, resp: Any) -> bytes:
        """The body as sent, refused once it passes ``max_response_bytes``."""
        limit = self.max_response_bytes
        if resp.content_length is not None and resp.content_length > limit:
            raise invalid(f"{self._where()}: {too_large(limit)}")
        chunks: list[bytes] = []
        total = 0
        async for chunk in resp.content.iter_chunked(64 * 1024):
            total += len(chunk)
            if total > limit:
                raise invalid(f"{self._where()}: {too_large(limit)}")
            chunks.append(chunk)
        return b"".join(chunks)

    def parse_body(self, raw: bytes) -> AgentResponse:
        """Decode and normalise a 2xx response body."""
        try:
            body = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # not JSON, not UTF-8, nested too deep, an integer too long
            snippet = scrub_message_cut(raw[:65536].decode("utf-8", "replace"), 80)  # (scrubbed, then cut)
            why = "" if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError) else f" ({_json_limit(exc)})"
            raise AgentCallError(
                ErrorType.INVALID_RESPONSE,
                f"{self._where()}: response is not JSON{why}: {snippet!r}",
                retryable=False,
            ) from None
        if self.mode == "openai":
            return parse_chat_completion(body)
        if not self.response_paths:
            return normalise_answer(body)
        picked: dict[str, Any] = {"usage": {}}
        for field, path in self.response_paths.items():
            value = get_path(body, path)
            if value is _MISSING:
                if field == "output":
                    raise invalid(f"{self._where()}: response has no {path!r} (response_paths.output)")
                continue
            if field.startswith("usage."):
                picked["usage"][field.removeprefix("usage.")] = value
            else:
                picked[field] = value
        return normalise_response(picked)

    def _raise_for_status(
        self, status: int, raw: bytes, retry_after: float | None, cost_header: str | None = None
    ) -> None:
        if 200 <= status < 300:
            return
        # scrubbed before the cut: a secret straddling the cut must not leave a piece behind
        snippet = scrub_cut(raw[: 64 * _MAX_ERROR_BODY].decode("utf-8", "replace").strip(), _MAX_ERROR_BODY) or ""
        message = f"{self._where()}: HTTP {status}" + (f": {snippet}" if snippet else "")
        if status == 429:
            error = AgentCallError(ErrorType.RATE_LIMITED, message, retryable=True, retry_after_s=retry_after)
        elif status == 408:
            error = AgentCallError(ErrorType.TIMEOUT, message, retryable=True, retry_after_s=retry_after)
        elif status >= 500:
            error = AgentCallError(ErrorType.HTTP_5XX, message, retryable=True, retry_after_s=retry_after)
        elif status >= 400:
            error = AgentCallError(ErrorType.HTTP_4XX, message, retryable=False)
        else:
            error = invalid(message)
        self._error_spend(error, raw, cost_header)
        raise error

    def _error_spend(self, error: AgentCallError, raw: bytes, cost_header: str | None) -> None:
        """Attach what an error response says it spent: its body's ``usage``, ``model``, ``cost_usd``, the cost header.

        Some OpenAI-compatible servers send ``usage`` and ``model`` with an error; ``cost_usd`` is read in ``json`` mode.

        Unchecked here: :func:`gatekit.replay.failure_usage` checks them as an answer's are (an invalid value is no
        report, the cost unknown). Nothing reported leaves the error as it was (unknown, never 0).
        """
        if cost_header:
            error.cost_usd = cost_header
        if raw.lstrip()[:1] != b"{":
            return
        try:
            body = json.loads(raw)  # (at most max_response_bytes, as an answer)
        except (ValueError, RecursionError):
            return
        if not isinstance(body, dict):
            return
        if isinstance(body.get("usage"), dict):
            error.usage = body["usage"]
        if self.mode == "json" and not cost_header and body.get("cost_usd") is not None:
            error.cost_usd = body["cost_usd"]
        if (error.usage is not None or error.cost_usd is not None) and isinstance(body.get("model"), str):
            error.model = body["model"]

    def _where(self) -> str:
        if self._where_text:
            return self._where_text
        # The key comes from env into a header, never the URL; drop user-info and query anyway.
        parts = urllib.parse.urlsplit(self.url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    async def close(self) -> None:
        """Close the connection pool or the client session."""
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        if self._session is not None:
            await self._session.close()
            self._session = None
