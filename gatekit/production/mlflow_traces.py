"""MLflow traces as a production source: ``--production mlflow:<experiment>``.

Traces are read through ``MlflowClient.search_traces`` one page at a time (``max_results`` and
``page_token``; never ``mlflow.search_traces``, which holds every trace in memory), each trace is
mapped to one production-log row, and the rows are written to a Parquet file in the production-log
Arrow schema — a spill that the DuckDB or Spark engine then reads like any other production file.
Memory is bounded by one batch of traces (a page, or fewer traces when they are large: at most ``PAGE_BYTES`` of the
sizes MLflow records, see ``iter_trace_pages``) plus one row group of rows (numbers and short labels only).

How a trace becomes a row (see ``trace_to_row``):

- ``timestamp`` is the trace's request time, ``latency_ms`` its execution duration, ``trace_id`` its id
  and ``request_id`` the client request id (else the trace id).
- The root span's inputs give the input features (``schema.input_features``: characters, estimated
  tokens, turns); its outputs give ``output_chars``.
- A trace in state ERROR gets ``error`` = the exception type recorded on its root span (e.g.
  ``ValueError``), else ``error``. Traces still IN_PROGRESS are skipped and counted.
- Token usage: the trace-level aggregate MLflow keeps in the ``mlflow.trace.tokenUsage`` metadata, else
  the sum of the spans' ``mlflow.chat.tokenUsage`` attributes; null when no span reported it. Cost: the
  ``mlflow.trace.cost`` aggregate's ``total_cost``, else null.
- Context columns (``user``, ``role``, ``env``, ``scope``, ``variant``, ``agent_version``, ``model``,
  ``language``): the trace tag of that name (or ``gatekit.<name>``), else the trace metadata entry, else
  an assessment of that name with a text value. ``user`` falls back to MLflow's ``mlflow.trace.user``,
  ``agent_version`` to the trace's logged-model id, ``model`` to the first LLM span's ``mlflow.llm.model``.
- ``tool_names`` / ``tool_calls``: the spans of type TOOL in start order.

Every text field taken from a trace (request id, error type, context values, tool names) is untrusted: it is
scrubbed (secrets and PII replaced by typed placeholders) as the runtime guard scrubs the same fields of its rows.
"""

from __future__ import annotations

import json
import math
import os
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gatekit.errors import ConfigError, DatasetError, SinkError
from gatekit.production.schema import COLUMN_NAMES, RowError, arrow_schema, input_features, make_row

PREFIX = "mlflow:"
PAGE_SIZE = 500
PAGE_BYTES = 8 * 1024 * 1024  # recorded trace bytes held at once (a parsed trace takes several times that)
ROW_GROUP_ROWS = 8192

CONTEXT_COLUMNS = ("user", "role", "env", "scope", "variant", "agent_version", "model", "language")
_TOKEN_USAGE_META = "mlflow.trace.tokenUsage"
_COST_META = "mlflow.trace.cost"
_SPAN_TOKEN_USAGE = "mlflow.chat.tokenUsage"
_SPAN_MODEL = "mlflow.llm.model"
_LLM_SPAN_TYPES = ("LLM", "CHAT_MODEL")
_SIZE_META = "mlflow.trace.sizeBytes"
_UNKNOWN_TRACE_BYTES = 64 * 1024  # a trace without a recorded size counts as this much
_FALLBACK_META = {"user": "mlflow.trace.user", "agent_version": "mlflow.modelId"}


def is_mlflow_spec(spec: str | None) -> bool:
    """True when a ``--production`` value names MLflow traces (``mlflow:<experiment>``)."""
    return bool(spec) and str(spec).startswith(PREFIX)


def experiment_of(spec: str) -> str:
    """The experiment name (or id) in ``mlflow:<experiment>``; ConfigError when it is empty."""
    name = spec[len(PREFIX) :].strip() if spec.startswith(PREFIX) else ""
    if not name:
        raise ConfigError(f"--production {spec!r}: name the experiment, e.g. mlflow:my-agent-prod")
    return name


