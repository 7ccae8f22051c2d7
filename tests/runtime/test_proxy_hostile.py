"""The fail-closed suite through the proxy: hostile upstream answers and hostile client requests.

The hostile agent outputs of ``tests/adversarial/hostile_agents.py`` arrive here in their wire form
(``chat_upstream.HOSTILE_BODIES``), and the hostile HTTP server of the same module (gzip bomb,
64 MiB body, negative usage, NaN cost header) stands in as the upstream. Whatever comes back, the
client gets either checked content or a gatekit error — never the upstream's body — and the proxy
stays up and writes valid production-log rows.
"""

from __future__ import annotations

import json
import resource
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
from adversarial.hostile_agents import hostile_http_server
from adversarial.hostile_inputs import HostileDataset, hostile_datasets
from runtime.chat_upstream import HOSTILE_BODIES, ChatUpstream, chat_upstream
from runtime.proxy_harness import ProxyThread, chat, request, serving

from gatekit.production.schema import json_schema


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ProxyThread, ChatUpstream, Path]]:
    rows = tmp_path_factory.mktemp("hostile") / "rows.jsonl"
    with chat_upstream() as upstream, serving(upstream.url, log_to=rows) as server:
        yield server, upstream, rows


# name -> (status, error code or None for a checked 200)
EXPECTED: dict[str, tuple[int, str | None]] = {
    "arguments_string": (403, "policy_denied"),  # the guard cannot judge text arguments: it denies
    "arguments_list": (403, "policy_denied"),
    "arguments_900_deep": (403, "policy_denied"),
    "arguments_huge_int": (403, "policy_denied"),
    "prompt_tokens_401_digits": (200, None),
    "tokens_10_pow_5000": (502, "upstream_invalid"),
    "tokens_infinite": (502, "upstream_invalid"),
    "tokens_not_a_number": (200, None),
    "tokens_negative": (200, None),
    "content_object": (502, "upstream_invalid"),
    "content_number": (502, "upstream_invalid"),
    "tool_name_number": (502, "upstream_invalid"),
    "tool_name_missing": (502, "upstream_invalid"),
    "choices_1000": (502, "upstream_invalid"),
    "tool_calls_500": (502, "upstream_invalid"),
    "body_nested_100k": (502, "upstream_invalid"),
    "not_utf8": (502, "upstream_invalid"),
    "refusal_field": (200, None),
    "duplicate_key_arguments": (200, None),
    "legacy_function_call": (200, None),  # judged as a tool call, handed on as function_call (attack19a)
    "legacy_forbidden_function": (403, "policy_denied"),
    "tool_calls_finish_without_calls": (200, None),
    "tool_name_100k": (502, "upstream_invalid"),  # no name a client dispatches on; each one kept and quoted
    "surrogate_in_arguments": (502, "upstream_invalid"),  # no character: it could not be written (was a 500)
    "surrogate_pair_emoji": (200, None),  # a pair of escapes is one character: passed on
    "duplicate_choice_index": (502, "upstream_invalid"),  # two choices of one index, each checked alone
}


def test_every_hostile_body_has_an_expected_outcome() -> None:
    assert set(EXPECTED) == set(HOSTILE_BODIES)


@pytest.mark.parametrize("name", sorted(HOSTILE_BODIES))
def test_a_hostile_upstream_answer_is_checked_or_refused(
    proxied: tuple[ProxyThread, ChatUpstream, Path], name: str
) -> None:
    server, _, _ = proxied
    # each answer judged alone: the module's proxy is shared, and its denials add up to the default policy's
    # stop-on-violations (5), guard errors included (left22), whose open breaker would deny the next ones
    server.proxy.enforcer.reset()
    answer = chat(server.url, f"hostile:{name}")
    status, code = EXPECTED[name]
    assert answer.status == status, answer.body[:300]
    body = answer.json()
    if code is None:
        message = body["choices"][0]["message"]
        assert set(message) <= {"role", "content", "tool_calls", "function_call"}  # refusal / reasoning text never passed on
        usage = body.get("usage") or {}
        assert all(isinstance(v, int) and 0 <= v < 2**53 for v in usage.values())  # unknown dropped, never negative
    else:
        assert body["error"]["code"] == code
        if status == 403:
            assert body["error"]["rule"] == ("retail-tools" if name == "legacy_forbidden_function" else "gatekit-guard")
    text = answer.body.decode()
    assert "jane.doe" not in text and "4111" not in text and "rm -rf" not in text


