r"""attack18a: a category name with a bidi override is shown escaped in the drift summary, job summary and drift.html.

Control characters were escaped, but the Unicode bidi controls (U+202E RIGHT-TO-LEFT OVERRIDE, U+2066..U+2069
isolates, U+200E/U+200F marks) are format characters and went out raw: a production category
"\u202etnemyap_dnufer" is displayed as "refund_payment" by a terminal or GitHub, so the reviewer reads a
different name from the one that drifted.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT

from gatekit.report.text import md_escape, plain_text

TRICKS = ["\u202etnemyap_dnufer", "a\u2066b\u2069", "x\u200fy", "\u061cz"]


def test_bidi_controls_are_shown_escaped() -> None:
    for text in TRICKS:
        for shown in (plain_text(text), md_escape(text)):
            assert not any(ch in shown for ch in "\u202e\u2066\u2069\u200f\u061c"), repr(shown)
    assert plain_text("\u202etnemyap_dnufer") == "\\u202etnemyap_dnufer"
    assert plain_text("Ünïcode 日本") == "Ünïcode 日本"  # other non-ASCII text is shown as it is


def test_drift_summary_and_job_summary_escape_bidi_categories(tmp_path: Path) -> None:
    ref = [{"tool": "search"}] * 60 + [{"tool": "lookup"}] * 60
    prod = [{"tool": "search"}] * 40 + [{"tool": t} for t in TRICKS for _ in range(20)]
    for name, rows in (("ref", ref), ("prod", prod)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_", "GITHUB_"))}
    env.update(PYTHONPATH=str(REPO_ROOT), GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", "ref.jsonl", "--production", "prod.jsonl"]
    command += ["--categorical", "tool", "--no-mlflow", "--out", "out"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    page = (tmp_path / "out" / "drift.html").read_text(encoding="utf-8")
    for shown in (proc.stdout, summary, page):
        assert "\\u202etnemyap" in shown, shown
        assert not any(ch in shown for ch in "\u202e\u2066\u2069\u200f\u061c"), repr(shown)


def test_look_alike_new_categories_are_quoted_in_the_summary(tmp_path: Path) -> None:
    ref = [{"role": "admin"}] * 50 + [{"role": "caf\u00e9"}] * 50 + [{"role": "user"}] * 50
    prod = [{"role": "admin "}] * 50 + [{"role": "cafe\u0301"}] * 50 + [{"role": "user"}] * 50
    for name, rows in (("ref", ref), ("prod", prod)):
        (tmp_path / f"{name}.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "MLFLOW_", "GITHUB_"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    command = [sys.executable, "-m", "gatekit", "drift", "--reference", "ref.jsonl", "--production", "prod.jsonl"]
    command += ["--categorical", "role", "--no-mlflow", "--out", "out"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 1, (proc.returncode, proc.stdout, proc.stderr)
    (line,) = [line for line in proc.stdout.splitlines() if "new:" in line]
    # (prod20: "cafe" + U+0301 is the NFC "café" decomposed: the same category on both sides, not a new one)
    assert line.endswith("new: 'admin '"), line
    report = json.loads((tmp_path / "out" / "drift.json").read_text(encoding="utf-8"))
    assert report["features"][0]["new_categories"] == ["admin "]  # the values as they are
