"""The in-process guard: one policy file enforced where the agent acts.

``Enforcer.from_file(policy)`` loads a policy once; ``@enforcer.guard`` wraps a sync or async agent
``(input, context) -> response``. Inside a guarded call (or an explicit ``enforcer.request(...)``
scope) the request, every tool call (``enforcer.check_tool_call``) and the response are checked with
the same rules the gate uses, every decision leaves a trace record (the gate's ``governance_traces.jsonl``
row) and, optionally, an OpenTelemetry span, and every request one production-log row.

State that outlives a request — token-budget and tool-rate windows, counters, emergency stops — is one
run state per enforcer, changed only under a lock, so one enforcer serves many threads and asyncio tasks.
"""

from __future__ import annotations

import contextvars
import dataclasses
import functools
import inspect
import itertools
import json
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal, TypeVar

from gatekit.governance.policy import Policy, RunState, load_policy
from gatekit.governance.rules.tools import Account
from gatekit.models import TOOL_RESULT_KEYS, Decision, Outcome
from gatekit.production.schema import timestamp_text
from gatekit.redact import add_credential_env, scrub, scrub_field, scrub_message_cut
from gatekit.runtime import stages
from gatekit.runtime.decision import TARGET_TYPE, GuardDecision, PolicyViolation, ReviewRequired
from gatekit.runtime.sinks import ACTION_TYPE, BackgroundWriter, SpanSink, TraceSink, log, note_failure

F = TypeVar("F", bound=Callable[..., Any])
Mode = Literal["enforce", "evaluate"]
ReviewHook = Callable[[GuardDecision], Any]

_OUTCOMES = ("allow", "allow_with_redaction", "require_review", "deny")
_RANK = {name: rank for rank, name in enumerate(_OUTCOMES)}
_BY_RANK = tuple(Outcome(name) for name in _OUTCOMES)
_NAME = {Outcome(name): name for name in _OUTCOMES}  # ``.value`` is a Python-level descriptor call
_OUTCOME_RANK = {Outcome(name): rank for rank, name in enumerate(_OUTCOMES)}
GUARD_RULE_ID = "gatekit-guard"
_CURRENT: contextvars.ContextVar[_Request | None] = contextvars.ContextVar("gatekit_runtime_request", default=None)


def raise_for_review(decision: GuardDecision) -> None:
    """The default review hook: nothing proceeds without a person, so the call raises ``ReviewRequired``."""
    raise ReviewRequired(decision)


def _is_async(fn: Any) -> bool:
    """An ``async def`` function, or an object whose class's ``__call__`` is one."""
    if inspect.iscoroutinefunction(fn):
        return True
    try:
        return inspect.iscoroutinefunction(type(fn).__call__)
    except AttributeError:
        return False


def _is_method(fn: Any) -> bool:
    """A function defined in a class body whose first parameter is ``self`` or ``cls`` (bound when it is called).

    Wrapped as a plain agent, the instance would be taken for the input: the request point would judge
    ``repr(self)`` and the real input would reach the agent unchecked.
    """
    if not inspect.isfunction(fn) or "." not in fn.__qualname__ or fn.__qualname__.endswith(">"):
        return False
    if fn.__qualname__.rsplit(".", 1)[0].endswith("<locals>"):  # a nested function, not a method
        return False
    try:
        first = next(iter(inspect.signature(fn).parameters.values()), None)
    except (TypeError, ValueError):
        return False
    return first is not None and first.name in ("self", "cls") and first.kind is first.POSITIONAL_OR_KEYWORD


def _call_key(name: Any, arguments: Any) -> str:
    return json.dumps([str(name), arguments], sort_keys=True, ensure_ascii=False, default=str)


def _context_text(value: Any) -> str | None:
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


class _Request:
    """What one request has gathered across its check points (shared by the tasks of that request)."""

    __slots__ = (
        "enforcer",
        "request_id",
        "input",
        "context",
        "timestamp_s",
        "started_ns",
        "input_fired",
        "rank",
        "enforced_rank",
        "rules",
        "redactions",
        "tool_names",
        "checked",
        "claims",
        "call_counts",
        "calls",
        "proposed",
        "together_fired",
        "response",
        "error",
        "token",
        "request_checked",
        "recorded",
        "decided_rank",
        "decided_rules",
        "decided_redactions",
        "account",
        "responses",
        "refused",
        "ended",
        "read_input",
        "context_error",
        "spent_counted",
        "sent",
    )

    def __init__(self, enforcer: Enforcer, input: Any, context: Any, request_id: str | None) -> None:
        self.enforcer = enforcer
        self.request_id = request_id or enforcer._new_id()
        self.input = input
        self.context_error: str | None = None  # a context the rules cannot read: every check point denies
        try:
            self.context: dict[str, Any] = _context_dict(context)
        except Exception as exc:  # noqa: BLE001 - raised (a guard error) at the request's first check point
            self.context = {}
            self.context_error = str(exc) or type(exc).__name__
        self.timestamp_s = enforcer.clock()
        self.started_ns = time.perf_counter_ns()
        self.input_fired: set[tuple[str, str]] = set()  # (rule id, reason) fired at the request point
        self.rank = -1  # strongest verdict so far (-1: nothing decided)
        self.enforced_rank = -1
        self.rules: dict[str, None] = {}
        self.redactions: dict[str, int] = {}
        self.tool_names: list[str] = []
        self.checked: dict[str, Any] = {}  # call key -> the arguments as they were allowed (redacted)
        self.claims: dict[str, list[int]] = {}  # call key -> [checks not yet matched by a response's call]
        self.call_counts: dict[str, int] = {}
        self.calls = 0
        # the calls checked (and let run) in the current response, and the conditions over them together that fired
        # and were let pass (approved reviews): not asked again at the next call or at the response
        self.proposed: list[dict[str, Any]] = []
        self.together_fired: set[tuple[str, str]] = set()
        self.response: dict[str, Any] | None = None
        self.error: str | None = None
        self.token: contextvars.Token[_Request | None] | None = None
        self.request_checked = False  # the request point ran (and did not fail)
        # what the run state counts for this request, once (:meth:`Enforcer._count_request`)
        self.recorded = False
        self.decided_rank = -1
        self.decided_rules: dict[str, None] = {}
        self.decided_redactions = False
        # whom the per-minute tool rates count this request's calls for (unique per enforcer: never a caller's id),
        # and which response of it is judged (rules/tools.Account: a request counts as its largest response)
        self.account = next(enforcer._accounts)
        self.responses = 0
        # call key -> checks of the current response that refused it: counted there; if the agent goes on with the
        # call, the response judges it again but does not count it again
        self.refused: dict[str, int] = {}
        self.read_input: Any = _MISSING  # the input found readable (checked once per request, not at every point)
        self.ended = False  # its row written: a check after it is a guard error (denied), a second exit writes nothing
        self.spent_counted = False  # a response check counted the answer's tokens on the budgets
        self.sent = False  # the request went to the model (note_sent): its tokens count even if no answer is judged

    def absorb(self, decision: GuardDecision, rule_ids: list[str]) -> None:
        rank = _RANK[decision.outcome]
        if rank > self.rank:
            self.rank = rank
        rank = _RANK[decision.enforced]
        if rank > self.enforced_rank:
            self.enforced_rank = rank
        for rule_id in rule_ids:
            self.rules[rule_id] = None
        for kind, count in decision.redactions.items():
            self.redactions[kind] = self.redactions.get(kind, 0) + count


