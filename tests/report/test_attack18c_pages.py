"""attack18c: every HTML page gatekit writes carries the same Content-Security-Policy and loads nothing.

report.html had ``default-src 'none'`` (no script, no network, even if escaping ever slipped); drift.html and
canary.html, which show production categories and log paths, had no policy at all. Real CLI runs; each page is
parsed (html.parser) for the policy, for scripts, event-handler attributes and anything fetched from a URL.
"""

from __future__ import annotations

import json
from pathlib import Path

from canary.traffic import now_after, traffic, write_jsonl
from conftest import REPO_ROOT
from html_collect import parse
from spine_project import run_cli

EVIL = "</script><script>alert(1)</script><!-- x --></style><img src=x onerror=alert(2)> \" ' javascript:alert(3)"
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


def _assert_locked_down(html: str, name: str) -> list[str]:
    page = parse(html)
    policies = [
        a.get("content") for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert policies == [CSP], (name, policies)
    for tag, attrs in page.tags:
        assert tag not in {"script", "iframe", "object", "embed", "link", "img", "base", "form"}, (name, tag)
        for key, value in attrs.items():
            assert not key.startswith("on"), (name, tag, key)
            if key in {"src", "href", "xlink:href", "action", "srcset"}:
                assert (value or "").startswith("#"), (name, tag, key, value)
    return page.text


def test_drift_html_is_locked_down_and_shows_hostile_categories_as_text(tmp_path: Path) -> None:
    ref = [{"id": f"r{i}", "input": "order?", "context": {"role": "customer"}} for i in range(40)]
    prod = [{"id": f"p{i}", "input": "order?", "context": {"role": EVIL if i % 2 else "customer"}} for i in range(60)]
    write_jsonl(tmp_path / "ref.jsonl", ref)
    write_jsonl(tmp_path / "prod.jsonl", prod)
    proc = run_cli(tmp_path, "drift", "--reference", "ref.jsonl", "--production", "prod.jsonl", "--no-mlflow")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    report = json.loads((tmp_path / "reports" / "drift" / "drift.json").read_text(encoding="utf-8"))
    assert report["drift"] is True
    text = _assert_locked_down((tmp_path / "reports" / "drift" / "drift.html").read_text(encoding="utf-8"), "drift")
    assert any(EVIL in t for t in text)  # the category is shown, as text


def test_canary_html_is_locked_down(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "rows.jsonl", traffic(30))
    proc = run_cli(tmp_path, "canary", "--logs", str(logs), "--now", now_after(30), "--no-mlflow", "--out", "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    _assert_locked_down((tmp_path / "out" / "canary.html").read_text(encoding="utf-8"), "canary")


def test_report_html_is_locked_down(tmp_path: Path) -> None:
    (tmp_path / "agent18.py").write_text(
        f"def run(case_input, context=None):\n    raise RuntimeError({EVIL!r})\n", encoding="utf-8"
    )
    write_jsonl(tmp_path / "ds.jsonl", [{"id": "c1", "input": "x"}])
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    proc = run_cli(
        tmp_path, "eval", "--dataset", "ds.jsonl", "--agent", "python:agent18:run", "--thresholds", "th.yaml",
        "--policy", str(REPO_ROOT / "policies" / "default.yaml"), "--retries", "0", "--no-mlflow", "--out", "out",
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    text = _assert_locked_down((tmp_path / "out" / "report.html").read_text(encoding="utf-8"), "report")
    assert any(EVIL in t for t in text)
