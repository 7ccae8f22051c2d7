"""report.html: rates in %, OWASP names, a latency chart with axes/counts/p95/limit, rule bars, readable time.

The structural tests parse the rendered HTML; ``test_report_renders_in_a_real_browser`` loads it in
headless Chromium (skipped when no chromium binary is on PATH, as on CI machines without one).
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from html_collect import parse

from gatekit.pipeline.model import Verdict
from gatekit.report.html import render_report
from gatekit.report.view import latency_chart, owasp_label, utc_seconds

LATENCIES = [float(x) for x in range(100, 1300, 20)]  # 60 cases, 100..1280 ms


def _verdict() -> Verdict:
    return Verdict.model_validate(
        {
            "command": "promote",
            "verdict": "fail",
            "started_at": "2026-12-06T04:42:37.911893+00:00",
            "candidate": {"spec": "python:agent:run"},
            "dataset": {"path": "d.jsonl", "format": "jsonl", "cases": 60, "sha256": "ab" * 32},
            "gatekit_version": "0.0.0",
            "out_dir": "out",
            "replay": {
                "wall_s": 1.0,
                "concurrency": 4,
                "timeout_s": 30.0,
                "retries": 0,
                "repeat": 1,
                "stopped_early": False,
            },
            "checks": [
                {
                    "name": "error_rate",
                    "value": 0.05,
                    "limit": 0.01,
                    "op": "<=",
                    "interval": [0.0172, 0.1364],
                    "status": "fail",
                    "message": "",
                    "unit": "",
                },
                {
                    "name": "latency_p95_ms",
                    "value": 1220.0,
                    "limit": 1500.0,
                    "op": "<=",
                    "interval": [1180.0, 1260.0],
                    "status": "pass",
                    "message": "",
                    "unit": "ms",
                },
            ],  # fmt: skip
            "metrics": {
                "cases": 60,
                "latency_p95_ms": 1220.0,
                "error_rate": 0.05,
                "tokens_input": None,
                "tokens_output": None,
                "tokens_reported_cases": 0,
                "successes": 57,
            },  # fmt: skip
            "governance": {
                "by_rule": {"pii": {"allow_with_redaction": 14}, "injection": {"deny": 2, "require_review": 1}},
                "by_owasp": {"LLM01:2025": 3, "ASI02:2026": 1, "XYZ99": 1},
                "outcomes": {"allow": 43, "allow_with_redaction": 14, "require_review": 1, "deny": 2},
            },
        }
    )




def test_failing_row_has_a_detail_and_rates_are_percentages() -> None:
    html = render_report(_verdict(), LATENCIES)
    failing = html[html.index('id="failing"') : html.index('id="checks"')]
    row = re.search(r"<tr><td>error_rate</td>.*?</tr>", failing, re.S)
    assert row is not None
    cells = re.findall(r"<td[^>]*>(.*?)</td>", row.group(0), re.S)
    assert cells[2:] == ["5.0%", "&lt;= 1.0%", "[1.7%, 13.6%]", "5.0% is above the limit 1.0%"]
    assert "0.05 " not in failing


def test_owasp_ids_carry_their_names() -> None:
    assert owasp_label("LLM01:2025") == "LLM01:2025 Prompt injection"
    assert owasp_label("ASI02:2026") == "ASI02:2026 Tool misuse and exploitation"
    assert owasp_label("XYZ99") == "XYZ99"
    html = render_report(_verdict(), LATENCIES)
    assert "<td>LLM01:2025 Prompt injection</td>" in html and "<td>XYZ99</td>" in html


def test_timestamp_is_seconds_in_utc() -> None:
    assert utc_seconds("2026-12-06T05:42:37.911893+01:00") == "2026-12-06 04:42:37 UTC"
    assert utc_seconds("not a time") == "not a time"
    html = render_report(_verdict(), LATENCIES)
    assert "2026-12-06 04:42:37 UTC" in html and "911893" not in html.split("<details")[0]


def test_latency_chart_has_axes_counts_p95_and_limit() -> None:
    html = render_report(_verdict(), LATENCIES)
    parsed = parse(html)
    groups = {attrs.get("class") for tag, attrs in parsed.tags if tag == "g"}
    assert {"x-axis", "y-axis", "p95", "limit"} <= groups
    bars = [attrs for tag, attrs in parsed.tags if tag == "rect" and attrs.get("class") == "bar"]
    assert len(bars) == 24
    counts = [attrs for tag, attrs in parsed.tags if tag == "text" and attrs.get("class") == "count"]
    assert counts and "latency (ms)" in parsed.text and "p95 1,220 ms" in parsed.text
    assert "limit 1,500 ms" in parsed.text
    chart = latency_chart(LATENCIES, p95=1220.0, limit=1500.0)
    assert sum(b["count"] for b in chart["bars"]) == len(LATENCIES)
    assert chart["p95"]["x"] < chart["limit"]["x"] <= chart["left"] + chart["plot_w"]


def test_a_far_limit_is_named_not_drawn() -> None:
    chart = latency_chart(LATENCIES, p95=1220.0, limit=10_000.0)
    assert chart["limit"] is None and chart["limit_off_scale"] == 10_000.0
    assert latency_chart([])["bars"] == []


def test_governance_by_rule_is_bars() -> None:
    html = render_report(_verdict(), LATENCIES)
    section = html[html.index('id="rule-bars"') :]
    section = section[: section.index("</table>")]
    rects = re.findall(r'<rect x="([\d.]+)" y="2" width="([\d.]+)"', section)
    assert len(rects) == 3  # injection: deny + require_review, pii: allow_with_redaction
    widths = sorted(float(w) for _, w in rects)
    assert widths[-1] == pytest.approx(360.0)  # the busiest rule (14 cases) spans the full width
    assert "deny 2" in section and "allow with redaction 14" in section


def test_unknown_tokens_show_unknown() -> None:
    html = render_report(_verdict(), LATENCIES)
    assert "tokens in / out<b>unknown / unknown</b>" in html
    assert "reported by 0 of 57 successful cases" in html


def test_report_renders_in_a_real_browser(tmp_path: Path) -> None:
    browser = next((b for b in ("chromium", "chromium-browser", "google-chrome") if shutil.which(b)), None)
    if browser is None:
        pytest.skip("no chromium binary on PATH (apt-get install chromium); the structural tests above still run")
    page = tmp_path / "report.html"
    page.write_text(render_report(_verdict(), LATENCIES), encoding="utf-8")
    args = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,1800"]
    dom = subprocess.run([*args, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120, check=False)
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = parse(dom.stdout)
    assert sum(1 for tag, attrs in parsed.tags if tag == "rect" and attrs.get("class") == "bar") == 24
    assert "LLM01:2025 Prompt injection" in parsed.text and "p95 1,220 ms" in parsed.text
    shot = tmp_path / "report.png"
    subprocess.run([*args, f"--screenshot={shot}", page.as_uri()], capture_output=True, timeout=120, check=False)
    assert shot.exists() and shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000


def test_report_reads_the_typed_verdict_and_shows_its_json(tmp_path: Path) -> None:
    verdict = _verdict()
    html = render_report(verdict, LATENCIES)
    shown = html[html.index("<details") :]
    # the page's JSON is the verdict's JSON (escaped), including parts the dict fixture never set
    assert "&#34;schema_version&#34;: 1" in shown and "&#34;kind&#34;: &#34;gate&#34;" in shown
    assert 'id="rule-bars"' in html  # by_rule is an extra the open governance part keeps
    governance = verdict.governance.model_dump(mode="json")
    del governance["by_rule"]
    plain = Verdict.model_validate({**verdict.model_dump(mode="json"), "governance": governance})
    assert 'id="rule-bars"' not in render_report(plain, [])


def test_report_command_names_the_missing_fields_on_one_line(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from gatekit.cli import app

    minimal = tmp_path / "verdict.json"
    minimal.write_text('{"verdict": "pass"}', encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(minimal)])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith(f"error: {minimal}: not a gatekit verdict.json")
    assert "command: Field required" in lines[0] and "Traceback" not in result.output
    assert not (tmp_path / "report.html").exists()
    good = tmp_path / "good.json"
    good.write_text(_verdict().to_json(), encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(good), "--out", str(tmp_path / "r.html")])
    assert result.exit_code == 0, result.output
    assert "gatekit promote" in (tmp_path / "r.html").read_text(encoding="utf-8")
