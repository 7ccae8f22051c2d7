"""fix18b: two processes appending production rows to one log.

A row write cut short (a full disk, a file-size limit) left the rest of the row in the writer's buffer: another
process's next row was glued to the cut one (its row lost) and the rest came out later as a stray fragment. Now
every row is one ``os.write`` of a whole line on an ``O_APPEND`` descriptor (nothing is left to write later), and a
writer that finds the file ending inside a line starts its row on a new line, so only the cut row is lost.
The cut is real: the child lowers its own ``RLIMIT_FSIZE`` so the kernel cuts the ``write``; the readers are the
real ``gatekit canary`` on DuckDB.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from concurrent_writers import ENV, WRITER, read_lines, run_together

CUT = textwrap.dedent(
    """
    import os, resource, signal, sys
    from gatekit.production.writer import ProductionLogWriter

    path = sys.argv[1]
    log = ProductionLogWriter(path)
    row = dict(variant="canary", latency_ms=10.0, tool_names=["t" * 300], timestamp="2026-03-01T12:00:30Z")
    assert log.write(request_id="a-1", **row)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit is cut (then EFBIG), no signal death
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(path) + 100, hard))
    cut = log.write(request_id="a-2", **row)  # the kernel writes 100 bytes of it
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # the disk has room again
    print("cut" if not cut else "whole", flush=True)
    sys.stdin.readline()  # the other process writes its row now
    assert log.write(request_id="a-3", **row)
    log.close()
    print(log.rows_written, log.failures, flush=True)
    """
)


def test_two_processes_appending_at_once_never_interleave(tmp_path: Path) -> None:
    """Rows of 1-12 KB (across the 8 KB buffer size) from two processes at once: every line is one whole row."""
    log = tmp_path / "production.jsonl"
    run_together([(WRITER, "baseline", "400", 3), (WRITER, "canary", "400", 30)], log)
    rows, torn = read_lines(log)
    assert torn == []
    ids = sorted(r["request_id"] for r in rows)
    assert ids == sorted([f"baseline-{k}" for k in range(400)] + [f"canary-{k}" for k in range(400)])
    for row in rows:  # each row's own content, not another's spliced in
        k = row["request_id"].split("-")[1]
        assert all(t.startswith(f"{row['variant']}-tool-{k}-") for t in row["tool_names"])


def test_a_cut_row_does_not_swallow_the_next_process_row(tmp_path: Path) -> None:
    log = tmp_path / "production.jsonl"
    a = subprocess.Popen([sys.executable, "-c", CUT, str(log)], env=ENV, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert a.stdout is not None and a.stdin is not None
    assert a.stdout.readline().strip() == "cut"
    b = subprocess.run(
        [sys.executable, "-c", WRITER, str(log), "baseline", "1", "1"], env=ENV, capture_output=True, text=True,
        timeout=120,
    )
    assert b.returncode == 0 and b.stdout.split() == ["1", "0"], b.stderr
    out, err = a.communicate("go\n", timeout=120)
    assert a.returncode == 0, err
    assert out.split() == ["2", "1"]  # a-1 and a-3 written, a-2 counted as a failure

    rows, torn = read_lines(log)
    assert [r["request_id"] for r in rows] == ["a-1", "baseline-0", "a-3"]  # the other process's row is whole
    assert torn == [2]  # only the cut row: its 100 bytes on a line of their own
    text = log.read_text(encoding="utf-8").splitlines()
    assert text[1].startswith('{"schema_version":1') and len(text[1].encode()) == 100

    # the readers: the torn line is named by file and line (exit 2), never read as a row or skipped
    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "canary", "--logs", str(log), "--now", "2026-03-01T12:05:00Z",
         "--out", str(tmp_path / "out"), "--no-mlflow"],
        env=ENV, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{log}:2" in lines[0] and "Traceback" not in proc.stderr, proc.stderr
