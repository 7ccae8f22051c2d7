"""Policy unit tests written as YAML, run like ``opa test``.

A test file (``policies/tests/*.yaml``)::

    policy: ../default.yaml            # relative to the test file
    tests:
      - name: e-mail in the reply is redacted
        case: {input: "hi", context: {env: production}}        # dataset-row fields
        response: {output: "write to jane@example.com"}         # normalised response fields
        expect:
          outcome: allow_with_redaction
          rules: [pii-redaction]         # these rules fired (others may fire too)
          not_rules: [no-secrets]        # these did not
          redactions: {EMAIL_ADDRESS: 1}
          output: "write to [EMAIL_ADDRESS]"
      - name: the run stops after three denials
        steps:                           # evaluated in order with one shared run state
          - {case: {...}, response: {...}, expect: {outcome: deny}}
        expect_stop: true                # run.stop_reason set after the last step (false: not set)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from gatekit.errors import PolicyError
from gatekit.fsio import missing_file_hint
from gatekit.governance.policy import Policy, load_policy
from gatekit.models import TOOL_RESULT_KEYS, Decision, Outcome

_EXPECT_KEYS = {"outcome", "rules", "not_rules", "redactions", "output", "reasons_contain"}
_LIST_KEYS = {"rules", "not_rules", "reasons_contain"}  # (an empty list of them checks nothing)


@dataclass
class PolicyTestResult:
    """One test: where it is, whether it passed and why not."""

    file: str
    name: str
    passed: bool
    failures: list[str] = field(default_factory=list)


_CASE_KEYS = {"id", "input", "context", "tags", "expected", "timestamp", "metadata"}
_RESPONSE_KEYS = {"output", "tool_calls", "usage", "latency_ms", "error_type", "model", "cost_usd"}


def _check(
    decision: Decision,
    expect: dict[str, Any],
    where: str,
    rule_ids: set[str] | None = None,
    stop_ids: frozenset[str] = frozenset(),
) -> list[str]:
    if not isinstance(expect, dict):
        raise PolicyError(f"{where}: expect must be a mapping of {sorted(_EXPECT_KEYS)}")
    unknown = set(expect) - _EXPECT_KEYS
    if unknown:
        raise PolicyError(f"{where}: unknown expect key(s) {sorted(unknown)}; use {sorted(_EXPECT_KEYS)}")
    if not expect:  # a test that checks nothing would pass whatever the policy decides
        raise PolicyError(f"{where}: no expect (or an empty one): say what the decision must be, e.g. outcome: deny")
    if all(key in _LIST_KEYS and expect[key] in ([], None) for key in expect):  # ({rules: []} checks nothing either)
        raise PolicyError(
            f"{where}: expect checks nothing ({', '.join(sorted(map(str, expect)))} empty): say what the decision "
            "must be, e.g. outcome: deny"
        )
    outcomes = [outcome.value for outcome in Outcome]
    if "outcome" in expect and expect["outcome"] not in outcomes:  # a misspelt outcome is a bad file, not a failure
        raise PolicyError(
            f"{where}: expect.outcome {expect['outcome']!r} is no outcome; use one of {', '.join(outcomes)}"
        )
    if rule_ids is not None:  # a rule id the policy does not have never fires: not_rules would always hold
        for key in ("rules", "not_rules"):
            named = expect.get(key) or []
            if not isinstance(named, list):
                raise PolicyError(f"{where}: expect.{key} must be a list of rule ids")
            stops = [str(rule) for rule in named if str(rule) in stop_ids]
            if stops:  # (a stop rule stops the run; it is never among a case's fired rules)
                raise PolicyError(
                    f"{where}: expect.{key} names emergency_stop rule(s) {stops}, which never fire on a case (they "
                    f"stop the run), so {key} could {'never fail' if key == 'not_rules' else 'never pass'}; check a "
                    "stop with expect_stop: true (or false) on the test"
                )
            missing = [str(rule) for rule in named if str(rule) not in rule_ids]
            if missing:
                raise PolicyError(
                    f"{where}: expect.{key} names rule(s) {missing} the policy does not have; "
                    f"its rules: {', '.join(sorted(rule_ids))}"
                )
    _check_expect_types(expect, where)
    failures: list[str] = []
    fired = {r["id"] for r in decision.rules}
    if "outcome" in expect and decision.outcome.value != str(expect["outcome"]):
        failures.append(f"outcome {decision.outcome.value!r}, expected {expect['outcome']!r} ({decision.reasons})")
    for rule in expect.get("rules") or []:
        if rule not in fired:
            failures.append(f"rule {rule!r} did not fire (fired: {sorted(fired)})")
    for rule in expect.get("not_rules") or []:
        if rule in fired:
            failures.append(f"rule {rule!r} fired but should not have")
    if "redactions" in expect and dict(decision.redactions) != dict(expect["redactions"] or {}):
        failures.append(f"redactions {decision.redactions}, expected {expect['redactions']}")
    if "output" in expect and decision.redacted_output != expect["output"]:
        failures.append(f"redacted output {_shown_output(decision.redacted_output)}, expected {expect['output']!r}")
    for text in expect.get("reasons_contain") or []:
        if not any(text in reason for reason in decision.reasons):
            failures.append(f"no reason contains {text!r} ({decision.reasons})")
    return failures


def _shown_output(text: str) -> str:
    """The redacted output as a failure quotes it: a secret the policy left in it named by its type, never shown.

    A failure line is printed (a CI log): the key a policy failed to redact went there raw.
    """
    from gatekit.governance import scan
    from gatekit.redact import redact_secrets

    shown = redact_secrets(text)
    if shown == text:
        return repr(text)
    kinds = sorted({finding.type for finding in scan(text) if finding.is_secret})
    left = f"a {', '.join(kinds)}" if kinds else "a credential"
    return f"{shown!r} (the policy left {left} in it, replaced here)"


def _check_expect_types(expect: dict[str, Any], where: str) -> None:
    """An expectation of the wrong type passes on nothing (``reasons_contain: "EMAIL"`` checked each letter)."""
    reasons = expect.get("reasons_contain")
    if reasons is not None and not (isinstance(reasons, list) and all(isinstance(text, str) for text in reasons)):
        raise PolicyError(f'{where}: expect.reasons_contain must be a list of texts, e.g. ["EMAIL_ADDRESS"]')
    redactions = expect.get("redactions")
    if redactions is not None and not (
        isinstance(redactions, dict)
        and all(isinstance(key, str) and type(count) is int for key, count in redactions.items())
    ):
        raise PolicyError(f"{where}: expect.redactions must map a type to its count, e.g. {{EMAIL_ADDRESS: 1}}")
    if "output" in expect and not isinstance(expect["output"], str):
        raise PolicyError(f'{where}: expect.output must be the redacted output as text (quote it: "...")')


_TOOL_CALL_KEYS = {"name", "arguments", "id", *TOOL_RESULT_KEYS}  # (a tool's result: prompt_injection)
_USAGE_KEYS = {"input_tokens", "output_tokens"}


def _check_response(response: dict[str, Any], where: str) -> None:
    """The response as an agent's answer must be (:func:`gatekit.agents.base.normalise_response`), keys spelt right.

    The gate refuses a malformed answer before any rule sees it: a test with ``tool_calls: {name: x}`` (not a
    list) or ``args:`` for ``arguments`` was judged on no call or no arguments, and could pass on nothing.
    """
    from gatekit.agents.base import AgentCallError, normalise_response

    calls = response.get("tool_calls")
    for index, call in enumerate(calls if isinstance(calls, list) else []):
        if isinstance(call, dict):
            unknown = set(call) - _TOOL_CALL_KEYS
            if unknown:
                raise PolicyError(
                    f"{where}: response.tool_calls[{index}]: unknown key(s) {sorted(map(str, unknown))}; "
                    f"use {', '.join(sorted(_TOOL_CALL_KEYS))}"
                )
    usage = response.get("usage")
    if isinstance(usage, dict) and set(usage) - _USAGE_KEYS:
        misspelt = sorted(map(str, set(usage) - _USAGE_KEYS))
        raise PolicyError(f"{where}: response.usage: unknown key(s) {misspelt}; use input_tokens, output_tokens")
    for key in ("latency_ms", "cost_usd"):
        value = response.get(key)
        if value is not None and not (isinstance(value, int | float) and not isinstance(value, bool)):
            raise PolicyError(f"{where}: response.{key} must be a number (or left out), not {value!r}")
    if response.get("error_type") is not None and not isinstance(response["error_type"], str):
        raise PolicyError(f"{where}: response.error_type must be text (or left out)")
    try:
        normalise_response(
            {
                key: value
                for key, value in response.items()
                if key in ("output", "tool_calls", "usage", "model", "cost_usd")
            }
        )
    except AgentCallError as exc:
        raise PolicyError(
            f"{where}: response: {str(exc).removeprefix('agent returned ')}; the gate would refuse this answer before judging it"
        ) from None


def _known(raw: Any, keys: set[str], what: str, where: str) -> None:
    """A misspelt key (``outptu:``, ``contxt:``) would leave the field empty and the test pass on nothing."""
    if raw is None:
        return
    if not isinstance(raw, dict):
        raise PolicyError(f"{where}: {what} must be a mapping")
    unknown = set(raw) - keys
    if unknown:
        raise PolicyError(f"{where}: unknown {what} key(s) {sorted(map(str, unknown))}; use {sorted(keys)}")


def _response(raw: Any, where: str = "") -> dict[str, Any]:
    # a response without usage reports none, as an agent's answer without it does in the gate: the token budgets
    # estimate it from the text (unknown is not zero; a test judged on 0 tokens passed what the gate denies)
    response: dict[str, Any] = {"output": "", "tool_calls": [], "usage": None}
    response.update({"latency_ms": None, "error_type": None, "model": None, "cost_usd": None})
    if isinstance(raw, str):
        raw = {"output": raw}
    _known(raw, _RESPONSE_KEYS, "response", where)
    response.update(raw or {})
    _check_response(response, where)
    return response


def _case(raw: Any, name: str, where: str = "") -> dict[str, Any]:
    case: dict[str, Any] = {"id": name, "input": "", "context": {}, "tags": [], "expected": None, "timestamp": None}
    _known(raw, _CASE_KEYS, "case", where)
    case.update(raw or {})
    # as a dataset row must be (gatekit.dataset): a context that is not a mapping was read as no context at all
    for key, kinds, what in (
        ("context", dict, "a mapping such as {env: production}"),
        ("tags", list, "a list"),
        ("input", str | dict | list, "text or a mapping such as {messages: [...]}"),
        ("timestamp", str | date, "an ISO 8601 time, such as 2026-12-01T10:00:00Z"),
    ):
        value = case.get(key)
        if value is not None and not isinstance(value, kinds):
            raise PolicyError(f"{where}: case.{key} must be {what}, not {value!r}"[:400])
    return case


def run_policy_test_file(path: str | Path, policies: dict[Path, Policy] | None = None) -> list[PolicyTestResult]:
    """Run every test of one YAML file."""
    import yaml

    from gatekit.fsio import MAX_YAML_BYTES, read_input_text
    from gatekit.redact import redact_secrets
    from gatekit.yamlio import safe_load, yaml_fix

    file = Path(path)
    policies = {} if policies is None else policies
    try:
        raw = safe_load(read_input_text(file, MAX_YAML_BYTES))
    except UnicodeDecodeError as exc:
        raise PolicyError(f"{file}: {exc}") from None
    except yaml.YAMLError as exc:
        raise PolicyError(f"{file}: cannot read policy tests ({exc}); {yaml_fix(exc)}") from None
    except OSError as exc:
        raise PolicyError(f"{file}: cannot read policy tests ({exc})") from None
    if isinstance(raw, dict) and "rules" in raw and "tests" not in raw:  # (``gatekit policy test policies``)
        raise PolicyError(
            f"{file}: a policy, not a policy test file; pass the folder (or file) of tests, such as policies/tests, "
            "and check a policy with gatekit policy check"
        )
    if not isinstance(raw, dict) or "policy" not in raw or not isinstance(raw.get("tests"), list):
        raise PolicyError(f"{file}: a policy test file needs 'policy: <path>' and a 'tests:' list")
    if not raw["tests"]:  # zero tests would read "0 passed, 0 failed" and exit 0: nothing was tested
        raise PolicyError(f"{file}: no tests in 'tests:'; add at least one (or remove the file)")
    unknown = set(raw) - {"policy", "tests", "description"}
    if unknown:
        raise PolicyError(f"{file}: unknown key(s) {sorted(unknown)}; use policy, tests, description")
    policy_path = (file.parent / str(raw["policy"])).resolve()
    if policy_path not in policies:
        policies[policy_path] = load_policy(policy_path)
    policy = policies[policy_path]
    results: list[PolicyTestResult] = []
    for index, test in enumerate(raw["tests"]):
        if not isinstance(test, dict):
            raise PolicyError(f"{file}: tests[{index}] must be a mapping")
        name = str(test.get("name") or f"test {index}")
        where = f"{file}: test {name!r}"
        allowed = ("name", "case", "response", "expect", "steps", "expect_stop")
        extra = set(test) - set(allowed)
        if extra:  # (said which keys are allowed: 'respnse' left the response empty)
            raise PolicyError(f"{where}: unknown key(s) {sorted(map(str, extra))}; use {', '.join(allowed)}")
        beside = sorted(key for key in ("case", "response", "expect") if key in test)
        if "steps" in test and beside:  # (they were ignored: the test passed on its steps alone)
            raise PolicyError(
                f"{where}: {', '.join(beside)} beside steps would be ignored; put them in each step "
                "(steps: [{case: ..., response: ..., expect: ...}])"
            )
        steps = (
            test["steps"]
            if "steps" in test
            else [{"case": test.get("case"), "response": test.get("response"), "expect": test.get("expect")}]
        )
        run = policy.new_run(run_id=f"test-{index}")
        failures: list[str] = []
        rule_ids = {rule.id for rule in policy.rules}
        stop_ids = frozenset(rule.id for rule in policy.stop_rules)
        if not isinstance(steps, list) or not steps:
            raise PolicyError(f"{where}: steps must be a non-empty list")
        for step_index, step in enumerate(steps):
            prefix = f"step {step_index}: " if "steps" in test else ""
            at = f"{where} {prefix.rstrip(': ')}".rstrip()
            if not isinstance(step, dict):
                raise PolicyError(f"{at}: a step must be a mapping of case, response, expect")
            if set(step) - {"case", "response", "expect"}:  # ('respnse:' left the step's response empty)
                misspelt = sorted(map(str, set(step) - {"case", "response", "expect"}))
                raise PolicyError(f"{at}: unknown key(s) {misspelt}; use case, response, expect")
            decision = policy.evaluate(_case(step.get("case"), name, at), _response(step.get("response"), at), run=run)
            expect = step.get("expect")
            if expect is None and "steps" in test and "expect_stop" in test:
                continue  # (a step that only feeds the run; the test checks its stop)
            failures.extend(prefix + f for f in _check(decision, expect or {}, at, rule_ids, stop_ids))
        if "expect_stop" in test and not isinstance(test["expect_stop"], bool):  # ("false" in quotes is true)
            raise PolicyError(f"{where}: expect_stop must be true or false (unquoted), not {test['expect_stop']!r}")
        if "expect_stop" in test and bool(test["expect_stop"]) != (run.stop_reason is not None):
            failures.append(f"run stop reason {run.stop_reason!r}, expected a stop: {bool(test['expect_stop'])}")
        # (a failure quotes the test's response, the decision's reasons and output: printed, so no secret in them)
        shown = [redact_secrets(failure) for failure in failures]
        results.append(PolicyTestResult(str(file), redact_secrets(name), not failures, shown))
    return results


def run_policy_tests(directory: str | Path) -> list[PolicyTestResult]:
    """Run every ``*.yaml`` / ``*.yml`` test file under ``directory`` (or one file)."""
    root = Path(directory)
    if root.is_file():
        files = [root]
    elif root.is_dir():
        files = sorted([*root.rglob("*.yaml"), *root.rglob("*.yml")])
    elif root.exists():  # a FIFO, a device: there, but no file to read (was "no such ... file or directory")
        from gatekit.fsio import file_kind

        raise PolicyError(
            f"{root}: {file_kind(root.stat().st_mode)}, not a policy test file; give a policy test file or the "
            "folder that holds them (such as policies/tests)"
        )
    else:
        hint = missing_file_hint(root, folders=True)
        raise PolicyError(
            f"{root}: no such policy test file or directory; give a policy test file or the folder that holds them "
            f"(such as policies/tests){hint}"
        )
    if not files:
        raise PolicyError(f"{root}: no policy test files (*.yaml) found")
    cache: dict[Path, Policy] = {}
    results: list[PolicyTestResult] = []
    for file in files:
        results.extend(run_policy_test_file(file, cache))
    return results
