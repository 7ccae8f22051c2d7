"""Snapshot of verdict.json (schema_version 1): its key tree and its timing-free values.

Timestamps, run ids, paths, latencies and durations are normalised away; everything else
must match ``tests/snapshots/verdict_v1.json``. A change to the verdict's shape must bump
``schema_version`` and refresh the snapshot (``GATEKIT_UPDATE_SNAPSHOTS=1 pytest …``).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from conftest import TESTS_DIR
from spine_project import make_project, run_cli

pytestmark = pytest.mark.slow

SNAPSHOT = TESTS_DIR / "snapshots" / "verdict_v1.json"
_VOLATILE = (
    "latency",
    "duration",
    "wall_s",
    "started_at",
    "run_id",
    "experiment_id",
    "tracking_uri",
    "path",
    "out_dir",
    "sha256",
    "decision_latency",
)


def normalise(value: Any, key: str = "") -> Any:
    if isinstance(value, dict):
        return {k: normalise(v, k) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [normalise(v, key) for v in value]
    if any(part in key for part in _VOLATILE) and value is not None:
        return f"<{type(value).__name__}>"
    return value


def test_verdict_json_matches_the_snapshot(tmp_path: Path) -> None:
    rows = [
        {
            "id": f"c{i}",
            "input": f"question {i}",
            "expected": {"output_contains": ["echo"]},
            "context": {"user": f"u{i}", "env": "test"},
        }
        for i in range(5)
    ]
    root = make_project(tmp_path / "p", rows=rows)
    proc = run_cli(root, "eval")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdict = json.loads((root / "out" / "verdict.json").read_text())
    # the interval of the latency percentile depends on timing; the p95 check itself does not
    for check in verdict["checks"]:
        if check["name"].startswith("latency"):
            check["value"] = check["interval"] = "<timing>"
    verdict["slowest_cases"].sort(key=lambda row: row["case_id"])  # which case was slowest is timing
    got = normalise(verdict)
    if os.environ.get("GATEKIT_UPDATE_SNAPSHOTS"):
        SNAPSHOT.write_text(json.dumps(got, indent=2, sort_keys=True) + "\n")
    expected = json.loads(SNAPSHOT.read_text())
    assert got == expected
