"""attack16b: a registered MLflow pyfunc model that raises or returns NaN / None / bytes never yields a "success".

A model answering ``float('nan')`` (or a one-row DataFrame whose ``output`` is NaN) was recorded as a
successful answer with the text ``"nan"``: the case was judged, governed and counted in the error rate as
answered. A non-finite output is an ``invalid_response`` now, as a non-finite cost or argument already was.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from mlflow_store import model_store

from gatekit.agents import AgentCallError, AgentOptions, resolve_agent
from gatekit.models import AgentResponse, ErrorType

pytestmark = pytest.mark.slow

MODEL = '''
import math
import mlflow
import numpy as np
import pandas as pd
from mlflow.pyfunc import PythonModel


class Odd(PythonModel):
    def predict(self, context, model_input, params=None):
        kind = str(model_input)
        if kind == "raise":
            raise ValueError("the model failed")
        return {
            "nan": float("nan"),
            "nan_dict": {"output": float("nan")},
            "inf_dict": {"output": float("inf")},
            "df_nan": pd.DataFrame({"output": [float("nan")]}),
            "series_nan": pd.Series([float("nan")]),
            "none": None,
            "bytes": b"raw bytes",
            "np_bytes": np.array([b"x"]),
            "number": {"output": 42},
            "text": "fine",
        }[kind]


mlflow.models.set_model(Odd())
'''


@pytest.fixture(scope="module")
def model_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("mlflow-odd")
    with model_store(root, ["gk-odd"], code=MODEL, experiment="odd", chdir=True):
        yield "models:/gk-odd/1"


def _call(spec: str, case_input: Any) -> AgentResponse | AgentCallError | Exception:
    async def go() -> AgentResponse | AgentCallError | Exception:
        agent = resolve_agent(spec, AgentOptions(concurrency=1))
        await agent.start()
        try:
            return await agent.call(case_input, {})
        except Exception as exc:  # noqa: BLE001 - the test looks at what came out
            return exc
        finally:
            await agent.close()

    return asyncio.run(go())


@pytest.mark.parametrize("kind", ["nan", "nan_dict", "inf_dict", "df_nan", "series_nan", "none", "bytes", "np_bytes"])
def test_a_model_answer_that_is_no_text_is_an_invalid_response(model_uri: str, kind: str) -> None:
    result = _call(model_uri, kind)
    assert isinstance(result, AgentCallError), (kind, result)
    assert result.error_type == ErrorType.INVALID_RESPONSE and result.retryable is False, (kind, result)


def test_a_model_that_raises_is_a_failed_attempt(model_uri: str) -> None:
    result = _call(model_uri, "raise")
    assert isinstance(result, Exception) and "the model failed" in str(result)


@pytest.mark.parametrize(("kind", "text"), [("text", "fine"), ("number", "42")])
def test_text_and_numbers_still_answer(model_uri: str, kind: str, text: str) -> None:
    result = _call(model_uri, kind)
    assert isinstance(result, AgentResponse) and result.output == text, result
