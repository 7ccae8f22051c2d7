"""Test agents for governance end-to-end tests: they leak sensitive values on purpose."""

from __future__ import annotations

from typing import Any

RAW_VALUES = [
    "jane.leaky@example.com",
    "4111 1111 1111 1111",
    "AKIAIOSFODNN7LEAKED1",
    "ghp_" + "Zq9X" * 9,
]


def leaky(case_input: Any, context: dict[str, Any] | None = None) -> dict[str, Any]:
    """Echo contact details, a card and credentials into the output and the tool arguments."""
    return {
        "output": f"Your e-mail is {RAW_VALUES[0]}, card {RAW_VALUES[1]}; debug key {RAW_VALUES[2]}",
        "tool_calls": [
            {"name": "find_user_id_by_email", "arguments": {"email": RAW_VALUES[0]}},
            {"name": "get_user_details", "arguments": {"user_id": "u1", "note": f"token {RAW_VALUES[3]}"}},
        ],
        "usage": {"input_tokens": 100, "output_tokens": 20},
        "model": "m-test",
    }
