"""attack21a: an answer that is a mapping with neither ``output`` nor ``tool_calls`` is an ``invalid_response``.

Was a successful, empty answer for every adapter reading gatekit's response shape: an HTTP agent in ``json`` mode
answering ``200 {"error": {"message": "quota exceeded"}}``, a ``cmd:`` worker answering ``{"id": 1, "answer": ...}``
(a typo of ``output``), a ``python:`` agent returning ``{}``. Governance judged an empty output and the case passed
with no error. ``{"output": ""}`` stays the empty answer and ``{"tool_calls": [...]}`` an answer of tool calls only.
"""

from __future__ import annotations

import asyncio
import http.server
import json
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import serve_http

from gatekit.agents import AgentOptions
from gatekit.agents.base import AgentCallError
from gatekit.agents.cmd import CmdAgent
from gatekit.agents.http import HttpAgent
from gatekit.agents.python import PythonAgent
from gatekit.models import ErrorType

ANSWERS: dict[str, Any] = {
    "error": {"error": {"message": "quota exceeded", "type": "insufficient_quota"}},
    "error_text": {"error": "model overloaded"},
    "typo": {"answer": "the refund is approved"},
    "empty": {},
    "empty_output": {"output": ""},
    "calls_only": {"tool_calls": [{"name": "lookup", "arguments": {"id": 1}}]},
}
REFUSED = {
    "error": "an error instead of an answer: quota exceeded",
    "error_text": "an error instead of an answer: model overloaded",
    "typo": "without 'output' or 'tool_calls' (keys: 'answer')",
    "empty": "without 'output' or 'tool_calls' (keys: none)",
}


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        raw = json.dumps(ANSWERS[self.path.strip("/")]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


async def _call(agent: Any) -> Any:
    await agent.start()
    try:
        return await asyncio.wait_for(agent.call("refund?", {}), 30)
    finally:
        await agent.close()


def _check(name: str, ask: Any) -> None:
    if name in REFUSED:
        with pytest.raises(AgentCallError) as caught:  # was: a successful answer with output ""
            asyncio.run(ask())
        assert caught.value.error_type is ErrorType.INVALID_RESPONSE, str(caught.value)
        assert REFUSED[name] in str(caught.value), str(caught.value)
    else:
        answer = asyncio.run(ask())
        assert answer.output == "" and answer.tool_calls == ANSWERS[name].get("tool_calls", [])


@pytest.mark.parametrize("name", list(ANSWERS))
def test_an_http_json_agent_answer_without_output(name: str) -> None:
    with serve_http(_Handler) as port:
        options = AgentOptions(concurrency=1, extra={"mode": "json"})
        _check(name, lambda: _call(HttpAgent(f"http://127.0.0.1:{port}/{name}", options)))


def test_a_cmd_agent_answer_without_output(tmp_path: Path) -> None:
    worker = tmp_path / "worker.py"
    for name in [name for name in ANSWERS if not name.startswith("error")]:  # ({"error"} is the cmd protocol's)
        worker.write_text(
            f"import json, sys\nfor line in sys.stdin:\n    print(json.dumps({ANSWERS[name]!r}), flush=True)\n",
            encoding="utf-8",
        )
        _check(name, lambda: _call(CmdAgent(f"cmd:{sys.executable} {worker}", AgentOptions(concurrency=1))))


def test_a_python_agent_answer_without_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "answers21a.py").write_text(
        "".join(f"def {name}(case_input):\n    return {value!r}\n\n" for name, value in ANSWERS.items()),
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ANSWERS:
        spec = f"python:answers21a:{name}"
        _check(name, lambda spec=spec: _call(PythonAgent(spec, AgentOptions(concurrency=1))))


@pytest.mark.parametrize(
    ("line", "says", "retryable"),
    [
        ({"error": None}, "the agent reported an error without a message", False),  # was the message "None"
        ({"error": "busy", "retryable": "false"}, "busy", False),  # was retried: bool("false") is True
        ({"error": "busy", "retryable": True}, "busy", True),
    ],
)
def test_a_cmd_error_answer(tmp_path: Path, line: dict[str, Any], says: str, retryable: bool) -> None:
    worker = tmp_path / "worker.py"
    worker.write_text(f"import json, sys\nfor l in sys.stdin:\n    print(json.dumps({line!r}), flush=True)\n")
    with pytest.raises(AgentCallError) as caught:
        asyncio.run(_call(CmdAgent(f"cmd:{sys.executable} {worker}", AgentOptions(concurrency=1))))
    assert caught.value.error_type is ErrorType.EXCEPTION
    assert str(caught.value) == says and caught.value.retryable is retryable
