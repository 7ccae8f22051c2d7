"""attack16: ``gatekit guard serve --log-to`` / ``--trace-to`` that can never be written are exit 2 at start.

A directory (``--log-to /``) or a path under a file started the proxy, which then served every request
without a production-log row (one warning, a counter): the canary downstream saw no canary traffic at all.
A path whose folder does not exist yet still starts (the folder is created).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import free_port, wait_http
from runtime.proxy_harness import kill_if_running, serve_process


@pytest.mark.parametrize("flag", ["--log-to", "--trace-to"])
@pytest.mark.parametrize("where", ["directory", "under-a-file"])
def test_an_unwritable_sink_path_is_exit_2_naming_the_flag(tmp_path: Path, flag: str, where: str) -> None:
    (tmp_path / "a-file").write_text("x", encoding="utf-8")
    target = tmp_path if where == "directory" else tmp_path / "a-file" / "rows.jsonl"
    proc = serve_process(
        "--upstream", "http://127.0.0.1:9/v1", "--policy", str(Path(__file__).parents[2] / "policies" / "default.yaml"),
        "--port", "0", flag, str(target), verbose=False,
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=20)
    finally:
        kill_if_running(proc)
    assert proc.returncode == 2, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and flag in lines[0] and str(target) in lines[0] and "Traceback" not in err, lines


def test_a_sink_in_a_folder_that_does_not_exist_yet_still_starts(tmp_path: Path) -> None:
    rows = tmp_path / "new" / "folder" / "rows.jsonl"
    port = free_port()
    proc = serve_process(
        "--upstream", "http://127.0.0.1:9/v1", "--policy", str(Path(__file__).parents[2] / "policies" / "default.yaml"),
        "--port", str(port), "--log-to", str(rows), verbose=False,
    )  # fmt: skip
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout_s=60)
        proc.terminate()
        proc.communicate(timeout=20)
    finally:
        kill_if_running(proc)
    assert proc.returncode == 0
