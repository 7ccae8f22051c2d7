"""A real chat-completions server on 127.0.0.1 (aiohttp, in a thread of its own) for the proxy tests.

What it answers is chosen by the request's ``model`` (one behaviour per scenario), streamed as
server-sent events when the request says ``"stream": true``. Every request it receives is kept
(body and the Authorization header it came with) so a test can check what reached the upstream.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from aiohttp import web

PII_TEXT = "Sure - write to jane.doe@example.com or call +1 415 555 0132 about order W123."
SECRET_TEXT = "the admin key is AKIAIOSFODNN7EXAMPLE, keep it safe"


def _tool_call(name: str, arguments: dict[str, Any], call_id: str = "call_1") -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}


# model name -> (content, tool calls) of the answer
ANSWERS: dict[str, tuple[str | None, list[dict[str, Any]]]] = {
    "plain": ("Your order W123 ships tomorrow.", []),
    "pii": (PII_TEXT, []),
    "secret": (SECRET_TEXT, []),
    "allowed-tool": (None, [_tool_call("get_order_details", {"order_id": "#W123"})]),
    "forbidden-tool": (None, [_tool_call("delete_all_users", {"confirm": True})]),
    "mixed-tools": (
        "Checking.",
        [_tool_call("get_order_details", {"order_id": "#W1"}), _tool_call("drop_database", {}, "call_2")],
    ),
    "slow": ("late", []),
    "slow-1s": ("late but whole", []),
    "held": ("late but whole", []),
    "refund-600": (
        None,
        [_tool_call("return_delivered_order_items", {"order_id": "#W1", "item_ids": ["1"], "amount": 600})],
    ),
    "truncated-stream": ("This answer is cut off half-way thr", []),
    "tool-pii-args": (None, [_tool_call("get_user_details", {"user_id": "u1", "note": "mail jane.doe@example.com"})]),
    # a tool outside the allow-list whose name carries personal data: the policy error quotes the name
    "pii-tool-name": (None, [_tool_call("mail_jane.doe@example.com_now", {})]),
    # half a UTF-16 pair (json.dumps writes it as the escape \ud800): parses, but is no character
    "lone-surrogate": ("fine \ud800 text", []),
    "many-tokens": ("A very long answer.", []),  # its usage (USAGES) is over the default policy's per-case budget
    # answered without any usage (NO_USAGE): the token budgets estimate the tokens from the text
    "no-usage": ("Your order W123 ships tomorrow.", []),
    "no-usage-long": ("The order ships tomorrow. " * 1200, []),  # ~6,000 words: over 4k output tokens however counted
    # one choice per requested ``n`` (N_CHOICES), with and without the usage
    "plain-n": ("Your order W123 ships tomorrow.", []),
    "no-usage-n": ("Your order W123 ships tomorrow.", []),
    # an OpenAI-compatible server that refuses ``stream_options`` (HTTP 400), as some do (STRICT_OPTIONS)
    "strict-options": ("Your order W123 ships tomorrow.", []),
    "strict-options-long": ("The order ships tomorrow. " * 1200, []),
}
STRICT_OPTIONS = frozenset({"strict-options", "strict-options-long"})
NO_USAGE = frozenset({"no-usage", "no-usage-long", "no-usage-n"})
N_CHOICES = frozenset({"plain-n", "no-usage-n"})


USAGE = {"prompt_tokens": 12, "completion_tokens": 9, "total_tokens": 21}
# model name -> the usage reported instead of USAGE (streamed only when the request asks: stream_options.include_usage)
USAGES: dict[str, dict[str, int]] = {
    "many-tokens": {"prompt_tokens": 12, "completion_tokens": 6000, "total_tokens": 6012}
}


def _body(message: dict[str, Any], usage: str = "") -> str:
    head = '{"id": "h", "model": "m-test", "choices": [{"index": 0, "finish_reason": "stop", "message": '
    return head + json.dumps(message) + "}]" + (f', "usage": {usage}' if usage else "") + "}"


def _call_text(name: Any, arguments_text: str) -> dict[str, Any]:
    return {"role": "assistant", "content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": name, "arguments": arguments_text}}]}  # fmt: skip


# the wire forms of the hostile agent outputs (tests/adversarial/hostile_agents.py) and a few more: raw body text
HOSTILE_BODIES: dict[str, str | bytes] = {
    "arguments_string": _body(_call_text("get_order_details", "rm -rf /")),
    "arguments_list": _body(_call_text("get_order_details", "[1, 2, 3]")),
    "arguments_900_deep": _body(_call_text("get_order_details", '{"a": ' * 900 + "{}" + "}" * 900)),
    "arguments_huge_int": _body(_call_text("get_order_details", '{"n": ' + "9" * 5000 + "}")),
    "prompt_tokens_401_digits": _body({"role": "assistant", "content": "x"}, '{"prompt_tokens": ' + "9" * 401 + "}"),
    "tokens_10_pow_5000": _body({"role": "assistant", "content": "x"}, '{"prompt_tokens": 1' + "0" * 5000 + "}"),
    "tokens_infinite": _body({"role": "assistant", "content": "x"}, '{"completion_tokens": Infinity}'),
    "tokens_not_a_number": _body({"role": "assistant", "content": "x"}, '{"completion_tokens": "lots"}'),
    "tokens_negative": _body({"role": "assistant", "content": "x"}, '{"prompt_tokens": -5000, "completion_tokens": 3}'),
    "content_object": _body({"role": "assistant", "content": {"text": "jane.doe@example.com"}}),
    "content_number": _body({"role": "assistant", "content": 42}),
    "tool_name_number": _body(_call_text(7, "{}")),
    "tool_name_missing": _body({"role": "assistant", "tool_calls": [{"id": "c", "function": {"arguments": "{}"}}]}),
    "choices_1000": '{"choices": [' + ",".join(['{"message": {"role": "assistant", "content": "x"}}'] * 1000) + "]}",
    "tool_calls_500": _body({"role": "assistant", "content": None, "tool_calls": [
        {"id": f"c{i}", "type": "function", "function": {"name": "calculate", "arguments": "{}"}} for i in range(500)]}),
    "body_nested_100k": "[" * 100_000 + "]" * 100_000,
    "not_utf8": b'{"choices": [{"message": {"role": "assistant", "content": "\xff\xfe"}}]}',
    "duplicate_key_arguments": _body(_call_text("get_order_details", '{"order_id": "jane.doe@example.com", "order_id": "#W1"}')),
    "refusal_field": _body({"role": "assistant", "content": "ok", "refusal": "jane.doe@example.com",
                            "reasoning_content": "card 4111 1111 1111 1111"}),
    "legacy_function_call": _body({"role": "assistant", "content": None, "function_call": {
        "name": "get_order_details", "arguments": '{"order_id": "#W1", "note": "mail jane.doe@example.com"}'}}),
    "legacy_forbidden_function": _body({"role": "assistant", "content": None, "function_call": {
        "name": "delete_all_users", "arguments": "{}"}}),
    "tool_calls_finish_without_calls": '{"choices": [{"index": 0, "finish_reason": "tool_calls", '
                                       '"message": {"role": "assistant", "content": "Done."}}]}',
    "tool_name_100k": _body(_call_text("get_order_details" + "x" * 100_000, "{}")),
    "surrogate_in_arguments": _body(_call_text("get_order_details", '{"order_id": "#W1 \\ud800"}')),
    "surrogate_pair_emoji": _body({"role": "assistant", "content": "ok \U0001f600"}),  # json.dumps escapes it as a surrogate pair
    "duplicate_choice_index": '{"choices": [{"index": 0, "message": {"role": "assistant", "content": "AKIAIOSFOD"}}, '
                              '{"index": 0, "message": {"role": "assistant", "content": "NN7EXAMPLE"}}]}',
}  # fmt: skip


class ChatUpstream:
    """The server: ``url`` is its base (``http://127.0.0.1:PORT/v1``); ``received`` the requests it got."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        # model "held" answers only once this is set (at most 60 s): a request kept in flight without a clock
        self.release = threading.Event()
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> ChatUpstream:
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("the upstream did not start")
        return self

    def stop(self) -> None:
        async def shutdown() -> None:
            if self._runner is not None:
                await self._runner.cleanup()

        asyncio.run_coroutine_threadsafe(shutdown(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.close()

    async def _start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/v1/chat/completions", self._chat)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        body = json.loads(raw)
        self.received.append({"body": body, "raw": raw, "authorization": request.headers.get("Authorization")})
        model = body.get("model", "plain")
        stream = body.get("stream") is True
        if model == "crash":
            return web.json_response({"error": {"message": "upstream exploded: secret trace"}}, status=500)
        if model in STRICT_OPTIONS and "stream_options" in body:
            return web.json_response({"error": {"message": "Unrecognized request argument: stream_options"}}, status=400)
        if model == "rate-limited":
            return web.json_response({"error": {"message": "slow down"}}, status=429, headers={"Retry-After": "7"})
        if model == "slow":
            await asyncio.sleep(5)
        if model == "slow-1s":
            await asyncio.sleep(1)
        if model == "held":
            for _ in range(6000):
                if self.release.is_set():
                    break
                await asyncio.sleep(0.01)
        if model == "garbage":
            return web.Response(text="<html>not json, jane.doe@example.com</html>", content_type="text/html")
        if model == "huge":
            return web.Response(body=_huge_body(), content_type="application/json")
        if model == "echo-auth":
            seen = request.headers.get("Authorization") or "(none)"
            return web.json_response(_completion(f"auth seen: {seen}", [], model))
        if model == "echo-input":
            text = " | ".join(str(m.get("content")) for m in body.get("messages", []))
            content, calls = text, []
        elif model.startswith("hostile:"):  # a hostile body, by name
            hostile = HOSTILE_BODIES[model.split(":", 1)[1]]
            raw = hostile if isinstance(hostile, bytes) else hostile.encode()
            return web.Response(body=raw, content_type="application/json")
        else:
            content, calls = ANSWERS[model]
        usage = None if model in NO_USAGE else USAGES.get(model, USAGE)
        if not stream:
            answer = _completion(content, calls, model, usage)
            n = body.get("n") if model in N_CHOICES else 1
            answer["choices"] = [dict(answer["choices"][0], index=i) for i in range(n if type(n) is int else 1)]
            return web.json_response(answer)
        options = body.get("stream_options")
        if not (isinstance(options, dict) and options.get("include_usage") is True):
            usage = None  # as OpenAI streams: token counts only when asked for
        return await self._stream(request, content, calls, model, truncated=model == "truncated-stream", usage=usage)

    async def _stream(
        self,
        request: web.Request,
        content: str | None,
        calls: list[dict[str, Any]],
        model: str,
        truncated: bool,
        usage: dict[str, int] | None = None,
    ) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        base = {"id": "chatcmpl-up", "object": "chat.completion.chunk", "created": 1765000000, "model": model}

        async def send(delta: dict[str, Any], finish: str | None = None) -> None:
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())

        await send({"role": "assistant", "content": ""})
        text = content or ""
        for start in range(0, len(text), 7):  # small pieces: an e-mail address spans several deltas
            await send({"content": text[start : start + 7]})
        for index, call in enumerate(calls):
            head = {
                "index": index,
                "id": call["id"],
                "type": "function",
                "function": {"name": call["function"]["name"], "arguments": ""},
            }
            await send({"tool_calls": [head]})
            arguments = call["function"]["arguments"]
            for start in range(0, len(arguments), 5):
                await send({"tool_calls": [{"index": index, "function": {"arguments": arguments[start : start + 5]}}]})
        if truncated:
            return response  # the connection ends without a finish reason or [DONE]
        await send({}, "tool_calls" if calls else "stop")
        if usage is not None:
            await response.write(f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response


_HUGE: list[bytes] = []


def _huge_body() -> bytes:
    """A 20 MiB chat completion, built once (building it per request is slow enough to look like a timeout)."""
    if not _HUGE:
        _HUGE.append(json.dumps(_completion("x" * (20 * 1024 * 1024), [], "huge")).encode())
    return _HUGE[0]


def _completion(
    content: str | None, calls: list[dict[str, Any]], model: str, usage: dict[str, int] | None = None
) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    body: dict[str, Any] = {
        "id": "chatcmpl-up",
        "object": "chat.completion",
        "created": 1765000000,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": "tool_calls" if calls else "stop",
                "logprobs": {"content": [{"token": "unchecked text", "logprob": -0.1}]},
            }
        ],
    }
    if usage:
        body["usage"] = usage
    return body


@contextmanager
def chat_upstream() -> Iterator[ChatUpstream]:
    """A started upstream, stopped on exit."""
    server = ChatUpstream().start()
    try:
        yield server
    finally:
        server.stop()
