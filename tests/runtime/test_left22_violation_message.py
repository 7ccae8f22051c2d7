"""left22: a ``PolicyViolation``'s message is scrubbed and shown on one line, as the guard's traces show reasons.

``str(exc)`` is what an application logs. It quoted the tool name the agent chose as ``repr`` does: controls
escaped, but a secret, a token or an e-mail address in the name reached the application's log as it was, while
the decision trace scrubbed the same reason. ``exc.decision`` keeps the raw values for the caller.
"""

from __future__ import annotations

import pytest

from gatekit.governance.policy import policy_from_dict
from gatekit.runtime.decision import PolicyViolation, ReviewRequired
from gatekit.runtime.enforcer import Enforcer

SECRET = "sk-proj-Xb7Qm2Lp9Rt4Vw8Yz3Kd6Fh1Jn5Gs0Ac"
TOKEN = "ghp_Zq8Wm3Rt6Yp1Lk4Vn7Bx2Cd5Fg9Hj0Ks3Ew6A"
EMAIL = "jane.doe@example.com"
NAME = f"lookup\x1b[31m {SECRET} \nFAKE LOG LINE {TOKEN} \u202e {EMAIL}"
POLICY = {
    "id": "left22",
    "version": "1",
    "rules": [{"id": "tools", "kind": "tools", "allow": ["lookup"]}],
}


def _refusal(enforcer: Enforcer, name: str) -> PolicyViolation:
    with enforcer.request("hi") as scope, pytest.raises(PolicyViolation) as info:
        scope.check_tool_call(name, {})
    return info.value


def _assert_clean(text: str) -> None:
    assert SECRET not in text and TOKEN not in text and EMAIL not in text, text
    assert not any(ch in text for ch in "\x1b\n\r\u202e"), repr(text)
    assert "[API_TOKEN]" in text and "[GITHUB_TOKEN]" in text and "[EMAIL_ADDRESS]" in text, text


def test_a_denied_tool_name_is_scrubbed_in_the_message_and_kept_in_the_decision() -> None:
    exc = _refusal(Enforcer(policy_from_dict(POLICY)), NAME)
    message = str(exc)
    _assert_clean(message)
    assert message.startswith("deny at tool_call (request ") and "is not on the allow-list" in message
    assert exc.decision.tool_name == NAME and SECRET in exc.reasons[0]  # the caller's own copy stays raw


def test_a_caller_request_id_and_a_review_are_scrubbed_too() -> None:
    review = {"id": "tools", "kind": "tools", "allow": ["lookup"], "outcome": "require_review"}
    enforcer = Enforcer(policy_from_dict({**POLICY, "rules": [review]}))
    with enforcer.request("hi", request_id=f"req {TOKEN}\n") as scope, pytest.raises(ReviewRequired) as info:
        scope.check_tool_call(NAME, {})
    _assert_clean(str(info.value))
    assert str(info.value).startswith("require_review at tool_call (request req [GITHUB_TOKEN]\\n)")


def test_a_message_given_by_the_caller_is_kept() -> None:
    exc = _refusal(Enforcer(policy_from_dict(POLICY)), "other")
    assert str(PolicyViolation(exc.decision, "custom text")) == "custom text"
