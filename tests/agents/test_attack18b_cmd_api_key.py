"""attack18b: the key named by ``agent_options.api_key_env`` is never written, whatever the kind of agent.

Only the HTTP adapter registered it as a known secret (it sends it). A ``cmd:`` worker inherits the environment:
one echoing the key (its answer, its model name, stderr on a failed case, an ``{"error"}`` line) had it written to
results.jsonl, report.html, verdict.json, the MLflow artifacts and the terminal. The key is masked now for every
adapter, from the moment the agent is resolved.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from conftest import attack_gate

KEY = "hunter2-a18b-passphrase"

WORKER = """
import json, os, sys
for line in sys.stdin:
    request = json.loads(line)
    key = os.environ["A18B_AGENT_KEY"]
    if request["input"] == "fail":
        print("auth failed with key " + key, file=sys.stderr, flush=True)
        print(json.dumps({"error": "upstream said: bad key " + key}), flush=True)
    else:
        print(json.dumps({"output": "ok, my key is " + key, "model": key}), flush=True)
"""


@pytest.mark.slow
def test_a_cmd_agent_echoing_the_configured_key_has_it_written_nowhere(tmp_path: Path) -> None:
    (tmp_path / "worker.py").write_text(WORKER, encoding="utf-8")
    rows = [{"id": "c0", "input": "answer"}, {"id": "c1", "input": "fail"}]
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    (tmp_path / "gatekit.yaml").write_text("agent_options:\n  api_key_env: A18B_AGENT_KEY\n", encoding="utf-8")
    agent = f"cmd:{sys.executable} {tmp_path / 'worker.py'}"
    args = ("-c", "gatekit.yaml", "--out", "out", "--tracking-uri", f"sqlite:///{tmp_path / 'mlflow.db'}")
    proc = attack_gate(tmp_path, *args, "--retries", "0", env={"A18B_AGENT_KEY": KEY}, agent=agent)
    assert proc.returncode == 1, proc.stderr[-2000:]
    assert KEY not in proc.stdout + proc.stderr
    written = [path for path in tmp_path.rglob("*") if path.is_file() and path.name != "worker.py"]
    assert any(path.name == "results.jsonl" for path in written) and any(path.suffix == ".db" for path in written)
    leaking = [str(path.relative_to(tmp_path)) for path in written if KEY.encode() in path.read_bytes()]
    assert leaking == []
    (answered, failed) = [json.loads(line) for line in (tmp_path / "out" / "results.jsonl").read_text().splitlines()]
    assert answered["ok"] and "my key is" in answered["response"]["output"]
    assert failed["error_type"] == "exception" and "bad key" in failed["error_message"]
