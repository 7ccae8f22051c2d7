"""Chat input: its messages and its text — the one flattening governance, drift and the agents share.

A golden case's (or production log's) ``input`` is a plain string, a dict with
``messages`` (OpenAI chat format), a list of messages, or any other JSON value.

How an input becomes text (:func:`chat_text`):

* a string is itself; ``None`` is empty; a number or bool is ``str(value)``;
* chat messages (``{"messages": [...]}``, a list of message dicts or one message dict) give
  the text of each message's ``content``, in order, one message per line. Every role counts —
  system, user, assistant and ``tool`` (tool results are where injected instructions arrive);
  the role name itself is not added. Tool-call *requests* in assistant messages
  (``tool_calls`` / ``function_call``) are not text: they are the agent's earlier actions,
  judged by the tool-call rules on the response;
* content is a string or a list of parts: a part is a string, a ``{"text": ...}`` part, or
  another part (image, file, JSON) whose string values count, except its ``type`` label;
  parts are joined one per line;
* any other dict or list gives every string and number inside it (depth first), one per line.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any


def is_message(value: Any) -> bool:
    """Whether ``value`` looks like one chat message (a dict with a ``role`` or a ``content``)."""
    return isinstance(value, dict) and ("role" in value or "content" in value) and "messages" not in value


def input_messages(value: Any) -> list[dict[str, Any]] | None:
    """The chat messages of an input, or None when it is not chat-shaped (a string is not)."""
    if isinstance(value, dict):
        if isinstance(value.get("messages"), list):
            return [m for m in value["messages"] if isinstance(m, dict)]
        return [value] if is_message(value) else None
    if isinstance(value, list) and value and all(is_message(m) for m in value):
        return list(value)
    return None


def to_messages(value: Any) -> list[dict[str, Any]]:
    """Messages to send to a chat model: the input's messages, else one user message with its text.

    A string becomes its own user message; any other non-chat value is sent as compact JSON.
    """
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    messages = input_messages(value)
    if messages is not None:
        return messages
    return [{"role": "user", "content": json.dumps(value, ensure_ascii=False, default=str)}]


def content_text(content: Any) -> str:
    """The text of one message's ``content`` (a string or a list of typed parts)."""
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = []
        for part in content:
            if isinstance(part, dict) and isinstance(part.get("text"), str):
                texts.append(part["text"])
            elif isinstance(part, dict):
                texts.extend(text for key, text in _strings(part) if key != "type")
            else:
                texts.append(content_text(part))
        return "\n".join(texts)
    if isinstance(content, dict):
        return "\n".join(text for key, text in _strings(content) if key != "type")
    return str(content)


def chat_text(value: Any) -> str:
    """Flatten an input to text by the rules in the module docstring."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    messages = input_messages(value)
    if messages is not None:
        return "\n".join(content_text(m.get("content")) for m in messages)
    if isinstance(value, dict | list | tuple):
        return "\n".join(text for _, text in _strings(value))
    return str(value)


def _strings(value: Any, key: Any = None) -> Iterator[tuple[Any, str]]:
    """Every string inside ``value`` (depth first) with the dict key it sits under."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for name, item in value.items():
            yield from _strings(item, name)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item, key)
    elif isinstance(value, int | float) and not isinstance(value, bool):
        yield key, str(value)


def input_text_and_turns(value: Any) -> tuple[str | None, int]:
    """Return the text of an input (flattened by ``chat_text``) and its number of messages.

    Logs often store the input as a JSON string: one that decodes to chat messages is read as
    those messages. ``None`` has no text and no turns.
    """
    if value is None:
        return None, 0
    if isinstance(value, str) and value[:1] in "{[":
        try:
            parsed = json.loads(value)
        except (ValueError, RecursionError):  # (nested past Python's limit: read as the text it is)
            parsed = None
        if input_messages(parsed) is not None:
            value = parsed
    messages = input_messages(value)
    return chat_text(value), len(messages) if messages is not None else 1
