"""left23: a CSV reference or production file that pyarrow cannot parse is refused naming its line.

``gatekit drift`` read CSV files with pyarrow, whose error names no row (its threads read ahead) and shows the row's
own text: ``rows.csv: cannot parse CSV (CSV parse error: Expected 3 columns, got 4: <the row>); fix the file``. Now
``rows.csv:153: 4 cells where the header has 3; fix or remove that line`` (a quote left open: the line its row
starts on, and where it runs on to), without the row's text. Real files, a real ``gatekit drift`` subprocess.
"""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT, one_line_exit_2

from gatekit.drift.sources import iter_batches
from gatekit.errors import DatasetError

SECRET_CELL = "sk-left23-Qw9rT5yU1iO3pA7s"  # the bad row's own text: not shown


def _csv(path: Path, bad: str | None, rows: int = 300) -> Path:
    """``rows`` rows of timestamp, latency_ms, model; ``bad`` (a raw line) after the 151st, i.e. as line 153."""
    lines = ["timestamp,latency_ms,model"]
    for i in range(rows):
        lines.append(f"2026-01-01T00:{i // 60:02d}:{i % 60:02d}Z,{(i * 37) % 100}.5,m{i % 3}")
        if i == 150 and bad is not None:
            lines.append(bad)
    text = "\n".join(lines) + "\n"
    if path.name.endswith(".gz"):
        path.write_bytes(gzip.compress(text.encode()))
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("bad", "said"),
    [
        (f"2026-01-01T00:02:31Z,5,m1,{SECRET_CELL}", ":153: 4 cells where the header has 3; fix or remove that line"),
        ("2026-01-01T00:02:31Z,5", ":153: 2 cells where the header has 3; fix or remove that line"),
        (
            f'2026-01-01T00:02:31Z,"5,{SECRET_CELL}',  # the quote is never closed: the row takes the rest of the file
            ":153: 2 cells where the header has 3 (the row runs on to line 302: a quote left open?); fix or remove",
        ),
    ],
)
@pytest.mark.parametrize("name", ["rows.csv", "rows.csv.gz"])
def test_a_bad_csv_row_is_named_by_its_line(tmp_path: Path, bad: str, said: str, name: str) -> None:
    path = _csv(tmp_path / name, bad)
    with pytest.raises(DatasetError) as caught:
        for _ in iter_batches(path, None):
            pass
    message = str(caught.value)
    assert message.startswith(f"{path}{said}"), message
    assert SECRET_CELL not in message


def test_a_good_csv_still_reads(tmp_path: Path) -> None:
    path = _csv(tmp_path / "rows.csv", None)
    assert sum(batch.num_rows for batch in iter_batches(path, None)) == 300


@pytest.mark.parametrize("side", ["reference", "production"])
def test_drift_refuses_the_line_in_one_line(tmp_path: Path, side: str) -> None:
    good = _csv(tmp_path / "good.csv", None)
    bad = _csv(tmp_path / "bad.csv", f"2026-01-01T00:02:31Z,5,m1,{SECRET_CELL}")
    files = {"reference": good, "production": good, side: bad}
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "GATEKIT_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", str(files["reference"])]
    command += ["--production", str(files["production"]), "--no-mlflow", "--out", str(tmp_path / "out")]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    line = one_line_exit_2(proc)
    assert f"{bad}:153: 4 cells where the header has 3; fix or remove that line" in line, line
    assert SECRET_CELL not in proc.stdout + proc.stderr
