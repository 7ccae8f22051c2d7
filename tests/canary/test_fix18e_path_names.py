"""fix18e: a production log whose file name is not UTF-8 is refused in one line naming it escaped (exit 2).

``gatekit canary``/``watch``/``drift`` over ``logs-\\xff.jsonl`` ended in DuckDB's "cannot encode str as UTF-8,
surrogate '\\udcff'": DuckDB (and Spark) take paths as UTF-8 text. Reading it through a link of another name would
name the link in every row message, so the name is refused: `--logs /x/logs-\\xff.jsonl: the file name is not
UTF-8`. Files gatekit reads itself (a golden dataset as drift's --reference: attack18c_drift_undecodable) are still
read whatever their name.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT

from canary.traffic import now_after, traffic, write_jsonl

pytestmark = pytest.mark.skipif(sys.platform == "darwin", reason="macOS file systems refuse non-UTF-8 names")


def _gatekit(*args: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_", "GITHUB_"))}
    env.update(PYTHONPATH=str(REPO_ROOT), LC_ALL="C.UTF-8")
    return subprocess.run([sys.executable, "-m", "gatekit", *args], env=env, capture_output=True, timeout=120)


def _one_line(proc: subprocess.CompletedProcess[bytes], expected: bytes) -> None:
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert lines == [expected], proc.stderr  # the byte shown as \xff, never a surrogate or a DuckDB error


def test_canary_watch_and_drift_refuse_a_log_name_that_is_not_utf8(tmp_path: Path) -> None:
    folder = os.fsencode(tmp_path)
    write_jsonl(tmp_path / "healthy.jsonl", traffic(30))
    bad = folder + b"/logs-\xff.jsonl"
    os.rename(folder + b"/healthy.jsonl", bad)
    message = (
        b"error: --%s " + folder + b"/logs-\\xff.jsonl: the file name is not UTF-8 and cannot be read (DuckDB and "
        b"Spark open paths as UTF-8); rename the file to a UTF-8 name"
    )
    now = now_after(30).encode()
    out = folder + b"/out"
    _one_line(_gatekit(b"canary", b"--logs", bad, b"--now", now, b"--no-mlflow", b"--out", out), message % b"logs")
    watched = _gatekit(b"watch", b"--logs", bad, b"--timeout", b"2")  # says what it watches (escaped), then refuses
    assert watched.returncode == 2 and watched.stderr.splitlines()[-1] == message % b"logs", watched.stderr
    assert watched.stderr.startswith(b"watching " + folder + b"/logs-\\xff.jsonl: ") and b"udcff" not in watched.stderr
    golden = os.fsencode(REPO_ROOT / "datasets" / "retail_golden.jsonl")
    proc = _gatekit(b"drift", b"--reference", golden, b"--production", bad, b"--no-mlflow", b"--out", out)
    _one_line(proc, message % b"production")
    assert not os.path.exists(out)  # nothing judged, nothing written


def test_a_folder_holding_such_a_name_is_refused_not_read_without_it(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    write_jsonl(logs / "a.jsonl", traffic(30))
    write_jsonl(logs / "b.jsonl", traffic(30))
    os.rename(os.fsencode(logs / "b.jsonl"), os.fsencode(logs) + b"/b-\xfe.jsonl")
    proc = _gatekit(b"canary", b"--logs", os.fsencode(logs), b"--now", now_after(30).encode(), b"--no-mlflow",
                    b"--out", os.fsencode(tmp_path / "out"))  # fmt: skip
    assert proc.returncode == 2 and b"/logs/b-\\xfe.jsonl: the file name is not UTF-8" in proc.stderr, proc.stderr
    assert len(proc.stderr.splitlines()) == 1 and b"Traceback" not in proc.stderr
