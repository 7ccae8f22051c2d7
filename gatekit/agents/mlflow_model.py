"""``models:/name/version``, ``models:/name@alias``, ``runs:/<run_id>/path`` — an MLflow pyfunc model.

The model is loaded once (from the tracking/registry URI in ``MLFLOW_TRACKING_URI`` /
``MLFLOW_REGISTRY_URI``, or MLflow's default) and called in a thread pool sized to the run's
concurrency, because ``predict`` is synchronous. How a case is passed depends on the model's
interface, read from its pyfunc loader module:

* ``ResponsesAgent``: ``predict({"input": messages, "custom_inputs": {"context": ...}})``; the
  answer's ``output`` items give the text (``output_text``) and tool calls (``function_call``).
* ``ChatAgent``: ``predict({"messages": messages, "custom_inputs": {"context": ...}})``; every
  assistant message's text and ``tool_calls`` are read.
* ``ChatModel``: ``predict({"messages": messages})``; read like a chat-completions body.
* any other pyfunc: ``predict(case_input)`` (``extra.input_format: raw``, the default) or
  ``predict([case_input])`` (``list``) / a one-row DataFrame with an ``input`` column
  (``dataframe``); a one-element list/Series/array answer is unwrapped, then normalised like
  a ``python:`` agent's return value.

For a registry URI the resolved model version is kept in ``model_version`` so a promotion can
move an alias to exactly the version that was tested.
"""

from __future__ import annotations

import copy
from typing import Any

from gatekit.agents.base import AgentOptions, error_text, normalise_response, reports_error
from gatekit.agents.chat_format import (
    invalid,
    parse_chat_agent_output,
    parse_chat_completion,
    parse_responses_output,
)
from gatekit.agents.exit_guard import AgentExitCalled
from gatekit.agents.threads import AgentThreads
from gatekit.chat import to_messages
from gatekit.errors import AgentError
from gatekit.models import AgentResponse
from gatekit.redact import scrub_message_cut

_EXTRA_KEYS = {"input_format", "params"}
_ANSWER_KEYS = {"output", "tool_calls"}  # a mapping answer holds one of them (``normalise_response``'s fields)
_INTERFACES = {
    "mlflow.pyfunc.loaders.responses_agent": "responses_agent",
    "mlflow.pyfunc.loaders.chat_agent": "chat_agent",
    "mlflow.pyfunc.loaders.chat_model": "chat_model",
}


