"""attack22m: a promotion through a real ``mlflow server`` that fails in the middle (a real proxy in front of it).

The exit code and verdict.json say what the registry holds afterwards: exit 3 means the alias is where it was
(moved back when gatekit had moved it), and ``promotion.action`` is ``promoted`` only when the alias holds the version.

* The server applied the alias change but answered 503 (a restart, a proxy timeout): gatekit said "promotion
  unconfirmed", exit 3, with the alias moved and no promotion block in verdict.json.
* The gate run's promotion tags, or the verdict's upload after the move, failed: exit 3 with the alias moved.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import uuid
from typing import Any

import pytest
from conftest import ProxyRule, mlflow_proxy
from mlflow_store import log_models, promote_verdict, registered_model
from mlflow_store import registry_client as client

pytestmark = pytest.mark.slow


def holder(uri: str, name: str, alias: str = "production") -> str | None:
    from mlflow.exceptions import MlflowException

    try:
        return str(client(uri).get_model_version_by_alias(name, alias).version)
    except MlflowException:
        return None


def passing_verdict(uri: str, spec: str) -> Any:
    """A passing gate verdict for ``spec`` whose run is logged at ``uri``."""
    c = client(uri)
    found = c.get_experiment_by_name("gates-22m")
    run = c.create_run(found.experiment_id if found else c.create_experiment("gates-22m"))
    c.set_terminated(run.info.run_id)
    return promote_verdict(spec, uri, run.info.run_id)


@pytest.fixture
def no_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "0")  # one 503 is one failure (no backoff sleeps)


def test_an_alias_move_the_server_applied_but_answered_503_for_is_moved_back(
    mlflow_server: Any, no_retries: None
) -> None:
    from gatekit.errors import SinkError
    from gatekit.promotion import promote

    upstream = str(mlflow_server.uri)
    name = registered_model(upstream, 2, experiment="models-22m")[0]
    client(upstream).set_registered_model_alias(name, "production", "1")
    verdict = passing_verdict(upstream, f"models:/{name}/2")
    moves = []

    def rule(method: str, path: str, body: bytes) -> str:
        if method == "POST" and path.endswith("/registered-models/alias"):
            moves.append(path)
            return "apply" if len(moves) == 1 else "pass"
        return "pass"

    with mlflow_proxy(upstream, rule) as (uri, seen, _):
        with pytest.raises(SinkError) as caught:
            promote(verdict, alias="production", tracking_uri=uri)
    # the registry holds what it held, and the error says so
    assert holder(upstream, name) == "1", (str(caught.value), seen)
    message = str(caught.value)
    assert message.startswith("not promoted: setting the alias 'production'"), message
    assert message.endswith("was moved back to version 1"), message
    block = caught.value.block  # type: ignore[attr-defined]
    assert block["action"] == "skipped" and block["version"] == "2" and block["previous_version"] == "1"


def test_a_first_promotion_the_server_applied_but_answered_503_for_leaves_no_alias(
    mlflow_server: Any, no_retries: None
) -> None:
    from gatekit.errors import SinkError
    from gatekit.promotion import promote

    upstream = str(mlflow_server.uri)
    name = registered_model(upstream, 1, experiment="models-22m")[0]
    verdict = passing_verdict(upstream, f"models:/{name}/1")

    def rule(method: str, path: str, body: bytes) -> str:
        return "apply" if method == "POST" and path.endswith("/registered-models/alias") else "pass"

    with mlflow_proxy(upstream, rule) as (uri, _, _):
        with pytest.raises(SinkError, match="was moved back to no version$"):
            promote(verdict, alias="production", tracking_uri=uri)
    assert holder(upstream, name) is None


def test_run_tags_failing_after_the_move_move_the_alias_back(mlflow_server: Any, no_retries: None) -> None:
    from gatekit.errors import SinkError
    from gatekit.promotion import promote

    upstream = str(mlflow_server.uri)
    name = registered_model(upstream, 3, experiment="models-22m")[0]
    client(upstream).set_registered_model_alias(name, "production", "2")
    verdict = passing_verdict(upstream, f"models:/{name}/3")

    def rule(method: str, path: str, body: bytes) -> str:
        return "fail" if path.endswith("/runs/set-tag") else "pass"

    with mlflow_proxy(upstream, rule) as (uri, _, _):
        with pytest.raises(SinkError) as caught:
            promote(verdict, alias="production", tracking_uri=uri)
    assert holder(upstream, name) == "2", str(caught.value)
    assert "promotion tags failed" in str(caught.value) and str(caught.value).startswith("not promoted:")
    assert caught.value.block["action"] == "skipped"  # type: ignore[attr-defined]


def test_a_move_back_that_fails_too_is_recorded_as_promoted(mlflow_server: Any, no_retries: None) -> None:
    """The server keeps failing after the move: the alias stays on the version and the block says so."""
    from gatekit.errors import SinkError
    from gatekit.promotion import promote

    upstream = str(mlflow_server.uri)
    name = registered_model(upstream, 2, experiment="models-22m")[0]
    client(upstream).set_registered_model_alias(name, "production", "1")
    verdict = passing_verdict(upstream, f"models:/{name}/2")
    moves: list[str] = []

    def rule(method: str, path: str, body: bytes) -> str:
        if method == "POST" and path.endswith("/registered-models/alias"):
            moves.append(path)
            return "pass" if len(moves) == 1 else "fail"
        return "fail" if path.endswith("/runs/set-tag") else "pass"

    with mlflow_proxy(upstream, rule) as (uri, _, _):
        with pytest.raises(SinkError) as caught:
            promote(verdict, alias="production", tracking_uri=uri)
    assert holder(upstream, name) == "2"
    block = caught.value.block  # type: ignore[attr-defined]
    assert block["action"] == "promoted", block
    assert str(caught.value).startswith("promoted, though the gate exits 3:") and "holds version 2" in str(caught.value)


def _gate_through_proxy(
    upstream: str, tmp_path: Any, monkeypatch: pytest.MonkeyPatch, rule: ProxyRule, **overrides: Any
) -> tuple[Any, str, list[str]]:
    """A full ``promote`` gate of ``models:/<new model>/2`` (alias production on 1) through a proxy with ``rule``."""
    import json

    import mlflow

    from gatekit.config import GateConfig
    from gatekit.gate import run_gate

    name = f"gk-22m-{uuid.uuid4().hex[:6]}"
    previous_uri = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(upstream)
    log_models(tmp_path, [name, name], experiment="models-22m")
    client(upstream).set_registered_model_alias(name, "production", "1")
    rows = [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)]
    (tmp_path / "ds.jsonl").write_text("".join(r + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    with mlflow_proxy(upstream, rule) as (uri, seen, _):
        monkeypatch.setenv("MLFLOW_TRACKING_URI", uri)  # the model is read from the registry it is promoted in
        mlflow.set_tracking_uri(uri)
        values: dict[str, Any] = {
            "dataset": tmp_path / "ds.jsonl", "agent": f"models:/{name}/2", "thresholds": tmp_path / "th.yaml",
            "policy": __import__("conftest").REPO_ROOT / "policies" / "default.yaml", "out": tmp_path / "out",
            "concurrency": 1, "timeout": 30, "experiment": f"gates-{uuid.uuid4().hex[:6]}", "tracking_uri": uri,
            "alias": "production", **overrides,
        }  # fmt: skip
        try:
            result = run_gate(GateConfig(**values), command="promote")
        finally:
            mlflow.set_tracking_uri(previous_uri)
    return result.verdict, name, seen


def test_a_gate_whose_logging_fails_after_the_move_exits_3_with_the_alias_back(
    mlflow_server: Any, no_retries: None, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A full ``promote`` gate of ``models:/name/2``: the alias moves, then logging the run's final exit code fails.
    It exited 3 with the alias on version 2 and verdict.json saying ``promoted``."""
    import json

    moved: list[str] = []

    def rule(method: str, path: str, body: bytes) -> str:
        if method == "POST" and path.endswith("/registered-models/alias"):
            moved.append(path)
            return "pass"
        # (the server's artifacts are files the client writes itself: the last request is the exit code's tag)
        return "fail" if moved and path.endswith("/runs/set-tag") and b"gatekit.exit_code" in body else "pass"

    verdict, name, seen = _gate_through_proxy(str(mlflow_server.uri), tmp_path, monkeypatch, rule)
    assert moved, seen
    assert verdict.verdict == "pass" and verdict.exit_code == 3, verdict.reasons
    assert holder(str(mlflow_server.uri), name) == "1", (verdict.promotion, seen)
    written = json.loads((tmp_path / "out" / "verdict.json").read_text(encoding="utf-8"))
    assert written["exit_code"] == 3
    assert written["promotion"]["action"] == "skipped", written["promotion"]
    assert written["promotion"]["message"].endswith("was moved back to version 1"), written["promotion"]


