"""Rows the enforcing proxy writes are what ``gatekit canary`` reads: a canary whose model proposes forbidden tool
calls rolls back; the same traffic without them does not. Real proxies in front of a real upstream, real clock."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from runtime.chat_upstream import chat_upstream
from runtime.proxy_harness import chat, serving
from typer.testing import CliRunner

from gatekit.cli import app

pytestmark = pytest.mark.slow

RULES = """\
window: 1s
stages: [10, 50, 100]
min_requests: 5
min_windows: 3
rollback:
  - rule: "deny_rate > 20% for 3 consecutive windows"
"""


def _traffic(tmp_path: Path, *, canary_denied: bool) -> Path:
    """Four seconds of interleaved requests through a baseline proxy and a canary proxy writing one log."""
    log = tmp_path / "production.jsonl"
    with chat_upstream() as upstream, serving(upstream.url, log_to=log, variant="baseline") as base, serving(
        upstream.url, log_to=log, variant="canary"
    ) as canary:
        end = time.time() + 4.2
        i = 0
        while time.time() < end:
            i += 1
            assert chat(base.url, "plain").status == 200
            model = "forbidden-tool" if canary_denied and i % 2 else "plain"
            answer = chat(canary.url, model)
            assert answer.status in (200, 403), answer.status
            time.sleep(0.02)
    return log


def _canary(tmp_path: Path, log: Path) -> tuple[int, dict]:
    rules = tmp_path / "rollout.yaml"
    rules.write_text(RULES, encoding="utf-8")
    out = tmp_path / "out"
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    result = CliRunner().invoke(
        app, ["canary", "--logs", str(log), "--rules", str(rules), "--now", now, "--out", str(out), "--no-mlflow"]
    )
    assert result.exit_code in (0, 1, 4), result.output
    return result.exit_code, json.loads((out / "canary.json").read_text(encoding="utf-8"))


def test_proxy_rows_roll_back_a_canary_whose_model_proposes_forbidden_tools(tmp_path: Path) -> None:
    log = _traffic(tmp_path, canary_denied=True)
    rows = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    canary_rows = [r for r in rows if r["variant"] == "canary"]
    assert {r["variant"] for r in rows} == {"baseline", "canary"} and len(canary_rows) >= 30
    denied = [r for r in canary_rows if r["outcome"] == "deny"]
    by_tools = [r for r in denied if r["rules"] == ["retail-tools"]]
    assert by_tools and all(r["error"] == "policy_denied" and r["tool_names"] == ["delete_all_users"] for r in by_tools)
    # the model that proposed the call and the tokens it spent are kept on the denied request's row
    assert all(r["model"] == "forbidden-tool" and r["output_tokens"] == 9 for r in by_tools), by_tools[0]
    # after enough violations the policy's emergency stop denies at the door: never forwarded, so no model
    stopped = [r for r in denied if r["rules"] == ["stop-on-violations"]]
    assert all(r["model"] is None and r["tool_names"] == [] for r in stopped)
    assert len(by_tools) + len(stopped) == len(denied)
    assert all(r["outcome"] != "deny" for r in rows if r["variant"] == "baseline")
    code, report = _canary(tmp_path, log)
    assert (code, report["decision"]) == (1, "rollback"), report
    assert "deny_rate" in json.dumps(report["reasons"])


def test_proxy_rows_of_a_healthy_canary_do_not_roll_back(tmp_path: Path) -> None:
    log = _traffic(tmp_path, canary_denied=False)
    code, report = _canary(tmp_path, log)
    assert code != 1 and report["decision"] != "rollback", report
