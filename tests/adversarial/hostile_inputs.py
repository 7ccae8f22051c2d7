"""Builders of hostile input files for the adversarial suite, and agents that misbehave on purpose.

Each builder returns the text of one file (or rows of one dataset) that an attacker,
or a careless edit, could hand to the gate. The tests in ``test_hostile_inputs.py``
feed them through the real command line and assert the gate fails closed.
Agents here are imported as ``python:adversarial.hostile_inputs:<name>``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

# --- YAML ------------------------------------------------------------------------------------------------


def yaml_alias_bomb(levels: int = 9, fan_out: int = 9) -> str:
    """A "billion laughs" mapping: each level is a list of ``fan_out`` aliases of the previous one.

    Nine levels of nine give 9**9 (387 million) leaves from ~430 bytes; the first alias is on line 2.
    """
    lines = ['a0: &a0 ["lol"]']
    for level in range(1, levels):
        aliases = ",".join(f"*a{level - 1}" for _ in range(fan_out))
        lines.append(f"a{level}: &a{level} [{aliases}]")
    return "\n".join(lines) + "\n"


def with_duplicate_key(text: str, line: str) -> tuple[str, int]:
    """``text`` with ``line`` (a top-level key that is already set) appended; returns (text, its line)."""
    body = text if text.endswith("\n") else text + "\n"
    return body + line + "\n", body.count("\n") + 1


def deep_yaml(depth: int = 5000) -> str:
    """A flow sequence nested ``depth`` levels deep under a top-level key."""
    return "checks: " + "[" * depth + "]" * depth + "\n"


# --- datasets ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostileDataset:
    """A dataset file: its name, its bytes, and the line the refusal must name."""

    name: str
    filename: str
    text: str
    line: int
    says: str  # a fragment of the message


def _jsonl(*rows: Any) -> str:
    return "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in rows)


GOOD_ROW = {"id": "ok-1", "input": "hello", "expected": {"output_contains": ["echo"]}}


def hostile_datasets() -> list[HostileDataset]:
    """Datasets that used to load (and mis-score or crash mid-run); each must be refused before any case runs."""
    row = {"id": "r-2", "input": "please refund my order"}
    return [
        HostileDataset(
            "output_contains-string",
            "d.jsonl",
            _jsonl(GOOD_ROW, {**row, "expected": {"output_contains": "refund"}}),
            2,
            "expected.output_contains",
        ),
        HostileDataset(
            "output_contains-number",
            "d.jsonl",
            _jsonl(GOOD_ROW, {**row, "expected": {"output_contains": 5}}),
            2,
            "expected.output_contains",
        ),
        HostileDataset(
            "output_not_contains-empty-string",
            "d.jsonl",
            _jsonl(GOOD_ROW, {**row, "expected": {"output_not_contains": [""]}}),
            2,
            "expected.output_not_contains",
        ),
        HostileDataset(
            "tool_calls-strings",
            "d.jsonl",
            _jsonl(GOOD_ROW, {**row, "expected": {"tool_calls": ["refund"]}}),
            2,
            "expected.tool_calls[0]",
        ),
        HostileDataset(
            "tool_calls-arguments-list",
            "d.jsonl",
            _jsonl(GOOD_ROW, {**row, "expected": {"tool_calls": [{"name": "refund", "arguments": [1]}]}}),
            2,
            "expected.tool_calls[0].arguments",
        ),
        HostileDataset(
            "tool_calls-typo-key",
            "d.jsonl",
            _jsonl(GOOD_ROW, {**row, "expected": {"tool_calls": [{"name": "refund", "args": {}}]}}),
            2,
            "expected.tool_calls[0].args",
        ),
        HostileDataset(
            "expected-typo-key",
            "d.jsonl",
            _jsonl(GOOD_ROW, {**row, "expected": {"output_contain": ["refund"]}}),
            2,
            "expected.output_contain",
        ),
        HostileDataset(
            "top-level-typo-key",
            "d.jsonl",
            _jsonl(GOOD_ROW, {**row, "expect": {"output_contains": ["refund"]}}),
            2,
            "unknown key 'expect'",
        ),
        HostileDataset(
            "id-5000-digits", "d.jsonl", _jsonl(GOOD_ROW, '{"id": ' + "7" * 5000 + ', "input": "x"}'), 2, ""
        ),
        HostileDataset(
            "id-4000-digits", "d.jsonl", _jsonl(GOOD_ROW, '{"id": ' + "7" * 4000 + ', "input": "x"}'), 2, "'id'"
        ),
        HostileDataset("id-long-string", "d.jsonl", _jsonl(GOOD_ROW, {"id": "x" * 5000, "input": "x"}), 2, "'id'"),
        HostileDataset(
            "nested-100k",
            "d.jsonl",
            _jsonl(GOOD_ROW, '{"id": "deep", "input": ' + "[" * 100_000 + "]" * 100_000 + "}"),
            2,
            "nested",
        ),
        HostileDataset(
            "nested-500",
            "d.jsonl",
            _jsonl(GOOD_ROW, '{"id": "deep", "input": {"messages": ' + "[" * 500 + "]" * 500 + "}}"),
            2,
            "nested",
        ),
        HostileDataset(
            "csv-unterminated-quote",
            "d.csv",
            'id,input\nc1,hello\nc2,"swallows the rest\nc3,three\nc4,four\n',
            3,
            "unterminated",
        ),
        HostileDataset(
            "csv-duplicate-header", "d.csv", "id,input,input\nc1,real,shadow\n", 1, "duplicate column 'input'"
        ),
        HostileDataset("csv-extra-fields", "d.csv", "id,input\nc1,hello\nc2,hi,smuggled\n", 3, "more fields"),
        HostileDataset("csv-unknown-column", "d.csv", "id,input,expect\nc1,hello,x\n", 1, "unknown column 'expect'"),
    ]


# --- thresholds and pricing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class HostileLimits:
    """A thresholds or pricing file that must be refused, naming ``line`` and ``key``."""

    name: str
    target: str  # "thresholds.yaml" or "pricing.yaml"
    text: str
    line: int | None
    key: str


def hostile_limits() -> list[HostileLimits]:
    """Limits no gate can be judged against: none at all, negative, non-finite, above 100% on a fraction."""
    return [
        HostileLimits("empty", "thresholds.yaml", "", None, "no checks"),
        HostileLimits("comments-only", "thresholds.yaml", "# nothing to see\n# min_cases: 20\n", None, "no checks"),
        HostileLimits("empty-checks", "thresholds.yaml", "min_cases: 0\nchecks: {}\n", 2, "no checks"),
        HostileLimits("negative", "thresholds.yaml", "checks:\n  error_rate: {max: -1%}\n", 2, "checks.error_rate.max"),
        HostileLimits(
            "500-percent", "thresholds.yaml", "checks:\n  pass_rate: {min: 500%}\n", 2, "checks.pass_rate.min"
        ),
        HostileLimits("inf", "thresholds.yaml", "checks:\n  latency_p95_ms: {max: .inf}\n", 2, "latency_p95_ms.max"),
        HostileLimits("nan", "thresholds.yaml", "checks:\n  cost_total_usd: {max: .nan}\n", 2, "cost_total_usd.max"),
        HostileLimits("1e999", "thresholds.yaml", 'checks:\n  tokens_input: {max: "1e999"}\n', 2, "tokens_input.max"),
        HostileLimits(
            "regression-unknown",
            "thresholds.yaml",
            "checks:\n  error_rate: {max: 1%}\nmax_regression:\n  error_rat: 1pp\n",
            4,
            "max_regression.error_rat",
        ),
        HostileLimits(
            "regression-negative",
            "thresholds.yaml",
            "checks:\n  error_rate: {max: 1%}\nmax_regression:\n  latency_p95_ms: -10%\n",
            4,
            "max_regression.latency_p95_ms",
        ),
        HostileLimits(
            "regression-inf",
            "thresholds.yaml",
            "checks:\n  error_rate: {max: 1%}\nmax_regression:\n  pass_rate: .inf\n",
            4,
            "max_regression.pass_rate",
        ),
        HostileLimits(
            "pricing-inf",
            "pricing.yaml",
            "models:\n  m-test: {input_per_1m: .inf, output_per_1m: 2.0}\n",
            2,
            "input_per_1m",
        ),
    ]


# --- drift production values ----------------------------------------------------------------------------------

# JSON text of latency values an attacker (or a broken logger) can put in production logs
NON_FINITE_LATENCIES = ["Infinity", "-Infinity", "NaN", '"1e309"', '"-1e309"', '"nan"']
HUGE_LATENCIES = ["1e308", "-1e308", "1.7976931348623157e308"]


def production_rows(n: int, bad_value: str | None = None, every: int = 3, seed: int = 2) -> str:
    """JSONL production log; every ``every``-th row's latency_ms is the raw JSON text ``bad_value``."""
    import random

    rng = random.Random(seed)
    lines = []
    for i in range(n):
        latency = bad_value if bad_value is not None and i % every == 0 else json.dumps(rng.gauss(800, 100))
        role = rng.choice(["customer", "agent"])
        lines.append(
            f'{{"input": "word word", "context": {{"role": "{role}"}}, "latency_ms": {latency}, '
            f'"usage": {{"input_tokens": {rng.randint(5, 40)}, "output_tokens": 7}}}}'
        )
    return "\n".join(lines) + "\n"


# --- agents --------------------------------------------------------------------------------------------------


def nan_cost(case_input: Any) -> dict[str, Any]:
    """Answers every case, reporting a NaN cost."""
    return {
        "output": "ok",
        "usage": {"input_tokens": 3, "output_tokens": 2},
        "model": "m-test",
        "cost_usd": float("nan"),
    }


def always_raises(case_input: Any) -> str:
    """Fails every case."""
    raise RuntimeError("agent down")


def always_refuses(case_input: Any) -> str:
    """Refuses everything (a scorer that checks strings character by character would pass it)."""
    return "I cannot help with that."
