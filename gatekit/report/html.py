"""Render ``report.html`` from a typed :class:`~gatekit.pipeline.model.Verdict`: one self-contained file, everything escaped.

The Python side reads the verdict's attributes; the template gets ``verdict.model_dump(mode="json")``,
the same JSON ``verdict.json`` holds and the page shows. Agent output is untrusted: the jinja2
environment autoescapes every value and the template never marks agent text ``|safe``; charts are
inline SVG built from numbers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2
import markupsafe

from gatekit import fmt

if TYPE_CHECKING:
    from gatekit.pipeline.model import Verdict

_TEMPLATES = Path(__file__).parent / "templates"


def shown_value(value: object) -> object:
    r"""jinja2's ``finalize``: text's control characters (ESC, BEL, DEL, C1) shown as ``\x1b`` escapes, not raw.

    Agent output, tool and model names, case ids and production values reach every page through here; markup
    the renderer built itself (``Markup``) is left as it is.
    """
    if isinstance(value, str) and not isinstance(value, markupsafe.Markup):
        from gatekit.report.text import visible_controls

        return visible_controls(value)
    return value


def template_environment() -> jinja2.Environment:
    """The jinja2 environment of the HTML reports: the bundled templates, every value autoescaped, controls shown."""
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(_TEMPLATES)),
        autoescape=True,
        finalize=shown_value,
        undefined=jinja2.ChainableUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _environment() -> jinja2.Environment:
    env = template_environment()
    env.filters["num"] = fmt.number
    env.filters["pct"] = fmt.rate
    env.filters["count"] = fmt.count
    env.filters["ms"] = fmt.ms
    env.filters["usd"] = fmt.usd
    env.filters["apart"] = fmt.digits_apart  # digits that show a value apart from its limit / floor
    _add_view_filters(env)
    return env


def _add_view_filters(env: jinja2.Environment) -> None:
    from gatekit.report.view import owasp_label, utc_seconds

    env.filters["owasp"] = owasp_label
    env.filters["utc"] = utc_seconds


def render_report(verdict: Verdict, latencies: list[float] | None = None) -> str:
    """Return the report HTML for ``verdict``; ``latencies`` (ms of the successful cases) feed the chart."""
    from gatekit.pipeline.model import CandidatePart
    from gatekit.redact import display_spec
    from gatekit.report import view

    # a verdict.json written before specs were redacted shows its spec redacted too
    shown = verdict.model_copy(update={"candidate": CandidatePart(spec=display_spec(verdict.candidate.spec))})
    data = shown.model_dump(mode="json")
    checks = view.check_rows(shown.checks)
    failing = [c for c in checks if c["status"] != "pass"]
    template = _environment().get_template("report.html.j2")
    return template.render(
        v=data,
        checks=checks,
        failing=failing,
        chart=view.latency_chart(latencies or [], *_p95_and_limit(shown)),
        rule_bars=view.rule_bars(_by_rule(shown)),
        verdict_json=json.dumps(data, indent=2, default=str),
    )


def _p95_and_limit(verdict: Verdict) -> tuple[float | None, float | None]:
    """The measured p95 latency (ms) and its ``<=`` limit, when the verdict has them as numbers."""
    p95 = verdict.metrics.get("latency_p95_ms")  # metrics is an open table of named numbers
    limit = None
    for check in verdict.checks:
        if check.name == "latency_p95_ms" and check.op == "<=":
            limit = check.limit
    number = (int, float)
    return (
        float(p95) if isinstance(p95, number) and not isinstance(p95, bool) else None,
        float(limit) if limit is not None else None,
    )


def _by_rule(verdict: Verdict) -> dict[str, dict[str, int]]:
    """Cases per rule and outcome (the governance summary's ``by_rule`` table; empty without governance)."""
    by_rule = getattr(verdict.governance, "by_rule", None)  # an open part: kept when the summary wrote it
    if not isinstance(by_rule, dict):
        return {}
    return {
        str(rule): {str(k): n for k, n in counts.items() if isinstance(n, int) and not isinstance(n, bool)}
        for rule, counts in by_rule.items()
        if isinstance(counts, dict)
    }


def _latencies_from_results(results_path: Path) -> list[float]:
    from gatekit.results import iter_result_rows

    return [  # one row at a time: the rows of 100,000 cases with large responses held 1.7 GB when read whole
        float(row["latency_ms"])
        for row in iter_result_rows(results_path)
        if row.get("ok") and row.get("latency_ms") is not None
    ]


def write_report(verdict: Verdict, path: Path, results_path: Path | None = None) -> Path:
    """Write ``report.html``; the latency chart reads ``results_path`` (default: next to ``path``)."""
    latencies = _latencies_from_results(results_path or path.parent / "results.jsonl")
    from gatekit.fsio import atomic_write_text

    atomic_write_text(path, render_report(verdict, latencies))
    return path
