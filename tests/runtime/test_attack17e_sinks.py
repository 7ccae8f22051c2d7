"""attack17e on what the proxy writes: a write that fails part way never leaves a torn line in the log.

The proxy's batched sinks (``RowFile`` / ``TraceFile`` over ``JsonlBatch``) write each batch with ``write(2)``.
When the disk filled (here: a file-size limit in a real subprocess) part way through a line, the half line stayed
in the file and the next batch was appended right after it: one line glued of two rows, the second row counted
written but unreadable, and DuckDB refused the whole production log (``file:3: not valid JSON``) — one transient
full disk took every row out of drift and canary. Now the rest of the cut line is written first next time.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_SCRIPT = r"""
import json, resource, signal, sys
from gatekit.runtime.proxy_sinks import RowFile
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # over the limit: write(2) fails with EFBIG, as on a full disk
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
rows = RowFile(sys.argv[1])
resource.setrlimit(resource.RLIMIT_FSIZE, (1500, hard))  # room for two rows and part of a third
for i in range(5):
    rows.write(request_id=f"full-{i}", latency_ms=float(i))
    rows.batch.flush()
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space freed
for i in range(3):
    rows.write(request_id=f"after-{i}", latency_ms=10.0)
    rows.batch.flush()
rows.close()
print(json.dumps({"written": rows.rows_written, "failures": rows.failures}))
"""


def test_a_write_cut_by_a_full_disk_leaves_no_torn_line(tmp_path: Path) -> None:
    from gatekit.production.engine import FeatureColumn, FileSource, get_engine

    path = tmp_path / "rows.jsonl"
    done = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(path)],
        capture_output=True, text=True, timeout=120, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout.strip().splitlines()[-1])
    lines = path.read_bytes().split(b"\n")
    assert lines[-1] == b""  # the file ends with a whole line
    ids = [json.loads(line)["request_id"] for line in lines[:-1]]  # every line is a row
    # the row the limit cut is finished, the two refused wait in memory and go first once the space came back
    # (fix18c: the proxy's sinks append through gatekit.fsio.LogFile, as the production-log writer does)
    assert ids == ["full-0", "full-1", "full-2", "full-3", "full-4", "after-0", "after-1", "after-2"]
    assert counts == {"written": 8, "failures": 0}  # the counts are the file's
    with get_engine("duckdb") as engine:  # the real reader takes the whole file
        source = FileSource((str(path),), "jsonl", {"latency_ms": "latency_ms"}, label=str(path))
        table = engine.open_files(source, [FeatureColumn("latency_ms", "numeric")])
        assert engine.count_rows(table)[0] == 8


_GUARD_SCRIPT = r"""
import json, resource, signal, sys
from gatekit.runtime import Enforcer
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
folder = sys.argv[1]
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
guard = Enforcer.from_file(sys.argv[2], trace_to=f"{folder}/traces.jsonl", log_to=f"{folder}/rows.jsonl")
resource.setrlimit(resource.RLIMIT_FSIZE, (3000, hard))  # the disk fills part way through a line
def serve(n):
    for _ in range(n):
        with guard.request("Where is my order?", {"user": "u-1"}) as scope:
            scope.check_request()
            scope.check_response("It ships tomorrow.")
serve(6)
try:
    guard.close()  # the application shutting down its guard on a full disk
    closed = "ok"
except BaseException as exc:
    closed = type(exc).__name__
failures = guard.stats()["sink_failures"]
resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))  # space freed; the guard serves on
serve(3)
guard.close()
print(json.dumps({"closed": closed, "failures": failures}))
"""


def test_closing_the_guard_on_a_full_disk_never_raises_nor_tears_a_line(tmp_path: Path) -> None:
    """``Enforcer.close()`` raised ``OSError: File too large`` into the application; the line cut was then glued to
    the next row written after the space came back (the readers refuse the whole file)."""
    from gatekit.production.engine import FeatureColumn, FileSource, get_engine

    done = subprocess.run(
        [sys.executable, "-c", _GUARD_SCRIPT, str(tmp_path), str(REPO / "policies" / "default.yaml")],
        capture_output=True, text=True, timeout=120, cwd=REPO, env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    outcome = json.loads(done.stdout.strip().splitlines()[-1])
    assert outcome["closed"] == "ok" and outcome["failures"] > 0  # counted, not raised
    for name in ("rows.jsonl", "traces.jsonl"):
        data = (tmp_path / name).read_bytes()
        assert data.endswith(b"\n"), name
        records = [json.loads(line) for line in data.splitlines()]  # every line whole
        assert records, name
    rows = [json.loads(line) for line in (tmp_path / "rows.jsonl").read_text(encoding="utf-8").splitlines()]
    assert len(rows) == 9 and len({row["request_id"] for row in rows}) == 9  # none lost, none twice
    with get_engine("duckdb") as engine:
        path = tmp_path / "rows.jsonl"
        source = FileSource((str(path),), "jsonl", {"latency_ms": "latency_ms"}, label=str(path))
        assert engine.count_rows(engine.open_files(source, [FeatureColumn("latency_ms", "numeric")]))[0] == 9
