"""The enforcing proxy served for real in a thread of its own (its own event loop, an ephemeral port),
and a small blocking HTTP client for the tests to talk to it like any other client would.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gatekit.runtime.proxy import GuardProxy, ProxySettings

REPO = Path(__file__).resolve().parents[2]
DEFAULT_POLICY = REPO / "policies" / "default.yaml"


def serve_process(*flags: str, env_key: str | None = None, verbose: bool = True) -> subprocess.Popen[str]:
    """``gatekit guard serve FLAGS`` as users run it: a real process in its own group, output piped.

    ``OPENAI_API_KEY`` is the upstream key only when ``env_key`` gives one (never inherited from the test's
    environment); ``verbose`` adds ``-vv``.
    """
    env = {k: v for k, v in os.environ.items() if k != "OPENAI_API_KEY"}
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    if env_key is not None:
        env["OPENAI_API_KEY"] = env_key
    return subprocess.Popen(
        [sys.executable, "-m", "gatekit", *(["-vv"] if verbose else []), "guard", "serve", *flags],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,
    )


def kill_if_running(proc: subprocess.Popen[str]) -> None:
    """SIGKILL the process group of a ``serve_process`` that did not stop by itself (a failed test's cleanup)."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


@dataclass
class Answer:
    """One HTTP answer: status, headers (lower-case names), body bytes."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    def events(self) -> list[Any]:
        """The data of each server-sent event, JSON-decoded ([DONE] stays the string)."""
        assert self.headers.get("content-type", "").startswith("text/event-stream"), self.headers
        out: list[Any] = []
        for block in self.body.decode().split("\n\n"):
            if block.startswith("data: "):
                data = block[len("data: ") :]
                out.append(data if data == "[DONE]" else json.loads(data))
        return out


def request(
    url: str, body: Any = None, *, raw: bytes | None = None, headers: dict[str, str] | None = None, method: str = "POST"
) -> Answer:
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    for name, value in (headers or {}).items():
        req.add_header(name, value)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return Answer(resp.status, {k.lower(): v for k, v in resp.headers.items()}, resp.read())
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, {k.lower(): v for k, v in exc.headers.items()}, exc.read())


def chat(base: str, model: str, text: str = "Where is my order W123?", *, stream: bool = False, **extra: Any) -> Answer:
    headers = extra.pop("headers", None)
    body = {"model": model, "messages": [{"role": "user", "content": text}], **extra}
    if stream:
        body["stream"] = True
    return request(f"{base}/v1/chat/completions", body, headers=headers)


def reassemble(events: list[Any]) -> dict[str, Any]:
    """What an OpenAI client builds from the chunks: content and tool calls of choice 0."""
    content = ""
    calls: dict[int, dict[str, Any]] = {}
    finish = None
    for event in events:
        if event == "[DONE]" or "error" in event:
            continue
        for choice in event["choices"]:
            delta = choice["delta"]
            content += delta.get("content") or ""
            for call in delta.get("tool_calls") or []:
                slot = calls.setdefault(call["index"], {"name": "", "arguments": ""})
                slot["name"] += call.get("function", {}).get("name") or ""
                slot["arguments"] += call.get("function", {}).get("arguments") or ""
            finish = choice.get("finish_reason") or finish
    return {"content": content, "tool_calls": [calls[i] for i in sorted(calls)], "finish_reason": finish}


class ProxyThread:
    """A :class:`GuardProxy` serving on 127.0.0.1 from its own thread and event loop."""

    def __init__(self, proxy: GuardProxy) -> None:
        self.proxy = proxy
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        try:
            self.port = self._loop.run_until_complete(self.proxy.start("127.0.0.1", 0))
        except BaseException as exc:  # noqa: BLE001 - reported to the test thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self.proxy.stop())
        self._loop.close()

    def start(self) -> ProxyThread:
        self._thread.start()
        self._ready.wait(30)
        if self._error is not None:
            raise self._error
        return self

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)


@contextmanager
def serving(upstream: str, policy: Path = DEFAULT_POLICY, **settings: Any) -> Iterator[ProxyThread]:
    """A proxy in front of ``upstream`` with ``policy`` (a real Enforcer, key from the environment), stopped on exit."""
    settings.setdefault("upstream_key_env", "GATEKIT_TEST_NO_KEY")
    proxy = GuardProxy.from_settings(ProxySettings(upstream=upstream, policy=policy, port=0, **settings))
    server = ProxyThread(proxy).start()
    try:
        yield server
    finally:
        server.stop()
