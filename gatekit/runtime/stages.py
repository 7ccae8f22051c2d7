"""Which rules of a policy run at which check point of a request.

The response point sees the whole case (the input, the output, the tool calls not checked before,
the usage), exactly as the gate does, so every rule runs there; a condition over the calls together
(:func:`reads_all_calls`) sees every call there, those checked before included. The earlier points run the rules
that can decide with what they have: the request point those that read only the input, the
context and the time; the tool-call point the tool rules and those that read the call.
Rules of unknown (plugin) kinds run at the response point only.
"""

from __future__ import annotations

from typing import Any

REQUEST_NAMES = frozenset({"case", "context", "input", "time"})
TOOL_READS = frozenset({"tool", "tool_calls", "tool_names"})
TOOL_NAMES = REQUEST_NAMES | TOOL_READS


def _scan(rule: Any) -> frozenset[str]:
    scan = getattr(getattr(rule, "cfg", None), "scan", None) or ()
    return frozenset(scan)


def _names(rule: Any) -> frozenset[str] | None:
    expression = getattr(rule, "expression", None)
    names = getattr(expression, "names", None)
    return frozenset(names) if names is not None else None


def at_request(rule: Any) -> bool:
    """True for a rule that can decide on the incoming request alone."""
    kind = getattr(rule, "kind", "")
    if kind == "prompt_injection":
        return bool({"input", "tool_outputs"} & _scan(rule))
    if kind in ("sensitive_data", "sensitive_terms"):
        return "input" in _scan(rule)
    if kind == "condition":
        names = _names(rule)
        return names is not None and names <= REQUEST_NAMES
    return False


def at_tool_call(rule: Any) -> bool:
    """True for a rule that judges a tool call before it runs."""
    kind = getattr(rule, "kind", "")
    if kind == "tools":
        return True
    if kind in ("sensitive_data", "sensitive_terms"):
        return "tool_arguments" in _scan(rule)
    if kind == "prompt_injection":  # an injected request followed by a risky call escalates
        return True
    if kind == "condition":
        names = _names(rule)
        return names is not None and bool(names & TOOL_READS) and names <= TOOL_NAMES
    return False


def at_response(rule: Any) -> bool:
    """Every rule judges the response: it is the whole case, as the gate sees it."""
    return True


def at_response_after_request(rule: Any) -> bool:
    """The response rules when the request point ran and the response has no tool calls to escalate.

    An injection rule that reads only the input (its user message and tool results) decided there.
    """
    if getattr(rule, "kind", "") == "prompt_injection":
        return bool(_scan(rule) - {"input", "tool_outputs"})
    return True


CASE_TOOL_READS = frozenset({"tool_calls", "tool_names"})


def reads_all_calls(rule: Any) -> bool:
    """True for a condition that must see every tool call of the response, those checked before they ran included.

    The tool-call point shows a rule one call at a time; the response point, only the calls not checked there. A
    condition over the case's calls together (``len(tool_calls) > 1``, two tools in ``tool_names``), or over one
    call and what only the response has (``tool.name == "refund" and contains(output, "guaranteed")``), would see
    the calls whole at neither: the response point judges it on all of them, as the gate does.
    """
    if getattr(rule, "kind", "") != "condition":
        return False
    names = _names(rule)
    if names is None or not names & TOOL_READS:
        return False
    return bool(names & CASE_TOOL_READS) or not at_tool_call(rule)


def at_response_rest(rule: Any) -> bool:
    """The response rules but :func:`reads_all_calls`' (run on every call apart, when calls were checked before)."""
    return not reads_all_calls(rule)


def at_response_after_request_rest(rule: Any) -> bool:
    """:func:`at_response_after_request` less :func:`reads_all_calls`' rules."""
    return at_response_after_request(rule) and not reads_all_calls(rule)


def at_tool_call_alone(rule: Any) -> bool:
    """The tool-call rules that judge one call by itself (all but :func:`at_tool_call_together`'s)."""
    return at_tool_call(rule) and not reads_all_calls(rule)


def at_tool_call_together(rule: Any) -> bool:
    """The tool-call conditions over the calls together (``len(tool_calls) > 1``, two tools in ``tool_names``).

    At a tool-call point they see the calls checked before it in the same response (the request in the guard, the
    choice in the proxy) and the new one: the second tool of a forbidden pair is stopped before it runs. A condition
    that more calls can make false (``len(tool_calls) == 1``) holds on the first call already, before the others are
    known: such a condition fires there (a deny, never a missed one).
    """
    return at_tool_call(rule) and reads_all_calls(rule)
