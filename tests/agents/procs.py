"""Start the test agent server as a real process and stop it again."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

AGENTS_DIR = Path(__file__).resolve().parent
HTTP_SERVER = AGENTS_DIR / "http_agent_server.py"
CMD_AGENT = AGENTS_DIR / "cmd_agent.py"


class HttpAgentServer:
    """A running ``http_agent_server.py`` process."""

    def __init__(self, proc: subprocess.Popen[str], port: int) -> None:
        self.proc = proc
        self.port = port
        self.base = f"http://127.0.0.1:{port}"

    def url(self, mode: str = "ok", **query: Any) -> str:
        qs = "&".join(f"{k}={v}" for k, v in query.items())
        return f"{self.base}/{mode}/v1/chat/completions" + (f"?{qs}" if qs else "")

    def stats(self) -> dict[str, Any]:
        with urllib.request.urlopen(self.base + "/stats", timeout=5) as resp:
            return json.loads(resp.read())  # type: ignore[no-any-return]


@contextmanager
def http_agent_server(seed: int = 1, *flags: str) -> Iterator[HttpAgentServer]:
    """Start the server on a free port of 127.0.0.1 and yield it once it listens."""
    proc = subprocess.Popen(
        [sys.executable, str(HTTP_SERVER), "--port", "0", "--seed", str(seed), *flags],
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        if not line.startswith("READY "):
            raise RuntimeError(f"agent server did not start: {line!r}")
        yield HttpAgentServer(proc, int(line.split()[1]))
    finally:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=10)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