def test_the_proxy_stays_healthy_and_its_rows_stay_valid_after_the_hostile_answers(
    proxied: tuple[ProxyThread, ChatUpstream, Path],
) -> None:
    server, _, rows = proxied
    server.proxy.enforcer.reset()
    for name in HOSTILE_BODIES:
        chat(server.url, f"hostile:{name}")
    assert request(f"{server.url}/healthz", method="GET").status == 200
    # 5 denials (4 guard errors on arguments it cannot read, 1 forbidden tool): the emergency stop holds, as for any
    # 5 violations; once reset, the proxy answers again
    assert server.proxy.enforcer.breaker_open
    assert chat(server.url, "plain").status == 403
    server.proxy.enforcer.reset()
    assert chat(server.url, "plain").status == 200
    schema = json_schema()
    lines = rows.read_text().splitlines()
    assert len(lines) >= len(HOSTILE_BODIES) + 1
    for line in lines:
        row = json.loads(line)
        jsonschema.validate(row, schema)
        assert row["input_tokens"] is None or 0 <= row["input_tokens"] < 2**53


@pytest.mark.parametrize("mode", ["gzip-bomb", "huge-plain", "negative-usage", "nan-cost"])
@pytest.mark.parametrize("client", ["auto", "aiohttp"])
def test_the_hostile_http_server_as_upstream(mode: str, client: str) -> None:
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with hostile_http_server() as upstream, serving(upstream.url(mode), http_client=client) as server:
        answer = chat(server.url, "m-test")
    grown_mib = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before) / 1024
    if mode in ("gzip-bomb", "huge-plain"):  # 64 MiB once inflated, over the 16 MiB cap: refused, not buffered
        assert answer.status == 502 and answer.json()["error"]["code"] == "upstream_too_large"
        assert grown_mib < 200
    else:
        assert answer.status == 200
        assert answer.json()["choices"][0]["message"]["content"] == "ok"
        # a negative token count is unknown, not passed on
        assert "prompt_tokens" not in answer.json().get("usage", {})


def _request_texts() -> list[HostileDataset]:
    """The hostile dataset rows that are JSON documents: each sent as a request body."""
    return [d for d in hostile_datasets() if d.filename.endswith(".jsonl")]


@pytest.mark.parametrize("dataset", _request_texts(), ids=lambda d: d.name)
def test_hostile_dataset_rows_as_request_bodies_never_reach_the_upstream_unchecked(
    proxied: tuple[ProxyThread, ChatUpstream, Path], dataset: HostileDataset
) -> None:
    server, upstream, _ = proxied
    before = len(upstream.received)
    raw = dataset.text.splitlines()[dataset.line - 1].encode()
    answer = request(f"{server.url}/v1/chat/completions", raw=raw)
    assert answer.status == 400  # not a chat request (no messages list), or not JSON at all
    assert answer.json()["error"]["type"] == "invalid_request_error"
    assert len(upstream.received) == before


def test_a_deeply_nested_message_content_is_judged_or_denied_never_passed_unchecked(
    proxied: tuple[ProxyThread, ChatUpstream, Path],
) -> None:
    server, upstream, _ = proxied
    before = len(upstream.received)
    raw = b'{"model": "plain", "messages": [{"role": "user", "content": ' + b"[" * 900 + b"]" * 900 + b"}]}"
    answer = request(f"{server.url}/v1/chat/completions", raw=raw)
    assert answer.status in (200, 403)
    if answer.status == 403:  # the guard could not judge it: denied before forwarding
        assert len(upstream.received) == before
