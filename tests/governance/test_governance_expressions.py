"""The policy expression language: semantics, and rejection of unsafe expressions at load time."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from gatekit.errors import PolicyError
from gatekit.governance import policy_from_dict
from gatekit.governance.expressions import Expression, ExpressionError

ENV = {
    "context": {"env": "production", "role": "agent"},
    "tool": {"name": "refund", "arguments": {"amount": 750, "path": "/etc/passwd"}},
    "latency_ms": 2500.0,
    "tags": ["a", "b"],
    "output": "Hello World",
    "time": {"minute_of_day": 23 * 60 + 5},
}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('context.env == "production" and tool.name == "refund" and tool.arguments.amount > 500', True),
        ("tool.arguments.amount > 1k", False),
        ("latency_ms > 2000ms", True),
        ("latency_ms > 2s and latency_ms < 3s", True),
        ("0.05 == 5%", True),
        ("1 < tool.arguments.amount <= 750", True),
        ('"b" in tags and "z" not in tags', True),
        ('tool.name in ["refund", "cancel"]', True),
        ('startswith(tool.arguments.path, "/etc")', True),
        ('matches(output, "^Hello\\\\s")', True),
        ('lower(output) == "hello world"', True),
        ("len(tags) == 2", True),
        ('time_between("22:00", "06:00")', True),
        ('time_between("09:00", "17:00")', False),
        ("context.missing.deeper == null", True),
        ("context.missing > 3", False),  # ordering with null is false, not an error
        ("context.env > 3", False),  # ordering across types is false
        ("tool.arguments.amount * 2 + 1 == 1501", True),
        ("2 ** 8 == 256", True),
        ('context["env"] == "production"', True),
        ("not (latency_ms < 100) if true else false", True),
        ("tool.arguments.amount / 0 == null", True),
    ],
)
def test_expression_semantics(source: str, expected: bool) -> None:
    assert bool(Expression(source)(ENV)) is expected


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("().__class__.__bases__", "'__bases__' is not allowed"),
        ("output.__class__", "'__class__' is not allowed"),
        ('context["__class__"]', "'__class__' is not allowed"),
        ("__import__('os').system('id')", "only calls of built-in functions"),
        ("__import__('os')", "unknown function '__import__'"),
        ("_private", "not allowed"),
        ("eval('1')", "unknown function 'eval'"),
        ("open('/etc/passwd')", "unknown function 'open'"),
        ("output.upper()", "only calls of built-in functions"),
        ("9 ** 999999999", "constant exponent"),
        ("2 ** latency_ms", "constant exponent"),
        ("[x for x in tags]", "ListComp is not allowed"),
        ("lambda: 1", "Lambda is not allowed"),
        ("(a := 1)", "NamedExpr is not allowed"),
        ("f'{output}'", "JoinedStr is not allowed"),
        ("tags[1:2]", "constant string or integer"),
        ("1 +", "cannot parse"),
        ("(" * 200 + "1" + ")" * 200, "nested deeper"),
        ("-" * 100 + "1", "nested deeper"),
        (" and ".join(["1"] * 300), "more than 200 nodes"),
        (" + ".join(["1"] * 300), "nested deeper"),
        ("x" * 3000, "longer than 2000"),
        ('matches(output, "(")', "cannot be used: missing"),
        ("b'bytes'", "not allowed"),
    ],
)
def test_unsafe_expressions_are_rejected(source: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message.replace("(", r"\(").replace("[", r"\[")):
        Expression(source)


def test_rejection_happens_at_policy_load_time() -> None:
    with pytest.raises(PolicyError, match=r"rules\[0\] \(x\): .*'__class__' is not allowed"):
        policy_from_dict(
            {"id": "p", "version": "1", "rules": [{"id": "x", "kind": "condition", "when": "output.__class__"}]}
        )
    with pytest.raises(PolicyError, match="unknown name 'outptu'"):
        policy_from_dict(
            {"id": "p", "version": "1", "rules": [{"id": "x", "kind": "condition", "when": "outptu == 1"}]}
        )


def test_a_misspelt_name_in_a_tool_condition_is_a_load_error() -> None:
    # it used to load and read as null: `outptu == ""` never fired, silently
    rule = {"id": "t", "kind": "tools", "limits": {"refund": {"conditions": [{"when": 'outptu == ""'}]}}}
    with pytest.raises(PolicyError, match=r"rules\[0\] \(t\): unknown name 'outptu'"):
        policy_from_dict({"id": "p", "version": "1", "rules": [rule]})


def test_string_repetition_cannot_blow_up_memory() -> None:
    assert Expression('output * 100000000 == ""')(ENV) is False  # '*' on a string is null, not a huge string


def test_governance_import_stays_light() -> None:
    code = (
        "import sys, gatekit.governance as g; g.load_policy('policies/default.yaml');"
        "bad = [m for m in ('pandas', 'scipy', 'mlflow', 'numpy') if m in sys.modules]; print(bad)"
    )

    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO_ROOT, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# --- cost bounds: a policy file cannot stall a run (hostile expressions) ---------------------------

POWER_TOWER = "(((((((9**8)**8)**8)**8)**8)**8)**8)**8 > 0"  # 15.6 s per case before the bound
BACKTRACKING = 'matches(output, "^(\\\\w+\\\\s?)*$")'  # 16.9 s on 28 characters with a backtracking engine


def _condition_policy(when: str) -> dict[str, object]:
    return {"id": "p", "version": "1", "rules": [{"id": "slow", "kind": "condition", "when": when, "outcome": "deny"}]}


@pytest.mark.parametrize(
    ("source", "message"),
    [
        (POWER_TOWER, "an integer result is larger than 2**1024"),
        ("[(((9**8)**8)**8)**8]", "larger than 2**1024"),
        ("9.5**8**1 > 0", "constant exponent"),  # the exponent must be a literal, not an expression
        ("(1e300 ** 8) > 0", "arithmetic error"),  # float overflow, folded at load
        ('matches(output, "(a)\\\\1")', "cannot be used: invalid escape sequence: \\1"),
        ('matches(output, "(?=x)y")', "cannot be used: invalid perl operator"),
        ('matches(output, "(?<!x)y")', "cannot be used"),
        ('matches(output, "a{1000}{1000}")', "cannot be used"),
    ],
)
def test_costly_expressions_are_refused_at_load(source: str, message: str) -> None:
    started = time.thread_time()  # this thread's CPU time: the cost, not the wait for a core on a busy machine
    with pytest.raises(PolicyError, match=re.escape(message)) as caught:
        policy_from_dict(_condition_policy(source), name="hostile.yaml")
    assert time.thread_time() - started < 1.0
    assert str(caught.value).startswith("hostile.yaml: rules[0] (slow): ")


@pytest.mark.parametrize("chars", [28, 30, 40, 2000, 100_000])
def test_matches_runs_in_linear_time(chars: int) -> None:
    policy = policy_from_dict(_condition_policy(BACKTRACKING))
    output = "a" * chars + "!"
    started = time.thread_time()  # this thread's CPU time: the cost, not the wait for a core on a busy machine
    decision = policy.evaluate({"id": "c"}, {"output": output})
    assert time.thread_time() - started < 0.5
    assert decision.outcome.value == "allow"  # no match: the pattern wants the whole text to be words
    assert policy.evaluate({"id": "c"}, {"output": "two words"}).outcome.value == "deny"


@pytest.mark.parametrize(
    "amount",
    [10**200, 2**1024 - 1, 1.5e300, int("9" * 4000)],
    ids=["1e200", "2**1024-1", "1.5e300", "4000 digits"],
)
def test_arithmetic_on_inputs_is_bounded_and_fails_closed(amount: object) -> None:
    rule = {
        "id": "t",
        "kind": "tools",
        "limits": {"refund": {"conditions": [{"when": "(tool.arguments.amount ** 8) ** 8 < 0"}]}},
    }
    policy = policy_from_dict({"id": "p", "version": "1", "rules": [rule]})
    started = time.thread_time()  # this thread's CPU time: the cost, not the wait for a core on a busy machine
    decision = policy.evaluate({"id": "c"}, {"tool_calls": [{"name": "refund", "arguments": {"amount": amount}}]})
    assert time.thread_time() - started < 0.5
    assert decision.outcome.value == "deny"  # the rule errors on the oversized value: fail closed
    assert "rule error: EvaluationLimit" in decision.reasons[0]


def test_small_arithmetic_is_unchanged() -> None:
    env = {"a": 3, "b": 2.5, "s": "ab"}
    assert Expression("(a ** 8) ** 8")(env) == 3**64
    assert Expression("a * b - 1")(env) == 6.5
    assert Expression("2 ** -1")(env) == 0.5
    assert Expression("a / 0")(env) is None
    assert Expression('s + "c"')(env) == "abc"
    assert Expression("(0 - 8) ** 0.5")(env) is None  # a complex number is not a value of the language
    with pytest.raises(ExpressionError, match="arithmetic error"):
        Expression("0 ** -1")  # folded at load: a division by zero


def test_matches_reads_unicode_text() -> None:
    assert Expression('matches(output, "^.$")')({"output": "é"}) is True  # one code point, not one byte
    assert Expression('matches(output, "(?i)^ÉCOLE$")')({"output": "école"}) is True
    assert Expression('matches(output, "x")')({"output": "\ud800x"}) is True  # a lone surrogate does not raise
    assert Expression('matches(output, "x")')({"output": 5}) is False


def test_string_concatenation_is_bounded() -> None:
    with pytest.raises(ExpressionError, match="longer than 1,000,000 characters"):
        Expression("s + s + s")({"s": "x" * 400_000})


def test_policy_check_refuses_the_power_tower_fast(tmp_path: Path) -> None:
    file = tmp_path / "hostile.yaml"
    file.write_text(
        "id: p\nversion: '1'\nrules:\n  - id: slow\n    kind: condition\n    outcome: deny\n"
        f"    when: '{POWER_TOWER}'\n",
        encoding="utf-8",
    )
    started = time.perf_counter()
    out = subprocess.run(
        [sys.executable, "-m", "gatekit", "policy", "check", str(file)], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 2, out.stderr
    assert f"{file}:4: rules[0] (slow): an integer result is larger than 2**1024" in out.stderr
    assert "Traceback" not in out.stderr
    assert time.perf_counter() - started < 30


@pytest.mark.parametrize(
    ("source", "part"),
    [
        ('tool.name == "é€" and bar(1)', "(at 'bar(1)')"),  # (after non-ASCII text: the part, not a byte offset)
        ("len(output) > 1 and output.lower() == 'x'", "(at 'output.lower()')"),
        ("  len(output) ** 2 ** 99 > 1", "(at 'len(output) ** 2 ** 99')"),
    ],
)
def test_a_compile_error_names_the_part_at_fault(source: str, part: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        Expression(source, frozenset({"tool", "output"}))
    message = str(caught.value)
    assert part in message and "column" not in message
    assert message.endswith(f"in expression {source!r}")
