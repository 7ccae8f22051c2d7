"""MLflow sink: gate, drift and canary runs, their artifacts, tags and model aliases written to MLflow.

Every MLflow failure becomes a ``SinkError`` (exit 3) whose message says which
server failed and that the local files are still on disk.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import math
import os
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from gatekit.errors import ConfigError, SinkError
from gatekit.redact import add_known_secret, add_mlflow_credentials, redact_secrets, redact_urls

_PARAM_MAX_CHARS = 500
_TAG_MAX_CHARS = 8000  # MLflow's limit for a run tag's value (it cut a longer one itself, with a warning line)
DEFAULT_PUBLISH_TIMEOUT_S = 120.0  # the gate's ``publish_timeout`` default: all of its MLflow requests together
_CLEANUP_S = 5.0  # marking a failed run FAILED: one short attempt, even past the deadline or after a stop

_T = TypeVar("_T")
# (monotonic end, seconds) of the active publish_deadline block, per thread (a library's concurrent gates)
_deadline: contextvars.ContextVar[tuple[float, float] | None] = contextvars.ContextVar("gatekit_publish", default=None)


@contextlib.contextmanager
def publish_deadline(seconds: float | None) -> Iterator[None]:
    """Every MLflow request made in the block (this thread) ends by ``seconds`` from now, together.

    Each request (MLflow's own per-request timeout and retries: ``MLFLOW_HTTP_REQUEST_TIMEOUT``,
    ``MLFLOW_HTTP_REQUEST_MAX_RETRIES``) runs on a worker thread; the caller waits for it, and past the deadline
    raises ``SinkError`` (exit 3) while the request is abandoned. A slow server (each answer just under the
    per-request timeout) held the gate for requests x retries x timeout. The caller's wait also acts on a stop
    (SIGTERM / Ctrl-C, see ``gatekit.interrupts``) within a tenth of a second, even when the stop's exception was
    raised in a finalizer and swallowed there: publishing went on to the end of a request to a server that never
    answers (3 x 30 s by default). ``None``: no deadline, and the requests run on the caller's thread as before.
    """
    token = _deadline.set(None if seconds is None else (time.monotonic() + seconds, seconds))
    try:
        yield
    finally:
        _deadline.reset(token)


@contextlib.contextmanager
def cleanup_window() -> Iterator[None]:
    """Inside an active :func:`publish_deadline`: the block's requests get ``_CLEANUP_S`` of their own, together.

    For undoing a promotion after the publish failed, perhaps on its deadline: the undo's requests failed at once
    and the alias stayed moved while the gate exited 3. Without an active deadline nothing changes.
    """
    if _deadline.get() is None:
        yield
        return
    token = _deadline.set((time.monotonic() + _CLEANUP_S, _CLEANUP_S))
    try:
        yield
    finally:
        _deadline.reset(token)


def env_publish_timeout() -> float:
    """``GATEKIT_PUBLISH_TIMEOUT`` (seconds, above 0, at most a day) for ``drift`` and ``canary``; unset: the default.

    The gate reads it through its configuration (``--publish-timeout`` winning); drift and canary log a run too,
    and had no deadline at all: a tracking server answering slowly held them for requests x retries x timeout.
    """
    return env_seconds(
        "GATEKIT_PUBLISH_TIMEOUT",
        DEFAULT_PUBLISH_TIMEOUT_S,
        "give the seconds all MLflow logging may take together, above 0 and at most 86400 "
        "(e.g. GATEKIT_PUBLISH_TIMEOUT=120), or unset it",
    )


def env_seconds(name: str, default: float, advice: str) -> float:
    """The environment variable ``name`` as seconds above 0 and at most a day; unset or blank: ``default``.

    Anything else is a ``ConfigError`` (exit 2): ``NAME='value': advice``.
    """
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        seconds = math.nan
    if not (math.isfinite(seconds) and 0 < seconds <= 86400):
        raise ConfigError(f"{name}={text[:40]!r}: {advice}")
    return seconds


def _bounded(uri: str, what: str, call: Callable[[], _T], *, cleanup: bool = False) -> _T:
    """``call()`` (one or a few MLflow requests; ``what`` says which) bounded by the active :func:`publish_deadline`.

    ``cleanup``: marking a failed run FAILED; it gets its own ``_CLEANUP_S`` (the deadline may have passed), and a
    stop that already ended the publish does not cut it short (a new one does).
    """
    from gatekit.interrupts import call_until

    limit = _deadline.get()
    if limit is None:
        return call()
    end, seconds = limit

    def late() -> SinkError:
        if cleanup:
            return SinkError(f"MLflow ({redact_urls(uri)}) did not answer within {_CLEANUP_S:g} s ({what})")
        return _deadline_error(uri, what, seconds)

    if cleanup:
        return call_until(call, time.monotonic() + _CLEANUP_S, late, None, "gatekit-mlflow")
    return call_until(call, end, late, "publishing to MLflow", "gatekit-mlflow")


def _deadline_error(uri: str, what: str, seconds: float) -> SinkError:
    return SinkError(
        f"MLflow ({redact_urls(uri)}) did not finish within the publish timeout ({seconds:g} s; still waiting on "
        f"{what}): the local files are written; check the server, or raise the publish timeout "
        "(GATEKIT_PUBLISH_TIMEOUT; for eval and promote also --publish-timeout or publish_timeout in gatekit.yaml)"
    )


def _limit_http_retries() -> None:
    # MLflow retries a dead server for minutes by default; a gate should fail fast.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")
    # MLflow prints "🏃 View run <name> at: <tracking URI>/#/..." on stdout when a run ends on a server: it broke
    # ``--json`` (stdout is the verdict's JSON) and printed a password given in the URI (http://user:pw@host);
    # gatekit shows the run itself, with the URI's credentials removed
    os.environ["MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT"] = "true"


def _quiet_mlflow() -> None:
    import logging
    import warnings

    logging.getLogger("mlflow").setLevel(logging.WARNING)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    # "Retrying (Retry(total=1, ...)) after connection broken by ReadTimeoutError(...)" per attempt: a slow server
    # printed a warning for every retry before gatekit's own one line said what failed
    logging.getLogger("urllib3.connectionpool").setLevel(logging.ERROR)
    warnings.filterwarnings("ignore", module=r"mlflow(\..*)?")


def resolve_tracking_uri(tracking_uri: str | None) -> str:
    """Return the tracking URI that will be used: the argument, else ``MLFLOW_TRACKING_URI``, else MLflow's default.

    The environment is read here, not left to MLflow: an earlier ``mlflow.set_tracking_uri`` in the same
    process (a library caller's, or a previous gate's) must not win over the documented precedence.
    """
    _limit_http_retries()
    add_mlflow_credentials()  # a server echoing the token bare (an error body) must not get it into a message
    import mlflow

    _quiet_mlflow()

    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or str(mlflow.get_tracking_uri())
    _without_userinfo(uri)  # a password in the URI is a known secret from now on (an error body echoing it)
    return uri


def check_store_opens(tracking_uri: str | None) -> None:
    """Refuse (``ConfigError``, exit 2) a file store MLflow will not open, before any case runs.

    MLflow 3 keeps ``file:`` / plain-folder tracking stores in "maintenance mode" and refuses to open one unless
    ``MLFLOW_ALLOW_FILE_STORE=true``; its default is such a store wherever ``./mlruns`` holds runs. The gate
    replayed every case, then failed to log (exit 3) with MLflow's hint cut off.
    """
    given = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI")
    if given:  # (before mlflow is imported: a typo is told at once)
        _check_uri_form(given, "--tracking-uri" if tracking_uri else "MLFLOW_TRACKING_URI")
    uri = resolve_tracking_uri(tracking_uri)
    _sqlite_file_or_none(uri)
    scheme = urllib.parse.urlsplit(uri).scheme
    if scheme not in ("", "file") and not (len(scheme) == 1 and os.name == "nt"):  # (C:\ is a Windows path)
        return
    if uri in ("databricks", "databricks-uc", "uc"):  # a Databricks workspace (the default profile), no folder
        return
    from mlflow.environment_variables import MLFLOW_ALLOW_FILE_STORE

    if MLFLOW_ALLOW_FILE_STORE.get():
        return
    if tracking_uri:
        where = f"--tracking-uri {redact_urls(uri)}"
    elif os.environ.get("MLFLOW_TRACKING_URI"):
        where = f"MLFLOW_TRACKING_URI={redact_urls(uri)}"
    else:
        where = f"MLflow's default tracking store here ({redact_urls(uri)}: ./mlruns holds runs)"
    raise ConfigError(
        f"{where} is a file store, which MLflow {_mlflow_version()} refuses to open (maintenance mode): log to a "
        "database, e.g. --tracking-uri sqlite:///mlflow.db (`mlflow migrate-filestore` moves old runs), or set "
        "MLFLOW_ALLOW_FILE_STORE=true, or pass --no-mlflow"
    )


def check_sqlite_store(tracking_uri: str | None) -> None:
    """Refuse (``ConfigError``, exit 2) a ``sqlite:///PATH`` store (given or from the environment) that is no file."""
    _sqlite_file_or_none(resolve_tracking_uri(tracking_uri))


