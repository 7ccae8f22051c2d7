"""The OpenAI chat-completions wire format, read from an upstream and written back to a client.

The proxy never passes an upstream body through: it reads the parts governance can check
(``choices[].message.content``, ``choices[].message.tool_calls``, ``usage``) into a
:class:`Completion`, and after the checks writes a new body from those parts only — any other
field an upstream sends (``logprobs``, ``refusal``, reasoning text, provider extensions) could
carry unchecked text and is dropped. A streamed answer (server-sent events) is read whole,
its content and tool-call deltas reassembled, and written back as events after the checks.

Everything here is plain data: no I/O, no governance. A body that is not a chat completion
raises :class:`WireError` (the proxy answers 502, never the body).
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

MAX_CHOICES = 16
MAX_TOOL_CALLS = 128
# characters of a tool (function) name: OpenAI allows 64. A longer one is no name a client dispatches on, and each
# distinct name is kept by the allow-list's match cache and quoted in rows, traces and reasons
MAX_TOOL_NAME_CHARS = 256
_META_KEYS = ("id", "created", "model", "system_fingerprint")
_FINISH_REASONS = frozenset({"stop", "length", "tool_calls", "content_filter", "function_call"})


class WireError(ValueError):
    """An upstream answer that is not a chat completion (or a stream of chunks) the proxy can check."""


@dataclass
class ToolCall:
    """One tool call proposed by the model; ``arguments`` is the JSON text the model wrote."""

    id: str | None = None
    name: str = ""
    arguments: str = ""
    legacy: bool = False  # came as the message's ``function_call`` (the deprecated functions API): handed on as one

    def parsed_arguments(self) -> Any:
        """The arguments decoded from JSON; undecodable text stays text (governance sees it as it came)."""
        if not self.arguments.strip():
            return {}
        try:
            return json.loads(self.arguments)
        except (ValueError, RecursionError):
            return self.arguments


@dataclass
class Choice:
    """One choice of a completion: its text, its tool calls and why it stopped."""

    index: int
    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None


@dataclass
class Completion:
    """What the proxy keeps of an upstream answer: metadata, choices and token counts."""

    meta: dict[str, Any] = field(default_factory=dict)
    choices: list[Choice] = field(default_factory=list)
    usage: dict[str, int] | None = None

    @property
    def model(self) -> str | None:
        """The model the upstream reported, when it is a string."""
        model = self.meta.get("model")
        return model if isinstance(model, str) else None

    def token_counts(self) -> dict[str, int | None]:
        """``input_tokens`` / ``output_tokens`` as reported; None when unknown (never 0)."""
        usage = self.usage or {}
        return {"input_tokens": usage.get("prompt_tokens"), "output_tokens": usage.get("completion_tokens")}


# --- reading -------------------------------------------------------------------------------------------


def _meta(body: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key in _META_KEYS:
        value = body.get(key)
        if key == "created":
            if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**40:
                meta[key] = value
        elif isinstance(value, str) and len(value) <= 256:
            meta[key] = value
    return meta


def _usage(raw: Any) -> dict[str, int] | None:
    """Whole, finite, non-negative token counts only; anything else is unknown (dropped)."""
    if not isinstance(raw, dict):
        return None
    usage: dict[str, int] = {}
    for key in ("prompt_tokens", "completion_tokens", "total_tokens"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            continue
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            continue
        if 0 <= value < 2**53:
            usage[key] = int(value)
    return usage or None


def _text(value: Any, where: str) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):  # content parts: keep their text
        texts = [p["text"] for p in value if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "".join(texts)
    raise WireError(f"{where} is {type(value).__name__}, not text")


def _finish(value: Any) -> str | None:
    return value if isinstance(value, str) and value in _FINISH_REASONS else None


def _index(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < MAX_TOOL_CALLS:
        raise WireError(f"index {str(value)[:20]!r} is not a small whole number")
    return value


def _tool_call(raw: Any, where: str) -> ToolCall:
    if not isinstance(raw, dict):
        raise WireError(f"{where} is not an object")
    function = raw.get("function")
    if not isinstance(function, dict):
        raise WireError(f"{where}.function is not an object")
    name = function.get("name")
    if not isinstance(name, str) or not name:
        raise WireError(f"{where}.function.name is not a non-empty string")
    if len(name) > MAX_TOOL_NAME_CHARS:
        raise WireError(f"{where}.function.name is longer than {MAX_TOOL_NAME_CHARS} characters")
    arguments = function.get("arguments")
    if arguments is None:
        arguments = ""
    elif not isinstance(arguments, str):  # some servers send an object; it is the same call
        arguments = json.dumps(arguments, ensure_ascii=False, allow_nan=False)
    call_id = raw.get("id")
    return ToolCall(id=call_id if isinstance(call_id, str) else None, name=name, arguments=arguments)


def read_completion(body: Any) -> Completion:
    """Read a (non-streamed) chat-completions body; raise :class:`WireError` when it is not one."""
    if not isinstance(body, dict):
        raise WireError("the answer is not a JSON object")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise WireError("the answer has no choices")
    if len(choices) > MAX_CHOICES:
        raise WireError(f"the answer has {len(choices)} choices (at most {MAX_CHOICES})")
    completion = Completion(meta=_meta(body), usage=_usage(body.get("usage")))
    for position, raw in enumerate(choices):
        where = f"choices[{position}]"
        if not isinstance(raw, dict) or not isinstance(raw.get("message"), dict):
            raise WireError(f"{where}.message is not an object")
        message = raw["message"]
        calls = message.get("tool_calls") or []
        if not isinstance(calls, list) or len(calls) > MAX_TOOL_CALLS:
            raise WireError(f"{where}.message.tool_calls is not a list of at most {MAX_TOOL_CALLS} calls")
        tool_calls = [_tool_call(call, f"{where}.message.tool_calls[{i}]") for i, call in enumerate(calls)]
        legacy = message.get("function_call")
        if legacy is not None:
            call = _tool_call({"function": legacy}, f"{where}.message.function_call")
            call.legacy = True
            tool_calls.append(call)
        index = _index(raw.get("index"), position)
        if any(choice.index == index for choice in completion.choices):
            # each choice is checked alone; a client that keeps choices by index (or joins deltas by it) would mix two
            raise WireError(f"{where}.index {index} is the index of another choice")
        completion.choices.append(
            Choice(
                index=index,
                content=_text(message.get("content"), f"{where}.message.content"),
                tool_calls=tool_calls,
                finish_reason=_finish(raw.get("finish_reason")),
            )
        )
    return completion


def sse_data(raw: bytes) -> Iterator[str]:
    """The ``data`` of every server-sent event in ``raw`` (multi-line data joined by newlines)."""
    text = raw.decode("utf-8")
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for block in text.split("\n\n"):
        if "\n" not in block:  # the usual event: one line
            if block.startswith("data:"):
                yield block[5:].removeprefix(" ")
            continue
        lines = [line for line in block.split("\n") if line.startswith("data:")]
        if lines:
            yield "\n".join(line[5:].removeprefix(" ") for line in lines)


def read_stream(raw: bytes) -> Completion:
    """Reassemble a streamed answer (``chat.completion.chunk`` events) into one :class:`Completion`.

    Content deltas are concatenated per choice; tool-call deltas are joined by their ``index``
    (``id`` and ``name`` from the first delta that has them, ``arguments`` concatenated). The
    stream must end with ``data: [DONE]``: a stream cut short is an error, not a shorter answer.

    The pieces are kept in lists and joined once at the end: appending each delta to the text so far copied
    the whole text per event (16 MiB of one-word deltas: ~35 s of CPU, quadratic, where this is linear).
    """
    completion = Completion()
    by_index: dict[int, Choice] = {}
    calls: dict[int, dict[int, ToolCall]] = {}
    texts: dict[int, list[str]] = {}
    arguments: dict[tuple[int, int], list[str]] = {}
    done = False
    try:
        events = sse_data(raw)
        for number, data in enumerate(events, start=1):
            if done:
                raise WireError(f"event {number} comes after [DONE]")
            if data.strip() == "[DONE]":
                done = True
                continue
            try:
                chunk = json.loads(data)
            except (ValueError, RecursionError):
                raise WireError(f"event {number} is not JSON") from None
            if not isinstance(chunk, dict):
                raise WireError(f"event {number} is not a JSON object")
            if "error" in chunk:
                raise WireError(f"the upstream sent an error event (event {number})")
            for key, value in _meta(chunk).items():
                completion.meta.setdefault(key, value)
            usage = _usage(chunk.get("usage"))
            if usage is not None:
                completion.usage = usage
            deltas = chunk.get("choices") or []
            if not isinstance(deltas, list):
                raise WireError(f"event {number}: choices is not a list")
            for raw_choice in deltas:
                _apply_delta(raw_choice, number, by_index, calls, texts, arguments)
    except UnicodeDecodeError:
        raise WireError("the stream is not UTF-8 text") from None
    if not done:
        raise WireError("the stream ended before data: [DONE]")
    if not by_index:
        raise WireError("the stream has no choices")
    for index in sorted(by_index):
        choice = by_index[index]
        if index in texts:
            choice.content = "".join(texts[index])
        slots = calls.get(index, {})
        choice.tool_calls = [slots[i] for i in sorted(slots)]
        for position in sorted(slots):
            call = slots[position]
            call.arguments = "".join(arguments.get((index, position), ()))
            if not call.name:
                raise WireError(f"choice {index}: a tool call has no function name")
        completion.choices.append(choice)
    return completion


def _apply_delta(
    raw: Any,
    number: int,
    by_index: dict[int, Choice],
    calls: dict[int, dict[int, ToolCall]],
    texts: dict[int, list[str]],
    arguments: dict[tuple[int, int], list[str]],
) -> None:
    if not isinstance(raw, dict):
        raise WireError(f"event {number}: a choice is not an object")
    index = _index(raw.get("index"), 0)
    if index not in by_index and len(by_index) >= MAX_CHOICES:
        raise WireError(f"the stream has more than {MAX_CHOICES} choices")
    choice = by_index.setdefault(index, Choice(index=index))
    delta = raw.get("delta") or {}
    if not isinstance(delta, dict):
        raise WireError(f"event {number}: delta is not an object")
    piece = _text(delta.get("content"), f"event {number}: delta.content")
    if piece is not None:
        texts.setdefault(index, []).append(piece)
    call_deltas = delta.get("tool_calls") or []
    if not isinstance(call_deltas, list):
        raise WireError(f"event {number}: delta.tool_calls is not a list")
    slots = calls.setdefault(index, {})
    for position, raw_call in enumerate(call_deltas):
        if not isinstance(raw_call, dict):
            raise WireError(f"event {number}: a tool-call delta is not an object")
        slot_index = _index(raw_call.get("index"), position)
        call = slots.get(slot_index)
        if call is None:
            if len(slots) >= MAX_TOOL_CALLS:
                raise WireError(f"choice {index} proposes more than {MAX_TOOL_CALLS} tool calls")
            call = slots[slot_index] = ToolCall()
        if isinstance(raw_call.get("id"), str) and call.id is None:
            call.id = raw_call["id"]
        function = raw_call.get("function") or {}
        if not isinstance(function, dict):
            raise WireError(f"event {number}: a tool-call delta's function is not an object")
        name = function.get("name")
        if isinstance(name, str) and name:
            # most servers send the name once; some repeat it whole in every delta
            call.name = name if (not call.name or name.startswith(call.name)) else call.name + name
            if len(call.name) > MAX_TOOL_NAME_CHARS:  # refused as it grows: a name in many pieces is never copied long
                raise WireError(f"event {number}: a tool call's name is longer than {MAX_TOOL_NAME_CHARS} characters")
        text = function.get("arguments")
        if isinstance(text, str):
            arguments.setdefault((index, slot_index), []).append(text)
        elif text is not None:
            raise WireError(f"event {number}: tool-call arguments are not text")
    if "function_call" in delta:
        raise WireError(f"event {number}: legacy function_call deltas are not supported; use tools")
    finish = _finish(raw.get("finish_reason"))
    if finish is not None:
        choice.finish_reason = finish


def check_unicode(completion: Completion) -> None:
    r"""Raise :class:`WireError` when a string the proxy would hand on holds a lone surrogate.

    JSON text may escape half a UTF-16 pair (``"\ud800"``): it parses, but is no character and cannot be
    written as UTF-8 — an answer carrying one (in the content, a name, an id, or the arguments' own JSON) is
    not a chat completion the proxy can pass on.
    """
    texts: list[str] = [value for value in completion.meta.values() if isinstance(value, str)]
    for choice in completion.choices:
        texts.append(choice.content or "")
        for call in choice.tool_calls:
            texts.extend((call.id or "", call.name, call.arguments))
            parsed = call.parsed_arguments()
            if not isinstance(parsed, str):
                try:
                    texts.append(_dumps(parsed))
                except ValueError:  # NaN or a number out of range: the guard refuses such arguments itself
                    pass
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            raise WireError("a string holds a lone surrogate escape (\\ud800-\\udfff): not Unicode text") from None


# --- writing -------------------------------------------------------------------------------------------


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _call_json(call: ToolCall, position: int | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {} if position is None else {"index": position}
    out.update({"id": call.id, "type": "function", "function": {"name": call.name, "arguments": call.arguments}})
    return out


def _finish_reason(choice: Choice) -> str:
    calls = choice.finish_reason in ("tool_calls", "function_call")
    if choice.finish_reason is not None and not calls:
        return choice.finish_reason
    # none given, or one naming calls: the calls the answer holds say which (a client looks for them where it says,
    # message.tool_calls or message.function_call; an upstream's "function_call" over tool_calls sent it to neither)
    if not choice.tool_calls:
        return "stop"
    return "function_call" if all(call.legacy for call in choice.tool_calls) else "tool_calls"


def completion_body(completion: Completion) -> dict[str, Any]:
    """A chat-completions body built from the checked parts only."""
    choices = []
    for choice in completion.choices:
        message: dict[str, Any] = {"role": "assistant", "content": choice.content}
        calls = [call for call in choice.tool_calls if not call.legacy]
        if calls:
            message["tool_calls"] = [_call_json(call) for call in calls]
        for call in choice.tool_calls:
            if call.legacy:  # a client of the functions API reads message.function_call, never tool_calls
                message["function_call"] = {"name": call.name, "arguments": call.arguments}
        choices.append({"index": choice.index, "message": message, "finish_reason": _finish_reason(choice)})
    body: dict[str, Any] = {"object": "chat.completion", **completion.meta, "choices": choices}
    if completion.usage is not None:
        body["usage"] = completion.usage
    return body


def sse_event(payload: Any) -> bytes:
    """One server-sent event carrying ``payload`` as JSON (or the literal ``[DONE]``)."""
    data = payload if payload == "[DONE]" else _dumps(payload)
    return f"data: {data}\n\n".encode()


def stream_events(completion: Completion, *, usage: bool = True) -> bytes:
    """The checked completion as ``chat.completion.chunk`` events, ending with ``data: [DONE]``.

    Per choice: one delta with the role and the whole content, one with the tool calls, one
    with the finish reason; then a usage chunk when the upstream reported usage and ``usage`` (the
    client asked for it: a chunk with no choices breaks clients that read ``choices[0]``).
    """
    base = {"object": "chat.completion.chunk", **completion.meta}
    parts: list[bytes] = []
    for choice in completion.choices:
        head: dict[str, Any] = {"role": "assistant", "content": choice.content or ""}
        parts.append(sse_event({**base, "choices": [{"index": choice.index, "delta": head, "finish_reason": None}]}))
        if choice.tool_calls:
            delta = {"tool_calls": [_call_json(call, i) for i, call in enumerate(choice.tool_calls)]}
            parts.append(
                sse_event({**base, "choices": [{"index": choice.index, "delta": delta, "finish_reason": None}]})
            )
        tail = {"index": choice.index, "delta": {}, "finish_reason": _finish_reason(choice)}
        parts.append(sse_event({**base, "choices": [tail]}))
    if usage and completion.usage is not None:
        parts.append(sse_event({**base, "choices": [], "usage": completion.usage}))
    parts.append(sse_event("[DONE]"))
    return b"".join(parts)


def error_body(message: str, kind: str, code: str, **extra: Any) -> dict[str, Any]:
    """An OpenAI-style error object: ``{"error": {"message", "type", "code", ...}}``."""
    return {"error": {"message": message, "type": kind, "code": code, "param": None, **extra}}


def refusal_completion(meta: dict[str, Any], message: str) -> Completion:
    """An assistant answer that says why the request was blocked (no tool calls)."""
    return Completion(meta=dict(meta), choices=[Choice(index=0, content=message, finish_reason="stop")])
