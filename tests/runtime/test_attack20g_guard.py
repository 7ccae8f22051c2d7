"""Attack round 20g on the in-process guard library API: decorators on class members, generators, review answers."""

from __future__ import annotations

import asyncio
import json

import pytest
from runtime_helpers import write_policy

from gatekit.runtime import Enforcer, PolicyViolation

SECRET = "use key AKIAIOSFODNN7EXAMPLE now"  # the helper policy denies a secret in the input
REFUND = {"order_id": "W1", "amount": 900}  # over $500: the helper policy sends it to review


def _rows(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_guard_over_a_staticmethod_checks_the_input_not_the_instance(tmp_path):
    """``@guard`` above ``@staticmethod``: called on an instance, the instance was taken for the input and the real
    input reached the agent (as its context) unchecked."""
    enforcer = Enforcer.from_file(write_policy(tmp_path))
    seen: list[object] = []

    class Agent:
        @enforcer.guard
        @staticmethod
        def answer(question, context=None):
            seen.append(question)
            return f"answered {len(str(question))} chars"

    with pytest.raises(PolicyViolation, match="AWS_ACCESS_KEY in input"):
        Agent().answer(SECRET)
    with pytest.raises(PolicyViolation, match="AWS_ACCESS_KEY in input"):
        Agent.answer(SECRET)
    assert seen == []  # the agent never ran on the secret
    assert Agent().answer("hello") == "answered 5 chars"
    assert seen == ["hello"]


def test_guard_over_a_classmethod_is_a_classmethod(tmp_path):
    """``@guard`` above ``@classmethod`` raised ``TypeError: 'classmethod' object is not callable`` on every call."""
    enforcer = Enforcer.from_file(write_policy(tmp_path))

    class Agent:
        prefix = "from"

        @enforcer.guard
        @classmethod
        def answer(cls, question, context=None):
            return f"{cls.prefix} {cls.__name__}: {question}"

        @enforcer.guard
        @classmethod
        async def answer_async(cls, question, context=None):
            return f"{cls.prefix} {cls.__name__}: {question}"

    assert Agent().answer("hi") == "from Agent: hi"
    assert Agent.answer("hi") == "from Agent: hi"
    assert asyncio.run(Agent.answer_async("hi")) == "from Agent: hi"
    with pytest.raises(PolicyViolation, match="AWS_ACCESS_KEY in input"):
        Agent.answer(SECRET)
    with pytest.raises(PolicyViolation, match="AWS_ACCESS_KEY in input"):
        asyncio.run(Agent().answer_async(SECRET))
    assert enforcer.stats()["requests"] == 5


def test_guard_refuses_a_generator_when_it_is_applied(tmp_path):
    """A streaming agent (sync or async generator) was denied only when called, as a guard error of every request."""
    enforcer = Enforcer.from_file(write_policy(tmp_path))

    def stream(question, context=None):
        yield "part"

    async def stream_async(question, context=None):
        yield "part"

    for agent in (stream, stream_async):
        with pytest.raises(TypeError, match="generator .*collect the stream"):
            enforcer.guard(agent)
    assert enforcer.stats()["requests"] == 0


@pytest.mark.parametrize("answer", [0, "", "no", "deny", [], {"approved": False}, 1.0])
def test_a_review_hook_answer_that_is_not_a_yes_denies(tmp_path, answer):
    """A hook returning junk (``0``, ``"no"``, a dict) approved the review: only ``True`` (or ``None``) approves."""
    rows = tmp_path / "rows.jsonl"
    enforcer = Enforcer.from_file(write_policy(tmp_path), review_hook=lambda decision: answer, log_to=rows)
    ran: list[dict] = []
    with enforcer.request("refund my order") as scope:
        scope.check_request()
        with pytest.raises(PolicyViolation) as caught:
            ran.append(scope.check_tool_call("refund", REFUND))
    assert ran == []
    assert caught.value.decision.enforced == "deny"
    assert f"review hook returned {type(answer).__name__}" in str(caught.value)
    assert _rows(rows)[0]["enforced"] == "deny"
    assert enforcer.stats()["by_enforced"] == {"allow": 1, "allow_with_redaction": 0, "require_review": 0, "deny": 1}


@pytest.mark.parametrize("answer", [True, None])
def test_a_review_hook_yes_still_approves(tmp_path, answer):
    enforcer = Enforcer.from_file(write_policy(tmp_path), review_hook=lambda decision: answer)
    with enforcer.request("refund my order") as scope:
        assert scope.check_tool_call("refund", REFUND) == REFUND
    assert enforcer.stats()["by_enforced"]["allow"] == 1


def test_an_async_trace_sink_or_observer_is_refused_when_given(tmp_path):
    """An ``async def`` trace_to / on_decision / log_to.write was called, never awaited: every record lost while the
    sink counted it written (``written: 2, failures: 0``)."""

    async def trace(record):
        raise AssertionError("never awaited")

    async def observe(decision):
        raise AssertionError("never awaited")

    class AsyncLog:
        async def write(self, **fields):
            raise AssertionError("never awaited")

    policy = write_policy(tmp_path)
    for kwargs, what in (({"trace_to": trace}, "trace_to"), ({"on_decision": observe}, "on_decision"),
                         ({"log_to": AsyncLog()}, "log_to's write")):  # fmt: skip
        with pytest.raises(TypeError, match=f"{what} is async"):
            Enforcer.from_file(policy, **kwargs)


def test_a_trace_callable_returning_an_awaitable_is_a_counted_failure(tmp_path, recwarn):
    """A sync callable handing on to an async one (``lambda r: sink(r)``): the records are failures, not written."""
    delivered: list[dict] = []

    async def sink(record):
        delivered.append(record)

    enforcer = Enforcer.from_file(write_policy(tmp_path), trace_to=lambda record: sink(record))
    assert enforcer.guard(lambda question, context=None: "ok")("hi") == "ok"
    trace = enforcer.stats()["sinks"]["trace"]
    assert (trace["written"], trace["failures"]) == (0, 2)
    assert "awaitable" in trace["last_error"]
    assert delivered == []
    assert not [w for w in recwarn if "never awaited" in str(w.message)]  # the coroutine was closed


def test_a_request_answered_after_close_keeps_its_row_and_traces(tmp_path):
    """``background=True``: a request still answering when the service shut down (``close()``) lost its row and
    decision traces to the closed writer ("writer closed: record dropped"); ``flush()`` said False forever after."""
    rows, traces = tmp_path / "rows.jsonl", tmp_path / "traces.jsonl"
    enforcer = Enforcer.from_file(write_policy(tmp_path), log_to=rows, trace_to=traces, background=True)
    agent = enforcer.guard(lambda question, context=None: f"answer to {question}")
    assert agent("before") == "answer to before"
    with enforcer.request("in flight") as scope:
        scope.check_request()
        enforcer.close()  # the service shuts down while this request is still answering
        assert scope.check_response("late answer") == "late answer"
    assert agent("after") == "answer to after"
    assert enforcer.flush() is True
    written = _rows(rows)
    assert len(written) == 3 and len({row["request_id"] for row in written}) == 3
    assert [row["enforced"] for row in written] == ["allow"] * 3 and {row["error"] for row in written} == {None}
    assert len(_rows(traces)) == 6  # request and response of each
    assert enforcer.stats()["sink_failures"] == 0
    enforcer.close()  # twice: harmless
    assert len(_rows(rows)) == 3 and len(_rows(traces)) == 6


def test_a_request_scope_is_used_once(tmp_path):
    """A scope exited twice (re-entered) wrote a second row and counted a second request under one id; a check after
    its exit was judged but missed the row and the run state's counts (a late deny never reached an emergency stop)."""
    rows = tmp_path / "rows.jsonl"
    enforcer = Enforcer.from_file(write_policy(tmp_path, stop=True), log_to=rows)
    with enforcer.request("hello") as scope:
        assert scope.check_request() == "hello"
    with pytest.raises(RuntimeError, match="entered once"):
        scope.__enter__()
    scope.__exit__(None, None, None)  # a second exit writes nothing
    for late in (lambda: scope.check_response("an answer"), lambda: scope.check_tool_call("lookup", {}),
                 lambda: scope.check_request()):  # fmt: skip
        with pytest.raises(PolicyViolation, match="scope has exited") as caught:
            late()
        assert caught.value.decision.enforced == "deny"
    assert len(_rows(rows)) == 1
    stats = enforcer.stats()
    assert (stats["requests"], stats["guard_errors"], stats["by_enforced"]["deny"]) == (1, 3, 3)


class _Message:
    """A message class of an agent framework: its text in attributes, not in ``str()``."""

    def __init__(self, content: str) -> None:
        self.role, self.content = "user", content


@pytest.mark.parametrize(
    "question",
    [
        _Message(SECRET),
        [_Message(SECRET)],
        {"messages": [_Message(SECRET)]},
        {"messages": [SECRET]},  # a message that is not a dict was dropped from the text
        {"data": SECRET.encode()},
        {"data": {SECRET}},
    ],
    ids=["object", "list-of-objects", "messages-of-objects", "messages-of-strings", "bytes-inside", "set-inside"],
)
def test_an_input_the_rules_cannot_read_is_denied_not_passed(tmp_path, question):
    """The rules read an input's strings and numbers: an object, bytes, a set or a non-dict message inside it was
    read as nothing, so the secret in it reached the agent with an ``allow``."""
    rows = tmp_path / "rows.jsonl"
    enforcer = Enforcer.from_file(write_policy(tmp_path), log_to=rows)
    ran: list[object] = []

    @enforcer.guard
    def agent(question, context=None):
        ran.append(question)
        return "ok"

    with pytest.raises(PolicyViolation, match="guard error: TypeError: the input") as caught:
        agent(question)
    assert caught.value.decision.enforced == "deny" and ran == []
    with enforcer.request(question) as scope:  # a scope that skips the request point: the response is denied too
        with pytest.raises(PolicyViolation, match="guard error: TypeError: the input"):
            scope.check_response("ok")
    assert [row["enforced"] for row in _rows(rows)] == ["deny", "deny"]


def test_readable_inputs_still_pass(tmp_path):
    enforcer = Enforcer.from_file(write_policy(tmp_path))
    for question in (None, "hi", 3, 2.5, True, ["a", 1], ("a", "b"),
                     {"messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}]}):  # fmt: skip
        assert enforcer.check_request(question) == question
    with pytest.raises(PolicyViolation, match="AWS_ACCESS_KEY in input"):
        enforcer.check_request({"messages": [{"role": "user", "content": SECRET}]})


def test_many_threads_one_enforcer_exact_counts(tmp_path):
    """8 threads x 30 requests on one enforcer (a switch interval of 1 µs to interleave them): the per-minute tool
    rate lets exactly 5 e-mails run, the per-user token budget exactly 10 answers of 300 tokens; every counter adds up.
    """
    import sys
    import threading

    from runtime_helpers import FakeClock

    rows, traces = tmp_path / "rows.jsonl", tmp_path / "traces.jsonl"
    enforcer = Enforcer.from_file(write_policy(tmp_path), clock=FakeClock(), log_to=rows, trace_to=traces)
    lock = threading.Lock()
    results = {"sent": 0, "answered": 0, "denied": 0}

    def worker(index: int) -> None:
        for turn in range(30):
            mailing = turn % 2 == 0
            try:
                # (the e-mails on a user of their own: a response after the answers spent the budget would be denied)
                user = "mailer" if mailing else "same"
                with enforcer.request(f"request {index}-{turn}", {"user": user}) as scope:
                    scope.check_request()
                    if mailing:
                        scope.check_tool_call("send_email", {"to": "ops@example.com"})
                        scope.check_response({"output": "sent", "usage": {"input_tokens": 0, "output_tokens": 0}})
                    else:
                        scope.check_response(
                            {"output": "an answer", "usage": {"input_tokens": 200, "output_tokens": 100}}
                        )
                outcome = "sent" if mailing else "answered"
            except PolicyViolation:
                outcome = "denied"
            with lock:
                results[outcome] += 1

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        threads = [threading.Thread(target=worker, args=(index,)) for index in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        sys.setswitchinterval(interval)
    assert results == {"sent": 5, "answered": 10, "denied": 225}
    stats = enforcer.stats()
    # 240 request points; 120 tool calls (5 let run); 5 e-mail responses; 120 answers judged (10 allowed)
    assert stats["requests"] == 240 and stats["decisions"] == 240 + 120 + 5 + 120
    assert stats["by_outcome"]["deny"] == 115 + 110 and stats["guard_errors"] == 0
    assert len(_rows(rows)) == 240 and len({row["request_id"] for row in _rows(rows)}) == 240
    assert len(_rows(traces)) == stats["decisions"]


def test_a_context_that_is_not_a_dict_is_read_or_denied(tmp_path):
    """A ``MappingProxyType`` / ``ChainMap`` context, or a settings object, was read as ``{}``: the policy's
    ``context.env == "production" and context.role == "guest"`` deny never fired and the guest got an answer."""
    import collections
    import types

    rows = tmp_path / "rows.jsonl"
    enforcer = Enforcer.from_file(write_policy(tmp_path), log_to=rows)
    agent = enforcer.guard(lambda question, context=None: "ok")
    guest = {"env": "production", "role": "guest"}

    class Settings:
        env, role = "production", "guest"

    for context in (types.MappingProxyType(guest), collections.ChainMap(guest)):
        with pytest.raises(PolicyViolation, match="guests may not use production"):
            agent("hi", context)
        with pytest.raises(PolicyViolation, match="guests may not use production"):
            enforcer.check_request("hi", context)
    for context in (Settings(), "production"):
        with pytest.raises(PolicyViolation, match="guard error: TypeError: the context is a"):
            agent("hi", context)
        with enforcer.request("hi", context) as scope:  # every check point of the request
            with pytest.raises(PolicyViolation, match="the context is a"):
                scope.check_tool_call("lookup", {})
    assert [row["role"] for row in _rows(rows)][:2] == ["guest", "guest"]  # a mapping's labels reach the row
    assert agent("hi", {"env": "production", "role": "staff"}) == "ok" and agent("hi", None) == "ok"
