"""attack17g: the ``variant`` label is operator configuration written on every row. A label that is not a plain
name, or that looks like personal data (``canary-555-123-4567`` survived the per-row scrub), is refused where it is
configured: ``ValueError`` from the Enforcer, exit 2 with one line from ``gatekit guard serve``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from gatekit.errors import ConfigError
from gatekit.runtime import Enforcer
from gatekit.runtime.proxy import ProxySettings

ROOT = Path(__file__).resolve().parents[2]
POLICY = ROOT / "policies" / "default.yaml"
BAD = ["canary-555-123-4567", "canary_5551234567", "jane.doe@example.com", "canary v2", "", "c" * 65, "-canary"]


@pytest.mark.parametrize("label", BAD)
def test_the_enforcer_refuses_a_variant_that_is_no_plain_label(label: str, tmp_path: Path) -> None:
    log = tmp_path / "rows.jsonl"
    with pytest.raises(ValueError, match=r"^variant: ") as caught:
        Enforcer.from_file(POLICY, log_to=log, variant=label)
    assert "555" not in str(caught.value) and "jane" not in str(caught.value)  # the value is not echoed
    assert not log.exists() or log.read_text() == ""


@pytest.mark.parametrize("label", ["canary-555-123-4567", "jane.doe@example.com"])
def test_proxy_settings_refuse_it_naming_the_flag(label: str) -> None:
    with pytest.raises(ConfigError, match=r"^--variant: "):
        ProxySettings(upstream="http://127.0.0.1:9/v1", policy=POLICY, variant=label).checked()


def test_plain_labels_are_written_as_given(tmp_path: Path) -> None:
    log = tmp_path / "rows.jsonl"
    for label in ("canary", "baseline", "canary-v2", "shadow.1", "canary-2026-12"):
        guard = Enforcer.from_file(POLICY, log_to=log, variant=label)
        with guard.request("Where is my order?", {"env": "production"}) as scope:
            scope.check_request()
        guard.close()
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [r["variant"] for r in rows] == ["canary", "baseline", "canary-v2", "shadow.1", "canary-2026-12"]


def test_guard_serve_exits_2_with_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "gatekit", "guard", "serve", "--upstream", "http://127.0.0.1:9/v1",
               "--policy", str(POLICY), "--port", "0", "--variant", "canary-555-123-4567",
               "--log-to", str(tmp_path / "rows.jsonl")]  # fmt: skip
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "--variant" in lines[0] and "Traceback" not in proc.stderr, proc.stderr
    assert "555-123" not in proc.stderr
    assert not (tmp_path / "rows.jsonl").exists()