def test_a_publish_timeout_after_the_move_still_moves_the_alias_back(
    mlflow_server: Any, no_retries: None, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server stops answering after the move and the publish deadline passes: the undo's requests failed at once
    on the spent deadline, so the alias stayed on the version of a gate that exited 3. They get a short window."""
    moved: list[str] = []

    def rule(method: str, path: str, body: bytes) -> str:
        if method == "POST" and path.endswith("/registered-models/alias"):
            moved.append(path)
            return "pass"
        return "hang" if moved and path.endswith("/runs/set-tag") and b"gatekit.exit_code" in body else "pass"

    verdict, name, seen = _gate_through_proxy(
        str(mlflow_server.uri), tmp_path, monkeypatch, rule, publish_timeout=15
    )
    assert len(moved) == 2, seen  # the move and the move back
    assert verdict.exit_code == 3 and "publish timeout" in " ".join(verdict.reasons), verdict.reasons
    assert holder(str(mlflow_server.uri), name) == "1", (verdict.promotion, seen)
    assert verdict.promotion is not None and verdict.promotion.action == "skipped", verdict.promotion


def test_an_alias_moved_by_another_gate_while_promoting_is_not_overwritten(
    mlflow_server: Any, no_retries: None
) -> None:
    """Two CI jobs promote at once: the other one moves the alias to 3 after this promotion read the holder (1) and
    while it writes its records. It was overwritten with 2 (the other job's exit 0 undone) and 1 recorded as the
    previous holder."""
    from gatekit.errors import SinkError
    from gatekit.promotion import promote

    upstream = str(mlflow_server.uri)
    name = registered_model(upstream, 3, experiment="models-22m")[0]
    client(upstream).set_registered_model_alias(name, "production", "1")
    verdict = passing_verdict(upstream, f"models:/{name}/2")
    other: list[str] = []

    def rule(method: str, path: str, body: bytes) -> str:
        if path.endswith("/model-versions/set-tag") and not other:
            client(upstream).set_registered_model_alias(name, "production", "3")  # the other job's promotion
            other.append(path)
        return "pass"

    with mlflow_proxy(upstream, rule) as (uri, _, _):
        with pytest.raises(SinkError) as caught:
            promote(verdict, alias="production", tracking_uri=uri)
    assert other
    assert holder(upstream, name) == "3", str(caught.value)
    assert "was moved by someone else while promoting (version 1 before, version 3 now)" in str(caught.value)
    assert caught.value.block["action"] == "skipped"  # type: ignore[attr-defined]


def test_a_rollback_against_a_server_that_never_answers_ends_by_the_publish_timeout(
    mlflow_server: Any, repo_root: Any, tmp_path: Any
) -> None:
    """``/health`` answers, every registry request hangs: the rollback step of a failed canary waited MLflow's
    30 s per request, three tries each; now all of its requests end together by GATEKIT_PUBLISH_TIMEOUT."""
    upstream = str(mlflow_server.uri)
    name = registered_model(upstream, 2, experiment="models-22m")[0]
    with mlflow_proxy(upstream, lambda method, path, body: "hang") as (uri, _, _):
        started = time.monotonic()
        proc = subprocess.run(
            [sys.executable, "-m", "gatekit", "rollback", "--model", name, "--tracking-uri", uri],
            capture_output=True, text=True, cwd=tmp_path, timeout=75, check=False,
            env={**os.environ, "PYTHONPATH": str(repo_root), "GATEKIT_PUBLISH_TIMEOUT": "3"},
        )  # fmt: skip
        took = time.monotonic() - started
    assert proc.returncode == 3, (proc.returncode, proc.stderr)
    assert "did not finish within the publish timeout (3 s" in proc.stderr and "Traceback" not in proc.stderr
    assert took < 60, took


def test_a_rollback_the_server_applied_but_answered_503_for_is_done_when_run_again(
    mlflow_server: Any, no_retries: None
) -> None:
    """The registry moved the alias back but the answer was lost (exit 3); the workflow's retry with --from-version
    was refused (exit 2, "gatekit did not roll 3 back"): the rollback's record was written after the move."""
    from gatekit.errors import SinkError
    from gatekit.promotion import rollback

    upstream = str(mlflow_server.uri)
    name = registered_model(upstream, 3, experiment="models-22m")[0]
    c = client(upstream)
    c.set_registered_model_alias(name, "production", "3")
    c.set_model_version_tag(name, "3", "gatekit.promotion.previous_version.production", "2")

    def rule(method: str, path: str, body: bytes) -> str:
        return "apply" if method == "POST" and path.endswith("/registered-models/alias") else "pass"

    with mlflow_proxy(upstream, rule) as (uri, _, _):
        with pytest.raises(SinkError):
            rollback(name, alias="production", tracking_uri=uri, from_version="3")
    assert holder(upstream, name) == "2"  # the server did it
    again = rollback(name, alias="production", tracking_uri=upstream, from_version="3")
    assert again["action"] == "already_rolled_back", again
    assert holder(upstream, name) == "2"
