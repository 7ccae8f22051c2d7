"""Agents logged as MLflow models (models-from-code) by tests/test_agent_mlflow.py.

The test writes this source plus one ``mlflow.models.set_model(<Class>())`` line into a code
file per agent kind (MLflow re-runs that file when it loads the model).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

import mlflow  # noqa: F401 - used by the set_model line the test appends
from mlflow.pyfunc import ChatAgent, PythonModel, ResponsesAgent
from mlflow.types.agent import ChatAgentMessage, ChatAgentResponse, ChatContext
from mlflow.types.responses import ResponsesAgentRequest, ResponsesAgentResponse


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        role = message.get("role") if isinstance(message, dict) else getattr(message, "role", None)
        content = message.get("content") if isinstance(message, dict) else getattr(message, "content", None)
        if role == "user":
            return str(content)
    return ""


class EchoResponsesAgent(ResponsesAgent):
    def predict(self, request: ResponsesAgentRequest) -> ResponsesAgentResponse:
        text = _last_user_text([m.model_dump() for m in request.input])
        context = (request.custom_inputs or {}).get("context", {})
        output = [self.create_text_output_item(text=f"responses: {text} as {context.get('role')}", id="msg_1")]
        if "[tool=" in text:
            name = text.split("[tool=", 1)[1].split("]", 1)[0]
            output.append(
                self.create_function_call_item(
                    id="fc_1", call_id="call_1", name=name, arguments=json.dumps({"order_id": "W1"})
                )
            )
        return ResponsesAgentResponse(output=output, custom_outputs={"cost_usd": 0.002})


class EchoChatAgent(ChatAgent):
    def predict(
        self,
        messages: list[ChatAgentMessage],
        context: ChatContext | None = None,
        custom_inputs: dict[str, Any] | None = None,
    ) -> ChatAgentResponse:
        text = _last_user_text([m.model_dump() for m in messages])
        return ChatAgentResponse(
            messages=[ChatAgentMessage(role="assistant", content=f"chat: {text}", id=str(uuid.uuid4()))]
        )


class EchoFunction(PythonModel):
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]  # untyped: pyfunc
        return {"output": f"pyfunc: {model_input}", "tool_calls": []}
