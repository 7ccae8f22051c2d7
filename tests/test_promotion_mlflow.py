"""Promotion and baselines against a real MLflow: the session ``mlflow server`` and a local sqlite store.

The registry is real (registered models, versions, aliases, tags); gate runs are real
``run_gate`` calls with the demo agent. "The server goes away mid-run" is a real TCP proxy
in front of the server that the test closes while cases are being replayed.
"""

from __future__ import annotations

import json
import shutil
import socket
import threading
import uuid
from pathlib import Path
from typing import Any

import pytest
from mlflow_store import fresh_store, promote_verdict, registered_model
from mlflow_store import registry_client as client

from gatekit.baseline import load_baseline
from gatekit.errors import EXIT_INFRA, ConfigError, SinkError
from gatekit.promotion import promote

pytestmark = pytest.mark.slow


def failing_agent(case_input: Any, context: Any = None) -> Any:
    """The demo agent, except that one case in five raises (a clear error-rate regression)."""
    import hashlib

    from examples.demo_agent import run

    text = json.dumps(case_input, sort_keys=True)
    if int(hashlib.sha256(text.encode()).hexdigest(), 16) % 5 == 0:
        raise RuntimeError("candidate broke this case")
    return run(case_input, context)


@pytest.fixture(scope="module")
def local_store(tmp_path_factory: pytest.TempPathFactory) -> str:
    return fresh_store(tmp_path_factory.mktemp("local-store") / "mlflow.db")


@pytest.fixture(params=["server", "local"])
def uri(request: pytest.FixtureRequest, local_store: str) -> str:
    if request.param == "server":
        return str(request.getfixturevalue("mlflow_server").uri)
    return local_store


def gate_run(uri: str, experiment: str, tags: dict[str, str], results: list[dict[str, Any]] | None) -> str:
    """A logged gate run with tags and a results.jsonl artifact, like run_gate leaves behind."""
    import tempfile

    import mlflow

    c = client(uri)
    mlflow.set_tracking_uri(uri)
    exp = mlflow.set_experiment(experiment)
    run = c.create_run(exp.experiment_id, tags={"gatekit.kind": "gate", **tags})
    if results is not None:
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "results.jsonl"
            path.write_text("".join(json.dumps(r) + "\n" for r in results), encoding="utf-8")
            c.log_artifact(run.info.run_id, str(path))
    c.set_terminated(run.info.run_id)
    return str(run.info.run_id)


def test_pass_sets_alias_and_records_previous_holder(uri: str) -> None:
    name, _ = registered_model(uri, 2)
    c = client(uri)
    c.set_registered_model_alias(name, "production", "1")
    run_id = gate_run(uri, "gates", {"gatekit.verdict": "pass"}, None)

    block = promote(promote_verdict(f"models:/{name}/2", uri, run_id), alias="production")

    assert block["action"] == "promoted", block
    assert (block["version"], block["previous_version"]) == ("2", "1")
    assert str(c.get_model_version_by_alias(name, "production").version) == "2"
    tags = c.get_run(run_id).data.tags
    assert tags["gatekit.promotion.previous_version"] == "1"
    assert tags["gatekit.promotion.version"] == "2"
    assert tags["gatekit.promotion.alias"] == "production"
    assert c.get_model_version(name, "2").tags["gatekit.gate_run_id"] == run_id
    # promoting the same version again changes nothing
    assert promote(promote_verdict(f"models:/{name}/2", uri, run_id))["action"] == "unchanged"


def test_alias_candidate_and_first_promotion_record_none(uri: str) -> None:
    name, _ = registered_model(uri, 2)
    c = client(uri)
    c.set_registered_model_alias(name, "candidate", "2")
    run_id = gate_run(uri, "gates", {"gatekit.verdict": "pass"}, None)
    block = promote(promote_verdict(f"models:/{name}@candidate", uri, run_id), alias="prod")
    assert block["action"] == "promoted" and block["version"] == "2" and block["previous_version"] is None
    assert c.get_run(run_id).data.tags["gatekit.promotion.previous_version"] == "none"
    assert str(c.get_model_version_by_alias(name, "prod").version) == "2"


