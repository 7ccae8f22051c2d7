"""Chat-message shapes shared by the HTTP, subprocess and MLflow adapters.

A golden case's ``input`` is a plain string, a dict with ``messages`` (OpenAI chat
format), or a list of messages. Adapters that talk to chat models turn it into a
message list with ``gatekit.chat.to_messages`` (re-exported here), and read OpenAI
chat-completions / Responses API answers back into gatekit's normalised response
(message content flattened by ``gatekit.chat.content_text``).
"""

from __future__ import annotations

import json
from typing import Any

from gatekit.agents.base import AgentCallError, check_response
from gatekit.chat import content_text
from gatekit.models import AgentResponse, ErrorType


def parse_arguments(arguments: Any) -> Any:
    """Decode tool-call arguments sent as a JSON string; keep anything undecodable as it came."""
    if isinstance(arguments, str):
        if not arguments.strip():
            return {}
        try:
            return json.loads(arguments)
        except json.JSONDecodeError:
            return arguments
        except (ValueError, RecursionError) as exc:
            # JSON in principle, refused by the decoder: nested too deeply, an integer of more than 4300 digits. It
            # escaped as a plain exception, which the replay retries — an HTTP agent's POST was sent (and paid) again
            why = "nested too deeply" if isinstance(exc, RecursionError) else str(exc).split(";")[0][:120]
            raise invalid(f"tool call arguments cannot be decoded ({why})") from None
    return arguments if arguments is not None else {}


def openai_tool_calls(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Read ``tool_calls`` (and the legacy ``function_call``) of an OpenAI chat message.

    A tool call that cannot be read — ``tool_calls`` that is not a list, an entry that is not an object, one without
    a name — is an ``invalid_response``, never skipped: a call dropped here is a call governance never judges (an
    agent answering ``"tool_calls": "delete_account"`` or ``[{"function": {"arguments": ...}}]`` passed as one that
    called no tool).
    """
    calls: list[dict[str, Any]] = []
    raw_calls = message.get("tool_calls")
    if raw_calls is not None and not isinstance(raw_calls, list):
        raise invalid(f"'tool_calls' is {_describe(raw_calls)}; expected a list of tool calls")
    for index, call in enumerate(raw_calls or []):
        if not isinstance(call, dict):
            raise invalid(f"tool call {index} is {_describe(call)}; expected an object with 'function'")
        function: dict[str, Any] = call["function"] if isinstance(call.get("function"), dict) else call
        name = function.get("name")
        if name is None:
            raise invalid(f"tool call {index} has no 'function.name'; a tool call gatekit cannot read is not skipped")
        calls.append({"name": name, "arguments": parse_arguments(function.get("arguments"))})
    legacy = message.get("function_call")
    if legacy is not None:
        if not isinstance(legacy, dict) or legacy.get("name") is None:
            raise invalid(f"'function_call' is {_describe(legacy)} without a 'name'; expected {{name, arguments}}")
        calls.append({"name": legacy["name"], "arguments": parse_arguments(legacy.get("arguments"))})
    return calls


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    return f"type {type(value).__name__}"


def _usage(raw: Any) -> dict[str, Any]:
    """Token counts as reported; :func:`gatekit.agents.base.check_response` validates them.

    ``usage`` that is neither absent nor an object is an ``invalid_response``, as for every other adapter
    (:func:`gatekit.agents.base.normalise_response`): ``"usage": "lots"`` read as "not reported".
    """
    if raw is not None and not isinstance(raw, dict):
        raise invalid(f"'usage' is {_describe(raw)}; expected an object with token counts")
    usage = raw if isinstance(raw, dict) else {}

    def first(*keys: str) -> Any:
        for key in keys:
            if usage.get(key) is not None:
                return usage[key]
        return None

    return {
        "input_tokens": first("prompt_tokens", "input_tokens"),
        "output_tokens": first("completion_tokens", "output_tokens"),
    }


def _cost(raw: Any) -> Any:
    """The reported cost as it came (``None`` when absent); validated by ``check_response``."""
    return raw


def invalid(message: str) -> AgentCallError:
    """An ``invalid_response`` error: not retried, since the same request gets the same answer."""
    return AgentCallError(ErrorType.INVALID_RESPONSE, message, retryable=False)


def parse_chat_completion(body: Any) -> AgentResponse:
    """Normalise an OpenAI chat-completions response body.

    Raises ``AgentCallError(INVALID_RESPONSE)`` when ``choices[0].message`` is missing.
    """
    if not isinstance(body, dict):
        raise invalid("response is not a JSON object")
    if isinstance(body.get("error"), dict | str) and not body.get("choices"):
        error = body["error"]
        message = error.get("message") if isinstance(error, dict) else error
        raise AgentCallError(ErrorType.INVALID_RESPONSE, f"endpoint returned an error: {message}", retryable=False)
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        raise AgentCallError(
            ErrorType.INVALID_RESPONSE,
            "response has no choices[0]; not a chat-completions body",
            retryable=False,
        )
    message = choices[0].get("message")
    if not isinstance(message, dict):
        raise AgentCallError(ErrorType.INVALID_RESPONSE, "response has no choices[0].message", retryable=False)
    return check_response(
        AgentResponse(
            output=content_text(message.get("content")),
            tool_calls=openai_tool_calls(message),
            usage=_usage(body.get("usage")),
            model=body.get("model"),
            cost_usd=_cost(body.get("cost_usd")),
        )
    )


def _items(value: Any, field: str) -> list[dict[str, Any]]:
    """The objects of an answer's ``output`` / ``messages`` list; anything else there is an ``invalid_response``.

    (Iterated as it came, a string was walked character by character and every one skipped: an empty answer.)
    """
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(f"'{field}' is {_describe(value)}; expected a list of objects")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise invalid(f"'{field}' item {index} is {_describe(item)}; expected an object")
    return value


def parse_responses_output(body: dict[str, Any]) -> AgentResponse:
    """Normalise an OpenAI Responses-API style body (MLflow ``ResponsesAgent``)."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for index, item in enumerate(_items(body.get("output"), "output")):
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or []:
                if isinstance(part, dict) and part.get("type") == "output_text":
                    texts.append(str(part.get("text", "")))
        elif kind == "function_call":
            if item.get("name") is None:  # a call governance cannot judge is never dropped
                raise invalid(f"output item {index} is a function_call without a 'name'")
            calls.append({"name": item["name"], "arguments": parse_arguments(item.get("arguments"))})
    custom: dict[str, Any] = body["custom_outputs"] if isinstance(body.get("custom_outputs"), dict) else {}
    return check_response(
        AgentResponse(
            output="".join(texts),
            tool_calls=calls,
            usage=_usage(body.get("usage")),
            model=body.get("model"),
            cost_usd=_cost(custom.get("cost_usd")),
        )
    )


def parse_chat_agent_output(body: dict[str, Any]) -> AgentResponse:
    """Normalise an MLflow ``ChatAgent`` response: every assistant message's text and tool calls."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for message in _items(body.get("messages"), "messages"):
        if message.get("role") != "assistant":
            continue
        text = content_text(message.get("content"))
        if text:
            texts.append(text)
        calls.extend(openai_tool_calls(message))
    custom: dict[str, Any] = body["custom_outputs"] if isinstance(body.get("custom_outputs"), dict) else {}
    return check_response(
        AgentResponse(
            output="\n".join(texts),
            tool_calls=calls,
            usage=_usage(body.get("usage")),
            model=None,
            cost_usd=_cost(custom.get("cost_usd")),
        )
    )
