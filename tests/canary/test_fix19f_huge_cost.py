"""fix19f: a canary cost near the float limit (1.7e308 per request) against a normal baseline cost.

The Hodges-Lehmann ratio's exp() overflowed (``OverflowError: math range error``): ``gatekit canary`` exited 3,
"internal error", and published no decision. The ratio is now +inf past the float range: the cost comparison
fails (the whole interval lies above the allowance). The per-window cost sum overflows to +inf and is unknown
(the rule on cost_per_request_usd has no data: fails closed); canary.json's reasons now say so in one line. Real file, real DuckDB, a real ``gatekit canary`` process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from conftest import REPO_ROOT

from canary.traffic import minute_rows, write_jsonl

RULES = """\
stages: [10, 50, 100]
min_requests: 20
rollback:
  - {metric: cost_per_request_usd, op: ">", threshold: 1, for: 2}
compare:
  min_requests: 100
  metrics:
    cost_usd: 20%
"""


def test_a_cost_near_the_float_limit_fails_the_comparison_instead_of_exit_3(tmp_path: Path) -> None:
    start = datetime.fromtimestamp((time.time() // 60 - 8) * 60, UTC)
    rows = [r for m in range(6) for v in ("baseline", "canary") for r in minute_rows(m, v, 40, start=start)]
    for row in rows:
        if row["variant"] == "canary":
            row["cost_usd"] = 1.7e308
    log = write_jsonl(tmp_path / "production.jsonl", rows)
    (tmp_path / "rollout.yaml").write_text(RULES, encoding="utf-8")
    command = [sys.executable, "-m", "gatekit", "canary", "--logs", str(log), "--rules", str(tmp_path / "rollout.yaml"),
               "--no-mlflow", "--out", str(tmp_path / "out")]  # fmt: skip
    proc = subprocess.run(
        command, env={**os.environ, "PYTHONPATH": str(REPO_ROOT)}, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode in (1, 4), proc.stdout + proc.stderr
    assert "internal error" not in proc.stderr and "Warning" not in proc.stderr, proc.stderr
    data = json.loads((tmp_path / "out" / "canary.json").read_text(encoding="utf-8"))
    (cost,) = [c for c in data["comparisons"] if c["metric"] == "cost_usd"]
    assert cost["status"] == "fail" and "+inf" in cost["reason"], cost
    assert data["decision"] != "promote"
    # the per-window cost sum overflows: unknown (fails closed), and the output says why, once per variant
    assert all(w["canary"]["cost_usd"] is None for w in data["windows"])
    (said,) = [r for r in data["reasons"] if "cost sum overflows" in r]
    assert said.startswith("canary: cost sum overflows in 6 window(s)"), said
    assert "cost sum overflows" in proc.stdout