@dataclass
class TraceSpill:
    """The Parquet file the traces were written to, and what was read."""

    path: Path
    experiment_id: str
    rows: int = 0
    pages: int = 0
    skipped_in_progress: int = 0
    oldest_in_progress_ms: int | None = None  # the request time of the oldest of them (how long it hangs)
    window_start_ms: int | None = None
    newest_ms: int | None = None
    notes: list[str] = field(default_factory=list)


# --- one trace -> one row -----------------------------------------------------------------------------------


def _root_span(spans: list[Any]) -> Any | None:
    for span in spans:
        if span.parent_id is None:
            return span
    return None


def _error_type(root: Any | None) -> str:
    if root is not None:
        for event in getattr(root, "events", None) or []:
            if event.name == "exception":
                kind = (event.attributes or {}).get("exception.type")
                if isinstance(kind, str) and kind.strip():
                    return kind.strip()
        status = getattr(root, "status", None)
        description = getattr(status, "description", "") or ""
        head = description.split(":", 1)[0].strip()
        if head and len(head) <= 100 and " " not in head:
            return head
    return "error"


def _as_count(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not math.isfinite(value) or value < 0 or not float(value).is_integer():
        return None
    return int(value)


def _json_dict(text: Any) -> dict[str, Any] | None:
    if isinstance(text, dict):
        return text
    if not isinstance(text, str) or not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _token_usage(metadata: dict[str, str], spans: list[Any]) -> tuple[int | None, int | None]:
    usage = _json_dict(metadata.get(_TOKEN_USAGE_META))
    if usage is not None:
        return _as_count(usage.get("input_tokens")), _as_count(usage.get("output_tokens"))
    totals: dict[str, int | None] = {"input_tokens": None, "output_tokens": None}
    for span in spans:
        span_usage = _json_dict(span.get_attribute(_SPAN_TOKEN_USAGE))
        if span_usage is None:
            continue
        for key in totals:
            count = _as_count(span_usage.get(key))
            if count is not None:
                totals[key] = (totals[key] or 0) + count
    return totals["input_tokens"], totals["output_tokens"]


def _cost(metadata: dict[str, str]) -> float | None:
    cost = _json_dict(metadata.get(_COST_META))
    value = cost.get("total_cost") if cost else None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
        return None
    return float(value)


def _assessment_texts(info: Any) -> dict[str, str]:
    found: dict[str, str] = {}
    for assessment in getattr(info, "assessments", None) or []:
        name = getattr(assessment, "name", None)
        if name not in CONTEXT_COLUMNS:
            continue
        value = getattr(assessment, "value", None)
        if isinstance(value, str) and value:
            found[name] = value  # later assessments override earlier ones
    return found


def _context(info: Any, spans: list[Any]) -> dict[str, str | None]:
    tags = info.tags or {}
    metadata = info.trace_metadata or {}
    assessed = _assessment_texts(info)
    context: dict[str, str | None] = {}
    for name in CONTEXT_COLUMNS:
        value = None
        for source in (tags, metadata):
            for key in (name, f"gatekit.{name}"):
                if value is None and isinstance(source.get(key), str) and source[key]:
                    value = source[key]
        if value is None:
            value = assessed.get(name)
        if value is None and name in _FALLBACK_META:
            value = metadata.get(_FALLBACK_META[name]) or None
        if value is None and name == "model":
            for span in spans:
                if span.span_type in _LLM_SPAN_TYPES and isinstance(span.get_attribute(_SPAN_MODEL), str):
                    value = span.get_attribute(_SPAN_MODEL)
                    break
        context[name] = value
    return context


def _output_chars(root: Any | None) -> int | None:
    from gatekit.chat import chat_text

    if root is None:
        return None
    outputs = root.outputs
    if outputs is None:
        return None
    return len(outputs) if isinstance(outputs, str) else len(chat_text(outputs))


def trace_to_row(trace: Any) -> dict[str, Any]:
    """One checked production-log row of an MLflow ``Trace`` (see the module docstring for the mapping)."""
    from gatekit.redact import scrub_field

    info = trace.info
    spans = sorted(trace.data.spans if trace.data is not None else [], key=lambda s: s.start_time_ns or 0)
    root = _root_span(spans)
    state = str(getattr(info.state, "value", info.state))
    input_tokens, output_tokens = _token_usage(info.trace_metadata or {}, spans)
    tools = [span.name for span in spans if span.span_type == "TOOL"]
    features = input_features(root.inputs) if root is not None else input_features(None)
    duration = info.execution_duration
    context = {name: scrub_field(value) for name, value in _context(info, spans).items()}
    return make_row(
        timestamp=info.request_time / 1000.0,
        request_id=scrub_field(info.client_request_id or info.trace_id),
        trace_id=scrub_field(info.trace_id),
        source="import",
        latency_ms=float(duration) if duration is not None and duration >= 0 else None,
        error=scrub_field(_error_type(root)) if state == "ERROR" else None,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        cost_usd=_cost(info.trace_metadata or {}),
        output_chars=_output_chars(root),
        tool_names=[scrub_field(name) for name in tools] if spans else None,
        tool_calls=len(tools) if spans else None,
        **context,
        **features,
    )


# --- the overall deadline ------------------------------------------------------------------------------------

TIMEOUT_ENV = "GATEKIT_TRACES_TIMEOUT"
DEFAULT_TIMEOUT_S = 3600.0  # all of one read's requests together (a 100k-trace read takes minutes)


def env_traces_timeout() -> float:
    """``GATEKIT_TRACES_TIMEOUT``: the seconds one read of ``mlflow:<experiment>`` may take in all.

    Above 0, at most a day; unset: ``DEFAULT_TIMEOUT_S``. A bad value is a ConfigError (exit 2).
    """
    from gatekit.sinks.mlflow import env_seconds

    return env_seconds(
        TIMEOUT_ENV,
        DEFAULT_TIMEOUT_S,
        f"give the seconds reading MLflow traces may take in all, above 0 and at most 86400 (e.g. {TIMEOUT_ENV}=600), "
        f"or unset it (default {DEFAULT_TIMEOUT_S:g})",
    )


class TracesTimeout(SinkError):
    """The read of ``mlflow:<experiment>`` passed its overall deadline (exit 3)."""


class _DeadlineClient:
    """An ``MlflowClient`` whose calls all end by one deadline, together.

    MLflow bounds each request (``MLFLOW_HTTP_REQUEST_TIMEOUT`` and retries), not the read: a server that answered
    every page just within that timeout kept ``drift`` / ``canary`` reading for pages x timeout, without end for an
    experiment that keeps growing. Each call runs on a worker thread; past the deadline the caller raises
    ``TracesTimeout`` and the call in flight is abandoned (its thread is a daemon: it ends with the command).
    """

    def __init__(self, client: Any, describe: Any, seconds: float) -> None:
        self._client = client
        self._describe = describe  # () -> "mlflow:NAME: reading traces from URI"
        self._seconds = seconds
        self._end = time.monotonic() + seconds
        self.calls = 0

    def __getattr__(self, attr: str) -> Any:
        member = getattr(self._client, attr)
        if not callable(member):
            return member

        def bounded(*args: Any, **kwargs: Any) -> Any:
            return self._run(attr, lambda: member(*args, **kwargs))

        return bounded

    def _late(self, what: str) -> TracesTimeout:
        return TracesTimeout(
            f"{self._describe()} did not finish within {self._seconds:g} s ({TIMEOUT_ENV}; still waiting on {what} "
            f"after {self.calls} requests): check the server, narrow --since, or raise {TIMEOUT_ENV} (seconds)"
        )

    def _run(self, what: str, call: Any) -> Any:
        from gatekit.interrupts import call_until, raise_if_stopped

        raise_if_stopped("reading MLflow traces")
        if time.monotonic() >= self._end:
            raise self._late(what)
        self.calls += 1  # (a request started: the message counts them)
        return call_until(call, self._end, lambda: self._late(what), "reading MLflow traces", "gatekit-mlflow-traces")


# --- paging and the spill -------------------------------------------------------------------------------------


def _client(tracking_uri: str | None) -> tuple[Any, str]:
    from mlflow import MlflowClient

    from gatekit.sinks.mlflow import resolve_tracking_uri

    uri = resolve_tracking_uri(tracking_uri)
    return MlflowClient(tracking_uri=uri), uri


def _experiment_id(client: Any, name: str, uri: str) -> str:
    from gatekit.redact import redact_urls

    try:
        experiment = client.get_experiment_by_name(name)
        if experiment is None and name.isdigit():
            experiment = client.get_experiment(name)
    except Exception as exc:  # noqa: BLE001 - an unreachable store or a missing id: one line, exit 2 or 3
        if isinstance(exc, TracesTimeout):
            raise
        if "RESOURCE_DOES_NOT_EXIST" in str(exc):
            experiment = None
        else:
            from gatekit.sinks.mlflow import auth_refusal

            refusal = auth_refusal(exc, uri)
            raise SinkError(
                f"mlflow:{name}: could not read experiments at {redact_urls(uri)} ("
                + (f"{refusal})" if refusal else f"{type(exc).__name__}); check --tracking-uri / MLFLOW_TRACKING_URI")
            ) from None
    if experiment is None:
        raise ConfigError(
            f"--production mlflow:{name}: no experiment of that name or id at {redact_urls(uri)}; "
            "check the name and --tracking-uri / MLFLOW_TRACKING_URI"
        )
    return str(experiment.experiment_id)


def _trace_bytes(info: Any) -> int:
    """The trace's size as MLflow recorded it (``mlflow.trace.sizeBytes``), else a typical trace's."""
    meta: dict[str, Any] = getattr(info, "trace_metadata", None) or {}
    try:
        size = int(str(meta.get(_SIZE_META)))
    except (TypeError, ValueError):
        return _UNKNOWN_TRACE_BYTES
    return size if size >= 0 else _UNKNOWN_TRACE_BYTES


UNFINISHED = ("IN_PROGRESS", "STATE_UNSPECIFIED")  # trace states with no outcome yet (a request still running)


def _state(trace: Any) -> str:
    return str(getattr(trace.info.state, "value", trace.info.state))


def iter_trace_pages(
    client: Any,
    experiment_id: str,
    filter_string: str | None,
    page_size: int = PAGE_SIZE,
    page_bytes: int = PAGE_BYTES,
) -> Iterator[tuple[bool, list[Any]]]:
    """Yield the experiment's traces (oldest first) in batches of at most ``page_bytes`` recorded trace bytes.

    Each page is searched without spans first (ids and sizes only). A page whose traces total at most ``page_bytes``
    is then read whole with its spans (the same page again); a larger one is read trace by trace, in batches that
    stay under ``page_bytes`` (a trace larger than that alone). Memory holds one batch, whatever the traces' size.
    Yields ``(first batch of a page, traces)``.

    Pages follow the request time, not an offset: the next page is searched from the newest request time read
    (``trace.timestamp_ms >=``), leaving out the traces of that millisecond already read. By offset (MLflow's page
    token), a trace logged during the read with an earlier time (a long request that ended meanwhile) shifted the
    later ones, and one was read twice; traces deleted during the read shifted them back, and as many were never
    read. Only traces of one millisecond filling a page go on by offset, within that millisecond's search.
    """
    cursor: int | None = None  # the newest request time read (ms)
    at_cursor: set[str] = set()  # the traces of that millisecond already read
    token: str | None = None
    while True:
        clauses = [filter_string] if filter_string else []
        if cursor is not None:
            clauses.append(f"trace.timestamp_ms >= {cursor}")
        search = {
            "locations": [experiment_id],
            "filter_string": " AND ".join(clauses) or None,
            # a new search from the cursor lists the traces of its millisecond already read again: room for them
            "max_results": page_size + (min(len(at_cursor), page_size) if token is None else 0),
            "order_by": ["timestamp_ms ASC"],
            "page_token": token,
        }
        page = client.search_traces(**search, include_spans=False)
        listed = [trace for trace in page if trace.info.trace_id not in at_cursor]
        infos = [trace.info for trace in listed]
        # a trace still in progress may have no span data yet: loading its spans failed the whole read (exit 3);
        # it is passed on without spans (the caller counts and leaves it out)
        unfinished = {t.info.trace_id: t for t in listed if _state(t) in UNFINISHED}
        if infos:
            sizes = [_trace_bytes(info) for info in infos]
            whole: list[Any] | None = None
            if sum(sizes) <= page_bytes and not unfinished:
                whole = [
                    t for t in client.search_traces(**search, include_spans=True) if t.info.trace_id not in at_cursor
                ]
                if [t.info.trace_id for t in whole] != [info.trace_id for info in infos]:
                    whole = None  # the store changed in between: read the traces the first search listed
            if whole is not None:
                yield True, whole
            else:
                batch: list[Any] = []
                first, held = True, 0
                for info, size in zip(infos, sizes, strict=True):
                    if batch and held + size > page_bytes:
                        yield first, batch
                        first, batch, held = False, [], 0
                    trace = unfinished.get(info.trace_id)
                    batch.append(trace if trace is not None else client.get_trace(info.trace_id))
                    held += size
                if batch:
                    yield first, batch
        if not page.token or not len(page):
            return
        newest = int(page[-1].info.request_time)
        ids = {t.info.trace_id for t in page if int(t.info.request_time) == newest}
        if newest != cursor:  # the next search starts at this page's newest millisecond
            cursor, at_cursor, token = newest, ids, None
        else:  # a page of one millisecond: the rest of it by offset, in this search
            at_cursor |= ids
            token = page.token


def _newest_ms(client: Any, experiment_id: str) -> int | None:
    page = client.search_traces(
        locations=[experiment_id], max_results=1, order_by=["timestamp_ms DESC"], include_spans=False
    )
    return int(page[0].info.request_time) if len(page) else None


def spill_traces(
    spec: str,
    out_dir: str | Path | None = None,
    *,
    tracking_uri: str | None = None,
    since: str | None = None,
    since_anchor: str = "newest",
    page_size: int = PAGE_SIZE,
    page_bytes: int = PAGE_BYTES,
) -> TraceSpill:
    """Read ``mlflow:<experiment>`` page by page into one production-log Parquet file and return it.

    ``since`` (7d, 24h, …) keeps traces whose request time is within that window of the newest trace
    (``since_anchor="newest"``, reproducible) or of now (``"now"``); the window is a filter of the search
    itself, so older traces are never read. The file is written in ``out_dir`` (a new temporary folder
    when None; the caller removes it). An experiment with no trace in the window is a DatasetError:
    no data is never a pass.
    """
    from gatekit.drift.sources import parse_since
    from gatekit.redact import redact_urls

    name = experiment_of(spec)
    if since_anchor not in ("newest", "now"):
        raise ConfigError(f"--since-anchor {since_anchor!r}: use 'newest' or 'now'")
    if page_size < 1:
        raise ConfigError(f"mlflow traces page size {page_size}: must be at least 1")
    if page_bytes < 1:
        raise ConfigError(f"mlflow traces page bytes {page_bytes}: must be at least 1")
    window = parse_since(since) if since else None
    seconds = env_traces_timeout()
    raw_client, uri = _client(tracking_uri)
    client = _DeadlineClient(raw_client, lambda: f"mlflow:{name}: reading traces from {redact_urls(uri)}", seconds)
    experiment_id = _experiment_id(client, name, uri)
    folder = Path(out_dir) if out_dir is not None else Path(tempfile.mkdtemp(prefix="gatekit-mlflow-traces-"))
    folder.mkdir(parents=True, exist_ok=True)
    spill = TraceSpill(path=folder / f"mlflow-traces-{experiment_id}.parquet", experiment_id=experiment_id)
    try:
        filter_string = None
        if window is not None:
            anchor_ms = _newest_ms(client, experiment_id) if since_anchor == "newest" else int(time.time() * 1000)
            spill.newest_ms = anchor_ms
            if anchor_ms is not None:
                spill.window_start_ms = anchor_ms - int(window * 1000)
                filter_string = f"trace.timestamp_ms >= {spill.window_start_ms}"
        _write_pages(client, experiment_id, filter_string, (page_size, page_bytes), spill)
    except (ConfigError, DatasetError, TracesTimeout):
        raise
    except Exception as exc:  # noqa: BLE001 - the store failed mid-read: fail closed, one line, exit 3
        from gatekit.sinks.mlflow import auth_refusal

        refusal = auth_refusal(exc, uri)
        if refusal is not None:
            raise SinkError(f"mlflow:{name}: reading traces from {redact_urls(uri)} was refused: {refusal}") from None
        raise SinkError(
            f"mlflow:{name}: reading traces from {redact_urls(uri)} failed ({type(exc).__name__}: "
            f"{redact_urls(str(exc))[:300]}); check the tracking server"
        ) from None
    if spill.rows == 0:
        where = f" since {since} (anchor {since_anchor})" if since else ""
        raise DatasetError(
            f"--production mlflow:{name}: no finished traces{where} in experiment {experiment_id} at "
            f"{redact_urls(uri)}; log traces with MLflow tracing or widen --since"
        )
    return spill


def _write_pages(
    client: Any, experiment_id: str, filter_string: str | None, paging: tuple[int, int], spill: TraceSpill
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = arrow_schema()
    buffer: list[dict[str, Any]] = []
    os.close(os.open(spill.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600))  # traces hold agent text: 0600
    with pq.ParquetWriter(spill.path, schema, write_page_checksum=True) as writer:

        def flush() -> None:
            if buffer:
                columns = {name: [row[name] for row in buffer] for name in COLUMN_NAMES}
                columns["timestamp"] = [_parse_ts(v) for v in columns["timestamp"]]
                columns["redactions"] = [list(v.items()) if v is not None else None for v in columns["redactions"]]
                writer.write_table(pa.table(columns, schema=schema))
                buffer.clear()

        for new_page, traces in iter_trace_pages(client, experiment_id, filter_string, *paging):
            spill.pages += new_page
            for trace in traces:
                if _state(trace) in UNFINISHED:
                    spill.skipped_in_progress += 1
                    started = getattr(trace.info, "request_time", None)
                    if isinstance(started, int | float) and not isinstance(started, bool):
                        oldest = spill.oldest_in_progress_ms
                        spill.oldest_in_progress_ms = int(started) if oldest is None else min(oldest, int(started))
                    continue
                try:
                    buffer.append(trace_to_row(trace))
                except RowError as exc:  # a value the row format refuses: fail closed, naming the trace
                    raise DatasetError(f"MLflow trace {trace.info.trace_id}: {exc}; fix that trace's tags") from None
                spill.rows += 1
            del traces  # this batch is freed before the next one is read
            if len(buffer) >= ROW_GROUP_ROWS:
                flush()
        flush()
    if spill.skipped_in_progress:
        spill.notes.append(in_progress_note(spill.skipped_in_progress))


def in_progress_note(count: int, where: str = "") -> str:
    """What drift and the canary say of traces left out because they are still in progress (hung requests)."""
    prefix = f"{where}: " if where else ""
    return (
        f"{prefix}{count} MLflow trace(s) still in progress (no outcome yet) were left out; a request that hangs "
        "stays in progress: check them in MLflow"
    )


def _parse_ts(text: str) -> Any:
    from gatekit.rfc3339 import from_rfc3339

    return from_rfc3339(text)
