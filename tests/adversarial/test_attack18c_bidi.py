"""attack18c: Unicode bidi controls (the "Trojan Source" set: U+202A-U+202E, U+2066-U+2069) from agents and datasets
are shown escaped (``\\u202e``) in report.html, JUnit XML, the step summary and on the terminal.

A case id ``refund-\\u202egnp.exe`` reached report.html, the step summary and JUnit raw: a reader saw
``refund-exe.png``, and a right-to-left override in an error message turned the rest of its line around. The
escaped form keeps the text (verdict.json and results.jsonl still hold it as the agent sent it) and shows the trick.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from gatekit.report.text import md_escape, plain_text, visible_controls, xml_text

ROOT = Path(__file__).resolve().parents[2]
BIDI = re.compile("[\u202a-\u202e\u2066-\u2069]")

AGENT = """
def run(case_input, context=None):
    if case_input == "boom":
        raise RuntimeError("refund \\u202e00.05$ \\u2067isolate\\u2069 end")
    return {"output": "total \\u202d$1\\u202c \\u202b rtl \\u202c", "model": "mdl\\u202e",
            "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.0}
"""


def test_every_display_escaper_shows_bidi_controls() -> None:
    text = "a\u202egnp.exe\u2066b\u2069"
    for shown in (md_escape(text), plain_text(text), visible_controls(text), xml_text(text)):
        assert not BIDI.search(shown), shown
    assert "\\u202e" in visible_controls(text) and "\\u2066" in plain_text(text)
    assert visible_controls("שלום עולם") == "שלום עולם"  # right-to-left text itself is left alone


def test_gate_outputs_show_bidi_escaped(tmp_path: Path) -> None:
    (tmp_path / "agentb.py").write_text(AGENT, encoding="utf-8")
    rows = [
        {"id": "refund-\u202egnp.exe", "input": "x", "expected": {"output_contains": ["nope"]}},
        {"id": "c\u2067b", "input": "boom"},
    ]
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_"))}
    env.update(PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}", GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:agentb:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(ROOT / "policies" / "default.yaml"), "--no-mlflow"]
    command += ["--retries", "0", "--out", "out", "--junit", "out/junit.xml"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1, proc.stderr
    out = tmp_path / "out"
    html = (out / "report.html").read_text(encoding="utf-8")
    junit = (out / "junit.xml").read_text(encoding="utf-8")
    markdown = summary.read_text(encoding="utf-8")
    for name, text in (("report.html", html), ("junit", junit), ("summary", markdown), ("stdout", proc.stdout)):
        assert not BIDI.search(text), (name, BIDI.findall(text))
    assert "refund-\\u202egnp.exe" in html and "\\u2067isolate\\u2069" in html
    assert "c\\\\u2067b" in markdown  # md_escape doubles the backslash, which renders as one
    ET.fromstring(junit.encode("utf-8"))
    assert "c\\u2067b" in junit
    # the data files keep what the agent and the dataset said
    results = [json.loads(line) for line in (out / "results.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {r["case_id"] for r in results} == {"refund-\u202egnp.exe", "c\u2067b"}
