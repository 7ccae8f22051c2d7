"""Render ``report.html`` from a verdict dict: one self-contained file, everything escaped.

Agent output is untrusted: the jinja2 environment autoescapes every value and the
template never marks agent text ``|safe``; charts are inline SVG built from numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jinja2

from gatekit import fmt

_TEMPLATES = Path(__file__).parent / "templates"


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["num"] = fmt.number
    env.filters["pct"] = fmt.rate
    env.filters["count"] = fmt.count
    env.filters["ms"] = fmt.ms
    env.filters["usd"] = fmt.usd
    _add_view_filters(env)
    return env


def _add_view_filters(env: jinja2.Environment) -> None:
    from gatekit.report.view import owasp_label, utc_seconds

    env.filters["owasp"] = owasp_label
    env.filters["utc"] = utc_seconds


def latency_histogram(latencies: list[float], bins: int = 24, width: int = 560, height: int = 140) -> dict[str, Any]:
    """Bars for an inline SVG histogram: numbers only, no text from the agent."""
    if not latencies:
        return {"bars": [], "width": width, "height": height, "lo": None, "hi": None}
    lo, hi = min(latencies), max(latencies)
    span = (hi - lo) or 1.0
    counts = [0] * bins
    for value in latencies:
        index = min(bins - 1, int((value - lo) / span * bins))
        counts[index] += 1
    top = max(counts) or 1
    bar_w = width / bins
    bars = [
        {
            "x": round(i * bar_w, 2),
            "w": round(bar_w - 1, 2),
            "h": round(c / top * (height - 20), 2),
            "y": round(height - 20 - c / top * (height - 20), 2),
            "count": c,
            "from": lo + i * span / bins,
            "to": lo + (i + 1) * span / bins,
        }
        for i, c in enumerate(counts)
    ]
    return {"bars": bars, "width": width, "height": height, "lo": lo, "hi": hi}


def render_report(verdict: dict[str, Any], latencies: list[float] | None = None) -> str:
    """Return the report HTML for ``verdict``."""
    from gatekit.redact import display_spec

    template = _environment().get_template("report.html.j2")
    candidate = verdict.get("candidate")
    if isinstance(candidate, dict) and candidate.get("spec"):  # a verdict.json written before specs were redacted
        verdict = {**verdict, "candidate": {**candidate, "spec": display_spec(str(candidate["spec"]))}}
    from gatekit.report import view

    checks = view.check_rows(verdict.get("checks") or [])
    failing = [c for c in checks if c.get("status") != "pass"]
    return template.render(
        v=verdict,
        checks=checks,
        failing=failing,
        histogram=latency_histogram(latencies or []),
        chart=view.latency_chart(latencies or [], *_p95_and_limit(verdict)),
        rule_bars=view.rule_bars(_by_rule(verdict)),
        verdict_json=json.dumps(verdict, indent=2, default=str),
    )


def _p95_and_limit(verdict: dict[str, Any]) -> tuple[float | None, float | None]:
    metrics = verdict.get("metrics") if isinstance(verdict.get("metrics"), dict) else {}
    p95 = metrics.get("latency_p95_ms") if isinstance(metrics, dict) else None
    limit = None
    for check in verdict.get("checks") or []:
        if isinstance(check, dict) and check.get("name") == "latency_p95_ms" and check.get("op") == "<=":
            limit = check.get("limit")
    number = (int, float)
    return (
        float(p95) if isinstance(p95, number) else None,
        float(limit) if isinstance(limit, number) else None,
    )


def _by_rule(verdict: dict[str, Any]) -> dict[str, dict[str, int]]:
    governance = verdict.get("governance")
    by_rule = governance.get("by_rule") if isinstance(governance, dict) else None
    if not isinstance(by_rule, dict):
        return {}
    return {
        str(rule): {str(k): int(n) for k, n in counts.items() if isinstance(n, int)}
        for rule, counts in by_rule.items()
        if isinstance(counts, dict)
    }


def _latencies_from_results(results_path: Path) -> list[float]:
    from gatekit.results import read_result_rows

    return [
        float(row["latency_ms"])
        for row in read_result_rows(results_path)
        if row.get("ok") and row.get("latency_ms") is not None
    ]


def write_report(verdict: dict[str, Any], path: Path, results_path: Path | None = None) -> Path:
    """Write ``report.html``; the latency chart reads ``results_path`` (default: next to ``path``)."""
    latencies = _latencies_from_results(results_path or path.parent / "results.jsonl")
    from gatekit.fsio import atomic_write_text

    atomic_write_text(path, render_report(verdict, latencies))
    return path
