"""The speed-ups of the governance hot path give the same decisions as the plain paths they replace."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

from gatekit.governance import detectors as d
from gatekit.governance import policy_from_dict, scan
from gatekit.governance.expressions import Expression

_TEXTS = [
    "Mail jane.doe@example.com or call (212) 555-0199; card 4111 1111 1111 1111, SSN 123-45-6789.",
    "item 5952720925 and 9498777106 Main Street, IBAN DE89 3704 0044 0532 0130 00, ip 10.0.0.1",
    "password=S3cr3tP4ssw0rd9 key AKIAIOSFODNN7EXAMPLE for Project Falcon",
    "nothing to see here",
    "",
]


def _cases() -> list[tuple[dict[str, Any], dict[str, Any]]]:
    pairs = []
    for index, (out, arg) in enumerate(itertools.product(_TEXTS, _TEXTS)):
        case = {"id": f"c{index}", "input": f"my number is 212-555-0{index:03d}", "context": {"env": "production"}}
        calls = [{"name": "get_user_details", "arguments": {"note": arg, "ids": [arg[:12], "5952720925"]}}]
        pairs.append((case, {"output": out, "tool_calls": calls}))
    return pairs


def _decision_rows(policy: Any) -> list[Any]:
    run = policy.new_run("t")
    rows = []
    for case, response in _cases():
        decision = policy.evaluate(case, response, run)
        rows.append(
            (
                decision.outcome,
                decision.rules,
                decision.redacted_output,
                decision.redacted_tool_calls,
                decision.redactions,
            )
        )
    return rows


def test_grouped_sensitive_data_rules_match_each_rule_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEKIT_REDACTION_KEY", "k")
    raw = {
        "id": "p",
        "version": "1",
        "rules": [
            {"id": "pii", "kind": "sensitive_data", "actions": {"pii": "redact", "US_SSN": "review"}},
            # a redacting rule between two grouped ones: its request for a span must keep its place
            {"id": "terms", "kind": "sensitive_terms", "terms": ["jane.doe@example.com"], "action": "redact"},
            {"id": "sec", "kind": "sensitive_data", "actions": {"secrets": "deny", "EMAIL_ADDRESS": "review"}},
            {
                "id": "hm",
                "kind": "sensitive_data",
                "scan": ["input", "tool_arguments"],
                "actions": {"PHONE_NUMBER": "redact"},
                "redaction": "hmac",
            },
        ],
    }
    grouped = policy_from_dict(raw)
    assert grouped.rules[0].group is not None  # the first rule walks the texts for all three
    alone = policy_from_dict(raw)
    for rule in alone.rules:
        if getattr(rule, "group", None) is not None:
            rule.group = None
    expected = _decision_rows(alone)
    assert _decision_rows(grouped) == expected
    assert {row[0].value for row in expected} == {"allow_with_redaction", "require_review", "deny"}


def test_bare_digit_runs_match_the_regex_path() -> None:
    # the bare-run shortcut against the general path (_PHONE + _phone_ok) on every length and neighbour
    for length in range(5, 22):
        digits = "9498777106512345678901"[:length]
        for before, after in itertools.product(["", "a", "_", "+", "-", "(", " ", "é"], ["", " Main", "a", "."]):
            text = f"{before}{digits}{after}"
            start = len(before) - (before in ("+", "("))  # the digit run takes a leading + or (
            expected = []
            for match in d._PHONE.finditer(text, start, len(before) + length):
                if d._phone_ok(match.group(), text, match.end()):
                    expected.append(("PHONE_NUMBER", match.start(), match.end()))
            got = [(f.type, f.start, f.end) for f in scan(text) if f.type == "PHONE_NUMBER"]
            assert got == expected, text
    assert scan("abcd") == [] and scan("::1") == []


def test_conjuncts_split_a_top_level_and_only() -> None:
    whole = Expression('context.env == "production" and tool.name == "x" and tool.arguments.amount > 500')
    parts = whole.conjuncts()
    assert [sorted(p.names) for p in parts] == [["context"], ["tool"], ["tool"]]
    env = {"context": {"env": "production"}, "tool": {"name": "x", "arguments": {"amount": 600}}}
    assert all(p(env) for p in parts) and whole(env)
    single = Expression("tool.name == 'x' or context.env == 'p'")
    assert single.conjuncts() == [single]
