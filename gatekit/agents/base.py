"""The one small async interface every agent adapter implements."""

from __future__ import annotations

import json
import math
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from gatekit.models import TOOL_RESULT_KEYS, AgentResponse, ErrorType
from gatekit.redact import scrub_message_cut


@dataclass
class AgentOptions:
    """Adapter settings from gatekit.yaml's ``agent_options`` (and flags)."""

    concurrency: int = 8
    timeout_s: float = 30.0
    model: str | None = None
    api_key_env: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)
    # the folder of the gatekit.yaml in use: a ``python:`` module not found from the working directory is looked
    # for there next (docs/agents.md)
    config_dir: str | None = None


class AgentCallError(Exception):
    """A failed call, classified so the replay engine knows whether to retry.

    Adapters raise this for failures they can classify (HTTP status, invalid
    response, dead worker). Any other exception is classified ``exception``;
    ``asyncio.TimeoutError`` from the per-attempt timeout is ``timeout``.

    ``never_sent``: the request provably never reached the agent (a refused or timed-out connect, a name that does not
    resolve, a command that could not be started), so the attempt cost nothing (0, known). Set only where that is
    certain: a timeout, a 5xx or a connection lost after the request was written may have been billed (unknown).
    """

    def __init__(
        self,
        error_type: ErrorType,
        message: str,
        *,
        retryable: bool = True,
        retry_after_s: float | None = None,
        never_sent: bool = False,
    ) -> None:
        super().__init__(message)
        self.error_type = error_type
        self.retryable = retryable
        self.retry_after_s = retry_after_s
        self.never_sent = never_sent
        # what the failed call reported it spent (an error response's usage, model, cost): checked when read
        self.usage: Any = None
        self.cost_usd: Any = None
        self.model: Any = None


_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


