"""Hostile agents: python callables (``python:adversarial.hostile_agents:<name>``), a hostile HTTP
server on 127.0.0.1 and a ``cmd:`` worker that leaves a grandchild behind.

Each one reproduces an attack on the gate (the "fail-closed" issue); the tests in this package
run them through the real replay engine, adapters and CLI.
"""

from __future__ import annotations

import asyncio
import gzip
import http.server
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

# --- numbers a gate would sum: negative cost / tokens --------------------------------------


def negative_cost(case_input: Any) -> dict[str, Any]:
    """One case reports a hugely negative cost, to pull ``cost_total_usd`` under any limit."""
    cost = -1000.0 if case_input == "refund me" else 0.5
    return {"output": "ok", "model": "m-test", "usage": {"input_tokens": 5, "output_tokens": 5}, "cost_usd": cost}


def negative_tokens(case_input: Any) -> dict[str, Any]:
    """Negative token counts, to pull ``cost_per_1k_tokens`` and token budgets down."""
    return {"output": "ok", "model": "m-test", "usage": {"input_tokens": -1_000_000, "output_tokens": 5}}


def nan_cost(case_input: Any) -> dict[str, Any]:
    return {"output": "ok", "model": "m-test", "cost_usd": float("nan")}


# --- outputs that crashed the run (exit 3, no verdict) -------------------------------------


class _Unprintable:
    def __str__(self) -> str:
        raise RuntimeError("__str__ refuses")

    __repr__ = __str__


def _deep(levels: int) -> dict[str, Any]:
    node: dict[str, Any] = {}
    root = node
    for _ in range(levels):
        child: dict[str, Any] = {}
        node["a"] = child
        node = child
    return root


def _circular() -> dict[str, Any]:
    loop: dict[str, Any] = {"x": 1}
    loop["self"] = loop
    return loop


HOSTILE_OUTPUTS: dict[str, Any] = {
    "arguments_string": lambda: {"output": "x", "tool_calls": [{"name": "t", "arguments": "rm -rf /"}]},
    "arguments_list": lambda: {"output": "x", "tool_calls": [{"name": "t", "arguments": [1, 2, 3]}]},
    "arguments_900_deep": lambda: {"output": "x", "tool_calls": [{"name": "t", "arguments": _deep(900)}]},
    "arguments_circular": lambda: {"output": "x", "tool_calls": [{"name": "t", "arguments": _circular()}]},
    "arguments_unprintable": lambda: {"output": "x", "tool_calls": [{"name": "t", "arguments": {"v": _Unprintable()}}]},
    "arguments_huge_int": lambda: {"output": "x", "tool_calls": [{"name": "t", "arguments": {"n": 10**5000}}]},
    "prompt_tokens_401_digits": lambda: {"output": "x", "usage": {"prompt_tokens": 10**400}},
    "tokens_10_pow_5000": lambda: {"output": "x", "usage": {"input_tokens": 10**5000}},
    "tokens_infinite": lambda: {"output": "x", "usage": {"output_tokens": float("inf")}},
    "tokens_not_a_number": lambda: {"output": "x", "usage": {"output_tokens": "lots"}},
    "output_unprintable": lambda: {"output": _Unprintable()},
    "model_unprintable": lambda: {"output": "x", "model": _Unprintable()},
    "tool_name_unprintable": lambda: {"output": "x", "tool_calls": [{"name": _Unprintable(), "arguments": {}}]},
}


def hostile_output(case_input: Any) -> Any:
    """Answer with the hostile output named by the case input (a key of ``HOSTILE_OUTPUTS``)."""
    return HOSTILE_OUTPUTS[case_input]()


# --- sync agents that never give their thread back ---------------------------------------


def sleeps_forever(case_input: Any) -> str:
    time.sleep(10**6)
    return "never"


def busy_loops(case_input: Any) -> str:
    n = 0
    while True:
        n += 1


# --- a large output judged while other cases are being timed ------------------------------

