"""The HTTP adapter against a real misbehaving agent server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest
from agents.procs import HttpAgentServer, http_agent_server

from gatekit.agents import AgentCallError, AgentOptions, resolve_agent
from gatekit.agents.http import HttpAgent, fill_template, get_path, parse_retry_after
from gatekit.errors import AgentError
from gatekit.models import AgentResponse, ErrorType

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def server() -> Iterator[HttpAgentServer]:
    with http_agent_server() as srv:
        yield srv


def run_calls(spec: str, inputs: list[Any], options: AgentOptions | None = None, timeout_s: float = 5.0) -> list[Any]:
    """Start the adapter, call it once per input (concurrently), close it; errors are returned."""

    async def go() -> list[Any]:
        agent = resolve_agent(spec, options or AgentOptions())
        await agent.start()
        try:
            return await asyncio.gather(
                *(asyncio.wait_for(agent.call(i, {"user": "u-1"}), timeout_s) for i in inputs),
                return_exceptions=True,
            )
        finally:
            await agent.close()

    return asyncio.run(go())


def test_openai_mode_reads_output_tool_calls_usage_and_model(server: HttpAgentServer) -> None:
    options = AgentOptions(model="my-model")
    [resp] = run_calls(
        server.url("ok"),
        [{"messages": [{"role": "user", "content": "find order [tool=lookup_order]"}]}],
        options,
    )
    assert isinstance(resp, AgentResponse)
    assert resp.output == "echo: find order [tool=lookup_order]"
    assert resp.tool_calls == [{"name": "lookup_order", "arguments": {"query": "find order [tool=loo"}}]
    assert resp.usage == {"input_tokens": 3, "output_tokens": 5}
    assert resp.model == "my-model"
    assert server.stats()["last_body"]["model"] == "my-model"


def test_plain_string_input_becomes_one_user_message(server: HttpAgentServer) -> None:
    [resp] = run_calls(server.url("ok"), ["hello there"])
    assert resp.output == "echo: hello there"
    assert server.stats()["last_body"]["messages"] == [{"role": "user", "content": "hello there"}]


def test_api_key_from_env_and_extra_headers_are_sent(server: HttpAgentServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEKIT_TEST_KEY", "sk-test-123")
    monkeypatch.setenv("GATEKIT_TEST_TENANT", "tenant-9")
    options = AgentOptions(
        api_key_env="GATEKIT_TEST_KEY", headers={"X-Team": "gate", "X-Tenant": "${GATEKIT_TEST_TENANT}"}
    )
    [resp] = run_calls(server.url("ok"), ["key check"], options)
    assert isinstance(resp, AgentResponse)
    headers = server.stats()["last_headers"]
    assert headers["Authorization"] == "Bearer sk-test-123"
    assert headers["X-Team"] == "gate"
    assert headers["X-Tenant"] == "tenant-9"


def test_missing_api_key_env_is_a_user_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GATEKIT_NOPE_KEY", raising=False)
    agent = HttpAgent("http://127.0.0.1:9/v1/chat/completions", AgentOptions(api_key_env="GATEKIT_NOPE_KEY"))
    with pytest.raises(AgentError, match="GATEKIT_NOPE_KEY"):
        asyncio.run(agent.start())


def test_api_key_never_appears_in_error_messages(server: HttpAgentServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEKIT_TEST_KEY", "sk-secret-xyz")
    options = AgentOptions(api_key_env="GATEKIT_TEST_KEY")
    errors = run_calls(server.url("500"), ["boom"], options) + run_calls(server.url("malformed"), ["x"], options)
    for err in errors:
        assert isinstance(err, AgentCallError)
        assert "sk-secret-xyz" not in str(err)


@pytest.mark.parametrize(
    ("mode", "query", "error_type", "retryable"),
    [
        ("500", {}, ErrorType.HTTP_5XX, True),
        ("429", {"fail": 5, "retry_after": 7}, ErrorType.RATE_LIMITED, True),
        ("malformed", {}, ErrorType.INVALID_RESPONSE, False),
        ("reset", {}, ErrorType.CONNECTION, False),  # the request reached the server: a POST is not sent again
    ],
)
def test_failures_are_classified(
    server: HttpAgentServer, mode: str, query: dict[str, Any], error_type: ErrorType, retryable: bool
) -> None:
    [err] = run_calls(server.url(mode, **query), [f"classify {mode}"])
    assert isinstance(err, AgentCallError), err
    assert err.error_type == error_type
    assert err.retryable is retryable
    if mode == "429":
        assert err.retry_after_s == 7.0


def test_4xx_is_not_retried(server: HttpAgentServer) -> None:
    [err] = run_calls(f"{server.base}/nope", ["x"])  # no such route -> 404
    assert isinstance(err, AgentCallError)
    assert err.error_type == ErrorType.HTTP_4XX and err.retryable is False
    assert "HTTP 404" in str(err)


def test_connection_refused_is_a_connection_error() -> None:
    from conftest import free_port

    [err] = run_calls(f"http://127.0.0.1:{free_port()}/v1/chat/completions", ["x"])
    assert isinstance(err, AgentCallError)
    assert err.error_type == ErrorType.CONNECTION


def test_hang_is_cut_by_the_attempt_timeout_and_the_session_still_works(server: HttpAgentServer) -> None:
    async def go() -> tuple[Any, Any]:
        agent = resolve_agent(server.url("ok"), AgentOptions(concurrency=1))
        await agent.start()
        try:
            t0 = time.monotonic()
            try:
                await asyncio.wait_for(agent.call("[mode=hang] please", {}), 0.4)
                hung: Any = "answered"
            except TimeoutError as exc:
                hung = exc
            # cut at the 0.4 s wait: the server would hang for an hour, the adapter's own timeouts are 30 s (a bound
            # far from both, not a speed limit: a loaded CI machine took over 2 s)
            assert time.monotonic() - t0 < 10
            # the one pooled connection was released when the hung request was cancelled
            ok = await asyncio.wait_for(agent.call("after the hang", {}), 3)
            return hung, ok
        finally:
            await agent.close()

    hung, ok = asyncio.run(go())
    assert isinstance(hung, TimeoutError)
    assert ok.output == "echo: after the hang"


def test_trickling_response_is_read_whole_or_timed_out(server: HttpAgentServer) -> None:
    [resp] = run_calls(server.url("trickle", chunks=5, interval_ms=40), ["slow but fine"])
    assert isinstance(resp, AgentResponse) and resp.output == "echo: slow but fine"
    t0 = time.monotonic()
    [err] = run_calls(server.url("trickle", chunks=20, interval_ms=1000), ["too slow"], timeout_s=0.5)
    assert isinstance(err, TimeoutError)
    # cut at the 0.5 s timeout, not read whole: the answer takes 20 s to trickle in (a bound far from both)
    assert time.monotonic() - t0 < 10


def test_generic_json_mode_with_template_and_response_paths(server: HttpAgentServer) -> None:
    options = AgentOptions(
        model="m1",
        extra={
            "mode": "json",
            "body_template": {"input": "{{input}}", "ctx": "{{context}}", "note": "model={{model}}"},
            "response_paths": {
                "output": "data.answer",
                "tool_calls": "data.calls",
                "usage.input_tokens": "meta.tokens.in",
                "usage.output_tokens": "meta.tokens.out",
                "model": "meta.model",
            },
        },
    )
    [resp] = run_calls(server.url("json"), ["what is up"], options)
    assert isinstance(resp, AgentResponse), resp
    assert resp.output == "json: what is up"
    assert resp.tool_calls == [{"name": "search", "arguments": {"q": "what is up"}}]
    assert resp.usage == {"input_tokens": 3, "output_tokens": 5}
    assert resp.model == "json-model"
    assert server.stats()["last_body"] == {"input": "what is up", "ctx": {"user": "u-1"}, "note": "model=m1"}


def test_generic_json_mode_missing_output_path_is_invalid_response(server: HttpAgentServer) -> None:
    options = AgentOptions(extra={"body_template": {"input": "{{input}}"}, "response_paths": {"output": "nope.x"}})
    [err] = run_calls(server.url("json"), ["q"], options)
    assert isinstance(err, AgentCallError) and err.error_type == ErrorType.INVALID_RESPONSE
    assert "nope.x" in str(err)


def test_unknown_extra_key_is_rejected() -> None:
    with pytest.raises(AgentError, match="body_templat"):
        HttpAgent("http://x/v1/chat/completions", AgentOptions(extra={"body_templat": {}}))


def test_helpers() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None
    assert fill_template({"a": "{{x}}", "b": ["id={{y}}"]}, {"x": {"k": 1}, "y": 7}) == {
        "a": {"k": 1},
        "b": ["id=7"],
    }
    assert get_path({"a": [{"b": 2}]}, "a.0.b") == 2
    assert get_path({"a": [{"b": 2}]}, "a.-1.b") == 2
