"""attack20p: the policy file as untrusted, hand-written input, and ``gatekit policy check`` / ``test``.

Each test names the defect it pins: a policy that loaded although part of it could never act (a stop rule
reading a rule id the policy does not run, a blank sensitive term), a policy test file whose expectations could
pass on nothing, and numbers written as text that the condition language did not read as the tool does.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from gatekit.errors import PolicyError
from gatekit.governance import load_policy, policy_from_dict
from gatekit.models import Outcome

ROOT = Path(__file__).resolve().parents[2]


def _gatekit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=60
    )


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


_TOOLS = "  - id: tools\n    kind: tools\n    allow: [get_order]\n"


# --- emergency stops reading rules.<id> ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "problem"),
    [
        ("rules.tool >= 3", "the policy has no rule 'tool'"),
        ("rules['tool'] >= 3", "the policy has no rule 'tool'"),
        ("cases > 5 and rules.spare >= 1", "rule 'spare' is disabled"),
    ],
)
def test_a_stop_reading_a_rule_the_policy_does_not_run_is_refused(tmp_path: Path, when: str, problem: str) -> None:
    # old: loaded, and rules.tool was null for ever: the stop never held
    policy = _write(
        tmp_path / "p.yaml",
        f'id: p\nversion: "1"\nrules:\n{_TOOLS}  - id: spare\n    kind: sensitive_terms\n    terms: [x]\n'
        f'    enabled: false\n  - id: stop\n    kind: emergency_stop\n    when: "{when}"\n',
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    message = str(caught.value)
    assert message.startswith(f"{policy}:11: rules[2] (stop): when reads rules.")
    assert problem in message and "name one of the policy's rules: tools" in message


def test_a_rule_that_has_not_fired_counts_zero() -> None:
    policy = policy_from_dict(
        {
            "id": "p",
            "version": "1",
            "rules": [
                {"id": "tools", "kind": "tools", "allow": ["get_order"]},
                {"id": "stop", "kind": "emergency_stop", "when": "cases >= 2 and rules.tools == 0"},
            ],
        }
    )
    run = policy.new_run()
    for _ in range(2):
        policy.evaluate({"id": "c", "input": "", "context": {}}, {"output": "ok", "tool_calls": []}, run=run)
    # old: rules.tools was null (never fired), so "== 0" never held
    assert run.stop_reason is not None and "stop" in run.stop_reason


# --- sensitive terms ------------------------------------------------------------------------------------


def _terms_policy(terms: list[Any]) -> Any:
    return policy_from_dict({"id": "t", "version": "1", "rules": [{"id": "t", "kind": "sensitive_terms", "terms": terms}]})


@pytest.mark.parametrize("terms", [[""], ["  "], ["falcon", " "]])
def test_a_blank_term_is_refused(terms: list[str]) -> None:
    # old: [""] loaded and matched between every two characters (every case denied, the output shredded);
    # a blank next to other terms was dropped without a word
    with pytest.raises(PolicyError, match=r"rules\[0\]\.terms: terms\[\d\] is empty or blank: .*remove it"):
        _terms_policy(terms)


def test_a_blank_term_is_one_line_exit_2(tmp_path: Path) -> None:
    policy = _write(tmp_path / "p.yaml", 'id: p\nversion: "1"\nrules:\n  - id: t\n    kind: sensitive_terms\n    terms: [""]\n')
    done = _gatekit("policy", "check", str(policy), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {policy}:6: rules[0].terms: terms[0] is empty or blank: it matches nothing (or everything); remove it"
    ]


def test_many_terms_cost_little_per_word() -> None:
    import random
    import string

    from conftest import best_thread_time

    rng = random.Random(7)
    terms = ["".join(rng.choice(string.ascii_lowercase) for _ in range(8)) for _ in range(1000)]
    text = " ".join("".join(rng.choice(string.ascii_lowercase) for _ in range(7)) for _ in range(3000))  # 24 KB
    policy = _terms_policy(terms)
    case, response = {"id": "c", "input": "", "context": {}}, {"output": text, "tool_calls": []}
    assert policy.evaluate(case, response).outcome is Outcome.ALLOW
    # old: every term's start-of-word test at every character, ~0.55 s of CPU here; now ~0.03 s
    assert best_thread_time(lambda: policy.evaluate(case, response), runs=2) < 0.2
    found = policy.evaluate(case, {"output": f"{text} {terms[-1].upper()}.", "tool_calls": []})
    assert found.outcome is Outcome.DENY and found.redacted_output.endswith(" [SENSITIVE_TERM].")


def test_more_than_ten_thousand_terms_are_refused() -> None:
    with pytest.raises(PolicyError, match=r"rules\[0\]\.terms: List should have at most 10000 items"):
        _terms_policy([f"t{index}" for index in range(10_001)])


# --- policy test files whose expectations could pass on nothing -------------------------------------------

_POLICY = f'id: p\nversion: "1"\nrules:\n{_TOOLS}  - id: terms\n    kind: sensitive_terms\n    terms: [falcon]\n'


@pytest.mark.parametrize(
    ("test", "message"),
    [
        # old: iterated the letters: passed whenever a reason held an 'f', an 'a', ... (here it failed on 'c')
        (
            '{name: t, response: {output: "falcon"}, expect: {reasons_contain: "FALCON"}}',
            'expect.reasons_contain must be a list of texts, e.g. ["EMAIL_ADDRESS"]',
        ),
        # old: bool("false") is true: a test meant to say "no stop" expected one
        (
            '{name: t, steps: [{response: {output: "ok"}}], expect_stop: "false"}',
            "expect_stop must be true or false (unquoted), not 'false'",
        ),
        # old: internal error (ValueError), exit 3
        (
            "{name: t, response: {output: falcon}, expect: {redactions: [SENSITIVE_TERM]}}",
            "expect.redactions must map a type to its count, e.g. {EMAIL_ADDRESS: 1}",
        ),
        # old: a mapping of tool_calls was no call at all: the policy allowed, a deny expectation failed for it
        (
            "{name: t, response: {output: ok, tool_calls: {name: drop_db}}, expect: {outcome: allow}}",
            "response: 'tool_calls' of type dict; expected a list; the gate would refuse this answer",
        ),
        # old: 'args' was no key of a call: judged without arguments, the test passed
        (
            "{name: t, response: {tool_calls: [{name: get_order, args: {id: 1}}]}, expect: {outcome: allow}}",
            "response.tool_calls[0]: unknown key(s) ['args']; use arguments, content, id, name, output, result",
        ),
        # old: a call without a name was judged (denied) although no agent answer can be like it
        (
            "{name: t, response: {tool_calls: [{arguments: {}}]}, expect: {outcome: deny}}",
            "response: tool call 0 'name' of type NoneType; expected a string",
        ),
        # old: a misspelt usage key left the count unknown
        (
            "{name: t, response: {output: ok, usage: {input_token: 5}}, expect: {outcome: allow}}",
            "response.usage: unknown key(s) ['input_token']; use input_tokens, output_tokens",
        ),
        (
            "{name: t, response: {output: falcon}, expect: {output: 12}}",
            'expect.output must be the redacted output as text (quote it: "...")',
        ),
        # old: the expect beside steps was ignored: the test passed on its steps alone
        (
            "{name: t, steps: [{response: {output: falcon}, expect: {outcome: deny}}], expect: {outcome: allow}}",
            "expect beside steps would be ignored; put them in each step",
        ),
        # old: a misspelt step key left the step's response empty
        (
            "{name: t, steps: [{respnse: {output: falcon}, expect: {outcome: allow}}]}",
            "step 0: unknown key(s) ['respnse']; use case, response, expect",
        ),
        # old: passed whatever the policy decided (every expectation an empty list)
        (
            "{name: t, response: {output: falcon}, expect: {rules: [], not_rules: []}}",
            "expect checks nothing (not_rules, rules empty): say what the decision must be",
        ),
    ],
)
def test_a_test_that_could_pass_on_nothing_is_a_bad_file(tmp_path: Path, test: str, message: str) -> None:
    from gatekit.governance.testing import run_policy_tests

    _write(tmp_path / "p.yaml", _POLICY)
    tests = _write(tmp_path / "t.yaml", f"policy: p.yaml\ntests:\n  - {test}\n")
    with pytest.raises(PolicyError) as caught:
        run_policy_tests(tests)
    assert str(caught.value).startswith(f"{tests}: test 't'")
    assert message in str(caught.value)


def test_policy_test_cli_bad_file_exit_2_and_wrong_expectation_exit_1(tmp_path: Path) -> None:
    _write(tmp_path / "p.yaml", _POLICY)
    bad = _write(
        tmp_path / "bad.yaml",
        'policy: p.yaml\ntests:\n  - {name: t, response: {output: "x"}, expect: {reasons_contain: "x"}}\n',
    )
    done = _gatekit("policy", "test", str(bad), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "Traceback" not in done.stderr
    wrong = _write(
        tmp_path / "wrong.yaml",
        "policy: p.yaml\ntests:\n  - {name: t, response: {output: falcon}, expect: {outcome: allow, rules: [tools]}}\n",
    )
    done = _gatekit("policy", "test", str(wrong), cwd=tmp_path)
    assert done.returncode == 1
    assert "FAIL" in done.stdout and "outcome 'deny', expected 'allow'" in done.stdout
    assert "rule 'tools' did not fire (fired: ['terms'])" in done.stdout


# --- numbers written as text, bool as a number ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("when", "env", "expected"),
    [
        # old: more than 64 characters was no number: zeros or blanks in front took a refund past the limit
        ("a > 500", {"a": "0" * 70 + "900"}, True),
        ("a > 500", {"a": " " * 70 + "900"}, True),
        # old: arithmetic and functions read a numeric string as null: a limit on a product never held
        ("a * b > 1000", {"a": "10", "b": "200"}, True),
        ("a + 0 > 500", {"a": "900"}, True),
        ("a - 100 > 500", {"a": "900"}, True),
        ("-a < -500", {"a": "900"}, True),
        ("abs(a) > 500", {"a": "-900"}, True),
        ("max(a, b) > 500", {"a": "900", "b": 1}, True),
        ("a / 2 > 400", {"a": "900"}, True),
        ('a + b == "9001"', {"a": "900", "b": "1"}, True),  # (two strings still join)
        # old: == and in compared a number with text: never equal
        ("a == 900", {"a": "900"}, True),
        ("a != 900", {"a": "900.0"}, False),
        ("a in [900, 1000]", {"a": "900"}, True),
        ('a not in ["x", 7]', {"a": " 7 "}, False),
        ('a == "900"', {"a": 900}, True),
        # old: two numeric strings were ordered as text ("10000" < "9000")
        ("a > b", {"a": "10000", "b": "9000"}, True),
        ("a < b < c", {"a": "9", "b": "10", "c": "11"}, True),
        # old: true == 1 (a YAML/JSON boolean is no number, as in the orderings)
        ("a == 1", {"a": True}, False),
        ("a in [0, 1]", {"a": False}, False),
        ("a == true", {"a": True}, True),
        ("a == true", {"a": 1}, False),
        # unchanged
        ('a == "production"', {"a": "production"}, True),
        ("a == null", {}, True),
        ("a > 500", {"a": "900 USD"}, False),
        ('a in ["x", "y"]', {"a": "y"}, True),
        ('a in ["x", "y"]', {"a": 5}, False),
        ('a not in ["x", "y"]', {"a": 5}, True),
        ('a in ["x", null]', {}, True),
        ('a in ["5", "y"]', {"a": 5}, True),
        ("a in b", {"a": 5, "b": ["5", "y"]}, True),
        ("a in b", {"a": "y", "b": ["x", "y"]}, True),
        ("a in b", {"a": "5.0", "b": ["x", 5]}, True),
        ("a in b", {"a": "900", "b": {"900": 1}}, True),
    ],
)
def test_numbers_written_as_text_are_numbers_everywhere(when: str, env: dict[str, Any], expected: bool) -> None:
    from gatekit.governance.expressions import Expression

    assert bool(Expression(when)(env)) is expected


def test_a_quoted_quantity_times_price_is_refused_in_the_gate_and_the_guard(tmp_path: Path) -> None:
    import yaml

    from gatekit.runtime import Enforcer
    from gatekit.runtime.decision import PolicyViolation

    raw = {
        "id": "p",
        "version": "1",
        "rules": [
            {
                "id": "big-order",
                "kind": "tools",
                "limits": {"order": {"conditions": [{"when": "tool.arguments.qty * tool.arguments.price > 1000"}]}},
            }
        ],
    }
    call = {"name": "order", "arguments": {"qty": "10", "price": "200"}}
    gate = policy_from_dict(raw).evaluate({"id": "c", "input": "", "context": {}}, {"output": "", "tool_calls": [call]})
    assert gate.outcome is Outcome.DENY  # old: allow (a string times a string was null)
    path = _write(tmp_path / "p.yaml", yaml.safe_dump(raw))
    enforcer = Enforcer.from_file(path, background=False)
    try:
        with pytest.raises(PolicyViolation):
            enforcer.check_tool_call("order", call["arguments"])
    finally:
        enforcer.close()


# --- a rule that checks nothing ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        # old: each loaded, and a policy of that rule alone allowed every case ("at least one rule" was met)
        ("kind: tools", " (r)", "a tools rule without allow, deny, high_risk, limits or max_calls_per_case checks"),
        ("kind: tools\n    limits: {}", " (r)", "a tools rule without allow, deny, high_risk, limits"),
        ("kind: tools\n    limits: {refund: {}}", ".limits.refund", "the limit sets nothing, so it never fires"),
        ("kind: token_budget", " (r)", "a token_budget rule without a limit checks nothing"),
        ("kind: token_budget\n    per_case: {}", " (r)", "a token_budget rule without a limit checks nothing"),
        ("kind: prompt_injection\n    scan: []", ".scan", "an empty scan list reads no text"),
        ("kind: sensitive_terms\n    terms: [x]\n    scan: []", ".scan", "an empty scan list reads no text"),
        ("kind: sensitive_data\n    outcomes: {pii: deny}\n    scan: []", ".scan", "an empty scan list reads no"),
        ("kind: sensitive_data\n    outcomes: {}", ".outcomes", "an empty mapping acts on no data type"),
    ],
)
def test_a_rule_that_checks_nothing_is_refused(tmp_path: Path, rule: str, field: str, message: str) -> None:
    policy = _write(tmp_path / "p.yaml", f'id: p\nversion: "1"\nrules:\n  - id: r\n    {rule}\n')
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    assert str(caught.value).startswith(f"{policy}:") and f": rules[0]{field}: {message}" in str(caught.value)


@pytest.mark.parametrize(
    "rule",
    [
        "kind: tools\n    allow: []",  # (no tool at all: every call refused)
        "kind: tools\n    high_risk: [refund]",
        "kind: tools\n    max_calls_per_case: 3",
        "kind: tools\n    limits: {refund: {max_calls: 1}}",
        "kind: token_budget\n    per_case: {output_tokens: 4k}",
        "kind: token_budget\n    per_run_per_minute: 50k",
    ],
)
def test_a_rule_with_one_check_still_loads(tmp_path: Path, rule: str) -> None:
    policy = _write(tmp_path / "p.yaml", f'id: p\nversion: "1"\nrules:\n  - id: r\n    {rule}\n')
    assert [r.id for r in load_policy(policy).rules] == ["r"]


# --- YAML that reads text as another type ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        # old: "version: Input should be a valid string" (nothing said 1.0 was read as a number)
        ('version: 1.0\nrules:\n  - {id: r, kind: tools, allow: [a]}', ":2: version: 1.0 is not text: YAML reads it"),
        # old: the same, for a rule id 'off' (YAML 1.1 reads it as false)
        (
            'version: "1"\nrules:\n  - {id: off, kind: tools, allow: [a]}',
            ":4: rules[0].id: false is not text: YAML reads it as a boolean (yes, no, on, off, true, false); put it",
        ),
        # old: "rules[0].outcomes[1].[key]: Input should be a valid string"
        (
            'version: "1"\nrules:\n  - id: r\n    kind: sensitive_data\n    outcomes: {yes: deny}',
            ":6: rules[0].outcomes: the key true is not text: YAML reads it as a boolean",
        ),
        (
            'version: "1"\nrules:\n  - id: r\n    kind: tools\n    limits: {7: {max_calls: 1}}',
            ":6: rules[0].limits: the key 7 is not text: YAML reads it as a number; put it in quotes",
        ),
        # old: "rules: Input should be a valid list"
        ('version: "1"\nrules:', ":3: rules: no rule under 'rules:'; list the rules (- id: ..., kind: ...)"),
    ],
)
def test_a_value_yaml_reads_as_no_text_says_to_quote_it(tmp_path: Path, lines: str, expected: str) -> None:
    policy = _write(tmp_path / "p.yaml", f"id: p\n{lines}\n")
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    assert str(caught.value).startswith(f"{policy}{expected}")


def test_a_yaml_merge_key_is_refused(tmp_path: Path) -> None:
    # old: loaded; the rule's own 'allow' silently won over the merged one (the reader saw two lists)
    policy = _write(
        tmp_path / "p.yaml",
        'id: p\nversion: "1"\nrules:\n  - id: r\n    kind: tools\n    allow: [a]\n    <<: {allow: [a, b]}\n',
    )
    done = _gatekit("policy", "check", str(policy), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"error: {policy}:7: invalid YAML: YAML merge key '<<' is not allowed in gatekit files; write the keys out in "
        "the mapping; fix it at that line"
    ]


# --- custom detectors that could find nothing ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("detector", "message"),
    [
        # old: loaded; below 0.5 without context words a candidate is never a finding: the type was never found
        ("{type: XID, pattern: 'x\\d+', score: 0.3}", "score 0.3 is below 0.5 and there are no context words"),
        ("{type: XID, pattern: 'x\\d+', score: 0.05, context: [id]}", "score 0.05 stays below 0.5 even after"),
        # old: loaded; "" is found before every candidate, so the context words meant nothing
        ("{type: XID, pattern: 'x\\d+', score: 0.3, context: [id, ' ']}", "context: context[1] is empty or blank"),
    ],
)
def test_a_custom_detector_that_finds_nothing_is_refused(tmp_path: Path, detector: str, message: str) -> None:
    policy = _write(
        tmp_path / "p.yaml",
        f'id: p\nversion: "1"\nrules:\n  - id: r\n    kind: sensitive_data\n    outcomes: {{XID: deny}}\n'
        f"    detectors:\n      - {detector}\n",
    )
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    assert str(caught.value).startswith(f"{policy}:8: rules[0].detectors[0]") and message in str(caught.value)


def test_a_weak_custom_detector_with_context_still_finds() -> None:
    policy = policy_from_dict(
        {
            "id": "p",
            "version": "1",
            "rules": [
                {
                    "id": "r",
                    "kind": "sensitive_data",
                    "outcomes": {"XID": "deny"},
                    "detectors": [{"type": "XID", "pattern": r"\bx\d{4}\b", "score": 0.1, "context": ["badge"]}],
                }
            ],
        }
    )
    case = {"id": "c", "input": "", "context": {}}
    assert policy.evaluate(case, {"output": "badge x1234", "tool_calls": []}).outcome is Outcome.DENY
    assert policy.evaluate(case, {"output": "room x1234", "tool_calls": []}).outcome is Outcome.ALLOW


# --- tool names in the lists -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        # old: each loaded; an allow entry no call can match (the agent's own name refused as not on the list)
        ("kind: tools\n    allow: [get_order, '']", "rules[0].allow: entry 1 is an empty or blank tool name"),
        ("kind: tools\n    allow: ['get_order ']", "rules[0].allow: entry 0, 'get_order ', has blanks around it"),
        ("kind: tools\n    deny: ['  ']", "rules[0].deny: entry 0 is an empty or blank tool name"),
        ("kind: tools\n    limits: {'': {max_calls: 1}}", "rules[0].limits: entry 0 is an empty or blank tool"),
        # (attack22p: high_risk_tools is matched as deny is, so ' refund' names refund; a blank entry names no tool)
        ("kind: prompt_injection\n    high_risk_tools: [refund, ' ']", "rules[0].high_risk_tools: entry 1 is an empty"),
    ],
)
def test_a_tool_name_that_names_no_tool_is_refused(tmp_path: Path, rule: str, message: str) -> None:
    policy = _write(tmp_path / "p.yaml", f'id: p\nversion: "1"\nrules:\n  - id: r\n    {rule}\n')
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    assert str(caught.value).startswith(f"{policy}:6: {message}")


def test_a_deny_entry_with_blanks_still_denies() -> None:
    policy = policy_from_dict(
        {"id": "p", "version": "1", "rules": [{"id": "r", "kind": "tools", "deny": ["drop_db "]}]}
    )
    call = {"name": "drop_db", "arguments": {}}
    decision = policy.evaluate({"id": "c", "input": "", "context": {}}, {"output": "", "tool_calls": [call]})
    assert decision.outcome is Outcome.DENY


@pytest.mark.parametrize(
    ("case", "message"),
    [
        # old: a context that is not a mapping was read as none: context.env was null, the test passed on nothing
        ('{context: "production"}', "case.context must be a mapping such as {env: production}, not 'production'"),
        ("{tags: smoke}", "case.tags must be a list, not 'smoke'"),
        ("{timestamp: 1733565600}", "case.timestamp must be an ISO 8601 time, such as 2026-12-01T10:00:00Z"),
    ],
)
def test_a_test_case_the_dataset_would_refuse_is_a_bad_file(tmp_path: Path, case: str, message: str) -> None:
    from gatekit.governance.testing import run_policy_tests

    _write(tmp_path / "p.yaml", _POLICY)
    tests = _write(
        tmp_path / "t.yaml", f"policy: p.yaml\ntests:\n  - {{name: t, case: {case}, expect: {{outcome: allow}}}}\n"
    )
    with pytest.raises(PolicyError) as caught:
        run_policy_tests(tests)
    assert str(caught.value).startswith(f"{tests}: test 't': {message}")


def test_an_unquoted_timestamp_still_reads(tmp_path: Path) -> None:
    from gatekit.governance.testing import run_policy_tests

    _write(tmp_path / "p.yaml", _POLICY)
    tests = _write(
        tmp_path / "t.yaml",
        "policy: p.yaml\ntests:\n  - {name: t, case: {timestamp: 2026-12-01T10:00:00Z}, expect: {outcome: allow}}\n",
    )
    assert [result.passed for result in run_policy_tests(tests)] == [True]


# --- numbers of the rule kinds: .inf, .nan, a window without end ---------------------------------------------


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        # old: internal error: OverflowError (exit 3)
        ("kind: token_budget\n    per_case: {output_tokens: .inf}", ".per_case.output_tokens: per_case: inf is not a"),
        ("kind: token_budget\n    per_run_per_minute: .inf", ".per_run_per_minute: per minute budget: inf is not"),
        ("kind: tools\n    limits: {x: {max_argument_chars: 1e400}}", ".limits.x.max_argument_chars: max_argument_"),
        # old: loaded; a NaN window never let an event go (every later total summed the whole run)
        ("kind: token_budget\n    per_run_per_minute: 5k\n    window: .nan", ".window: window: nan is not a finite number"),
        # old: loaded; a window of a year keeps every event of a year in a runtime guard's memory
        ("kind: token_budget\n    per_run_per_minute: 5k\n    window: 9000h", ".window: window '9000h' is longer than a day"),
        # old: loaded; no context key is named "": no case had a per-user budget
        ("kind: token_budget\n    per_user_per_minute: 5k\n    user_field: ''", ".user_field: user_field is empty"),
    ],
)
def test_a_number_no_budget_can_use_is_one_line_exit_2(tmp_path: Path, rule: str, message: str) -> None:
    policy = _write(tmp_path / "p.yaml", f'id: p\nversion: "1"\nrules:\n  - id: r\n    {rule}\n')
    done = _gatekit("policy", "check", str(policy), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {policy}:") and f": rules[0]{message}" in lines[0]


def test_policy_test_on_the_policies_folder_says_which_folder_to_pass() -> None:
    # old: "a policy test file needs 'policy: <path>' and a 'tests:' list" for the policy itself
    done = _gatekit("policy", "test", "policies", cwd=ROOT)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "error: policies/default.yaml: a policy, not a policy test file; pass the folder (or file) of tests, such as "
        "policies/tests, and check a policy with gatekit policy check"
    ]


@pytest.mark.parametrize(
    ("when", "env", "expected"),
    [
        # old: refused as "nested deeper than 20 levels": the brackets inside the string literals were counted
        ('matches(output, "' + "(a)" * 45 + '")', {"output": "a" * 45}, True),
        ('output == "' + "(" * 50 + '"', {"output": "(" * 50}, True),
        ('contains(output, "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[")', {"output": "x"}, False),
    ],
)
def test_brackets_inside_a_string_nest_nothing(when: str, env: dict[str, Any], expected: bool) -> None:
    from gatekit.governance.expressions import Expression

    assert Expression(when)(env) is expected


def test_deep_nesting_is_still_refused() -> None:
    from gatekit.governance.expressions import Expression, ExpressionError

    with pytest.raises(ExpressionError, match="nested deeper than 20 levels"):
        Expression("(" * 41 + "output" + ")" * 41)


def test_more_than_a_thousand_rules_are_refused() -> None:
    # old: loaded (25,000 rules: 26 s to load, 1.7 s per case, every fired one listed in the decision)
    rules = [{"id": f"r{index}", "kind": "tools", "allow": ["a"]} for index in range(1001)]
    with pytest.raises(PolicyError, match=r"^<policy>: rules: 1,001 rules; at most 1,000 in one policy"):
        policy_from_dict({"id": "p", "version": "1", "rules": rules})
    assert len(policy_from_dict({"id": "p", "version": "1", "rules": rules[:1000]}).rules) == 1000


def test_a_policy_over_one_mib_says_so_once(tmp_path: Path) -> None:
    policy = _write(tmp_path / "p.yaml", 'id: p\nversion: "1"\ndescription: "' + "a" * (1 << 20) + '"\n')
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    # old: "...over the 1 MiB read whole; check the path); check the path"
    assert str(caught.value).endswith("over the 1 MiB read whole; check the path")


@pytest.mark.parametrize("version", ['"1\\nok other.yaml: other v1, 9 rules"', '"\\e[31m2"', '""', '"' + "9" * 101 + '"'])
def test_a_version_that_is_no_one_line_text_is_refused(tmp_path: Path, version: str) -> None:
    # old: loaded, and 'gatekit policy check' printed the line break: a second, forged "ok" line
    policy = _write(tmp_path / "p.yaml", f"id: p\nversion: {version}\nrules: [{{id: a, kind: tools, allow: [a]}}]\n")
    done = _gatekit("policy", "check", str(policy), cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        f"error: {policy}:2: version: the version must be one line of at most 100 printable characters (no line "
        'break or control character), e.g. "1.2.0"'
    ]
