"""sensitive_data reads tool arguments in context: bare digit ids under id keys are not phone numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT

from gatekit.errors import PolicyError
from gatekit.governance import load_policy, policy_from_dict, scan
from gatekit.governance.rules.base import argument_name, normalise_key
from gatekit.models import Outcome

REPO = REPO_ROOT
ITEM = "1151293680"  # a real tau2-bench retail item id: 10 bare digits, read as a phone number in free text
CARD = "4111111111111111"  # Luhn-valid test card


def _rule(**extra: Any) -> dict[str, Any]:
    return {"id": "pii", "kind": "sensitive_data", "actions": {"pii": "redact", "secrets": "deny"}, **extra}


def _policy(**extra: Any) -> Any:
    return policy_from_dict({"id": "t", "version": "1", "rules": [_rule(**extra)]})


def _decide(policy: Any, arguments: Any, output: str = "") -> Any:
    response = {"output": output, "tool_calls": [{"name": "lookup", "arguments": arguments}]}
    return policy.evaluate({"id": "c", "input": "hi", "context": {}}, response)


def test_free_text_scan_still_reads_a_bare_ten_digit_run_as_a_phone() -> None:
    assert [f.type for f in scan(ITEM)] == ["PHONE_NUMBER"]
    assert [f.type for f in scan(f"you can reach me on {ITEM}")] == ["PHONE_NUMBER"]
    # (after an id label in free text the detectors read an identifier: "item_id: ..." is none)
    assert [f.type for f in scan(f"item_id: {ITEM}")] == []


@pytest.mark.parametrize(
    "arguments",
    [
        {"item_ids": [ITEM, "6342039236"], "product_id": "1656367028"},
        {"item_id": ITEM},
        {"id": ITEM},
        {"IDS": [ITEM]},
        {"ITEM_ID": ITEM},
        {"itemId": ITEM},
        {"productIDs": [ITEM]},
        {"new_item_ids": [ITEM, ITEM]},
        {"order": {"line_id": ITEM}},
        {"lines": [{"id": ITEM}]},
    ],
)
def test_bare_digit_ids_under_identifier_keys_are_left_alone(arguments: dict[str, Any]) -> None:
    decision = _decide(_policy(), arguments)
    assert decision.outcome is Outcome.ALLOW, decision.reasons
    assert decision.redactions == {}
    assert decision.redacted_tool_calls[0]["arguments"] == arguments


@pytest.mark.parametrize(
    "arguments",
    [
        {"phone": ITEM},
        {"contact": ITEM},
        {"contacts": [ITEM]},
        {"paid": ITEM},  # ends in "id" but is not an identifier key
        {"valid": ITEM},
        {"order_id": {"note": ITEM}},  # the innermost key names the value
        [ITEM],  # arguments that are not a mapping have no keys
    ],
)
def test_the_same_digits_under_other_keys_are_redacted(arguments: Any) -> None:
    decision = _decide(_policy(), arguments)
    assert decision.outcome is Outcome.ALLOW_WITH_REDACTION
    assert decision.redactions == {"PHONE_NUMBER": 1}
    assert ITEM not in repr(decision.redacted_tool_calls)


def test_the_same_digits_in_the_output_are_redacted_next_to_an_untouched_id() -> None:
    # (an id whose digits read as a phone number in any sentence: ITEM, 10 digits starting with 1, reads as a Unix
    # time unless a word for a phone comes before it)
    item = "4107812777"
    decision = _decide(_policy(), {"item_ids": [item]}, output=f"Your item is {item}.")
    assert decision.redactions == {"PHONE_NUMBER": 1}
    assert decision.redacted_output == "Your item is [PHONE_NUMBER]."
    assert decision.redacted_tool_calls[0]["arguments"] == {"item_ids": [item]}
    assert decision.reasons == ["pii: 1 PHONE_NUMBER in output (redacted)"]


@pytest.mark.parametrize(
    "value",
    ["+1 115 129 3680", "115-129-3680", "(115) 129-3680", "call 1151293680", f"{ITEM}\n"],
)
def test_only_a_value_that_is_a_bare_digit_run_is_exempt(value: str) -> None:
    decision = _decide(_policy(), {"item_id": value})
    assert decision.redactions == {"PHONE_NUMBER": 1}, value


def test_other_types_under_identifier_keys_are_still_caught() -> None:
    arguments = {
        "payment_id": CARD,
        "payment_ids": ["4111 1111 1111 1111"],
        "customer_id": "jane.doe@example.com",
        "user_id": "078-05-1120",
        "api_key_id": "AKIAIOSFODNN7EXAMPLE",
    }
    decision = _decide(_policy(), arguments)
    assert decision.outcome is Outcome.DENY  # the AWS key
    redacted = decision.redacted_tool_calls[0]["arguments"]
    assert redacted["payment_id"] == "[CREDIT_CARD]"
    assert redacted["payment_ids"] == ["[CREDIT_CARD]"]
    assert redacted["customer_id"] == "[EMAIL_ADDRESS]"
    assert redacted["user_id"] == "[US_SSN]"
    assert redacted["api_key_id"] == "[AWS_ACCESS_KEY]"
    assert decision.redactions["CREDIT_CARD"] == 2


def test_a_bare_nine_digit_ssn_under_an_id_key_is_still_an_ssn() -> None:
    bare_ssn = "078051120"
    assert [f.type for f in scan(bare_ssn)] == ["US_SSN"]
    decision = _decide(_policy(), {"member_id": bare_ssn})
    assert decision.redacted_tool_calls[0]["arguments"] == {"member_id": "[US_SSN]"}


def test_identifier_keys_are_configurable() -> None:
    arguments = {"sku": ITEM, "item_id": ITEM}
    custom = _decide(_policy(identifier_keys=["sku"]), arguments)
    assert custom.redacted_tool_calls[0]["arguments"] == {"sku": ITEM, "item_id": "[PHONE_NUMBER]"}
    off = _decide(_policy(identifier_keys=[]), arguments)
    assert off.redactions == {"PHONE_NUMBER": 2}
    glob = _decide(_policy(identifier_keys=["item_*", "s?u"]), arguments)
    assert glob.redactions == {}


def test_rules_with_different_identifier_keys_share_one_case_but_not_their_hits() -> None:
    policy = policy_from_dict(
        {
            "id": "t",
            "version": "1",
            "rules": [
                {"id": "ids-default", "kind": "sensitive_data", "actions": {"PHONE_NUMBER": "review"}},
                {
                    "id": "ids-off",
                    "kind": "sensitive_data",
                    "actions": {"PHONE_NUMBER": "redact"},
                    "identifier_keys": [],
                },
            ],
        }
    )
    decision = _decide(policy, {"item_id": ITEM})
    assert decision.outcome is Outcome.ALLOW_WITH_REDACTION
    assert decision.reasons == ["ids-off: 1 PHONE_NUMBER in arguments of tool call 0 (redacted)"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("identifier_keys", ["*Id"], "identifier key pattern '*Id'"),
        ("identifier_keys", [""], "identifier key pattern ''"),
        ("identifier_keys", ["item id"], "identifier key pattern 'item id'"),
        ("identifier_keys", "id", "expected a list (- item lines, or [a, b] on one line), got 'id'"),  # (attack22p)
        ("identifier_keys", [3], "3 is not text: YAML reads it as a number; put it in quotes"),  # (attack20p: was "valid string")
        ("credential_keys", ["Password"], "credential key pattern 'Password'"),
        ("credential_keys", ["api key"], "credential key pattern 'api key'"),
    ],
)
def test_argument_key_patterns_are_validated(tmp_path: Path, field: str, value: Any, message: str) -> None:
    with pytest.raises(PolicyError, match=field) as raised:
        _policy(**{field: value})
    assert message in str(raised.value)
    path = tmp_path / "p.yaml"
    path.write_text(
        f"id: t\nversion: '1'\nrules:\n  - id: pii\n    kind: sensitive_data\n    actions: {{pii: redact}}\n"
        f"    {field}: {value!r}\n"
    )
    with pytest.raises(PolicyError, match=rf"p\.yaml:7: rules\[0\]\.{field}"):
        load_policy(path)


def test_key_helpers() -> None:
    assert normalise_key("itemId") == "item_id"
    assert normalise_key("productIDs") == "product_ids"
    assert normalise_key("Order-ID") == "order_id"
    assert normalise_key("paid") == "paid"
    assert argument_name(("tool", 0, "item_ids", 2)) == "item_ids"
    assert argument_name(("tool", 0, "order", "id")) == "id"
    assert argument_name(("tool", 1, 0)) is None


def test_default_pack_keeps_tau2_item_ids() -> None:
    policy = load_policy(REPO / "policies" / "default.yaml")
    arguments = {"order_id": "#W2378156", "item_ids": [ITEM, "4983901480"], "payment_method_id": "credit_card_9513926"}
    response = {"output": "Done.", "tool_calls": [{"name": "return_delivered_order_items", "arguments": arguments}]}
    decision = policy.evaluate({"id": "c", "input": "return please", "context": {}}, response)
    assert decision.outcome is Outcome.ALLOW
    assert decision.redacted_tool_calls[0]["arguments"] == arguments
