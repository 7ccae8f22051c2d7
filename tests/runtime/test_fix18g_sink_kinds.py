"""fix18g: ``gatekit guard serve --log-to`` / ``--trace-to`` naming a FIFO, a device or a folder is exit 2 at start.

Inputs a user names are regular files only (attack18d); the two outputs of ``guard serve`` were accepted whatever
they were, so a FIFO with no reader blocked the writer and a device (``/dev/null``) swallowed every row.
One line naming the flag and the path, exit 2, before anything is served.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from runtime.proxy_harness import kill_if_running, serve_process

POLICY = str(Path(__file__).parents[2] / "policies" / "default.yaml")


@pytest.mark.parametrize("flag", ["--log-to", "--trace-to"])
@pytest.mark.parametrize("kind", ["fifo", "device", "folder", "link-to-fifo"])
def test_a_sink_that_is_no_regular_file_is_exit_2_naming_flag_and_path(tmp_path: Path, flag: str, kind: str) -> None:
    if kind in ("fifo", "link-to-fifo"):
        target = tmp_path / "rows.pipe"
        os.mkfifo(target)
        if kind == "link-to-fifo":
            (tmp_path / "rows.jsonl").symlink_to(target)
            target = tmp_path / "rows.jsonl"
    elif kind == "device":
        target = Path("/dev/null")
    else:
        target = tmp_path / "logs"
        target.mkdir()
    proc = serve_process(
        "--upstream", "http://127.0.0.1:9/v1", "--policy", POLICY, "--port", "0", flag, str(target), verbose=False
    )  # fmt: skip
    try:
        out, err = proc.communicate(timeout=30)
    finally:
        kill_if_running(proc)
    assert proc.returncode == 2, (out, err)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and "Traceback" not in err, err
    assert flag in lines[0] and str(target) in lines[0], lines
    assert ("regular file" in lines[0]) if kind != "folder" else ("folder" in lines[0]), lines