def _sqlite_file_or_none(uri: str) -> None:
    """A ``sqlite:///PATH`` store whose PATH is a folder, a FIFO or a device: ``ConfigError`` naming it.

    SQLAlchemy cannot open it, and MLflow retried for two minutes, printing a multi-line warning at each try, before
    the command failed (exit 3); a gate did so after its whole replay.
    """
    import stat

    from gatekit.fsio import file_kind

    if not uri.startswith("sqlite:///"):
        return
    db = uri.removeprefix("sqlite:///").split("?", 1)[0]
    if db in ("", ":memory:"):
        return
    try:
        mode = os.stat(db).st_mode
    except OSError:  # not there yet (MLflow creates it) or not reachable: said when it is opened
        return
    if not stat.S_ISREG(mode):
        raise ConfigError(
            f"MLflow tracking store {redact_urls(uri)}: {db} is {file_kind(mode)}, not a database file; choose "
            "another --tracking-uri (or MLFLOW_TRACKING_URI), or pass --no-mlflow to log nothing"
        )


# the tracking-store URI schemes MLflow itself opens (a "+driver" suffix aside); plugins add theirs by entry point
_TRACKING_SCHEMES = (
    "http",
    "https",
    "sqlite",
    "postgresql",
    "mysql",
    "mssql",
    "file",
    "databricks",
    "databricks-uc",
    "uc",
)


