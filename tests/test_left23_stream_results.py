"""left23: ``--resume`` and the baseline comparison read results.jsonl in bounded memory.

Both read the file whole and held every parsed row: ``--resume`` of a 100,000-case run of 4 kB rows (405 MB) peaked
at 1,497 MiB, the baseline comparison (the candidate's results.jsonl and the baseline run's) at 2,153 MiB. The rows
are now streamed (``--resume`` reads them twice: what is kept, then each row restored and let go; the comparison
sums each row up per case as it comes). Measured here on a real file in a real subprocess (its peak RSS).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from gatekit.replay import prepare_results, read_results
from gatekit.results import iter_result_rows, read_result_rows

ROWS = 12_000
TEXT = "the order shipped on monday and will arrive in three to five days; " * 110  # ~7.5 kB a row

MEASURE = """
import json, resource, sys
from pathlib import Path
from gatekit.regression import regression_checks
from gatekit.replay import prepare_results, result_from_row
from gatekit.results import iter_result_rows, parse_results
out, mode, rows = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if mode == "resume":  # what the gate does with the rows (gatekit.pipeline.judge)
    order = [(f"c{i}", 0) for i in range(rows)]
    state = prepare_results(out, resume=True, run_id="r", identity={"x": 1}, order=order)
    kept = state.rows() if callable(state.rows) else state.rows  # (before left23: a list)
    restored = sum(1 for row in kept if result_from_row(row))
    assert restored == rows == len(state.finished), (restored, len(state.finished))
else:  # what gatekit.pipeline.checks and gatekit.baseline do (the baseline artifact: a file downloaded)
    path = out / "results.jsonl"
    try:
        from gatekit.baseline import summarise
        from gatekit.sinks.mlflow import run_artifact_file  # noqa: F401 - (left23: the artifact as a file)

        baseline = summarise(iter_result_rows(path))
    except ImportError:  # before left23: the artifact's bytes, parsed whole
        baseline = parse_results(path.read_bytes(), "baseline").rows
    checks = regression_checks(iter_result_rows(path), baseline, {"error_rate": "1pp"})
    assert [c.status.value for c in checks] == ["pass"], checks
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"grew_mib": (after - before) / 1024}))
"""


def _results(out: Path, rows: int = ROWS) -> Path:
    out.mkdir(parents=True, exist_ok=True)
    with open(out / "results.jsonl", "w", encoding="utf-8") as handle:
        for i in range(rows):
            row = {
                "case_id": f"c{i}",
                "repeat": 0,
                "ok": i % 7 != 0,
                "passed": i % 5 != 0,
                "expectations_met": i % 5 != 0,
                "latency_ms": 100.0 + i % 977,
                "cost_usd": 0.001,
                "error_type": None if i % 7 else "http_500",
                "response": {"output": f"{TEXT} {i}", "tool_calls": [], "model": "m"},
                "attempts": [{"attempt": 1, "ok": i % 7 != 0, "latency_ms": 100.0 + i % 977, "cost_usd": 0.001}],
                "decision": {"outcome": "deny" if i % 11 == 0 else "allow", "rules": [], "reasons": [], "redactions": {}},
            }
            handle.write(json.dumps(row) + "\n")
    (out / "replay_state.json").write_text(json.dumps({"run_id": "r", "identity": {"x": 1}}), encoding="utf-8")
    return out / "results.jsonl"


@pytest.mark.slow  # a 90 MB file read back in a subprocess
@pytest.mark.parametrize("mode", ["resume", "baseline"])
def test_reading_results_back_takes_memory_bounded_by_a_row_not_the_file(tmp_path: Path, mode: str) -> None:
    path = _results(tmp_path / "out")
    size_mib = path.stat().st_size / 2**20
    assert size_mib > 80, size_mib
    proc = subprocess.run(
        [sys.executable, "-c", MEASURE, str(tmp_path / "out"), mode, str(ROWS)],
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    grew = json.loads(proc.stdout.strip().splitlines()[-1])["grew_mib"]
    # read whole: the file's bytes and its parsed rows, 3-4 times its size (~300 MiB here); streamed: the
    # keys and per-case summaries of 12,000 cases (a few MiB)
    assert grew < 40, (mode, grew, size_mib)


def test_streamed_reading_keeps_what_the_whole_reading_kept(tmp_path: Path) -> None:
    """The same rows kept, bytes counted and comparison, on a file with a duplicate row, a row out of order and a
    torn last line."""
    path = _results(tmp_path / "out", rows=40)
    lines = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(b"".join([*lines[:10], lines[3], *lines[10:20], lines[25], *lines[20:], b'{"case_id": "c4']))
    whole, good, torn = read_results(path)
    firsts = [*range(20), 25, *range(20, 25), *range(26, 40)]  # each case's first row, in file order
    assert [r["case_id"] for r in whole] == [f"c{i}" for i in firsts] and torn == len(b'{"case_id": "c4')
    state = prepare_results(tmp_path / "out", resume=True, run_id="r", identity={"x": 1}, order=None)
    assert (state.kept, state.good_bytes, state.torn_bytes) == (40, good, torn)
    assert list(state.rows()) == whole
    order = [(f"c{i}", 0) for i in range(40)]
    prefix, good_prefix, _ = read_results(path, order)
    ordered = prepare_results(tmp_path / "out", resume=True, run_id="r", identity={"x": 1}, order=order)
    assert [r["case_id"] for r in prefix] == [f"c{i}" for i in range(10)]  # up to the repeated c3
    assert ordered.kept == 10 and ordered.good_bytes == good_prefix and list(ordered.rows()) == prefix
    from gatekit.regression import regression_checks, summarise

    rows = read_result_rows(path)
    limits = {"error_rate": "1pp", "pass_rate": "1pp", "latency_p95_ms": "20%"}
    assert regression_checks(iter_result_rows(path), summarise(iter_result_rows(path)), limits) == regression_checks(
        rows, rows, limits
    )


BOOT = """
import resource, sys
import numpy as np
from gatekit.paired import paired_bootstrap
n, n_boot = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(1)
cand, base = list(rng.gamma(2, 100, n)), list(rng.gamma(2, 100, n))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
paired_bootstrap(cand, base, "p95", relative=True, n_boot=n_boot)
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""


