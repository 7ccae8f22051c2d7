"""Build small throwaway gatekit projects in a temp folder for end-to-end tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

TESTS_DIR = Path(__file__).resolve().parent

POLICY = """\
id: test-policy
version: "1"
rules:
  - id: pii
    kind: sensitive_data
    scan: [output, tool_arguments]
    outcomes:
      EMAIL_ADDRESS: allow_with_redaction
      CREDIT_CARD: allow_with_redaction
"""

THRESHOLDS = """\
min_cases: {min_cases}
checks:
  latency_p95_ms: {{max: 2000ms}}
  error_rate: {{max: 1%}}
  cost_per_1k_tokens_usd: {{max: 0.05}}
  governance.deny_count: {{max: 0}}
"""


def make_project(
    root: Path,
    *,
    agent: str = "python:spine_agents:sync_echo",
    cases: int = 5,
    min_cases: int = 1,
    rows: list[dict[str, Any]] | None = None,
    extra_config: str = "",
) -> Path:
    """Write dataset, thresholds, pricing, policy and gatekit.yaml under ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    if rows is None:
        rows = [
            {"id": f"c{i}", "input": f"question {i}", "context": {"user": f"u{i}", "env": "test"}} for i in range(cases)
        ]
    (root / "cases.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (root / "thresholds.yaml").write_text(THRESHOLDS.format(min_cases=min_cases), encoding="utf-8")
    (root / "pricing.yaml").write_text("models:\n  m-test: {input_per_1m: 1.0, output_per_1m: 2.0}\n")
    (root / "policy.yaml").write_text(POLICY, encoding="utf-8")
    (root / "gatekit.yaml").write_text(
        f"dataset: cases.jsonl\nagent: {agent}\nthresholds: thresholds.yaml\npricing: pricing.yaml\n"
        f"policy: policy.yaml\nout: out\nconcurrency: 4\ntimeout: 2\nretries: 1\nexperiment: spine-tests\n"
        + extra_config,
        encoding="utf-8",
    )
    return root


def run_cli(
    root: Path, *args: str, env: dict[str, str] | None = None, timeout: float = 240
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m gatekit`` in ``root`` with the test agents importable."""
    full_env = dict(os.environ)
    full_env.pop("MLFLOW_TRACKING_URI", None)
    full_env["PYTHONPATH"] = str(TESTS_DIR) + os.pathsep + full_env.get("PYTHONPATH", "")
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args],
        cwd=root,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
