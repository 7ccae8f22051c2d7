"""attack18c: a drift effect just under its floor read "V=0.577 < 0.577" (terminal) and "0.577 | 0.577" (pages).

The effect size and its floor were each rounded to 3 (pages: 4) significant digits, so a feature that missed the
floor by 0.00001 showed the two as equal next to "below the effect floor". They are now shown with the digits
that tell them apart, in the terminal summary, drift.html and report.html's drift table. Real CLI runs; the floor
comes from the ``drift:`` section of gatekit.yaml.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from canary.traffic import write_jsonl
from conftest import REPO_ROOT
from html_collect import parse
from spine_project import run_cli


def _project(tmp_path: Path) -> None:
    ref = [{"id": f"r{i}", "input": "order?", "context": {"role": "customer"}} for i in range(40)]
    prod = [{"id": f"p{i}", "input": "order?", "context": {"role": "x" if i % 2 else "customer"}} for i in range(60)]
    write_jsonl(tmp_path / "ref.jsonl", ref)
    write_jsonl(tmp_path / "prod.jsonl", prod)
    (tmp_path / "gatekit.yaml").write_text("drift:\n  cramers_v_floor: 0.57736\n", encoding="utf-8")


def _cells(html: str) -> list[str]:
    return [" ".join(t.split()) for t in parse(html).text if t.strip()]


def test_an_effect_just_under_its_floor_is_shown_apart_from_it(tmp_path: Path) -> None:
    _project(tmp_path)
    proc = run_cli(tmp_path, "drift", "-c", "gatekit.yaml", "--reference", "ref.jsonl", "--production", "prod.jsonl",
                   "--no-mlflow", "--out", "out")  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (role,) = [
        f for f in json.loads((tmp_path / "out" / "drift.json").read_text())["features"] if f["kind"] != "numeric"
    ]
    assert role["significant"] and not role["drifted"] and role["effect_size"] < role["effect_floor"] == 0.57736
    line = next(row for row in proc.stdout.splitlines() if "context.role" in row)
    effect, floor = re.search(r"V=(\S+) < (\S+)", line).groups()  # type: ignore[union-attr]
    assert effect != floor and float(effect) < float(floor), line
    cells = _cells((tmp_path / "out" / "drift.html").read_text(encoding="utf-8"))
    at = cells.index("context.role")
    assert cells[at + 2] == "V = 0.57735" and cells[at + 3] == "0.57736", cells[at : at + 5]


def test_report_html_drift_table_shows_them_apart_too(tmp_path: Path) -> None:
    _project(tmp_path)
    (tmp_path / "agente.py").write_text(
        "def run(case_input, context=None):\n    return {'output': 'ok', 'cost_usd': 0.0}\n", encoding="utf-8"
    )
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    proc = run_cli(
        tmp_path, "eval", "-c", "gatekit.yaml", "--dataset", "ref.jsonl", "--agent", "python:agente:run",
        "--thresholds", "th.yaml", "--policy", str(REPO_ROOT / "policies" / "default.yaml"),
        "--production", "prod.jsonl", "--no-mlflow", "--out", "gate", env={"PYTHONPATH": str(tmp_path)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    page = (tmp_path / "gate" / "report.html").read_text(encoding="utf-8").split('<section id="raw">')[0]
    cells = _cells(page.split('<section id="drift">')[1])
    at = cells.index("context.role")
    assert cells[at + 2] == "cramers_v 0.57735" and cells[at + 3] == "0.57736", cells[at : at + 5]