def expand_env(value: str, where: str, secret: Callable[[str], bool] = lambda name: True) -> str:
    """``value`` with each ``${NAME}`` replaced by that environment variable; an unset one is an ``AgentError``.

    The value of each variable ``secret(NAME)`` holds for is registered as a known secret (never written back): a
    header read from the environment is a credential (the default), a ``cmd:`` worker's ``PATH`` is not.
    """
    from gatekit.errors import AgentError
    from gatekit.redact import add_known_secret

    def sub(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in os.environ:
            raise AgentError(f"agent_options.{where}: environment variable {name} is not set; export it")
        found = os.environ[name]
        if secret(name):
            add_known_secret(found)
        return found

    return _ENV_REF.sub(sub, value)


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


# Bounds on what one response may hold. An agent's answer is untrusted: anything outside them
# (and any value of the wrong type) makes the response invalid for that case, never a crash.
MAX_DEPTH = 64  # nesting of tool-call arguments
MAX_NODES = 100_000  # values inside all tool-call arguments together
MAX_TEXT_CHARS = 64 * 1024 * 1024  # output + every string in the arguments + the tool results
MAX_TOOL_CALLS = 1_000
MAX_NAME_CHARS = 1_000  # a tool or model name
MAX_TOKENS = 10**12  # per case; more is not a real usage count
MAX_COST_USD = 10**6  # per case
_MAX_INT = 2**63  # an integer argument beyond int64 is not a value a tool takes


DEFAULT_MAX_RESPONSE_BYTES = 8 * 1024 * 1024  # one answer as sent (an HTTP body, a cmd: line): extra.max_response_bytes


def max_response_bytes(value: Any) -> int:
    """``agent_options.extra.max_response_bytes``: a whole number of bytes >= 1024, or the default when unset."""
    from gatekit.errors import AgentError

    if value is None:
        return DEFAULT_MAX_RESPONSE_BYTES
    if isinstance(value, bool) or not isinstance(value, int) or value < 1024:
        raise AgentError(
            f"agent_options.extra.max_response_bytes: expected a whole number of bytes >= 1024, got {value!r}"
        )
    return value


def invalid_response(message: str) -> AgentCallError:
    """An ``invalid_response`` error: not retried, since the same request gets the same answer."""
    return AgentCallError(ErrorType.INVALID_RESPONSE, message, retryable=False)


def check_tokens(value: Any, field: str) -> int | None:
    """A token count: a whole number in ``[0, MAX_TOKENS]``; ``None`` (not reported) stays None, never 0."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise invalid_response(f"agent returned usage.{field} of type bool; expected a whole number")
    if isinstance(value, int):
        number = int.__int__(value)
    elif isinstance(value, float) and math.isfinite(value) and value == int(value):
        number = int(value)
    elif isinstance(value, str) and 0 < len(value) <= 15 and value.strip().isascii() and value.strip().isdigit():
        number = int(value)  # (ASCII digits: "²".isdigit() holds and int("²") raised, a retried 'exception')
    else:
        raise invalid_response(
            f"agent returned usage.{field} that is not a whole number ({_describe(value)}); expected an integer >= 0"
        )
    if number < 0:
        raise invalid_response(f"agent returned a negative usage.{field} ({number}); token counts are >= 0")
    if number > MAX_TOKENS:
        raise invalid_response(f"agent returned usage.{field} above {MAX_TOKENS:.0e}; not a real token count")
    return number


def check_cost(value: Any, where: str = "cost_usd") -> float | None:
    """A cost in USD: a finite number in ``[0, MAX_COST_USD]``; ``None`` when not reported."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            number = float(value.strip()) if len(value) <= 64 else math.nan
        except ValueError:
            raise invalid_response(f"agent returned {where} that is not a number ({_describe(value)})") from None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    else:
        raise invalid_response(f"agent returned {where} that is not a number ({_describe(value)})")
    if not math.isfinite(number):
        raise invalid_response(f"agent returned a non-finite {where}; a cost is a number >= 0")
    if number < 0:
        raise invalid_response(f"agent returned a negative {where} ({number:g}); a cost is >= 0")
    if number > MAX_COST_USD:
        raise invalid_response(f"agent returned {where} of {number:g} USD for one case; above {MAX_COST_USD:g}")
    return number


def _describe(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return "an integer"  # never format it: 10**5000 cannot become a string
    if isinstance(value, str):
        return f"a string of {len(value)} characters"
    return f"type {type(value).__name__}"


_SURROGATE = re.compile("[\ud800-\udfff]")


def _no_surrogate(text: str, field: str) -> str:
    r"""``text``, refused when it holds a lone surrogate (a JSON ``"\ud800"`` escape): not Unicode, not writable."""
    if not text.isascii():
        found = _SURROGATE.search(text)
        if found is not None:
            raise invalid_response(
                f"agent returned {field} holding a lone surrogate (U+{ord(found.group()):04X} at character "
                f"{found.start()}); that is no Unicode text: send UTF-8 (a JSON escape pair for characters beyond U+FFFF)"
            )
    return text


def _text(value: Any, field: str, limit: int | None = None) -> str:
    if not isinstance(value, str):
        raise invalid_response(f"agent returned {field} of {_describe(value)}; expected a string")
    text = str.__str__(value)  # a plain str, whatever a subclass does in __str__
    if limit is not None and len(text) > limit:
        raise invalid_response(f"agent returned {field} longer than {limit} characters")
    return _no_surrogate(text, field)


class _Budget:
    """Counts values and characters while one response's tool-call arguments are copied."""

    __slots__ = ("nodes", "chars")

    def __init__(self, chars: int) -> None:
        self.nodes = 0
        self.chars = chars


_KEY_WORD_END = re.compile(r"[^\s\"'.,;:()\[\]{}]*$")  # the end of a key's last word


def _path_key(name: str) -> str:
    """A mapping key as an error's path names it: up to 40 characters, a cut one without its last word.

    The path is built for every value and scrubbed only with the message: a key across the cut (``note ghp_...``)
    left its first characters, which no detector recognises, in the case's error (results.jsonl, MLflow).
    """
    if len(name) <= 40:
        return name
    return _KEY_WORD_END.sub("", name[:40]) + "…"


def _json_value(value: Any, path: str, depth: int, budget: _Budget, seen: set[int]) -> Any:
    """Copy ``value`` as plain JSON data (dict/list/str/int/float/bool/None) within the bounds."""
    budget.nodes += 1
    if budget.nodes > MAX_NODES:
        raise invalid_response(f"agent returned tool-call arguments with more than {MAX_NODES} values")
    if value is None or isinstance(value, bool):
        return None if value is None else bool(value)
    if isinstance(value, str):
        budget.chars += len(value)
        if budget.chars > MAX_TEXT_CHARS:
            raise invalid_response(f"agent returned more than {MAX_TEXT_CHARS} characters of text")
        return _no_surrogate(str.__str__(value), f"a string at {path}")
    if isinstance(value, int):
        number = int.__int__(value)
        if not -_MAX_INT <= number <= _MAX_INT:
            raise invalid_response(f"agent returned an integer beyond 64 bits at {path}")
        return number
    if isinstance(value, float):
        number_f = float.__float__(value)
        if not math.isfinite(number_f):
            raise invalid_response(f"agent returned a non-finite number at {path}; JSON has no NaN or Infinity")
        return number_f
    if not isinstance(value, dict | list | tuple):
        raise invalid_response(f"agent returned a value of type {type(value).__name__} at {path}; expected JSON data")
    if depth >= MAX_DEPTH:
        raise invalid_response(f"agent returned tool-call arguments nested deeper than {MAX_DEPTH} levels")
    if id(value) in seen:
        raise invalid_response(f"agent returned a circular structure at {path}")
    seen.add(id(value))
    try:
        if isinstance(value, dict):
            out: dict[str, Any] = {}
            for key, item in dict.items(value):
                if not isinstance(key, str):
                    raise invalid_response(f"agent returned a non-string key ({_describe(key)}) at {path}")
                name = _text(key, "a key", MAX_NAME_CHARS)
                out[name] = _json_value(item, f"{path}.{_path_key(name)}", depth + 1, budget, seen)
            return out
        return [_json_value(item, f"{path}[{i}]", depth + 1, budget, seen) for i, item in enumerate(value)]
    finally:
        seen.discard(id(value))


def _tool_result(value: Any, where: str, budget: _Budget) -> str:
    """A tool call's attached result as text: a string as it is, any other JSON data JSON-encoded, within the bounds.

    The result is untrusted text the agent read (``prompt_injection``'s ``tool_outputs``, ``sensitive_data``'s
    ``tool_arguments`` read it): kept so that the gate judges what the runtime guard and ``policy test`` judge.
    """
    if isinstance(value, str):
        text = str.__str__(value)
        if budget.chars + len(text) <= MAX_TEXT_CHARS:  # (past it: refused below, unread)
            _no_surrogate(text, where)
    else:
        inner = _Budget(budget.chars)  # (bounds the strings before they are encoded; the encoding is counted below)
        inner.nodes = budget.nodes
        data = _json_value(value, where, 0, inner, set())
        budget.nodes = inner.nodes
        text = json.dumps(data, ensure_ascii=False)
    budget.chars += len(text)
    if budget.chars > MAX_TEXT_CHARS:
        raise invalid_response(f"agent returned more than {MAX_TEXT_CHARS} characters of text")
    return text


def check_response(response: AgentResponse) -> AgentResponse:
    """Return a clean copy of ``response``, or raise ``AgentCallError(INVALID_RESPONSE)``.

    Every adapter's answer passes through here (the replay engine calls it after each attempt):
    the output is a string, each tool call a ``{"name": str, "arguments": dict}`` of plain JSON
    data within :data:`MAX_DEPTH` / :data:`MAX_NODES` / :data:`MAX_TEXT_CHARS`, token counts are
    whole numbers in ``[0, MAX_TOKENS]`` and the cost a finite number in ``[0, MAX_COST_USD]``.
    A negative cost or token count is invalid, never summed. A tool call's attached result
    (``output`` / ``result`` / ``content``, :data:`gatekit.models.TOOL_RESULT_KEYS`) is kept as text within the same
    bounds: a string as it is, other JSON data JSON-encoded (``null`` is no result).
    """
    if not isinstance(response, AgentResponse):
        raise invalid_response(f"agent adapter returned {type(response).__name__}; expected an AgentResponse")
    output = _text(response.output, "'output'", MAX_TEXT_CHARS)
    raw_calls = response.tool_calls
    if not isinstance(raw_calls, list | tuple):
        raise invalid_response(f"agent returned 'tool_calls' of {_describe(raw_calls)}; expected a list")
    if len(raw_calls) > MAX_TOOL_CALLS:
        raise invalid_response(f"agent returned more than {MAX_TOOL_CALLS} tool calls")
    budget = _Budget(len(output))
    calls: list[dict[str, Any]] = []
    for index, call in enumerate(raw_calls):
        if not isinstance(call, dict):
            raise invalid_response(
                f"tool call {index} is {_describe(call)}; expected a dict with 'name' and 'arguments'"
            )
        name = _text(dict.get(call, "name"), f"tool call {index} 'name'", MAX_NAME_CHARS)
        arguments = dict.get(call, "arguments")
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise invalid_response(
                f"tool call {index} ({scrub_message_cut(name, 80)!r}) has 'arguments' of {_describe(arguments)}; "
                "expected a JSON object"
            )
        clean: dict[str, Any] = {"name": name, "arguments": _json_value(arguments, "arguments", 0, budget, set())}
        for key in TOOL_RESULT_KEYS:
            result = dict.get(call, key)
            if result is not None:
                clean[key] = _tool_result(result, f"tool call {index} {key!r}", budget)
        calls.append(clean)
    usage = response.usage if response.usage is not None else {}
    if not isinstance(usage, dict):
        raise invalid_response(f"agent returned 'usage' of {_describe(usage)}; expected a mapping")
    model = response.model
    return AgentResponse(
        output=output,
        tool_calls=calls,
        usage={
            "input_tokens": check_tokens(dict.get(usage, "input_tokens"), "input_tokens"),
            "output_tokens": check_tokens(dict.get(usage, "output_tokens"), "output_tokens"),
        },
        model=None if model is None else _text(model, "'model'", MAX_NAME_CHARS),
        cost_usd=check_cost(response.cost_usd),
    )


def normalise_response(raw: Any) -> AgentResponse:
    """Turn a string or a dict returned by an agent into a checked ``AgentResponse``.

    Raises ``AgentCallError(INVALID_RESPONSE)`` for anything else, and for a dict whose
    fields break :func:`check_response`'s rules. ``output`` may be any JSON scalar (turned
    into text); ``usage`` may use ``prompt_tokens`` / ``completion_tokens``.
    """
    if isinstance(raw, AgentResponse):
        return check_response(raw)
    if isinstance(raw, str):
        return check_response(AgentResponse(output=raw))
    if not isinstance(raw, dict):
        raise invalid_response(f"agent returned {type(raw).__name__}; expected a string or a dict with 'output'")
    output = dict.get(raw, "output")
    if output is None:
        output = ""
    elif isinstance(output, float) and not math.isfinite(output):  # NaN is no answer: never the text 'nan'
        raise invalid_response("agent returned a non-finite 'output' (NaN or Infinity); expected text")
    elif isinstance(output, bool | float) or (isinstance(output, int) and -_MAX_INT <= output <= _MAX_INT):
        output = str(output)  # a JSON scalar answer (42, true) is its text
    tool_calls = dict.get(raw, "tool_calls")
    if tool_calls is not None and not isinstance(tool_calls, list):
        raise invalid_response(f"agent returned 'tool_calls' of {_describe(tool_calls)}; expected a list")
    usage_raw = dict.get(raw, "usage")
    if usage_raw is not None and not isinstance(usage_raw, dict):
        raise invalid_response(f"agent returned 'usage' of {_describe(usage_raw)}; expected a mapping")
    usage_raw = usage_raw or {}
    usage = {
        "input_tokens": _first(usage_raw, "input_tokens", "prompt_tokens"),
        "output_tokens": _first(usage_raw, "output_tokens", "completion_tokens"),
    }
    return check_response(
        AgentResponse(
            output=output,
            tool_calls=tool_calls or [],
            usage=usage,
            model=dict.get(raw, "model"),
            cost_usd=dict.get(raw, "cost_usd"),
        )
    )


def normalise_answer(raw: Any) -> AgentResponse:
    """:func:`normalise_response` of what an agent answered (``python:`` return, ``cmd:`` line, HTTP ``json`` body).

    A mapping with neither ``output`` nor ``tool_calls`` is an ``invalid_response`` here: ``{"error": ...}`` from an
    HTTP agent answering 200, ``{"answer": ...}``, ``{}`` were a successful empty answer (governance judged nothing,
    the case passed); ``{"output": ""}`` is the empty answer. (The runtime guard's ``check_response``, which is given
    a response by the application itself, keeps ``normalise_response``'s reading.)
    """
    if isinstance(raw, dict) and reports_error(dict.get(raw, "error")):
        # beside an 'output' too: {"output": null, "error": "upstream 500"} was a successful empty answer (the case
        # passed, the error read nowhere), where the agent said the call failed
        raise invalid_response(f"agent returned an error instead of an answer: {error_text(dict.get(raw, 'error'))}")
    if isinstance(raw, dict) and "output" not in raw and "tool_calls" not in raw:
        error = dict.get(raw, "error")
        if error is not None:
            raise invalid_response(f"agent returned an error instead of an answer: {error_text(error)}")
        keys = ", ".join(scrub_message_cut(repr(key), 40) for key in list(raw)[:5] if isinstance(key, str)) or "none"
        raise invalid_response(
            f"agent returned a mapping without 'output' or 'tool_calls' (keys: {keys}); answer with 'output' "
            '({"output": ""} for an empty answer)'
        )
    return normalise_response(raw)


def reports_error(value: Any) -> bool:
    """Whether an answer's ``error`` field says the call failed: a non-blank string, a non-empty object or list, true.

    ``null``, ``false``, ``""``, ``{}``, ``[]`` (and a number, NaN included: a table's empty ``error`` column) say
    nothing; an answer carrying them beside its ``output`` is read as the answer.
    """
    if value is True:
        return True
    if isinstance(value, str):
        return bool(str.strip(value))
    if isinstance(value, dict | list):
        return len(value) > 0
    return False


def error_text(error: Any) -> str:
    """An answer's ``error`` as one short text: its ``message`` when it is an object holding one."""
    message = dict.get(error, "message") if isinstance(error, dict) else error
    text = str.__str__(message) if isinstance(message, str) else _describe(message)
    return scrub_message_cut(text, 300)


def _first(mapping: dict[str, Any], *keys: str) -> Any:
    for key in keys:
        value = dict.get(mapping, key)
        if value is not None:
            return value
    return None
