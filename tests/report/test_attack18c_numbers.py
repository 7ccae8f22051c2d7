"""attack18c: a check that failed by less than the shown precision said "0.05 USD > limit 0.05 USD".

Every surface rounded a value to 4 significant digits (report.html rates to 0.1%), so a value just over its
limit read as equal to it while the verdict said FAIL: ``2000 ms is above the limit 2,000 ms``. Now a value
and its limit are shown with as many digits as it takes to tell them apart (verdict.json keeps the full
numbers), in report.html, the step summary, JUnit and the terminal.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from html_collect import parse

from gatekit.pipeline.model import CheckResult
from gatekit.report.text import check_sentence, limit_text
from gatekit.report.view import check_rows, latency_chart
from gatekit.verdict import describe

ROOT = Path(__file__).resolve().parents[2]

AGENT = """
def run(case_input, context=None):
    return {"output": "ok", "usage": {"input_tokens": 1, "output_tokens": 1}, "cost_usd": 0.025002}
"""


def _near(name: str, value: float, limit: float, op: str, unit: str) -> CheckResult:
    failed = value > limit if op == "<=" else value < limit
    return CheckResult(name=name, value=value, limit=limit, op=op, status="fail" if failed else "pass", unit=unit)


NEAR = [
    _near("latency_p95_ms", 2000.4, 2000.0, "<=", "ms"),
    _near("error_rate", 0.1004, 0.1, "<=", ""),
    _near("pass_rate", 0.94996, 0.95, ">=", ""),
    _near("cost_per_1k_tokens_usd", 0.050004, 0.05, "<=", "USD"),
    _near("latency_p95_ms", 1999.6, 2000.0, "<=", "ms"),
]


def test_a_value_near_its_limit_is_shown_apart_from_it_everywhere() -> None:
    for check, row in zip(NEAR, check_rows(NEAR), strict=True):
        shown_limit = row["limit"].removeprefix(check.op).strip()
        assert row["value"] != shown_limit, row
        sentence = check_sentence(check)
        assert sentence.split(" = ")[1].split(" (limit")[0] != limit_text(check).removeprefix(check.op).strip()
        line = describe(check.to_check())
        value_text, limit_part = re.match(r"\S+ (.+) [<>]=? limit (.+)$", line).groups()  # type: ignore[union-attr]
        assert value_text != limit_part, line


def test_the_latency_chart_labels_a_p95_just_over_its_limit_apart_from_it() -> None:
    chart = latency_chart([100.0, 1500.0, 2000.4], p95=2000.4, limit=2000.0)
    assert chart["p95"]["label"] == "p95 2000.4 ms" and chart["limit"]["label"] == "limit 2,000 ms"
    far = latency_chart([100.0, 1234.5678], p95=1234.5678, limit=2000.0)
    assert far["p95"]["label"] == "p95 1235 ms"


def test_far_values_keep_four_digits() -> None:
    far = _near("latency_p95_ms", 1234.5678, 2000.0, "<=", "ms")
    assert describe(far.to_check()) == "latency_p95_ms 1235 ms <= limit 2000 ms"
    assert check_rows([far])[0]["value"] == "1235 ms"
    rate = _near("error_rate", 0.0512, 0.1, "<=", "")
    assert check_rows([rate])[0]["value"] == "5.1%"


def test_gate_outputs_show_a_cost_just_over_its_limit_apart(tmp_path: Path) -> None:
    (tmp_path / "agentn.py").write_text(AGENT, encoding="utf-8")
    rows = [{"id": f"c{i}", "input": "x"} for i in range(2)]
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  cost_total_usd: {max: 0.05}\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_"))}
    env.update(PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}", GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:agentn:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(ROOT / "policies" / "default.yaml"), "--no-mlflow"]
    command += ["--out", "out", "--junit", "out/junit.xml"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    verdict = json.loads((tmp_path / "out" / "verdict.json").read_text(encoding="utf-8"))
    (check,) = [c for c in verdict["checks"] if c["name"] == "cost_total_usd"]
    assert check["status"] == "fail" and check["value"] > check["limit"] == 0.05

    page = parse((tmp_path / "out" / "report.html").read_text(encoding="utf-8"))
    text = " ".join(page.text)
    assert "0.050004" in text and "is above the limit" in text
    assert "0.050004" in summary.read_text(encoding="utf-8")
    assert "cost_total_usd 0.050004 USD > limit 0.05 USD" in proc.stdout
    junit = ET.parse(tmp_path / "out" / "junit.xml").getroot()
    messages = [f.get("message") or "" for f in junit.iter("failure")]
    assert any("0.050004" in m for m in messages), messages


def test_an_interval_end_just_over_the_limit_is_shown_apart_from_it() -> None:
    """With ``confidence`` the interval decides: an upper end of 10.004% against a 10% limit made the check
    inconclusive while the page showed "[2.0%, 10.0%]" next to "<= 10.0%"."""
    rate = CheckResult(
        name="error_rate", value=0.05, limit=0.1, op="<=", interval=(0.02, 0.10004), status="inconclusive", unit=""
    )
    row = check_rows([rate])[0]
    assert row["interval"].split(", ")[1].rstrip("]") != row["limit"].removeprefix("<=").strip(), row
    latency = CheckResult(
        name="latency_p95_ms", value=1500.0, limit=2000.0, op="<=", interval=(1400.0, 2000.4), status="inconclusive",
        unit="ms",
    )  # fmt: skip
    row = check_rows([latency])[0]
    assert row["interval"].split(", ")[1].rstrip("]") != row["limit"].removeprefix("<=").strip(), row
    from gatekit.report.text import interval_text

    assert interval_text(latency).split(", ")[1].rstrip("]") != limit_text(latency).removeprefix("<=").strip()
    assert interval_text(rate).split(", ")[1].rstrip("]") != limit_text(rate).removeprefix("<=").strip()
