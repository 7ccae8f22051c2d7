"""attack16: a credential in a drift ``--reference`` / ``--production`` path is masked where drift writes it.

``gatekit canary`` writes its ``--logs`` source without the secrets the detectors find; ``gatekit drift``
wrote the same kind of value raw into drift.json (``reference.spec``, ``reference.files``,
``production.spec``) and drift.html, and so into the MLflow artifacts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from canary.traffic import traffic, write_jsonl

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "ghp_Ctx0role1Zq23456789abcdefghijklmnopq"


def test_a_token_in_the_paths_is_not_written(tmp_path: Path) -> None:
    folder = tmp_path / TOKEN
    folder.mkdir()
    production = write_jsonl(folder / "rows.jsonl", traffic(3))
    reference = folder / "golden.jsonl"
    reference.write_text("".join(f'{{"id": "c{i}", "input": "where is order {i}?"}}\n' for i in range(20)))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = tmp_path / "out"
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", str(reference), "--production", str(production)]
    proc = subprocess.run(
        [*command, "--no-mlflow", "--out", str(out)], env=env, capture_output=True, text=True, timeout=180
    )
    assert proc.returncode in (0, 1), proc.stdout + proc.stderr
    for name in ("drift.json", "drift.html"):
        text = (out / name).read_text(encoding="utf-8")
        assert TOKEN not in text, name
        assert "rows.jsonl" in text  # the path itself stays readable
    report = json.loads((out / "drift.json").read_text(encoding="utf-8"))
    assert "[GITHUB_TOKEN]" in report["production"]["spec"] and "[GITHUB_TOKEN]" in report["reference"]["files"][0]
    assert TOKEN not in proc.stdout + proc.stderr