class MlflowModelAgent:
    """Adapter for an MLflow pyfunc model, including ChatAgent and ResponsesAgent."""

    def __init__(self, spec: str, options: AgentOptions) -> None:
        from gatekit.redact import add_mlflow_credentials

        add_mlflow_credentials()  # the registry echoing the token (an error body) must not get it written
        self.spec = spec
        self.options = options
        unknown = set(options.extra) - _EXTRA_KEYS
        if unknown:
            raise AgentError(
                f"agent_options.extra: unknown key(s) {', '.join(sorted(unknown))} for an MLflow model; "
                f"valid keys: {', '.join(sorted(_EXTRA_KEYS))}"
            )
        self.input_format = str(options.extra.get("input_format", "raw"))
        if self.input_format not in ("raw", "list", "dataframe"):
            raise AgentError(
                f"agent_options.extra.input_format: {self.input_format!r} is not one of raw, list, dataframe"
            )
        self.params: dict[str, Any] | None = options.extra.get("params")
        self.interface = "pyfunc"
        self.model_name: str | None = None
        self.model_version: str | None = None
        self.registry_uri: str | None = None  # where the model is read from (set when it is looked up)
        # the registered version as it was when looked up (run id, source, creation time): a version of the same
        # number registered again during the run (the model deleted and re-created) is another model
        self.model_identity: dict[str, str] | None = None
        self._model: Any = None
        self._pool: AgentThreads | None = None

    async def start(self) -> None:
        """Load the model once (in a thread: loading may take seconds)."""
        self._pool = pool = AgentThreads(self.options.concurrency, "gatekit-mlflow")
        try:
            self._model = await pool.run(self._load)
        except AgentError:
            await self.close()
            raise

    def _load(self) -> Any:
        import mlflow
        from mlflow.exceptions import MlflowException

        from gatekit.redact import redact_urls
        from gatekit.sinks.mlflow import _quiet_mlflow

        _quiet_mlflow()  # (its INFO lines on stderr with --no-mlflow: "Creating initial MLflow database tables...")

        if self.model_version is None:  # (not pinned by the gate before the run)
            self._resolve_version()
        # load the version just recorded, not the alias again: an alias moved in between would load another version
        pinned = f"models:/{self.model_name}/{self.model_version}" if self.model_version else self.spec
        try:
            model = mlflow.pyfunc.load_model(pinned)
        except MlflowException as exc:
            first = str(exc.message).splitlines()[0] if exc.message else type(exc).__name__
            target = self.spec.removeprefix("models:/").strip("/")
            if self.spec.startswith("models:/") and not any(c in target for c in "/@"):
                # MLflow reads models:/NAME as a logged model's id: a registered model needs its version or alias
                first = first.rstrip(".") + (
                    f"; a registered model needs a version or an alias: models:/{target}/1 or models:/{target}@ALIAS"
                )
            raise AgentError(
                f"agent spec {self.spec!r}: cannot load the MLflow model: {first} "
                f"(tracking URI {redact_urls(str(mlflow.get_tracking_uri()))}; set MLFLOW_TRACKING_URI)"
            ) from None
        except OSError as exc:
            raise AgentError(f"agent spec {self.spec!r}: cannot load the MLflow model: {exc}") from None
        except (SystemExit, KeyboardInterrupt, AgentExitCalled) as exc:
            # the model's own code (models-from-code, load_context) ending the process: a failed start, exit 2, as for
            # a python: agent's import (was an internal error, exit 3, "AgentCallError: ... the case fails")
            if isinstance(exc, AgentExitCalled):
                what = scrub_message_cut(str(exc).removesuffix("; the case fails"), 300)
            else:
                what = f"its code raised {type(exc).__name__}({scrub_message_cut(str(exc), 200)!r}), which would end the gate"
            raise AgentError(f"agent spec {self.spec!r}: cannot load the MLflow model: {what}") from None
        except Exception as exc:  # noqa: BLE001 - the model's own code failed to load (a missing dependency...)
            # (was an internal error, exit 3 with no verdict.json: the agent did not start, exit 2 with the reason)
            first = scrub_message_cut((str(exc).strip().splitlines() or [""])[0], 300)
            raise AgentError(
                f"agent spec {self.spec!r}: cannot load the MLflow model: {type(exc).__name__}: {first} "
                "(install what the model needs in this environment: see its requirements.txt / conda.yaml)"
            ) from None
        self.interface = _interface_of(model)
        return model

    def pin_version(self) -> str | None:
        """Look ``models:/name@alias`` up once, now; the model loaded later is this version, whatever the alias says.

        The gate calls it before the run so ``--resume`` can refuse to continue a run replayed through another version.
        """
        if self.model_version is None:
            self._resolve_version()
        return self.model_version

    def registry(self) -> str | None:
        """The registry URI a ``models:/`` spec is read from now (None for ``runs:/``): MLflow's registry URI."""
        if not self.spec.startswith("models:/"):
            return None
        import mlflow

        return str(mlflow.get_registry_uri())

    def _resolve_version(self) -> None:
        """Record which registered version ``models:/name@alias`` or ``models:/name/N`` means right now."""
        if not self.spec.startswith("models:/"):
            return
        from mlflow import MlflowClient
        from mlflow.exceptions import MlflowException

        from gatekit.errors import SinkError
        from gatekit.redact import redact_urls
        from gatekit.sinks.mlflow import _check_reachable, _limit_http_retries, _quiet_mlflow

        _quiet_mlflow()
        _limit_http_retries()  # MLflow retries a dead server for minutes, a warning line per retry
        self.registry_uri = self.registry()
        try:
            # (--tracking-uri is where the run is logged, not where the model is read from)
            _check_reachable(
                self.registry_uri or "",
                "start it, or point MLFLOW_TRACKING_URI (or MLFLOW_REGISTRY_URI) at the registry that holds the model",
            )
        except SinkError as exc:  # a registry that is not running: the agent cannot start (exit 2), said in one line
            raise AgentError(f"agent spec {self.spec!r}: {exc}") from None
        target = self.spec.removeprefix("models:/").strip("/")
        try:
            if "@" in target:
                name, _, alias = target.partition("@")
                client = MlflowClient(registry_uri=self.registry_uri)
                version = client.get_model_version_by_alias(name, alias)
                self.model_name, self.model_version = name, str(version.version)
                self.model_identity = version_identity(version)
            elif "/" in target:
                name, _, ver = target.partition("/")
                if ver.isdigit():
                    self.model_name, self.model_version = name, ver
                    try:
                        found = MlflowClient(registry_uri=self.registry_uri).get_model_version(name, ver)
                        self.model_identity = version_identity(found)
                    except MlflowException:
                        pass  # no such version: loading it says so, as before
        except MlflowException as exc:
            first = str(exc.message).splitlines()[0] if exc.message else type(exc).__name__
            raise AgentError(
                f"agent spec {self.spec!r}: {first} (registry {redact_urls(str(self.registry_uri))}); check the "
                "model name and alias or version, or point MLFLOW_TRACKING_URI at the registry that holds it"
            ) from None

    def build_input(self, case_input: Any, context: dict[str, Any]) -> Any:
        """Shape one case for this model's interface."""
        if self.interface == "responses_agent":
            payload: dict[str, Any] = {"input": to_messages(case_input)}
            if context:
                payload["custom_inputs"] = {"context": context}
            return payload
        if self.interface == "chat_agent":
            payload = {"messages": to_messages(case_input)}
            if context:
                payload["custom_inputs"] = {"context": context}
            return payload
        if self.interface == "chat_model":
            return {"messages": to_messages(case_input)}
        if self.input_format == "list":
            return [case_input]
        if self.input_format == "dataframe":
            import pandas as pd

            return pd.DataFrame({"input": [case_input]})
        return case_input

    def parse_output(self, raw: Any) -> AgentResponse:
        """Normalise what ``predict`` returned."""
        if self.interface in ("responses_agent", "chat_agent", "chat_model"):
            if hasattr(raw, "model_dump"):
                raw = raw.model_dump(exclude_none=True)
            if not isinstance(raw, dict):
                raise invalid(f"{self.interface} returned {type(raw).__name__}, expected a dict")
            if self.interface == "responses_agent":
                return parse_responses_output(raw)
            if self.interface == "chat_agent":
                return parse_chat_agent_output(raw)
            return parse_chat_completion(raw)
        answer = _unwrap(raw)
        if isinstance(answer, dict) and not answer.keys() & _ANSWER_KEYS:
            # {"a": ..., "b": ...} (a two-column prediction, a dict of other fields) was a successful empty answer
            keys = ", ".join(scrub_message_cut(repr(str(k)), 40) for k in list(answer)[:5])
            raise invalid(
                f"the model returned a mapping without 'output' or 'tool_calls' (keys {keys}); return the answer "
                "as 'output' (a one-column prediction is read as the answer)"
            )
        if isinstance(answer, dict) and reports_error(dict.get(answer, "error")):
            # an 'error' column beside 'output' (null where the model failed) was a successful empty answer
            raise invalid(f"the model returned an error instead of an answer: {error_text(dict.get(answer, 'error'))}")
        return normalise_response(answer)

    async def call(self, case_input: Any, context: dict[str, Any]) -> AgentResponse:
        """Run ``predict`` for one case in the thread pool."""
        model = self._model
        if model is None:
            raise RuntimeError("agent not started")
        # a private copy of the case: predict may rewrite what it got, never what the policy judges after the call
        payload = self.build_input(copy.deepcopy(case_input), copy.deepcopy(context))
        params = self.params
        pool = self._pool
        if pool is None:
            raise RuntimeError("agent not started")
        # the prediction is read on the pool's thread too: a hostile object (a never-ending __iter__) stalls a
        # thread the attempt timeout abandons, never the gate's loop
        answer: AgentResponse = await pool.run(lambda: self.parse_output(_predict(model, payload, params)))
        return answer

    async def close(self) -> None:
        """Let the idle threads exit without waiting for hung predictions (daemon threads)."""
        if self._pool is not None:
            self._pool.close()
            self._pool = None


