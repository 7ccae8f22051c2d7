"""attack21a: a ``cmd:`` worker (untrusted code) does not get the gate's own credentials in its environment.

Every worker inherited gatekit's whole environment: ``MLFLOW_TRACKING_TOKEN`` (what the gate logs to MLflow with),
``MLFLOW_TRACKING_PASSWORD``, ``GATEKIT_REDACTION_KEY``... An agent echoing its environment (a debugging tool call,
a compromised dependency) handed them to whatever reads its answers. Now they are dropped, the key ``api_key_env``
names is kept (the agent's own), and ``extra.env`` gives a variable back by name: ``"${MLFLOW_TRACKING_TOKEN}"``.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path

import pytest
from conftest import attack_gate, attack_project, one_line_exit_2

from gatekit.agents import AgentOptions
from gatekit.agents.cmd import CmdAgent

ENV_WORKER = """
import json, os, sys
for line in sys.stdin:
    request = json.loads(line)
    names = [n for n in sorted(os.environ) if n.startswith(("MLFLOW_TRACKING_", "GATEKIT_", "A21A_", "FORWARDED_"))]
    print(json.dumps({"id": request["id"], "output": json.dumps({n: os.environ[n] for n in names})}), flush=True)
"""
TOKEN = "mlflow-token-a21a-0123456789abcdef"
PASSWORD = "mlflow-password-a21a-9876543210"


def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    """No MLFLOW_TRACKING_* / GATEKIT_* variable but the test's own (earlier tests in the process may set some)."""
    import os

    for name in list(os.environ):
        if name.startswith(("MLFLOW_TRACKING_", "GATEKIT_")):
            monkeypatch.delenv(name)


def _environment_seen(tmp_path: Path, options: AgentOptions) -> dict[str, str]:
    worker = tmp_path / "env_worker.py"
    worker.write_text(ENV_WORKER, encoding="utf-8")

    async def ask() -> str:
        agent = CmdAgent(f"cmd:{sys.executable} {worker}", options)
        await agent.start()
        try:
            return (await asyncio.wait_for(agent.call("env?", {}), 30)).output
        finally:
            await agent.close()

    return dict(json.loads(asyncio.run(ask())))


def test_the_gate_credentials_are_not_in_a_worker_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _clean(monkeypatch)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", PASSWORD)
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "gate-bot")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000")
    monkeypatch.setenv("GATEKIT_REDACTION_KEY", "redaction-key-a21a-abcdef")
    monkeypatch.setenv("GATEKIT_AGENT_KEY", "agent-key-a21a-0000")
    monkeypatch.setenv("A21A_PLAIN", "kept")
    seen = _environment_seen(tmp_path, AgentOptions(concurrency=1, api_key_env="GATEKIT_AGENT_KEY"))
    # was: every one of them, the token and password included
    assert seen == {
        "A21A_PLAIN": "kept",  # anything else is inherited as before
        "GATEKIT_AGENT_KEY": "agent-key-a21a-0000",  # the agent's own key (api_key_env), whatever its name
        "MLFLOW_TRACKING_URI": "http://127.0.0.1:5000",  # where to log, not a credential
    }, seen


def test_extra_env_gives_a_dropped_variable_back_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from gatekit.redact import scrub

    _clean(monkeypatch)
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", TOKEN)
    # (FORWARDED_PLAIN holds no ${NAME}: kept as written)
    extra = {
        "env": {"MLFLOW_TRACKING_TOKEN": "${MLFLOW_TRACKING_TOKEN}", "FORWARDED_PLAIN": "literal $HOME and {braces}"}
    }
    seen = _environment_seen(tmp_path, AgentOptions(concurrency=1, extra=extra))
    assert seen == {"MLFLOW_TRACKING_TOKEN": TOKEN, "FORWARDED_PLAIN": "literal $HOME and {braces}"}, seen
    assert TOKEN not in scrub(f"the agent said {TOKEN}")  # given back, it is still a secret gatekit never writes


def test_an_unset_variable_in_extra_env_is_one_line_exit_2(tmp_path: Path) -> None:
    (tmp_path / "env_worker.py").write_text(ENV_WORKER, encoding="utf-8")
    project = attack_project(tmp_path, [json.dumps({"id": "c1", "input": "hi"})])
    (project / "gatekit.yaml").write_text(
        "agent_options:\n  extra:\n    env: {MLFLOW_TRACKING_TOKEN: '${A21A_NOT_SET}'}\n", encoding="utf-8"
    )
    proc = attack_gate(project, "--out", "out", "--no-mlflow", agent=f"cmd:{sys.executable} env_worker.py")
    line = one_line_exit_2(proc)
    assert "extra.env.MLFLOW_TRACKING_TOKEN" in line and "A21A_NOT_SET is not set" in line, line
