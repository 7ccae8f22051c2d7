"""Tokens an upstream spent on an answer the proxy blocked at a proposed tool call count on the token budgets, as
the gate counts a denied case's usage: a user cannot spend past a per-user budget by asking for refused calls."""

from __future__ import annotations

import json

import yaml
from runtime.chat_upstream import chat_upstream
from runtime.proxy_harness import chat, serving

POLICY = {"id": "spend", "version": "1", "rules": [
    {"id": "tools", "kind": "tools", "allow": ["get_order_details"]},
    {"id": "budget", "kind": "token_budget", "per_user_per_minute": 30},
]}  # fmt: skip


def test_an_answer_refused_at_its_tool_call_still_counts_on_the_users_budget(tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text(yaml.safe_dump(POLICY))
    rows_file = tmp_path / "rows.jsonl"
    with chat_upstream() as upstream, serving(upstream.url, policy, log_to=rows_file) as proxy:
        refused = chat(proxy.url, "forbidden-tool", user="u-1")  # 21 tokens spent upstream; the call is refused
        assert refused.status == 403 and refused.json()["error"]["rule"] == "tools"
        second = chat(proxy.url, "plain", user="u-1")  # 21 more: 42 > 30 in the minute
        other = chat(proxy.url, "plain", user="u-2")  # another user's window is untouched
    assert second.status == 403, second.body  # was 200: the refused answer's tokens were never counted
    assert (
        second.json()["error"]["rule"] == "budget" and "42 tokens per minute > 30" in second.json()["error"]["reason"]
    )
    assert other.status == 200
    rows = [json.loads(line) for line in rows_file.read_text().splitlines()]
    assert [row["rules"] for row in rows] == [["tools"], ["budget"], []]
    assert rows[0]["input_tokens"] == 12 and rows[0]["output_tokens"] == 9  # the row keeps what was spent
