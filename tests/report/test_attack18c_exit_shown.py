"""attack18c: report.html said "PASS · Every check passed." for a run that exited 2, 3 or 130.

A gate whose checks all pass can still end non-zero after judging: the JUnit file cannot be written (exit 2),
MLflow logging fails or the alias moved during the run (exit 3, not promoted), publishing was interrupted (130).
verdict.json and the step summary carry the exit code and the reason; report.html showed neither, nor what the
promotion did, so the page read as a clean pass. It now shows the exit code, the verdict's reasons and the
promotion line. Real CLI run (a JUnit path that is a folder).
"""

from __future__ import annotations

from pathlib import Path

from conftest import attack_gate, attack_project
from html_collect import parse


def _shown_text(path: Path) -> str:
    """The page's text above the raw verdict.json section (which holds every field anyway)."""
    page = path.read_text(encoding="utf-8").split('<section id="raw">')[0]
    return " ".join(" ".join(parse(page).text).split())


def test_report_html_shows_a_non_zero_exit_and_its_reason(tmp_path: Path) -> None:
    attack_project(tmp_path, ['{"id": "c1", "input": "x"}'])
    (tmp_path / "a-folder").mkdir()
    proc = attack_gate(tmp_path, "--no-mlflow", "--out", "out", "--junit", "a-folder")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    text = _shown_text(tmp_path / "out" / "report.html")
    assert "PASS" in text  # the checks did pass ...
    assert "exit code 2" in text  # ... but the run did not end clean, and the page says so and why
    assert "--junit a-folder: cannot write the JUnit XML" in text
    assert "Every check passed." in text


def test_a_clean_pass_shows_exit_code_0_and_no_reasons(tmp_path: Path) -> None:
    attack_project(tmp_path, ['{"id": "c1", "input": "x"}'])
    proc = attack_gate(tmp_path, "--no-mlflow", "--out", "out")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    text = _shown_text(tmp_path / "out" / "report.html")
    assert "exit code 0" in text and "Reasons" not in text
