"""attack16b: ``canary --since`` at or after ``--now`` (no complete window between them) is bad input, not a hold.

``--since 2026-03-01T13:00:00Z --now 2026-03-01T12:30:00Z`` judged zero windows and answered "hold" (exit 4), so a
pipeline waited for traffic that a typo kept out; now it is exit 2 naming both flags.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from canary.traffic import now_after, traffic, write_jsonl
from gatekit.cli import app

NOW = now_after(30)  # 12:30 (the traffic's 30 minutes end there)


def _run(*args: str) -> object:
    return CliRunner().invoke(app, ["canary", *args, "--no-mlflow"])


@pytest.mark.parametrize(
    "since",
    [
        "2026-03-01T13:00:00Z",  # after --now
        NOW,  # equal
        "2026-03-01T12:30:10Z",  # after, in --now's window
    ],
)
def test_since_not_before_now_is_exit_2_naming_both_flags(tmp_path: Path, since: str) -> None:
    logs = write_jsonl(tmp_path / "ok.jsonl", traffic(30))
    result = _run("--logs", str(logs), "--now", NOW, "--since", since, "--out", str(tmp_path / "o"))
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    lines = [line for line in result.output.splitlines() if line.strip()]  # type: ignore[attr-defined]
    assert len(lines) == 1 and lines[0].startswith("error: "), lines
    assert "--since" in lines[0] and "--now" in lines[0] and "window" in lines[0], lines[0]
    assert not (tmp_path / "o" / "canary.json").exists()


def test_since_inside_the_last_window_of_now_is_exit_2(tmp_path: Path) -> None:
    """--since 12:29:30, --now 12:29:50 with 1-minute windows: no window is complete between them."""
    logs = write_jsonl(tmp_path / "ok.jsonl", traffic(30))
    result = _run(
        "--logs", str(logs), "--now", "2026-03-01T12:29:50Z", "--since", "2026-03-01T12:29:30Z",
        "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert result.exit_code == 2, result.output  # type: ignore[attr-defined]
    assert "no complete" in result.output  # type: ignore[attr-defined]


def test_a_since_before_now_still_judges(tmp_path: Path) -> None:
    logs = write_jsonl(tmp_path / "ok.jsonl", traffic(30))
    result = _run("--logs", str(logs), "--now", NOW, "--since", "2026-03-01T12:00:00Z", "--out", str(tmp_path / "o"))
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
