"""MLflow sink: the only module in gatekit that imports mlflow.

Every MLflow failure becomes a ``SinkError`` (exit 3) whose message says which
server failed and that the local files are still on disk.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from gatekit.errors import SinkError

_PARAM_MAX_CHARS = 500


def _limit_http_retries() -> None:
    # MLflow retries a dead server for minutes by default; a gate should fail fast.
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1")
    os.environ.setdefault("MLFLOW_HTTP_REQUEST_TIMEOUT", "30")


def resolve_tracking_uri(tracking_uri: str | None) -> str:
    """Return the tracking URI that will be used: the argument, else MLflow's own default."""
    _limit_http_retries()
    import mlflow

    if tracking_uri:
        return tracking_uri
    return str(mlflow.get_tracking_uri())


def _check_reachable(uri: str) -> None:
    if not uri.startswith(("http://", "https://")):
        return
    url = uri.rstrip("/") + "/health"
    try:
        with urllib.request.urlopen(url, timeout=10) as resp:  # noqa: S310 - http(s) only, checked above
            if resp.status >= 500:
                raise SinkError(f"MLflow tracking server {uri} answered {resp.status} on /health")
    except urllib.error.HTTPError as exc:
        if exc.code >= 500:
            raise SinkError(f"MLflow tracking server {uri} answered {exc.code}; check the server") from None
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise SinkError(
            f"MLflow tracking server {uri} is unreachable ({reason}); start it or fix MLFLOW_TRACKING_URI / --tracking-uri"
        ) from None


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= _PARAM_MAX_CHARS else text[: _PARAM_MAX_CHARS - 1] + "…"


def log_run(
    tracking_uri: str | None,
    experiment: str,
    run_name: str | None,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
    artifacts: list[Path],
    dataset: dict[str, Any] | None = None,
) -> tuple[str, str]:
    """Log one MLflow run and return ``(run_id, experiment_id)``.

    ``dataset`` (optional) is ``{"name", "path", "sha256", "records": list[dict]}``;
    it is logged as the run's input (context ``golden``). Raises ``SinkError``.
    """
    uri = resolve_tracking_uri(tracking_uri)
    _check_reachable(uri)
    try:
        import mlflow

        mlflow.set_tracking_uri(uri)
        experiment_obj = mlflow.set_experiment(experiment)
        with mlflow.start_run(run_name=run_name) as run:
            if params:
                mlflow.log_params({k: _param(v) for k, v in params.items()})
            clean_metrics = {
                k: float(v) for k, v in metrics.items() if isinstance(v, int | float) and not isinstance(v, bool)
            }
            if clean_metrics:
                mlflow.log_metrics(clean_metrics)
            if tags:
                mlflow.set_tags({k: str(v) for k, v in tags.items()})
            if dataset is not None:
                _log_dataset(mlflow, dataset)
            for path in artifacts:
                if Path(path).exists():
                    mlflow.log_artifact(str(path))
            return str(run.info.run_id), str(experiment_obj.experiment_id)
    except SinkError:
        raise
    except Exception as exc:  # noqa: BLE001 - every MLflow failure is an infrastructure error
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        raise SinkError(f"MLflow ({uri}) failed: {type(exc).__name__}: {first_line[:300]}") from None


def _log_dataset(mlflow: Any, dataset: dict[str, Any]) -> None:
    import pandas as pd

    records = dataset.get("records") or []
    frame = pd.DataFrame(
        {
            "id": [str(r.get("id")) for r in records],
            "input": [json.dumps(r.get("input"), ensure_ascii=False) for r in records],
            "tags": [",".join(map(str, r.get("tags") or [])) for r in records],
        }
    )
    ds = mlflow.data.from_pandas(
        frame,
        source=str(dataset.get("path", "")),
        name=str(dataset.get("name", "golden")),
        digest=str(dataset.get("sha256", ""))[:36] or None,
    )
    mlflow.log_input(ds, context="golden")
