"""Guard decisions as MLflow tracing spans: ``Enforcer.from_file(..., tracer=MlflowTracer())``.

The enforcer's span sink speaks the OpenTelemetry tracer shape (``start_span(name, start_time=,
attributes=)`` returning a span with ``end(end_time=)``); this adapter records the same span, with the
same ``gen_ai.security.*`` attributes (ids and verdicts, never content), as an MLflow ``GUARDRAIL`` span.
Inside an MLflow trace the agent already opened (``@mlflow.trace``, ``mlflow.start_span``) the decision
becomes a child of the active span, so the guard's decisions sit in the agent's own trace; otherwise each
decision is a trace of its own. MLflow is imported when the tracer is made, never by ``gatekit.runtime``.
"""

from __future__ import annotations

from typing import Any


class _Span:
    def __init__(self, span: Any) -> None:
        self._span = span

    def end(self, end_time: int | None = None) -> None:
        self._span.end(end_time_ns=end_time)


class MlflowTracer:
    """An OpenTelemetry-tracer-shaped adapter that records each guard decision as an MLflow GUARDRAIL span.

    ``emit_in_request``: the span is made in the request, even with ``background=True`` — it joins the agent's
    MLflow trace while that trace is open, and MLflow exports traces on its own background thread.
    """

    emit_in_request = True

    def __init__(self, experiment_id: str | None = None) -> None:
        import mlflow
        from mlflow.entities import SpanType

        from gatekit.redact import add_mlflow_credentials

        add_mlflow_credentials()  # a tracking server echoing the token must not get it into a log line or a record
        self._mlflow = mlflow
        self._span_type = SpanType.GUARDRAIL
        self.experiment_id = experiment_id

    def start_span(self, name: str, start_time: int | None = None, attributes: dict[str, Any] | None = None) -> _Span:
        """Open an MLflow span (child of the active span when there is one); the caller ends it."""
        parent = self._mlflow.get_current_active_span()
        span = self._mlflow.start_span_no_context(
            name,
            span_type=self._span_type,
            parent_span=parent,
            attributes=dict(attributes or {}),
            experiment_id=None if parent is not None else self.experiment_id,
            start_time_ns=start_time,
        )
        return _Span(span)
