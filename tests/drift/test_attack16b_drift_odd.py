"""attack16b: drift on odd data — a categorical field whose every category is rare is not "tested, no drift".

50,000 reference roles ``r0..`` against 50,000 production roles ``s0..`` (every category new, every old one
gone) were pooled into one ``(other)`` column: chi-square with 0 degrees of freedom, reported as statistic 0,
p = 1, "not drifted" — an unknown written as a pass. Now such a feature is skipped with a reason naming the
rare and new categories. One category, the same on both sides, is still a real test (p = 1 is the truth),
and all-null or constant columns keep their existing answers.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _drift(tmp_path: Path, reference: Path, production: Path) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", str(reference), "--production", str(production)]
    proc = subprocess.run(
        [*command, "--no-mlflow", "--out", str(out)], env=env, capture_output=True, text=True, timeout=300
    )
    report = json.loads((out / "drift.json").read_text(encoding="utf-8")) if (out / "drift.json").exists() else {}
    return proc, report


def _feature(report: dict[str, Any], name: str) -> dict[str, Any] | None:
    return next((f for f in report["features"] if f["name"] == name), None)


def test_every_category_rare_and_new_is_skipped_not_passed(tmp_path: Path) -> None:
    n = 20_000
    reference = _write(tmp_path / "ref.jsonl", [{"id": f"c{i}", "input": "q" * (i % 50 + 1), "context": {"role": f"r{i}"}} for i in range(n)])  # fmt: skip
    production = _write(tmp_path / "prod.jsonl", [{"id": f"p{i}", "input": "q" * (i % 50 + 1), "context": {"role": f"s{i}"}} for i in range(n)])  # fmt: skip
    proc, report = _drift(tmp_path, reference, production)
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    role = _feature(report, "context.role")
    assert role is None or role.get("p_value") != 1.0, role  # never "tested, p = 1"
    skipped = {s["name"]: s["reason"] for s in report["skipped"]}
    assert "context.role" in skipped, report["skipped"]
    assert "rare" in skipped["context.role"] and "20,000" in skipped["context.role"], skipped["context.role"]
    assert "context.role" in proc.stdout


def test_one_category_the_same_on_both_sides_is_still_tested(tmp_path: Path) -> None:
    reference = _write(tmp_path / "ref.jsonl", [{"id": f"c{i}", "input": "q" * (i % 10 + 1), "context": {"role": "admin"}} for i in range(200)])  # fmt: skip
    production = _write(tmp_path / "prod.jsonl", [{"id": f"p{i}", "input": "q" * (i % 10 + 1), "context": {"role": "admin"}} for i in range(300)])  # fmt: skip
    proc, report = _drift(tmp_path, reference, production)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    role = _feature(report, "context.role")
    assert role is not None and role["p_value"] == 1.0 and role["drifted"] is False