BIG_OUTPUT_CHARS = 1_900_000
_WORDS = "lorem ipsum contact someone@example.com card 4111 1111 1111 1111 dolor sit amet "


async def big_output_then_fast(case_input: Any) -> dict[str, Any]:
    """Case ``big`` answers at once with ~1.9 MB full of PII; every other case takes 50 ms."""
    if case_input == "big":
        await asyncio.sleep(0.01)  # back while the other cases are in flight
        text = _WORDS * (BIG_OUTPUT_CHARS // len(_WORDS))
        return {"output": text, "model": "m-test", "cost_usd": 0.0}
    await asyncio.sleep(0.05)
    return {"output": "fast", "model": "m-test", "cost_usd": 0.0}


# --- a hostile HTTP server ----------------------------------------------------------------


def _chat_body(content: str = "ok") -> bytes:
    body = {"choices": [{"message": {"role": "assistant", "content": content}}], "model": "m-test"}
    return json.dumps(body).encode()


_BOMB: dict[int, bytes] = {}


def gzip_bomb(inflated_bytes: int) -> bytes:
    """A valid chat-completions body of ``inflated_bytes`` once gunzipped, far smaller gzipped."""
    if inflated_bytes not in _BOMB:
        head = b'{"model": "m-test", "choices": [{"message": {"role": "assistant", "content": "'
        tail = b'"}}]}'
        raw = head + b"a" * (inflated_bytes - len(head) - len(tail)) + tail
        _BOMB[inflated_bytes] = gzip.compress(raw, compresslevel=6)
    return _BOMB[inflated_bytes]


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: HostileHttpServer

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        length = int(self.headers.get("Content-Length") or 0)
        self.rfile.read(length)
        mode = self.path.strip("/").split("/")[0]
        headers: dict[str, str] = {"Content-Type": "application/json"}
        body = _chat_body()
        if mode == "negative-cost":
            headers["x-litellm-response-cost"] = "-1000000"
        elif mode == "nan-cost":
            headers["x-litellm-response-cost"] = "nan"
        elif mode == "negative-usage":
            payload = json.loads(body)
            payload["usage"] = {"prompt_tokens": -5000, "completion_tokens": 3}
            body = json.dumps(payload).encode()
        elif mode == "gzip-bomb":
            body = gzip_bomb(self.server.bomb_bytes)
            headers["Content-Encoding"] = "gzip"
        elif mode == "huge-plain":
            body = _chat_body("b" * self.server.bomb_bytes)
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class HostileHttpServer(http.server.ThreadingHTTPServer):
    """``/negative-cost/…``, ``/nan-cost/…``, ``/negative-usage/…``, ``/gzip-bomb/…``, ``/huge-plain/…``."""

    daemon_threads = True
    bomb_bytes = 64 * 1024 * 1024

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # the client hung up on a body it refused: expected here

    def url(self, mode: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/{mode}/v1/chat/completions"


@contextmanager
def hostile_http_server() -> Iterator[HostileHttpServer]:
    """A real HTTP server on a free port of 127.0.0.1, served from a thread."""
    server = HostileHttpServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


# --- a cmd: worker that starts a grandchild -----------------------------------------------

CMD_WORKER_WITH_CHILD = """\
import json, subprocess, sys, time
child = subprocess.Popen(["sleep", "300"])
with open(sys.argv[1], "a") as f:
    f.write(f"{child.pid}\\n")
for line in sys.stdin:
    request = json.loads(line)
    if request["input"] == "hang":
        time.sleep(300)
    print(json.dumps({"output": "ok"}), flush=True)
"""


def write_cmd_worker(folder: Path) -> tuple[str, Path]:
    """Write the worker script; return its ``cmd:`` spec and the file its children's pids go to."""
    script = folder / "worker_with_child.py"
    script.write_text(CMD_WORKER_WITH_CHILD, encoding="utf-8")
    pids = folder / "children.txt"
    return f"cmd:{sys.executable} {script} {pids}", pids


def process_alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie waiting to be reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
