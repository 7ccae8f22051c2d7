"""attack18c: agent and dataset text in the step summary / PR comment could @mention people and reference issues.

``md_escape`` wrote ``@octocat`` as ``\\@octocat``: markdown shows that as ``@octocat`` again, and GitHub links
(and notifies) mentions in the rendered text, so an agent's error ``ping @acme/security`` posted through the
``pr-comment`` input pinged a team; ``#1`` / ``acme/other#2`` put "mentioned this" backlinks on other issues.
Now ``@`` and ``#`` are followed by a zero-width space (``&#8203;``, as bots that quote changelogs do): the reader
sees the same characters, GitHub sees no mention or reference. Real CLI run; the summary is rendered with
markdown-it (CommonMark + tables), as GitHub would.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from markdown_it import MarkdownIt

from gatekit.report.text import md_escape

ROOT = Path(__file__).resolve().parents[2]
PING = "ping @octocat and @acme/security-team, fixes #1 and acme/other#2"
# what GitHub turns into a mention or an issue reference in rendered text
MENTION = re.compile(r"@[A-Za-z0-9]")
REFERENCE = re.compile(r"#\d")

AGENT = f"""
def run(case_input, context=None):
    raise RuntimeError({PING!r})
"""


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def _rendered_text(markdown: str) -> str:
    parser = _Text()
    parser.feed(MarkdownIt("commonmark").enable("table").render(markdown))
    return " ".join(parser.parts)


def test_md_escape_breaks_mentions_and_references_but_keeps_the_characters() -> None:
    text = _rendered_text(f"| x |\n|---|\n| {md_escape(PING)} |\n")
    assert not MENTION.search(text) and not REFERENCE.search(text), text
    assert PING in text.replace("\u200b", "")


def test_summary_of_a_gate_run_mentions_nobody(tmp_path: Path) -> None:
    (tmp_path / "agentm.py").write_text(AGENT, encoding="utf-8")
    rows = [{"id": "@octocat-#7", "input": "x"}]
    (tmp_path / "ds.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    (tmp_path / "th.yaml").write_text("min_cases: 1\nchecks:\n  error_rate: {max: 10%}\n", encoding="utf-8")
    summary = tmp_path / "summary.md"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GATEKIT_", "GITHUB_"))}
    env.update(PYTHONPATH=f"{ROOT}{os.pathsep}{tmp_path}", GITHUB_ACTIONS="true", GITHUB_STEP_SUMMARY=str(summary))
    command = [sys.executable, "-m", "gatekit", "eval", "--dataset", "ds.jsonl", "--agent", "python:agentm:run"]
    command += ["--thresholds", "th.yaml", "--policy", str(ROOT / "policies" / "default.yaml"), "--no-mlflow"]
    command += ["--retries", "0", "--out", "out"]
    proc = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=180)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    text = _rendered_text(summary.read_text(encoding="utf-8"))
    assert PING in text.replace("\u200b", "") and "@octocat-#7" in text.replace("\u200b", "")
    assert not MENTION.search(text), MENTION.findall(text)
    assert not REFERENCE.search(text), REFERENCE.findall(text)
