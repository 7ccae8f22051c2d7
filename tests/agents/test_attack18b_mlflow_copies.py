"""attack18b: an MLflow model's ``predict`` cannot rewrite the case the policy then judges.

``predict`` received the case's own input (``input_format: raw``, ``list``) and its context (``custom_inputs`` of a
``ChatAgent`` / ``ResponsesAgent``): a model clearing the messages or setting ``context["env"]`` changed what the
policy judged after the call and what a retry sent. Now each call gets a private deep copy.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from mlflow_store import model_store

from gatekit.agents import AgentOptions, resolve_agent

pytestmark = pytest.mark.slow

MODEL = """
import mlflow
from mlflow.pyfunc import PythonModel


class Mutator(PythonModel):
    def predict(self, context, model_input, params=None):
        items = model_input if isinstance(model_input, list) else [model_input]
        for item in items:
            if isinstance(item, dict):
                item["messages"].clear()
                item.setdefault("context", {})["env"] = "staging"
        return "fine"


mlflow.models.set_model(Mutator())
"""


@pytest.fixture(scope="module")
def model_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mlflow-mutator")
    with model_store(root, ["gk-mutator"], code=MODEL, experiment="mutator", chdir=True):
        yield "models:/gk-mutator/1"


@pytest.mark.parametrize("input_format", ["raw", "list"])
def test_a_model_mutating_its_input_leaves_the_case_as_read(model_uri: str, input_format: str) -> None:
    case_input: dict[str, Any] = {"messages": [{"role": "user", "content": "refund my order"}]}
    context = {"env": "production"}
    before = json.dumps([case_input, context])

    async def go() -> Any:
        agent = resolve_agent(model_uri, AgentOptions(concurrency=1, extra={"input_format": input_format}))
        await agent.start()
        try:
            return [await agent.call(case_input, context) for _ in range(2)]
        finally:
            await agent.close()

    answers = asyncio.run(go())
    assert [answer.output for answer in answers] == ["fine", "fine"]
    assert json.dumps([case_input, context]) == before
