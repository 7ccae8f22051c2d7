"""A stand-in agent written by `gatekit init` so the first `gatekit eval` runs end to end.

Replace it with your agent (see `agent:` in gatekit.yaml) and delete this file.
It answers order-status questions by "calling" a lookup tool; no network, no model.
"""

from __future__ import annotations

import re
from typing import Any

_ORDER = re.compile(r"#?\b([A-Z]\d{3,})\b")


def run(case_input: Any, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Return a normalised response: output text, tool calls and token usage."""
    if isinstance(case_input, dict):
        messages = case_input.get("messages") or []
        text = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
    else:
        text = str(case_input)
    match = _ORDER.search(text)
    if match:
        order_id = match.group(1)
        return {
            "output": f"Order {order_id} is on its way.",
            "tool_calls": [{"name": "lookup_order", "arguments": {"order_id": order_id}}],
            "usage": {"input_tokens": len(text.split()), "output_tokens": 6},
            "cost_usd": 0.0,
        }
    return {
        "output": "I can help with orders. Which order number is it about?",
        "tool_calls": [],
        "usage": {"input_tokens": len(text.split()), "output_tokens": 10},
        "cost_usd": 0.0,
    }
