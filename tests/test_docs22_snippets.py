"""More of the docs run as written (after tests/test_docs17_snippets.py): the examples every `gatekit <command>
--help` ends with, the GitHub workflow docs/ci.md shows (actionlint, and its gatekit flags on the project
`gatekit init` scaffolds), and the injection model's measured numbers in docs/governance.md against what
`benchmarks/injection_accuracy.py` prints."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, needs_shared_data

DOCS = REPO_ROOT / "docs"


def _gatekit(args: list[str], cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "GATEKIT_", "MLFLOW_", "CI"))}
    env["PYTHONPATH"] = str(REPO_ROOT)
    return subprocess.run(
        [sys.executable, "-m", "gatekit", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def _help_examples() -> list[tuple[str, list[str]]]:
    """Every example line a `--help` ends with: (the line, its words after `gatekit`), prose and redirects cut."""
    from gatekit.cli import _EXAMPLES

    found = []
    for lines in _EXAMPLES.values():
        for line in lines:
            command = re.split(r" {2,}\(", line)[0]  # "gatekit promote    (reads ./gatekit.yaml)"
            words = shlex.split(command)
            if ">" in words:
                words = words[: words.index(">")]
            assert words[0] == "gatekit", line
            found.append((line, words[1:]))
    return found


def test_every_help_example_parses_with_the_commands_own_options() -> None:
    """Each example of `gatekit <command> --help` names real options with valid values (click parses it as the
    command would, without running it)."""
    import click
    import typer

    from gatekit.cli import app

    root: Any = typer.main.get_command(app)
    examples = _help_examples()
    assert len(examples) >= 15, examples
    for line, words in examples:
        command, args = root, list(words)
        while hasattr(command, "commands") and args and args[0] in command.commands:
            command = command.commands[args.pop(0)]
        assert not hasattr(command, "commands"), f"{line}: no such command"
        try:
            command.make_context(command.name, args)
        except click.ClickException as exc:
            pytest.fail(f"{line}: {exc.format_message()}")


def test_report_help_example_runs_as_shown(tmp_path: Path) -> None:
    """`gatekit report --help`'s example, `--out reports/latest` (a folder, as every other --out), writes
    report.html into it; it was exit 2 "Is a directory"."""
    (line,) = [line for line, words in _help_examples() if words[0] == "report"]
    project = tmp_path / "project"
    project.mkdir()
    init = _gatekit(["init"], project)
    assert init.returncode == 0, init.stdout + init.stderr
    run = _gatekit(["eval", "--no-mlflow"], project)
    assert run.returncode == 0, run.stdout + run.stderr
    report = project / "reports" / "latest" / "report.html"
    report.unlink()
    proc = _gatekit(shlex.split(line)[1:], project)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "reports/latest/report.html" and report.read_text(encoding="utf-8").startswith(
        "<!doctype html>"
    )
    # a file path still names the file; report.html is never written over the verdict it is rendered from
    proc = _gatekit(["report", "reports/latest/verdict.json", "--out", "other.html"], project)
    assert proc.returncode == 0 and (project / "other.html").is_file(), proc.stderr
