"""attack17: a gate stopped while publishing leaves no verdict.json that reads as a finished PASS.

verdict.json is written before MLflow logging; a Ctrl-C or SIGTERM there (a slow tracking server) ended
gatekit with 130 / killed it, and verdict.json still said ``pass`` with ``exit_code: 0`` — the run never
logged nor promoted. The tracking server here is a real socket on 127.0.0.1 that accepts and never answers.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO_ROOT, attack_project


@pytest.fixture
def silent_server() -> Iterator[str]:
    """An HTTP tracking 'server' that answers ``GET /health`` (the check before the replay) and never replies else."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            held.append(conn)
            conn.settimeout(5)
            try:
                if conn.recv(4096).startswith(b"GET /health "):
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nOK")
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    listener.close()


def _published(verdict_path: Path) -> bool:
    """verdict.json holds the run's own verdict (not the did-not-finish one written before the replay)."""
    return verdict_path.exists() and "the run did not finish" not in verdict_path.read_text(encoding="utf-8")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_stop_while_publishing_marks_verdict_json_interrupted(
    tmp_path: Path, silent_server: str, sig: signal.Signals
) -> None:
    project = attack_project(tmp_path, [json.dumps({"id": f"c{i}", "input": f"hi {i}"}) for i in range(3)])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = f"{REPO_ROOT}{os.pathsep}{project}"
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:agent16:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml")]
    command += ["--out", "out", "--tracking-uri", silent_server]
    proc = subprocess.Popen(command, cwd=project, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    verdict_path = project / "out" / "verdict.json"
    try:
        deadline = time.monotonic() + 60
        # fix18a: the did-not-finish verdict written before the replay comes first; wait for the run's own
        while not _published(verdict_path) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert proc.poll() is None, proc.communicate()
        first = json.loads(verdict_path.read_text(encoding="utf-8"))
        assert (first["verdict"], first["exit_code"]) == ("pass", 0)  # written before logging to MLflow
        time.sleep(0.5)
        proc.send_signal(sig)
        _out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 130, (proc.returncode, err)  # SIGTERM was -15 with no word
    assert "Traceback" not in err and "interrupted" in err
    final = json.loads(verdict_path.read_text(encoding="utf-8"))
    assert final["exit_code"] == 130, final  # it said exit_code 0
    assert any("interrupted while publishing" in reason for reason in final["reasons"])
    assert final["mlflow"]["run_id"] is None
