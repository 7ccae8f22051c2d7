"""fix18c: every answer of the proxy's chat route has its request id and its production-log row.

1. A body whose ``Content-Encoding`` does not decode (bad gzip, bad deflate, a gzip stream cut short) is the
   client's error: it was answered 500 ``guard_failure`` (counted as the guard failing) without the
   ``X-Gatekit-Request-Id`` header; now 400 ``bad_request`` like the other refusals before judging (attack17g),
   with the header and a row with the same id.
2. A 500 ``guard_failure`` (a fault inside the proxy, before or after the request's scope opened) carries the
   header too, naming its row.

Real proxies in front of a real upstream on 127.0.0.1; rows read from disk; faults injected by subclassing the
proxy (as tests/runtime/test_proxy.py does).
"""

from __future__ import annotations

import gzip
import json
import time
import zlib
from pathlib import Path
from typing import Any

from runtime.chat_upstream import chat_upstream
from runtime.proxy_harness import DEFAULT_POLICY, ProxyThread, chat, request, serving

from gatekit.runtime.proxy import GuardProxy, ProxySettings

BODY = json.dumps({"model": "plain", "messages": [{"role": "user", "content": "hi"}]}).encode()


def _rows(log: Path, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(rows) < count:
        rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()] if log.exists() else []
        time.sleep(0.05)
    return rows


def test_a_body_that_does_not_decode_is_a_400_with_its_request_id_and_row(tmp_path: Path) -> None:
    log = tmp_path / "production.jsonl"
    bad_bodies = [
        ("gzip", b"this is not gzip" * 4),
        ("deflate", b"nor is this deflate" * 4),
        ("gzip", gzip.compress(BODY)[:-12]),  # a real gzip stream cut short
    ]
    with chat_upstream() as upstream, serving(upstream.url, log_to=log, variant="canary") as proxy:
        url = f"{proxy.url}/v1/chat/completions"
        answers = [
            request(url, raw=raw, headers={"Content-Encoding": encoding, "Content-Type": "application/json"})
            for encoding, raw in bad_bodies
        ]
        good = request(url, raw=zlib.compress(BODY), headers={"Content-Encoding": "deflate"})
        metrics = request(f"{proxy.url}/metrics", method="GET").body.decode()
    assert good.status == 200, good.body
    ids = []
    # the cut gzip stream decodes to a cut JSON text (aiohttp does not check the gzip trailer): bad JSON, also a 400
    for answer, code in zip(answers, ("bad_body_encoding", "bad_body_encoding", "bad_json"), strict=True):
        assert answer.status == 400, answer.body
        error = answer.json()["error"]
        assert error["type"] == "invalid_request_error" and error["code"] == code, error
        ids.append(answer.headers.get("x-gatekit-request-id"))
    assert all(ids) and len(set(ids)) == 3, ids
    assert 'gatekit_guard_errors_total{kind="guard_failure"}' not in metrics or (
        'gatekit_guard_errors_total{kind="guard_failure"} 0.0' in metrics
    )  # fmt: skip
    assert 'gatekit_guard_errors_total{kind="bad_request"} 3.0' in metrics, metrics
    rows = _rows(log, 4)
    refused = {r["request_id"]: r for r in rows if r["error"] is not None}
    assert set(refused) == set(ids), rows  # each refusal's row, named by the id its answer carried
    for row in refused.values():
        assert row["error"] == "bad_request" and row["outcome"] is None and row["variant"] == "canary"
    assert "not gzip" not in log.read_text(encoding="utf-8")  # nothing of the body


class _BrokenBeforeScope(GuardProxy):
    def _context(self, request: Any, body: dict[str, Any]) -> dict[str, Any]:
        raise KeyError("a bug before the request's scope opened")


class _BrokenAfterScope(GuardProxy):
    def _read_answer(self, raw: bytes, stream: bool) -> Any:
        raise KeyError("a bug after the upstream answered")


def test_a_guard_failure_answer_names_its_request_and_row(tmp_path: Path) -> None:
    with chat_upstream() as upstream:
        for broken in (_BrokenBeforeScope, _BrokenAfterScope):
            log = tmp_path / f"{broken.__name__}.jsonl"
            settings = ProxySettings(upstream=upstream.url, policy=DEFAULT_POLICY, port=0, log_to=log,
                                     upstream_key_env="GATEKIT_TEST_NO_KEY")  # fmt: skip
            built = GuardProxy.from_settings(settings)
            server = ProxyThread(broken(settings, built.enforcer, batches=built._batches)).start()
            try:
                answer = chat(server.url, "plain")
            finally:
                server.stop()
            assert answer.status == 500, answer.body
            assert answer.json()["error"]["code"] == "guard_failure"
            request_id = answer.headers.get("x-gatekit-request-id")
            assert request_id, (broken.__name__, answer.headers)
            rows = _rows(log, 1)
            assert [r["request_id"] for r in rows] == [request_id], (broken.__name__, rows)
            # before the scope: the refused row's guard_failure (no outcome); inside it: the scope's row names the
            # exception and keeps the request's outcome (checked before the failure)
            before = broken is _BrokenBeforeScope
            assert rows[0]["error"] == ("guard_failure" if before else "KeyError"), rows
            assert (rows[0]["outcome"] is None) is before, rows
