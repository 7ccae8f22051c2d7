"""attack17b: a deny-list is not slipped past by writing the tool's name differently.

A ``tools`` rule with ``deny: [delete_user]`` (and no allow-list) allowed ``Delete_User``, ``delete_user `` (a
trailing blank), ``delete_user`` with a zero-width space, full-width letters or a Cyrillic ``е``: names a
dispatcher that trims, folds case or normalises still runs as ``delete_user``. Deny and high-risk lists now match
the folded name too; an allow-list stays exact (a look-alike is refused there).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from gatekit.governance import policy_from_dict
from gatekit.runtime import Enforcer
from gatekit.runtime.decision import PolicyViolation

POLICY = {
    "id": "t",
    "version": "1",
    "rules": [{"id": "no-admin", "kind": "tools", "deny": ["delete_user", "admin_*"], "high_risk": ["wire_*"]}],
}
LOOK_ALIKES = [
    "delete_user",
    "Delete_User",
    "DELETE_USER",
    "delete_user ",
    "\tdelete_user",
    "delete_user\u200b",
    "dele\u00adte_user",
    "\uff44\uff45\uff4c\uff45\uff54\uff45_user",
    "d\u0435lete_user",
    "ADMIN_drop",
    "admin_\u200bdrop",
]


@pytest.mark.parametrize("name", LOOK_ALIKES)
def test_a_look_alike_of_a_denied_name_is_denied_in_the_gate_and_the_guard(tmp_path: Path, name: str) -> None:
    decision = policy_from_dict(POLICY).evaluate(
        {"id": "c", "input": "i", "context": {}}, {"output": "", "tool_calls": [{"name": name, "arguments": {}}]}
    )
    assert decision.outcome.value == "deny"
    assert decision.reasons == [f"no-admin: tool {name!r} is on the deny-list"]
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(POLICY), encoding="utf-8")
    enforcer = Enforcer.from_file(path, background=False)
    with pytest.raises(PolicyViolation, match="deny-list"):
        enforcer.check_tool_call(name, {})
    enforcer.close()


@pytest.mark.parametrize("name", ["delete_users", "undelete_user", "delete-user", "get_user", "admin", "wire_money"])
def test_other_names_are_not_denied(name: str) -> None:
    decision = policy_from_dict(POLICY).evaluate(
        {"id": "c", "input": "i", "context": {}}, {"output": "", "tool_calls": [{"name": name, "arguments": {}}]}
    )
    assert decision.outcome.value == "allow"


def test_high_risk_matches_folded_names_and_the_allow_list_stays_exact() -> None:
    policy = policy_from_dict(
        {
            "id": "t",
            "version": "1",
            "rules": [{"id": "tools", "kind": "tools", "allow": ["get_order", "wire_*"], "high_risk": ["wire_*"]}],
        }
    )
    rule = policy.rules[0]
    assert rule.is_high_risk("WIRE_money") and rule.is_high_risk("wire_\u200bmoney")  # type: ignore[attr-defined]
    assert not rule.is_high_risk("get_order")  # type: ignore[attr-defined]
    for name in ("GET_ORDER", "get_order ", "get_\u200border"):
        decision = policy.evaluate(
            {"id": "c", "input": "i", "context": {}}, {"output": "", "tool_calls": [{"name": name, "arguments": {}}]}
        )
        assert decision.outcome.value == "deny", name
        assert "not on the allow-list" in decision.reasons[0]
