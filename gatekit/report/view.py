"""Display helpers for ``report.html``: check rows, timestamps, OWASP names and inline SVG geometry.

Everything here turns numbers from the verdict into numbers and short text for the
template; the template escapes all of it. Charts are plain SVG (no script: the report's
Content-Security-Policy forbids it).
"""

from __future__ import annotations

import math
from datetime import UTC
from typing import TYPE_CHECKING, Any

from gatekit import fmt
from gatekit.rfc3339 import from_rfc3339

if TYPE_CHECKING:
    from gatekit.pipeline.model import CheckResult

# Names of the OWASP categories the bundled rules tag (OWASP Top 10 for LLM Applications 2025,
# OWASP Top 10 for Agentic Applications 2026). An id not listed is shown as it is.
OWASP_NAMES: dict[str, str] = {
    "LLM01:2025": "Prompt injection",
    "LLM02:2025": "Sensitive information disclosure",
    "LLM03:2025": "Supply chain",
    "LLM04:2025": "Data and model poisoning",
    "LLM05:2025": "Improper output handling",
    "LLM06:2025": "Excessive agency",
    "LLM07:2025": "System prompt leakage",
    "LLM08:2025": "Vector and embedding weaknesses",
    "LLM09:2025": "Misinformation",
    "LLM10:2025": "Unbounded consumption",
    "ASI01:2026": "Agent goal hijack",
    "ASI02:2026": "Tool misuse and exploitation",
    "ASI03:2026": "Identity and privilege abuse",
    "ASI04:2026": "Agentic supply chain vulnerabilities",
    "ASI05:2026": "Unexpected code execution",
    "ASI06:2026": "Memory and context poisoning",
    "ASI07:2026": "Insecure inter-agent communication",
    "ASI08:2026": "Cascading failures",
    "ASI09:2026": "Human-agent trust exploitation",
    "ASI10:2026": "Rogue agents",
}

OUTCOME_COLOURS: dict[str, str] = {
    "allow": "#1a7f37",
    "allow_with_redaction": "#4a90d9",
    "require_review": "#bf8700",
    "deny": "#cf222e",
}


def owasp_label(category: Any) -> str:
    """``LLM01:2025 Prompt injection``; an unknown id as it is."""
    text = str(category)
    name = OWASP_NAMES.get(text)
    return f"{text} {name}" if name else text


def utc_seconds(value: Any) -> str:
    """An ISO timestamp as ``2026-12-06 04:42:37 UTC``; anything unparsable as it is."""
    if not isinstance(value, str) or not value:
        return "—" if value in (None, "") else str(value)
    try:
        stamp = from_rfc3339(value)
    except ValueError:
        return value
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def is_rate(name: str) -> bool:
    """Whether the check's metric is a fraction (shown as a percentage)."""
    from gatekit.verdict import KNOWN_METRICS

    spec = KNOWN_METRICS.get(name)
    return (spec is not None and spec[0] == "fraction") or name.startswith("pass_k_of_n.")


def _number(value: Any, digits: int = 4) -> str:
    if value is None:
        return "unknown"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    number = float(value)
    if not math.isfinite(number):
        return str(number)
    if number == int(number) and abs(number) < 1e15:
        return f"{int(number):,}"
    return f"{number:.{digits}g}" if abs(number) < 1e6 else f"{number:,.0f}"


def _shown(value: Any, rate: bool, unit: str, digits: int = 4, decimals: int = 1) -> str:
    if value is None:
        return "unknown"
    if rate and isinstance(value, int | float) and not isinstance(value, bool):
        return f"{float(value) * 100:.{decimals}f}%"
    return f"{_number(value, digits)} {unit}".strip()


def check_rows(checks: list[CheckResult]) -> list[dict[str, Any]]:
    """One display row per check: value, limit and interval as text (rates in %), and a detail that is never empty."""
    rows = []
    for check in checks:
        rate = is_rate(check.name)
        # a value just over its limit is shown with the digits that tell the two apart, never as equal to it
        # (and so are interval ends: with ``confidence`` the interval decides)
        shown = [x for x in (check.value, *(check.interval or ())) if x is not None]
        digits = max((fmt.digits_apart(x, check.limit) for x in shown), default=4)
        decimals = 1
        if check.limit is not None:
            decimals = max((fmt.decimals_apart(x * 100, check.limit * 100, 1) for x in shown), default=1)
        value = _shown(check.value, rate, check.unit, digits, decimals)
        limit = _shown(check.limit, rate, check.unit, digits, decimals)
        lo, hi = check.interval or (None, None)
        interval_text = (
            f"[{'-∞' if lo is None else _shown(lo, rate, check.unit, digits, decimals)}, "
            f"{'∞' if hi is None else _shown(hi, rate, check.unit, digits, decimals)}]"
            if check.interval is not None
            else "—"
        )
        detail = check.message
        if not detail:
            if check.value is None:
                detail = "no value: the metric could not be measured (unknown is never a pass)"
            elif check.status == "fail":
                side = "above" if check.op.startswith("<") else "below"
                detail = f"{value} is {side} the limit {limit}"
            elif check.status == "inconclusive":
                detail = f"{value} could not be decided against {check.op} {limit}"
            else:
                detail = f"{value} {check.op} {limit}"
        rows.append(
            {
                "name": check.name,
                "status": check.status,
                "value": value,
                "limit": f"{check.op} {limit}".strip(),
                "interval": interval_text,
                "detail": detail,
            }
        )
    return rows


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    span = hi - lo
    if span <= 0:
        return [lo]
    raw = span / count
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= step * factor:
            step *= factor
            break
    first = math.ceil(lo / step) * step
    ticks = []
    value = first
    while value <= hi + step * 1e-9:
        ticks.append(round(value, 10))
        value += step
    return ticks


