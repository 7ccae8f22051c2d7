"""fix22: a gate refusing a Parquet dataset ended now and then with SIGABRT (exit 134, "terminate called without an
active exception") instead of exit 2: pyarrow's dataset reader (``pq.read_table``) leaves thread pools that abort the
process as it exits (apache/arrow #34314). CI failed on it; 37 in 240 such gate runs under load aborted."""

from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

from conftest import REPO_ROOT
from conftest import attack_gate as _gate
from conftest import attack_project as _project


def _parquet_with_a_bad_row(path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.table({"id": ["a", "b"], "input": ["x", "y"], "context": ['{"role": "admin"}', '{"score": NaN}']})
    pq.write_table(table, path)


def test_reading_a_parquet_dataset_does_not_start_pyarrows_dataset_machinery(tmp_path) -> None:
    # deterministic: the module whose thread pools abort at exit is never imported by the gate's dataset reader
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"id": ["a"], "input": ["x"]}), tmp_path / "ds.parquet")
    code = (
        "import sys; from gatekit.dataset import load_dataset; d = load_dataset(sys.argv[1]); "
        "print(len(d.cases), 'pyarrow._dataset' in sys.modules)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code, str(tmp_path / "ds.parquet")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["1", "False"], proc.stdout


def test_a_refused_parquet_dataset_exits_2_every_time_under_load(tmp_path) -> None:
    # the abort is a race at exit: twelve gates, four at a time (the old reader aborted ~15 % of such runs here)
    cwd = _project(tmp_path, [])
    _parquet_with_a_bad_row(cwd / "ds.parquet")
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: _gate(cwd, "--no-mlflow", "--dataset", "ds.parquet"), range(12)))
    codes = [run.returncode for run in runs]
    assert codes == [2] * 12, (codes, [run.stderr[-300:] for run in runs if run.returncode != 2])
    assert all("row 2" in run.stderr and "NaN" in run.stderr for run in runs)
