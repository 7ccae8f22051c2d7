"""Prometheus metrics of the enforcing proxy (``GET /metrics``), in their own registry.

A registry per proxy (not the process-global one) so two proxies in one process — tests, or a
library user embedding the proxy — never mix their counts. Labels are bounded: outcomes are
the four decision outcomes, rules are the policy's rule ids, stages and error kinds are fixed
lists here; nothing from a request becomes a label.

Counting is plain dictionary arithmetic under one lock on the request path; ``prometheus_client``
turns the counts into its text format only when ``/metrics`` is scraped (a custom collector). The
client library's own metric objects cost several microseconds per update (a lock and a label
lookup each), and the proxy updates half a dozen per request.
"""

from __future__ import annotations

import bisect
import threading
from collections.abc import Iterator
from typing import Any

STAGES = ("request", "tool_call", "response")
ERROR_KINDS = (
    "bad_request",
    "too_large",
    "upstream_connect",
    "upstream_timeout",
    "upstream_status",
    "upstream_invalid",
    "guard_failure",
    "overloaded",
    "client_closed",
)
NO_RULE = "(none)"
DECISION_BUCKETS_S = (0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.05, 0.25)
UPSTREAM_BUCKETS_S = (0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class _Histogram:
    """Bucket counts and a sum (cumulative buckets are built at scrape time)."""

    __slots__ = ("bounds", "counts", "total")

    def __init__(self, bounds: tuple[float, ...]) -> None:
        self.bounds = bounds
        self.counts = [0] * (len(bounds) + 1)  # the last one is +Inf
        self.total = 0.0

    def observe(self, value: float) -> None:
        self.counts[bisect.bisect_left(self.bounds, value)] += 1
        self.total += value

    def buckets(self) -> list[tuple[str, float]]:
        out: list[tuple[str, float]] = []
        running = 0
        for bound, count in zip((*self.bounds, float("inf")), self.counts, strict=True):
            running += count
            out.append(("+Inf" if bound == float("inf") else repr(bound), float(running)))
        return out


class ProxyMetrics:
    """Counts of one proxy; :meth:`render` gives the Prometheus text format."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry

        self._lock = threading.Lock()
        self._requests: dict[str, int] = {}
        self._decisions: dict[tuple[str, str, str], int] = {}
        self._blocked: dict[str, int] = {}
        self._errors: dict[str, int] = dict.fromkeys(ERROR_KINDS, 0)  # every series from the start (0)
        self._decision_latency = {stage: _Histogram(DECISION_BUCKETS_S) for stage in STAGES}
        self._upstream_latency = _Histogram(UPSTREAM_BUCKETS_S)
        self.in_flight = 0
        self._usage_unreported = 0
        self.sinks: dict[str, Any] = {}  # "rows" / "traces" -> a sink with ``written`` and ``failures`` counts
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(_Collector(self))

    # --- the request path ------------------------------------------------------------------------------

    def decision(self, stage: str, outcome: str, rules: list[str], seconds: float) -> None:
        """Count one decision (once per rule that fired) and observe its latency."""
        with self._lock:
            decisions = self._decisions
            for rule in rules or (NO_RULE,):
                key = (stage, outcome, rule)
                decisions[key] = decisions.get(key, 0) + 1
            histogram = self._decision_latency.get(stage)
            if histogram is None:
                histogram = self._decision_latency[stage] = _Histogram(DECISION_BUCKETS_S)
            histogram.observe(seconds)

    def request(self, status: int) -> None:
        """Count one answered chat request by HTTP status."""
        key = str(status)
        with self._lock:
            self._requests[key] = self._requests.get(key, 0) + 1

    def blocked(self, outcome: str) -> None:
        """Count one request whose answer became a policy error or a refusal."""
        with self._lock:
            self._blocked[outcome] = self._blocked.get(outcome, 0) + 1

    def error(self, kind: str) -> None:
        """Count one error of ``kind`` (one of :data:`ERROR_KINDS`)."""
        with self._lock:
            self._errors[kind] = self._errors.get(kind, 0) + 1

    def upstream(self, seconds: float) -> None:
        """Observe one upstream exchange's duration."""
        with self._lock:
            self._upstream_latency.observe(seconds)

    def usage_unreported(self) -> None:
        """Count one upstream answer without (whole) token usage: the token budgets estimated it."""
        with self._lock:
            self._usage_unreported += 1

    def enter(self) -> None:
        """A chat request started."""
        with self._lock:
            self.in_flight += 1

    def leave(self) -> None:
        """A chat request finished."""
        with self._lock:
            self.in_flight -= 1

    # --- scraping --------------------------------------------------------------------------------------

    def render(self) -> tuple[bytes, str]:
        """The metrics in the Prometheus text exposition format, and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def snapshot(self) -> dict[str, Any]:
        """A consistent copy of every count (what the collector renders)."""
        with self._lock:
            return {
                "requests": dict(self._requests),
                "decisions": dict(self._decisions),
                "blocked": dict(self._blocked),
                "errors": dict(self._errors),
                "decision_latency": {s: (h.buckets(), h.total) for s, h in self._decision_latency.items()},
                "upstream_latency": (self._upstream_latency.buckets(), self._upstream_latency.total),
                "in_flight": self.in_flight,
                "usage_unreported": self._usage_unreported,
                "sinks": {name: (int(sink.written), int(sink.failures)) for name, sink in self.sinks.items()},
            }


# the labelled counters of a snapshot: (snapshot key, metric name, help, labels); a key is a label or a tuple of them
_COUNTERS = (
    ("requests", "gatekit_guard_requests", "Chat-completion requests answered, by HTTP status.", ["status"]),
    (
        "decisions",
        "gatekit_guard_decisions",
        "Governance decisions by stage, outcome and rule (a decision with no rule fired counts under '(none)').",
        ["stage", "outcome", "rule"],
    ),
    (
        "blocked",
        "gatekit_guard_blocked",
        "Requests whose answer was replaced by a policy error or refusal, by outcome.",
        ["outcome"],
    ),
    ("errors", "gatekit_guard_errors", "Requests that ended in an error, by kind.", ["kind"]),
)


class _Collector:
    """Turns a :class:`ProxyMetrics` snapshot into Prometheus metric families at scrape time."""

    def __init__(self, metrics: ProxyMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Any]:
        from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

        snap = self.metrics.snapshot()
        for key, name, text, labels in _COUNTERS:
            family = CounterMetricFamily(name, text, labels=labels)
            for label, count in sorted(snap[key].items()):
                family.add_metric(list(label) if isinstance(label, tuple) else [label], count)
            yield family
        latency = HistogramMetricFamily(
            "gatekit_guard_decision_seconds", "Time spent in the guard per check, in seconds.", labels=["stage"]
        )
        for stage, (buckets, total) in sorted(snap["decision_latency"].items()):
            latency.add_metric([stage], buckets, total)
        yield latency
        upstream = HistogramMetricFamily(
            "gatekit_guard_upstream_seconds",
            "Time from sending a request upstream to having its whole answer, in seconds.",
        )
        buckets, total = snap["upstream_latency"]
        upstream.add_metric([], buckets, total)
        yield upstream
        yield CounterMetricFamily(
            "gatekit_guard_usage_unreported",
            "Upstream answers that reported no (or partial) token usage, e.g. streams with --no-stream-usage; "
            "the token budgets estimated their tokens from the text.",
            value=snap["usage_unreported"],
        )
        yield GaugeMetricFamily(
            "gatekit_guard_requests_in_flight", "Chat-completion requests being handled.", value=snap["in_flight"]
        )
        written = CounterMetricFamily(
            "gatekit_guard_sink_written", "Decision traces and production-log rows written, by sink.", labels=["sink"]
        )
        failed = CounterMetricFamily(
            "gatekit_guard_sink_failures",
            "Decision traces and production-log rows not written (refused by the schema or lost to a write error).",
            labels=["sink"],
        )
        for name, (ok, failures) in sorted(snap.get("sinks", {}).items()):
            written.add_metric([name], ok)
            failed.add_metric([name], failures)
        yield written
        yield failed