@pytest.mark.slow  # 1,000 resamples of 50,000 cases
def test_the_paired_bootstrap_of_a_large_run_takes_bounded_memory() -> None:
    """The latency / cost comparison resampled all n_boot x n pairs at once: 24 bytes each (the indices and two
    gathers), 1.2 GB for 50,000 cases at 1,000 resamples (4.8 GB for 100,000 at the default 2,000)."""
    proc = subprocess.run(
        [sys.executable, "-c", BOOT, "50000", "1000"],
        env={"PYTHONPATH": str(REPO_ROOT), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert float(proc.stdout.strip()) < 200, proc.stdout


@pytest.mark.parametrize("n", [2, 37, 4001])
@pytest.mark.parametrize("statistic", ["mean", "sum", "p95"])
def test_the_bootstrap_drawn_in_blocks_is_the_bootstrap_drawn_at_once(
    n: int, statistic: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same resamples and the same interval, whatever the block (one resample a block, or all at once)."""
    import numpy as np

    from gatekit import paired

    rng = np.random.default_rng(n)
    cand, base = list(rng.gamma(2, 100, n)), list(rng.gamma(2, 100, n))
    found = {}
    for block_values in (1, 10 * n + 1, 10**12):  # one resample per block, ten, all of them
        monkeypatch.setattr(paired, "_BOOT_BLOCK_VALUES", block_values)
        found[block_values] = [
            paired.paired_bootstrap(cand, base, statistic, relative=rel, n_boot=200, seed=4) for rel in (False, True)
        ]
    assert found[1] == found[10 * n + 1] == found[10**12], found
