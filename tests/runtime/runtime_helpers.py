"""Shared pieces of the runtime-guard tests: a policy file, a clock the test moves, a tool that records its calls."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import yaml

RULES: list[dict[str, Any]] = [
    {
        "id": "tools",
        "kind": "tools",
        "allow": ["lookup", "send_email", "refund", "transfer"],
        "deny": ["delete_*"],
        "limits": {
            "transfer": {"max_calls": 1},
            "send_email": {"max_calls_per_minute": 5},
            "refund": {"conditions": [{"when": "tool.arguments.amount > 500", "outcome": "require_review",
                                       "reason": "refund over $500"}]},
        },
    },
    {"id": "pii", "kind": "sensitive_data", "scan": ["output", "tool_arguments"], "outcomes": {"pii": "allow_with_redaction"}},
    {"id": "secrets", "kind": "sensitive_data", "scan": ["output", "tool_arguments", "input"], "outcomes": {"secrets": "deny"}},
    {"id": "injection", "kind": "prompt_injection", "scan": ["input", "tool_outputs"]},
    {"id": "no-guests-in-prod", "kind": "condition", "when": 'context.env == "production" and context.role == "guest"',
     "outcome": "deny", "reason": "guests may not use production"},
    {"id": "budget", "kind": "token_budget", "per_case": {"total_tokens": 1000}, "per_user_per_minute": 3000},
]  # fmt: skip

STOP_RULE = {"id": "stop", "kind": "emergency_stop", "when": "violation_count >= 3", "reason": "too many violations"}


def write_policy(folder: Path, *, stop: bool = False, name: str = "policy.yaml") -> Path:
    """Write the test policy (with the emergency stop when ``stop``) and return its path."""
    rules = [*RULES, STOP_RULE] if stop else list(RULES)
    path = folder / name
    path.write_text(yaml.safe_dump({"id": "rt-test", "version": "1", "rules": rules}, sort_keys=False))
    return path


class FakeClock:
    """Epoch seconds that move only when the test says so (thread-safe reads)."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def advance(self, seconds: float) -> None:
        with self._lock:
            self.now += seconds


class RecordingTool:
    """A tool with a side effect the tests can see: every call it actually ran."""

    def __init__(self) -> None:
        self.ran: list[tuple[str, Any]] = []
        self._lock = threading.Lock()

    def __call__(self, name: str, arguments: Any) -> str:
        with self._lock:
            self.ran.append((name, arguments))
        return f"{name} done"
