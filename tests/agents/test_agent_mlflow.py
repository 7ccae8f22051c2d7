"""The MLflow-model adapter with real registered models in a local sqlite tracking store."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from agents.procs import AGENTS_DIR
from mlflow_store import model_store, registry_client

from gatekit.agents import AgentOptions, resolve_agent
from gatekit.agents.mlflow_model import MlflowModelAgent
from gatekit.errors import AgentError
from gatekit.models import AgentResponse

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A sqlite tracking store with three registered agents; ``gk-responses@champion`` is version 2."""
    source = (AGENTS_DIR / "mlflow_agents.py").read_text()
    classes = {"gk-responses": "EchoResponsesAgent", "gk-chat": "EchoChatAgent", "gk-fn": "EchoFunction"}
    code = {name: source + f"\nmlflow.models.set_model({cls}())\n" for name, cls in classes.items()}
    root = tmp_path_factory.mktemp("mlflow-store")
    names = ["gk-responses", "gk-responses", "gk-chat", "gk-fn"]  # gk-responses has two versions
    with model_store(root, names, code=code, experiment="agents", chdir=True) as uri:
        client = registry_client(uri)
        client.set_registered_model_alias("gk-responses", "champion", "2")
        client.set_registered_model_alias("gk-chat", "champion", "1")
        yield uri


def call(spec: str, case_input: Any, context: dict[str, Any], **extra: Any) -> tuple[AgentResponse, Any]:
    async def go() -> tuple[AgentResponse, Any]:
        agent = resolve_agent(spec, AgentOptions(concurrency=2, extra=extra))
        await agent.start()
        try:
            return await agent.call(case_input, context), agent
        finally:
            await agent.close()

    return asyncio.run(go())


def test_responses_agent_resolved_by_alias(registry: str) -> None:
    resp, agent = call(
        "models:/gk-responses@champion",
        {"messages": [{"role": "user", "content": "refund [tool=lookup_order]"}]},
        {"role": "customer"},
    )
    assert isinstance(agent, MlflowModelAgent)
    assert agent.interface == "responses_agent"
    assert (agent.model_name, agent.model_version) == ("gk-responses", "2")
    assert resp.output == "responses: refund [tool=lookup_order] as customer"
    assert resp.tool_calls == [{"name": "lookup_order", "arguments": {"order_id": "W1"}}]
    assert resp.cost_usd == 0.002


def test_chat_agent_by_alias_with_plain_string_input(registry: str) -> None:
    resp, agent = call("models:/gk-chat@champion", "hello", {})
    assert agent.interface == "chat_agent"
    assert resp.output == "chat: hello"


def test_plain_pyfunc_by_version(registry: str) -> None:
    resp, agent = call("models:/gk-fn/1", "ping", {})
    assert agent.interface == "pyfunc"
    assert agent.model_version == "1"
    assert resp.output == "pyfunc: ping"


def test_unknown_alias_is_a_user_error(registry: str) -> None:
    with pytest.raises(AgentError, match="gk-responses@nope"):
        call("models:/gk-responses@nope", "x", {})


def test_unknown_model_is_a_user_error(registry: str) -> None:
    with pytest.raises(AgentError, match="cannot load the MLflow model"):
        call("models:/no-such-model/3", "x", {})


def test_unknown_extra_key_is_rejected() -> None:
    with pytest.raises(AgentError, match="input_fromat"):
        MlflowModelAgent("models:/x/1", AgentOptions(extra={"input_fromat": "raw"}))


def test_runs_uri(registry: str, tmp_path: Path) -> None:
    from mlflow import MlflowClient

    version = MlflowClient().get_model_version("gk-chat", "1")
    resp, agent = call(f"runs:/{version.run_id}/agent", "via run", {})
    assert agent.model_version is None
    assert resp.output == "chat: via run"


def test_promote_end_to_end_sets_the_alias_only_on_pass(registry: str, tmp_path: Path) -> None:
    """`gatekit promote` with a registered model as candidate moves the alias on PASS, not otherwise."""
    import json

    from mlflow import MlflowClient
    from spine_project import make_project, run_cli

    root = make_project(tmp_path / "p", agent="models:/gk-responses@champion", cases=4)
    (root / "pricing.yaml").write_text("models: {}\n")
    (root / "thresholds.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 1%}\n")
    env = {"MLFLOW_TRACKING_URI": registry}
    client = MlflowClient(tracking_uri=registry)

    proc = run_cli(root, "promote", "--alias", "prod-e2e", "--dry-run", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "prod-e2e" not in client.get_registered_model("gk-responses").aliases

    (root / "thresholds.yaml").write_text("min_cases: 100\nchecks:\n  error_rate: {max: 1%}\n")
    proc = run_cli(root, "promote", "--alias", "prod-e2e", env=env)
    assert proc.returncode == 4, proc.stdout + proc.stderr
    assert "prod-e2e" not in client.get_registered_model("gk-responses").aliases

    (root / "thresholds.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 1%}\n")
    proc = run_cli(root, "promote", "--alias", "prod-e2e", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert str(client.get_model_version_by_alias("gk-responses", "prod-e2e").version) == "2"
    verdict = json.loads((root / "out" / "verdict.json").read_text())
    assert verdict["promotion"]["action"] == "promoted"
