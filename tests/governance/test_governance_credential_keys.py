"""Tool-argument values under credential keys (``password``, ``apiKey``, ``client_secret``...) are secrets whole.

A detector reads a value alone; ``{"password": "hunter2"}`` holds nothing any detector finds, yet it is a
credential. The ``sensitive_data`` rule reads the argument key (``credential_keys``) and makes the whole value a
``GENERIC_SECRET``: the default pack's ``no-secrets`` rule denies the case and the value is redacted from every
record (the decision's tool calls, its trace).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from gatekit.governance import load_policy, policy_from_dict
from gatekit.models import Outcome

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = load_policy(ROOT / "policies" / "default.yaml")


def _decide(policy: Any, arguments: dict[str, Any]) -> Any:
    response = {"output": "done", "tool_calls": [{"name": "get_user_details", "arguments": arguments}]}
    return policy.evaluate({"id": "c1", "input": "hi"}, response, policy.new_run("t"))


def _policy(**extra: Any) -> Any:
    rule = {"id": "creds", "kind": "sensitive_data", "outcomes": {"secrets": "deny"}, **extra}
    return policy_from_dict({"id": "t", "version": "1", "rules": [rule]})


def test_credential_values_are_denied_and_redacted_by_the_default_pack() -> None:
    arguments = {
        "username": "bob",
        "password": "hunter2",  # no detector finds this: it is the key that says what it is
        "apiKey": "k-1234",
        "client_secret": "s3cr3t-value",
        "X-API-Key": "abc",
        "auth": {"db_password": "Tr0ub4dor&3"},
        "token": "1234",  # shorter than any detector's finding
    }
    decision = _decide(DEFAULT, arguments)
    assert decision.outcome is Outcome.DENY
    assert "no-secrets: 6 GENERIC_SECRET in arguments of tool call 0 (denied)" in decision.reasons
    redacted = decision.redacted_tool_calls[0]["arguments"]
    assert redacted == {
        "username": "bob",
        "password": "[GENERIC_SECRET]",
        "apiKey": "[GENERIC_SECRET]",
        "client_secret": "[GENERIC_SECRET]",
        "X-API-Key": "[GENERIC_SECRET]",
        "auth": {"db_password": "[GENERIC_SECRET]"},
        "token": "[GENERIC_SECRET]",
    }
    trace = json.dumps(DEFAULT.trace_record(decision, {"id": "c1"}))
    for value in ("hunter2", "k-1234", "s3cr3t-value", "Tr0ub4dor&3"):
        assert value not in trace and value not in json.dumps(decision.redacted_tool_calls)
    assert arguments["password"] == "hunter2"  # the response itself is left as it was


def test_masks_and_other_keys_are_not_credentials() -> None:
    decision = _decide(DEFAULT, {"password": "********", "api_key": "", "password_hint": "hunter2", "note": "hunter2"})
    assert decision.outcome is Outcome.ALLOW
    assert decision.redacted_tool_calls[0]["arguments"]["password_hint"] == "hunter2"


def test_a_mapping_key_named_like_a_credential_is_not_the_credential() -> None:
    # {"password": ...} makes the VALUE secret; a key that merely reads "password" is no secret itself
    decision = _decide(_policy(), {"settings": {"password": "x9-value"}, "password": {"length": 12}})
    assert decision.outcome is Outcome.DENY
    assert decision.redacted_tool_calls[0]["arguments"] == {
        "settings": {"password": "[GENERIC_SECRET]"},
        "password": {"length": 12},
    }


def test_credential_keys_replace_the_defaults_and_an_empty_list_turns_them_off() -> None:
    pin_only = _policy(credential_keys=["pin", "*_pin"])
    decision = _decide(pin_only, {"pin": "4321", "card_pin": "9876", "password": "hunter2"})
    assert decision.outcome is Outcome.DENY
    assert decision.redacted_tool_calls[0]["arguments"] == {
        "pin": "[GENERIC_SECRET]",
        "card_pin": "[GENERIC_SECRET]",
        "password": "hunter2",
    }
    off = _decide(_policy(credential_keys=[]), {"password": "hunter2"})
    assert off.outcome is Outcome.ALLOW
    assert off.redacted_tool_calls[0]["arguments"] == {"password": "hunter2"}


def test_a_rule_that_does_not_act_on_secrets_leaves_credentials_alone() -> None:
    policy = policy_from_dict(
        {
            "id": "t",
            "version": "1",
            "rules": [{"id": "pii", "kind": "sensitive_data", "outcomes": {"EMAIL_ADDRESS": "allow_with_redaction"}}],
        }
    )
    decision = _decide(policy, {"password": "hunter2", "email": "jane.doe@example.com"})
    assert decision.redacted_tool_calls[0]["arguments"] == {"password": "hunter2", "email": "[EMAIL_ADDRESS]"}
