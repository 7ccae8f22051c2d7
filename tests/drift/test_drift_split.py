"""Drift is compute, then publish: computing imports no renderer and no sink, and writes nothing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

from conftest import REPO_ROOT

from gatekit.drift import check_drift


def _logs(tmp_path: Path) -> tuple[Path, Path]:
    ref = tmp_path / "ref.jsonl"
    prod = tmp_path / "prod.jsonl"
    ref.write_text("".join(json.dumps({"x": i % 10, "c": "ab"[i % 2]}) + "\n" for i in range(200)), encoding="utf-8")
    prod.write_text("".join(json.dumps({"x": 5 + i % 10, "c": "a"}) + "\n" for i in range(200)), encoding="utf-8")
    return ref, prod


def test_compute_drift_imports_no_report_or_sink_and_writes_nothing(tmp_path: Path) -> None:
    ref, prod = _logs(tmp_path)
    out = tmp_path / "out"
    script = textwrap.dedent(
        f"""
        import json, sys
        from gatekit.drift.core import compute_drift, drift_config
        cfg = drift_config(reference={str(ref)!r}, production={str(prod)!r}, numeric=["x"], categorical=["c"],
                           out={str(out)!r})
        result = compute_drift(cfg)
        loaded = sorted(m for m in sys.modules if m.startswith(("gatekit.report", "gatekit.sinks", "mlflow", "jinja2")))
        print(json.dumps({{"loaded": loaded, "drift": result.drift, "drifted": result.drifted,
                          "paths": [result.json_path, result.html_path, result.run_id]}}))
        """
    )
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["loaded"] == []
    assert seen["drift"] is True and set(seen["drifted"]) == {"x", "c"}
    assert seen["paths"] == [None, None, None]
    assert not out.exists()


def test_check_drift_is_compute_plus_publish(tmp_path: Path) -> None:
    from gatekit.drift.core import compute_drift, drift_config

    ref, prod = _logs(tmp_path)
    published = check_drift(ref, prod, numeric=["x"], categorical=["c"], out=tmp_path / "o", log_to_mlflow=False)
    computed = compute_drift(drift_config(reference=ref, production=prod, numeric=["x"], categorical=["c"]))
    assert published.html_path is not None and published.html_path.read_text(encoding="utf-8").startswith("<!")
    on_disk = json.loads((tmp_path / "o" / "drift.json").read_text(encoding="utf-8"))
    assert on_disk["drifted"] == computed.drifted == published.drifted
    drop = ("generated_at", "timings_s")
    assert {k: v for k, v in on_disk.items() if k not in drop} == {
        k: v for k, v in computed.report.items() if k not in drop
    }
