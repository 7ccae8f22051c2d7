"""fix18c: the proxy's production-log rows and the decision traces, written by several processes into one file.

The proxy's batched sink finished the rest of a line a full disk had cut on its next write even when another process
(a second proxy, an in-process guard) had appended in between: the rest was glued after the other process's row and
the readers refused the file. The decision-trace sink wrote through an 8 KB text buffer, which the interpreter writes
out in pieces that do not end at line ends: two processes sharing ``governance_traces.jsonl`` glued their lines.
Both now append through :meth:`gatekit.fsio.LogFile.append` (one ``os.write`` of whole lines on ``O_APPEND``; a cut
line is finished only when no other process appended since). Real processes, a real cut write (the child lowers its
own ``RLIMIT_FSIZE``), the real readers (``gatekit canary`` on DuckDB, ``gatekit traces``).
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from concurrent_writers import ENV, WRITER, read_lines, run_together

# the proxy's row sink, batching on a real event loop as in ``gatekit guard serve``
ROWS = textwrap.dedent(
    """
    import asyncio, sys
    from gatekit.runtime.proxy_sinks import RowFile

    path, name, count, width = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    rows = RowFile(path, delay_s=0.001)

    async def main():
        rows.batch.attach(asyncio.get_running_loop())
        for k in range(count):
            tools = [f"{name}-tool-{k}-{j}-" + "x" * 400 for j in range(width)]
            rows.write(request_id=f"{name}-{k}", variant=name, latency_ms=float(k), tool_names=tools,
                       timestamp="2026-03-01T12:00:00Z")
            if k % 7 == 6:
                await asyncio.sleep(0.001)
        rows.batch.attach(None)

    asyncio.run(main())
    rows.close()
    print(rows.rows_written, rows.failures)
    """
)

CUT_ROWS = textwrap.dedent(
    """
    import os, resource, signal, sys
    from gatekit.runtime.proxy_sinks import RowFile

    path = sys.argv[1]
    rows = RowFile(path)  # no loop attached: every row is written at once
    row = dict(variant="canary", latency_ms=10.0, tool_names=["t" * 300], timestamp="2026-03-01T12:00:30Z")
    assert rows.write(request_id="a-1", **row)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit is cut (then EFBIG), no signal death
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    before = os.path.getsize(path)
    resource.setrlimit(resource.RLIMIT_FSIZE, (before + 100, hard))
    rows.write(request_id="a-2", **row)  # the kernel writes 100 bytes of it
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # the disk has room again
    print("cut" if os.path.getsize(path) == before + 100 else "whole", flush=True)
    sys.stdin.readline()  # the other process writes now
    assert rows.write(request_id="a-3", **row)
    rows.close()
    print(rows.rows_written, rows.failures, flush=True)
    """
)

# the decision-trace sink as the guard's background writer drives it: lines kept, flushed once per batch
TRACES = textwrap.dedent(
    """
    import sys
    from gatekit.runtime.sinks import TraceSink

    path, name, count, width = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sink = TraceSink(path)
    for k in range(count):
        record = {"case_id": f"{name}-{k}", "outcome": "allow", "rules": [],
                  "reasons": [f"{name}-{k}-" + "r" * 300 for _ in range(width)]}
        sink.write(record, flush=False)
        if k % 5 == 4:
            sink.flush()
    sink.close()
    print(sink.written, sink.failures)
    """
)

CUT_TRACES = textwrap.dedent(
    """
    import os, resource, signal, sys
    from gatekit.runtime.sinks import TraceSink

    path = sys.argv[1]
    sink = TraceSink(path)
    record = lambda k: {"case_id": f"a-{k}", "outcome": "deny", "rules": [], "reasons": ["r" * 300]}
    assert sink.write(record(1))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (os.path.getsize(path) + 100, hard))
    cut = sink.write(record(2))  # the kernel writes 100 bytes of it
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    print("cut" if not cut else "whole", flush=True)
    sys.stdin.readline()  # the other process writes now
    sink.write(record(3))  # False: the rest of a-2 is dropped (the other process wrote since), counted
    sink.close()
    print(sink.written, sink.failures, flush=True)
    """
)


def test_two_proxies_and_a_guard_appending_rows_at_once_never_glue_them(tmp_path: Path) -> None:
    """Batches of rows of 1-12 KB from two proxy sinks and a guard's writer at once: every line is one whole row."""
    log = tmp_path / "production.jsonl"
    run_together([(ROWS, "proxy1", "300", 3), (ROWS, "proxy2", "300", 30), (WRITER, "guard", "300", 12)], log)
    rows, torn = read_lines(log)
    assert torn == []
    expected = [f"{name}-{k}" for name in ("proxy1", "proxy2", "guard") for k in range(300)]
    assert sorted(r["request_id"] for r in rows) == sorted(expected)
    for row in rows:  # each row's own content, not another's spliced in
        k = row["request_id"].split("-")[1]
        assert all(t.startswith(f"{row['variant']}-tool-{k}-") for t in row["tool_names"])