@pytest.mark.parametrize(
    ("overrides", "dry_run", "why"),
    [
        ({"verdict": "fail", "exit_code": 1}, False, "the verdict is fail"),
        ({"verdict": "inconclusive", "exit_code": 4}, False, "the verdict is inconclusive"),
        ({"sample": {"size": 5, "seed": 0, "of": 60}}, False, "sample"),
        ({"exit_code": 3, "mlflow": {"run_id": None, "error": "down"}}, False, "not logged"),
        ({}, True, "dry run: would set alias 'production'"),
    ],
)
def test_nothing_is_promoted_unless_pass(
    mlflow_server: Any, overrides: dict[str, Any], dry_run: bool, why: str
) -> None:
    uri = mlflow_server.uri
    name, _ = registered_model(uri, 2)
    c = client(uri)
    c.set_registered_model_alias(name, "production", "1")
    run_id = gate_run(uri, "gates", {}, None)
    verdict = promote_verdict(f"models:/{name}/2", uri, run_id, **overrides)
    block = promote(verdict, alias="production", tracking_uri=uri, dry_run=dry_run)
    assert why in block["message"]
    assert block["action"] in ("skipped", "dry_run")
    assert str(c.get_model_version_by_alias(name, "production").version) == "1"
    assert "gatekit.promotion.version" not in c.get_run(run_id).data.tags


def test_non_model_candidate_is_never_promoted(local_store: str) -> None:
    block = promote(promote_verdict("python:examples.demo_agent:run", local_store, "x" * 32))
    assert block["action"] == "skipped" and "not a registered MLflow model" in block["message"]


ROWS = [{"case_id": f"c{i}", "ok": True, "passed": True, "latency_ms": 100.0 + i} for i in range(5)]


def test_baseline_by_alias_run_id_and_last_pass(uri: str) -> None:
    experiment = f"gates-{uuid.uuid4().hex[:6]}"
    sha = "ab" * 32
    name, _ = registered_model(uri, 2)
    c = client(uri)
    older = gate_run(uri, experiment, {"gatekit.verdict": "pass", "gatekit.dataset_sha256": sha}, ROWS[:2])
    champion = gate_run(uri, experiment, {"gatekit.verdict": "pass", "gatekit.dataset_sha256": sha}, ROWS)
    gate_run(uri, experiment, {"gatekit.verdict": "fail", "gatekit.dataset_sha256": sha}, ROWS[:1])
    c.set_registered_model_alias(name, "champion", "1")
    c.set_model_version_tag(name, "1", "gatekit.gate_run_id", champion)

    kwargs = {"tracking_uri": uri, "experiment": experiment, "dataset_sha256": sha}
    by_alias = load_baseline("champion", candidate_spec=f"models:/{name}/2", **kwargs)
    assert by_alias.run_id == champion and by_alias.summaries.rows == 5
    assert f"{name}@champion -> version 1" in by_alias.description
    assert load_baseline(f"{name}@champion", candidate_spec="python:x:y", **kwargs).run_id == champion
    from gatekit.regression import summarise

    assert load_baseline(older, candidate_spec=None, **kwargs).summaries == summarise(ROWS[:2])  # (read streamed)
    # last-pass: the newest passing run on this dataset (the failing one is newer but ignored)
    assert load_baseline("last-pass", candidate_spec=None, **kwargs).run_id == champion


def test_baseline_found_by_model_version_tags_of_a_gate_run(local_store: str) -> None:
    experiment = f"gates-{uuid.uuid4().hex[:6]}"
    name, _ = registered_model(local_store, 2)
    run_id = gate_run(
        local_store,
        experiment,
        {"gatekit.dataset_sha256": "cd" * 32, "gatekit.model_name": name, "gatekit.model_version": "1"},
        ROWS,
    )
    client(local_store).set_registered_model_alias(name, "champion", "1")
    found = load_baseline(
        "champion",
        tracking_uri=local_store,
        experiment=experiment,
        candidate_spec=f"models:/{name}/2",
        dataset_sha256="cd" * 32,
    )
    assert found.run_id == run_id