def _check_uri_form(uri: str, where: str) -> None:
    """Refuse (``ConfigError``, exit 2) a tracking URI with a typo MLflow would only report after the replay.

    ``htp://host:5000`` (an unknown scheme), ``localhost:5000`` (no scheme: a folder to MLflow), ``http:/host``
    (no host) and ``sqlite://mlflow.db`` (a file name where a host goes) were a full replay, then exit 3. (The URI
    is followed by a space in each message: the scrubbing of a secret query value runs to the next space.)
    """
    import difflib
    import re
    from importlib.metadata import entry_points

    parts = urllib.parse.urlsplit(uri)
    shown = f"{where} {redact_urls(uri)}"
    end = "instead, or pass --no-mlflow to log nothing"
    if "//" not in uri and re.fullmatch(r"[\w.-]+:\d{1,5}(/.*)?", uri):
        raise ConfigError(f"{shown} is a host and port, not a URI; write http://{redact_urls(uri)} (or https://) {end}")
    scheme = parts.scheme.lower()
    if not scheme:
        if uri.lower().endswith((".db", ".sqlite", ".sqlite3")):
            raise ConfigError(f"{shown} is a database file; write sqlite:///{redact_urls(uri)} (three slashes) {end}")
        return
    if len(scheme) == 1 and os.name == "nt":  # (C:\ is a Windows path)
        return
    base = scheme.split("+", 1)[0]
    plugins = {entry.name for entry in entry_points(group="mlflow.tracking_store")}
    if base not in _TRACKING_SCHEMES and base not in plugins:
        known = sorted({*_TRACKING_SCHEMES, *plugins})
        close = difflib.get_close_matches(base, known, n=1, cutoff=0.6)
        fix = redact_urls(close[0] + uri[len(parts.scheme) :]) if close else None
        raise ConfigError(
            f"{shown} has an unknown scheme '{parts.scheme}:' (MLflow has no tracking store for it); "
            + (f"write {fix} {end}" if fix else f"use one of {', '.join(k + ':' for k in known)} {end}")
        )
    if base in ("http", "https") and not parts.hostname:
        raise ConfigError(f"{shown} names no host; write {base}://HOST:PORT (two slashes) {end}")
    if base == "sqlite" and parts.netloc:
        name = redact_urls(uri).split("://", 1)[-1]
        raise ConfigError(
            f"{shown} puts the file name where a host goes; write sqlite:///{name} (three slashes: a path relative "
            f"to the working folder; four for an absolute one) {end}"
        )


def _mlflow_version() -> str:
    import mlflow

    return str(mlflow.__version__)


def _check_reachable(
    uri: str, advice: str = "start it, fix MLFLOW_TRACKING_URI / --tracking-uri, or pass --no-mlflow to log nothing"
) -> None:
    """An ``http(s)://`` tracking server that is down or failing is a ``SinkError`` saying so (``advice``: what to do)."""
    if not uri.startswith(("http://", "https://")):
        return
    try:
        status = _health(uri, 10.0)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SinkError(f"MLflow tracking server {redact_urls(uri)} is unreachable ({reason}); {advice}") from None
    if status >= 500:
        raise SinkError(f"MLflow tracking server {redact_urls(uri)} answered {status} on /health; check the server")


