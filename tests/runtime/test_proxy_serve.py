"""``gatekit guard serve`` as users run it: a real subprocess, its port, its health, SIGTERM, bad flags."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from adversarial.hostile_inputs import yaml_alias_bomb
from conftest import free_port, wait_http
from runtime.chat_upstream import ChatUpstream, chat_upstream
from runtime.proxy_harness import DEFAULT_POLICY, REPO, chat, kill_if_running, request, serve_process

KEY = "sk-live-proxykey-5c0ffee5c0ffee5c0ffee"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def upstream() -> Iterator[ChatUpstream]:
    with chat_upstream() as server:
        yield server


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_serve_answers_on_its_port_and_stops_cleanly_on_sigterm(upstream: ChatUpstream, tmp_path: Path) -> None:
    port = free_port()
    rows, traces = tmp_path / "rows.jsonl", tmp_path / "traces.jsonl"
    proc = serve_process(
        "--upstream", upstream.url, "--policy", str(DEFAULT_POLICY), "--port", str(port),
        "--log-to", str(rows), "--trace-to", str(traces), "--variant", "canary", "--context", "env=production",
        env_key=KEY,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
        base = f"http://127.0.0.1:{port}"
        plain = chat(base, "plain", headers={"Authorization": "Bearer client-secret-token"})
        pii = chat(base, "pii", stream=True)
        denied = chat(base, "forbidden-tool")
        crashed = chat(base, "crash")
        echoed = chat(base, "echo-auth")
        metrics = request(f"{base}/metrics", method="GET").body.decode()
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=20)
    finally:
        kill_if_running(proc)
    assert proc.returncode == 0, err
    assert not _port_open(port)  # the port is released
    assert f"serving http://127.0.0.1:{port}/v1/chat/completions" in err and "gatekit guard: stopped" in err
    assert (plain.status, pii.status, denied.status, crashed.status, echoed.status) == (200, 200, 403, 502, 403)
    assert upstream.received[0]["authorization"] == f"Bearer {KEY}"
    assert 'gatekit_guard_decisions_total{outcome="deny",rule="retail-tools",stage="tool_call"} 1.0' in metrics
    # the key (and the client's token) appear in no log line, row, trace, metric or answer
    written = [out, err, metrics, rows.read_text(), traces.read_text()]
    written += [a.body.decode() for a in (plain, pii, denied, crashed, echoed)]
    for text in written:
        assert KEY not in text and "5c0ffee5c0ffee" not in text and "client-secret-token" not in text
    lines = rows.read_text().splitlines()
    assert len(lines) == 5
    assert {json.loads(line)["env"] for line in lines} == {"production"}


def test_sigterm_lets_a_request_in_flight_finish(upstream: ChatUpstream) -> None:
    import threading

    port = free_port()
    proc = serve_process("--upstream", upstream.url, "--policy", str(DEFAULT_POLICY), "--port", str(port))
    answers = []
    upstream.release.clear()  # the upstream holds the request until the proxy has its SIGTERM (no 0.4 s guess)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
        before = len(upstream.received)
        worker = threading.Thread(target=lambda: answers.append(chat(f"http://127.0.0.1:{port}", "held")))
        worker.start()
        deadline = time.monotonic() + 60
        while len(upstream.received) == before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(upstream.received) == before + 1  # the request is at the upstream now
        proc.send_signal(signal.SIGTERM)
        while _port_open(port) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert not _port_open(port)  # stopping: no new connections, and the held request is still in flight
        upstream.release.set()
        worker.join(20)
        proc.communicate(timeout=20)
    finally:
        upstream.release.set()
        kill_if_running(proc)
    assert proc.returncode == 0
    assert answers and answers[0].status == 200
    assert answers[0].json()["choices"][0]["message"]["content"] == "late but whole"


def test_the_port_in_use_is_a_usage_error(upstream: ChatUpstream) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        proc = serve_process("--upstream", upstream.url, "--policy", str(DEFAULT_POLICY), "--port", str(port))
        out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("flags", "says"),
    [
        (["--upstream", "ftp://example.com", "--policy", "POLICY"], "--upstream"),
        (["--upstream", "http://user:pw@127.0.0.1:1/v1", "--policy", "POLICY"], "no credentials in the URL"),
        (["--upstream", "http://127.0.0.1:1/v1", "--policy", "POLICY", "--on-deny", "ignore"], "--on-deny"),
        (["--upstream", "http://127.0.0.1:1/v1", "--policy", "POLICY", "--mode", "audit"], "--mode"),
        (["--upstream", "http://127.0.0.1:1/v1", "--policy", "POLICY", "--context", "noequals"], "--context"),
        (["--upstream", "http://127.0.0.1:1/v1", "--policy", "missing.yaml"], "missing.yaml"),
        (["--upstream", "http://127.0.0.1:1/v1", "--policy", "BOMB"], "bomb.yaml"),
        (["--upstream", "http://127.0.0.1:1/v1", "--policy", "POLICY", "--max-in-flight", "0"], "--max-in-flight"),
        (["--upstream", "http://127.0.0.1:1/v1", "--policy", "POLICY", "--read-timeout", "0"], "--read-timeout"),
        (["--upstream", "http://127.0.0.1:1/v1", "--policy", "POLICY", "--idle-timeout", "-1"], "--idle-timeout"),
    ],
)
def test_bad_configuration_is_one_line_and_exit_2(tmp_path: Path, flags: list[str], says: str) -> None:
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(yaml_alias_bomb())  # a hostile policy file: refused, not expanded
    flags = [str(DEFAULT_POLICY) if f == "POLICY" else str(bomb) if f == "BOMB" else f for f in flags]
    started = time.monotonic()
    proc = serve_process(*flags, "--port", str(free_port()))
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2, err
    assert says in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert "pw@" not in err
    assert time.monotonic() - started < 30


def test_guard_help_lists_serve_without_heavy_imports() -> None:
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom gatekit.cli import app\n"
        "r = CliRunner().invoke(app, ['guard', 'serve', '--help'])\nassert r.exit_code == 0, r.output\n"
        "assert '--upstream' in r.output and '--on-deny' in r.output\n"
        "heavy = sorted(m for m in ('aiohttp', 'prometheus_client', 'mlflow', 'pandas', 'scipy') if m in sys.modules)\n"
        "print(heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
