"""attack21r: the guard writes no credential of its process's environment that an agent echoed.

``OPENAI_API_KEY`` in the app's environment, echoed by the agent into a tool name, a tool call's arguments and id,
the model and the output, reached the decision traces (rule reasons, ``actions.tool_names``, the context) and the
production-log row as it was: no detector knows its shape. The enforcer now registers every variable named like a
credential as a known secret when it is built.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import REPO_ROOT

from gatekit.runtime import Enforcer

KEY = "ZQguardEnvKey5566abcdef"


def test_an_environment_credential_echoed_by_the_agent_is_in_no_trace_or_row(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    traces, rows = tmp_path / "traces.jsonl", tmp_path / "production.jsonl"
    guard = Enforcer.from_file(REPO_ROOT / "policies" / "default.yaml", log_to=rows, trace_to=traces, mode="evaluate")
    with guard.request(f"hi {KEY}", {"user": KEY}) as req:
        req.check_request()
        call = {"name": f"lookup_{KEY}", "id": f"call_{KEY}", "arguments": {"q": KEY}}
        answered = req.check_response(f"the key is {KEY}", tool_calls=[call], model=f"m-{KEY}")
    guard.close()
    assert KEY in str(answered)  # evaluate mode: the answer handed back is the agent's own
    written = traces.read_text(encoding="utf-8") + rows.read_text(encoding="utf-8")
    assert "retail-tools" in written and "[GENERIC_SECRET]" in written  # the tool was judged, and shown masked
    assert KEY not in written
