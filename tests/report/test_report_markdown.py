"""The drift step-summary renderer (``gatekit.report.markdown.render_drift_summary``) and its GitHub sink."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from gatekit.report.markdown import render_drift_summary
from gatekit.sinks.github import publish_drift_summary


def _feature(name: str, *, drifted: bool, significant: bool = False, new: list[str] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "kind": "categorical" if new is not None else "numeric",
        "effect_size": 0.4321 if drifted else 0.01,
        "q_value": 0.0004 if drifted else 0.9,
        "drifted": drifted,
        "significant": significant,
        "new_categories": new or [],
    }


def _report(**extra: Any) -> dict[str, Any]:
    return {
        "drift": True,
        "reason": "1 of 3 features drifted",
        "features": [
            _feature("input_chars", drifted=True),
            _feature("turns", drifted=False),
            _feature("tool", drifted=False, significant=True, new=["a", "b", "c", "d", "e", "f"]),
        ],
        "skipped": [{"name": "cost", "reason": "no values"}],
        **extra,
    }


def test_drift_summary_lists_drifted_and_significant_features_only() -> None:
    text = render_drift_summary(_report(), 1)
    lines = text.splitlines()
    assert lines[0] == "## gatekit drift: 🔴 DRIFT"
    rows = [line for line in lines if line.startswith("| ") and not line.startswith("| feature")]
    assert [row.split(" | ")[0] for row in rows] == [
        "| input\\_chars",
        "| tool",
    ]  # turns neither drifted nor significant
    assert rows[0].endswith("| yes |  |") and "| no | a, b, c, d, e |" in rows[1]  # at most 5 new categories
    assert "- skipped cost: no values" in lines
    assert lines[-1].startswith("Exit code 1 ")


def test_no_drift_has_no_table_and_says_so() -> None:
    text = render_drift_summary({"drift": False, "reason": "", "features": [_feature("x", drifted=False)]}, 0)
    assert text.startswith("## gatekit drift: 🟢 NO DRIFT") and "| feature |" not in text
    assert "Exit code 0 " in text


def test_hostile_feature_names_cannot_break_out_of_the_table() -> None:
    hostile = "a|b\n## Heading\n[link](http://evil.example)"
    text = render_drift_summary(_report(features=[_feature(hostile, drifted=True)], skipped=[]), 1)
    row = next(line for line in text.splitlines() if line.startswith("| a"))
    assert row.count(" | ") == 5  # six cells: the name's pipe is escaped
    assert "\n## Heading" not in text and "](http" not in text


def test_rows_are_bounded() -> None:
    many = [_feature(f"f{i}", drifted=True) for i in range(500)]
    text = render_drift_summary(_report(features=many), 1)
    assert sum(1 for line in text.splitlines() if line.startswith("| f") and not line.startswith("| feature")) == 50


def test_the_sink_appends_the_rendered_summary_only_under_actions(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    assert not publish_drift_summary(_report(), 1, env={"GITHUB_STEP_SUMMARY": str(summary)})
    assert not summary.exists()
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
    assert publish_drift_summary(_report(), 1, env=env)
    assert summary.read_text(encoding="utf-8") == render_drift_summary(_report(), 1) + "\n"
    assert not publish_drift_summary(_report(), 1, env={**env, "GITHUB_STEP_SUMMARY": str(tmp_path)})  # a directory