class RequestScope:
    """One guarded request: ``with enforcer.request(input, context) as req:`` (or ``async with``).

    The check methods are those of the enforcer, bound to this request; on exit one production-log row
    is written (latency, error, usage, outcome, enforced action, rules, redaction counts, input features).
    """

    def __init__(self, enforcer: Enforcer, input: Any, context: Any, request_id: str | None) -> None:
        self.enforcer = enforcer
        self._state = _Request(enforcer, input, context, request_id)

    @property
    def request_id(self) -> str:
        """The request's id (the trace records' ``case_id`` and the row's ``request_id``)."""
        return self._state.request_id

    def check_request(self) -> Any:
        """Check the request's input (see :meth:`Enforcer.check_request`)."""
        return self.enforcer._check_request(self._state, self._state.input, self._state.context)

    def check_tool_call(self, name: str, arguments: Any = None) -> Any:
        """Check a tool call before it runs (see :meth:`Enforcer.check_tool_call`)."""
        return self.enforcer._check_tool_call(self._state, name, arguments, self._state.context)

    def next_response(self) -> None:
        """The tool calls checked from here on belong to another response of this request (the proxy's next choice).

        ``max_calls_per_case``, ``limits.<tool>.max_calls`` and conditions over the calls together count them apart;
        ``max_calls_per_minute`` counts the request as its largest response.
        """
        with self.enforcer._lock:
            state = self._state
            state.responses += 1
            state.refused = {}
            state.calls = 0
            state.call_counts = {}
            state.proposed = []
            state.together_fired = set()

    def check_response(self, output: Any, tool_calls: list[Any] | None = None, usage: Any = None, **extra: Any) -> Any:
        """Check the response (see :meth:`Enforcer.check_response`)."""
        return self.enforcer._check_response(self._state, output, tool_calls, usage, self._state.context, extra)

    def _check_answer(self, raw: Any) -> Any:
        """:meth:`check_response` of what a guarded agent returned, read as the gate reads a ``python:`` agent's answer.

        A mapping with neither ``output`` nor ``tool_calls`` (``{"content": ...}``, ``{"answer": ...}``, an
        OpenAI-shaped ``{"choices": ...}``) is no answer the guard can judge: denied (``gatekit-guard``), where it was
        passed as an empty answer with ``outcome: allow`` while the gate refuses it as an ``invalid_response``.
        """
        return self.enforcer._check_response(self._state, raw, None, None, self._state.context, {}, answer=True)

    def note_sent(self, sent: bool = True) -> None:
        """Record that the request went to the model (``False``: it provably never did, e.g. a refused connect).

        A request sent whose answer is never judged nor noted — its client left, the upstream's answer was lost, too
        large or not a chat completion, a timeout — still spent tokens: unknown is not zero. On exit they count on the
        token budgets, estimated from the prompt (the row keeps them unknown), as an answer without usage is counted.
        Without it a client that closed each connection before its answer spent past a per-user budget unseen.
        """
        self._state.sent = sent

    def note_response(self, usage: Any = None, model: Any = None) -> None:
        """Record a response's token usage and model before it is checked (the row keeps them if a check denies).

        A blocked tool call still cost the tokens the model spent. Values that do not pass the response checks
        are left unknown (null); a later :meth:`check_response` replaces what is noted here.
        """
        if self._state.response is not None:
            return
        raw = {"output": "", "tool_calls": [], "usage": usage, "model": model}
        try:
            response = _plain_response(raw)
            if response is None:
                from gatekit.agents.base import normalise_response

                checked = normalise_response(raw)
                response = {"usage": checked.usage, "model": checked.model}
        except Exception:  # noqa: BLE001 - usage that cannot be read stays unknown, never 0
            return
        self._state.response = {"usage": response["usage"], "model": response["model"]}

    def fail(self, error_type: str) -> None:
        """Record that the request failed (the row's ``error``), e.g. ``timeout`` or ``http_5xx``."""
        self._state.error = error_type

    def __enter__(self) -> RequestScope:
        if self._state.ended or self._state.token is not None:
            raise RuntimeError("a request scope is entered once: make a new one with enforcer.request(...)")
        self._state.token = _CURRENT.set(self._state)
        return self

    def __exit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        state = self._state
        if state.token is not None:
            try:
                _CURRENT.reset(state.token)
            except ValueError:  # exited in another context (a task handed the scope on): nothing to restore
                pass
            state.token = None
        if exc is not None and state.error is None:
            if isinstance(exc, ReviewRequired):
                state.error = "review_required"
            elif isinstance(exc, PolicyViolation):
                state.error = "policy_denied"
            else:
                state.error = type(exc).__name__
        self.enforcer._finish(state)

    async def __aenter__(self) -> RequestScope:
        return self.__enter__()

    async def __aexit__(self, exc_type: Any, exc: BaseException | None, tb: Any) -> None:
        self.__exit__(exc_type, exc, tb)


