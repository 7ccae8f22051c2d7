"""Agent adapters, resolved from a spec string by its prefix.

Built-in adapters register themselves exactly like a plugin would; third-party
adapters use the ``gatekit.agents`` entry-point group (name = spec prefix, value =
a factory ``(spec, options) -> Agent``). Adding a kind of agent touches one file.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from importlib.metadata import entry_points

from gatekit.agents.base import Agent, AgentCallError, AgentOptions, normalise_response
from gatekit.errors import AgentError
from gatekit.redact import add_credential_env, add_known_secret

AgentFactory = Callable[[str, AgentOptions], Agent]

# prefix -> "module:factory" for built-ins, imported lazily so a spec of one kind
# never pays for the imports of another (aiohttp, mlflow).
_BUILTINS: dict[str, str] = {
    "python:": "gatekit.agents.python:PythonAgent",
    "http://": "gatekit.agents.http:HttpAgent",
    "https://": "gatekit.agents.http:HttpAgent",
    "cmd:": "gatekit.agents.cmd:CmdAgent",
    "models:/": "gatekit.agents.mlflow_model:MlflowModelAgent",
    "runs:/": "gatekit.agents.mlflow_model:MlflowModelAgent",
}
_REGISTRY: dict[str, AgentFactory] = {}
_plugins_loaded = False


def register_agent(prefix: str, factory: AgentFactory) -> None:
    """Register ``factory`` for specs that start with ``prefix``."""
    _REGISTRY[prefix] = factory


def _load_plugins() -> None:
    global _plugins_loaded
    if _plugins_loaded:
        return
    _plugins_loaded = True
    for ep in entry_points(group="gatekit.agents"):
        register_agent(ep.name, ep.load())


def known_prefixes() -> list[str]:
    """Every spec prefix gatekit can resolve."""
    _load_plugins()
    return sorted(set(_BUILTINS) | set(_REGISTRY))


def resolve_agent(spec: str, options: AgentOptions | None = None) -> Agent:
    """Build the adapter for ``spec``; an unknown prefix lists the valid ones."""
    _load_plugins()
    options = options or AgentOptions()
    # the process's credentials (OPENAI_API_KEY, HF_TOKEN ...): an agent echoing one (a traceback, an error body,
    # a cmd: worker's stderr) must not get it written, whether or not api_key_env names it
    add_credential_env()
    if options.api_key_env:
        # masked whatever the adapter: a cmd: worker inherits the environment and may echo the key back
        add_known_secret(os.environ.get(options.api_key_env))
    for prefix, factory in sorted(_REGISTRY.items(), key=lambda kv: -len(kv[0])):
        if spec.startswith(prefix):
            return factory(spec, options)
    for prefix, target in sorted(_BUILTINS.items(), key=lambda kv: -len(kv[0])):
        if spec.startswith(prefix):
            module_name, _, attr = target.partition(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError as exc:
                if exc.name and exc.name.startswith("gatekit.agents"):
                    raise AgentError(f"agent spec {spec!r}: the {prefix!r} adapter is not available yet") from None
                raise
            factory = getattr(module, attr)
            return factory(spec, options)  # type: ignore[no-any-return]
    raise AgentError(
        f"agent spec {spec!r}: unknown kind{_likely_meant(spec)}; use one of {', '.join(known_prefixes())} "
        "(e.g. python:examples.demo_agent:run)"
    )


__all__ = [
    "Agent",
    "AgentCallError",
    "AgentOptions",
    "known_prefixes",
    "normalise_response",
    "register_agent",
    "resolve_agent",
]


def _likely_meant(spec: str) -> str:
    """``" (did you mean python:agent:run?)"`` for a spec that is plainly one kind without its prefix, else ``""``."""
    import re

    if re.fullmatch(r"[A-Za-z_][\w.]*:[A-Za-z_][\w.]*", spec):  # module:function
        return f" (did you mean python:{spec}?)"
    if spec.endswith(".py") and " " not in spec:  # a script: run as a JSON-lines subprocess
        return f" (did you mean cmd:python {spec}? a function in it: python:{spec[:-3].replace('/', '.')}:FUNCTION)"
    if re.match(r"(localhost|\d{1,3}(\.\d{1,3}){3}|[\w.-]+\.\w+):\d+(/|$)", spec):  # host:port without scheme
        return f" (did you mean http://{spec}?)"
    return ""
