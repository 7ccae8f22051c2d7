"""fix18a: the guard counts a request's tool calls for ``max_calls_per_minute`` once, and every answer has a row.

1. An upstream answer with ``n`` choices: the client uses one of them, but every choice's calls were added to the
   per-minute window — a 3-choice answer used three calls of the minute's budget (over-refusal).
2. Two ``check_response`` calls in one request (the in-process guard) counted the same calls twice.
3. A 500 ``guard_failure`` raised before the request's scope was opened (a body whose gzip does not decode) wrote
   no production-log row, so ``gatekit canary`` never saw the failure.

Real proxies in front of a real upstream on 127.0.0.1; rows read from disk.
"""

from __future__ import annotations

import gzip
import json
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import tool_calls_upstream
from runtime.proxy_harness import chat, request, serving

from gatekit.runtime import Enforcer
from gatekit.runtime.decision import PolicyViolation

LIMIT = 3
POLICY = {
    "id": "fix18a",
    "version": "1",
    "rules": [{"id": "wires", "kind": "tools", "limits": {"wire_*": {"max_calls_per_minute": LIMIT}}}],
}


def _policy(tmp_path: Path) -> Path:
    path = tmp_path / "policy.yaml"
    path.write_text(yaml.safe_dump(POLICY), encoding="utf-8")
    return path


def _wire(i: int) -> dict[str, Any]:
    return {"id": f"call_{i}", "type": "function", "function": {"name": "wire_money", "arguments": '{"amount": 1}'}}


def test_only_one_choice_of_an_n_choice_answer_counts_per_minute(tmp_path: Path) -> None:
    with (
        tool_calls_upstream([_wire(0)], [_wire(1)], [_wire(2)]) as upstream,
        serving(upstream, _policy(tmp_path)) as proxy,
    ):
        statuses = [chat(proxy.url, "m", n=3).status for _ in range(LIMIT)]
        assert statuses == [200] * LIMIT  # the second was refused: 3 choices x 1 call counted as 3 calls
        answer = json.loads(chat(proxy.url, "m", n=3).body)
        over = chat(proxy.url, "m", n=3)
    assert len(answer.get("choices", [])) == 3 or "error" in answer
    assert over.status == 403 and "calls in a minute" in over.body.decode(), over.body  # the limit still holds


def test_a_choice_with_more_calls_counts_its_calls(tmp_path: Path) -> None:
    with (
        tool_calls_upstream([_wire(0)], [_wire(1), _wire(2)]) as upstream,
        serving(upstream, _policy(tmp_path)) as proxy,
    ):
        assert chat(proxy.url, "m", n=2).status == 200  # the larger choice: 2 of the minute's 3
        assert chat(proxy.url, "m", n=2).status == 403  # 4 > 3: counted as the larger choice, never less


def test_a_second_check_response_does_not_count_the_calls_again(tmp_path: Path) -> None:
    enforcer = Enforcer.from_file(_policy(tmp_path), background=False, clock=lambda: 1_765_000_000.0)
    call = [{"name": "wire_money", "arguments": {"amount": 1}}]
    try:
        with enforcer.request("send it") as scope:
            scope.check_response("", call)
            scope.check_response("", call)  # the same response checked again (a retry of the check)
        for _ in range(LIMIT - 1):
            with enforcer.request("send it") as scope:
                scope.check_response("", call)
        with enforcer.request("send it") as scope, pytest.raises(PolicyViolation, match="calls in a minute"):
            scope.check_response("", call)  # the limit's next call: 4 > 3
    finally:
        enforcer.close()


def test_a_guard_failure_before_the_request_is_opened_writes_a_row(tmp_path: Path) -> None:
    log = tmp_path / "production.jsonl"
    with tool_calls_upstream([_wire(0)]) as upstream, serving(upstream, _policy(tmp_path), log_to=log) as proxy:
        bad = request(
            f"{proxy.url}/v1/chat/completions",
            raw=b"this is not gzip" * 4,
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
        body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
        good = request(
            f"{proxy.url}/v1/chat/completions",
            raw=gzip.compress(json.dumps(body).encode()),
            headers={"Content-Encoding": "gzip", "Content-Type": "application/json"},
        )
    # fix18c: an undecodable body is the client's error, refused before judging: 400 bad_request, with its row
    assert bad.status == 400 and json.loads(bad.body)["error"]["code"] == "bad_body_encoding", bad.body
    assert good.status == 200, good.body
    deadline = time.monotonic() + 10
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(rows) < 2:
        rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
        time.sleep(0.05)
    assert len(rows) == 2, rows  # the 500 had no row
    failed = [r for r in rows if r["error"] == "bad_request"]
    assert len(failed) == 1 and failed[0]["outcome"] is None and failed[0]["latency_ms"] >= 0, rows
    assert "not gzip" not in log.read_text(encoding="utf-8")