def test_baseline_refusals_are_clear(mlflow_server: Any) -> None:
    uri = mlflow_server.uri
    experiment = f"gates-{uuid.uuid4().hex[:6]}"
    other = gate_run(uri, experiment, {"gatekit.verdict": "pass", "gatekit.dataset_sha256": "ee" * 32}, ROWS)
    empty = gate_run(uri, experiment, {"gatekit.verdict": "pass", "gatekit.dataset_sha256": "ab" * 32}, None)
    kwargs = {"tracking_uri": uri, "experiment": experiment, "dataset_sha256": "ab" * 32}
    with pytest.raises(ConfigError, match=r"measured on dataset sha256 eeeeeeeeeeee, this gate replays abababababab"):
        load_baseline(other, candidate_spec=None, **kwargs)
    with pytest.raises(ConfigError, match="no results.jsonl"):
        load_baseline(empty, candidate_spec=None, **kwargs)
    with pytest.raises(ConfigError, match="MLflow has no run"):
        load_baseline("0" * 32, candidate_spec=None, **kwargs)
    with pytest.raises(ConfigError, match="not one, so write --baseline <model name>@champion"):
        load_baseline("champion", candidate_spec="python:x:y", **kwargs)
    with pytest.raises(ConfigError, match="has no alias 'champion'"):
        name, _ = registered_model(uri, 1)
        load_baseline("champion", candidate_spec=f"models:/{name}/1", **kwargs)
    with pytest.raises(ConfigError, match="no passing gate run on dataset sha256 ffffffffffff"):
        load_baseline("last-pass", candidate_spec=None, **{**kwargs, "dataset_sha256": "ff" * 32})


def test_unreachable_registry_is_a_sink_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(SinkError, match="unreachable") as info:
        promote(promote_verdict("models:/a/1", f"http://127.0.0.1:{port}", "f" * 32))
    assert info.value.exit_code == EXIT_INFRA


# --- real gate runs ---------------------------------------------------------------------------