def _health(uri: str, timeout_s: float) -> int:
    """The HTTP status of ``uri``'s ``/health`` (credentials sent as MLflow sends them); no answer raises."""
    url, headers = _without_userinfo(uri.rstrip("/") + "/health")
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - http(s) only: the callers check
    try:
        with urllib.request.urlopen(request, timeout=timeout_s) as resp:  # noqa: S310 - http(s) only
            return int(resp.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


def _without_userinfo(url: str) -> tuple[str, dict[str, str]]:
    """``http://user:pw@host/x`` -> (``http://host/x``, a basic ``Authorization`` header), as MLflow's client sends it.

    urllib takes ``user:pw@host`` for the host name: a server given with credentials in its URI (which MLflow
    accepts) was "unreachable (Name or service not known)" before anything was logged.
    """
    import base64

    parts = urllib.parse.urlsplit(url)
    if "@" not in parts.netloc:
        return url, {}
    userinfo, _, host = parts.netloc.rpartition("@")
    user, _, password = userinfo.partition(":")
    pair = f"{urllib.parse.unquote(user)}:{urllib.parse.unquote(password)}"
    add_known_secret(base64.b64encode(pair.encode()).decode("ascii"))
    add_known_secret(urllib.parse.unquote(password))
    header = {"Authorization": "Basic " + base64.b64encode(pair.encode()).decode("ascii")}
    return urllib.parse.urlunsplit(parts._replace(netloc=host)), header


def check_tracking_store(tracking_uri: str | None, timeout_s: float = 10.0) -> None:
    """Before a replay: a tracking store that cannot be reached is a ``ConfigError`` (exit 2) naming the URI.

    Without importing mlflow: the URI is the argument, else ``MLFLOW_TRACKING_URI``, else MLflow's default
    (``./mlflow.db``, created when logging). ``http(s)://``: one ``/health`` request with the timeout the check when
    logging uses; ``sqlite:///PATH``: the folder of the file exists (or can be created) and is writable; a ``file:``
    store MLflow 3 refuses (:func:`check_store_opens`, which imports mlflow for such a store only). Other kinds
    (a Databricks workspace, a plugin's store) are checked when the run is logged, as before.
    """
    uri = tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or ""
    advice = "start it, fix MLFLOW_TRACKING_URI / --tracking-uri, or pass --no-mlflow to log nothing"
    check_store_opens(tracking_uri)  # a file store MLflow 3 refuses
    if uri.startswith(("http://", "https://")):
        try:  # any answer will do: a failing server is reported when the run is logged (exit 3), as before
            _health(uri, timeout_s)
            return
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ConfigError(
                f"MLflow tracking server {redact_urls(uri)} is unreachable ({reason}); {advice}"
            ) from None
    if uri.startswith("sqlite:///"):
        db = Path(uri.removeprefix("sqlite:///").split("?", 1)[0])
        if str(db) in ("", ":memory:"):
            return
        folder = db.parent
        while not folder.exists() and folder != folder.parent:  # MLflow creates the missing folders
            folder = folder.parent
        if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
            what = "is not a folder" if not folder.is_dir() else "is not writable"
            raise ConfigError(
                f"MLflow tracking store {redact_urls(uri)}: {folder} {what}; choose another --tracking-uri "
                "(or MLFLOW_TRACKING_URI), or pass --no-mlflow to log nothing"
            )


def _writable(text: str) -> str:
    r"""``text`` with a lone surrogate (a path that is not UTF-8) as its ``\udcff`` escape: MLflow stores UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = _writable(redact_secrets(text))  # before the cut; callers pass display forms already, this is the last guard
    return text if len(text) <= _PARAM_MAX_CHARS else text[: _PARAM_MAX_CHARS - 1] + "…"


def _tag(value: Any) -> str:
    """A run tag's value: redacted, then cut to MLflow's limit with a visible ``…`` (a long ``cmd:`` candidate).

    MLflow cut it silently but for a warning on stderr quoting the value's first 100 characters.
    """
    text = _writable(redact_secrets(str(value)))
    return text if len(text) <= _TAG_MAX_CHARS else text[: _TAG_MAX_CHARS - 1] + "…"


def _metric_value(value: Any) -> float | None:
    """``value`` as a finite float, else ``None``: unknown is no number (MLflow would store inf as 1.8e308)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an int beyond a float
        return None
    return number if math.isfinite(number) else None


def log_run(
    tracking_uri: str | None,
    experiment: str,
    run_name: str | None,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    artifacts: list[Path],
    dataset: dict[str, Any] | None = None,
    before_artifacts: Callable[[str, str], None] | None = None,
    start_time_ms: int | None = None,
) -> tuple[str, str]:
    """Log one MLflow run and return ``(run_id, experiment_id)``.

    ``dataset`` (optional) is ``{"name", "path", "sha256", "records": list[dict]}``;
    it is logged as the run's input (context ``golden``). ``before_artifacts(run_id,
    experiment_id)`` is called before the artifacts are uploaded, so files can carry
    the run id. ``start_time_ms`` (epoch milliseconds) starts the run when the gate started,
    so its duration in the MLflow UI covers the whole gate, not only the logging.
    Raises ``SinkError``.
    """
    uri = resolve_tracking_uri(tracking_uri)
    _bounded(uri, "the /health check", lambda: _check_reachable(uri))
    created_id: list[str] = []  # the run, once created: marked FAILED when what follows fails
    try:
        # MlflowClient, not MLflow's fluent API: its tracking URI, active experiment and active run are the
        # process's; a library caller using MLflow for something else had them changed (its next
        # ``mlflow.start_run()`` went to the gate's experiment id), and each call here runs on a worker thread
        from mlflow import MlflowClient
        from mlflow.entities import Metric, Param, RunTag

        client = _bounded(uri, "connecting", lambda: MlflowClient(tracking_uri=uri))
        experiment_id = _bounded(uri, "the experiment", lambda: _experiment_id(client, experiment))
        # the name becomes a tag too (mlflow.runName): redacted like every other tag value
        name = _writable(redact_secrets(run_name)) if run_name else run_name
        created = _bounded(
            uri, "creating the run", lambda: client.create_run(experiment_id, start_time=start_time_ms, run_name=name)
        )
        run_id = str(created.info.run_id)
        created_id.append(run_id)
        if params:
            batch = [Param(k, _param(v)) for k, v in params.items()]
            _bounded(uri, "the params", lambda: client.log_batch(run_id, params=batch))
        now = int(time.time() * 1000)
        clean = [Metric(k, number, now, 0) for k, v in metrics.items() if (number := _metric_value(v)) is not None]
        if clean:
            _bounded(uri, "the metrics", lambda: client.log_batch(run_id, metrics=clean))
        if tags:
            run_tags = [RunTag(k, _tag(v)) for k, v in tags.items()]
            _bounded(uri, "the tags", lambda: client.log_batch(run_id, tags=run_tags))
        if dataset is not None:
            _log_dataset(uri, client, run_id, dataset)
        if before_artifacts is not None:  # (on this thread: it writes the local files)
            before_artifacts(run_id, experiment_id)
        for path in artifacts:
            if Path(path).exists():
                _bounded(uri, f"uploading {Path(path).name}", functools.partial(client.log_artifact, run_id, str(path)))
        _bounded(uri, "ending the run", lambda: client.set_terminated(run_id, "FINISHED"))
        return run_id, experiment_id
    except BaseException as exc:
        if created_id:  # the server that just failed may be back
            left = _end_failed_run(uri, created_id[0])
        if isinstance(exc, SinkError) or not isinstance(exc, Exception):
            if created_id and isinstance(exc, SinkError):
                raise SinkError(f"{exc}; MLflow run {created_id[0]} {left}") from None
            raise
        error = _sink_error(uri, exc)  # every MLflow failure is an infrastructure error
        if created_id:
            error = SinkError(f"{error}; MLflow run {created_id[0]} {left}")
        raise error from None


def _experiment_id(client: Any, name: str) -> str:
    """The id of experiment ``name``, created when missing (as ``mlflow.set_experiment``, without making it active)."""
    from mlflow.exceptions import MlflowException

    found = client.get_experiment_by_name(name)
    if found is None:
        try:
            return str(client.create_experiment(name))
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise
            found = client.get_experiment_by_name(name)  # another gate created it meanwhile
            if found is None:
                raise
    if found.lifecycle_stage == "deleted":
        raise MlflowException(
            f"experiment {name!r} is deleted: restore it (mlflow experiments restore), delete it for good, or log "
            "to another --experiment"
        )
    return str(found.experiment_id)


def _end_failed_run(uri: str, run_id: str) -> str:
    """Mark run ``run_id`` FAILED, trying once and briefly; say what state it is left in.

    A server that failed after the run was created (a 503, a restart) left it RUNNING for ever, and the run id was
    not said anywhere. One short attempt (5 s, no retry) keeps a server that stays down from holding the gate again.
    """
    saved = {k: os.environ.get(k) for k in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_TIMEOUT")}
    os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] = "0"
    os.environ["MLFLOW_HTTP_REQUEST_TIMEOUT"] = str(int(_CLEANUP_S))

    def end() -> None:
        from mlflow import MlflowClient

        client = MlflowClient(tracking_uri=uri)
        if client.get_run(run_id).info.status == "RUNNING":
            client.set_terminated(run_id, "FAILED")

    try:
        _bounded(uri, "marking the run FAILED", end, cleanup=True)
        return "is marked FAILED"
    except Exception:  # noqa: BLE001 - the server is still failing: the run id says which run to clean up
        return "may be left RUNNING (the server failed again ending it)"
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _log_dataset(uri: str, client: Any, run_id: str, dataset: dict[str, Any]) -> None:
    import pandas as pd
    from mlflow.data.pandas_dataset import from_pandas
    from mlflow.entities import DatasetInput, InputTag
    from mlflow.utils.mlflow_tags import MLFLOW_DATASET_CONTEXT

    records = dataset.get("records") or []
    frame = pd.DataFrame(
        {
            "id": [str(r.get("id")) for r in records],
            "input": [json.dumps(r.get("input"), ensure_ascii=False) for r in records],
            "tags": [",".join(map(str, r.get("tags") or [])) for r in records],
        }
    )
    ds = from_pandas(
        frame,
        source=_writable(str(dataset.get("path", ""))),
        name=_writable(str(dataset.get("name", "golden"))),
        digest=str(dataset.get("sha256", ""))[:36] or None,
    )
    inputs = [DatasetInput(ds._to_mlflow_entity(), tags=[InputTag(MLFLOW_DATASET_CONTEXT, "golden")])]
    try:
        _bounded(uri, "the dataset", lambda: client.log_inputs(run_id, datasets=inputs))
    except Exception as exc:  # noqa: BLE001 - only the duplicate is retried; anything else is raised as it was
        if not _duplicate_row(exc):
            raise
        # another gate logged the same dataset to this experiment between MLflow's look-up and its insert (MLflow
        # reads, then inserts): the run failed with "UNIQUE constraint failed: datasets..."; now it exists, and
        # logging it again links the run to it
        _bounded(uri, "the dataset", lambda: client.log_inputs(run_id, datasets=inputs))


def _duplicate_row(exc: Exception) -> bool:
    """The store refused a row another writer inserted first (sqlite, PostgreSQL, MySQL wording)."""
    text = str(exc)
    return any(word in text for word in ("UNIQUE constraint failed", "duplicate key value", "Duplicate entry"))


# =============================================================================================
# Registry, baseline and promotion helpers.
# Used by gatekit/promotion.py; every function raises SinkError for infrastructure failures
# and returns None for "not found" so the caller can word a user-facing ConfigError.
# =============================================================================================


def _client(tracking_uri: str | None) -> tuple[Any, str]:
    uri = resolve_tracking_uri(tracking_uri)
    advice = "start it or fix MLFLOW_TRACKING_URI / --tracking-uri"  # (the registry is needed here)
    _bounded(uri, "the /health check", lambda: _check_reachable(uri, advice))
    from mlflow import MlflowClient

    try:
        return _bounded(uri, "connecting", lambda: MlflowClient(tracking_uri=uri, registry_uri=uri)), uri
    except Exception as exc:  # noqa: BLE001 - an internal error (exit 3, a traceback with --debug) before
        if "Unsupported" in type(exc).__name__:  # ftp://, a typo of a scheme: the URI is bad input, not a failure
            raise ConfigError(
                f"--tracking-uri {redact_urls(uri)!r}: MLflow has no model registry at such a URI; use http(s)://, "
                "sqlite:///, file:, postgresql:// (or another MLflow store), or MLFLOW_TRACKING_URI"
            ) from None
        raise _sink_error(uri, exc) from None


def _is_not_found(exc: Exception) -> bool:
    code = getattr(exc, "error_code", None)
    if code in {"RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"}:
        return True
    # over REST a missing alias is INVALID_PARAMETER_VALUE "Registered model alias x not found."
    return code == "INVALID_PARAMETER_VALUE" and "not found" in str(exc).lower()


_AUTH_CODES = {"UNAUTHENTICATED": 401, "PERMISSION_DENIED": 403}  # MLflow's error codes of those HTTP statuses


def auth_refusal(exc: BaseException, uri: str) -> str | None:
    """What to do when the server refused gatekit's credentials (HTTP 401 / 403), else None.

    MLflow raises such a refusal as any other failure (its error code UNAUTHENTICATED or PERMISSION_DENIED, or an
    HTTP error of its artifact upload): the message said "failed: RestException: ..." and nothing of the variables
    the client authenticates with. It names them, and which are set — never a value.
    """
    status = _AUTH_CODES.get(str(getattr(exc, "error_code", "")))
    if status is None:
        code = getattr(getattr(exc, "response", None), "status_code", None)
        status = code if code in (401, 403) else None
    if status is None:
        return None
    names = ("MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD")
    given = [name for name in names if os.environ.get(name)]
    if "@" in urllib.parse.urlsplit(uri).netloc:
        given.append("the user in the tracking URI")
    choices = "MLFLOW_TRACKING_TOKEN (a bearer token) or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD"
    if status == 401:
        if not given:
            return f"HTTP 401, not authenticated, and no credentials are set: set {choices} for this server"
        return (
            f"HTTP 401, not authenticated: the server refused the credentials given ({', '.join(given)}); check "
            f"they are current for this server, or set {choices}"
        )
    whose = f"the credentials given ({', '.join(given)})" if given else "an anonymous client (no credentials set)"
    return (
        f"HTTP 403, permission denied: {whose} may not do this; ask the server's admin for permission on the "
        f"experiment or model, or set {choices} of a user that has it"
    )


def _sink_error(uri: str, exc: Exception) -> SinkError:
    refusal = auth_refusal(exc, uri)
    if refusal is not None:
        return SinkError(f"MLflow ({redact_urls(uri)}) refused the request: {refusal}")
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    # credentials out before the cut, so none is left in pieces
    return SinkError(f"MLflow ({redact_urls(uri)}) failed: {type(exc).__name__}: {redact_secrets(first_line)[:300]}")


def registry_alias_version(tracking_uri: str | None, name: str, alias: str) -> str | None:
    """Return the version of registered model ``name`` that holds ``alias``, or None."""
    client, uri = _client(tracking_uri)
    try:
        return str(_bounded(uri, "the alias", lambda: client.get_model_version_by_alias(name, alias)).version)
    except Exception as exc:  # noqa: BLE001 - classified below
        if _is_not_found(exc):
            return None
        raise _sink_error(uri, exc) from None


def registry_model_version(tracking_uri: str | None, name: str, version: str) -> dict[str, Any] | None:
    """Return ``{"name", "version", "run_id", "tags", "aliases", "identity"}`` of one model version, or None.

    ``identity``: its run id, source and creation time (``gatekit.agents.mlflow_model.version_identity``).
    """
    client, uri = _client(tracking_uri)
    try:
        mv = _bounded(uri, "the model version", lambda: client.get_model_version(name, str(version)))
    except Exception as exc:  # noqa: BLE001 - classified below
        if _is_not_found(exc):
            return None
        raise _sink_error(uri, exc) from None
    return {
        "name": str(mv.name),
        "version": str(mv.version),
        "run_id": mv.run_id,
        "tags": dict(mv.tags or {}),
        "aliases": list(getattr(mv, "aliases", []) or []),
        "identity": {
            "run_id": str(mv.run_id or ""),
            "source": str(getattr(mv, "source", None) or ""),
            "created": str(getattr(mv, "creation_timestamp", None) or ""),
        },
    }


def registry_set_alias(tracking_uri: str | None, name: str, alias: str, version: str) -> None:
    """Point ``alias`` of registered model ``name`` at ``version``."""
    client, uri = _client(tracking_uri)
    try:
        _bounded(uri, "setting the alias", lambda: client.set_registered_model_alias(name, alias, str(version)))
    except Exception as exc:  # noqa: BLE001 - every failure here is an infrastructure error
        raise _sink_error(uri, exc) from None


def registry_delete_alias(tracking_uri: str | None, name: str, alias: str) -> None:
    """Unset ``alias`` of registered model ``name``."""
    client, uri = _client(tracking_uri)
    try:
        _bounded(uri, "unsetting the alias", lambda: client.delete_registered_model_alias(name, alias))
    except Exception as exc:  # noqa: BLE001 - every failure here is an infrastructure error
        raise _sink_error(uri, exc) from None


def registry_set_version_tag(tracking_uri: str | None, name: str, version: str, key: str, value: str) -> None:
    """Set one tag on a registered model version."""
    client, uri = _client(tracking_uri)
    try:
        _bounded(uri, "the model version tag", lambda: client.set_model_version_tag(name, str(version), key, value))
    except Exception as exc:  # noqa: BLE001
        raise _sink_error(uri, exc) from None


def get_run(tracking_uri: str | None, run_id: str) -> dict[str, Any] | None:
    """Return ``{"run_id", "experiment_id", "tags", "status"}`` of a run, or None if there is none."""
    client, uri = _client(tracking_uri)
    try:
        run = _bounded(uri, "the run", lambda: client.get_run(run_id))
    except Exception as exc:  # noqa: BLE001 - classified below
        if _is_not_found(exc) or getattr(exc, "error_code", None) == "INVALID_PARAMETER_VALUE":
            return None
        raise _sink_error(uri, exc) from None
    return {
        "run_id": str(run.info.run_id),
        "experiment_id": str(run.info.experiment_id),
        "tags": dict(run.data.tags),
        "status": str(run.info.status),
    }


def search_runs(
    tracking_uri: str | None, experiment: str, filter_string: str, max_results: int = 20
) -> list[dict[str, Any]]:
    """Runs of experiment ``experiment`` (by name) matching ``filter_string``, newest first."""
    client, uri = _client(tracking_uri)
    try:
        exp = _bounded(uri, "the experiment", lambda: client.get_experiment_by_name(experiment))
        if exp is None:
            return []
        runs = _bounded(
            uri,
            "searching runs",
            lambda: client.search_runs(
                [exp.experiment_id], filter_string=filter_string, max_results=max_results, order_by=["start_time DESC"]
            ),
        )
    except Exception as exc:  # noqa: BLE001
        raise _sink_error(uri, exc) from None
    return [
        {
            "run_id": str(r.info.run_id),
            "experiment_id": str(r.info.experiment_id),
            "status": str(r.info.status),
            "tags": dict(r.data.tags),
        }
        for r in runs
    ]


def read_run_artifact(tracking_uri: str | None, run_id: str, artifact_path: str) -> str | None:
    """Return the text of one artifact of a run, or None when the run has no such file."""
    data = read_run_artifact_bytes(tracking_uri, run_id, artifact_path)
    return None if data is None else data.decode("utf-8")


def read_run_artifact_bytes(tracking_uri: str | None, run_id: str, artifact_path: str) -> bytes | None:
    """Return the bytes of one artifact of a run, or None when the run has no such file.

    For a reader that says itself what is wrong with the content (a baseline's results.jsonl that is not UTF-8 was
    an internal error here).
    """
    with run_artifact_file(tracking_uri, run_id, artifact_path) as path:
        return path.read_bytes() if path is not None else None


@contextlib.contextmanager
def run_artifact_file(tracking_uri: str | None, run_id: str, artifact_path: str) -> Iterator[Path | None]:
    """One artifact of a run downloaded to a temporary file (removed after the block), or None when there is none.

    For a reader that streams it (a baseline's results.jsonl of 100,000 rows: read whole it took its size and more).
    """
    _, uri = _client(tracking_uri)
    import tempfile

    import mlflow

    # MLflow's tqdm bar ("Downloading artifacts: 100%|...") would land in gatekit's progress output
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
    with tempfile.TemporaryDirectory(prefix="gatekit-artifact-") as tmp:
        try:
            local = _bounded(
                uri,
                f"downloading {artifact_path}",
                lambda: mlflow.artifacts.download_artifacts(
                    run_id=run_id, artifact_path=artifact_path, dst_path=tmp, tracking_uri=uri
                ),
            )
        except Exception as exc:  # noqa: BLE001 - classified below
            if _is_not_found(exc) or isinstance(exc, FileNotFoundError | OSError):
                local = None
            else:
                raise _sink_error(uri, exc) from None
        path = Path(local) if local is not None else None
        yield path if path is not None and path.is_file() else None


def set_run_tags(tracking_uri: str | None, run_id: str, tags: dict[str, str]) -> None:
    """Set tags on an existing (possibly finished) run."""
    client, uri = _client(tracking_uri)
    try:
        for key, value in tags.items():
            _bounded(uri, "the run's tags", functools.partial(client.set_tag, run_id, key, str(value)))
    except Exception as exc:  # noqa: BLE001
        raise _sink_error(uri, exc) from None


def log_run_artifact(tracking_uri: str | None, run_id: str, path: Path) -> None:
    """Upload (or replace) one file at the artifact root of an existing run."""
    client, uri = _client(tracking_uri)
    try:
        _bounded(uri, f"uploading {path.name}", lambda: client.log_artifact(run_id, str(path)))
    except Exception as exc:  # noqa: BLE001
        raise _sink_error(uri, exc) from None