class Enforcer:
    """Enforce one policy in production: check points, the ``guard`` decorator, traces, rows, spans."""

    def __init__(
        self,
        policy: Policy,
        *,
        trace_to: str | Path | Callable[[dict[str, Any]], Any] | None = None,
        log_to: str | Path | Any | None = None,
        variant: str | None = None,
        agent_version: str | None = None,
        mode: Mode = "enforce",
        review_hook: ReviewHook | None = None,
        clock: Callable[[], float] | None = None,
        tracer: Any = None,
        on_decision: Callable[[GuardDecision], Any] | None = None,
        source: str = "runtime",
        background: bool = False,
    ) -> None:
        if mode not in ("enforce", "evaluate"):
            raise ValueError(f"mode {mode!r}: use 'enforce' or 'evaluate'")
        from gatekit.runtime.labels import check_variant

        check_variant(variant)  # operator configuration, written on every row: refused here, not scrubbed per row
        # the process's credentials (OPENAI_API_KEY, HF_TOKEN ...): an agent echoing one into a tool name, an
        # argument or its output must not get it into a trace record or a production-log row
        add_credential_env()
        # nothing here awaits: an async observer or sink would never run (its records lost, without a word)
        for what, target in (
            ("on_decision", on_decision),
            ("trace_to", trace_to if callable(trace_to) else None),
            ("log_to's write", getattr(log_to, "write", None) if not isinstance(log_to, str | Path) else None),
        ):
            if target is not None and _is_async(target):
                raise TypeError(f"{what} is async (nothing would await it): pass a synchronous callable")
        self.policy = policy
        self.mode: Mode = mode
        self.variant = variant
        self.agent_version = agent_version
        self.source = source
        self.review_hook: ReviewHook = review_hook or raise_for_review
        self.clock: Callable[[], float] = clock or time.time
        self.on_decision = on_decision
        self.run_id = f"runtime-{uuid.uuid4().hex[:12]}"
        self._ids = itertools.count(1)
        self._accounts = itertools.count(1)  # (next() on a count is atomic: no lock)
        self._id_prefix = uuid.uuid4().hex[:16]
        self._stamp: tuple[int, str] = (-1, "")
        self._lock = threading.Lock()
        self._run: RunState = policy.new_run(self.run_id)
        self.trace_sink = TraceSink(trace_to) if trace_to is not None else None
        self.log_sink: Any = None
        if log_to is not None:
            if isinstance(log_to, str | Path):
                from gatekit.production.writer import ProductionLogWriter

                self.log_sink = ProductionLogWriter(log_to)
            else:
                self.log_sink = log_to  # a ProductionLogWriter (anything with write(**fields))
        self.span_sink = SpanSink(tracer) if tracer is not None and tracer is not False else None
        # trace records, rows and spans built and written by one background thread (off the request path); a
        # tracer that must run in the request (``MlflowTracer``: its span joins the agent's live trace) stays there
        deferred_spans = self.span_sink is not None and not getattr(self.span_sink.tracer, "emit_in_request", False)
        self._spans_deferred = bool(background and deferred_spans)
        wanted = trace_to is not None or log_to is not None or self._spans_deferred
        self._writer = BackgroundWriter() if background and wanted else None
        if self._writer is not None and self.trace_sink is not None:  # (trace lines flushed once per batch)
            self._writer.idle_hooks.append(self.trace_sink.flush)
        self._plans = {
            "request": policy.plan_of(stages.at_request),
            "tool_call": policy.plan_of(stages.at_tool_call_alone),
            # conditions over the calls together: on the calls checked before in this response and the new one
            "tool_call_together": policy.plan_of(stages.at_tool_call_together),
            "response": policy.plan_of(stages.at_response),
            # a response without tool calls, after the request point ran: the injection rules that read only the
            # input (already judged there, and nothing to escalate) are not run again
            "response_after_request": policy.plan_of(stages.at_response_after_request),
            # when some calls were checked before they ran: the rules that judge the calls not checked, and the
            # conditions that must see every call (stages.reads_all_calls), judged on the whole response
            "response_rest": policy.plan_of(stages.at_response_rest),
            "response_after_request_rest": policy.plan_of(stages.at_response_after_request_rest),
            "response_whole": policy.plan_of(stages.reads_all_calls),
            # the results attached to calls checked before they ran: read by the rules that read tool results
            "response_results": policy.plan_of(_reads_tool_results),
            # the tokens of an answer no response check counted (a proposed call was refused): the budgets only
            "spent": policy.plan_of(lambda rule: getattr(rule, "kind", "") == "token_budget"),
        }
        self._together_ids = frozenset(rule.id for rule in policy.rules if stages.at_tool_call_together(rule))
        self._tools_rules: list[Any] = [rule for rule in policy.rules if getattr(rule, "kind", "") == "tools"]
        self._tools_rule_ids = frozenset(rule.id for rule in self._tools_rules)
        from gatekit import __version__

        self._version = __version__
        self._counts: dict[str, Any] = {
            "requests": 0,
            "decisions": 0,
            "guard_errors": 0,
            "by_outcome": dict.fromkeys(_OUTCOMES, 0),
            "by_enforced": dict.fromkeys(_OUTCOMES, 0),
            "by_rule": {},
        }

    @classmethod
    def from_file(
        cls,
        policy_path: str | Path,
        *,
        trace_to: str | Path | Callable[[dict[str, Any]], Any] | None = None,
        log_to: str | Path | Any | None = None,
        variant: str | None = None,
        agent_version: str | None = None,
        mode: Mode = "enforce",
        review_hook: ReviewHook | None = None,
        clock: Callable[[], float] | None = None,
        tracer: Any = None,
        on_decision: Callable[[GuardDecision], Any] | None = None,
        source: str = "runtime",
        background: bool = False,
    ) -> Enforcer:
        """Load the policy at ``policy_path`` once (``PolicyError`` naming file and line when it is bad).

        ``trace_to``: a JSONL path (or a callable) for decision-trace records; ``log_to``: a JSONL path (or a
        ``ProductionLogWriter``) for production-log rows; ``variant`` / ``agent_version`` go on every row;
        ``mode="evaluate"`` decides and records but never blocks; ``review_hook(decision)`` is called on
        REQUIRE_REVIEW (default: raise ``ReviewRequired``; return ``True`` or ``None`` to proceed, ``False`` to deny;
        any other answer denies);
        ``clock`` gives epoch seconds for budgets, rates and time conditions (default ``time.time``);
        ``tracer``: an OpenTelemetry tracer (or ``True`` for the global one) for one span per decision;
        ``on_decision(decision)`` sees every decision (metrics); ``background=True`` builds and writes trace
        records, rows and OpenTelemetry spans on one background thread, off the request path (:meth:`flush` waits
        for them; they are flushed at exit; a full queue drops and counts).
        """
        return cls(
            load_policy(policy_path),
            trace_to=trace_to,
            log_to=log_to,
            variant=variant,
            agent_version=agent_version,
            mode=mode,
            review_hook=review_hook,
            clock=clock,
            tracer=tracer,
            on_decision=on_decision,
            source=source,
            background=background,
        )

    # --- public check points -----------------------------------------------------------------------

    def request(
        self, input: Any = None, context: dict[str, Any] | None = None, *, request_id: str | None = None
    ) -> RequestScope:
        """A request scope (``with`` / ``async with``): its checks share one request id and leave one row."""
        return RequestScope(self, input, context, request_id)

    def check_request(self, input: Any, context: dict[str, Any] | None = None) -> Any:
        """Check an incoming request (injection, sensitive data in the input, context rules).

        Returns the input to use; raises ``PolicyViolation`` on DENY and calls the review hook on REQUIRE_REVIEW.
        """
        state = self._current()
        return self._check_request(state, input, context if context is not None else self._context(state))

    def check_tool_call(self, name: str, arguments: Any = None, context: dict[str, Any] | None = None) -> Any:
        """Check a tool call before the tool runs (allow-lists, quotas, rates on the real clock, argument rules).

        Returns the arguments to call the tool with (redacted under ALLOW_WITH_REDACTION).
        """
        state = self._current()
        return self._check_tool_call(state, name, arguments, context if context is not None else self._context(state))

    def check_response(
        self,
        output: Any,
        tool_calls: list[Any] | None = None,
        usage: Any = None,
        context: dict[str, Any] | None = None,
        **extra: Any,
    ) -> Any:
        """Check a response (redaction, token budgets, output rules, proposed tool calls).

        ``output`` is a string or a whole response (``{"output", "tool_calls", "usage", "model", "cost_usd"}``).
        Returns the response to hand on: a string when a string came in without tool calls, else the
        normalised response dict; redacted under ALLOW_WITH_REDACTION.
        """
        state = self._current()
        return self._check_response(
            state, output, tool_calls, usage, context if context is not None else self._context(state), extra
        )

    def guard(self, fn: F) -> F:
        """Wrap an agent ``(input, context) -> response`` (sync or async): check its input, its response, record.

        A method (``def answer(self, input, context)`` in a class body) is wrapped as one: its ``self`` (or ``cls``)
        is passed through, the input is the argument after it. A ``staticmethod`` or ``classmethod`` (the decorator
        above it) is wrapped as what it holds and stays one. A generator (a streaming agent) is refused here: its
        chunks would reach the caller before the whole response could be checked; collect the stream and check it in
        an :meth:`request` scope (``scope.check_response(text)``) before anything of it is handed on.
        """
        if isinstance(fn, staticmethod):  # bound to nothing: the first argument is the input
            return staticmethod(self.guard(fn.__func__))  # type: ignore[return-value]
        if isinstance(fn, classmethod):  # the class first, then the input
            return classmethod(self._guard_method(fn.__func__))  # type: ignore[return-value]
        if inspect.isgeneratorfunction(fn) or inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"enforcer.guard: {getattr(fn, '__qualname__', fn)!r} is a generator (a streaming agent); the guard "
                "checks a whole response: collect the stream and check it in an enforcer.request() scope"
            )
        if _is_method(fn):
            return self._guard_method(fn)
        if _is_async(fn):

            @functools.wraps(fn)
            async def guarded_async(
                input: Any, context: dict[str, Any] | None = None, *args: Any, **kwargs: Any
            ) -> Any:
                async with self.request(input, context) as scope:
                    checked = scope.check_request()
                    raw = await fn(checked, context, *args, **kwargs)
                    return scope._check_answer(raw)

            return guarded_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def guarded(input: Any, context: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> Any:
            with self.request(input, context) as scope:
                checked = scope.check_request()
                raw = fn(checked, context, *args, **kwargs)
                return scope._check_answer(raw)

        return guarded  # type: ignore[return-value]

    def _guard_method(self, fn: F) -> F:
        """:meth:`guard` for a method: ``self`` first, then ``(input, context)`` as for a function."""
        if _is_async(fn):

            @functools.wraps(fn)
            async def guarded_async(
                owner: Any, input: Any, context: dict[str, Any] | None = None, *args: Any, **kwargs: Any
            ) -> Any:
                async with self.request(input, context) as scope:
                    checked = scope.check_request()
                    raw = await fn(owner, checked, context, *args, **kwargs)
                    return scope._check_answer(raw)

            return guarded_async  # type: ignore[return-value]

        @functools.wraps(fn)
        def guarded(owner: Any, input: Any, context: dict[str, Any] | None = None, *args: Any, **kwargs: Any) -> Any:
            with self.request(input, context) as scope:
                checked = scope.check_request()
                raw = fn(owner, checked, context, *args, **kwargs)
                return scope._check_answer(raw)

        return guarded  # type: ignore[return-value]

    def reset(self) -> str | None:
        """Close the circuit breaker: fresh counters (budget and rate windows are kept). Returns why it was open."""
        with self._lock:
            reason = self._run.stop_reason
            fresh = self.policy.new_run(self.run_id)
            fresh.rule_state = self._run.rule_state
            self._run = fresh
        return reason

    @property
    def breaker_open(self) -> bool:
        """True while an emergency stop has tripped the circuit breaker (every check denies until :meth:`reset`)."""
        return self._run.stop_reason is not None

    def stats(self) -> dict[str, Any]:
        """Counts: requests, decisions by outcome / enforced action / rule, guard errors, breaker, sink failures."""
        with self._lock:
            counts = json.loads(json.dumps(self._counts))
            run = self._run
            counts["breaker_open"] = run.stop_reason is not None
            counts["breaker_reason"] = run.stop_reason
        counts["mode"] = self.mode
        counts["sinks"] = {
            name: {"written": getattr(sink, "written", getattr(sink, "rows_written", 0)),
                   "failures": sink.failures, "last_error": sink.last_error}
            for name, sink in (
                ("trace", self.trace_sink), ("log", self.log_sink), ("otel", self.span_sink), ("background", self._writer)
            )
            if sink is not None
        }  # fmt: skip
        counts["sink_failures"] = sum(item["failures"] for item in counts["sinks"].values())
        return counts

    def record_refused(
        self,
        error: str,
        *,
        request_id: str | None = None,
        context: dict[str, Any] | None = None,
        latency_ms: float | None = None,
    ) -> None:
        """The production-log row of a request refused before any check (unreadable, too large); never raises.

        The row carries the variant and version labels, ``error``, the context's labels and no outcome (no policy
        ran); its input features are null (unknown). Nothing is counted on the run state: nothing was judged.
        Without it such requests are invisible to ``gatekit canary`` and ``watch`` (their error rate).
        """
        if self.log_sink is None:
            return
        try:
            state = _Request(self, None, context, request_id)
            state.error = error
            latency = latency_ms if latency_ms is not None else (time.perf_counter_ns() - state.started_ns) / 1e6
        except Exception as exc:  # noqa: BLE001 - a log sink must never fail the request
            note_failure(self.log_sink, exc, "production log")
            return
        if self._writer is not None:
            self._writer.submit(functools.partial(self._write_row, state, latency))
        else:
            self._write_row(state, latency)

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until every record handed to the background writer is written (True when it was in time)."""
        return self._writer.flush(timeout_s) if self._writer is not None else True

    def close(self) -> None:
        """Write what is pending, close the trace and log files."""
        if self._writer is not None:
            self._writer.close()
        if self.trace_sink is not None:
            self.trace_sink.close()
        close = getattr(self.log_sink, "close", None)
        if close is not None:
            close()

    # --- internals ---------------------------------------------------------------------------------

    def _current(self) -> _Request | None:
        state = _CURRENT.get()
        return state if state is not None and state.enforcer is self else None

    @staticmethod
    def _context(state: _Request | None) -> dict[str, Any]:
        return state.context if state is not None else {}

    def _case(self, state: _Request | None, input: Any, context: Any) -> dict[str, Any]:
        if state is not None and state.context_error is not None:
            raise TypeError(state.context_error)
        context = _context_dict(context)
        if state is None or state.read_input is not input:
            _check_readable(input)
            if state is not None:
                state.read_input = input
        return {
            "id": state.request_id if state is not None else self._new_id(),
            "input": input,
            "context": context,
            "timestamp": self._timestamp(),
        }

    def _shown_id(self, request_id: Any) -> Any:
        """A request id as written: one this enforcer made passes, one the caller gave is scrubbed."""
        if isinstance(request_id, str) and request_id.startswith(self._id_prefix) and request_id[16:17] == "-":
            return request_id
        return scrub_field(request_id)

    def _new_id(self) -> str:
        """A request id unique across processes: a random prefix per enforcer and a counter."""
        return f"{self._id_prefix}-{next(self._ids)}"

    def _timestamp(self) -> str:
        """The clock's time as RFC 3339 text (millisecond precision; formatted once per millisecond)."""
        now = self.clock()
        millis = int(now * 1000)
        stamp = self._stamp
        if stamp[0] != millis:
            stamp = self._stamp = (millis, timestamp_text(millis / 1000))
        return stamp[1]

    def _check_request(self, state: _Request | None, input: Any, context: Any) -> Any:
        started = time.perf_counter_ns()
        try:
            _check_open(state)
            case = self._case(state, input, context)
            decision = self._decide("request", state, case, {}, None)
        except Exception as exc:  # noqa: BLE001 - fail closed: a guard that cannot decide denies
            decision, case = self._guard_error(exc), None
        value = self._conclude("request", state, case, decision, started, input, input)
        if state is not None:  # the request was let through: what fired there is not reported again
            # (a refusal the agent swallows is not: the response of a denied request is judged whole and denied)
            if decision.rules:
                state.input_fired.update((r["id"], r["reason"]) for r in decision.rules)
            state.request_checked = case is not None
        return value

    def _check_tool_call(self, state: _Request | None, name: Any, arguments: Any, context: Any) -> Any:
        started = time.perf_counter_ns()
        call = {"name": name, "arguments": arguments if arguments is not None else {}}
        key = None
        name_text = "<unreadable tool name>"
        try:
            if not isinstance(name, str):
                raise TypeError(f"a tool name must be a string, not {type(name).__name__}")
            name_text = name
            _check_open(state)
            # arguments the guard cannot read (text that is not a JSON object, a list, a set, NaN) are denied here,
            # with check_response's reason: a condition reading them would see null and let the call run
            call = _checked_call(name, arguments)
            case = self._case(state, state.input if state is not None else None, context)
            key = _call_key(name, call["arguments"]) if state is not None else None
            decision = self._decide("tool_call", state, case, {"tool_calls": [call]}, name)
            allowed = (
                decision.redacted_tool_calls[0]["arguments"] if decision.redacted_tool_calls else call["arguments"]
            )
        except Exception as exc:  # noqa: BLE001 - fail closed
            decision, case, allowed = self._guard_error(exc), None, None
        if state is not None:
            with self._lock:
                state.tool_names.append(name_text)
        try:
            value = self._conclude("tool_call", state, case, decision, started, allowed, arguments, tool_name=name_text)
        except BaseException:
            if state is not None:  # refused: it does not count with the next calls
                with self._lock:
                    state.proposed[:] = [other for other in state.proposed if other is not call]
                    if key is not None and case is not None and not _breaker(decision):  # (counted in the rates)
                        state.refused[key] = state.refused.get(key, 0) + 1
            raise
        if state is not None and case is not None:  # the call is let run
            with self._lock:
                # the response point does not judge it again (once per check: a call repeated in the response is
                # judged there); a refused call the agent goes on with is
                if key is not None and allowed is not None:
                    claims = state.claims.get(key) or [0]
                    state.checked[key] = allowed
                    state.claims[key] = claims
                    try:
                        redacted_key = _call_key(name, allowed)
                    except Exception:  # noqa: BLE001 - the raw key is enough
                        redacted_key = key
                    state.checked[redacted_key] = allowed
                    state.claims[redacted_key] = claims
                    claims[0] += 1
                together = self._together_ids
                state.together_fired.update((r["id"], r["reason"]) for r in decision.rules if r["id"] in together)
        return value

    def _check_response(
        self,
        state: _Request | None,
        output: Any,
        tool_calls: Any,
        usage: Any,
        context: Any,
        extra: dict[str, Any],
        *,
        answer: bool = False,
    ) -> Any:
        started = time.perf_counter_ns()
        as_text = isinstance(output, str) and tool_calls is None
        original = output
        try:
            _check_open(state)
            if answer and isinstance(output, dict) and "output" not in output and "tool_calls" not in output:
                # the gate's reading of such an answer (normalise_answer: an invalid_response); the reason quotes
                # none of it (an agent's error text can hold what the checks would have redacted)
                what = "an error" if dict.get(output, "error") is not None else "a mapping"
                keys = f"{len(output)} key" + ("" if len(output) == 1 else "s")
                raise ValueError(
                    f"the agent returned {what} without 'output' or 'tool_calls' ({keys}), not an answer "
                    'the guard can judge; answer with \'output\' ({"output": ""} for an empty answer)'
                )
            if isinstance(output, dict):
                raw = output
                given = {"tool_calls": tool_calls, "usage": usage, **extra}
                given = {key: value for key, value in given.items() if value is not None}
                if given:  # a whole response and the calls (usage...) beside it: judged together, never dropped
                    raw = dict(dict.items(output))
                    for key, value in given.items():
                        if dict.get(output, key) not in (None, value):
                            raise ValueError(f"{key!r} given in the response and beside it, differently: give it once")
                        raw[key] = value
            else:
                raw = {"output": output, "tool_calls": tool_calls, "usage": usage, **extra}
            response = _plain_response(raw)
            if response is None:  # anything but the plain shape: the full check (the replay's)
                from gatekit.agents.base import normalise_response

                checked = normalise_response(raw)
                response = {
                    "output": checked.output,
                    "tool_calls": checked.tool_calls,
                    "usage": checked.usage,
                    "model": checked.model,
                    "cost_usd": checked.cost_usd,
                }
            calls = response["tool_calls"]
            # calls checked before they ran are not judged again: they keep the arguments they were allowed with
            before: dict[int, Any] = {}
            fresh: list[dict[str, Any]] = []
            fresh_positions: list[int] | None = None  # (where each fresh call is in ``calls``, when some were checked)
            counted: set[int] = set()  # (positions in ``fresh``) calls refused at their check: counted in the rates
            if state is not None and (state.checked or state.refused):
                with self._lock:
                    fresh_positions = []
                    for index, call in enumerate(calls):
                        key = _call_key(call["name"], call["arguments"])
                        allowed = state.checked.get(key, _MISSING)
                        claims = state.claims.get(key)
                        if allowed is _MISSING or claims is None or claims[0] <= 0:
                            if state.refused.get(key):
                                state.refused[key] -= 1
                                counted.add(len(fresh))
                            fresh.append(call)
                            fresh_positions.append(index)
                        else:
                            claims[0] -= 1
                            before[index] = allowed
            else:
                fresh = calls
            judged = dict(response, tool_calls=fresh)
            case = self._case(state, state.input if state is not None else None, context)
            # the results attached to the calls checked before they ran are judged here (the call is not): every
            # call at its place (its name: an injection followed by a risky call escalates), no arguments, only
            # the pre-checked calls' results
            results = None
            if any(not _RESULT_FIELDS.isdisjoint(calls[index]) for index in before):
                results = {
                    "output": "",
                    "tool_calls": [
                        {
                            "name": call["name"],
                            "arguments": {},
                            **({k: v for k, v in call.items() if k in _RESULT_FIELDS} if index in before else {}),
                        }
                        for index, call in enumerate(calls)
                    ],
                    "usage": response["usage"],
                }
            redacted_results: list[dict[str, Any]] = []
            decision = self._decide(
                "response",
                state,
                case,
                judged,
                None,
                whole=response if before else None,
                counted=frozenset(counted),
                results=results,
                redacted_results=redacted_results,
                fresh_positions=fresh_positions if before else None,
            )
            redacted_fresh = iter(decision.redacted_tool_calls)
            merged = [
                _precheck_copy(call, before[index], redacted_results[index] if redacted_results else None)
                if index in before
                else next(redacted_fresh)
                for index, call in enumerate(calls)
            ]
            allowed_value: Any = (
                decision.redacted_output
                if as_text
                else dict(response, output=decision.redacted_output, tool_calls=merged)
            )
            if state is not None:
                state.response = response
                if fresh:
                    with self._lock:
                        state.tool_names.extend(call["name"] for call in fresh)
        except Exception as exc:  # noqa: BLE001 - fail closed: never pass a response that was not checked
            decision, case, allowed_value = self._guard_error(exc), None, None
        return self._conclude("response", state, case, decision, started, allowed_value, original)

    def _decide(
        self,
        stage: str,
        state: _Request | None,
        case: dict[str, Any],
        response: dict[str, Any],
        tool_name: str | None,
        whole: dict[str, Any] | None = None,
        counted: frozenset[int] = frozenset(),
        results: dict[str, Any] | None = None,
        redacted_results: list[dict[str, Any]] | None = None,
        fresh_positions: list[int] | None = None,
    ) -> Decision:
        """Evaluate the stage's rules on the shared run state (under the lock); the breaker denies first.

        ``whole``: the response with every tool call, when some were checked before they ran (``response`` holds
        the others): the conditions over all the calls judge it, as the gate does. ``counted``: the positions of
        ``response``'s calls already counted in the per-minute rates (refused at their check). ``results``: the
        results attached to the calls checked before they ran (every call at its place, no arguments): judged by the
        rules that read tool results only, on an empty input (judged with the response), the calls not counted
        again; their redacted calls are put in ``redacted_results``. ``fresh_positions``: where each of ``response``'s
        calls is in the whole response (its reasons name a call by its place there: ``tool call 2``, as the gate's do).
        """
        policy = self.policy
        with self._lock:
            run = self._run
            if run.stop_reason is not None:
                return self._breaker_decision(run)
            plan_name = stage
            if stage == "response" and state is not None and state.request_checked and not response.get("tool_calls"):
                plan_name = "response_after_request"
            whole_plan = self._plans["response_whole"] if whole is not None else None
            if whole_plan:
                plan_name += "_rest"
            # the rates count a request's calls once (rules/tools.Account): each response adds its calls, the request
            # counts as its largest response, calls judged again (together, refused and repeated) are not added
            account = Account(state.account, state.responses, counted=counted) if state is not None else None
            decision = policy.evaluate(case, response, run, plan=self._plans[plan_name], record=False, account=account)
            if state is not None and stage == "tool_call" and state.calls:
                positions: list[int] | None = [state.calls]  # (the call's place in its response, as the gate counts)
            else:
                positions = fresh_positions
            if positions is not None and decision.rules:
                _renumber(decision, positions)
            changed = False
            together = self._plans["tool_call_together"] if stage == "tool_call" else None
            if together:  # (outside a request: the call alone)
                before = state.proposed if state is not None else []
                whole = {"tool_calls": [*before, *response["tool_calls"]]}
                whole_plan = together
            if stage == "tool_call" and state is not None:
                # it counts with the calls decided after it from here (under the lock: two tasks checking a forbidden
                # pair at once do not both pass); removed again if it is refused
                state.proposed.extend(response["tool_calls"])
            if whole_plan and whole is not None:  # these calls were counted when each was checked: judged again
                again = account._replace(again=True) if account is not None else Account(None, again=True)
                on_all = policy.evaluate(case, whole, run, plan=whole_plan, record=False, account=again)
                rules = on_all.rules
                if rules and state is not None and state.together_fired:  # fired and let pass at an earlier call
                    rules = [r for r in rules if (r["id"], r["reason"]) not in state.together_fired]
                changed = _add_rules(decision, rules) or changed
            results_plan = self._plans["response_results"] if results is not None else None
            if results_plan and results is not None:
                on_results = policy.evaluate(dict(case, input=""), results, run, plan=results_plan, record=False)
                seen = {(r["id"], r["reason"]) for r in decision.rules}
                changed = (
                    _add_rules(decision, [r for r in on_results.rules if (r["id"], r["reason"]) not in seen]) or changed
                )
                if on_results.redactions:
                    counts = dict(decision.redactions)
                    for kind, number in on_results.redactions.items():
                        counts[kind] = counts.get(kind, 0) + number
                    decision.redactions = dict(sorted(counts.items()))
                    changed = True
                decision.notes.extend(note for note in on_results.notes if note not in decision.notes)
                if redacted_results is not None:
                    redacted_results[:] = on_results.redacted_tool_calls

            if stage == "response" and state is not None:  # the calls checked from here on are another response's
                state.spent_counted = True
                state.responses += 1
                state.refused = {}
            extra: list[tuple[str, str, str]] = []
            if stage == "tool_call" and state is not None and tool_name is not None:
                extra = self._quotas(state, [tool_name])
            elif stage == "response" and state is not None and state.calls and response.get("tool_calls"):
                # calls the response holds that were not checked count with those that were (the gate counts them all):
                # the quotas the tools rules counted on these calls alone are counted again over all of them
                extra = self._quotas(state, [str(call["name"]) for call in response["tool_calls"]])
                quota_rules = self._tools_rule_ids
                kept = [
                    r for r in decision.rules if r["id"] not in quota_rules or not _QUOTA_REASON.fullmatch(r["reason"])
                ]
                if len(kept) != len(decision.rules):
                    decision.rules = kept
                    decision.reasons = [f"{r['id']}: {r['reason']}" for r in kept]
                    changed = True
            changed = changed or bool(extra)  # (else the outcome stands as evaluate() found it)
            if state is not None and stage != "request" and state.input_fired:
                seen = state.input_fired
                kept = [r for r in decision.rules if (r["id"], r["reason"]) not in seen]
                if len(kept) != len(decision.rules):
                    decision.rules = kept
                    decision.reasons = [f"{r['id']}: {r['reason']}" for r in kept]
                    changed = True
            for rule_id, outcome, reason in extra:
                decision.rules.append(
                    {
                        "id": rule_id,
                        "kind": "tools",
                        "outcome": outcome,
                        "reason": reason,
                        "owasp": self._owasp(rule_id),
                    }
                )
                decision.reasons.append(f"{rule_id}: {reason}")
            if changed:
                rank = max((_RANK[r["outcome"]] for r in decision.rules), default=0)
                decision.outcome = _BY_RANK[rank]
            else:
                rank = _OUTCOME_RANK[decision.outcome]
            if state is None:
                policy.record(run, decision, case, None)
            else:
                self._count_request(state, decision, case, final=stage == "response" or rank == 3)
        return decision

    def _count_request(self, state: _Request, decision: Decision | None, case: dict[str, Any], final: bool) -> None:
        """Count a request once on the run state (as the gate counts a case), when it ends or is denied (locked)."""
        if decision is not None:
            state.decided_rank = max(state.decided_rank, _OUTCOME_RANK[decision.outcome])
            for rule in decision.rules:
                state.decided_rules[rule["id"]] = None
            state.decided_redactions = state.decided_redactions or bool(decision.redactions)
        if not final or state.recorded:
            return
        state.recorded = True
        whole = Decision(
            _BY_RANK[max(state.decided_rank, 0)],
            [{"id": rule_id} for rule_id in state.decided_rules],
            redactions={"_": 1} if state.decided_redactions else {},
        )
        self.policy.record(self._run, whole, case, state.error)

    def _owasp(self, rule_id: str) -> list[str]:
        for rule in self._tools_rules:
            if rule.id == rule_id:
                return list(rule.owasp)
        return []

    def _quotas(self, state: _Request, names: list[str]) -> list[tuple[str, str, str]]:
        """Per-request quotas of the ``tools`` rules (``max_calls_per_case``, ``limits.<tool>.max_calls``).

        ``names``: the calls to add (one at a tool-call point; at the response, those it holds that were not checked).
        """
        total = state.calls + len(names)
        fired: list[tuple[str, str, str]] = []
        for rule in self._tools_rules:
            outcome = rule.outcome.value
            cap = rule.max_calls_per_case
            if cap is not None and total > cap:
                fired.append((rule.id, outcome, f"{total} tool calls, more than {cap} per case"))
            if not rule.call_limits:
                continue
            for pattern, _, max_calls in rule.call_limits:
                # as written or folded: the gate's own matching (rules/tools.py)
                added = sum(1 for name in names if pattern in rule.limited(name))
                if not added:
                    continue
                used = added + sum(
                    count for other, count in state.call_counts.items() if pattern in rule.limited(other)
                )
                if used > max_calls:
                    fired.append((rule.id, outcome, f"tool {pattern!r} called {used} times, limit {max_calls}"))
        state.calls = total
        for name in names:
            state.call_counts[name] = state.call_counts.get(name, 0) + 1
        return fired

    @staticmethod
    def _breaker_decision(run: RunState) -> Decision:
        reason = f"circuit breaker open: {run.stop_reason}; Enforcer.reset() closes it"
        rule = {"id": run.stop_rule or "emergency-stop", "kind": "emergency_stop", "outcome": "deny", "reason": reason,
                "owasp": ["ASI08:2026"]}  # fmt: skip
        return Decision(Outcome.DENY, [rule], [f"{rule['id']}: {reason}"])

    def _count_guard_error(self, state: _Request | None, request_id: str, decision: Decision) -> None:
        """Count a request a guard error denied on the run counters, once, and check the emergency stops.

        docs/runtime.md: a request counts on the run counters when it is denied, and a guard error is a DENY; it was
        not counted, so N guard errors never tripped the ``deny_count`` stop N denials trip.
        """
        with self._lock:
            if self._run.stop_reason is not None:  # (the breaker is open: nothing more is counted, as in _finish)
                return
            try:
                if state is None:  # a check outside a request scope: one case, as each such check counts
                    self.policy.record(self._run, decision, {"id": request_id, "input": None, "context": {}}, None)
                else:
                    case = {"id": state.request_id, "input": state.input, "context": state.context}
                    self._count_request(state, decision, case, final=True)
            except Exception as exc:  # noqa: BLE001 - counting never changes the decision (a DENY already)
                log.warning("gatekit guard: request %s not counted on the run state (%s: %s)",
                            self._shown_id(request_id), type(exc).__name__, scrub(str(exc)))  # fmt: skip

    def _guard_error(self, exc: BaseException) -> Decision:
        with self._lock:
            self._counts["guard_errors"] += 1
        message = (  # (scrubbed, then cut: a key across the cut left its first characters raw)
            scrub_message_cut(str(exc).replace("\n", " "), 300)
            if not isinstance(exc, RecursionError)
            else "recursion too deep"
        )
        reason = f"guard error: {type(exc).__name__}: {message}"
        rule = {"id": GUARD_RULE_ID, "kind": "guard", "outcome": "deny", "reason": reason, "owasp": []}
        return Decision(Outcome.DENY, [rule], [f"{GUARD_RULE_ID}: {reason}"])

    def _conclude(
        self,
        stage: str,
        state: _Request | None,
        case: dict[str, Any] | None,
        decision: Decision,
        started_ns: int,
        allowed: Any,
        original: Any,
        tool_name: str | None = None,
    ) -> Any:
        """Enforce ``decision`` (or only record it in evaluate mode), leave its trace, span and counts."""
        verdict = _NAME[decision.outcome]
        raise_exc: BaseException | None = None
        if self.mode == "evaluate":
            enforced, value = "allow", original
        elif verdict == "deny":
            enforced, value = "deny", None
        elif verdict == "require_review":
            enforced, value = verdict, allowed
        else:
            enforced, value = verdict, allowed
        request_id = state.request_id if state is not None else str(case["id"]) if case else self._new_id()
        if case is None:  # a guard error (the check points pass no case then): counted as the denied request it is
            self._count_guard_error(state, request_id, decision)
        policy = self.policy
        guard_decision = GuardDecision(
            stage=stage,
            outcome=verdict,
            enforced=enforced,
            request_id=request_id,
            rules=tuple(decision.rules),
            reasons=tuple(decision.reasons),
            redactions=dict(decision.redactions),
            policy_id=policy.id,
            policy_version=policy.version,
            policy_sha256=policy.sha256,
            decision_latency_us=(time.perf_counter_ns() - started_ns) / 1000.0,
            tool_name=tool_name,
        )
        if self.mode == "enforce" and verdict == "require_review":
            try:
                approved = self.review_hook(guard_decision)
            except BaseException as exc:  # noqa: BLE001 - the hook's refusal (ReviewRequired by default) is raised below
                raise_exc = exc
            else:
                if inspect.isawaitable(approved):  # an async hook: its answer is not known here, so it is no approval
                    close = getattr(approved, "close", None)
                    if callable(close):
                        close()
                    reason = "review hook returned an awaitable (an async hook); pass a synchronous review_hook"
                    guard_decision.reasons = (*guard_decision.reasons, f"{GUARD_RULE_ID}: {reason}")
                    approved = False
                elif approved is not None and type(approved) is not bool:  # 0, "no", a dict: no answer anyone can read
                    reason = f"review hook returned {type(approved).__name__}; return True to approve, False to deny"
                    guard_decision.reasons = (*guard_decision.reasons, f"{GUARD_RULE_ID}: {reason}")
                    approved = False
                if approved is False:
                    enforced = "deny"
                    guard_decision.enforced = "deny"
                    raise_exc = PolicyViolation(guard_decision)
                else:  # a person (or the hook's logic) approved: it proceeds
                    enforced = "allow_with_redaction" if decision.redactions else "allow"
            guard_decision.enforced = enforced
        elif enforced == "deny":
            raise_exc = PolicyViolation(guard_decision)
        self._record(stage, state, case, decision, guard_decision, started_ns)
        if raise_exc is not None:
            raise raise_exc
        return value

    def _record(
        self,
        stage: str,
        state: _Request | None,
        case: dict[str, Any] | None,
        decision: Decision,
        guard_decision: GuardDecision,
        started_ns: int,
    ) -> None:
        with self._lock:
            counts = self._counts
            counts["decisions"] += 1
            counts["by_outcome"][guard_decision.outcome] += 1
            counts["by_enforced"][guard_decision.enforced] += 1
            by_rule = counts["by_rule"]
            rule_ids = guard_decision.rule_ids if decision.rules else []
            for rule_id in rule_ids:
                by_rule[rule_id] = by_rule.get(rule_id, 0) + 1
            if state is not None:
                state.absorb(guard_decision, rule_ids)
        decision.decision_latency_us = guard_decision.decision_latency_us
        if self.trace_sink is not None:
            if self._writer is not None:
                self._writer.submit(functools.partial(self._write_trace, stage, case, decision, guard_decision))
            else:
                self._write_trace(stage, case, decision, guard_decision)
        if self.span_sink is not None:
            shown = guard_decision
            request_id, tool_name = self._shown_id(guard_decision.request_id), scrub(guard_decision.tool_name)
            if request_id != guard_decision.request_id or tool_name != guard_decision.tool_name:
                # a span is written: the caller's request id and the agent's tool name scrubbed (the caller gets both raw)
                shown = dataclasses.replace(guard_decision, request_id=request_id, tool_name=tool_name)
            emit = functools.partial(
                self.span_sink.emit, shown, TARGET_TYPE[stage], _epoch_ns(started_ns), time.time_ns(), self._version
            )
            if self._spans_deferred and self._writer is not None:  # a slow exporter never slows the decision
                self._writer.submit(functools.partial(contextvars.copy_context().run, emit))  # (the current span kept)
            else:
                emit()
        if self.on_decision is not None:
            try:
                seen = self.on_decision(guard_decision)
                if inspect.isawaitable(seen):  # never awaited: closed, not left to warn at garbage collection
                    close = getattr(seen, "close", None)
                    if callable(close):
                        close()
            except Exception:  # noqa: BLE001,S110 - an observer must never change the decision
                pass

    def _write_trace(
        self, stage: str, case: dict[str, Any] | None, decision: Decision, guard_decision: GuardDecision
    ) -> None:
        sink = self.trace_sink
        assert sink is not None
        try:
            trace_case = case or {"id": guard_decision.request_id, "context": {}}
            record = self.policy.trace_record(decision, trace_case, run_id=self.run_id)
            # what the agent and the caller chose (ids, tool names, reasons quoting them) is scrubbed before writing
            record["case_id"] = self._shown_id(record["case_id"])
            record["reasons"] = [scrub(reason) for reason in record["reasons"]]
            record["rules"] = [{**rule, "reason": scrub(rule.get("reason"))} for rule in record["rules"]]
            actions = record["actions"]
            actions["tool_names"] = [scrub(name) for name in actions["tool_names"]]
            attributes = record["attributes"]
            attributes["gen_ai.security.target.type"] = TARGET_TYPE[stage]
            attributes["gen_ai.security.action.type"] = ACTION_TYPE[guard_decision.enforced]
            if guard_decision.tool_name is not None:
                attributes["gen_ai.tool.name"] = scrub(guard_decision.tool_name)
        except Exception as exc:  # noqa: BLE001 - a record that cannot be built is a sink failure
            note_failure(sink, exc, "decision trace")
        else:
            sink.write(record, flush=self._writer is None)

    def _finish(self, state: _Request) -> None:
        """Count the request on the run state if no check point did, write its production-log row (never raises)."""
        with self._lock:
            if state.ended:  # exited before: its row is written, its request counted
                return
            state.ended = True
            self._counts["requests"] += 1
            if not state.spent_counted and (state.response is not None or state.sent) and self._run.stop_reason is None:
                self._count_spent(state)
            if not state.recorded and self._run.stop_reason is None:
                case = {"id": state.request_id, "input": state.input, "context": state.context}
                try:
                    self._count_request(state, None, case, final=True)
                except Exception as exc:  # noqa: BLE001 - counting must not fail the request; the guard error is counted
                    self._counts["guard_errors"] += 1
                    log.warning("gatekit guard: request %s not counted on the run state (%s: %s)",
                                self._shown_id(state.request_id), type(exc).__name__, scrub(str(exc)))  # fmt: skip
        if self.log_sink is None:
            return
        latency_ms = (time.perf_counter_ns() - state.started_ns) / 1e6
        if self._writer is not None:
            self._writer.submit(functools.partial(self._write_row, state, latency_ms))
        else:
            self._write_row(state, latency_ms)

    def _count_spent(self, state: _Request) -> None:
        """Count on the token budgets an answer no response check judged (locked): its proposed call was refused.

        The model spent its tokens (the proxy notes the upstream's usage before checking the calls); the gate counts a
        denied case's tokens too, so the user's and the run's windows hold them. Nothing is decided on them here.
        """
        plan = self._plans["spent"]
        if not plan:
            return
        response = state.response or {}
        spent: dict[str, Any] = {
            "output": "",
            "tool_calls": [],
            "usage": response.get("usage"),
            "model": response.get("model"),
        }
        try:
            case = {"id": state.request_id, "input": state.input, "context": state.context,
                    "timestamp": self._timestamp()}  # fmt: skip
            self.policy.evaluate(case, spent, self._run, plan=plan, record=False)
        except Exception as exc:  # noqa: BLE001 - counting must not fail the request; the guard error is counted
            self._counts["guard_errors"] += 1
            log.warning("gatekit guard: request %s tokens not counted on the budgets (%s: %s)",
                        self._shown_id(state.request_id), type(exc).__name__, scrub(str(exc)))  # fmt: skip
        state.spent_counted = True

    def _write_row(self, state: _Request, latency_ms: float) -> None:
        sink = self.log_sink
        try:
            from gatekit.production.schema import input_features

            response = state.response or {}
            usage = response.get("usage") or {}
            output = response.get("output") if state.response is not None else None
            context = state.context
            request_id = self._shown_id(state.request_id)
            fields: dict[str, Any] = {
                "timestamp": state.timestamp_s,
                "request_id": request_id,
                "variant": scrub_field(self.variant),  # a label someone gave: no secret, no PII written
                "agent_version": scrub_field(self.agent_version),
                "model": scrub_field(response.get("model")),
                "source": self.source,
                "latency_ms": latency_ms,
                "error": scrub_field(state.error),
                "input_tokens": usage.get("input_tokens"),
                "output_tokens": usage.get("output_tokens"),
                "cost_usd": response.get("cost_usd"),
                "user": scrub_field(_context_text(context.get("user"))),
                "role": scrub_field(_context_text(context.get("role"))),
                "env": scrub_field(_context_text(context.get("env"))),
                "scope": scrub_field(_context_text(context.get("scope"))),
                "output_chars": len(output) if isinstance(output, str) else None,
                "tool_calls": len(state.tool_names),
                "tool_names": [scrub(name) for name in state.tool_names],
                "outcome": _OUTCOMES[state.rank] if state.rank >= 0 else None,
                "enforced": _OUTCOMES[state.enforced_rank] if state.enforced_rank >= 0 else None,
                "rules": list(state.rules),
                "redactions": dict(sorted(state.redactions.items())),
                "policy_sha256": self.policy.sha256,
                "trace_id": request_id,
            }
            try:
                fields.update(input_features(state.input))
            except Exception:  # noqa: BLE001 - an input whose text cannot be read: its features are unknown
                pass
        except Exception as exc:  # noqa: BLE001 - a row that cannot be built is a sink failure, never the agent's
            note_failure(sink, exc, "production log")
            return
        sink.write(**fields)


_MISSING = object()


# how a rule names a call: by its place among the calls it judged (rules/sensitive_data, terms, tools)
_CALL_PLACE = re.compile(r"(\b(?:arguments|result) of tool call |['\"] call )(\d+)\b")
# the per-request quotas of a tools rule, as it words them (rules/tools.py) and as :meth:`Enforcer._quotas` does
_QUOTA_REASON = re.compile(r"\d+ tool calls, more than \d+ per case|tool .* called \d+ times, limit \d+", re.DOTALL)


def _renumber(decision: Decision, positions: list[int]) -> None:
    """Name each call in ``decision``'s reasons by its place in the whole response.

    ``positions[i]`` is where call ``i`` of the calls judged is: a call checked before it runs is judged alone, as
    call 0, where the gate says call 2.
    """

    def place(match: re.Match[str]) -> str:
        index = int(match.group(2))
        number = positions[index] if index < len(positions) else index
        return f"{match.group(1)}{number}"

    changed = False
    for rule in decision.rules:
        reason = rule.get("reason")
        if isinstance(reason, str) and "call " in reason:
            renamed = _CALL_PLACE.sub(place, reason)
            if renamed != reason:
                rule["reason"] = renamed
                changed = True
    if changed:
        decision.reasons = [f"{r['id']}: {r['reason']}" for r in decision.rules]


def _add_rules(decision: Decision, rules: list[dict[str, Any]]) -> bool:
    """Add ``rules`` (fired by a further evaluation) and their reasons to ``decision``; whether any was added."""
    decision.rules.extend(rules)
    decision.reasons.extend(f"{r['id']}: {r['reason']}" for r in rules)
    return bool(rules)


_RESULT_FIELDS = frozenset(TOOL_RESULT_KEYS)


def _reads_tool_results(rule: Any) -> bool:
    """True for a rule that reads the results attached to tool calls (injection in tool outputs, PII in them)."""
    kind = getattr(rule, "kind", "")
    scan = getattr(getattr(rule, "cfg", None), "scan", None) or ()
    if kind == "prompt_injection":
        return "tool_outputs" in scan
    return kind in ("sensitive_data", "sensitive_terms") and "tool_arguments" in scan


def _precheck_copy(call: dict[str, Any], allowed: Any, redacted: dict[str, Any] | None) -> dict[str, Any]:
    """The returned copy of a call checked before it ran: its allowed arguments, its result as judged (redacted).

    A result the judging withheld (a rule error) is left out (the decision denies).
    """
    copy = {"name": call["name"], "arguments": allowed}
    for field in TOOL_RESULT_KEYS:
        if field in call:
            if redacted is None:
                copy[field] = call[field]
            elif field in redacted:
                copy[field] = redacted[field]
    return copy


_MAX_INPUT_NODES = 1_000_000


def _check_readable(value: Any) -> None:
    """Raise (a guard error: denied) for an input the rules would not read whole.

    The rules read an input as text (:func:`gatekit.chat.chat_text`): strings and numbers inside dicts and lists. An
    object (a pydantic model, a message class), bytes or a set inside it, or a ``messages`` item that is not a dict,
    was read as nothing (or as ``<Msg object at 0x..>``): the secret or the injection in it reached the agent unjudged.
    """
    if type(value) is str or value is None:
        return
    if isinstance(value, dict) and isinstance(value.get("messages"), list):
        for message in value["messages"]:
            if not isinstance(message, dict):
                raise TypeError(
                    f"the input's messages hold a {type(message).__name__}: the guard reads chat messages as dicts "
                    "(pass model.model_dump() or {'role': ..., 'content': ...})"
                )
    budget = _MAX_INPUT_NODES
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        budget -= 1
        if budget < 0 or depth > _MAX_DEPTH:
            raise ValueError("the input is too large or too deeply nested for the guard to read")
        if isinstance(item, str | int | float) or item is None:
            continue
        if isinstance(item, dict):
            stack.extend((member, depth + 1) for member in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((member, depth + 1) for member in item)
        else:
            raise TypeError(
                f"the input holds a {type(item).__name__}, which the guard cannot read as text: pass text, chat "
                "messages or JSON data (e.g. model.model_dump(), bytes decoded)"
            )


def _context_dict(context: Any) -> dict[str, Any]:
    """The context as the rules read it: a dict (a ``Mapping`` copied into one), ``{}`` for None; else TypeError.

    A context of another type (a ``MappingProxyType``, a ``ChainMap``, a settings object) was read as ``{}``: a rule
    on ``context.env`` / ``context.role`` never fired and the request was let through.
    """
    if isinstance(context, dict):
        return context
    if context is None:
        return {}
    if isinstance(context, Mapping):
        return dict(context)
    raise TypeError(f"the context is a {type(context).__name__}: pass a dict (its keys are what context rules read)")


def _check_open(state: _Request | None) -> None:
    """Raise (a guard error: denied) for a check of a request whose scope has exited (its row and counts are done)."""
    if state is not None and state.ended:
        raise RuntimeError(f"request {state.request_id}: its scope has exited; check in a new enforcer.request()")


_MAX_ARGUMENT_NODES = 100_000  # as gatekit.agents.base.MAX_NODES
_MAX_DEPTH = 64  # as gatekit.agents.base.MAX_DEPTH


def _breaker(decision: Decision) -> bool:
    """True for the open circuit breaker's decision (made without judging: nothing was counted)."""
    return bool(decision.rules) and decision.rules[0].get("kind") == "emergency_stop"


def _plain_json(value: Any, depth: int, budget: list[int]) -> bool:
    """True for a dict or list of plain JSON data (exact types, ASCII text) within the response check's bounds."""
    if depth >= _MAX_DEPTH:
        return False
    is_dict = type(value) is dict
    if is_dict:
        items: Any = value.items()
    elif type(value) is list:
        items = enumerate(value)
    else:
        return False
    for key, item in items:
        if is_dict and (type(key) is not str or len(key) > _MAX_NAME_CHARS or not key.isascii()):
            return False
        budget[0] -= 1
        if budget[0] < 0:
            return False
        kind = type(item)
        if kind is str:
            budget[1] -= len(item)
            if budget[1] < 0 or not item.isascii():
                return False
        elif kind is int:
            if not -_MAX_INT <= item <= _MAX_INT:
                return False
        elif kind is float:
            if not math.isfinite(item):
                return False
        elif item is not None and kind is not bool and not _plain_json(item, depth + 1, budget):
            return False
    return True


def _checked_call(name: str, arguments: Any) -> dict[str, Any]:
    """The tool call as the response check reads it (``normalise_response``): raises what that check raises.

    The usual shape (dicts and lists of ASCII text, whole numbers in range, finite floats, booleans, nulls, within
    the depth and size bounds) passes as it is, without the copy; anything else takes the full check.
    """
    if type(name) is str and len(name) <= _MAX_NAME_CHARS and name.isascii() and type(arguments) is dict:
        if _plain_json(arguments, 0, [_MAX_ARGUMENT_NODES, _MAX_TEXT_CHARS]):
            return {"name": name, "arguments": arguments}
    from gatekit.agents.base import normalise_response

    checked: dict[str, Any] = normalise_response(
        {"output": "", "tool_calls": [{"name": name, "arguments": arguments}]}
    ).tool_calls[0]
    return checked


_PLAIN_KEYS = frozenset({"output", "usage", "model", "cost_usd", "tool_calls"})
_USAGE_KEYS = frozenset({"input_tokens", "output_tokens"})
_MAX_TOKENS = 10**12  # as gatekit.agents.base.MAX_TOKENS
_MAX_TEXT_CHARS = 64 * 1024 * 1024  # as gatekit.agents.base.MAX_TEXT_CHARS
_MAX_INT = 2**63  # as gatekit.agents.base._MAX_INT
_MAX_NAME_CHARS = 1_000


def _plain_response(raw: dict[str, Any]) -> dict[str, Any] | None:
    """The response of the usual shape, as ``normalise_response`` would give it; None for any other shape.

    The usual shape: a plain ``str`` output, no tool calls, ``usage`` with whole ``input_tokens`` /
    ``output_tokens`` in range (or absent), a plain ``str`` model or none, a float cost in range or none.
    Everything else (tool calls, aliases, strings for numbers, subclasses) takes the full check.
    """
    if type(raw) is not dict or not _PLAIN_KEYS.issuperset(raw):
        return None
    calls = raw.get("tool_calls")
    if calls is not None and (type(calls) is not list or calls):
        return None
    output = raw.get("output")
    if output is None:
        output = ""
    elif type(output) is not str or len(output) > _MAX_TEXT_CHARS:
        return None
    usage = raw.get("usage")
    input_tokens = output_tokens = None
    if usage is not None:
        if type(usage) is not dict or not _USAGE_KEYS.issuperset(usage):
            return None
        input_tokens, output_tokens = usage.get("input_tokens"), usage.get("output_tokens")
        for count in (input_tokens, output_tokens):
            if count is not None and (type(count) is not int or not 0 <= count <= _MAX_TOKENS):
                return None
    model = raw.get("model")
    if model is not None and (type(model) is not str or len(model) > _MAX_NAME_CHARS):
        return None
    cost = raw.get("cost_usd")
    if cost is not None:
        if type(cost) not in (float, int) or not 0 <= cost <= 10**6:  # NaN fails the comparison
            return None
        cost = float(cost)
    return {
        "output": output,
        "tool_calls": [],
        "usage": {"input_tokens": input_tokens, "output_tokens": output_tokens},
        "model": model,
        "cost_usd": cost,
    }


def _epoch_ns(perf_ns: int) -> int:
    """A ``perf_counter_ns`` reading as epoch nanoseconds (for span start times)."""
    return time.time_ns() - (time.perf_counter_ns() - perf_ns)
