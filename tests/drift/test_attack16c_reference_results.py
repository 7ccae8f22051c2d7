"""Attack round 16c on ``gatekit drift --reference-results``: a results.jsonl of another dataset is refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from gatekit.drift import check_drift
from gatekit.errors import DatasetError

ROOT = Path(__file__).resolve().parents[2]


def _jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _result(case_id: str, latency_ms: float) -> dict:
    return {
        "case_id": case_id,
        "ok": True,
        "latency_ms": latency_ms,
        "attempts": [],
        "response": {"usage": {"output_tokens": 40}, "cost_usd": 0.001, "tool_calls": []},
    }


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    golden = [{"id": f"c{i}", "input": f"question {'x' * (i % 11)}"} for i in range(60)]
    production = [{"input": f"question {'x' * (i % 11)}", "latency_ms": 100.0 + i % 60} for i in range(300)]
    # a run on ANOTHER dataset: its ids c0..c9 happen to match, c100..c149 are no case of this golden set
    other = [_result(f"c{i}", 100.0 + i) for i in range(10)] + [_result(f"c{i}", 900.0) for i in range(100, 150)]
    ours = [_result(f"c{i}", 100.0 + i) for i in range(60)]
    return {
        "ref": _jsonl(tmp_path / "golden.jsonl", golden),
        "prod": _jsonl(tmp_path / "prod.jsonl", production),
        "other": _jsonl(tmp_path / "other-results.jsonl", other),
        "ours": _jsonl(tmp_path / "results.jsonl", ours),
        "sample": _jsonl(tmp_path / "sample-results.jsonl", ours[:20]),
    }


def test_results_of_another_dataset_are_refused_not_half_merged(files: dict[str, Path], tmp_path: Path) -> None:
    """50 of the 60 case ids are no case of the reference: exit 2 naming the file, not a drift test on 10 cases."""
    with pytest.raises(
        DatasetError,
        match=r"--reference-results: 50 case ids \(e\.g\. 'c100'\) are no id in the reference dataset .*golden\.jsonl",
    ):
        check_drift(
            files["ref"], files["prod"], reference_results=files["other"], out=tmp_path / "o", log_to_mlflow=False
        )
    done = subprocess.run(
        [sys.executable, "-m", "gatekit", "drift", "--reference", str(files["ref"]), "--production", str(files["prod"]),
         "--reference-results", str(files["other"]), "--out", str(tmp_path / "cli"), "--no-mlflow"],
        capture_output=True, text=True, timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    assert "--reference-results: 50 case ids" in done.stderr and "Traceback" not in done.stderr


def test_results_of_this_dataset_or_a_sample_of_it_are_read(files: dict[str, Path], tmp_path: Path) -> None:
    """Every case id in the reference (all 60, or a sample of 20): latency is measured on the matched cases."""
    for name, n in (("ours", 60), ("sample", 20)):
        report = check_drift(
            files["ref"], files["prod"], reference_results=files[name], out=tmp_path / name, log_to_mlflow=False
        ).report
        (latency,) = [f for f in report["features"] if f["name"] == "latency_ms"]
        assert latency["n_reference"] == n
