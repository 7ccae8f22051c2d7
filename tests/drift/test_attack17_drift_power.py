"""attack17: a KS test that cannot reach significance is no evidence of "no drift".

1 reference value and 1 production value (or 3 and 3) gave "NO DRIFT" (exit 0; in a gate: "production
matches the golden dataset", a passing check), though no two samples of those sizes can give p <= 0.05.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import REPO_ROOT
from scipy.stats import ks_2samp

from gatekit.drift.core import _ks_powerless


@pytest.mark.parametrize("n", range(1, 9))
@pytest.mark.parametrize("m", range(1, 9))
def test_powerless_exactly_when_complete_separation_is_not_significant(n: int, m: int) -> None:
    separated = ks_2samp([float(i) for i in range(n)], [100.0 + i for i in range(m)], method="exact").pvalue
    assert _ks_powerless(n, m, 0.05) == (separated > 0.05), (n, m, separated)


def _drift(tmp_path: Path, ref: list[float], prod: list[float]) -> subprocess.CompletedProcess[str]:
    (tmp_path / "ref.jsonl").write_text(
        "".join(json.dumps({"id": f"r{i}", "input": "a", "context": {"n": v}}) + "\n" for i, v in enumerate(ref)),
        encoding="utf-8",
    )
    (tmp_path / "prod.jsonl").write_text(
        "".join(json.dumps({"input": "a", "context": {"n": v}}) + "\n" for v in prod), encoding="utf-8"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", "ref.jsonl", "--production", "prod.jsonl"]
    command += ["--numeric", "context.n", "--no-mlflow", "--out", "out"]
    return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)


def test_one_value_a_side_is_no_evidence_of_no_drift(tmp_path: Path) -> None:
    proc = _drift(tmp_path, [1.0], [5000.0])
    assert proc.returncode == 2, (proc.returncode, proc.stdout, proc.stderr)  # was 0: NO DRIFT
    assert "too few values to detect drift (1 reference, 1 production)" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_four_separated_values_a_side_are_drift(tmp_path: Path) -> None:
    proc = _drift(tmp_path, [1.0, 2.0, 3.0, 4.0], [7.0, 8.0, 9.0, 10.0])  # scipy exact p = 2/70 = 0.0286
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    report = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    (feature,) = report["features"]
    assert abs(feature["p_value"] - 2 / 70) < 1e-12 and feature["drifted"]