def test_a_proxy_row_cut_by_a_full_disk_is_never_finished_after_another_process_row(tmp_path: Path) -> None:
    log = tmp_path / "production.jsonl"
    a = subprocess.Popen([sys.executable, "-c", CUT_ROWS, str(log)], env=ENV, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert a.stdout is not None
    assert a.stdout.readline().strip() == "cut"
    b = subprocess.run(
        [sys.executable, "-c", ROWS, str(log), "proxy2", "1", "1"], env=ENV, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert b.returncode == 0 and b.stdout.split() == ["1", "0"], b.stderr
    out, err = a.communicate("go\n", timeout=120)
    assert a.returncode == 0, err
    assert out.split() == ["2", "1"]  # a-1 and a-3 written; a-2 lost, counted

    rows, torn = read_lines(log)
    assert [r["request_id"] for r in rows] == ["a-1", "proxy2-0", "a-3"]  # the other proxy's row is whole
    assert torn == [2]  # only the cut row: its 100 bytes on a line of their own
    assert len(log.read_text(encoding="utf-8").splitlines()[1].encode()) == 100

    proc = subprocess.run(
        [sys.executable, "-m", "gatekit", "canary", "--logs", str(log), "--now", "2026-03-01T12:05:00Z",
         "--out", str(tmp_path / "out"), "--no-mlflow"],
        env=ENV, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{log}:2" in lines[0] and "Traceback" not in proc.stderr, proc.stderr


def test_a_proxy_row_cut_by_a_full_disk_is_finished_when_nobody_wrote_since(tmp_path: Path) -> None:
    log = tmp_path / "production.jsonl"
    a = subprocess.Popen([sys.executable, "-c", CUT_ROWS, str(log)], env=ENV, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert a.stdout is not None
    assert a.stdout.readline().strip() == "cut"
    out, err = a.communicate("go\n", timeout=120)
    assert a.returncode == 0, err
    assert out.split() == ["3", "0"]  # the cut row finished, nothing lost
    rows, torn = read_lines(log)
    assert [r["request_id"] for r in rows] == ["a-1", "a-2", "a-3"] and torn == []


def test_two_processes_writing_traces_at_once_never_glue_lines(tmp_path: Path) -> None:
    """Trace lines of 0.3-9 KB, kept and flushed in batches (the background writer's way), from two processes."""
    traces = tmp_path / "governance_traces.jsonl"
    run_together([(TRACES, "one", "400", 1), (TRACES, "two", "400", 30)], traces)
    records, torn = read_lines(traces)
    assert torn == []
    assert sorted(r["case_id"] for r in records) == sorted([f"one-{k}" for k in range(400)] + [
        f"two-{k}" for k in range(400)
    ])  # fmt: skip
    for record in records:
        assert all(reason.startswith(f"{record['case_id']}-") for reason in record["reasons"])
    proc = subprocess.run([sys.executable, "-m", "gatekit", "traces", str(traces)], env=ENV, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 800


def test_a_trace_line_cut_by_a_full_disk_is_named_by_the_reader_never_glued(tmp_path: Path) -> None:
    traces = tmp_path / "governance_traces.jsonl"
    a = subprocess.Popen([sys.executable, "-c", CUT_TRACES, str(traces)], env=ENV, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert a.stdout is not None
    assert a.stdout.readline().strip() == "cut"
    b = subprocess.run(
        [sys.executable, "-c", TRACES, str(traces), "other", "1", "1"], env=ENV, capture_output=True, text=True,
        timeout=120,
    )  # fmt: skip
    assert b.returncode == 0 and b.stdout.split() == ["1", "0"], b.stderr
    out, err = a.communicate("go\n", timeout=120)
    assert a.returncode == 0, err
    assert out.split() == ["2", "1"]  # a-1 and a-3 on disk; the cut a-2 lost, counted

    records, torn = read_lines(traces)
    assert [r["case_id"] for r in records] == ["a-1", "other-0", "a-3"]  # the other process's line is whole
    assert torn == [2]
    proc = subprocess.run([sys.executable, "-m", "gatekit", "traces", str(traces)], env=ENV, capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"{traces}:2" in lines[0] and "Traceback" not in proc.stderr, proc.stderr