class Proxy:
    """A TCP forwarder 127.0.0.1:port -> target that can be shut down (the server 'goes away')."""

    def __init__(self, target_port: int) -> None:
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.conns: list[socket.socket] = []
        self.closed = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.closed.is_set():
            try:
                down, _ = self.listener.accept()
            except OSError:
                return
            up = socket.create_connection(("127.0.0.1", self.target_port))
            self.conns += [down, up]
            for a, b in ((down, up), (up, down)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(src: socket.socket, dst: socket.socket) -> None:
        try:
            while data := src.recv(65536):
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.closed.set()
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept() so the port really closes
        except OSError:
            pass
        self.listener.close()
        for conn in self.conns:
            try:
                conn.shutdown(socket.SHUT_RDWR)
                conn.close()
            except OSError:
                pass


@pytest.fixture
def demo_project(repo_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("datasets", "thresholds", "policies", "examples"):
        shutil.copytree(repo_root / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    thresholds = (tmp_path / "thresholds" / "default.yaml").read_text(encoding="utf-8")
    (tmp_path / "thresholds" / "regression.yaml").write_text(
        thresholds + "max_regression: {error_rate: 2pp, latency_p95_ms: 25%}\n", encoding="utf-8"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    for var in ("GITHUB_ACTIONS", "GITHUB_SHA", "GITHUB_REF", "GITHUB_HEAD_REF", "GITHUB_REF_NAME"):
        monkeypatch.delenv(var, raising=False)
    return tmp_path


def gate_config(project: Path, uri: str, experiment: str, **overrides: Any) -> Any:
    from gatekit.config import GateConfig

    values = {
        "dataset": project / "datasets" / "retail_golden.jsonl",
        "agent": "python:examples.demo_agent:run",
        "thresholds": project / "thresholds" / "regression.yaml",
        "policy": project / "policies" / "default.yaml",
        "pricing": project / "thresholds" / "pricing.yaml",
        "out": project / "reports" / uuid.uuid4().hex[:6],
        "concurrency": 32,
        "timeout": 10,
        "experiment": experiment,
        "tracking_uri": uri,
    }
    values.update(overrides)
    return GateConfig(**values)


def test_gate_with_last_pass_baseline_adds_paired_regression_checks(
    mlflow_server: Any, demo_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from gatekit.gate import run_gate

    monkeypatch.setenv("GITHUB_SHA", "c" * 40)
    monkeypatch.setenv("GITHUB_REF", "refs/pull/12/merge")
    monkeypatch.setenv("GITHUB_HEAD_REF", "faster-agent")
    experiment = f"e2e-{uuid.uuid4().hex[:6]}"
    first = run_gate(gate_config(demo_project, mlflow_server.uri, experiment), command="eval")
    assert first.exit_code == 0, first.verdict.reasons
    tags = client(mlflow_server.uri).get_run(first.verdict.mlflow.run_id).data.tags
    assert (tags["gatekit.pr_number"], tags["gatekit.git_branch"], tags["gatekit.git_commit"]) == (
        "12",
        "faster-agent",
        "c" * 40,
    )
    assert tags["gatekit.verdict"] == "pass" and tags["gatekit.kind"] == "gate"
    # the report is an artifact of the run, where the MLflow UI's artifact viewer renders HTML
    artifacts = {f.path for f in client(mlflow_server.uri).list_artifacts(first.verdict.mlflow.run_id)}
    assert {"report.html", "results.jsonl", "verdict.json"} <= artifacts

    # the demo agent sleeps the same time per case; a loaded machine adds scheduling jitter to each measurement, and a
    # stall of the whole process (a CI host's other test workers starting JVMs) moves the p95 of 60 cases at once: the
    # same agent is measured again once when its first comparison is off, and one of the two must be ~0
    for _attempt in range(2):
        same = run_gate(gate_config(demo_project, mlflow_server.uri, experiment, baseline="last-pass"), command="eval")
        regression = {c.name: c for c in same.verdict.checks if c.name.startswith("regression.")}
        assert set(regression) == {"regression.error_rate", "regression.latency_p95_ms"}
        assert regression["regression.error_rate"].value == 0
        if regression["regression.latency_p95_ms"].value == pytest.approx(0, abs=0.15):
            break
    assert regression["regression.latency_p95_ms"].value == pytest.approx(0, abs=0.15)
    assert same.exit_code == 0, same.verdict.reasons

    worse = run_gate(
        gate_config(
            demo_project,
            mlflow_server.uri,
            experiment,
            baseline=first.verdict.mlflow.run_id,
            agent="python:test_promotion_mlflow:failing_agent",
            retries=0,
        ),
        command="eval",
    )
    check = next(c for c in worse.verdict.checks if c.name == "regression.error_rate")
    assert check.status == "fail" and check.value is not None and check.value > 0.1, check
    assert worse.exit_code == 1


def test_server_going_away_mid_run_exits_3_with_local_files(mlflow_server: Any, demo_project: Path) -> None:
    from gatekit.gate import run_gate

    experiment = f"gone-{uuid.uuid4().hex[:6]}"
    # a passing run to serve as baseline, through the server directly
    assert run_gate(gate_config(demo_project, mlflow_server.uri, experiment), command="eval").exit_code == 0
    proxy = Proxy(mlflow_server.port)
    messages: list[str] = []

    def emit(message: str) -> None:
        messages.append(message)
        if "/60 cases" in message and not proxy.closed.is_set():
            proxy.close()  # the tracking server disappears while cases are replayed

    config = gate_config(demo_project, f"http://127.0.0.1:{proxy.port}", experiment, baseline="last-pass")
    result = run_gate(config, command="promote", emit=emit)
    assert any(m.startswith("baseline: last passing gate run") for m in messages)  # reached through the proxy
    assert proxy.closed.is_set(), messages
    assert result.exit_code == EXIT_INFRA
    out = Path(config.out)
    verdict = json.loads((out / "verdict.json").read_text(encoding="utf-8"))
    assert verdict["exit_code"] == EXIT_INFRA and "unreachable" in verdict["mlflow"]["error"]
    assert len((out / "results.jsonl").read_text(encoding="utf-8").splitlines()) == 60
    assert (out / "report.html").exists()
    assert verdict["promotion"] is None  # nothing promoted on errors