def latency_chart(
    latencies: list[float],
    p95: float | None = None,
    limit: float | None = None,
    bins: int = 24,
    width: int = 640,
    height: int = 230,
) -> dict[str, Any]:
    """Geometry of the latency histogram: bars with counts, x and y axes with ticks, a p95 line and the limit.

    The limit is drawn when it lies within 1.5x the slowest latency (the axis stretches to
    it); further out it is named in the caption instead (``limit_off_scale``).
    """
    left, right, top, bottom = 48, 16, 18, 40
    plot_w, plot_h = width - left - right, height - top - bottom
    chart: dict[str, Any] = {
        "width": width,
        "height": height,
        "left": left,
        "top": top,
        "plot_w": plot_w,
        "plot_h": plot_h,
        "base": top + plot_h,
        "bars": [],
        "x_ticks": [],
        "y_ticks": [],
        "p95": None,
        "limit": None,
        "limit_off_scale": None,
        "n": len(latencies),
    }
    if not latencies:
        return chart
    lo, hi = min(latencies), max(latencies)
    axis_hi = hi
    if limit is not None and math.isfinite(limit) and limit > hi:
        if limit <= hi * 1.5:
            axis_hi = limit
        else:
            chart["limit_off_scale"] = limit
    axis_lo = 0.0 if lo >= 0 and lo < (axis_hi - lo) else lo
    span = (axis_hi - axis_lo) or 1.0
    bin_w = ((hi - axis_lo) or 1.0) / bins
    counts = [0] * bins
    for value in latencies:
        counts[min(bins - 1, int((value - axis_lo) / bin_w))] += 1
    top_count = max(counts) or 1

    def x_of(value: float) -> float:
        return round(left + (value - axis_lo) / span * plot_w, 2)

    def y_of(count: float) -> float:
        return round(top + plot_h - count / top_count * plot_h, 2)

    for i, count in enumerate(counts):
        start, end = axis_lo + i * bin_w, axis_lo + (i + 1) * bin_w
        x0, x1 = x_of(start), x_of(end)
        chart["bars"].append(
            {
                "x": x0,
                "w": max(round(x1 - x0 - 1, 2), 0.5),
                "y": y_of(count),
                "h": round(count / top_count * plot_h, 2),
                "cx": round((x0 + x1) / 2, 2),
                "count": count,
                "from": start,
                "to": end,
            }
        )
    chart["x_ticks"] = [{"x": x_of(t), "label": _number(t)} for t in _ticks(axis_lo, axis_lo + span)]
    y_step = max(1, math.ceil(top_count / 4))
    chart["y_ticks"] = [{"y": y_of(c), "label": str(c)} for c in range(0, top_count + 1, y_step)]
    digits = fmt.digits_apart(p95, limit)  # a p95 just over its limit is not labelled equal to it
    if p95 is not None and math.isfinite(p95):
        chart["p95"] = {"x": x_of(p95), "label": f"p95 {_number(p95, digits)} ms"}
    if limit is not None and chart["limit_off_scale"] is None and math.isfinite(limit) and limit >= axis_lo:
        chart["limit"] = {"x": x_of(limit), "label": f"limit {_number(limit, digits)} ms"}
    return chart


def rule_bars(by_rule: dict[str, dict[str, int]], width: int = 360) -> list[dict[str, Any]]:
    """Stacked bars per rule: one segment per outcome, scaled to the busiest rule."""
    totals = {rule: sum(int(n) for n in counts.values()) for rule, counts in by_rule.items()}
    top = max(totals.values(), default=0) or 1
    rows = []
    for rule in sorted(by_rule):
        x = 0.0
        segments = []
        for outcome in ("deny", "require_review", "allow_with_redaction", "allow"):
            count = int(by_rule[rule].get(outcome, 0))
            if not count:
                continue
            w = round(count / top * width, 2)
            segments.append({"x": round(x, 2), "w": w, "count": count, "outcome": outcome,
                             "colour": OUTCOME_COLOURS[outcome]})  # fmt: skip
            x += w
        others = {k: v for k, v in by_rule[rule].items() if k not in OUTCOME_COLOURS}
        rows.append({"rule": rule, "total": totals[rule], "segments": segments, "end": round(x, 2), "others": others})
    return rows
