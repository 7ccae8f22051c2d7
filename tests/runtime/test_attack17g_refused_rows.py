"""attack17g: a request the proxy refuses before judging it (400 bad JSON / empty messages / bad context header,
413 body too large) writes a production-log row with its error, so ``gatekit canary`` counts it.

Real proxies in front of a real upstream on 127.0.0.1, rows on disk, ``gatekit canary`` as a subprocess (DuckDB).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from runtime.chat_upstream import chat_upstream
from runtime.proxy_harness import chat, request, serving

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SECRET_BODY = b'{"messages": [], "note": "jane.doe@example.com sk-abcdefghijklmnopqrstuvwx"'

RULES = """\
window: 1s
stages: [10, 50, 100]
min_requests: 5
min_windows: 3
rollback:
  - rule: "error_rate > 10% for 3 consecutive windows"
"""


def _bad(url: str, i: int) -> int:
    """One request the proxy refuses before any check: four kinds in turn."""
    kind = i % 4
    if kind == 0:
        return request(f"{url}/v1/chat/completions", raw=SECRET_BODY).status  # not JSON (cut)
    if kind == 1:
        return request(f"{url}/v1/chat/completions", {"model": "plain", "messages": []}).status
    if kind == 2:
        return chat(url, "plain", headers={"X-Gatekit-Context": "[not an object]"}).status
    return request(f"{url}/v1/chat/completions", raw=b'{"messages": "' + b"x" * 5000 + b'"}').status


def _traffic(tmp_path: Path) -> Path:
    log = tmp_path / "production.jsonl"
    with chat_upstream() as upstream, serving(
        upstream.url, log_to=log, variant="baseline", agent_version="v1", context={"env": "production"}
    ) as base, serving(
        upstream.url, log_to=log, variant="canary", agent_version="v2", max_request_bytes=4096
    ) as canary:
        end = time.time() + 4.2
        i = 0
        while time.time() < end:
            i += 1
            assert chat(base.url, "plain").status == 200
            if i % 3 == 0:  # a third of the canary's requests are malformed
                assert _bad(canary.url, i // 3) in (400, 413)
            else:
                assert chat(canary.url, "plain").status == 200
            time.sleep(0.02)
        # one refused request on the baseline: its row carries the server's --context labels
        assert request(f"{base.url}/v1/chat/completions", raw=b"nope").status == 400
    return log


def test_refused_requests_write_rows_and_the_canary_rolls_back(tmp_path: Path) -> None:
    log = _traffic(tmp_path)
    text = log.read_text(encoding="utf-8")
    assert "jane.doe" not in text and "sk-abcdef" not in text and "xxxxx" not in text  # never the body
    rows = [json.loads(line) for line in text.splitlines()]
    refused = [r for r in rows if r["error"] in ("bad_request", "too_large")]
    canary_refused = [r for r in refused if r["variant"] == "canary"]
    assert len(canary_refused) >= 10, len(canary_refused)
    assert {r["error"] for r in canary_refused} == {"bad_request", "too_large"}
    for row in canary_refused:
        assert row["agent_version"] == "v2" and row["source"] == "proxy"
        assert row["outcome"] is None and row["enforced"] is None  # no policy ran: unknown, not allow
        assert row["input_chars"] is None and row["turns"] is None and row["model"] is None
        assert row["latency_ms"] is not None and row["latency_ms"] >= 0
    base_refused = [r for r in refused if r["variant"] == "baseline"]
    assert len(base_refused) == 1 and base_refused[0]["env"] == "production"
    assert base_refused[0]["agent_version"] == "v1"
    assert len({r["request_id"] for r in rows}) == len(rows)  # the proxy's request ids, unique

    rules = tmp_path / "rollout.yaml"
    rules.write_text(RULES, encoding="utf-8")
    out = tmp_path / "out"
    now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "gatekit", "canary", "--logs", str(log), "--rules", str(rules),
               "--now", now, "--out", str(out), "--no-mlflow"]  # fmt: skip
    proc = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads((out / "canary.json").read_text(encoding="utf-8"))
    assert report["decision"] == "rollback", report
    assert "error_rate" in json.dumps(report["reasons"])
