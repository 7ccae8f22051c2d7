"""Several processes appending to one production log through ``fsio.LogFile`` leave no blank line between rows.

Without the writers' shared lock, a writer could read the end of another process's write while the kernel was still
copying it in, take it for a cut line and start its own row with a line break: a blank line (seen once in a loaded CI
run, two proxies on one log). This is a stress test: the race is too narrow to reproduce on demand, so it guards
against a regression that makes blank lines common (e.g. a writer skipping the lock), not against the rare one. Real
processes, a real file; rows of 1-64 KiB so that writes span many pages.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

WRITER = r"""
import json, random, sys
from gatekit.fsio import LogFile
log = LogFile(sys.argv[1])
rng = random.Random(int(sys.argv[2]))
for i in range(int(sys.argv[3])):
    log.append(json.dumps({"writer": sys.argv[2], "i": i, "pad": "x" * rng.randint(1024, 65536)}) + "\n")
log.close()
"""


def test_concurrent_writers_leave_no_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "production.jsonl"
    rows = 400
    procs = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(path), str(seed), str(rows)]) for seed in range(3)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # the file ends with a line end
    body = lines[:-1]
    assert [n for n, line in enumerate(body, 1) if not line] == []  # no blank line anywhere
    parsed = [json.loads(line) for line in body]
    assert sorted((r["writer"], r["i"]) for r in parsed) == sorted((str(s), i) for s in range(3) for i in range(rows))
