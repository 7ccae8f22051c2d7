"""attack18c: an agent exception whose message holds a lone surrogate, or whose ``str()`` raises, ended the gate in
"internal error", exit 3.

An agent's output, tool names and model holding a lone surrogate were already refused as ``invalid_response``, but
the text of an exception it raised (``RuntimeError("bad \\ud800")``, or a JSON error body decoded to one) went into
results.jsonl as it was: UTF-8 cannot encode it, so the results writer raised, no verdict, no report, no summary.
Now the message keeps the surrogate as its ``\\ud800`` escape; the case is an ordinary failed case everywhere.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from gatekit.replay import classify

ROOT = Path(__file__).resolve().parents[2]

AGENT = """
class Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no str")


def run(case_input, context=None):
    if case_input == "boom":
        raise RuntimeError("bad \\ud800 msg \\udfff end")
    if case_input == "conn":
        raise ConnectionError("reset \\udc80")
    if case_input == "unprintable":
        raise Unprintable()
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_classify_keeps_a_lone_surrogate_as_its_escape() -> None:
    error_type, message, _, _ = classify(RuntimeError("bad \ud800 end"))
    assert message == "RuntimeError: bad \\ud800 end"
    message.encode("utf-8")  # writable


def test_an_exception_with_a_lone_surrogate_is_a_failed_case_not_an_internal_error(tmp_path: Path) -> None:
    (tmp_path / "agents18.py").write_text(AGENT, encoding="utf-8")
    rows = [{"id": "a", "input": "boom"}, {"id": "b", "input": "conn"}, {"id": "u", "input": "unprintable"}]
    rows.append({"id": "c", "input": "fine"})
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_"))}
    env.update(PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}", GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:agents18:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(ROOT / "policies" / "default.yaml"), "--no-mlflow"]
    command += ["--retries", "0", "--out", "out", "--junit", "out/junit.xml"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1, proc.stdout + proc.stderr  # error_rate 3/4 fails; not 3 (internal error)
    assert "internal error" not in proc.stdout + proc.stderr
    out = tmp_path / "out"
    verdict = json.loads((out / "verdict.json").read_text(encoding="utf-8"))
    messages = {row["case_id"]: row["error_message"] for row in verdict["failed_cases"]}
    assert messages == {
        "a": "RuntimeError: bad \\ud800 msg \\udfff end",
        "b": "ConnectionError: reset \\udc80",
        "u": "Unprintable: (its message could not be read: str() raised)",
    }
    assert "bad \\ud800 msg" in (out / "report.html").read_text(encoding="utf-8")
    assert "bad \\\\ud800 msg" in summary.read_text(encoding="utf-8")
    junit = ET.parse(out / "junit.xml").getroot()
    assert any("bad \\ud800" in (f.get("message") or "") for f in junit.iter("failure"))
