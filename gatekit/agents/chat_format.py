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
    return arguments if arguments is not None else {}


def openai_tool_calls(message: dict[str, Any]) -> list[dict[str, Any]]:
    """Read ``tool_calls`` (and the legacy ``function_call``) of an OpenAI chat message."""
    calls: list[dict[str, Any]] = []
    for call in message.get("tool_calls") or []:
        if not isinstance(call, dict):
            continue
        function: dict[str, Any] = call["function"] if isinstance(call.get("function"), dict) else call
        name = function.get("name")
        if name is None:
            continue
        calls.append({"name": name, "arguments": parse_arguments(function.get("arguments"))})
    legacy = message.get("function_call")
    if isinstance(legacy, dict) and legacy.get("name") is not None:
        calls.append({"name": legacy["name"], "arguments": parse_arguments(legacy.get("arguments"))})
    return calls


def _usage(raw: Any) -> dict[str, Any]:
    """Token counts as reported; :func:`gatekit.agents.base.check_response` validates them."""
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


def parse_responses_output(body: dict[str, Any]) -> AgentResponse:
    """Normalise an OpenAI Responses-API style body (MLflow ``ResponsesAgent``)."""
    texts: list[str] = []
    calls: list[dict[str, Any]] = []
    for item in body.get("output") or []:
        if not isinstance(item, dict):
            continue
        kind = item.get("type")
        if kind == "message":
            for part in item.get("content") or []:
                if isinstance(part, dict) and part.get("type") == "output_text":
                    texts.append(str(part.get("text", "")))
        elif kind == "function_call" and item.get("name") is not None:
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
    for message in body.get("messages") or []:
        if not isinstance(message, dict) or message.get("role") != "assistant":
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