def version_identity(version: Any) -> dict[str, str]:
    """What tells one registered model version from another of the same name and number: run, source, creation."""
    return {
        "run_id": str(getattr(version, "run_id", None) or ""),
        "source": str(getattr(version, "source", None) or ""),
        "created": str(getattr(version, "creation_timestamp", None) or ""),
    }


def _predict(model: Any, payload: Any, params: dict[str, Any] | None) -> Any:
    """``model.predict``; a case its input schema refuses is a case error that is not retried (same input, same no)."""
    from mlflow.exceptions import MlflowException

    try:
        return model.predict(payload, params=params)
    except MlflowException as exc:
        if getattr(exc, "error_class", None) != "SCHEMA_ENFORCEMENT_FAILED":
            raise
        from gatekit.agents.base import AgentCallError
        from gatekit.models import ErrorType

        first = (str(exc.message).strip().splitlines() or [""])[0]
        raise AgentCallError(
            ErrorType.EXCEPTION,
            f"the model's input schema refuses this case (not retried): {scrub_message_cut(first, 400)}",
            retryable=False,
        ) from None


def _interface_of(model: Any) -> str:
    """Which agent interface a loaded pyfunc model implements.

    Models logged from code all have the ``code_model`` loader, so the wrapped object is checked.
    """
    from mlflow.pyfunc import ChatAgent, ChatModel, ResponsesAgent

    impl = getattr(model, "_model_impl", None)
    getter = getattr(impl, "get_raw_model", None)
    raw = getter() if callable(getter) else getattr(impl, "python_model", None)
    if isinstance(raw, ResponsesAgent):
        return "responses_agent"
    if isinstance(raw, ChatAgent):
        return "chat_agent"
    if isinstance(raw, ChatModel):
        return "chat_model"
    flavor = (model.metadata.flavors or {}).get("python_function", {})
    return _INTERFACES.get(str(flavor.get("loader_module", "")), "pyfunc")


def _unwrap(raw: Any) -> Any:
    """Take the single prediction out of a one-row list, Series, array or DataFrame."""
    if hasattr(raw, "to_dict") and hasattr(raw, "columns"):  # DataFrame
        rows = raw.to_dict(orient="records")
        raw = rows[0] if len(rows) == 1 else rows
        if isinstance(raw, dict) and len(raw) == 1 and "output" not in raw:
            raw = next(iter(raw.values()))
        return raw
    if hasattr(raw, "tolist"):  # Series / ndarray
        raw = raw.tolist()
    if isinstance(raw, list | tuple) and len(raw) == 1:
        return raw[0]
    return raw
