"""The one small async interface every agent adapter implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from gatekit.models import AgentResponse, ErrorType


@dataclass
class AgentOptions:
    """Adapter settings from gatekit.yaml's ``agent_options`` (and flags)."""

    concurrency: int = 8
    timeout_s: float = 30.0
    model: str | None = None
    api_key_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


class AgentCallError(Exception):
    """A failed call, classified so the replay engine knows whether to retry.

    Adapters raise this for failures they can classify (HTTP status, invalid
    response, dead worker). Any other exception is classified ``exception``;
    ``asyncio.TimeoutError`` from the per-attempt timeout is ``timeout``.
    """

    def __init__(
        self,
        error_type: ErrorType,
        message: str,
        *,
        retryable: bool = True,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.retryable = retryable
        self.retry_after_s = retry_after_s


@runtime_checkable
class Agent(Protocol):
    """A candidate agent: started once, called once per attempt, closed once."""

    spec: str

    async def start(self) -> None:
        """Prepare the agent (import, connect, spawn workers, load a model)."""

    async def call(self, case_input: Any, context: dict[str, Any]) -> AgentResponse:
        """Run one case and return its normalised response."""

    async def close(self) -> None:
        """Release everything ``start`` acquired."""


def normalise_response(raw: Any) -> AgentResponse:
    """Turn a string or a dict returned by an agent into an ``AgentResponse``.

    Raises ``AgentCallError(INVALID_RESPONSE)`` for anything else.
    """
    if isinstance(raw, AgentResponse):
        return raw
    if isinstance(raw, str):
        return AgentResponse(output=raw)
    if not isinstance(raw, dict):
        raise AgentCallError(
            ErrorType.INVALID_RESPONSE,
            f"agent returned {type(raw).__name__}; expected a string or a dict with 'output'",
            retryable=False,
        )
    output = raw.get("output", "")
    if output is None:
        output = ""
    if not isinstance(output, str):
        output = str(output)
    tool_calls = raw.get("tool_calls") or []
    if not isinstance(tool_calls, list):
        raise AgentCallError(
            ErrorType.INVALID_RESPONSE, "agent returned 'tool_calls' that is not a list", retryable=False
        )
    calls: list[dict[str, Any]] = []
    for call in tool_calls:
        if not isinstance(call, dict) or "name" not in call:
            raise AgentCallError(
                ErrorType.INVALID_RESPONSE,
                "each tool call must be a dict with 'name' and 'arguments'",
                retryable=False,
            )
        arguments = call.get("arguments") or {}
        calls.append({"name": str(call["name"]), "arguments": arguments})
    usage_raw = raw.get("usage") or {}
    usage = {
        "input_tokens": _int(usage_raw.get("input_tokens", usage_raw.get("prompt_tokens", 0))),
        "output_tokens": _int(usage_raw.get("output_tokens", usage_raw.get("completion_tokens", 0))),
    }
    cost = raw.get("cost_usd")
    return AgentResponse(
        output=output,
        tool_calls=calls,
        usage=usage,
        model=None if raw.get("model") is None else str(raw["model"]),
        cost_usd=None if cost is None else float(cost),
    )


def _int(value: Any) -> int:
    try:
        return int(value or 0)
    except (TypeError, ValueError):
        return 0
