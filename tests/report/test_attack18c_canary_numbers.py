"""attack18c: canary.html showed an interval end and the allowed increase rounded to the same 4 digits.

A canary comparison fails when its interval lies wholly above the allowed increase; a lower end of +0.100004
against an allowed +0.1 read "[0.1, 0.2]" next to "+0.1" beside a FAIL. The estimate, the interval and the allowance
are now shown with the digits that tell them apart. The canary.json comes from a real ``gatekit canary`` run;
its first comparison is then moved next to its allowance and rendered again.
"""

from __future__ import annotations

import json
from pathlib import Path

from canary.traffic import now_after, traffic, write_jsonl
from html_collect import parse
from spine_project import run_cli

from gatekit.report.canary_html import render_canary_html


def test_an_interval_end_next_to_the_allowance_is_shown_apart_from_it(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "rows.jsonl", traffic(30))
    proc = run_cli(tmp_path, "canary", "--logs", str(logs), "--now", now_after(30), "--no-mlflow", "--out", "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    data = json.loads((tmp_path / "out" / "canary.json").read_text(encoding="utf-8"))
    comparison = data["comparisons"][0]
    comparison.update(status="fail", difference=0.15, interval=[0.100004, 0.2], allowed_increase=0.1)
    page = parse(render_canary_html(data))
    cells = [" ".join(t.split()) for t in page.text if t.strip()]
    at = cells.index(comparison["metric"])
    interval, allowed = (
        next(c for c in cells[at:] if c.startswith("[")),
        next(c for c in cells[at:] if c.startswith("+")),
    )
    assert interval.split(", ")[0].lstrip("[") != allowed.lstrip("+").split(" ")[0], (interval, allowed)
    assert interval == "[0.100004, 0.2]" and allowed.startswith("+0.1")
